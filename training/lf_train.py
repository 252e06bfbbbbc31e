"""``llamafactory-cli train`` plus the project's label-positions-only logits (training.label_logits).

    python -m training.lf_train CONFIG.yaml [key=value ...]

Runs LLaMA-Factory's own training entry (``run_exp``: its argument parser, data pipeline, trainer and
loss plot) with one TrainerCallback added, which makes the LM head skip the prompt positions; the loss
and gradients are the same (see label_logits). ``EA_COMPILE_LAYERS=1`` (the lora profile's setting,
recipe.PROFILE_ENV) also compiles the decoder layers (see compile_layers). The YAML stays a plain
LLaMA-Factory config, so ``llamafactory-cli train CONFIG.yaml`` trains the same model, only slower.

With several GPUs (or FORCE_TORCHRUN=1) it starts one process per GPU through torchrun, as
llamafactory-cli does, each running this module; NVLink multicast stays off in NCCL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ea_plugin.errors import OptionError

LAUNCHERS = ("lf_train", "llamafactory-cli")


def llamafactory_cli() -> str | None:
    """The llamafactory-cli script beside this interpreter (a venv that is not on PATH), else on PATH."""
    beside = Path(sys.executable).parent / "llamafactory-cli"
    return str(beside) if beside.exists() else shutil.which("llamafactory-cli")


def train_command(launcher: str, config: str | Path) -> list[str]:
    """The command that trains ``config``: this module (``lf_train``) or plain ``llamafactory-cli``."""
    if launcher == "lf_train":
        return [sys.executable, "-m", "training.lf_train", str(config)]
    if launcher != "llamafactory-cli":
        raise OptionError(f"unknown launcher {launcher!r}; choose from {LAUNCHERS}", option="launcher")
    return llamafactory_command("train", str(config))


def llamafactory_command(*args: str) -> list[str]:
    """``llamafactory-cli ARGS``, or FileNotFoundError naming the extra that installs it."""
    cli = llamafactory_cli()
    if cli is None:
        raise FileNotFoundError('llamafactory-cli not found: pip install "ea-plugin[train]"')
    return [cli, *args]


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def needs_torchrun() -> bool:
    if "LOCAL_RANK" in os.environ:  # already one of torchrun's workers
        return False
    return os.environ.get("FORCE_TORCHRUN", "0").lower() in ("1", "true") or gpu_count() > 1


def torchrun_command(argv: Sequence[str], nproc: int, port: int) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", str(nproc),
            "--master_addr", "127.0.0.1", "--master_port", str(port), "-m", "training.lf_train", *argv]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    from training.recipe import lf_environ

    os.environ.update(lf_environ())  # also when started directly, not through training.run
    if needs_torchrun():
        from llamafactory.extras.misc import find_available_port

        nproc = int(os.environ.get("NPROC_PER_NODE", gpu_count() or 1))
        env = {**os.environ, "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
               "TORCH_NCCL_AVOID_RECORD_STREAMS": "1"}
        return subprocess.run(torchrun_command(argv, nproc, find_available_port()), env=env).returncode
    from llamafactory.train.tuner import run_exp

    sys.argv = [sys.argv[0], *argv]  # run_exp reads the YAML and key=value overrides from sys.argv
    run_exp(callbacks=callbacks())
    return 0


def callbacks() -> list:
    """Label-positions-only logits always; compiled decoder layers where EA_COMPILE_LAYERS asks."""
    from training import compile_layers, label_logits

    chosen = [label_logits.callback()]
    if compile_layers.requested():
        chosen.append(compile_layers.callback())
    return chosen


if __name__ == "__main__":
    sys.exit(main())
