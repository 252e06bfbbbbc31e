"""End to end on CPU with the real LLaMA-Factory: convert the sample data, train a few LoRA steps on the
tiny model, export (merge) the adapter, load it in the transformers backend, evaluate; then a rerun
skips the finished steps and nothing is overwritten without --overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.run import main as run_main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "training" / "examples"
# LLaMA-Factory reads only the first records of each split (train and val): two steps of two records need 4, and
# the trainer's closing evaluation of the whole val split (74 records of ~2,100 tokens, a 151,936-way head at every
# position) took ~10 of the test's 15 minutes on a busy 2-core box.
FEW = ["--set", "max_samples=4"]


def _run(work: Path, *extra: str) -> int:
    return run_main(["--work", str(work), "--aligned", str(EXAMPLES / "aligned.json"),
                     "--unaligned", str(EXAMPLES / "unaligned.json"), "--include-unaligned", *extra])


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_retraining_workflow_trains_exports_and_evaluates(tiny_model_dir, tmp_path, capsys):
    work = tmp_path / "run"
    tiny = ["--profile", "tiny", "--model", str(tiny_model_dir), "--set", "max_steps=2",
            "--set", "save_steps=1", *FEW, "--export", "--eval-mode", "fast", "--eval-limit", "8"]
    assert _run(work, *tiny) == 0
    out = capsys.readouterr().out

    # convert: counts reconcile; configs: a plain LLaMA-Factory YAML; train: adapter, checkpoint, loss log
    stats = json.loads((work / "data" / "train_stats.json").read_text())
    assert stats["total_input"] == stats["converted"] + stats["total_rejected"] > 0
    assert "check: " in out
    model = work / "model"
    assert (model / "adapter_model.safetensors").exists()
    assert (model / "checkpoint-2").is_dir()
    logged = [json.loads(line) for line in (model / "trainer_log.jsonl").read_text().splitlines()]
    assert [row["current_steps"] for row in logged if "loss" in row] == [1, 2]
    # export: a merged model that the transformers backend loaded for evaluation
    assert (work / "merged" / "config.json").exists()
    metrics = json.loads((work / "eval" / "fast" / "metrics.json").read_text())
    assert metrics["backend"] == "transformers" and metrics["n"] == 8
    assert metrics["parse_failures"] == 0  # fast mode always yields a label and a score
    assert (work / "eval" / "fast" / "report.png").stat().st_size > 0

    # A rerun finds every step done and redoes nothing.
    assert _run(work, *tiny) == 0
    assert capsys.readouterr().out.count("already done") == 5
    # Writing a changed recipe over the existing one without --overwrite is refused.
    (work / ".done" / "configs.json").unlink()
    assert _run(work, *tiny, "--set", "learning_rate=0.5") == 1
    assert "exists with other settings" in capsys.readouterr().err


@pytest.mark.slow
def test_plain_llamafactory_cli_trains_the_written_yaml(tiny_model_dir, tmp_path):
    """The YAML needs no project code: llamafactory-cli itself trains it."""
    work = tmp_path / "run"
    args = ["--profile", "tiny", "--model", str(tiny_model_dir), "--set", "max_steps=1", *FEW, "--skip", "evaluate",
            "--launcher", "llamafactory-cli", "--val", "0", "--test", "0"]
    assert _run(work, *args) == 0
    assert (work / "model" / "adapter_model.safetensors").exists()
    assert (work / "logs" / "train.log").read_text().splitlines()[0].endswith(
        f"llamafactory-cli train {work / 'configs' / 'train.yaml'}")
