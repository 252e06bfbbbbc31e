"""One model forward with our positions, mask and cache; and the prefix cache built from it."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import torch

from ea_plugin.backends.transformers.hf.attention import PREFIX_KWARG, using_attention
from ea_plugin.backends.transformers.hf.kvcache import PrefixKV, RecordingCache


def run(
    causal_lm: Any,
    input_ids: torch.Tensor,
    position_ids: torch.Tensor,
    mask: torch.Tensor,
    cache: Any,
    keep: int | torch.Tensor,
    prefix: PrefixKV | None = None,
) -> torch.Tensor:
    """Logits (B, kept positions, vocab) in the model's dtype; ``keep``: last N columns or column indices.

    The mask is a ready 4D boolean mask over the row's own keys, which transformers passes to attention
    as it is; ``prefix`` (keys every row also sees) reaches our attention as a keyword argument.
    """
    extra = {PREFIX_KWARG: prefix} if prefix is not None else {}
    with using_attention(causal_lm.config):
        out = causal_lm(
            input_ids=input_ids,
            position_ids=position_ids,
            attention_mask=mask,
            **{cache_argument(type(causal_lm)): cache},  # type: ignore[arg-type]  # a class is hashable
            use_cache=cache is not None,
            logits_to_keep=keep,
            **extra,
        )
    return out.logits


@functools.cache
def cache_argument(model_type: Any) -> str:
    """The name under which ``model_type.forward`` takes the KV cache: ``cache`` in newer transformers (where
    ``past_key_values`` is deprecated, and gone in 5.40), ``past_key_values`` before."""
    parameters = inspect.signature(model_type.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def compute_prefix(causal_lm: Any, ids: list[int], device: torch.device) -> PrefixKV:
    """K/V of ``ids`` (the shared system prompt) for every layer, computed once."""
    length = len(ids)
    input_ids = torch.tensor([ids], dtype=torch.long, device=device)
    positions = torch.arange(length, device=device)[None]
    mask = torch.ones((length, length), dtype=torch.bool, device=device).tril()[None, None]
    recorder = RecordingCache()
    run(causal_lm, input_ids, positions, mask, recorder, keep=1)
    layers = sorted(recorder.keys)
    if layers != list(range(len(layers))):
        raise RuntimeError(f"the model wrote K/V for layers {layers[:5]}...; expected 0..n-1")
    return PrefixKV(ids=list(ids), keys=[recorder.keys[i] for i in layers], values=[recorder.values[i] for i in layers])
