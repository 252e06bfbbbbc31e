"""Reading the teacher's output: every input record becomes an Example or a Rejection with its reason.

A record is ``{"question", "chunk", "llm_analysis"}`` (optionally ``kind``), in a JSON array or JSONL
file. Its label is read from ``<label>…</label>``; step 3 of the analysis and, in merge mode, the file
it came from must say the same, otherwise the record is rejected rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ea_plugin.errors import USAGE, EAPluginError
from ea_plugin.jsonl import (
    BOM,
    INVALID_JSON,
    JsonPolicyError,
    LineCounts,
    dumps,
    loads_unchecked,
    parse_line,
    problem,
    read_lines,
)
from ea_plugin.prompts import LABELS, label_tags, step3_label, strip_label_tags


class TeacherFileError(EAPluginError, ValueError):
    """A teacher file that cannot be read at all (missing, or neither a JSON array nor JSONL)."""

    exit_status = USAGE


@dataclass(frozen=True)
class Example:
    """One validated teacher record."""

    id: str  # "<file name>#<index>": where the record came from
    question: str
    chunk: str
    label: str
    analysis: str  # the four steps, without the <label> tag
    kind: str | None = None
    record: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the input as read


@dataclass(frozen=True)
class Rejection:
    id: str
    category: str  # short key for counting: missing_tag, step3_conflict, duplicate, ...
    reason: str  # the full sentence for the rejects file
    record: Any  # the input as read (or the raw line where it was not JSON)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "reason": self.reason, "record": self.record}


@dataclass(frozen=True)
class RawRecord:
    id: str
    value: Any  # parsed JSON value, or the raw text where reading failed
    parse_error: str | None = None
    category: str = INVALID_JSON  # the rejection category when parse_error is set


def read_records(path: str | Path, counts: LineCounts | None = None, name: str | None = None) -> list[RawRecord]:
    """All records of a file, in order: a JSON array, one (pretty-printed) JSON object, or JSONL.

    JSONL is read by ``ea_plugin.jsonl``: split on b"\\n" only, each line decoded alone, so a line of bad
    bytes or bad JSON is kept as a RawRecord with its reason and the other lines still count. ``counts``
    learns the lines and blank lines of a JSONL file. Record ids start with ``name`` (default: the file's name).
    """
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise TeacherFileError(f"teacher file not found: {path}")
    data = path.read_bytes()
    whole = _whole_file(path, data, name)
    if whole is not None:
        return whole
    return [RawRecord(f"{name}:{line.number}", line.value) if line.ok
            else RawRecord(f"{name}:{line.number}", line.text, line.error, line.category or INVALID_JSON)
            for line in read_lines(data, counts)]


def _whole_file(path: Path, data: bytes, name: str) -> list[RawRecord] | None:
    """The records of a file that is one JSON value (an array of records, or one object); None for JSONL."""
    body = data.removeprefix(BOM)
    start = body.lstrip()[:1]
    if start not in (b"[", b"{"):
        return None
    try:
        value = loads_unchecked(body.decode("utf-8"))
    except (UnicodeDecodeError, JsonPolicyError) as exc:
        # A broken array is the file's problem; "{" lines that do not make one object are JSONL records.
        if start == b"[" and not parse_line(1, body.lstrip().split(b"\n", 1)[0]).ok:
            raise TeacherFileError(f"{path}: not a valid JSON array ({exc})") from exc
        return None
    values = value if isinstance(value, list) else [value]
    records = []
    for index, item in enumerate(values):
        record_id = f"{name}#{index}"
        error = problem(item)
        # A record outside the JSON policy is kept as (strict, escaped) JSON text, so the rejects file can
        # still be written; one bad record never refuses the file.
        records.append(RawRecord(record_id, _shown(item), error.reason, error.category) if error
                       else RawRecord(record_id, item))
    return records


def _shown(item: Any) -> str:
    """A record outside the policy as text for the rejects file (too deep to write as JSON: a repr, cut)."""
    try:
        return dumps(item)[:2000]
    except (RecursionError, ValueError, TypeError):  # a bad number's marker, or nesting too deep to write
        return "(record not shown: it cannot be written as JSON)"


def validate(raw: RawRecord, file_label: str | None = None) -> Example | Rejection:
    """Turn one raw record into an Example, or say exactly why not."""
    if raw.parse_error:
        return Rejection(raw.id, raw.category, raw.parse_error, raw.value)
    record = raw.value
    if not isinstance(record, dict):
        return Rejection(raw.id, "not_an_object", f"not a JSON object ({type(record).__name__})", record)
    for key in ("question", "chunk", "llm_analysis"):
        value = record.get(key)
        if not isinstance(value, str) or not value.strip():
            return Rejection(raw.id, "missing_field", f"missing or empty field: {key}", record)
    analysis = record["llm_analysis"]
    tags = label_tags(analysis)
    if not tags:
        return Rejection(raw.id, "missing_tag", "missing <label> tag", record)
    if len(set(tags)) > 1:
        return Rejection(raw.id, "conflicting_tags", f"conflicting <label> tags: {sorted(set(tags))}", record)
    label = tags[0]
    if label not in LABELS:
        return Rejection(raw.id, "unknown_label", f"unknown label in <label> tag: {label!r}", record)
    step3 = step3_label(analysis)
    if step3 is None:
        return Rejection(raw.id, "no_step3", "step 3 (判断实体是否对齐) missing or unreadable", record)
    if step3 != label:
        return Rejection(raw.id, "step3_conflict", f"step 3 says {step3}, <label> says {label}", record)
    if file_label is not None and file_label != label:
        reason = f"record is in the {file_label} file but its <label> says {label}"
        return Rejection(raw.id, "wrong_file", reason, record)
    kind = record.get("kind")
    return Example(
        id=raw.id,
        question=record["question"],
        chunk=record["chunk"],
        label=label,
        analysis=strip_label_tags(analysis),
        kind=kind if isinstance(kind, str) else None,
        record=record,
    )
