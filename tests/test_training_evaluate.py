"""training.evaluate: metrics of any backend on a labelled set, written as JSON, JSONL and PNG."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ea_plugin.judge import load_judge
from ea_plugin.judgement import Judgement, Pair
from ea_plugin.policy import Policy
from ea_plugin.prompts import ALIGNED, UNALIGNED
from training.evaluate import evaluate, load_labelled, write_outputs
from training.evaluate import main as evaluate_main
from training.judge_metrics import Scored, classification, per_kind, reliability, threshold_sweep


def _scored(gold: str, label: str | None, score: float | None, kind: str = "k", error: str | None = None) -> Scored:
    judgement = Judgement(label, score=score, error=error) if label else Judgement.failed(error or "x")
    return Scored(gold, Policy().decide(judgement, Pair("q", "c")), kind)


def test_classification_counts_drops_as_the_positive_class():
    items = [
        _scored(UNALIGNED, UNALIGNED, 0.1),  # correctly dropped
        _scored(UNALIGNED, ALIGNED, 0.9),  # missed
        _scored(ALIGNED, UNALIGNED, 0.2),  # aligned chunk wrongly dropped
        _scored(ALIGNED, ALIGNED, 0.8),
        _scored(ALIGNED, None, None, error="unparseable"),  # failure: kept by the default policy
    ]
    m = classification(items)
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["precision_unaligned"] == pytest.approx(1 / 2) and m["recall_unaligned"] == pytest.approx(1 / 2)
    assert m["f1_unaligned"] == pytest.approx(1 / 2)
    assert m["wrongly_dropped_rate"] == pytest.approx(1 / 3)
    assert m["parse_failures"] == 1


def test_reliability_and_sweep_follow_the_scores():
    items = [_scored(ALIGNED, ALIGNED, 0.95), _scored(ALIGNED, ALIGNED, 0.85), _scored(UNALIGNED, UNALIGNED, 0.05),
             _scored(UNALIGNED, ALIGNED, 0.65)]
    rel = reliability(items, bins=10)
    assert [b["n"] for b in rel["bins"]] == [1, 1, 1, 1]
    assert rel["ece"] == pytest.approx((0.05 + 0.15 + 0.05 + 0.65) / 4)
    sweep = {row["threshold"]: row for row in threshold_sweep(items, steps=10)}
    assert sweep[0.5]["accuracy"] == pytest.approx(3 / 4)
    assert sweep[0.7]["accuracy"] == pytest.approx(1.0) and sweep[0.7]["wrongly_dropped_rate"] == 0.0
    assert sweep[0.9]["wrongly_dropped_rate"] == pytest.approx(1 / 2)


def test_per_kind_breakdown():
    rows = per_kind([_scored(ALIGNED, ALIGNED, 1.0, "a"), _scored(ALIGNED, UNALIGNED, 0.0, "a"),
                     _scored(UNALIGNED, UNALIGNED, 0.0, "b")])
    assert rows == {"a": {"n": 2, "accuracy": 0.5, "parse_failures": 0},
                    "b": {"n": 1, "accuracy": 1.0, "parse_failures": 0}}


def test_rules_backend_on_the_converted_test_split(converted_samples, tmp_path):
    pairs, skipped = load_labelled(converted_samples["test"])
    assert not skipped and len({p.id for p in pairs}) == len(pairs)  # fast copies counted once
    report, items = evaluate(load_judge("rules"), pairs, show_progress=False)
    paths = write_outputs(tmp_path, report, pairs, items)
    saved = json.loads(paths["metrics"].read_text())
    assert saved["n"] == len(pairs) and saved["backend"] == "rules"
    assert set(saved["per_kind"]) == {p.kind for p in pairs}
    assert saved["threshold_sweep"] and saved["reliability"]["n"] == len(pairs)
    assert len(paths["predictions"].read_text().splitlines()) == len(pairs)
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"


def test_teacher_files_evaluate_directly_and_unusable_records_are_listed(tmp_path, capsys):
    examples = Path(__file__).resolve().parents[1] / "training" / "examples" / "unaligned.json"
    assert evaluate_main(["--data", str(examples), "--backend", "rules", "--out", str(tmp_path)]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # The teacher's 6 planted wrong labels are the rules backend's only disagreements.
    assert metrics["per_kind"]["noise_teacher_wrong"] == {"n": 6, "accuracy": 0.0, "parse_failures": 0}
    assert metrics["accuracy"] == pytest.approx((metrics["n"] - 6) / metrics["n"])
    assert [s["category"] for s in metrics["skipped"]] == ["step3_conflict"] * 3
    assert "skipped" in capsys.readouterr().err
