"""JSONL in and out for the data tools (mine, label, select): numbered records, rejects with reasons.

Every input line ends up as a record or a rejection naming its line, so each tool's counts reconcile.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ea_plugin.errors import EAPluginError


class DataFileError(EAPluginError, ValueError):
    """An input file that cannot be read at all (missing, or a required option does not fit it)."""


@dataclass(frozen=True)
class Line:
    """One non-empty input line: its number and the JSON object on it, or why it was refused."""

    source: str  # file name
    number: int
    record: dict[str, Any] | None
    error: str | None = None

    def reject(self, reason: str | None = None) -> dict[str, Any]:
        return {"source": self.source, "line": self.number, "reason": reason or self.error, "record": self.record}


def read_jsonl(path: str | Path) -> Iterator[Line]:
    """Every non-empty line of a JSONL file; a line that is not a JSON object comes back with its error."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"file not found: {path}")
    with path.open(encoding="utf-8-sig") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Line(path.name, number, None, f"invalid JSON: {exc.msg}")
                continue
            if isinstance(value, dict):
                yield Line(path.name, number, value)
            else:
                yield Line(path.name, number, None, f"not a JSON object ({type(value).__name__})")


def text_field(record: dict[str, Any], name: str) -> str | None:
    """``record[name]`` when it is a non-empty string, else None."""
    value = record.get(name)
    return value if isinstance(value, str) and value.strip() else None


def number_field(record: dict[str, Any], name: str) -> float | None:
    """``record[name]`` as a float when it is a number (not a bool), else None."""
    value = record.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_json(path: str | Path, value: Any) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def pair_key(question: str, chunk: str) -> tuple[str, str]:
    """Two pairs with the same key are duplicates: NFKC, case and whitespace ignored."""
    return _normal(question), _normal(chunk)


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def run_tool(work: Callable[[], Mapping[str, Any]]) -> int:
    """A data tool's exit: its counts on stderr (0), or the named error that stopped it (1)."""
    try:
        stats = work()
    except (DataFileError, ValueError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(" ".join(f"{k}={v}" for k, v in stats.items()), file=sys.stderr)
    return 0
