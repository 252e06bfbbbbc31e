"""Regional ``torch.compile`` of the decoder layers for training (opt-in: ``EA_COMPILE_LAYERS=1``).

Compiling each decoder layer rather than the whole model keeps compilation short: the 36 layers of
Qwen3-8B run the same code, so one compiled graph serves them all, while the loss, LLaMA-Factory's
trainer and peft's wrapper stay eager. Inductor fuses what transformers leaves as separate kernels
(norms, rotary, the LoRA scale-and-add after every projection, residual adds). Sequence lengths vary
from batch to batch, so the layers are compiled with dynamic shapes (one compile, not one per length).

The numbers are the same computation in another kernel order: the loss agrees with eager to bf16
rounding (benchmarks/RESULTS.md). Installed by ``training.lf_train`` as a TrainerCallback.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ENV_FLAG = "EA_COMPILE_LAYERS"


def requested() -> bool:
    return os.environ.get(ENV_FLAG, "0").lower() in ("1", "true", "yes")


def decoder_layers(model: Any) -> list[Any]:
    """Every module whose class is a transformers decoder layer (``Qwen3DecoderLayer`` and kin)."""
    return [m for m in model.modules() if type(m).__name__.endswith("DecoderLayer")]


def liger_modules(model: Any) -> list[str]:
    """Names of Liger's module classes in the model (LLaMA-Factory's ``enable_liger_kernel`` puts them there)."""
    return sorted({type(m).__name__ for m in model.modules() if type(m).__name__.startswith("Liger")})


def compile_decoder_layers(model: Any, dynamic: bool = True) -> int:
    """Compile each decoder layer in place (``nn.Module.compile``); returns how many were compiled.

    With Liger's kernels in the layers nothing is compiled: Dynamo fails on their Triton wrappers
    (seen on the H200), which would stop the training run; eager Liger trains the same model.
    """
    if liger_modules(model):
        return 0
    layers = decoder_layers(model)
    for layer in layers:
        layer.compile(dynamic=dynamic)
    return len(layers)


def callback() -> Any:
    """A TrainerCallback that compiles the layers once, when training starts."""
    from transformers import TrainerCallback

    class CompileLayersCallback(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):  # noqa: ANN001 - HF signature
            if model is not None and not getattr(self, "_done", False):
                self._done = True
                count = compile_decoder_layers(model)
                message = (f"{count} decoder layers compiled" if count else
                           f"layers left eager: Liger's kernels ({', '.join(liger_modules(model))}) do not compile")
                print(f"[training.compile_layers] {message} (rank {args.process_index})", file=sys.stderr, flush=True)

    return CompileLayersCallback()
