"""Importing an integration without its host framework fails naming the extra that installs it."""

from __future__ import annotations

from ea_plugin.errors import EAPluginError


class MissingExtraError(EAPluginError, ImportError):
    """An integration's host framework is not installed; the message names the pip extra that installs it."""


def missing_extra(integration: str, extra: str, error: ImportError) -> MissingExtraError:
    """The error to raise (``from error``) when importing ``integration`` found its host missing."""
    missing = f" (no module named {error.name!r})" if error.name else ""
    return MissingExtraError(
        f"{integration} needs its host framework{missing}: pip install \"ea-plugin[{extra}]\"",
        name=error.name,
    )
