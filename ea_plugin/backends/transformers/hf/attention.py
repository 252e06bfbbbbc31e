"""Attention for the backend's own forwards: grouped-query heads without repeated K/V, and the shared
prefix attended once for the whole batch (cascade attention).

transformers' ``sdpa`` path repeats every K/V head for each query head that shares it whenever a mask
is given (``repeat_kv``): for Qwen3-8B (32 query heads, 8 K/V heads) that is four copies of the keys
per layer and step. Folding the query heads of a group into the query axis lets one attention call read
each K/V head once, exactly.

The system prompt is the same for every row, so its K/V are kept once (batch 1) and never copied per
row: each layer attends (a) to the row's own keys (suffix, label branches, generated tokens) under the
row's mask and (b) to the prefix, with every row's queries folded into one unmasked call, and merges
the two by their log-sum-exp: softmax over the concatenated keys, computed in two parts.

Registered under :data:`NAME` and switched on only inside the backend's forwards
(:func:`using_attention`), so the same model object stays plain elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.nn.functional import scaled_dot_product_attention

NAME = "ea_gqa_sdpa"
PREFIX_KWARG = "ea_prefix"  # forwards pass the PrefixKV under this keyword; transformers hands it down here
_MATH_CHUNK = 1 << 27  # score elements per chunk of the plain (math) attention
log = logging.getLogger(__name__)


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
    prefix = kwargs.pop(PREFIX_KWARG, None)
    if attention_mask is None or attention_mask.dtype != torch.bool:
        # Not one of our forwards (no custom boolean mask): behave exactly like transformers' sdpa.
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
    batch, heads, q_len, dim = query.shape
    kv_heads = key.shape[1]
    groups = heads // kv_heads
    scale = dim**-0.5 if scaling is None else scaling
    # Query head h uses K/V head h // groups (transformers' repeat_kv order): fold (groups, S) into one axis.
    folded = query.reshape(batch, kv_heads, groups * q_len, dim)
    mask = attention_mask[:, :, None].expand(-1, -1, groups, -1, -1)
    mask = mask.reshape(attention_mask.shape[0], 1, groups * q_len, -1)
    if prefix is None:
        out = scaled_dot_product_attention(folded, key, value, attn_mask=mask, scale=scale)
    else:
        own, own_lse = masked_attention_lse(folded, key, value, mask, scale)
        rows = folded.transpose(0, 1).reshape(1, kv_heads, batch * groups * q_len, dim)
        shared, shared_lse = dense_attention_lse(
            rows, prefix.keys[module.layer_idx], prefix.values[module.layer_idx], scale
        )
        shared = shared.reshape(kv_heads, batch, groups * q_len, dim).transpose(0, 1)
        shared_lse = shared_lse.reshape(kv_heads, batch, groups * q_len).transpose(0, 1)
        return _MERGE[0](own, own_lse, shared, shared_lse, heads), None
    return to_layer_layout(out, heads), None


def to_layer_layout(out: torch.Tensor, heads: int) -> torch.Tensor:
    """(B, Hkv, groups * S, D) folded heads back to the (B, S, H, D) the layer's output projection reads."""
    batch, _, folded, dim = out.shape
    return out.reshape(batch, heads, folded * out.shape[1] // heads, dim).transpose(1, 2).contiguous()


def merge_to_layer_layout(a: torch.Tensor, a_lse: torch.Tensor, b: torch.Tensor, b_lse: torch.Tensor,
                          heads: int) -> torch.Tensor:
    """:func:`merge`, then :func:`to_layer_layout`: one fused kernel when compiled (see compiled)."""
    return to_layer_layout(merge(a, a_lse, b, b_lse), heads)


# The merge in use: compiled layers swap in a compiled twin for their forwards (elementwise work on every
# query row of every layer: compiled, the float casts, exps, sums and the transpose are one kernel).
_MERGE = [merge_to_layer_layout]


@contextmanager
def merging_with(fn: Any) -> Iterator[None]:
    previous, _MERGE[0] = _MERGE[0], fn
    try:
        yield
    finally:
        _MERGE[0] = previous


def merge(a: torch.Tensor, a_lse: torch.Tensor, b: torch.Tensor, b_lse: torch.Tensor) -> torch.Tensor:
    """Attention over keys A ∪ B from the attention over A and over B and their log-sum-exps."""
    total = torch.logaddexp(a_lse, b_lse)
    weight_a = torch.exp(a_lse - total)[..., None]
    weight_b = torch.exp(b_lse - total)[..., None]
    return (a.float() * weight_a + b.float() * weight_b).to(a.dtype)


def math_attention_lse(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None, scale: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Plain attention returning (out, log-sum-exp), chunked over the batch to bound the score tensor.

    Every query row must see at least one key (the layout guarantees it)."""
    rows = max(1, _MATH_CHUNK // max(1, query.shape[1] * query.shape[2] * key.shape[2]))
    outs, lses = [], []
    for start in range(0, query.shape[0], rows):
        part = slice(start, start + rows)
        scores = torch.matmul(query[part].float(), key[part].float().transpose(-1, -2)) * scale
        if mask is not None:
            scores = scores.masked_fill(~(mask[part] if mask.shape[0] > 1 else mask), float("-inf"))
        lse = torch.logsumexp(scores, dim=-1)
        outs.append(torch.matmul(torch.exp(scores - lse[..., None]), value[part].float()).to(query.dtype))
        lses.append(lse)
    return torch.cat(outs), torch.cat(lses)


def masked_attention_lse(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor, scale: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(out, lse) under a boolean mask: the fused memory-efficient kernel on CUDA, plain math elsewhere."""
    if query.is_cuda and fused_kernels_ok(query.device):
        return _fused_masked(query, key, value, mask, scale)
    return math_attention_lse(query, key, value, mask, scale)


def dense_attention_lse(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(out, lse) with no mask: the flash kernel on CUDA, plain math elsewhere."""
    if query.is_cuda and fused_kernels_ok(query.device):
        return _fused_dense(query, key, value, scale)
    return math_attention_lse(query, key, value, None, scale)


def _fused_masked(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor,
                  scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    length = key.shape[2]
    padded = -(-length // 16) * 16  # the kernel wants the bias rows 16-element aligned
    # Fill a view of the padded buffer in place: a new tensor would lose the aligned row stride.
    bias = torch.zeros((*mask.shape[:-1], padded), dtype=query.dtype, device=query.device)[..., :length]
    bias.masked_fill_(~mask, float("-inf"))
    bias = bias.expand(query.shape[0], query.shape[1], -1, -1)
    out, lse = torch.ops.aten._scaled_dot_product_efficient_attention(
        query, key, value, bias, True, 0.0, False, scale=scale
    )[:2]
    return out, lse[..., : query.shape[2]]  # the kernel pads lse rows to a multiple of 32


def _fused_dense(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                 scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    out, lse = torch.ops.aten._scaled_dot_product_flash_attention(query, key, value, 0.0, False, False, scale=scale)[:2]
    return out, lse


_FUSED_OK: dict[str, bool] = {}


def fused_kernels_ok(device: torch.device) -> bool:
    """Whether torch's fused kernels (private ops) give the same (out, lse) as plain math here; checked once."""
    name = str(device)
    if name not in _FUSED_OK:
        try:
            gen = torch.Generator(device=device).manual_seed(0)
            q, k, v = (torch.randn((2, 2, 40, 64), generator=gen, device=device).to(torch.bfloat16) for _ in range(3))
            mask = torch.rand((2, 1, 40, 40), generator=gen, device=device) > 0.3
            mask[..., 0] = True
            pairs = list(zip(_fused_masked(q, k, v, mask, 0.125), math_attention_lse(q, k, v, mask, 0.125),
                             strict=True))
            pairs += list(zip(_fused_dense(q, k, v, 0.125), math_attention_lse(q, k, v, None, 0.125), strict=True))
            _FUSED_OK[name] = all((a.float() - b.float()).abs().max().item() < 3e-2 for a, b in pairs)
        except Exception as exc:  # a torch without these private ops: the math path is exact, only slower
            log.warning("fused attention kernels unavailable on %s (%s)", name, exc)
            _FUSED_OK[name] = False
        if not _FUSED_OK[name]:
            log.warning("using plain (math) attention on %s: slower, same results", name)
    return _FUSED_OK[name]


def register() -> None:
    from transformers import AttentionInterface

    # Eager even inside compiled decoder layers (see compiled): the prefix lookup by layer index stays out
    # of the graphs, and the fused kernels' private ops and alignment needs stay as tested here.
    AttentionInterface.register(NAME, torch.compiler.disable(gqa_sdpa_forward))


@contextmanager
def using_attention(config: Any, name: str = NAME) -> Iterator[None]:
    """Route the model's attention through ``name`` for the duration of the block."""
    previous = config._attn_implementation
    config._attn_implementation = name
    try:
        yield
    finally:
        config._attn_implementation = previous
