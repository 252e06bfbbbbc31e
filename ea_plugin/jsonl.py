"""Reading JSON Lines robustly: one bad line is that line's problem alone.

Used by ``ea-judge filter`` and ``training.convert``, so both read a file the same way:

- the file is read as bytes and split on ``b"\\n"`` only: U+2028, U+2029, U+0085 and a raw CR inside a string
  (all of which ``str.splitlines`` would split on) never split a record or shift later line numbers;
- a UTF-8 byte-order mark at the start of the file is dropped (it is not part of line 1);
- each line is decoded alone: bytes that are not UTF-8 reject that line (number and reason), not the file;
- raw control characters inside strings are accepted (``json.loads(strict=False)``);
- a record holding a lone surrogate (``"\\ud800"``) is rejected: it is not text, and could not be written out
  as UTF-8 (the judge, the output file and the training data all need real text);
- whitespace-only lines are blank: skipped and counted, never records.

Line numbers count ``b"\\n"``-separated lines from 1; a final line without a newline is still a line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BOM = b"\xef\xbb\xbf"

# Short keys for counting why a line was rejected (training.convert's categories use them too).
INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
LONE_SURROGATE = "lone_surrogate"


@dataclass(frozen=True)
class Line:
    """One non-blank line: its parsed value, or why it could not be read (``value`` is then None)."""

    number: int
    text: str  # the line as text (undecodable bytes shown as \\xNN escapes), for rejects files
    value: Any = None
    category: str | None = None  # INVALID_UTF8, INVALID_JSON or LONE_SURROGATE when rejected
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class LineCounts:
    lines: int = 0  # every line of the file
    blank: int = 0  # whitespace-only lines, skipped


# Line breaks to str.splitlines() (and so to many JSONL readers) that json.dumps(ensure_ascii=False) writes raw.
_RAW_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


def dumps_line(value: Any) -> str:
    """``value`` as one JSONL line (with its newline): UTF-8 text kept readable, but the Unicode line breaks
    escaped, so a reader that splits on them still sees one record per line."""
    text = json.dumps(value, ensure_ascii=False)
    for raw, escaped in _RAW_BREAKS.items():
        text = text.replace(raw, escaped)  # outside strings JSON has no such characters: only strings change
    return text + "\n"


def split_lines(data: bytes) -> list[bytes]:
    """The file's lines (without their b"\\n"); a trailing newline ends the last line, it does not start one."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if not data:
        return []
    lines = data.split(b"\n")
    return lines[:-1] if lines[-1] == b"" else lines


def not_text(value: Any) -> str | None:
    """Why ``value`` cannot be written as UTF-8 JSON (a lone surrogate in some string), or None."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        return f"holds a lone surrogate {bad.encode('utf-8', 'backslashreplace').decode('ascii')}: not valid Unicode"
    return None


def parse_line(number: int, raw: bytes) -> Line:
    """One line's bytes as a Line (never raises)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = raw.decode("utf-8", "backslashreplace")
        return Line(number, shown, category=INVALID_UTF8,
                    error=f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at position {exc.start} ({exc.reason})")
    try:
        value = json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        return Line(number, text, category=INVALID_JSON, error=f"invalid JSON: {exc}")
    except RecursionError:
        return Line(number, text, category=INVALID_JSON, error="invalid JSON: nested too deeply")
    problem = not_text(value)
    if problem:
        return Line(number, text, category=LONE_SURROGATE, error=f"record {problem}")
    return Line(number, text, value)


def read_lines(data: bytes, counts: LineCounts | None = None) -> Iterator[Line]:
    """Every non-blank line of JSONL ``data``, in order; ``counts`` (if given) learns the total and the blanks."""
    counts = counts if counts is not None else LineCounts()
    for number, raw in enumerate(split_lines(data), start=1):
        counts.lines += 1
        if not raw.strip():
            counts.blank += 1
            continue
        yield parse_line(number, raw)


def read_file(path: str | Path, counts: LineCounts | None = None) -> Iterator[Line]:
    return read_lines(Path(path).read_bytes(), counts)


def complete_lines(path: str | Path) -> list[bytes]:
    """The complete lines of a JSONL file this program appends to, after cutting off a torn last line.

    A run killed while writing can leave a last line without its newline. That line is removed from the file
    (truncated to the end of the last complete line) so the next append starts on a fresh line; the record it
    held was not finished, so it is done again.
    """
    path = Path(path)
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1  # 0 when there is no complete line at all
    if end < len(data):
        with path.open("r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
    return split_lines(data[:end])
