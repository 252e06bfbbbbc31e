"""Grouped-query attention over a custom boolean mask, without materialising repeated K/V.

transformers' ``sdpa`` path repeats every K/V head for each query head that shares it whenever a mask
is given (``repeat_kv``): for Qwen3-8B (32 query heads, 8 K/V heads) that is four copies of the whole
cache per layer and step, which dominates batched decoding. Folding the query heads of a group into the
query-length axis lets one ``scaled_dot_product_attention`` call read each K/V head once; the result
is the same attention, exactly. Registered under :data:`NAME` and switched on only inside the
backend's own forwards (:func:`using_attention`), so the same model object stays plain elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.nn.functional import scaled_dot_product_attention

NAME = "ea_gqa_sdpa"


def gqa_sdpa_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """query (B, H, S, D), key/value (B, Hkv, L, D), mask (B, 1, S, L) bool (True: attend)."""
    if attention_mask is None or attention_mask.dtype != torch.bool:
        # Not one of our forwards (no custom boolean mask): behave exactly like transformers' sdpa.
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
    batch, heads, q_len, dim = query.shape
    kv_heads = key.shape[1]
    groups = heads // kv_heads
    # Query head h uses K/V head h // groups (transformers' repeat_kv order): fold (groups, S) into one axis.
    folded = query.reshape(batch, kv_heads, groups * q_len, dim)
    mask = attention_mask[:, :, None].expand(-1, -1, groups, -1, -1)
    mask = mask.reshape(attention_mask.shape[0], 1, groups * q_len, -1)
    out = scaled_dot_product_attention(folded, key, value, attn_mask=mask, dropout_p=dropout, scale=scaling)
    return out.reshape(batch, heads, q_len, dim).transpose(1, 2).contiguous(), None


def register() -> None:
    from transformers import AttentionInterface

    AttentionInterface.register(NAME, gqa_sdpa_forward)


@contextmanager
def using_attention(config: Any, name: str = NAME) -> Iterator[None]:
    """Route the model's attention through ``name`` for the duration of the block."""
    previous = config._attn_implementation
    config._attn_implementation = name
    try:
        yield
    finally:
        config._attn_implementation = previous
