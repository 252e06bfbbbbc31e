"""docs/spec.md is the project's own copy of the rules contract; its worked examples are ea_plugin.examples'."""

from __future__ import annotations

import re
from pathlib import Path

from ea_plugin.examples import WORKED_EXAMPLES

SPEC = Path(__file__).resolve().parents[1] / "docs" / "spec.md"
_ROW = re.compile(r"^\| (?P<question>[^|]+?) \| (?P<chunk>.+?) \| (?P<label>对齐|不对齐) \| (?P<why>.+) \|$", re.M)


def _cell(text: str) -> str:
    """A table cell as the example's text: backticks and the ⏎ line-break notation written out."""
    return re.sub(r"\s*\(⏎ = a line break; cells apart by spaces\)", "", text).strip().strip("`")


def test_the_spec_page_lists_exactly_the_worked_examples_in_their_order():
    rows = list(_ROW.finditer(SPEC.read_text(encoding="utf-8")))
    assert len(rows) == len(WORKED_EXAMPLES)
    for row, example in zip(rows, WORKED_EXAMPLES, strict=True):
        assert _cell(row["question"]) == example.question
        assert row["label"] == example.label
        chunk = _cell(row["chunk"])
        if "⏎" in chunk:  # a table chunk: the page writes its line breaks as ⏎ and its cell gaps as spaces
            assert [p.split() for p in chunk.split("⏎")] == [line.split() for line in example.chunk.split("\n")]
        else:
            assert chunk == example.chunk
