"""The ea-judge command: one pair, the worked examples, and a resumable JSONL filter."""

import json
import subprocess
import sys

import pytest

from ea_plugin import ALIGNED
from ea_plugin.cli import main
from ea_plugin.examples import WORKED_EXAMPLES


def test_judge_one_pair_prints_decision_and_reasons(capsys):
    assert main(["judge", "sv660n出现e100故障怎么办？", "md500变频器e100故障"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("drop 不对齐") and "4. 给出判断理由：产品不同" in out


def test_judge_json_output_is_a_decision_with_its_judgement(capsys):
    main(["judge", "sv660n报e100", "sv660系列e100.1", "--json"])
    decision = json.loads(capsys.readouterr().out)
    assert (decision["kept"], decision["why"]) == (True, "aligned")
    assert decision["judgement"]["label"] == "对齐" and decision["judgement"]["backend"] == "rules"


def test_examples_cover_every_worked_example(capsys):
    main(["examples"])
    out = capsys.readouterr().out
    kept = sum(ex.label == ALIGNED for ex in WORKED_EXAMPLES)
    assert out.count("=> keep") == kept and out.count("=> drop") == len(WORKED_EXAMPLES) - kept == 16


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_filter_judges_rejects_with_reasons_and_resumes(tmp_path, capsys):
    source, output = tmp_path / "pairs.jsonl", tmp_path / "judged.jsonl"
    good = [{"question": "sv660n报e100", "chunk": "md500 e100", "id": "a"},
            {"question": "sv660n报e100", "chunk": "sv660 e100.1", "id": "b"}]
    _write(source, [json.dumps(good[0], ensure_ascii=False), "{broken", json.dumps(good[1], ensure_ascii=False),
                    json.dumps({"question": "", "chunk": "x"}), "[1, 2]"])
    assert main(["filter", str(source), "-o", str(output), "--quiet"]) == 0
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    summary = [(r["id"], r["ea"]["kept"], r["ea"]["judgement"]["label"]) for r in rows]
    assert summary == [("a", False, "不对齐"), ("b", True, "对齐")]
    rejects = [json.loads(line) for line in (tmp_path / "judged.rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [2, 4, 5] and all(r["reason"] for r in rejects)

    # a rerun after the input grew judges only the new record
    with source.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"question": "is620p报AL001", "chunk": "is620p E001"}, ensure_ascii=False) + "\n")
    main(["filter", str(source), "-o", str(output), "--quiet"])
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [r["ea"]["line"] for r in rows] == [1, 3, 6]
    assert "judged=1" in capsys.readouterr().err


def test_backends_lists_the_builtins_and_their_options(capsys):
    main(["backends"])
    out = capsys.readouterr().out
    assert "rules" in out and "openai" in out
    assert "--option base_url=..." in out and "--option concurrency=...  (default 16)" in out


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "ea_plugin.cli", "judge", "e100故障怎么办", "伺服驱动器报e100.2"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("keep 对齐")


def test_an_option_the_backend_does_not_take_is_a_one_line_usage_error(capsys):
    assert main(["judge", "q", "c", "--model", "some-model"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ea-judge judge: error: load_judge('rules'): unknown option 'model'")
    assert "Traceback" not in err


def test_filter_steps_by_records_per_step_and_still_takes_the_old_chunk_size_name(tmp_path, capsys):
    source = tmp_path / "pairs.jsonl"
    _write(source, [json.dumps({"question": "sv660n报e100", "chunk": c}, ensure_ascii=False)
                    for c in ("md500 e100", "sv660 e100.1", "sv660n e101")])
    for flag, output in (("--records-per-step", "a.jsonl"), ("--chunk-size", "b.jsonl")):
        assert main(["filter", str(source), "-o", str(tmp_path / output), flag, "2", "--quiet"]) == 0
    assert (tmp_path / "a.jsonl").read_text(encoding="utf-8") == (tmp_path / "b.jsonl").read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["filter", "--help"])
    out = capsys.readouterr().out
    assert "--records-per-step" in out and "--chunk-size" not in out


def test_version_is_the_packages_one(capsys):
    import ea_plugin

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"ea-judge (ea-plugin) {ea_plugin.__version__}"
