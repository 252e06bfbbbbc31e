"""What a ``training.run`` step needs of this machine, checked before it launches (each ``Step``'s preflight in
training.steps calls these): one clear line instead of a traceback from
deep inside LLaMA-Factory or transformers ten minutes later.

- train: a config with bf16 (the ``lora``, ``qlora``, ``ddp`` and ``ds_z3`` profiles) needs a CUDA GPU that
  supports bf16, and a 4-bit one (``quantization_bit``) a CUDA GPU; the message says about how much memory the
  profile takes and that ``--profile tiny`` is the CPU smoke run;
- train, export, evaluate: the base model must be a local directory, or a hub id that is in the Hugging Face
  cache when the hub is offline (``HF_HUB_OFFLINE=1``); online, LLaMA-Factory downloads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# About what each GPU profile takes (measured on an H200 for lora and qlora: benchmarks/RESULTS.md).
GPU_NEEDS = {
    "lora": "about 52 GiB of GPU memory (an 80 GB card)",
    "qlora": "about 8 GiB of GPU memory (a 16-24 GB card)",
    "ddp": "about 52 GiB of memory on each of 2 or more GPUs",
    "ds_z3": "2 or more GPUs (ZeRO-3 shards the model across them)",
}
CPU_HINT = "--profile tiny is the CPU smoke run"
_TRUE = {"1", "ON", "YES", "TRUE"}


class PreflightError(RuntimeError):
    """A step's needs are not met on this machine; the message names the fix (the step's name is added by
    training.steps.Step.check)."""


def gpu_problem(config: dict[str, Any], profile: str) -> None:
    wants_bf16 = bool(config.get("bf16") or config.get("pure_bf16"))
    if not (wants_bf16 or config.get("quantization_bit")):
        return
    need = GPU_NEEDS.get(profile, "a CUDA GPU")
    try:
        import torch
    except ImportError as exc:
        raise PreflightError(f"profile {profile} needs torch with CUDA: pip install 'ea-plugin[train]'") from exc
    if not torch.cuda.is_available():
        raise PreflightError(f"profile {profile} needs a CUDA GPU with bf16 and {need}; this machine has no CUDA "
                             f"GPU ({CPU_HINT})")
    if wants_bf16 and not torch.cuda.is_bf16_supported():
        name = torch.cuda.get_device_name(0)
        raise PreflightError(f"profile {profile} needs a GPU with bf16 (Ampere or newer) and {need}; {name} has no "
                             f"bf16 ({CPU_HINT})")


def hub_offline() -> bool:
    return any(os.environ.get(name, "").upper() in _TRUE for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _looks_like_path(name: str) -> bool:
    # Hub ids are "name" or "org/name"; anything else (absolute, ./, ~, deeper) can only be a directory.
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep != "/" and os.sep in name


def model_problem(model: str | Path) -> None:
    name = str(model)
    if Path(name).expanduser().is_dir():
        return
    if _looks_like_path(name):
        raise PreflightError(f"base model {name} is not a directory (pass --model DIR or a hub id; the tiny test "
                             "model is built from a checkout by python -m devtools.tiny_model --out DIR)")
    if hub_offline() and not _in_hub_cache(name):
        raise PreflightError(f"base model {name} is neither a local directory nor in the Hugging Face cache, and "
                             f"the hub is offline (HF_HUB_OFFLINE): download it first (hf download {name}) or pass "
                             "--model DIR")


def _in_hub_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except ValueError:  # not a valid repo id at all
        return False
