"""Memorisation through the real pipeline: LLaMA-Factory trains a small random Qwen3 on 8 converted
examples (4 per label, each in think and fast mode) until it knows them; the transformers backend then
reproduces their labels in fast mode and in think mode (with its reasoning). This fails if the labels
were masked away, if training and serving rendered different tokens, or if the fast-mode empty think
block leaked into think mode.

The model: the tiny Qwen3 (real tokenizer) at width 256 with a wide initialisation (embeddings of
norm ~8, so a few steps can make a token clearly the likeliest of 151,936), embeddings frozen
(LLaMA-Factory's freeze tuning of every layer plus the final norm): the 39M-parameter embedding needs
neither gradients nor Adam state. Each record is ~2,100 tokens (the v3 system prompt is ~1,940), so a
step is the cost of one such sequence: without gradient checkpointing (nothing to save on 40M parameters;
the same gradients) and with OpenMP threads that sleep rather than spin while they wait, a step costs
~0.9 CPU-s instead of ~3.2 on a busy 2-core box (benchmarks/RESULTS.md, "Test suite time").
With the v3 prompt's full-length records 20 epochs left one fast-mode label wrong (15 of 16, think 0.69, loss
0.047); 30 epochs gave 16 of 16 in both modes (15 of 16 reasonings word for word, loss 0.0045), 1,847 s of
training on a box at load ~6, 496 s for the test on an idle one. 4 per label (2026-12-07): 8 of 8 in both modes,
fast scores 1.0/0.0, 8 of 8 reasonings word for word, loss 0.0035, 263 s for the test on an idle 2-core box: half
the steps, the same proof (a masked label, a render mismatch or a leaked think block still fails it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ea_plugin.judgement import parse_answer
from ea_plugin.prompts import ALIGNED, UNALIGNED
from training.run import main as run_main

REPO = Path(__file__).resolve().parents[1]
# 4 clean records per label from the v1 sample data (the v2 samples carry long shared filler sentences that this
# small model does not separate within CI's time: 15 of 16 after 32 epochs).
EXAMPLES = REPO / "tests" / "data" / "memorisation"
PER_LABEL = 4
MEMO_MODEL = dict(hidden_size=256, intermediate_size=512, num_attention_heads=4, num_key_value_heads=2,
                  initializer_range=0.5)
RECIPE = {
    "finetuning_type": "freeze", "freeze_trainable_layers": 2, "freeze_trainable_modules": "all",
    "freeze_extra_modules": "norm", "per_device_train_batch_size": 1, "gradient_accumulation_steps": 1,
    "learning_rate": 5.0e-3, "lr_scheduler_type": "cosine", "warmup_steps": 0.05, "num_train_epochs": 30,
    "logging_steps": 32, "save_strategy": "no",
    # Checkpointing recomputes the forward in the backward: a third more work for memory this model does not need.
    "disable_gradient_checkpointing": True,
}


def _clean(name: str) -> list[dict]:
    records = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return [r for r in records if not r["kind"].startswith("noise_")][:PER_LABEL]


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_trained_judge_reproduces_its_training_labels_in_both_modes(tiny_model_dir, tmp_path, monkeypatch):
    from devtools.tiny_model import build_tiny_qwen3

    # The training child's OpenMP threads sleep while they wait instead of spinning: on a 2-core box shared with
    # other work a spinning thread burns the core the other one needs (2-3x the CPU time per step, measured).
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    base = build_tiny_qwen3(tiny_model_dir.parent / "tiny-qwen3-memo", **MEMO_MODEL)
    for name in ("aligned.json", "unaligned.json"):
        (tmp_path / name).write_text(json.dumps(_clean(name), ensure_ascii=False), encoding="utf-8")
    work = tmp_path / "run"
    overrides = [f"--set={key}={value}" for key, value in RECIPE.items()]
    code = run_main([
        "--work", str(work), "--aligned", str(tmp_path / "aligned.json"), "--unaligned",
        str(tmp_path / "unaligned.json"), "--include-unaligned", "--val", "0", "--test", "0", "--fast-share", "1",
        "--profile", "tiny", "--model", str(base), *overrides,
        "--eval-data", str(work / "data" / "train.json"), "--eval-mode", "fast", "think",
    ])
    assert code == 0

    labels = [json.loads(line)["gold"] for line in (work / "eval" / "fast" / "predictions.jsonl").open()]
    assert sorted(labels) == sorted([ALIGNED] * PER_LABEL + [UNALIGNED] * PER_LABEL)
    for mode in ("fast", "think"):
        metrics = json.loads((work / "eval" / mode / "metrics.json").read_text())
        assert metrics["n"] == 2 * PER_LABEL
        assert metrics["accuracy"] >= 0.95, (mode, metrics)
    # Think mode reasons (no empty think block), and mostly word for word what it was taught.
    taught = {r["id"]: parse_answer(r["messages"][-1]["content"]).reasoning
              for r in json.loads((work / "data" / "train.json").read_text()) if r["mode"] == "think"}
    think = [json.loads(line) for line in (work / "eval" / "think" / "predictions.jsonl").open()]
    assert all(p["reasoning"].strip() for p in think)
    assert sum(p["reasoning"] == taught[p["id"]] for p in think) >= 0.75 * len(think)
    assert (work / "model" / "training_loss.png").exists()
