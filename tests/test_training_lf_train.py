"""training.lf_train: LLaMA-Factory's training entry with the label-logits callback, also under torchrun."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from training.lf_train import MULTICAST_OFF, torchrun_command
from training.recipe import LF_ENV, train_config, write_dataset_info, write_yaml

REPO = Path(__file__).resolve().parents[1]


def test_torchrun_command_runs_this_module_once_per_gpu():
    command = torchrun_command(["cfg.yaml", "max_steps=2"], nproc=2, port=29500)
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert command[command.index("--nproc_per_node") + 1] == "2"
    assert command[-4:] == ["-m", "training.lf_train", "cfg.yaml", "max_steps=2"]
    assert MULTICAST_OFF["NCCL_NVLS_ENABLE"] == "0"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_forced_torchrun_launch_trains_with_the_callback_in_the_worker(converted_samples, tiny_model_dir, tmp_path):
    """The multi-GPU path (torchrun, one worker per device) exercised on CPU with one gloo worker."""
    data = converted_samples["train"].parent
    write_dataset_info(data, converted_samples["train"].name)
    config = train_config("tiny", dataset_dir=data, output_dir=tmp_path / "out", model=tiny_model_dir,
                          with_eval=False, overrides={"max_steps": 1, "max_samples": 8})
    yaml_path = write_yaml(tmp_path / "train.yaml", config)
    env = {**os.environ, **LF_ENV, "FORCE_TORCHRUN": "1", "NPROC_PER_NODE": "1"}
    proc = subprocess.run([sys.executable, "-m", "training.lf_train", str(yaml_path)], cwd=REPO, env=env,
                          capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "distributed training: True" in output
    assert "[training.label_logits] LM head only at labelled positions (rank 0)" in output
    assert (tmp_path / "out" / "adapter_model.safetensors").exists()


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
