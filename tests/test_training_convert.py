"""training.convert: teacher output -> ShareGPT records, every input converted or rejected with a reason."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ea_plugin.prompts import (
    ALIGNED,
    SYSTEM_PROMPT,
    UNALIGNED,
    assistant_target,
    build_messages,
    format_analysis,
    step3_label,
)
from training.convert import ConvertOptions, OutputExistsError, Source, convert
from training.convert import main as convert_main
from training.split import question_group
from training.teacher import TeacherFileError, read_records, validate

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "training" / "examples"


def record(question: str, chunk: str, label: str, *, step3: str | None = None, tag: str | None = None) -> dict:
    analysis = format_analysis("产品信息-x", "产品信息-y", step3 or label, "理由")
    if tag != "":
        analysis += f"\n\n<label>{tag or label}</label>"
    return {"question": question, "chunk": chunk, "llm_analysis": analysis}


def write(path: Path, records: list) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def load(path: str | Path) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def jsonl(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


# -- validation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rec", "file_label", "category"),
    [
        (record("q", "c", ALIGNED, tag=""), None, "missing_tag"),
        (record("q", "c", UNALIGNED, step3=ALIGNED), None, "step3_conflict"),
        (record("q", "c", UNALIGNED), ALIGNED, "wrong_file"),
        (record("q", "c", ALIGNED, tag="也许"), None, "unknown_label"),
        ({**record("q", "c", ALIGNED), "chunk": "  "}, None, "missing_field"),
        ({"question": "q", "chunk": "c", "llm_analysis": "对齐 <label>对齐</label>"}, None, "no_step3"),
        ({**record("q", "c", ALIGNED), "llm_analysis": record("q", "c", ALIGNED)["llm_analysis"]
          + "<label>不对齐</label>"}, None, "conflicting_tags"),
        (["not", "an", "object"], None, "not_an_object"),
    ],
)
def test_bad_teacher_records_are_rejected_with_their_reason(rec, file_label, category, tmp_path):
    raw = read_records(write(tmp_path / "t.json", [rec]))[0]
    result = validate(raw, file_label)
    assert getattr(result, "category", None) == category, result


def test_label_comes_from_the_tag_and_the_analysis_loses_it(tmp_path):
    raw = read_records(write(tmp_path / "t.json", [record("q", "c", UNALIGNED)]))[0]
    example = validate(raw, UNALIGNED)
    assert example.label == UNALIGNED
    assert "<label>" not in example.analysis and example.analysis.startswith("1. ")


def test_step3_reads_the_longer_label_first():
    assert step3_label("3. 判断实体是否对齐：不对齐（产品不同）") == UNALIGNED
    assert step3_label("3.判断实体是否对齐: 对齐") == ALIGNED
    assert step3_label("没有第三步") is None


def test_jsonl_input_keeps_invalid_lines_as_rejections(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(record("q", "c", ALIGNED), ensure_ascii=False) + "\n{broken\n\n", encoding="utf-8")
    raws = read_records(path)
    assert len(raws) == 2 and raws[1].parse_error and raws[1].id == "t.jsonl:2"


def test_unreadable_json_array_is_a_named_error(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(TeacherFileError):
        read_records(path)


# -- the whole conversion -------------------------------------------------------------------------
def test_sample_data_converts_and_counts_reconcile(converted_samples):
    stats = load(converted_samples["stats"])
    rejects = jsonl(converted_samples["rejects"])
    assert stats["total_input"] == stats["converted"] + stats["total_rejected"]
    assert len(rejects) == stats["total_rejected"]
    # The generator's planted noise is exactly what gets rejected, each for its own reason (of two
    # duplicates the first in file order is kept, so the rejected copy may be the original).
    assert Counter(r["category"] for r in rejects) == {"missing_tag": 3, "step3_conflict": 3, "wrong_file": 2,
                                                        "duplicate": 4, "missing_field": 1}
    for rejection in rejects:
        if rejection["category"] != "duplicate":
            assert rejection["record"]["kind"].startswith("noise_"), rejection
    written = sum(sum(modes.values()) - modes.get("fast", 0) for modes in stats["splits"].values())
    assert written == stats["converted"]


def test_audit_flags_exactly_the_teacher_labels_the_rules_contradict(converted_samples):
    flags = jsonl(converted_samples["audit"])
    assert {f["kind"] for f in flags} == {"noise_teacher_wrong"} and len(flags) == 6
    assert all(f["teacher"] == UNALIGNED and f["rules"] == ALIGNED for f in flags)
    flagged = {f["id"] for f in flags}
    kept = [r for split in ("train", "val", "test") for r in load(converted_samples[split]) if r["id"] in flagged]
    assert kept and all(r["audit"] == "disagree" for r in kept)  # kept in the data, flagged


def test_records_are_sharegpt_with_the_prompt_module_texts(converted_samples):
    for rec in load(converted_samples["train"]):
        system, user, assistant = rec["messages"]
        assert [system, user] == build_messages(rec["question"], rec["chunk"])
        assert system["content"] == SYSTEM_PROMPT and assistant["role"] == "assistant"
        if rec["mode"] == "think":
            assert assistant["content"].startswith("<think>\n1. ")
            assert assistant["content"].endswith("</think>\n\n" + rec["label"])
        else:
            assert assistant["content"] == rec["label"]


def test_split_keeps_each_question_on_one_side(converted_samples):
    sides = {}
    for split in ("train", "val", "test"):
        for rec in load(converted_samples[split]):
            sides.setdefault(question_group(rec["question"]), set()).add(split)
    assert all(len(s) == 1 for s in sides.values())
    assert all(load(converted_samples[split]) for split in ("val", "test"))


def test_fast_share_adds_label_only_copies_in_the_same_split(converted_samples):
    for split in ("train", "val", "test"):
        records = load(converted_samples[split])
        think = {r["id"] for r in records if r["mode"] == "think"}
        fast = [r for r in records if r["mode"] == "fast"]
        assert {r["id"] for r in fast} <= think
        assert len(fast) == round(0.3 * len(think))


def test_same_question_and_chunk_labelled_both_ways_is_rejected_entirely(tmp_path):
    a = write(tmp_path / "a.json", [record("sv660n报e100", "sv660 e100说明", ALIGNED)])
    u = write(tmp_path / "u.json", [record("sv660n报e100", "sv660 e100说明", UNALIGNED)])
    stats, _ = convert([Source(a, ALIGNED), Source(u, UNALIGNED)], tmp_path / "out" / "d.json",
                       ConvertOptions(val=0, test=0))
    assert stats.converted == 0 and stats.rejected == {"conflicting_pair": 2}


def test_balancing_makes_classes_one_to_one_and_rejects_the_rest(tmp_path):
    aligned = [record(f"sv660n报e{100 + i}", f"sv660 e{100 + i}说明", ALIGNED) for i in range(6)]
    unaligned = [record(f"md500报e{100 + i}", f"sv660 e{100 + i}说明", UNALIGNED) for i in range(2)]
    stats, _ = convert([Source(write(tmp_path / "a.json", aligned), ALIGNED),
                        Source(write(tmp_path / "u.json", unaligned), UNALIGNED)],
                       tmp_path / "out" / "d.json", ConvertOptions(val=0, test=0, balance=True))
    assert stats.labels == {ALIGNED: 2, UNALIGNED: 2} and stats.rejected == {"balancing": 4}
    assert stats.reconciles()


def test_outputs_are_not_overwritten_without_the_flag(tmp_path):
    a = write(tmp_path / "a.json", [record("q", "c", ALIGNED)])
    out = tmp_path / "out" / "d.json"
    convert([Source(a, ALIGNED)], out, ConvertOptions(val=0, test=0))
    with pytest.raises(OutputExistsError):
        convert([Source(a, ALIGNED)], out, ConvertOptions(val=0, test=0))
    convert([Source(a, ALIGNED)], out, ConvertOptions(val=0, test=0, overwrite=True))


def test_cli_merge_mode_without_include_unaligned_rejects_that_file(tmp_path, capsys):
    a = write(tmp_path / "a.json", [record("q1", "c1", ALIGNED)])
    u = write(tmp_path / "u.json", [record("q2", "c2", UNALIGNED)])
    out = tmp_path / "out" / "train.json"
    assert convert_main(["--mode", "merge", "--aligned", str(a), "--unaligned", str(u), "--output", str(out),
                         "--val", "0", "--test", "0"]) == 0
    printed = capsys.readouterr().out
    assert "check: 2 input = 1 converted + 1 rejected" in printed
    assert jsonl(tmp_path / "out" / "train_rejects.jsonl")[0]["category"] == "excluded"


def test_cli_single_mode_reads_labels_from_the_records(tmp_path, capsys):
    f = write(tmp_path / "f.json", [record("q1", "c1", ALIGNED), record("q2", "c2", UNALIGNED)])
    out = tmp_path / "out" / "train.json"
    assert convert_main(["--mode", "single", "--input", str(f), "--output", str(out), "--val", "0", "--test", "0",
                         "--fast-share", "0"]) == 0
    records = load(out)
    assert [r["label"] for r in records] == [ALIGNED, UNALIGNED]
    analysis = format_analysis("产品信息-x", "产品信息-y", UNALIGNED, "理由")
    assert records[1]["messages"][2]["content"] == assistant_target(UNALIGNED, analysis)
    assert convert_main(["--mode", "single", "--input", str(f), "--output", str(out)]) == 2  # exists
    assert "--overwrite" in capsys.readouterr().err
