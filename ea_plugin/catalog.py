"""Moved to ``ea_plugin.rules.catalog``; this path still works and warns once."""

from ea_plugin._moved import warn_moved
from ea_plugin.rules.catalog import *  # noqa: F401,F403

warn_moved("ea_plugin.catalog", "ea_plugin.rules.catalog")
