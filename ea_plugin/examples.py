"""The worked examples of spec/alignment-rules.md (v3), defined once: `ea-judge examples` and the tests use them.

They are data, kept in ``ea_plugin/data/worked_examples.jsonl`` (one ``{question, chunk, label, why}`` a line, in
the order docs/spec.md lists them; spec v3's forms from the ``安川A1000`` line on) and read here, checked, once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from importlib import resources

from ea_plugin.jsonl import read_lines
from ea_plugin.prompts import ALIGNED, UNALIGNED

DATA = "data/worked_examples.jsonl"


@dataclass(frozen=True)
class WorkedExample:
    question: str
    chunk: str
    label: str
    why: str


def _load() -> tuple[WorkedExample, ...]:
    names = [f.name for f in fields(WorkedExample)]
    examples = []
    for line in read_lines(resources.files("ea_plugin").joinpath(DATA).read_bytes()):
        record = line.record
        if (record is None or sorted(record) != sorted(names) or not all(isinstance(v, str) for v in record.values())
                or record["label"] not in (ALIGNED, UNALIGNED)):
            raise ValueError(f"ea_plugin/{DATA}:{line.number}: not a worked example {names} with label "
                             f"{ALIGNED} or {UNALIGNED}: {line.text[:80]}")
        examples.append(WorkedExample(**record))
    return tuple(examples)


WORKED_EXAMPLES: tuple[WorkedExample, ...] = _load()
