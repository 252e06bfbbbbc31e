"""training.lf_train: LLaMA-Factory's training entry with the label-logits callback, also under torchrun."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from training.lf_train import torchrun_command
from training.recipe import lf_environ, train_config, write_dataset_info, write_yaml

REPO = Path(__file__).resolve().parents[1]


def test_torchrun_command_runs_this_module_once_per_gpu():
    command = torchrun_command(["cfg.yaml", "max_steps=2"], nproc=2, port=29500)
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert command[command.index("--nproc_per_node") + 1] == "2"
    assert command[-4:] == ["-m", "training.lf_train", "cfg.yaml", "max_steps=2"]


def _train(model: Path, data: Path, out: Path, overrides: dict, env: dict[str, str]) -> tuple[dict, str]:
    """Train the tiny model through training.lf_train; (step-1 log entry, the run's output)."""
    config = train_config("tiny", dataset_dir=data, output_dir=out, model=model, with_eval=False,
                          overrides={"max_steps": 1, "max_samples": 16, **overrides})
    yaml_path = write_yaml(out.parent / f"{out.name}.yaml", config)
    proc = subprocess.run([sys.executable, "-m", "training.lf_train", str(yaml_path)], cwd=REPO,
                          env=lf_environ(env), capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    return next(h for h in history if h.get("step") == 1 and "loss" in h), output


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_data_parallel_workers_with_compiled_layers_match_one_process(converted_samples, tiny_model_dir,
                                                                          tmp_path):
    """The multi-GPU path on CPU: torchrun starts two gloo workers (DDP, 2 sequences each, compiled decoder
    layers, as the ddp profile) and their first optimizer step equals one eager process accumulating the
    same 4 sequences in 2 micro-batches: same loss and gradient norm."""
    data = converted_samples["train"].parent
    write_dataset_info(data, converted_samples["train"].name)
    ddp, output = _train(tiny_model_dir, data, tmp_path / "ddp", {"ddp_find_unused_parameters": False},
                         {"FORCE_TORCHRUN": "1", "NPROC_PER_NODE": "2", "EA_COMPILE_LAYERS": "1"})
    assert "world size: 2, device: cpu:0, distributed training: True" in output
    for rank in (0, 1):
        assert f"[training.label_logits] LM head only at labelled positions (rank {rank})" in output
        assert f"[training.compile_layers] 2 decoder layers compiled (rank {rank})" in output
    assert (tmp_path / "ddp" / "adapter_model.safetensors").exists()
    single, _ = _train(tiny_model_dir, data, tmp_path / "single", {"gradient_accumulation_steps": 2},
                       {"EA_COMPILE_LAYERS": "0"})
    assert ddp["loss"] == pytest.approx(single["loss"], rel=1e-5)
    assert ddp["grad_norm"] == pytest.approx(single["grad_norm"], rel=1e-4)


def test_the_lora_profile_compiles_decoder_layers_and_the_tiny_one_does_not(monkeypatch):
    from training import lf_train
    from training.recipe import profile_env, train_config

    assert profile_env("lora") == {"EA_COMPILE_LAYERS": "1"} and profile_env("tiny") == {}
    assert train_config("lora")["enable_liger_kernel"] is False  # Liger's kernels do not trace under compile
    monkeypatch.delenv("EA_COMPILE_LAYERS", raising=False)
    assert [type(c).__name__ for c in lf_train.callbacks()] == ["LabelLogitsCallback"]
    monkeypatch.setenv("EA_COMPILE_LAYERS", "1")
    assert [type(c).__name__ for c in lf_train.callbacks()] == ["LabelLogitsCallback", "CompileLayersCallback"]


def test_compiled_decoder_layers_give_the_eager_loss_and_gradients(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM

    from training.compile_layers import compile_decoder_layers

    torch.manual_seed(0)
    ids = torch.randint(0, 1000, (2, 24))
    grads = []
    for compiled in (False, True):
        model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
        if compiled:
            assert compile_decoder_layers(model) == model.config.num_hidden_layers
            assert all(layer._compiled_call_impl is not None for layer in model.model.layers)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        grads.append((loss.detach(), model.model.layers[0].mlp.up_proj.weight.grad.clone()))
    assert torch.allclose(grads[0][0], grads[1][0], rtol=1e-5)
    assert torch.allclose(grads[0][1], grads[1][1], rtol=1e-4, atol=1e-6)


def test_layers_with_liger_kernels_stay_eager(tiny_model_dir):
    import torch
    from liger_kernel.transformers import LigerRMSNorm
    from transformers import AutoModelForCausalLM

    from training.compile_layers import compile_decoder_layers, liger_modules

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    model.model.layers[0].input_layernorm = LigerRMSNorm(model.config.hidden_size)
    assert liger_modules(model) == ["LigerRMSNorm"]
    assert compile_decoder_layers(model) == 0
    assert all(getattr(layer, "_compiled_call_impl", None) is None for layer in model.model.layers)
