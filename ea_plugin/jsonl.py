"""The one JSON Lines (and JSON) reader and writer of every package: one bad line is that line's problem alone.

Every file we read (``ea-judge filter`` and ``report``, ``training.convert``, ``label``, ``mine``, ``select``,
the label journal, the sample corpus) is read here, so all of them follow one policy:

- the file is read as bytes and split on ``b"\\n"`` only: U+2028, U+2029, U+0085 and a raw CR inside a string
  (all of which ``str.splitlines`` would split on) never split a record or shift later line numbers;
- a UTF-8 byte-order mark at the start of the file is dropped (it is not part of line 1);
- each line is decoded alone: bytes that are not UTF-8 reject that line (number and reason), not the file;
- raw control characters inside strings are accepted (``json.loads(strict=False)``);
- a line is rejected, with a category and a reason, when it is not JSON (``invalid_json``), holds a number out
  of range (an integer beyond 64 bits, a float that overflows a double, NaN or Infinity:
  ``number_out_of_range``), nests deeper than ``MAX_DEPTH`` (``too_deep``), holds a lone surrogate
  (``"\\ud800"``: not text, and not writable as UTF-8: ``lone_surrogate``), or repeats a key in one object
  (``{"question": "a", "question": "b"}``: which value is meant is unknown, ``duplicate_key``);
- a line longer than ``MAX_LINE_BYTES`` (a binary file read by mistake, a stream without newlines) is rejected
  as ``line_too_long`` while it is read, never held whole: its reject shows its first bytes and its length;
- whitespace-only lines are blank: skipped and counted, never records.

Line numbers count ``b"\\n"``-separated lines from 1; a final line without a newline is still a line.

Writing is strict JSON, one record a line: UTF-8 kept readable but U+2028/U+2029/U+0085 escaped (a reader that
splits on them still sees one record per line), NaN and Infinity written as ``null``, a lone surrogate in a
value we write (a server's answer, say) as U+FFFD, and what JSON has no type for (a plugin's set, numpy number
or object in a judgement's ``extra``) as the nearest plain value or its text, an integer out of range or nesting
deeper than the reader takes as a note saying so, so a write never fails half-way through a file and what is
written reads back.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import threading
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ea_plugin.errors import USAGE, EAPluginError

BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 200  # nesting levels of arrays/objects a record may have (json.dumps recurses per level)
INT_LIMIT = 2**64  # integers must lie in (-2**64, 2**64): what 64-bit signed and unsigned fields can hold
MAX_LINE_BYTES = 64 << 20  # the longest input line read as a record (a chunk of text is kilobytes)
_SHOWN_BYTES = 200  # how much of a line too long to read its reject shows

# Short keys for counting why a line was rejected (training.convert's categories use them too).
INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
LONE_SURROGATE = "lone_surrogate"
NUMBER_OUT_OF_RANGE = "number_out_of_range"
TOO_DEEP = "too_deep"
DUPLICATE_KEY = "duplicate_key"
LINE_TOO_LONG = "line_too_long"


class InputFileError(EAPluginError, ValueError):
    """An input file that cannot be read at all: missing, or a directory."""

    exit_status = USAGE


class JsonPolicyError(EAPluginError, ValueError):
    """A JSON text or value outside the policy above; ``category`` is one of the keys above."""

    def __init__(self, category: str, reason: str) -> None:
        super().__init__(reason)
        self.category = category
        self.reason = reason


@dataclass(frozen=True)
class JsonLine:
    """One non-blank line: its parsed value, or why it could not be read (``value`` is then None)."""

    number: int
    text: str  # the line as text (undecodable bytes shown as \\xNN escapes), for rejects files
    value: Any = None
    category: str | None = None  # one of the categories above when rejected
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def record(self) -> dict[str, Any] | None:
        """The value when it is a JSON object, else None."""
        return self.value if self.ok and isinstance(self.value, dict) else None

    @property
    def record_error(self) -> str | None:
        """Why the line is not a JSON object (unreadable, or another JSON type), or None."""
        if not self.ok:
            return self.error
        if not isinstance(self.value, dict):
            return f"not a JSON object ({type(self.value).__name__})"
        return None


@dataclass
class LineCounts:
    lines: int = 0  # every line of the file
    blank: int = 0  # whitespace-only lines, skipped


# -- reading ----------------------------------------------------------------------------------------------
class _BadNumber:
    """What the parser hooks return for a number outside the policy; ``problem`` finds it afterwards (so a
    JSON array file can reject that one record, not the whole file)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason
        _PARSE.bad_number = True  # this parse made a marker: the value must be walked


class _Repeated(dict):
    """What the parser makes of an object whose text repeats a key (``key``): found by ``problem`` afterwards."""

    __slots__ = ("key",)

    def __init__(self, value: dict[str, Any], key: str) -> None:
        super().__init__(value)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            break
        seen.add(key)
    _PARSE.bad_number = True  # a marker: the value must be walked
    return _Repeated(value, key)


_PARSE = threading.local()  # per thread: did the parse under way make a marker (_BadNumber, _Repeated)?


def _parse_int(text: str) -> int | _BadNumber:
    digits = len(text.lstrip("-"))
    if digits > 20:  # checked before converting: int() of a huge string is slow, and past 4,300 digits raises
        return _BadNumber(f"integer of {digits} digits is out of range (|n| < 2**64)")
    value = int(text)
    return value if -INT_LIMIT < value < INT_LIMIT else _BadNumber(f"integer {text} is out of range (|n| < 2**64)")


def _parse_float(text: str) -> float | _BadNumber:
    value = float(text)
    return value if math.isfinite(value) else _BadNumber(f"number {text[:40]} overflows a double")


def _parse_constant(name: str) -> _BadNumber:
    return _BadNumber(f"{name} is not a JSON number")


_SURROGATE = re.compile("[\ud800-\udfff]")
# Built once: json.loads with hooks would build a decoder (and its scanner) on every call.
_DECODER = json.JSONDecoder(strict=False, parse_int=_parse_int, parse_float=_parse_float,
                            parse_constant=_parse_constant, object_pairs_hook=_object)


def problem(value: Any) -> JsonPolicyError | None:
    """Why a parsed ``value`` is outside the policy (a bad number, too deep, a lone surrogate, a repeated key), or
    None.

    Walks the value with its own stack: a value nested thousands deep is measured, never recursed into.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if (bad := _SURROGATE.search(item)) is not None:
                shown = bad.group().encode("utf-8", "backslashreplace").decode("ascii")
                return JsonPolicyError(LONE_SURROGATE, f"record holds a lone surrogate {shown}: not valid Unicode")
        elif isinstance(item, dict | list):
            if isinstance(item, _Repeated):
                return JsonPolicyError(DUPLICATE_KEY, f"record repeats the key {item.key[:40]!r} in one object: "
                                                      "which value is meant is unclear")
            if depth >= MAX_DEPTH:
                return JsonPolicyError(TOO_DEEP, f"record is nested more than {MAX_DEPTH} levels deep")
            if isinstance(item, dict):
                stack += ((key, depth) for key in item)
                stack += ((child, depth + 1) for child in item.values())
            else:
                stack += ((child, depth + 1) for child in item)
        elif isinstance(item, _BadNumber):
            return JsonPolicyError(NUMBER_OUT_OF_RANGE, f"record holds a number out of range: {item.reason}")
        elif isinstance(item, float) and not math.isfinite(item):
            return JsonPolicyError(NUMBER_OUT_OF_RANGE, f"record holds a number out of range: {item}")
    return None


def loads_unchecked(text: str) -> Any:
    """``text`` parsed with the policy's number hooks, not yet checked (see ``problem``): a bad number comes
    back as a marker, so a caller can reject one item of an array. Raises JsonPolicyError for text that is
    not JSON (or nests too deeply for the parser itself)."""
    _PARSE.bad_number = False
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise JsonPolicyError(INVALID_JSON, f"invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise JsonPolicyError(TOO_DEEP, f"record is nested more than {MAX_DEPTH} levels deep") from exc


def _may_break_policy(text: str) -> bool:
    """False when the value just parsed from ``text`` cannot be outside the policy, so the walk is skipped: a
    lone surrogate needs a \\uD800-\\uDFFF escape (valid UTF-8 holds none raw), deep nesting needs brackets, and
    a bad number or a repeated key leaves a marker, which the parser hooks note."""
    return (_PARSE.bad_number or "\\ud" in text or "\\uD" in text
            or text.count("[") + text.count("{") >= MAX_DEPTH)


def loads(text: str) -> Any:
    """``text`` as a JSON value inside the policy; JsonPolicyError (with its category) otherwise."""
    value = loads_unchecked(text)
    if _may_break_policy(text) and (error := problem(value)) is not None:
        raise error
    return value


def parse_line(number: int, raw: bytes) -> JsonLine:
    """One line's bytes as a JsonLine (never raises)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = raw.decode("utf-8", "backslashreplace")
        return JsonLine(number, shown, category=INVALID_UTF8,
                        error=f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at position {exc.start} ({exc.reason})")
    try:
        value = loads(text)
    except JsonPolicyError as exc:
        return JsonLine(number, _writable(text), category=exc.category, error=exc.reason)
    return JsonLine(number, text, value)


@dataclass(frozen=True)
class _TooLong:
    """A line longer than MAX_LINE_BYTES: its first bytes and its length, never the whole of it."""

    head: bytes
    size: int


def _too_long_line(number: int, line: _TooLong) -> JsonLine:
    shown = line.head.decode("utf-8", "backslashreplace")
    return JsonLine(number, f"{shown}... ({line.size:,} bytes)", category=LINE_TOO_LONG,
                    error=f"line of {line.size:,} bytes is longer than a record may be ({MAX_LINE_BYTES:,} bytes): "
                          "is this a JSONL file?")


def split_lines(data: bytes) -> list[bytes]:
    """The lines of ``data`` (without their b"\\n"); a trailing newline ends the last line, it does not start
    one; a BOM at the start is dropped."""
    data = data.removeprefix(BOM)
    if not data:
        return []
    lines = data.split(b"\n")
    return lines[:-1] if lines[-1] == b"" else lines


def read_lines(data: bytes | Iterable[bytes], counts: LineCounts | None = None) -> Iterator[JsonLine]:
    """Every non-blank line of JSONL ``data`` (bytes, or a binary file) in order; ``counts`` (if given) learns
    the total and the blanks."""
    counts = counts if counts is not None else LineCounts()
    for number, raw in enumerate(_lines_of(data), start=1):
        counts.lines += 1
        if isinstance(raw, _TooLong):
            yield _too_long_line(number, raw)
        elif not raw.strip():
            counts.blank += 1
        else:
            yield parse_line(number, raw)


def _lines_of(data: bytes | Iterable[bytes]) -> Iterator[bytes | _TooLong]:
    """The lines of ``data`` without their b"\\n" (BOM dropped); a line past MAX_LINE_BYTES as a _TooLong."""
    for raw in _raw_lines(data):
        if isinstance(raw, _TooLong) or len(raw) <= MAX_LINE_BYTES:
            yield raw
        else:  # a line of bytes already in memory: rejected the same way
            yield _TooLong(raw[:_SHOWN_BYTES], len(raw))


def _raw_lines(data: bytes | Iterable[bytes]) -> Iterator[bytes | _TooLong]:
    if isinstance(data, bytes):
        yield from split_lines(data)
        return
    readline = getattr(data, "readline", None)
    first = True
    # A binary file iterates over b"\n"-terminated lines (nothing else splits it), read here at most
    # MAX_LINE_BYTES at a time so a line with no end is never held whole.
    for raw in _limited_lines(readline) if callable(readline) else data:
        if first and not isinstance(raw, _TooLong):
            raw, first = raw.removeprefix(BOM), False
            if not raw:  # the file was a BOM alone: no line at all (as split_lines counts it)
                return
        first = False
        yield raw if isinstance(raw, _TooLong) else raw[:-1] if raw.endswith(b"\n") else raw


def _limited_lines(readline: Any) -> Iterator[Any]:
    """A binary file's lines (with their b"\\n"), each read up to MAX_LINE_BYTES: the rest of a longer line is
    read in blocks and counted, never kept, and the line comes as a _TooLong."""
    while raw := readline(MAX_LINE_BYTES + 1):
        if len(raw) <= MAX_LINE_BYTES or raw.endswith(b"\n"):
            yield raw
            continue
        head, size = raw[:_SHOWN_BYTES], len(raw)
        while not raw.endswith(b"\n") and (raw := readline(1 << 20)):
            size += len(raw)
        yield _TooLong(head, size - raw.endswith(b"\n"))


def check_input(path: str | Path, what: str = "input") -> Path:
    """``path`` if it is a readable file, else InputFileError naming it."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{what} not found: {path}")
    if path.is_dir():
        raise InputFileError(f"{what} is a directory: {path}")
    return path


def read_file(path: str | Path, counts: LineCounts | None = None) -> Iterator[JsonLine]:
    """The lines of a JSONL file as they are read (the file is streamed, never loaded whole)."""
    path = check_input(path)

    def lines() -> Iterator[JsonLine]:
        with path.open("rb") as handle:
            yield from read_lines(handle, counts)

    return lines()


def text_lines(path: str | Path) -> Iterator[tuple[int, str | None, str | None]]:
    """(number, text or None, reason or None) of each non-blank line of a plain text file, split and decoded
    as JSONL lines are (b"\\n" only, BOM dropped, bad UTF-8 rejects its line)."""
    with check_input(path).open("rb") as handle:
        for number, raw in enumerate(_lines_of(handle), start=1):
            if isinstance(raw, _TooLong):
                yield number, None, _too_long_line(number, raw).error
                continue
            if not raw.strip():
                continue
            try:
                yield number, raw.decode("utf-8").strip(), None
            except UnicodeDecodeError as exc:
                yield number, None, f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at position {exc.start}"


def count_lines(path: str | Path) -> int | None:
    """How many lines ``path`` has (as ``read_lines`` counts them), without parsing any; None for a pipe or
    another file that can be read only once."""
    if not Path(path).is_file():
        return None
    count, last = 0, b"\n"
    with Path(path).open("rb") as handle:
        block = handle.read(1 << 20).removeprefix(BOM)  # a BOM is no line's content (a BOM alone: no line)
        while block:
            count += block.count(b"\n")
            last = block[-1:]
            block = handle.read(1 << 20)
    return count + (last != b"\n")


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


def read_journal(path: str | Path) -> Iterator[JsonLine]:
    """The readable entries of a journal this program appends to (a torn last line cut off first)."""
    for number, raw in enumerate(complete_lines(path), start=1):
        if raw.strip():
            yield parse_line(number, raw)


# -- writing ----------------------------------------------------------------------------------------------
# Line breaks to str.splitlines() (and so to many JSONL readers) that json.dumps(ensure_ascii=False) writes raw.
_RAW_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


_LONG_DIGITS = re.compile(r"\d{20}")  # an integer of 20+ digits may lie outside (-2**64, 2**64): look closer


def dumps(value: Any, indent: int | None = None) -> str:
    """``value`` as strict JSON text: NaN/Infinity as null, lone surrogates as U+FFFD, readable UTF-8 with the
    Unicode line breaks escaped."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent)
    except (ValueError, TypeError, RecursionError):  # NaN, a set, a numpy number, a tuple key, deep nesting
        text = json.dumps(_plain(value), ensure_ascii=False, allow_nan=False, indent=indent)
    else:
        # What this module's reader would reject (a 20-digit integer, nesting past MAX_DEPTH) is never written:
        # a rerun reads its own output back (filter's resume, label's journal) and must not lose a row there.
        if _LONG_DIGITS.search(text) or text.count("[") + text.count("{") >= MAX_DEPTH:
            text = json.dumps(_plain(value), ensure_ascii=False, allow_nan=False, indent=indent)
    for raw, escaped in _RAW_BREAKS.items():
        text = text.replace(raw, escaped)  # outside strings JSON has no such characters: only strings change
    return _writable(text)


def dumps_line(value: Any) -> str:
    """``value`` as one JSONL line (with its newline)."""
    return dumps(value) + "\n"


def _writable(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def _plain(value: Any, depth: int = 0) -> Any:
    """``value`` as data strict JSON can hold, so a write never fails: NaN and Infinity as null, a tuple or set as
    a list, a numpy value as its Python value, any other object (and any key but a string or number) as its
    text, and whatever nests deeper than MAX_DEPTH as a note saying so."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int) and not isinstance(value, bool) and not -INT_LIMIT < value < INT_LIMIT:
        return f"<integer of {value.bit_length()} bits: out of range>"  # str() fails past 4,300 digits
    if value is None or isinstance(value, str | int):
        return value
    if depth >= MAX_DEPTH:  # named, never shown: its repr would recurse as deep as it nests
        return f"<{type(value).__name__} nested more than {MAX_DEPTH} levels deep>"
    if isinstance(value, dict):
        return {k if isinstance(k, str | int | float) or k is None else str(k): _plain(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return [_plain(v, depth + 1) for v in sorted(value, key=repr)]
    tolist = getattr(value, "tolist", None)  # a numpy scalar or array
    if callable(tolist):
        try:
            return _plain(tolist(), depth + 1)
        except Exception:  # noqa: BLE001 - not numpy's after all: its text below
            pass
    return str(value)


def make_folder(folder: str | Path) -> None:
    """``folder`` and its parents made where missing; a file in the way is NotADirectoryError naming it (mkdir
    would say "File exists", which reads as if the folder were fine)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        blocking = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), folder)
        raise NotADirectoryError(errno.ENOTDIR, "not a folder (a file is in the way)", str(blocking)) from exc


def write_jsonl(path: str | Path, rows: Iterable[Any]) -> int:
    """Write ``rows`` as a JSONL file (its folder made if needed); returns how many."""
    path = Path(path)
    make_folder(path.parent)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(dumps_line(row))
            count += 1
    return count


def write_json(path: str | Path, value: Any, indent: int | None = 1) -> None:
    """Write ``value`` as one (indented) JSON file, its folder made if needed."""
    path = Path(path)
    make_folder(path.parent)
    path.write_text(dumps(value, indent) + "\n", encoding="utf-8")


def read_json(path: str | Path) -> Any:
    """One JSON file we wrote (settings, stats) read with the same policy; JsonPolicyError when it is not."""
    data = check_input(path).read_bytes().removeprefix(BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonPolicyError(INVALID_UTF8, f"{path}: not valid UTF-8 ({exc.reason})") from exc
    return loads(text)


def __getattr__(name: str) -> Any:
    if name == "Line":  # the old name, before training.records' unrelated Line class got a name of its own too
        warnings.warn("ea_plugin.jsonl.Line is now JsonLine", DeprecationWarning, stacklevel=2)
        return JsonLine
    raise AttributeError(name)
