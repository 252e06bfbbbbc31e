"""`ea-judge report`: a JSONL of retrievals (with bad lines) -> report.json, report.md, PNG plots, rejects."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ea_plugin.cli import main
from integrations.report import REJECTS, REPORT_JSON, REPORT_MD
from integrations.report_plots import COMPARE, DISTRIBUTION, PRECISION_BY_RANK
from integrations.retrieval_metric import STATUS_FAILED, STATUS_OFF_ENTITY
from tests.eval_support import TIMEOUT_MARK, flaky_backend

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GOOD = [
    {"question": "sv660n出现e100故障怎么办？",
     "contexts": ["sv660系列e100.1故障表示过电流。",
                  {"text": "md500变频器e100故障表示加速过电流。", "id": "md500-e100"},
                  {"text": "sv660n报e101故障时，检查参数设置。", "id": "sv660n-e101", "score": 0.5}]},
    {"question": "伺服驱动器怎么调增益？", "contexts": ["sv660n增益调整步骤如下。"]},
]
BAD_LINES = {
    "not json {": "invalid JSON",
    '["a list"]': "not a JSON object",
    '{"contexts": ["x"]}': "non-empty string 'question'",
    '{"question": "q", "contexts": "one string"}': "'contexts': a list",
    '{"question": "q", "contexts": [{"id": "no-text"}]}': "string 'text'",
    '{"question": "q", "contexts": [], "expected_ids": "a"}': "'expected_ids', where given, must be a list",
    b'{"question": "\xff", "contexts": []}'.decode("latin-1"): "UTF-8",
}


def write_jsonl(path: Path, lines: list[str]) -> Path:
    # latin-1 lines stand for raw bytes that are not UTF-8
    data = b"\n".join(line.encode("latin-1") if "\xff" in line else line.encode("utf-8") for line in lines)
    path.write_bytes(data + b"\n")
    return path


@pytest.fixture
def retrieved(tmp_path: Path) -> Path:
    lines = [json.dumps(GOOD[0], ensure_ascii=False), *BAD_LINES, "", json.dumps(GOOD[1], ensure_ascii=False)]
    return write_jsonl(tmp_path / "retrieved.jsonl", lines)


def test_report_writes_json_markdown_plots_and_rejects_every_bad_line(retrieved, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(retrieved), "-o", str(out), "--quiet"]) == 0
    report = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))
    assert report["backend"] == "rules" and report["rejected_lines"] == len(BAD_LINES)
    assert [q["line"] for q in report["questions"]] == [1, 2 + len(BAD_LINES) + 1]
    summary = report["summary"]
    assert summary["questions"] == 2 and summary["counts"][STATUS_OFF_ENTITY] == 2
    assert summary["precision_at"] == {"1": 1.0, "3": pytest.approx((1 / 3 + 1) / 2), "5": pytest.approx(2 / 3),
                                       "10": pytest.approx(2 / 3)}
    assert summary["off_entity_share_at"]["1"] == 0.0 and summary["off_entity_share_at"]["3"] == 0.5
    assert report["questions"][0]["chunks"][1]["id"] == "md500-e100"
    rejects = [json.loads(line) for line in (out / REJECTS).read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rejects] == list(range(2, 2 + len(BAD_LINES)))
    for reject, expected in zip(rejects, BAD_LINES.values(), strict=True):
        assert expected in reject["reason"] and reject["file"] == str(retrieved)
    markdown = (out / REPORT_MD).read_text(encoding="utf-8")
    assert "| 3 | 0.667 | 0.500 |" in markdown  # precision@3 and the off-entity share at 3
    assert "### 1. sv660n出现e100故障怎么办？" in markdown
    assert "| 2 | md500-e100 | 产品不同" in markdown and "| 3 | sv660n-e101 | 故障码不同" in markdown
    for name in (PRECISION_BY_RANK, DISTRIBUTION):
        assert (out / name).read_bytes().startswith(PNG_MAGIC)
        assert f"({name})" in markdown
    assert f"2 questions, {len(BAD_LINES)} rejected lines" in capsys.readouterr().err


def test_compare_reports_before_and_after_the_filter(retrieved, tmp_path):
    expected = ["md500-e100", "sv660n-e101"]  # two chunks the filter drops, as if they answered the question
    retrieved.write_bytes(retrieved.read_bytes().replace(
        b'"contexts"', f'"expected_ids": {json.dumps(expected)}, "contexts"'.encode(), 1))
    filtered = write_jsonl(tmp_path / "filtered.jsonl", [json.dumps(
        {"question": GOOD[0]["question"], "contexts": GOOD[0]["contexts"][:1], "expected_ids": expected},
        ensure_ascii=False)])
    out = tmp_path / "report"
    assert main(["report", str(retrieved), "-o", str(out), "--compare", str(filtered), "--quiet", "--k", "1", "3"]) == 0
    report = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))
    assert report["compare"]["summary"]["precision_at"] == {"1": 1.0, "3": 1.0}
    markdown = (out / REPORT_MD).read_text(encoding="utf-8")
    assert "| 3 | 0.667 | 1.000 | 0.500 | 0.000 |" in markdown
    assert "| sv660n出现e100故障怎么办？ | 3 → 1 | 2 → 0 | 0.333 → 1.000 | 2 → 0 |" in markdown
    assert "| 伺服驱动器怎么调增益？ | 1 → (missing) | | | |" in markdown
    assert "Expected chunks retrieved: 2 of 2 (after the filter: 0 of 2)." in markdown
    assert report["expected_found"] == [2, 2] and report["compare"]["expected_found"] == [0, 2]
    assert report["questions"][0]["expected_ids"] == expected and report["questions"][1]["expected_found"] is None
    assert (out / COMPARE).read_bytes().startswith(PNG_MAGIC)


def test_judge_failures_are_counted_apart_in_the_report(tmp_path):
    record = {"question": "sv660n出现e100故障怎么办？",
              "contexts": ["sv660系列e100.1故障表示过电流。", f"{TIMEOUT_MARK}sv660n e100", "md500变频器e100故障。"]}
    source = write_jsonl(tmp_path / "r.jsonl", [json.dumps(record, ensure_ascii=False)])
    out = tmp_path / "report"
    with flaky_backend() as backend:
        assert main(["report", str(source), "-o", str(out), "--quiet", "--backend", backend]) == 0
    report = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))
    assert report["summary"]["counts"][STATUS_FAILED] == 1 and report["summary"]["questions_with_failures"] == 1
    assert report["summary"]["precision"] == 0.5
    assert report["questions"][0]["chunks"][1]["error"] == "timeout: no answer in 30 s"
    assert "Questions with judge failures: 1." in (out / REPORT_MD).read_text(encoding="utf-8")


def test_a_dead_judge_leaves_precision_undefined_not_zero_or_one(integration_backends, retrieved, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(retrieved), "-o", str(out), "--quiet", "--backend", "broken"]) == 1  # and says so
    assert "ea-judge report: warning: 4 of 4 judgements failed" in capsys.readouterr().err
    summary = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))["summary"]
    assert summary["counts"][STATUS_FAILED] == 4 and summary["precision"] is None
    assert "| 1 | n/a | n/a |" in (out / REPORT_MD).read_text(encoding="utf-8")


def test_a_missing_input_file_is_an_error_message(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "r"), "--quiet"]) == 2
    assert "ea-judge report: error:" in capsys.readouterr().err


def test_without_matplotlib_the_report_is_written_and_says_how_to_get_the_plots(retrieved, tmp_path, capsys,
                                                                                 monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the [report] extra were not installed
    out = tmp_path / "report"
    assert main(["report", str(retrieved), "-o", str(out), "--quiet"]) == 0
    report = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))
    assert report["summary"]["questions"] == 2 and 'pip install "ea-plugin[report]"' in report["plots_left_out"]
    assert 'pip install "ea-plugin[report]"' in (out / REPORT_MD).read_text(encoding="utf-8")
    assert not list(out.glob("*.png"))
    assert 'ea-judge report: Plots left out: matplotlib is not installed' in capsys.readouterr().err


def test_questions_and_chunks_show_in_report_md_as_text_never_as_markdown(tmp_path):
    # Before: a question's newline started a heading of its own (item 14), ``` fenced the rest of the report
    # as code, and <script> went out as raw HTML.
    questions = ["sv660n报e100\n## injected", "```\nsv660n e100", "<script>x()</script> sv660n e100",
                 "sv660n e100 [a](javascript:x) | cell"]
    source = tmp_path / "retrieved.jsonl"
    source.write_text("".join(json.dumps({"question": q, "contexts": ["md500的e100故障\n# c | x", "sv660n e100"]},
                                         ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    assert main(["report", str(source), "-o", str(tmp_path / "r"), "--quiet", "--worst", "10"]) == 0
    markdown = (tmp_path / "r" / REPORT_MD).read_text(encoding="utf-8")
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert [h for h in headings if h.startswith("### ")] == [
        "### 1. sv660n报e100 \\#\\# injected", "### 2. \\`\\`\\` sv660n e100",
        "### 3. \\<script\\>x()\\</script\\> sv660n e100", "### 4. sv660n e100 \\[a\\](javascript:x) \\| cell"]
    assert len(headings) == 4 + len([h for h in headings if not h.startswith("### ")]) and "# c" not in headings
    assert "<script>" not in markdown and "```" not in markdown
