"""Default batch sizes for the backend's forwards, from the mode and the card's free memory.

The defaults are the measured best (benchmarks/RESULTS.md, "Judge speed v2"): fast mode with packed rows
(hf.packed) at 64 pairs / 16384 tokens a forward (twice that gains little for much more memory); with padded
rows at 32 pairs a forward (larger sorted batches pad more); think mode at 128 rows a batch (each decoding
step reads the weights once for all rows, so more rows is cheaper per pair) when the KV memory fits. The
token budgets bound memory: think mode's KV arena holds ``tokens`` x (layers x kv_heads x head_dim x 2 x
dtype bytes) and is kept within half the free memory; fast mode's activations are a few hundred KB a token
at most, so its budget is kept within a quarter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FAST = (32, 16384)  # (pairs, padded tokens) a forward
FAST_PACKED = (64, 16384)  # (pairs, tokens) a forward with packed rows (hf.packed): no padding to avoid
THINK = (128, 131072)
MIN_TOKENS = 4096
FAST_BYTES_PER_TOKEN = 256 * 1024  # generous bound of one token's activations in a forward (Qwen3-8B: ~100 KB)


@dataclass(frozen=True)
class Batching:
    pairs: int  # most pairs a forward
    tokens: int  # most padded tokens a forward (think mode: prompt suffix + new tokens)


def kv_bytes_per_token(config: Any, dtype_bytes: int) -> int:
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return config.num_hidden_layers * config.num_key_value_heads * head_dim * 2 * dtype_bytes


def default_batching(mode: str, config: Any, dtype_bytes: int, free_bytes: int | None,
                     packed: bool = False) -> Batching:
    """Pairs and padded tokens a forward for ``mode``; ``free_bytes``: free device memory (None: no limit known);
    ``packed``: fast mode's rows are packed (hf.packed)."""
    best_pairs, best_tokens = (FAST_PACKED if packed else FAST) if mode == "fast" else THINK
    if free_bytes is None:
        return Batching(best_pairs, best_tokens)
    if mode == "fast":
        fit = free_bytes // 4 // FAST_BYTES_PER_TOKEN
    else:
        fit = free_bytes // 2 // kv_bytes_per_token(config, dtype_bytes)
    tokens = max(MIN_TOKENS, min(best_tokens, int(fit)))
    # A smaller budget: proportionally fewer pairs, so rows of typical length still fill it.
    return Batching(max(1, best_pairs * tokens // best_tokens), tokens)


def free_memory(device: Any) -> int | None:
    """Free bytes on a CUDA device (after the weights are loaded), else None."""
    if getattr(device, "type", None) != "cuda":
        return None
    import torch

    free, _total = torch.cuda.mem_get_info(device)
    return int(free)
