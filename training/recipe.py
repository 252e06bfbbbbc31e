"""The LLaMA-Factory recipe: dataset_info.json, the training YAML per profile, export and DeepSpeed configs.

Profiles (all LoRA rank 8 on every linear layer, ``template: qwen3``, cutoff 4096):
  lora    the default: Qwen/Qwen3-8B on one GPU, bf16, 4 x 4 without checkpointing, decoder layers compiled
  qlora   4-bit base weights (bitsandbytes) for smaller cards, gradient checkpointing on
  ddp     data parallel over the GPUs of one host (LLaMA-Factory launches torchrun itself)
  ds_z3   DeepSpeed ZeRO-3 over the GPUs of one host (writes ds_z3.json beside the YAML)
  seed    the original recipe's speed settings (batch 2 x 8, no bf16 key): the baseline of benchmarks
  tiny    the tiny test model on CPU (tests, smoke runs)

Every key is one LLaMA-Factory 0.9.5 accepts: ``validate()`` runs each config through its own
argument parser. ``template: qwen3`` (not ``qwen``, which adds a default system prompt Qwen3 never sees)
with ``enable_thinking: null``. In LLaMA-Factory's qwen3 (ReasoningTemplate) that setting means: an
assistant message that carries its think block (the think-mode examples) is trained as written, and
one without (the fast-mode examples: the bare label) gets the empty think block appended to the
*prompt*, untrained, exactly as Qwen3 renders ``enable_thinking=False``. So the model learns the
label after an empty block without ever learning to skip its reasoning in think mode. (With the
default ``true`` the same token ids are trained, but the empty block becomes a trained target.)

    python -m training.recipe --out training/configs          # the reference configs in the repo
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ea_plugin.errors import OptionError
from ea_plugin.jsonl import write_json

DEFAULT_MODEL = "Qwen/Qwen3-8B"
REMOVE = "<remove>"  # an override value that leaves the key out of the YAML
TRAIN_DATASET = "ea_train"
VAL_DATASET = "ea_val"
DEEPSPEED_FILE = "ds_z3.json"

# Environment for every LLaMA-Factory process: no version gate on newer transformers, no telemetry,
# no hub access (models are local paths or already cached).
# expandable_segments: less fragmentation, so the allocator's reserved peak stays near what is allocated.
# The one place these are set; the caller's own environment wins where it sets one of them.
LF_ENV = {"DISABLE_VERSION_CHECK": "1", "HF_HUB_OFFLINE": "1", "WANDB_DISABLED": "true",
          "TOKENIZERS_PARALLELISM": "false", "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}


def lf_environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a LLaMA-Factory process: LF_ENV under the current environment, then ``extra``."""
    return {**LF_ENV, **os.environ, **(extra or {})}

BASE: dict[str, Any] = {
    # model
    "model_name_or_path": DEFAULT_MODEL,
    "trust_remote_code": False,
    # method
    "stage": "sft",
    "do_train": True,
    "finetuning_type": "lora",
    "lora_rank": 8,
    "lora_alpha": 16,
    "lora_dropout": 0.0,  # no dropout masks on every LoRA input (memory traffic); LLaMA-Factory's default
    "lora_target": "all",
    # data
    "dataset": TRAIN_DATASET,
    "template": "qwen3",
    "enable_thinking": None,  # see the module docstring: fast examples' empty think block is not trained
    # Above the longest record: LLaMA-Factory cuts a longer prompt at its end (the chunk and the assistant header),
    # so training would see other tokens than serving. The v3 system prompt alone is ~1,940 tokens.
    "cutoff_len": 4096,
    "overwrite_cache": True,
    "preprocessing_num_workers": 8,
    "dataloader_num_workers": 4,
    # output
    "logging_steps": 10,
    "save_steps": 200,
    "plot_loss": True,
    "overwrite_output_dir": False,
    "save_only_model": False,
    "report_to": "none",
    "include_effective_tokens_per_second": True,
    # train
    "per_device_train_batch_size": 2,
    "gradient_accumulation_steps": 8,
    "learning_rate": 1.0e-4,
    "num_train_epochs": 3.0,
    "lr_scheduler_type": "cosine",
    "warmup_steps": 0.1,  # a float below 1 is a ratio of the total steps (transformers >= 5)
    "bf16": True,
    "ddp_timeout": 180000000,
    # eval
    "eval_dataset": VAL_DATASET,
    "per_device_eval_batch_size": 4,
    "eval_strategy": "steps",
    "eval_steps": 200,
}

# Speed settings measured on one H200 (benchmarks/RESULTS.md, "Training throughput"): micro-batches of
# 4 without gradient checkpointing. The lora profile compiles its decoder layers (training.compile_layers,
# switched on by PROFILE_ENV when training.lf_train launches it): Inductor then fuses the norms, rotary
# and SwiGLU itself, and Liger's kernels cannot be traced by torch.compile, so Liger is off there; the
# logits stay small because training.label_logits computes them only at labelled positions.
UNCHECKPOINTED: dict[str, Any] = {"per_device_train_batch_size": 4, "gradient_accumulation_steps": 4,
                                  "disable_gradient_checkpointing": True}
COMPILED: dict[str, Any] = {**UNCHECKPOINTED, "enable_liger_kernel": False}
LIGER: dict[str, Any] = {**UNCHECKPOINTED, "enable_liger_kernel": True}

PROFILES: dict[str, dict[str, Any]] = {
    "lora": {**COMPILED},
    # Smaller cards: 4-bit base weights, checkpointing on (BASE's 2 x 8), Liger for the logits' memory.
    "qlora": {"quantization_bit": 4, "quantization_method": "bnb", "double_quantization": True,
              "upcast_layernorm": True, "enable_liger_kernel": True},
    # Two GPUs x 4 x 2 = the same 16 sequences per optimizer step as one GPU's 4 x 4.
    "ddp": {**COMPILED, "gradient_accumulation_steps": 2, "ddp_find_unused_parameters": False},
    # ZeRO-3 gathers parameters in hooks that torch.compile does not trace well: eager, with Liger.
    "ds_z3": {**LIGER, "gradient_accumulation_steps": 2, "deepspeed": DEEPSPEED_FILE},
    # The CPU smoke run: a tiny Qwen3 (any small local one with --model; the random test model is built
    # from a checkout by `python -m devtools.tiny_model`), no GPU, to check an installation end to end.
    "tiny": {
        "model_name_or_path": ".cache/tiny-qwen3",
        "use_cpu": True,
        "bf16": REMOVE,
        "preprocessing_num_workers": REMOVE,
        "dataloader_num_workers": 0,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "learning_rate": 1.0e-3,
        "num_train_epochs": 1.0,
        "logging_steps": 1,
        "save_steps": 1000,
        "eval_steps": 1000,
        "per_device_eval_batch_size": 2,
    },
}

# Environment per profile for training.lf_train (plain llamafactory-cli ignores it: same model, slower).
PROFILE_ENV: dict[str, dict[str, str]] = {"lora": {"EA_COMPILE_LAYERS": "1"}, "ddp": {"EA_COMPILE_LAYERS": "1"}}


def profile_env(profile: str) -> dict[str, str]:
    return dict(PROFILE_ENV.get(profile, {}))


# ZeRO-3 with "auto" values that transformers' DeepSpeed integration fills from the training args.
DEEPSPEED_Z3: dict[str, Any] = {
    "train_batch_size": "auto",
    "train_micro_batch_size_per_gpu": "auto",
    "gradient_accumulation_steps": "auto",
    "gradient_clipping": "auto",
    "zero_allow_untested_optimizer": True,
    "fp16": {"enabled": "auto", "loss_scale": 0, "loss_scale_window": 1000, "initial_scale_power": 16,
             "hysteresis": 2, "min_loss_scale": 1},
    "bf16": {"enabled": "auto"},
    "zero_optimization": {
        "stage": 3,
        "overlap_comm": False,
        "contiguous_gradients": True,
        "sub_group_size": 1e9,
        "reduce_bucket_size": "auto",
        "stage3_prefetch_bucket_size": "auto",
        "stage3_param_persistence_threshold": "auto",
        "stage3_max_live_parameters": 1e9,
        "stage3_max_reuse_distance": 1e9,
        "stage3_gather_16bit_weights_on_model_save": True,
    },
}


def dataset_info(train_file: str, val_file: str | None = None) -> dict[str, Any]:
    """LLaMA-Factory's dataset registry: ShareGPT ``messages`` with role/content keys and a system role."""
    entry = {
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                 "assistant_tag": "assistant", "system_tag": "system"},
    }
    info = {TRAIN_DATASET: {"file_name": train_file, **entry}}
    if val_file:
        info[VAL_DATASET] = {"file_name": val_file, **entry}
    return info


def train_config(
    profile: str = "lora",
    *,
    dataset_dir: str | Path = "data",
    output_dir: str | Path = "saves/qwen3-8b-ea",
    model: str | Path | None = None,
    with_eval: bool = True,
    overrides: dict[str, Any] | None = None,
    profiles: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The training YAML's content for ``profile``; ``overrides`` win (the value REMOVE drops a key).

    ``profiles`` adds profiles to PROFILES for this call (the benchmarks' seed baseline is one).
    """
    known = {**PROFILES, **(profiles or {})}
    if profile not in known:
        raise OptionError(f"unknown profile {profile!r}; choose from {sorted(known)}", option="profile")
    config = {**BASE, **known[profile], "dataset_dir": str(dataset_dir), "output_dir": str(output_dir)}
    if model is not None:
        config["model_name_or_path"] = str(model)
    if not with_eval:
        for key in ("eval_dataset", "per_device_eval_batch_size", "eval_strategy", "eval_steps"):
            config.pop(key, None)
    config.update(overrides or {})
    return {k: v for k, v in config.items() if v != REMOVE}


def export_config(model: str | Path, adapter: str | Path, export_dir: str | Path) -> dict[str, Any]:
    """``llamafactory-cli export``: merge the LoRA adapter into the base weights."""
    return {
        "model_name_or_path": str(model),
        "adapter_name_or_path": str(adapter),
        "template": "qwen3",
        "finetuning_type": "lora",
        "trust_remote_code": False,
        "export_dir": str(export_dir),
        "export_size": 5,
        "export_device": "cpu",
        "export_legacy_format": False,
    }


def yaml_text(config: dict[str, Any]) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def write_yaml(path: str | Path, config: dict[str, Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml_text(config), encoding="utf-8")
    return path


def write_dataset_info(dataset_dir: str | Path, train_file: str, val_file: str | None = None) -> Path:
    path = Path(dataset_dir) / "dataset_info.json"
    write_json(path, dataset_info(train_file, val_file), indent=2)
    return path


def with_deepspeed_file(path: str | Path, config: dict[str, Any]) -> dict[str, Any]:
    """Where the config names a DeepSpeed file that does not exist, write ours beside ``path`` and point to it."""
    deepspeed = config.get("deepspeed")
    if not deepspeed or Path(deepspeed).is_absolute() or Path(deepspeed).exists():
        return config
    ds_path = Path(path).parent / deepspeed
    write_json(ds_path, DEEPSPEED_Z3, indent=2)
    return {**config, "deepspeed": str(ds_path)}


def validate(config: dict[str, Any]) -> tuple[Any, ...]:
    """Parse ``config`` with LLaMA-Factory's own argument parser; raises on any key or value it refuses.

    What runs: every key through HfArgumentParser over LLaMA-Factory's dataclasses (unknown keys are
    errors) and their __post_init__ checks, including transformers' TrainingArguments (the DeepSpeed
    config is loaded by it). Where the machine lacks a GPU, ``bf16`` is checked with ``use_cpu`` added
    (transformers refuses bf16 without a GPU otherwise), and LLaMA-Factory's further checks in
    ``get_train_args`` run for every config that does not need a distributed launch (DeepSpeed does).
    """
    import torch

    os.environ.update(lf_environ())  # before LLaMA-Factory is imported: its version gate runs at import
    from llamafactory.hparams import get_train_args
    from llamafactory.hparams.parser import _parse_train_args

    os.environ.pop("ALLOW_EXTRA_ARGS", None)  # unknown keys must fail here
    config = dict(config)
    if config.get("bf16") and not torch.cuda.is_available():
        config["use_cpu"] = True
    parsed = _parse_train_args(config)
    if not config.get("deepspeed"):
        parsed = get_train_args(config)
    return parsed


def write_reference_configs(out_dir: str | Path) -> list[Path]:
    """The configs kept in training/configs/: every profile, export, dataset_info, the DeepSpeed JSON."""
    out_dir = Path(out_dir)
    written = [write_dataset_info(out_dir, "train.json", "train_val.json")]
    for profile in PROFILES:
        output = "saves/tiny-ea" if profile == "tiny" else f"saves/qwen3-8b-ea-{profile}"
        config = train_config(profile, dataset_dir="data", output_dir=output)
        if profile == "ds_z3":
            config["deepspeed"] = f"training/configs/{DEEPSPEED_FILE}"
        written.append(write_yaml(out_dir / f"{profile}.yaml", config))
    write_json(out_dir / DEEPSPEED_FILE, DEEPSPEED_Z3, indent=2)
    written.append(out_dir / DEEPSPEED_FILE)
    written.append(write_yaml(out_dir / "export.yaml", export_config(DEFAULT_MODEL, "saves/qwen3-8b-ea-lora",
                                                                     "models/qwen3-8b-ea")))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="training/configs")
    args = parser.parse_args()
    for path in write_reference_configs(args.out):
        print(path)


if __name__ == "__main__":
    main()
