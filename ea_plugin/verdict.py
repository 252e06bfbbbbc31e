"""Moved to ``ea_plugin.judgement``; this path still works and warns once."""

from ea_plugin._moved import warn_moved
from ea_plugin.judgement import *  # noqa: F401,F403

warn_moved("ea_plugin.verdict", "ea_plugin.judgement")
