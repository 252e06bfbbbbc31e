"""training.run refuses what it cannot do before it starts it (issue 13, items 18 and 20): a rerun over the same
--work with other inputs names the step whose inputs changed, and a step whose needs this machine does not meet
(a CUDA GPU with bf16, a base model it can load) stops with one clear line instead of a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from training.run import main as run_main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "training" / "examples"
MERGE = ("--aligned", str(EXAMPLES / "aligned.json"), "--unaligned", str(EXAMPLES / "unaligned.json"),
         "--include-unaligned")


def run(work: Path, *args: str) -> int:
    return run_main(["--work", str(work), *args])


def error_lines(capsys: pytest.CaptureFixture) -> list[str]:
    return errors_in(capsys.readouterr().err)


def errors_in(err: str) -> list[str]:
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("python -m training.run: error: ")]


def test_rerun_with_another_input_names_the_convert_step(tmp_path: Path, capsys: pytest.CaptureFixture):
    assert run(tmp_path, *MERGE, "--skip", "train,evaluate") == 0
    assert run(tmp_path, "--input", str(EXAMPLES / "aligned.json"), "--skip", "train,evaluate") == 1
    [line] = error_lines(capsys)
    assert "convert was done" in line and "--input" in line and "--overwrite" in line


def test_rerun_with_another_profile_names_the_configs_step(tmp_path: Path, capsys: pytest.CaptureFixture):
    assert run(tmp_path, *MERGE, "--profile", "tiny", "--skip", "train,evaluate") == 0
    capsys.readouterr()
    # the same inputs again: each step is already done; no --profile: the work dir's own profile (tiny) goes on
    assert run(tmp_path, *MERGE, "--skip", "train,evaluate") == 0
    assert capsys.readouterr().out.count("already done") == 2
    assert run(tmp_path, *MERGE, "--profile", "qlora", "--skip", "train,evaluate") == 1
    [line] = error_lines(capsys)
    assert "configs was done" in line and "--profile" in line
    # --overwrite redoes it with the new profile
    assert run(tmp_path, *MERGE, "--profile", "qlora", "--skip", "train,evaluate", "--overwrite") == 0


@pytest.mark.parametrize("profile", ["lora", "qlora", "ddp", "ds_z3"])
def test_gpu_profiles_on_a_machine_without_cuda_stop_with_one_line(profile: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert run(tmp_path, *MERGE, "--profile", profile, "--skip", "evaluate") == 1
    [line] = error_lines(capsys)
    assert f"profile {profile} needs a CUDA GPU" in line and ("GiB" in line or "GPUs" in line)
    assert "--profile tiny is the CPU smoke run" in line
    assert not (tmp_path / "logs" / "train.log").exists()  # LLaMA-Factory was never launched


@pytest.mark.parametrize("model", ["no-such-org/no-such-model-ea", "/no/such/base-model-dir"])
def test_a_base_model_that_cannot_be_found_offline_stops_with_one_line(model: str, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture,
                                                                       monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert run(tmp_path, *MERGE, "--profile", "tiny", "--model", model, "--skip", "evaluate") == 1
    [line] = error_lines(capsys)
    assert f"base model {model}" in line and "--model DIR" in line
    assert not (tmp_path / "logs" / "train.log").exists()


def test_python_m_training_run_stops_with_one_line(tmp_path: Path):
    """Run as __main__, training.run once caught its own StepError class, not the one a step raised (the module
    was imported twice), and printed a traceback."""
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    result = subprocess.run([sys.executable, "-m", "training.run", "--work", str(tmp_path), *MERGE, "--profile",
                             "lora", "--skip", "evaluate"], capture_output=True, text=True, timeout=300, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 1
    [line] = errors_in(result.stderr)
    assert "train: profile lora needs a CUDA GPU" in line


def test_ctrl_c_during_a_step_says_the_finished_steps_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                               monkeypatch: pytest.MonkeyPatch):
    import dataclasses

    from training import run as run_module

    def pressed_ctrl_c(plan):  # the user's Ctrl-C, arriving while the configs step works
        raise KeyboardInterrupt

    steps = tuple(dataclasses.replace(s, run=pressed_ctrl_c) if s.name == "configs" else s for s in run_module.STEPS)
    monkeypatch.setattr(run_module, "STEPS", steps)
    assert run(tmp_path, *MERGE, "--profile", "tiny", "--skip", "train,evaluate") == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "interrupted: the finished steps are kept" in err and "again" in err
    assert (tmp_path / ".done" / "convert.json").exists() and not (tmp_path / ".done" / "configs.json").exists()


def test_the_evaluate_step_judges_the_model_training_left(tiny_model_dir: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture):
    """The evaluate step without minutes of training: configs written, then train.yaml says a full fine-tuning
    run left the tiny model in output_dir; evaluate loads it, judges the test split and writes its report."""
    import yaml

    tiny = ("--profile", "tiny", "--model", str(tiny_model_dir), "--eval-limit", "3")
    assert run(tmp_path, *MERGE, *tiny, "--skip", "train,evaluate") == 0
    train_yaml = tmp_path / "configs" / "train.yaml"
    config = yaml.safe_load(train_yaml.read_text(encoding="utf-8"))
    train_yaml.write_text(yaml.safe_dump({**config, "finetuning_type": "full", "output_dir": str(tiny_model_dir)}),
                          encoding="utf-8")
    assert run(tmp_path, *MERGE, *tiny, "--skip", "train") == 0
    metrics = json.loads((tmp_path / "eval" / "fast" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 3 and metrics["backend"] == "transformers"
    assert "evaluate done" in capsys.readouterr().out and (tmp_path / ".done" / "evaluate.json").exists()
