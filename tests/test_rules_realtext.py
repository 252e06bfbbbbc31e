"""The rules backend on the realtext probe set (tests/data/realtext): real manual-like chunks from tables of
vendors the dev set does not use, and the dev set's own rows that it skips (digits, terminals and product names
in descriptions). Labelled by construction from spec v2 (scripts/build_realtext.py); the floors below are what the
backend reached when they were set (README.md there gives the breakdown), so a regression fails here.
"""

from __future__ import annotations

import json

import pytest

from devtools.devsets.devset_report import describe, run
from devtools.devsets.realtext import DATA
from ea_plugin import ALIGNED, UNALIGNED, load_judge
from tests.dataset_checks import read_records, rebuild

ACCURACY_FLOOR = 0.99  # measured 1.0000 on 907 pairs after fixes 1-4 of README.md (0.9361 before any), less 1%
ALIGNED_DROPPED_CEILING = 0.01  # measured 0.0000


def _records() -> list[dict]:
    return read_records(DATA / "realtext.jsonl")


def test_regenerating_the_realtext_set_gives_the_committed_file_byte_for_byte(tmp_path):
    rebuild("build_realtext.py", tmp_path)
    assert (tmp_path / "realtext.jsonl").read_bytes() == (DATA / "realtext.jsonl").read_bytes()


def test_realtext_pairs_are_traceable_and_five_of_their_tables_are_new_vendors():
    records = _records()
    new = {p["id"]: p for p in json.loads((DATA / "sources" / "provenance.json").read_text("utf-8"))}
    devset = {p["id"] for p in json.loads((DATA.parent / "devset" / "sources" / "provenance.json").read_text("utf-8"))}
    sources = {ref.split(":")[0] for r in records for ref in [r["source"], *r["chunk_source"].split("+")]}
    assert sources <= set(new) | devset
    assert len(set(new) & sources) >= 5 and not set(new) & devset
    for source in new:
        assert {"repo", "path", "commit", "vendor", "licence", "rows"} <= set(new[source])
    assert {r["label"] for r in records} == {ALIGNED, UNALIGNED} and 500 <= len(records) <= 1500
    assert len({(r["question"], r["chunk"]) for r in records}) == len(records)


@pytest.fixture(scope="module")
def result():
    return run(load_judge("rules"), "realtext", DATA)


def test_rules_backend_keeps_its_realtext_accuracy_and_drops_almost_no_aligned_pair(result):
    assert result.accuracy >= ACCURACY_FLOOR, describe(result)
    assert result.aligned_dropped <= ALIGNED_DROPPED_CEILING, describe(result)
