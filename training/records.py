"""Records for the data tools (mine, label, select): fields, duplicate keys, rejects with reasons.

Files are read and written by ``ea_plugin.jsonl`` (the one JSONL reader and writer); every input line ends up
as a record or a rejection naming its file and line, so each tool's counts reconcile.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from ea_plugin.errors import EAPluginError
from ea_plugin.jsonl import JsonLine


class DataFileError(EAPluginError, ValueError):
    """An input file that cannot be read at all (missing, or a required option does not fit it)."""


def reject(path: str | Path, line: JsonLine, reason: str | None = None) -> dict[str, Any]:
    """The rejects-file row of ``line`` of ``path``: file name, line number, reason, and the record (None where
    the line was not a JSON object)."""
    return {"source": Path(path).name, "line": line.number, "reason": reason or line.record_error,
            "record": line.record}


def text_field(record: dict[str, Any], name: str) -> str | None:
    """``record[name]`` when it is a non-empty string, else None."""
    value = record.get(name)
    return value if isinstance(value, str) and value.strip() else None


def number_field(record: dict[str, Any], name: str) -> float | None:
    """``record[name]`` as a float when it is a number (not a bool), else None."""
    value = record.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def pair_key(question: str, chunk: str) -> tuple[str, str]:
    """Two pairs with the same key are duplicates: NFKC, case and whitespace ignored."""
    return _normal(question), _normal(chunk)


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
