"""Property tests (hypothesis) at the three text boundaries (issue 13, "keep them gone"):

- ``parse_answer`` never raises and never reads 不对齐 as 对齐;
- ``ea-judge filter`` (its function, in-process) and ``training.convert`` on generated files (random bytes, broken
  JSON, odd Unicode incl. full-width and other-script digits, U+2028, BOMs, torn tails, kills mid-run simulated by
  truncating the output) account for every input line exactly once: judged, rejected, or counted blank.

Few examples by default so CI stays quick; ``EA_FUZZ_EXAMPLES=2000`` digs deeper.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ea_plugin import load_judge
from ea_plugin.filter_file import FilterPaths, filter_file
from ea_plugin.judge import AlignmentJudge
from ea_plugin.judgement import parse_answer
from ea_plugin.prompts import ALIGNED, THINK_CLOSE, THINK_OPEN, UNALIGNED, format_analysis
from training.convert import ConvertOptions, Source, convert, output_paths
from training.teacher import TeacherFileError

FUZZ = settings(max_examples=int(os.environ.get("EA_FUZZ_EXAMPLES", "30")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text that trips parsers: labels and tags, decoration, Unicode line breaks, invisible characters, full-width
# and other-script digits (Arabic-Indic, Devanagari, Thai), full-width letters of product names.
FRAGMENTS = [ALIGNED, UNALIGNED, "不", "对", "齐", THINK_OPEN, THINK_CLOSE, "<label>", "</label>", "答案：", "**", "「",
             "\n", "\r", "\r\n", " ", "\t", "\u3000", "\u2028", "\u2029", "\x85", "\u200b", "\ufeff", "\x00",
             "ＳＶ６６０Ｎ", "Ｅ１００", "e١٠٠", "E१००", "md๕๐๐", "sv660n", "e100.1", "F0-02",
             "\\ud800", "\"", "{", "}"]
odd_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=12).map("".join)


def answer_part(text: str) -> str:
    return text.rpartition(THINK_CLOSE)[2] if THINK_CLOSE in text else text


@FUZZ
@given(text=odd_text, reasoning=st.one_of(st.none(), odd_text))
def test_parse_answer_never_raises_and_never_reads_unaligned_as_aligned(text: str, reasoning: str | None):
    parsed = parse_answer(text, reasoning=reasoning)
    assert parsed.label in (None, ALIGNED, UNALIGNED)
    assert (parsed.label is None) == (parsed.error is not None)
    answer = answer_part(text)
    if ALIGNED not in answer.replace(UNALIGNED, ""):  # every 对齐 in the answer belongs to a 不对齐
        assert parsed.label != ALIGNED
    if THINK_OPEN in text and THINK_CLOSE not in text:
        assert parsed.label is None


@FUZZ
@given(noise=st.lists(st.sampled_from(list("\t\n\r 　*_`\"'“”「」【】[]()（）.。,，:：;；!！?？~～-—>#")), max_size=6))
def test_a_decorated_unaligned_label_reads_as_unaligned(noise: list[str]):
    decorated = "".join(noise) + UNALIGNED + "".join(reversed(noise))
    assert parse_answer(f"{THINK_OPEN}\n分析\n{THINK_CLOSE}\n\n{decorated}").label == UNALIGNED


# -- files --------------------------------------------------------------------------------------------
def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


filter_record = st.builds(lambda q, c: _json({"question": q, "chunk": c}), odd_text, odd_text)
teacher_record = st.builds(
    lambda q, c, label, tagged: _json({"question": q, "chunk": c, "llm_analysis": format_analysis(
        "产品信息-x", "产品信息-y", label, "理由") + (f"\n\n<label>{label}</label>" if tagged else "")}),
    odd_text, odd_text, st.sampled_from([ALIGNED, UNALIGNED]), st.booleans())


def bad_lines(record: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Lines a real file may hold besides good records (none contains b"\\n": one line each)."""
    return st.one_of(
        record.map(lambda line: line[: len(line) // 2]),  # broken JSON
        st.binary(max_size=24).map(lambda data: data.replace(b"\n", b"")),  # random bytes, bad UTF-8 included
        st.sampled_from([b"", b"  ", b"\r", b"\t \t", b"[1, 2]", b"null", b'"text"', b'{"question": "\\ud800"}',
                         b'{"question": "q", "chunk": "\\udc80x"}', b"\xef\xbb\xbf{}", b"NaN"]),
    )


def jsonl_file(record: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    lines = st.lists(st.one_of(record, record, bad_lines(record)), min_size=1, max_size=14)
    return st.builds(lambda bom, body, torn: (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(body) + (b"" if torn
                     else b"\n"), st.booleans(), lines, st.booleans())


def line_numbers(data: bytes) -> tuple[set[int], set[int]]:
    """(every line number, the blank ones) of a JSONL file, as the contract defines them: split on b"\\n" only,
    after a leading BOM; a final newline ends the last line. (Written out here, not imported: the oracle.)"""
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    lines = lines[:-1] if lines[-1] == b"" else lines
    return set(range(1, len(lines) + 1)), {n for n, raw in enumerate(lines, start=1) if not raw.strip()}


def written_lines(path: Path) -> list[int]:
    rows = [json.loads(raw) for raw in path.read_bytes().split(b"\n") if raw]
    return [row["ea"]["line"] if "ea" in row else row["line"] for row in rows]  # output rows, rejects rows


@functools.cache
def rules_judge() -> AlignmentJudge:
    return load_judge("rules")


@FUZZ
@given(data=jsonl_file(filter_record), step=st.integers(1, 5), cut=st.floats(0, 1), cut_rejects=st.floats(0, 1))
def test_filter_accounts_for_every_line_once_even_after_a_kill(data: bytes, step: int, cut: float,
                                                               cut_rejects: float):
    with tempfile.TemporaryDirectory() as folder:
        source, output, rejects = Path(folder, "in.jsonl"), Path(folder, "out.jsonl"), Path(folder, "bad.jsonl")
        source.write_bytes(data)
        paths = FilterPaths(source, output, rejects)
        filter_file(rules_judge(), paths, step)
        for path, share in ((output, cut), (rejects, cut_rejects)):  # killed mid-write: any prefix survives
            written = path.read_bytes()
            path.write_bytes(written[: int(len(written) * share)])
        counts = filter_file(rules_judge(), paths, step)
        every, blank = line_numbers(data)
        judged, rejected = written_lines(output), written_lines(rejects)
        assert len(judged) + len(rejected) == len(set(judged) | set(rejected))  # no line twice
        assert set(judged) | set(rejected) | blank == every and not (set(judged) | set(rejected)) & blank
        assert counts.skipped + counts.judged + counts.rejected + counts.blank == len(every)
        assert counts.kept + counts.dropped == counts.judged


@FUZZ
@given(data=st.one_of(jsonl_file(teacher_record),
                      st.lists(teacher_record, max_size=4).map(lambda rs: b"[" + b",\n".join(rs) + b"]")))
def test_convert_accounts_for_every_record_once(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "teacher.jsonl")
        source.write_bytes(data)
        try:
            stats, _ = convert([Source(source)], Path(folder, "train.json"), ConvertOptions(val=0.2, test=0.2))
        except TeacherFileError:  # a file that opens a JSON array it never closes: refused whole, by name
            assert data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"[")
            return
        assert stats.reconciles()
        paths = output_paths(Path(folder, "train.json"))
        converted = [r["id"] for split in ("train", "val", "test")
                     for r in json.loads(paths[split].read_text(encoding="utf-8")) if r["mode"] == "think"]
        rejected = [json.loads(raw)["id"] for raw in paths["rejects"].read_bytes().split(b"\n") if raw]
        ids = converted + rejected
        assert len(ids) == len(set(ids)) == stats.total_input
        if stats.blank_lines or any(i.startswith("teacher.jsonl:") for i in ids):  # read as JSONL
            every, blank = line_numbers(data)
            assert {int(i.rpartition(":")[2]) for i in ids} == every - blank
            assert stats.blank_lines.get("teacher.jsonl", 0) == len(blank)
