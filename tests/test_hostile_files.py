"""Hostile files for every reader (issue 24 items 5-7, 10, 11, 15, 17; issue 23 part 1).

One corpus of hostile lines (a 5,000-digit integer, NaN, nesting 988 and 20,000 deep, lone surrogates, bad UTF-8,
a torn record) is put beside good records (a raw CR, U+2028, U+2029 and U+0085 inside strings, a BOM, a last
line without its newline) and handed to every reader: ``ea-judge filter`` and ``report``, ``training.convert``,
``label``, ``mine``, ``select`` and the sample-corpus loader. Each hostile line is rejected with its named reason,
each good record comes through, nothing raises and no file is refused for one line. Hypothesis digs further
where it fits; ``EA_FUZZ_EXAMPLES`` sets how deep (few examples by default, so CI stays quick).
"""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ea_plugin import jsonl
from ea_plugin.cli import main as judge_main
from ea_plugin.filter_file import FilterPaths, filter_file, take_out_failed
from ea_plugin.judge import AlignmentJudge, load_judge
from ea_plugin.prompts import ALIGNED, format_analysis
from integrations.corpus import CorpusError, load_chunks
from integrations.report import REJECTS, REPORT_JSON
from training.convert import ConvertOptions, Source, convert
from training.convert import main as convert_main
from training.evaluate import main as evaluate_main
from training.label import main as label_main
from training.mine import main as mine_main
from training.select import main as select_main

FUZZ = settings(max_examples=int(os.environ.get("EA_FUZZ_EXAMPLES", "25")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# A JSON fragment for a field "x" that puts an otherwise good record outside the policy, and the category.
HOSTILE: dict[str, tuple[bytes, str]] = {
    "integer_of_5000_digits": (b"7" * 5000, jsonl.NUMBER_OUT_OF_RANGE),
    "integer_beyond_64_bits": (b"-18446744073709551616", jsonl.NUMBER_OUT_OF_RANGE),
    "nan": (b"NaN", jsonl.NUMBER_OUT_OF_RANGE),
    "infinity": (b"[1, -Infinity]", jsonl.NUMBER_OUT_OF_RANGE),
    "float_overflow": (b"1e400", jsonl.NUMBER_OUT_OF_RANGE),
    "nested_988_deep": (b"[" * 988 + b"]" * 988, jsonl.TOO_DEEP),
    "nested_20000_deep": (b"[" * 20000 + b"]" * 20000, jsonl.TOO_DEEP),
    "lone_surrogate": (b'"a\\ud800b"', jsonl.LONE_SURROGATE),
    "lone_surrogate_key": (b'{"\\udc80": 1}', jsonl.LONE_SURROGATE),
    "bad_utf8": (b'"\xff\xfe"', jsonl.INVALID_UTF8),
    # Which of the two values is meant is unknown: json.loads silently took the last.
    "repeated_key": (b'{"k": 1, "k": 2}', jsonl.DUPLICATE_KEY),
    "repeated_field": (b'1, "x": "md500\u62a5e200"', jsonl.DUPLICATE_KEY),  # the record's own "x" twice
}
# Inside a string these are text, never a line break: records holding them are good.
TRICKY = b'"raw CR\r, U+2028 \xe2\x80\xa8, U+2029 \xe2\x80\xa9, U+0085 \xc2\x85, tab\t."'
REASON = {jsonl.NUMBER_OUT_OF_RANGE: "number out of range", jsonl.TOO_DEEP: "nested more than 200 levels",
          jsonl.LONE_SURROGATE: "lone surrogate", jsonl.INVALID_UTF8: "not valid UTF-8",
          jsonl.INVALID_JSON: "invalid JSON", jsonl.DUPLICATE_KEY: "repeats the key"}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def with_field(record: dict[str, Any], fragment: bytes) -> bytes:
    """``record`` as a JSONL line with one more field, ``"x": fragment`` (raw JSON bytes)."""
    return _json(record)[:-1] + b', "x": ' + fragment + b"}"


def hostile_file(path: Path, record: Any) -> tuple[int, dict[int, str]]:
    """Write good records (``record(i)``), tricky ones and every hostile line; (good records, line -> category).

    The file starts with a BOM and its last line (a good record) has no newline.
    """
    lines: list[bytes] = []
    expected: dict[int, str] = {}
    for index, (fragment, category) in enumerate(HOSTILE.values()):
        lines.append(_json(record(2 * index)))
        lines.append(with_field(record(2 * index + 1), fragment))
        expected[len(lines)] = category
    lines.append(with_field(record(100), TRICKY))
    lines.append(_json(record(101))[:17])  # torn: a record cut short
    expected[len(lines)] = jsonl.INVALID_JSON
    lines.append(b"")  # a blank line: counted, never a record
    lines.append(_json(record(102)))
    path.write_bytes(jsonl.BOM + b"\n".join(lines))
    return len(lines) - len(expected) - 1, expected


def pair(i: int) -> dict[str, Any]:
    return {"question": f"sv660n报e{100 + i}怎么办", "chunk": f"sv660n的e{100 + i}故障：检查电机 ({i})"}


@functools.cache
def rules_judge() -> AlignmentJudge:
    return load_judge("rules")


def not_strict(name: str) -> None:
    raise AssertionError(f"{name} written: not strict JSON")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a file we wrote, read as strict JSON (NaN, Infinity or bad UTF-8 would fail here)."""
    text = path.read_bytes().decode("utf-8")
    return [json.loads(line, parse_constant=not_strict) for line in text.split("\n") if line]


# -- the policy itself ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_hostile_line_is_rejected_with_its_category_and_never_raises(name: str):
    fragment, category = HOSTILE[name]
    line = jsonl.parse_line(7, with_field(pair(0), fragment))
    assert (line.number, line.category, line.value) == (7, category, None)
    assert REASON[category] in (line.error or "")
    line.text.encode("utf-8")  # the text for a rejects file is always writable


def test_raw_cr_and_unicode_line_breaks_never_split_a_record():
    data = jsonl.BOM + with_field(pair(0), TRICKY) + b"\n" + _json(pair(1))
    lines = list(jsonl.read_lines(data))
    assert [line.number for line in lines] == [1, 2] and all(line.ok for line in lines)
    assert "\r" in lines[0].value["x"] and "\u2028" in lines[0].value["x"]


def test_writing_is_strict_json_on_one_line_whatever_the_value():
    line = jsonl.dumps_line({"nan": math.nan, "inf": [-math.inf], "breaks": "a\u2028b\u2029c\x85d",
                             "surrogate": "x\ud800y", "deep": [[[1.5]]]})
    assert line.count("\n") == 1 and line.endswith("\n")
    assert not {"\u2028", "\u2029", "\x85"} & set(line) and len(line.splitlines()) == 1
    value = jsonl.parse_line(1, line.encode("utf-8")).value
    assert value == {"nan": None, "inf": [None], "breaks": "a\u2028b\u2029c\x85d", "surrogate": "x\ufffdy",
                     "deep": [[[1.5]]]}


def test_the_old_line_class_name_warns_and_names_the_new_one():
    with pytest.warns(DeprecationWarning, match="JsonLine"):
        assert jsonl.Line is jsonl.JsonLine


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(alphabet=st.characters(codec=None)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=12)


@FUZZ
@given(value=json_values)
def test_whatever_we_write_reads_back_as_one_good_line(value: Any):
    line = jsonl.dumps_line(value).encode("utf-8")
    assert line.count(b"\n") == 1
    read = jsonl.parse_line(1, line[:-1])
    # Only what the policy itself refuses on reading may differ: an integer beyond 64 bits.
    assert read.ok or read.category == jsonl.NUMBER_OUT_OF_RANGE


@FUZZ
@given(lines=st.lists(st.one_of(st.sampled_from([f for f, _ in HOSTILE.values()]).map(lambda f: with_field(pair(0), f)),
                                st.just(with_field(pair(1), TRICKY)), st.binary(max_size=30),
                                st.sampled_from([b"{", b"[1e999]", b"-0", b'"\\udfff"', b"\r", b"\xef\xbb\xbf"])),
                      max_size=8))
def test_any_mix_of_lines_is_read_line_by_line_without_raising(lines: list[bytes]):
    data = b"\n".join(line.replace(b"\n", b"") for line in lines)
    counts = jsonl.LineCounts()
    read = list(jsonl.read_lines(data, counts))
    assert len(read) + counts.blank == counts.lines == len(jsonl.split_lines(data))
    assert all(line.ok != (line.category is not None) for line in read)


# -- every reader, the same corpus --------------------------------------------------------------------------
def test_filter_rejects_each_hostile_line_and_judges_the_rest(tmp_path: Path):
    source = tmp_path / "pairs.jsonl"
    good, expected = hostile_file(source, pair)
    paths = FilterPaths(source, tmp_path / "out.jsonl", tmp_path / "bad.jsonl")
    counts = filter_file(rules_judge(), paths, 4)
    assert (counts.judged, counts.rejected, counts.blank, counts.errors) == (good, len(expected), 1, 0)
    rejects = {row["line"]: row["reason"] for row in read_rows(paths.rejects)}
    assert {n: REASON[c] in rejects[n] for n, c in expected.items()} == dict.fromkeys(expected, True)
    assert len(read_rows(paths.output)) == good


def test_report_rejects_each_hostile_line_and_reports_the_rest(tmp_path: Path):
    from integrations.report import write_report

    def retrieval(i: int) -> dict[str, Any]:
        return {"question": f"sv660n出现e{100 + i}故障怎么办？", "contexts": [f"sv660n的e{100 + i}故障表示过电流。"]}

    source = tmp_path / "retrieved.jsonl"
    good, expected = hostile_file(source, retrieval)
    report = write_report(rules_judge(), source, tmp_path / "report", quiet=True)
    assert (report["summary"]["questions"], report["rejected_lines"]) == (good, len(expected))
    rejects = {row["line"]: row["reason"] for row in read_rows(tmp_path / "report" / REJECTS)}
    assert {n: REASON[c] in rejects[n] for n, c in expected.items()} == dict.fromkeys(expected, True)
    json.loads((tmp_path / "report" / REPORT_JSON).read_text(encoding="utf-8"), parse_constant=not_strict)


def test_convert_rejects_each_hostile_record_and_converts_the_rest(tmp_path: Path):
    def teacher(i: int) -> dict[str, Any]:
        analysis = format_analysis("产品信息-sv660n", "产品信息-sv660n", ALIGNED, "理由")
        return {**pair(i), "llm_analysis": f"{analysis}\n\n<label>{ALIGNED}</label>"}

    source = tmp_path / "teacher.jsonl"
    good, expected = hostile_file(source, teacher)
    stats, _ = convert([Source(source)], tmp_path / "data" / "train.json", ConvertOptions(val=0.0, test=0.0))
    assert stats.converted == good and stats.rejected == dict(Counter(expected.values()))
    rejects = read_rows(tmp_path / "data" / "train_rejects.jsonl")
    assert sorted(int(r["id"].rsplit(":", 1)[1]) for r in rejects) == sorted(expected)


def test_convert_rejects_a_hostile_record_of_a_json_array_not_the_file(tmp_path: Path):
    teacher = {**pair(0), "llm_analysis": format_analysis("x", "x", ALIGNED, "理由") + f"<label>{ALIGNED}</label>"}
    source = tmp_path / "aligned.json"
    source.write_bytes(b"[" + _json(teacher) + b", " + with_field(pair(1), b"7" * 5000) + b"]")
    stats, _ = convert([Source(source)], tmp_path / "train.json", ConvertOptions(val=0.0, test=0.0))
    assert stats.converted == 1 and stats.rejected == {jsonl.NUMBER_OUT_OF_RANGE: 1}


def test_label_rejects_each_hostile_line_and_a_rerun_asks_nothing_again(tmp_path: Path):
    source, out = tmp_path / "pairs.jsonl", tmp_path / "labelled"
    good, expected = hostile_file(source, pair)
    assert label_main([str(source), "--out", str(out), "--quiet"]) == 0
    stats = json.loads((out / "label_stats.json").read_text(encoding="utf-8"))
    assert stats["aligned"] + stats["unaligned"] == good and stats["rejected"] == len(expected)
    assert stats["rejected_by_category"] == {"invalid_input": len(expected)} and stats["pending"] == 0
    journal = (out / "label_journal.jsonl").read_bytes()
    assert label_main([str(source), "--out", str(out), "--quiet"]) == 0
    assert (out / "label_journal.jsonl").read_bytes() == journal  # nothing labelled again
    rejects = {row["line"]: row["reason"] for row in read_rows(out / "label_rejects.jsonl")}
    assert {n: REASON[c] in rejects[n] for n, c in expected.items()} == dict.fromkeys(expected, True)


def test_mine_rejects_each_hostile_log_line_and_keeps_the_rest(tmp_path: Path):
    source, out = tmp_path / "log.jsonl", tmp_path / "pairs.jsonl"
    good, expected = hostile_file(source, pair)
    assert mine_main(["--pairs", str(source), "--out", str(out)]) == 0
    stats = json.loads(out.with_suffix(".stats.json").read_text(encoding="utf-8"))
    assert (stats["log_pairs"], stats["log_rejected"]) == (good, len(expected))
    assert {r["line"] for r in read_rows(out.with_suffix(".rejects.jsonl"))} == set(expected)


def test_mine_reads_a_question_text_file_split_on_newlines_only(tmp_path: Path):
    questions, corpus = tmp_path / "q.txt", tmp_path / "corpus.jsonl"
    questions.write_bytes("sv660n报e100\u2028怎么办\nmd500报e200\r\n".encode() + b"\xff\xfe\n")
    corpus.write_bytes(_json({"id": "a", "text": "sv660n的e100故障"}) + b"\n")
    assert mine_main(["--questions", str(questions), "--corpus", str(corpus), "--out", str(tmp_path / "o.jsonl")]) == 0
    stats = json.loads((tmp_path / "o.stats.json").read_text(encoding="utf-8"))
    assert (stats["questions_read"], stats["questions_rejected"]) == (3, 1)


def test_select_rejects_each_hostile_line_and_chooses_from_the_rest(tmp_path: Path):
    source, out = tmp_path / "pairs.jsonl", tmp_path / "next.jsonl"
    good, expected = hostile_file(source, pair)
    assert select_main([str(source), "--out", str(out), "--count", "3", "--backend", "rules"]) == 0
    stats = json.loads(out.with_suffix(".stats.json").read_text(encoding="utf-8"))
    assert stats["rejected"] == len(expected) and stats["input_lines"] == good + len(expected)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_corpus_loader_names_a_hostile_line_with_its_reason(tmp_path: Path, name: str):
    fragment, category = HOSTILE[name]
    path = tmp_path / "corpus.jsonl"
    chunk = {"id": "a", "title": "t", "text": "x"}
    path.write_bytes(_json(chunk) + b"\n" + with_field({**chunk, "id": "b"}, fragment) + b"\n")
    with pytest.raises(CorpusError, match=f"corpus.jsonl:2: .*{REASON[category]}"):
        load_chunks(path)


# -- nothing overwrites its inputs (item 10) ------------------------------------------------------------
def _convert_sibling(tmp: Path) -> tuple[list[str], Path]:
    teacher = tmp / "train_val.json"
    teacher.write_text("[]\n", encoding="utf-8")
    return ["convert", "--mode", "single", "--input", str(teacher), "--output", str(tmp / "train.json"),
            "--overwrite"], teacher


def _convert_symlink(tmp: Path) -> tuple[list[str], Path]:
    teacher = tmp / "teacher.json"
    teacher.write_text("[]\n", encoding="utf-8")
    (tmp / "link.json").symlink_to(teacher)
    return ["convert", "--mode", "single", "--input", str(teacher), "--output", str(tmp / "link.json"),
            "--overwrite"], teacher


def _convert_hard_link(tmp: Path) -> tuple[list[str], Path]:
    teacher = tmp / "teacher.json"
    teacher.write_text("[]\n", encoding="utf-8")
    os.link(teacher, tmp / "train.json")
    return ["convert", "--mode", "single", "--input", str(teacher), "--output", str(tmp / "train.json"),
            "--overwrite"], teacher


def _report_rejects(tmp: Path) -> tuple[list[str], Path]:
    source = tmp / REJECTS
    source.write_bytes(_json({"question": "q", "contexts": ["c"]}) + b"\n")
    return ["report", str(source), "-o", str(tmp), "--quiet"], source


def _label_rejects(tmp: Path) -> tuple[list[str], Path]:
    source = tmp / "label_rejects.jsonl"
    source.write_bytes(_json(pair(0)) + b"\n")
    return ["label", str(source), "--out", str(tmp), "--quiet", "--overwrite"], source


def _filter_hard_link(tmp: Path) -> tuple[list[str], Path]:
    source = tmp / "pairs.jsonl"
    source.write_bytes(_json(pair(0)) + b"\n")
    os.link(source, tmp / "judged.jsonl")
    return ["filter", str(source), "-o", str(tmp / "judged.jsonl"), "--quiet"], source


def _filter_rejects_symlink(tmp: Path) -> tuple[list[str], Path]:
    source = tmp / "pairs.jsonl"
    source.write_bytes(_json(pair(0)) + b"\n")
    (tmp / "judged.rejects.jsonl").symlink_to(source)
    return ["filter", str(source), "-o", str(tmp / "judged.jsonl"), "--quiet"], source


def _mine_stats_sibling(tmp: Path) -> tuple[list[str], Path]:
    source = tmp / "out.rejects.jsonl"
    source.write_bytes(_json(pair(0)) + b"\n")
    return ["mine", "--pairs", str(source), "--out", str(tmp / "out.jsonl")], source


def _select_same_path(tmp: Path) -> tuple[list[str], Path]:
    source = tmp / "pairs.jsonl"
    source.write_bytes(_json(pair(0)) + b"\n")
    return ["select", str(source), "--out", str(tmp / "." / "pairs.jsonl"), "--count", "1", "--backend", "rules"], \
        source


def _evaluate_predictions(tmp: Path) -> tuple[list[str], Path]:
    source = tmp / "predictions.jsonl"
    source.write_bytes(_json({**pair(0), "label": ALIGNED}) + b"\n")
    return ["evaluate", "--data", str(source), "--out", str(tmp)], source


def _retrieve_over_corpus(tmp: Path) -> tuple[list[str], Path]:
    pytest.importorskip("llama_index.core")
    corpus = tmp / "chunks.jsonl"
    corpus.write_bytes(_json({"id": "a", "title": "t", "text": "sv660n的e100故障"}) + b"\n")
    return ["retrieve", "-o", str(corpus), "--corpus", str(corpus)], corpus


# The judge's catalog is an input too: each command that judges once wrote over it (a valid catalog that happens
# to be an output's name, or an empty one that filter appends to).
def _catalog(tmp: Path, name: str) -> Path:
    catalog = tmp / name
    catalog.parent.mkdir(parents=True, exist_ok=True)
    catalog.write_text("" if name.endswith(".yaml") else '{"brands": [{"id": "acme"}]}\n', encoding="utf-8")
    return catalog


def _filter_over_catalog(tmp: Path) -> tuple[list[str], Path]:
    source, catalog = tmp / "pairs.jsonl", _catalog(tmp, "products.yaml")
    source.write_bytes(_json(pair(0)) + b"\n")
    return ["filter", str(source), "-o", str(catalog), "--catalog", str(catalog), "--quiet"], catalog


def _select_over_catalog(tmp: Path) -> tuple[list[str], Path]:
    source, catalog = tmp / "pairs.jsonl", _catalog(tmp, "products.json")
    source.write_bytes(_json(pair(0)) + b"\n")
    return ["select", str(source), "--out", str(catalog), "--count", "1", "--backend", "rules", "--option",
            f"catalog={catalog}"], catalog


def _report_over_catalog(tmp: Path) -> tuple[list[str], Path]:
    source, catalog = tmp / "retrieved.jsonl", _catalog(tmp, f"out/{REPORT_JSON}")
    source.write_bytes(_json({"question": "q", "contexts": ["c"]}) + b"\n")
    return ["report", str(source), "-o", str(catalog.parent), "--quiet", "--catalog", str(catalog)], catalog


def _evaluate_over_catalog(tmp: Path) -> tuple[list[str], Path]:
    source, catalog = tmp / "set.jsonl", _catalog(tmp, "out/metrics.json")
    source.write_bytes(_json({**pair(0), "label": ALIGNED}) + b"\n")
    return ["evaluate", "--data", str(source), "--out", str(catalog.parent), "--catalog", str(catalog)], catalog


def _label_over_catalog(tmp: Path) -> tuple[list[str], Path]:
    source, catalog = tmp / "pairs.jsonl", _catalog(tmp, "out/aligned.json")
    source.write_bytes(_json(pair(0)) + b"\n")
    return ["label", str(source), "--out", str(catalog.parent), "--backend", "rules", "--catalog", str(catalog),
            "--quiet"], catalog


def _retrieve_main(argv: list[str]) -> int:
    from integrations.retrieve import main

    return main(argv)


COMMANDS = {"ea-judge": judge_main, "retrieve": _retrieve_main, "convert": convert_main, "label": label_main,
            "mine": mine_main, "select": select_main, "evaluate": evaluate_main}
OVERWRITES = [_convert_sibling, _convert_symlink, _convert_hard_link, _report_rejects, _label_rejects,
              _filter_hard_link, _filter_rejects_symlink, _mine_stats_sibling, _select_same_path, _evaluate_predictions,
              _retrieve_over_corpus, _filter_over_catalog, _select_over_catalog, _report_over_catalog,
              _evaluate_over_catalog, _label_over_catalog]


@pytest.mark.parametrize("case", OVERWRITES, ids=lambda case: case.__name__.strip("_"))
def test_no_command_writes_over_its_input_whatever_the_flag(case, tmp_path: Path, capsys: pytest.CaptureFixture):
    argv, source = case(tmp_path)
    before = source.read_bytes()
    name, *rest = argv
    main = COMMANDS.get(name, judge_main)
    status = main(argv if main is judge_main else rest)
    err = capsys.readouterr().err
    assert status != 0 and source.read_bytes() == before
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "would overwrite the input" in errors[0] and str(source) in errors[0], err


# -- filter: its fields, failures that look like success, streaming (items 11, 15, 17) ------------------------
def test_filter_never_touches_the_records_own_fields(tmp_path: Path):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    own = {**pair(0), "line": "产品线A", "kept": "yes", "why": None, "judgement": [1], "reason": "mine"}
    source.write_bytes(_json(own) + b"\n" + _json({**pair(1), "ea": "taken"}) + b"\n")
    assert judge_main(["filter", str(source), "-o", str(output), "--quiet"]) == 0
    (row,) = read_rows(output)
    assert {k: row[k] for k in own} == own and row["ea"]["line"] == 1 and row["ea"]["kept"] is True
    (reject,) = read_rows(output.with_suffix(".rejects.jsonl"))
    assert reject["line"] == 2 and "'ea'" in reject["reason"]


def test_a_filter_run_whose_judgements_failed_says_so_and_retry_errors_judges_them_again(
        integration_backends, tmp_path: Path, capsys: pytest.CaptureFixture):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    source.write_bytes(b"\n".join(_json(pair(i)) for i in range(3)) + b"\n")
    args = ["filter", str(source), "-o", str(output), "--quiet"]
    assert judge_main([*args, "--backend", "broken"]) == 1
    err = capsys.readouterr().err
    assert "errors=3" in err and "warning: 3 of 3 judgements in the output failed" in err and "--retry-errors" in err
    assert judge_main(args) == 1  # a plain rerun keeps the failures, and says so again
    err = capsys.readouterr().err
    assert "judged=0" in err and "earlier_errors=3" in err and "3 of 3 judgements in the output failed" in err
    assert judge_main([*args, "--retry-errors"]) == 0
    err = capsys.readouterr().err
    assert "judged=3" in err and " errors=0" in err and "retried=3" in err and "earlier_errors=0" in err
    rows = read_rows(output)
    assert sorted(r["ea"]["line"] for r in rows) == [1, 2, 3] and {r["ea"]["why"] for r in rows} == {"aligned"}


class _Reads:
    """A binary file that records the longest piece any read handed out."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at, self.longest = data, 0, 0

    def readline(self, limit: int = -1) -> bytes:
        end = self.data.find(b"\n", self.at) + 1 or len(self.data)
        end = min(end, self.at + limit) if limit >= 0 else end
        piece, self.at = self.data[self.at : end], end
        self.longest = max(self.longest, len(piece))
        return piece


def test_a_line_too_long_is_rejected_as_it_is_read_never_held_whole(tmp_path: Path, monkeypatch):
    # A binary file or a stream without newlines (ea-judge filter /dev/zero) was read as one line: all of it in
    # memory, then its reject row (the whole text, JSON-escaped) several times that, until MemoryError.
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 4096)
    data = (_json(pair(0)) + b"\n" + b"\x00" * 3_000_000 + b"\n" + _json(pair(1)) + b"\n" + jsonl.BOM
            + b"7" * 50_000)  # the last line has no newline
    reads = _Reads(data)
    lines = [(line.number, line.category) for line in jsonl.read_lines(reads)]
    assert lines == [(1, None), (2, jsonl.LINE_TOO_LONG), (3, None), (4, jsonl.LINE_TOO_LONG)]
    assert reads.longest <= 1 << 20  # the 3 MB line was read in pieces and never joined
    assert [(line.number, line.category) for line in jsonl.read_lines(data)] == lines  # bytes read the same
    source = tmp_path / "pairs.jsonl"
    source.write_bytes(data)
    paths = FilterPaths(source, tmp_path / "out.jsonl", tmp_path / "bad.jsonl")
    counts = filter_file(rules_judge(), paths, 4)
    assert (counts.judged, counts.rejected) == (2, 2)
    rejects = read_rows(paths.rejects)
    assert [(r["line"], "3,000,000 bytes" in r["reason"] or "50,003 bytes" in r["reason"]) for r in rejects] == [
        (2, True), (4, True)]
    assert all("longer than a record may be" in r["reason"] and len(r["text"]) < 1000 for r in rejects)
    assert filter_file(rules_judge(), paths, 4).skipped == 4  # a rerun resumes past them
    questions = tmp_path / "q.txt"
    questions.write_bytes(b"sv660n\n" + b"q" * 10_000 + b"\nmd500\n")
    assert [(n, text, (why or "")[:7]) for n, text, why in jsonl.text_lines(questions)] == [
        (1, "sv660n", ""), (2, None, "line of"), (3, "md500", "")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_filter_writes_records_while_it_is_still_reading_its_input(tmp_path: Path):
    source, output = tmp_path / "pairs.fifo", tmp_path / "judged.jsonl"
    os.mkfifo(source)
    seen_before_the_rest: list[bool] = []

    def feed() -> None:
        with source.open("wb") as pipe:
            pipe.write(_json(pair(0)) + b"\n" + _json(pair(1)) + b"\n")
            pipe.flush()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not (output.exists() and output.read_bytes().count(b"\n") == 2):
                time.sleep(0.02)
            seen_before_the_rest.append(output.exists() and output.read_bytes().count(b"\n") == 2)
            pipe.write(_json(pair(2)) + b"\n")

    writer = threading.Thread(target=feed)
    writer.start()
    counts = filter_file(rules_judge(), FilterPaths(source, output, tmp_path / "bad.jsonl"), 1)
    writer.join()
    assert seen_before_the_rest == [True] and counts.judged == 3


# -- label: keyed by the pair (items 6, 7, 15) ------------------------------------------------------------
def _label(source: Path, out: Path) -> dict[str, Any]:
    assert label_main([str(source), "--out", str(out), "--quiet"]) == 0
    return json.loads((out / "label_stats.json").read_text(encoding="utf-8"))


def test_another_input_into_the_same_out_is_merged_and_the_counts_reconcile(tmp_path: Path):
    first, second, out = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "labelled"
    first.write_bytes(b"\n".join(_json(pair(i)) for i in range(3)) + b"\n")
    second.write_bytes(b"\n".join(_json(pair(i)) for i in (2, 1, 3, 4, 3)) + b"\n")  # 2 done, 2 new, 1 repeated
    _label(first, out)
    stats = _label(second, out)
    assert (stats["input_lines"], stats["skipped_as_done"], stats["duplicate_lines"], stats["pending"]) == (5, 3, 1, 0)
    assert (stats["labelled"], stats["from_this_input"], stats["from_other_inputs"]) == (5, 4, 1)
    assert stats["aligned"] + stats["unaligned"] + stats["rejected"] == 5
    labelled = json.loads((out / "aligned.json").read_text(encoding="utf-8"))
    assert sorted(r["chunk"] for r in labelled) == sorted(pair(i)["chunk"] for i in range(5))
    assert (out / "label_journal.jsonl").read_bytes().count(b"\n") == 5


def test_label_resumes_entries_holding_unicode_line_breaks_without_asking_again(tmp_path: Path):
    source, out = tmp_path / "pairs.jsonl", tmp_path / "labelled"
    rows = [{"question": f"sv660n报e100{brk}怎么办", "chunk": f"sv660n的e100故障{brk}({i})"}
            for i, brk in enumerate(["\u2028", "\u2029", "\x85", "\r"])]
    source.write_bytes(b"\n".join(_json(r) for r in rows) + b"\n")
    _label(source, out)
    journal = (out / "label_journal.jsonl").read_bytes()
    assert len(journal.decode("utf-8").splitlines()) == 4  # escaped: even a splitlines() reader sees 4 entries
    stats = _label(source, out)
    assert stats["skipped_as_done"] == 4 and (out / "label_journal.jsonl").read_bytes() == journal


def test_a_lone_surrogate_never_breaks_the_label_journal(tmp_path: Path):
    source, out = tmp_path / "pairs.jsonl", tmp_path / "labelled"
    source.write_bytes(_json(pair(0)) + b"\n" + b'{"question": "q\\ud800", "chunk": "c"}\n' + _json(pair(1)) + b"\n")
    stats = _label(source, out)
    assert stats["rejected_by_category"] == {"invalid_input": 1} and stats["aligned"] == 2
    assert _label(source, out)["skipped_as_done"] == 3


def test_a_journal_written_by_line_number_is_still_resumed(tmp_path: Path):
    source, out = tmp_path / "pairs.jsonl", tmp_path / "labelled"
    source.write_bytes(b"\n".join(_json(pair(i)) for i in range(2)) + b"\n")
    _label(source, out)
    journal = out / "label_journal.jsonl"
    old = [{k: v for k, v in row.items() if k != "key"} for row in read_rows(journal)]  # before the keys
    journal.write_text("".join(jsonl.dumps_line(row) for row in old), encoding="utf-8")
    assert _label(source, out)["skipped_as_done"] == 2


# -- report checks its inputs before judging (item 15) -----------------------------------------------------
@pytest.mark.parametrize("case", ["missing", "empty", "wrong_shape", "missing_compare", "compare_is_dir"])
def test_report_checks_its_inputs_before_judging(case: str, tmp_path: Path, capsys: pytest.CaptureFixture):
    source, out = tmp_path / "retrieved.jsonl", tmp_path / "report"
    source.write_bytes(_json({"question": "sv660n报e100", "contexts": ["sv660n的e100"]}) + b"\n")
    extra: list[str] = []
    if case == "missing":
        source = tmp_path / "nope.jsonl"
    elif case == "empty":
        source.write_bytes(b"\n \n")
    elif case == "wrong_shape":  # filter output, say: {question, chunk} records
        source.write_bytes(b"\n".join(_json(pair(i)) for i in range(3)) + b"\n")
    elif case == "missing_compare":
        extra = ["--compare", str(tmp_path / "nope.jsonl")]
    else:
        extra = ["--compare", str(tmp_path)]
    assert judge_main(["report", str(source), "-o", str(out), "--quiet", *extra]) == 2
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if "error:" in line]) == 1 and "Traceback" not in err
    assert not out.exists()  # stopped before judging or writing anything
    if case == "wrong_shape":
        assert "all 3 lines rejected" in err and "contexts" in err


def test_taking_failed_rows_out_leaves_no_temporary_file_behind():
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder, "judged.jsonl")
        output.write_bytes(_json({**pair(0), "ea": {"line": 1, "kept": True, "why": "kept_on_error"}}) + b"\n")
        assert take_out_failed(output) == 1 and output.read_bytes() == b"" and os.listdir(folder) == ["judged.jsonl"]


# -- an --out that cannot be written: one line, no traceback (item 14) ---------------------------------------
@pytest.mark.parametrize("command", ["convert", "label", "mine", "select", "evaluate"])
@pytest.mark.parametrize("where", ["file_in_the_way", "read_only"])
def test_an_output_folder_that_cannot_be_made_is_one_error_line(command: str, where: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture):
    if where == "read_only" and not Path("/sys").is_dir():
        pytest.skip("needs /sys, which even root cannot make folders in")
    blocked = tmp_path / "a-file" if where == "file_in_the_way" else Path("/sys/ea-test")
    (tmp_path / "a-file").write_text("")
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(_json(pair(0)) + b"\n")
    teacher = tmp_path / "teacher.json"
    teacher.write_text("[]\n", encoding="utf-8")
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_bytes(_json({**pair(0), "label": ALIGNED}) + b"\n")
    main, argv = {
        "convert": (convert_main, ["--mode", "single", "--input", str(teacher), "--output", str(blocked / "t.json")]),
        "label": (label_main, [str(pairs), "--out", str(blocked / "labelled"), "--quiet"]),
        "mine": (mine_main, ["--pairs", str(pairs), "--out", str(blocked / "pairs.jsonl")]),
        "select": (select_main, [str(pairs), "--out", str(blocked / "n.jsonl"), "--count", "1", "--backend", "rules"]),
        # evaluate found its folder only after judging every pair: said before any judging starts now
        "evaluate": (evaluate_main, ["--data", str(labelled), "--out", str(blocked / "eval"), "--backend", "rules"]),
    }[command]
    assert main(argv) != 0
    err = capsys.readouterr().err
    lines = [line for line in err.strip().splitlines() if not line.startswith("skipped ")]
    assert len(lines) == 1 and "error:" in lines[0] and str(blocked) in lines[0], err


def test_a_teacher_answer_holding_a_lone_surrogate_or_line_breaks_is_journalled_and_not_asked_again(tmp_path: Path):
    from devtools.servers import LoopbackHTTPServer, Reply, chat_completion

    def teacher(request: Any) -> Reply:  # no <label>: the answer lands in the rejects with its text
        return Reply(body=json.dumps(chat_completion("看不懂\ud800\u2028\u2029\x85\r结束")))

    source, out = tmp_path / "pairs.jsonl", tmp_path / "labelled"
    source.write_bytes(b"\n".join(_json(pair(i)) for i in range(3)) + b"\n")
    with LoopbackHTTPServer(teacher) as server:
        argv = [str(source), "--out", str(out), "--quiet", "--backend", "openai", "--base-url", f"{server.url}/v1",
                "--model", "t", "--timeout", "2", "--max-retries", "0"]
        assert label_main(argv) == 0
        asked = len(server.requests)
        assert label_main(argv) == 0 and len(server.requests) == asked == 3  # the rerun asked nothing
    (reject, *_) = read_rows(out / "label_rejects.jsonl")
    assert reject["answers"] == ["看不懂\ufffd\u2028\u2029\x85\r结束"]


# -- any mix of lines, through the data tools ----------------------------------------------------------------
FIELDS = ["question", "chunk", "chunks", "text", "id", "score", "contexts", "llm_analysis", "ea"]
leaf = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8)
        | st.sampled_from(["sv660n报e100", "md500的e200故障", "\u2028", "\r"]))
records = st.dictionaries(st.sampled_from(FIELDS), st.recursive(
    leaf, lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), children,
                                                                             max_size=3), max_leaves=6), max_size=4)
any_line = st.one_of(st.builds(lambda i: _json(pair(i)), st.integers(0, 5)), records.map(jsonl.dumps),
                     st.sampled_from([f for f, _ in HOSTILE.values()]).map(lambda f: with_field(pair(9), f)),
                     st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")))


@settings(FUZZ, max_examples=max(3, FUZZ.max_examples // 5))
@given(lines=st.lists(any_line.map(lambda x: x if isinstance(x, bytes) else x.encode()), min_size=1, max_size=8))
def test_mine_label_and_select_take_any_mix_of_lines_and_their_counts_reconcile(lines: list[bytes]):
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        source = tmp / "pairs.jsonl"
        source.write_bytes(b"\n".join(lines) + b"\n")
        assert mine_main(["--pairs", str(source), "--out", str(tmp / "mined.jsonl")]) == 0
        assert label_main([str(source), "--out", str(tmp / "labelled"), "--quiet"]) == 0
        stats = json.loads((tmp / "labelled" / "label_stats.json").read_text(encoding="utf-8"))
        assert stats["input_lines"] == stats["from_this_input"] + stats["duplicate_lines"] and stats["pending"] == 0
        assert select_main([str(source), "--out", str(tmp / "next.jsonl"), "--count", "2", "--backend", "rules"]) == 0


@pytest.mark.parametrize("data", [b"", jsonl.BOM, jsonl.BOM + b"\n", b"\n", jsonl.BOM + b"{}", b"{}\n\n"])
def test_a_file_and_its_stream_have_the_same_lines(data: bytes, tmp_path: Path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    from_bytes, from_file = jsonl.LineCounts(), jsonl.LineCounts()
    assert list(jsonl.read_lines(data, from_bytes)) == list(jsonl.read_file(path, from_file))
    assert from_bytes == from_file and jsonl.count_lines(path) == from_file.lines


def test_label_killed_again_and_again_ends_with_the_outputs_of_an_unkilled_run(tmp_path: Path):
    """SIGKILL at random points of the journal (torn lines included), then a run to the end: the outputs equal
    those of a run never killed, and no pair was asked twice."""
    import random
    import signal
    import subprocess
    import sys

    from devtools.servers import LoopbackHTTPServer, Reply, chat_completion
    from tests.conftest import REPO
    from training.processes import group_process

    def teacher(request: Any) -> Reply:  # by pair: aligned, unaligned, or an answer with no label
        text = request.body["messages"][-1]["content"]
        kind = sum(map(ord, text)) % 3
        steps = format_analysis("产品信息-sv660n", "产品信息-sv660n", ALIGNED if kind == 0 else "不对齐", "理由")
        content = steps if kind == 2 else f"{steps}\n\n<label>{ALIGNED if kind == 0 else '不对齐'}</label>"
        return Reply(body=chat_completion(content), delay_s=0.03)

    source = tmp_path / "pairs.jsonl"
    hostile_file(source, pair)  # 12 good pairs, 11 hostile lines, tricky and torn ones
    names = ("aligned.json", "unaligned.json", "label_rejects.jsonl")
    rng = random.Random(FUZZ.max_examples)
    with LoopbackHTTPServer(teacher) as server:
        def argv(out: Path) -> list[str]:
            return [str(source), "--out", str(out), "--quiet", "--backend", "openai", "--base-url",
                    f"{server.url}/v1", "--model", "t", "--chunk-size", "1", "--concurrency", "1"]

        assert label_main(argv(tmp_path / "whole")) == 0
        asked_whole = len(server.requests)
        killed, journal = tmp_path / "killed", tmp_path / "killed" / "label_journal.jsonl"
        cut_at: list[int] = []
        for _ in range(max(2, FUZZ.max_examples // 10)):
            with group_process([sys.executable, "-m", "training.label", *argv(killed)], cwd=REPO,
                               env={**os.environ, "PYTHONPATH": str(REPO)}, stderr=subprocess.DEVNULL) as process:
                target, deadline = rng.randrange(1, 20), time.monotonic() + 60
                while (process.poll() is None and time.monotonic() < deadline
                       and (not journal.exists() or journal.read_bytes().count(b"\n") < target)):
                    time.sleep(0.005)
                time.sleep(rng.random() * 0.05)  # mid-write now and then: a torn last line
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
            cut_at.append(journal.read_bytes().count(b"\n") if journal.exists() else 0)
        whole_entries = (tmp_path / "whole" / "label_journal.jsonl").read_bytes().count(b"\n")
        assert any(0 < n < whole_entries for n in cut_at), f"no kill came mid-run: {cut_at} of {whole_entries}"
        assert label_main(argv(killed)) == 0
        asked_killed = len(server.requests) - asked_whole
    assert asked_killed <= asked_whole + max(2, FUZZ.max_examples // 10)  # at most the pair in flight per kill
    for name in names:
        assert (killed / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
