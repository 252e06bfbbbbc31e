"""The data sets' builders, source extractors and reports (tests/data/devset, devset_v3, realtext, phrasing) and
the running-text probe. `python scripts/X.py` runs each; tests import them from here."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def out_folder(doc: str, default: Path, argv: Sequence[str] | None = None) -> Path:
    """A builder's command line (``--out DIR``: where to write, the committed data folder by default; the
    determinism tests write elsewhere), the folder made."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default)
    out: Path = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    return out
