"""What to label next (training.select with the tiny model's real fast scores) and the whole loop from the shipped
sample corpus: mine -> label (rules teacher) -> convert -> train the tiny model -> evaluate, counts reconciling at
every step."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from integrations.corpus import SAMPLE_CORPUS
from training.mine import main as mine_main
from training.select import Candidate, choose
from training.select import main as select_main

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "training" / "examples" / "questions.txt"


def candidate(label: str | None, score: float | None, rules: str) -> Candidate:
    return Candidate({}, label, score, rules, "product")


def test_choose_splits_the_budget_between_disagreements_uncertainty_and_random():
    cands = [candidate("对齐", 0.9, "不对齐"), candidate("对齐", 0.55, "不对齐"),  # disagreements, 0.55 less sure
             candidate("对齐", 0.51, "对齐"), candidate("不对齐", 0.45, "不对齐"),  # uncertain, agreeing
             candidate("对齐", 0.99, "对齐"), candidate("不对齐", 0.01, "不对齐")]  # sure and agreeing
    picked = dict(choose(cands, 5, random_share=0.2, threshold=0.5, seed=0))
    assert sorted(Counter(picked.values()).items()) == [("disagreement", 2), ("random", 1), ("uncertain", 2)]
    assert {i for i, r in picked.items() if r != "random"} == {0, 1, 2, 3}
    # The first half of a small budget goes to the least confident disagreement.
    assert choose(cands, 2, random_share=0.0, threshold=0.5, seed=0) == [(1, "disagreement"), (2, "uncertain")]
    # Without scores only disagreements and random picks remain.
    unscored = [candidate(c.judge_label, None, c.rules_label) for c in cands]
    reasons = Counter(r for _, r in choose(unscored, 4, random_share=0.0, threshold=0.5, seed=0))
    assert reasons == {"disagreement": 2, "random": 2}


def test_select_with_the_tiny_models_scores_reconciles_and_excludes_labelled(tiny_model_dir: Path, tmp_path: Path):
    pairs = tmp_path / "pairs.jsonl"
    assert mine_main(["--questions", str(QUESTIONS), "--corpus", str(SAMPLE_CORPUS), "--top-k", "2",
                      "--out", str(pairs)]) == 0
    lines = pairs.read_text(encoding="utf-8").splitlines()
    labelled = tmp_path / "done.jsonl"
    labelled.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    pairs.write_text("\n".join([*lines, lines[7], "not json"]) + "\n", encoding="utf-8")
    out = tmp_path / "next.jsonl"
    assert select_main([str(pairs), "--out", str(out), "--count", "20", "--model", str(tiny_model_dir),
                        "--exclude", str(labelled), "--random-share", "0.25"]) == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    stats = json.loads(out.with_suffix(".stats.json").read_text())
    counts = (stats["input_lines"], stats["rejected"], stats["excluded"], stats["duplicates"])
    assert counts == (len(lines) + 2, 1, 5, 1)
    assert stats["written"] == len(rows) == 20 and stats["chosen_random"] == 5
    assert not {r["question"] + r["chunk"] for r in rows} & {json.loads(x)["question"] + json.loads(x)["chunk"]
                                                            for x in lines[:5]}
    assert all(0.0 <= r["judge_score"] <= 1.0 and r["rules_label"] in ("对齐", "不对齐") for r in rows)
    informed = [r for r in rows if r["select_reason"] != "random"]
    assert all((r["judge_label"] != r["rules_label"]) == (r["select_reason"] == "disagreement") for r in informed)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_loop_from_the_sample_corpus_to_an_evaluated_model(tiny_model_dir: Path, tmp_path: Path):
    from training.label import main as label_main
    from training.run import main as run_main

    data = tmp_path / "data"
    assert mine_main(["--questions", str(QUESTIONS), "--corpus", str(SAMPLE_CORPUS), "--top-k", "5",
                      "--stratify", "120", "--out", str(data / "pairs.jsonl")]) == 0
    mined = json.loads((data / "pairs.stats.json").read_text())
    assert mined["retrieved"] == mined["duplicates"] + mined["not_sampled"] + mined["written"]
    assert mined["written"] == 120

    assert label_main([str(data / "pairs.jsonl"), "--out", str(data / "labelled"), "--quiet"]) == 0
    labelled = json.loads((data / "labelled" / "label_stats.json").read_text())
    assert labelled["input_lines"] == 120 == labelled["aligned"] + labelled["unaligned"] + labelled["rejected"]
    assert labelled["aligned"] > 0 and labelled["unaligned"] > 0

    work = tmp_path / "run"
    # One step of 2 sequences reads 2 records per split: the trainer's closing evaluation then runs over 2 val
    # records, not the whole split with the LM head at every position (minutes on a busy 2-core box).
    assert run_main(["--labelled", str(data / "labelled"), "--work", str(work), "--profile", "tiny", "--model",
                     str(tiny_model_dir), "--set", "max_steps=1", "--set", "max_samples=2", "--eval-mode", "fast",
                     "--eval-limit", "6"]) == 0
    converted = json.loads((work / "data" / "train_stats.json").read_text())
    assert converted["total_input"] == labelled["aligned"] + labelled["unaligned"]
    assert converted["total_input"] == converted["converted"] + converted["total_rejected"]
    assert converted["converted"] == labelled["aligned"] + labelled["unaligned"]  # the label step checked them
    assert (work / "model" / "adapter_model.safetensors").exists()
    metrics = json.loads((work / "eval" / "fast" / "metrics.json").read_text())
    assert metrics["n"] == 6 and metrics["parse_failures"] == 0
