"""Old import paths that still work after a rename or a move: each use warns once with the new name."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def warn_moved(old: str, new: str) -> None:
    """Warn (DeprecationWarning, once per call site) that ``old`` is now ``new``."""
    warnings.warn(f"{old} moved to {new}; import it from there", DeprecationWarning, stacklevel=3)


def moved_names(module: str, new_module: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that resolves ``names`` (old name -> new name) from ``new_module``, warning."""

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(f"{module}.{name} moved to {new_module}.{names[name]}; import it from there",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(new_module), names[name])

    return __getattr__
