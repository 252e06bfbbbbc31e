"""Logits only where there are labels: the same loss and gradients, without the LM head on the prompt.

In this task ~90% of every sequence is prompt (a ~1,030-token system prompt, the question and the
chunk) whose labels are -100, yet a causal LM computes the 151,936-way logits at every position. A
forward pre-hook on the causal LM passes ``logits_to_keep`` (the positions whose next token is
supervised) and the matching ``shift_labels``; transformers' Qwen3 forward and Liger's fused
forward both take these, so the loss is the same sum over the same supervised tokens. Nothing is
dropped or masked: positions without a label contributed exactly zero before as well.

Installed by ``training.lf_train`` as a TrainerCallback, so LLaMA-Factory's training loop,
data pipeline and optimiser stay as they are. Only in training mode; evaluation is untouched.
"""

from __future__ import annotations

import sys
from typing import Any

IGNORE_INDEX = -100


def label_positions(labels: Any) -> tuple[Any, Any]:
    """(positions whose next token has a label in any row, those next-token labels per row)."""
    import torch

    shifted = torch.nn.functional.pad(labels, (0, 1), value=IGNORE_INDEX)[..., 1:]
    keep = (shifted != IGNORE_INDEX).any(dim=0).nonzero().squeeze(-1)
    return keep, shifted[:, keep].contiguous()


def _rewrite_inputs(module: Any, args: tuple, kwargs: dict[str, Any]) -> tuple[tuple, dict[str, Any]] | None:
    labels = kwargs.get("labels")
    if not module.training or labels is None or "shift_labels" in kwargs or kwargs.get("logits_to_keep"):
        return None
    keep, shift_labels = label_positions(labels)
    if keep.numel() == 0:  # nothing supervised: leave the batch as it is
        return None
    return args, {**kwargs, "logits_to_keep": keep, "shift_labels": shift_labels}


def install(model: Any) -> Any:
    """Register the pre-hook on the module the trainer calls (a peft model, or the causal LM itself).

    Hooks must sit on the outermost module that is *called*: peft's tuner layers call the inner
    model's ``forward`` directly, which skips hooks there. DDP and DeepSpeed call this module.
    Returns the hook handle (``.remove()`` undoes it).
    """
    return model.register_forward_pre_hook(_rewrite_inputs, with_kwargs=True)


def callback() -> Any:
    """A transformers TrainerCallback that installs the hook when training starts."""
    from transformers import TrainerCallback

    class LabelLogitsCallback(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):  # noqa: ANN001 - HF signature
            if model is not None and getattr(self, "_handle", None) is None:
                self._handle = install(model)
                print(f"[training.label_logits] LM head only at labelled positions (rank {args.process_index})",
                      file=sys.stderr, flush=True)

    return LabelLogitsCallback()
