"""training.convert on awkward files (issue 13, items 7-9): every record converted or rejected, counts reconcile."""

from __future__ import annotations

import json
from pathlib import Path

from ea_plugin.prompts import ALIGNED, UNALIGNED, format_analysis
from training.convert import ConvertOptions, Source, convert, output_paths


def record(question: str, chunk: str, label: str) -> dict:
    analysis = format_analysis("产品信息-x", "产品信息-y", label, "理由") + f"\n\n<label>{label}</label>"
    return {"question": question, "chunk": chunk, "llm_analysis": analysis}


RECORDS = [record(f"sv660n报e10{i}", f"sv660n e10{i} 故障说明 {i}", ALIGNED if i % 2 else UNALIGNED) for i in range(4)]


def line(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def run(tmp_path: Path, data: bytes, name: str = "teacher.jsonl"):
    source = tmp_path / name
    source.write_bytes(data)
    stats, _ = convert([Source(source)], tmp_path / "out" / "train.json", ConvertOptions(val=0.0, test=0.0))
    rejects = [json.loads(text) for text in output_paths(tmp_path / "out" / "train.json")["rejects"]
               .read_bytes().split(b"\n") if text]
    return stats, rejects


def test_a_pretty_printed_json_object_file_is_one_record(tmp_path: Path):
    stats, rejects = run(tmp_path, json.dumps(RECORDS[0], ensure_ascii=False, indent=2).encode(), "one.json")
    assert stats.total_input == 1 and stats.converted == 1 and rejects == []


def test_a_non_utf8_line_rejects_that_line_only(tmp_path: Path):
    data = b"\n".join([line(RECORDS[0]), b'{"question": "\xc3\x28"}', line(RECORDS[1]), line(RECORDS[2])]) + b"\n"
    stats, rejects = run(tmp_path, data)
    assert (stats.total_input, stats.converted) == (4, 3)
    assert [(r["id"], r["category"]) for r in rejects] == [("teacher.jsonl:2", "invalid_utf8")]
    assert "not valid UTF-8" in rejects[0]["reason"] and stats.reconciles()


def test_unicode_line_breaks_inside_strings_never_split_a_record(tmp_path: Path):
    breaks = ["\u2028", "\u2029", "\x85", "\r"]
    odd = [{**r, "chunk": r["chunk"] + sep + "续"} for r, sep in zip(RECORDS, breaks, strict=True)]
    data = b"".join(line(r) + b"\n" for r in odd) + b"\n  \n"
    stats, rejects = run(tmp_path, data)
    assert (stats.total_input, stats.converted, rejects) == (4, 4, [])
    assert stats.blank_lines == {"teacher.jsonl": 2}
    train = json.loads((tmp_path / "out" / "train.json").read_text(encoding="utf-8"))
    assert {r["chunk"] for r in train} == {r["chunk"] for r in odd}


def test_a_lone_surrogate_in_a_json_array_record_is_rejected_and_the_rejects_file_still_written(tmp_path: Path):
    body = b"[" + line(RECORDS[0]) + b"," + line(RECORDS[1]).replace(b"sv660n", b"sv660n\\udc80", 1) + b"]"
    stats, rejects = run(tmp_path, body, "teacher.json")
    assert (stats.total_input, stats.converted) == (2, 1)
    assert [(r["id"], r["category"]) for r in rejects] == [("teacher.json#1", "lone_surrogate")]
