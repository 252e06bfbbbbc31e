"""What each step of ``training.run`` was made from, so a rerun over the same ``--work`` can tell "already done"
from "done with something else".

A step's inputs are a flat dict of named values (file contents as SHA-256, options as given). The marker of a
finished step (``.done/<step>.json``) keeps them; a rerun compares and names what changed. A value of None is
"not given this time" (e.g. no ``--model``): it continues the earlier run and is not a change. What each step's
inputs are is said by its ``Step`` (training.steps).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


def digest(path: str | Path | None) -> str | None:
    """SHA-256 of a file's bytes; "missing" when there is no such file; None when no path was given."""
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        return "missing"
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def changed(stored: dict[str, Any] | None, now: dict[str, Any]) -> list[str]:
    """Names of the inputs that differ from the stored ones (None now = not given = no change); [] when the
    marker predates fingerprints."""
    if not stored:
        return []
    return [name for name, value in now.items() if value is not None and stored.get(name) != value]
