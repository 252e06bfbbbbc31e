"""Nothing overwrites its inputs: the one check every command makes before it writes.

A command passes every file it reads and every file it will write (siblings included: ``training.convert``
writes ``train_val.json`` beside ``train.json``, ``ea-judge report`` writes ``rejects.jsonl`` into its folder);
an output that is an input, by path, through a symlink or as a hard link, is refused whatever the flags
(``--overwrite`` replaces earlier outputs, never inputs).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ea_plugin.errors import USAGE, EAPluginError


class OverwriteError(EAPluginError, ValueError):
    """An output path that is one of the command's inputs."""

    exit_status = USAGE

    def __init__(self, output: Path, source: Path) -> None:
        shown = str(output) if str(output) == str(source) else f"{output} (the same file as {source})"
        super().__init__(f"output {shown} would overwrite the input {source}: write the output elsewhere")
        self.output = output
        self.source = source


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether writing ``a`` would write ``b``: the same path after symlinks, or the same inode (a hard link)."""
    a, b = Path(a), Path(b)
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:  # one of them does not exist (yet): compare where they point
        pass
    return a.resolve() == b.resolve()


def refuse_overwrite(inputs: Iterable[str | Path | None], outputs: Iterable[str | Path | None]) -> None:
    """OverwriteError for the first output that is an input (None entries are ignored)."""
    sources = [Path(p) for p in inputs if p is not None]
    for output in (Path(p) for p in outputs if p is not None):
        for source in sources:
            if same_file(output, source):
                raise OverwriteError(output, source)
