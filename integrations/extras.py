"""Moved to ``ea_plugin.errors`` (``MissingExtraError``, ``missing_extra``, ``EXTRA_OF_MODULE``): one mechanism for
every missing extra, commands' and integrations' alike; this path still works and warns once."""

from ea_plugin import errors
from ea_plugin._moved import warn_moved
from ea_plugin.errors import MissingExtraError  # noqa: F401

warn_moved("integrations.extras", "ea_plugin.errors")


def missing_extra(integration: str, extra: str, error: ImportError) -> ImportError:
    """The old argument order of ``ea_plugin.errors.missing_extra(error, integration, extra)``."""
    return errors.missing_extra(error, integration, extra)
