"""The training-throughput benchmark runs end to end on CPU (tiny model, 2 steps), so it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_benchmark_smoke_run_prints_a_table_with_matching_first_losses(tiny_model_dir, tmp_path):
    out = tmp_path / "table.md"
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "train_throughput.py"), "--tiny", "--model-dir", str(tiny_model_dir),
         "--steps", "2", "--warmup", "1", "--records", "24", "--work", str(tmp_path / "work"), "--out", str(out),
         "--configs", "tiny_seed,tiny_lora,tiny_compile"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = [line.split("|") for line in out.read_text().splitlines()[2:]]
    assert [row[1].strip() for row in rows] == ["tiny_seed", "tiny_lora", "tiny_compile"]
    tokens_per_s = [float(row[3].replace(",", "")) for row in rows]
    assert all(t > 0 for t in tokens_per_s)
    # Same data, same order, same weights: the label-logits launcher, also with compiled decoder layers,
    # trains on the same tokens to the same loss.
    first_losses = [float(row[7]) for row in rows]
    assert first_losses[1] == pytest.approx(first_losses[0], rel=1e-4)
    assert first_losses[2] == pytest.approx(first_losses[0], rel=1e-4)
    log = (tmp_path / "work" / "runs" / "tiny_compile" / "log.txt").read_text()
    assert "[training.compile_layers] 2 decoder layers compiled" in log
    assert "| tiny_lora |" in proc.stdout
