"""The shared system-prompt KV cache and the cache objects the model's attention layers write into.

Decoder layers only call ``update(key, value, layer_idx, ...)`` (and ``get_seq_length()`` when no
positions are given), so these small classes stand in for transformers' Cache: they let one batch
record the prefix's K/V once (:class:`RecordingCache`) and decode over preallocated buffers
whose addresses never change, as CUDA graph replay needs (:class:`ArenaCache`). The prefix itself is
never copied per row: attention reads it once per layer for the whole batch (see attention).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class PrefixKV:
    """K/V of the shared prompt prefix for every layer, batch 1: (1, kv_heads, length, head_dim)."""

    ids: list[int]
    keys: list[torch.Tensor]
    values: list[torch.Tensor]

    @property
    def length(self) -> int:
        return len(self.ids)


class _CacheBase:
    """What transformers' decoder layers use of a Cache."""

    is_compileable = False

    def __init__(self, seen: int = 0) -> None:
        self.seen = seen

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return self.seen

    def update(self, key: torch.Tensor, value: torch.Tensor, layer_idx: int, *args: Any, **kwargs: Any):
        raise NotImplementedError


class RecordingCache(_CacheBase):
    """Keeps each layer's K/V of one forward (used once, to build the prefix cache)."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[int, torch.Tensor] = {}
        self.values: dict[int, torch.Tensor] = {}

    def update(self, key: torch.Tensor, value: torch.Tensor, layer_idx: int, *args: Any, **kwargs: Any):
        self.keys[layer_idx], self.values[layer_idx] = key, value
        return key, value


class KVArena:
    """One preallocated buffer for decoding K/V, viewed as (layers, batch, kv_heads, length, head_dim).

    Every batch shape is a view of the same storage, so CUDA graphs captured for different shapes keep
    valid addresses; ``generation`` changes when the buffer has to grow (captured graphs are then stale).
    """

    def __init__(self, layers: int, kv_heads: int, head_dim: int, dtype: torch.dtype, device: torch.device) -> None:
        self.shape = (layers, kv_heads, head_dim)
        self.dtype, self.device = dtype, device
        self.buffer = torch.empty(0, dtype=dtype, device=device)
        self.generation = 0

    def view(self, batch: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        layers, kv_heads, head_dim = self.shape
        size = layers * batch * kv_heads * length * head_dim
        if 2 * size > self.buffer.numel():
            self.buffer = torch.empty(0, dtype=self.dtype, device=self.device)  # free the old one first
            # Zeros, not empty: masked columns are still multiplied in attention, and 0 * NaN garbage is NaN.
            self.buffer = torch.zeros(2 * size, dtype=self.dtype, device=self.device)
            self.generation += 1
        shape = (layers, batch, kv_heads, length, head_dim)
        return self.buffer[:size].view(shape), self.buffer[size : 2 * size].view(shape)

    @property
    def nbytes(self) -> int:
        return self.buffer.numel() * self.buffer.element_size()


class ArenaCache(_CacheBase):
    """K/V over an arena view. Prefill writes at a Python offset and returns only the written columns;
    decode writes at ``column`` (a device tensor, so a captured graph can advance it) and returns all."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, write_start: int) -> None:
        super().__init__(write_start)
        self.keys, self.values = keys, values
        self.write_start = write_start
        self.column: torch.Tensor | None = None

    def update(self, key: torch.Tensor, value: torch.Tensor, layer_idx: int, *args: Any, **kwargs: Any):
        keys, values = self.keys[layer_idx], self.values[layer_idx]
        if self.column is not None:
            keys.index_copy_(2, self.column, key)
            values.index_copy_(2, self.column, value)
            return keys, values
        end = self.write_start + key.shape[2]
        keys[:, :, self.write_start : end] = key
        values[:, :, self.write_start : end] = value
        return keys[:, :, :end], values[:, :, :end]
