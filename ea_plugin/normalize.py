"""Moved to ``ea_plugin.rules.normalize``; this path still works and warns once."""

from ea_plugin._moved import warn_moved
from ea_plugin.rules.normalize import *  # noqa: F401,F403

warn_moved("ea_plugin.normalize", "ea_plugin.rules.normalize")
