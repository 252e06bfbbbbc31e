"""The worked example of docs/evaluation.md, rerun: sample questions through the demo's LlamaIndex retriever,
with and without EntityAlignmentPostprocessor, reported by the rules backend; that page shows exactly these
figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("llama_index.core", reason="needs the [llamaindex] extra")

from ea_plugin import load_judge
from integrations.report import REJECTS, JudgedFile, judge_file, overview
from integrations.retrieval_metric import DEFAULT_KS
from integrations.retrieve import main as retrieve_main

PAGE = Path(__file__).resolve().parents[1] / "docs" / "evaluation.md"
BLOCK = re.compile(r"<!-- worked-example:start[^\n]*-->\n(.*?)\n<!-- worked-example:end -->", re.S)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[JudgedFile, JudgedFile, Path]:
    tmp_path = tmp_path_factory.mktemp("worked-example")
    return (*run_example(tmp_path), tmp_path)


def run_example(tmp_path: Path) -> tuple[JudgedFile, JudgedFile]:
    retrieved, filtered = tmp_path / "retrieved.jsonl", tmp_path / "filtered.jsonl"
    assert retrieve_main(["-o", str(retrieved)]) == 0
    assert retrieve_main(["-o", str(filtered), "--filter"]) == 0
    judge = load_judge("rules", mode="think")  # as ea-judge report builds it for the rules backend
    with (tmp_path / REJECTS).open("w", encoding="utf-8") as rejects:
        return judge_file(judge, retrieved, rejects, quiet=True), judge_file(judge, filtered, rejects, quiet=True)


def test_readme_worked_example_shows_the_figures_of_a_fresh_run(example):
    before, after, _ = example
    match = BLOCK.search(PAGE.read_text(encoding="utf-8"))
    assert match, "docs/evaluation.md lacks the worked-example block"
    assert match.group(1) == overview(before, after, DEFAULT_KS)


def test_worked_example_retrieval_has_near_misses_and_the_filter_keeps_every_expected_chunk(example):
    before, after, tmp_path = example
    assert before.rejected == after.rejected == 0 and len(before.results) == 12
    assert all(len(r.chunks) == 10 for r in before.results)
    assert sum(bool(r.off_entity(3)) for r in before.results) >= 6  # the problem the example shows
    assert before.expected_total() == after.expected_total()  # nothing relevant lost
    records = [json.loads(line) for line in (tmp_path / "filtered.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(c["id"] and c["text"] for r in records for c in r["contexts"])


def test_retrieve_names_a_bad_questions_line_and_writes_nothing(tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "sv660n报e100"}\n{"question": "x", "expected_ids": "sv660n-e100"}\n',
                         encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert retrieve_main(["-o", str(out), "--questions", str(questions)]) == 1
    assert f"{questions}:2: 'expected_ids' must be a list of strings" in capsys.readouterr().err
    assert not out.exists()
