"""The serving benchmark, run on CPU with the tiny model and a few queries, so it cannot rot."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")


def test_judge_serving_tiny_run_reports_latencies_and_coalesced_scores_match(tiny_model_dir: Path, tmp_path: Path):
    from benchmarks.judge_serving import main

    out = tmp_path / "judge_serving.md"
    rows = main(["--tiny", "--cache", str(tiny_model_dir.parent), "--out", str(out)])

    scenarios = [row.scenario for row in rows]
    assert scenarios[0].endswith("coalesced (default)") and scenarios[1].endswith("not coalesced (coalesce=False)")
    assert any(s.startswith("bulk fast mode") for s in scenarios)
    assert any(s.startswith("one query alone, think mode") for s in scenarios)
    for row in rows[:2]:
        assert "(ok:" in row.note and len(row.latencies) == row.queries == 4
    assert "merged backend calls" in rows[0].note
    text = out.read_text(encoding="utf-8")
    assert "| scenario | queries x chunks | s | pairs/s | p50 latency ms | p95 latency ms | peak GiB | check |" in text
