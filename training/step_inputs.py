"""What each step of ``training.run`` was made from, so a rerun over the same ``--work`` can tell "already done"
from "done with something else".

A step's inputs are a flat dict of named values (file contents as SHA-256, options as given). The marker of a
finished step (``.done/<step>.json``) keeps them; a rerun compares and names what changed. A value of None is
"not given this time" (e.g. no ``--model``): it continues the earlier run and is not a change. Steps chain
through the files they read (configs reads ``data/train.json``, train reads ``configs/train.yaml``, ...), so a
changed input shows first at the step that reads it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # training.run imports this module
    from training.run import RunOptions


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


def convert_inputs(args: RunOptions) -> dict[str, Any]:
    """The teacher files' contents and the conversion options; nothing when no teacher file is given (a rerun
    that only continues)."""
    if not (args.input or args.aligned or args.labelled):
        return {}
    labelled = [digest(Path(folder) / name) for folder in args.labelled for name in ("aligned.json", "unaligned.json")]
    return {
        "--input": digest(args.input), "--aligned": digest(args.aligned), "--unaligned": digest(args.unaligned),
        "--labelled": labelled or None,
        "--include-unaligned": args.include_unaligned, "--val": args.val, "--test": args.test, "--seed": args.seed,
        "--balance": args.balance, "--fast-share": args.fast_share,
    }


def configs_inputs(args: RunOptions, train_file: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    return {"--profile": args.profile, "--model": args.model, "--set": sorted(f"{k}={v}" for k, v in overrides.items())
            or None, "data/train.json": digest(train_file)}


def train_inputs(args: RunOptions, train_yaml: Path, train_file: Path) -> dict[str, Any]:
    return {"configs/train.yaml": digest(train_yaml), "data/train.json": digest(train_file),
            "--launcher": args.launcher}


def export_inputs(export_yaml: Path, train_marker: Path) -> dict[str, Any]:
    return {"configs/export.yaml": digest(export_yaml), "trained model": digest(train_marker)}


def evaluate_inputs(args: RunOptions, eval_data: Path | None, markers: list[Path]) -> dict[str, Any]:
    return {"--eval-data": digest(eval_data), "--eval-mode": sorted(args.eval_mode), "--eval-limit": args.eval_limit,
            "model": [digest(m) for m in markers]}


def changed(stored: dict[str, Any] | None, now: dict[str, Any]) -> list[str]:
    """Names of the inputs that differ from the stored ones (None now = not given = no change); [] when the
    marker predates fingerprints."""
    if not stored:
        return []
    return [name for name, value in now.items() if value is not None and stored.get(name) != value]
