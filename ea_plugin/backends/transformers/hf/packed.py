"""Fast mode without padding: every row's suffix and label branches packed into one sequence.

The padded layout (see layout) gives each row the width of the batch's longest, and its attention needs a
per-row bias mask plus a second call for the shared prefix. Here the rows are laid end to end in one
sequence of T real tokens, so the decoder's matrix products see no padding, and one attention call
covers everything: the keys are ``[shared prefix | packed tokens]`` and a mask rule says who sees whom:

* every token sees the whole prefix (the system prompt, cached once, batch 1: never copied per row);
* a suffix token sees its own row's suffix up to itself (causal, never another row);
* a label-branch token sees its row's suffix and the earlier tokens of its own branch only.

On CUDA the rule runs as FlexAttention's block mask (whole blocks of keys a query block cannot see are
skipped; the prefix's blocks are full, so they need no mask at all); elsewhere, and as the oracle the
kernel is checked against, as a dense boolean mask. Positions and read-out columns are those of the
padded layout, so scores agree with it to the dtype's rounding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ea_plugin.backends.transformers.hf.attention import using_attention
from ea_plugin.backends.transformers.hf.kvcache import PrefixKV

NAME = "ea_packed"
PACKED_KWARG = "ea_packed"  # forwards pass the PackedBatch under this keyword; transformers hands it down
log = logging.getLogger(__name__)


@dataclass
class PackedBatch:
    """One forward's packed tokens and what the attention needs to know about them."""

    input_ids: torch.Tensor  # (1, T)
    position_ids: torch.Tensor  # (1, T)
    row: torch.Tensor  # (T,) int32: the row each token belongs to
    branch: torch.Tensor  # (T,) int32: 0 for suffix tokens, k for the k-th label branch
    keep: torch.Tensor  # (rows * per_row,) token indices whose logits are read, row after row
    rows: int
    prefix: PrefixKV | None
    flex: bool = False  # attend through FlexAttention (CUDA) rather than a dense mask
    _masks: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def prefix_length(self) -> int:
        return self.prefix.length if self.prefix is not None else 0

    @property
    def length(self) -> int:
        return int(self.input_ids.shape[1])

    def rule(self) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """Whether query token ``q`` may attend to key ``kv`` (an index into ``[prefix | packed]``).

        Closes over tensors and an int only, so FlexAttention's compiler sees no Python objects."""
        row, branch, prefix_length = self.row, self.branch, self.prefix_length

        def allowed(q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
            own = (kv - prefix_length).clamp(min=0)
            same_row = row[q] == row[own]
            same_tree = (branch[own] == 0) | (branch[own] == branch[q])
            return (kv < prefix_length) | (same_row & (own <= q) & same_tree)

        return allowed

    def dense_mask(self) -> torch.Tensor:
        """(1, 1, T, prefix + T) bool, True: may attend (built once per forward, shared by every layer)."""
        if "dense" not in self._masks:
            device = self.input_ids.device
            q = torch.arange(self.length, device=device)[:, None]
            kv = torch.arange(self.prefix_length + self.length, device=device)[None, :]
            self._masks["dense"] = self.rule()(q, kv)[None, None]
        return self._masks["dense"]

    def block_mask(self) -> Any:
        """FlexAttention's block mask of :meth:`rule` (built once per forward)."""
        if "block" not in self._masks:
            from torch.nn.attention.flex_attention import create_block_mask

            allowed = self.rule()

            def mask_mod(batch: Any, head: Any, q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
                return allowed(q, kv)

            self._masks["block"] = create_block_mask(
                mask_mod, None, None, self.length, self.prefix_length + self.length,
                device=self.input_ids.device,
            )
        return self._masks["block"]


def pack(
    suffixes: Sequence[Sequence[int]],
    branches: Sequence[Sequence[int]],
    *,
    prefix: PrefixKV | None,
    device: torch.device | str = "cpu",
    flex: bool = False,
) -> PackedBatch:
    """Lay ``suffixes`` end to end, each followed by every label branch; positions follow the prefix.
    ``flex``: attend through FlexAttention (CUDA), else through a dense mask.

    Read-out per row (as :meth:`LabelSequences.keep_columns` orders it): the row's last suffix token,
    then each branch token in turn.
    """
    if not suffixes or any(len(s) == 0 for s in suffixes):
        raise ValueError("every row needs at least one suffix token")
    offset = prefix.length if prefix is not None else 0
    tail = [token for branch in branches for token in branch]
    tail_branch = [number for number, branch in enumerate(branches, start=1) for _ in branch]
    tail_position = [k for branch in branches for k in range(len(branch))]
    ids: list[int] = []
    positions: list[int] = []
    rows, branch_of, keep = [], [], []
    for index, suffix in enumerate(suffixes):
        start, length = len(ids), len(suffix)
        ids += suffix
        ids += tail
        positions += range(offset, offset + length)
        positions += [offset + length + k for k in tail_position]
        rows += [index] * (length + len(tail))
        branch_of += [0] * length + tail_branch
        keep.append(start + length - 1)
        keep += range(start + length, start + length + len(tail))

    def tensor(values: list[int], dtype: torch.dtype) -> torch.Tensor:
        return torch.tensor(values, dtype=dtype, device=device)

    return PackedBatch(
        input_ids=tensor(ids, torch.long)[None],
        position_ids=tensor(positions, torch.long)[None],
        row=tensor(rows, torch.int32),
        branch=tensor(branch_of, torch.int32),
        keep=tensor(keep, torch.long),
        rows=len(suffixes),
        prefix=prefix,
        flex=flex,
    )


def packed_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: Any,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """query (1, H, T, D), key/value (1, Hkv, T, D) of the packed tokens; returns (1, T, H, D)."""
    batch: PackedBatch = kwargs[PACKED_KWARG]
    scale = query.shape[-1] ** -0.5 if scaling is None else scaling
    if batch.prefix is not None:
        layer = int(module.layer_idx)  # type: ignore[arg-type]  # an int on every Qwen3 attention module
        key = torch.cat([batch.prefix.keys[layer], key], dim=2)
        value = torch.cat([batch.prefix.values[layer], value], dim=2)
    if batch.flex:
        out = _FLEX[0](query, key, value, block_mask=batch.block_mask(), scale=scale, enable_gqa=True)
    else:
        out = dense_attention(query, key, value, batch.dense_mask(), scale)
    return out.transpose(1, 2).contiguous(), None


def dense_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor,
                    scale: float) -> torch.Tensor:
    """Plain attention under a boolean mask, K/V heads shared by query-head groups (the oracle)."""
    return torch.nn.functional.scaled_dot_product_attention(
        query, key, value, attn_mask=mask, scale=scale, enable_gqa=True
    )


def _compiled_flex() -> Callable[..., torch.Tensor]:
    from torch.nn.attention.flex_attention import flex_attention

    # FlexAttention is a compiled kernel only under torch.compile (eager it materialises the scores).
    return torch.compile(flex_attention, dynamic=True)


_FLEX: list[Any] = [None]
_FLEX_OK: dict[tuple, bool] = {}
_FLEX_TOLERANCE = 3e-2  # largest |difference| to float32 plain attention on the check's bf16 inputs


def flex_ok(device: torch.device, config: Any, dtype: torch.dtype) -> bool:
    """Whether FlexAttention runs here, for the model's head shape and dtype (kernels are chosen by them), and
    gives the dense oracle's output for a packed batch; checked once per device and shape."""
    if device.type != "cuda":
        return False
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
    dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    key = (str(device), heads, kv_heads, dim, dtype)
    if key not in _FLEX_OK:
        try:
            if _FLEX[0] is None:
                _FLEX[0] = _compiled_flex()
            _FLEX_OK[key] = _flex_matches_dense(device, heads, kv_heads, dim, dtype)
        except Exception as exc:  # noqa: BLE001 - an optimisation: the padded path stays
            log.warning("FlexAttention unavailable on %s (%s: %s); fast mode pads its rows", device,
                        type(exc).__name__, exc)
            _FLEX_OK[key] = False
    return _FLEX_OK[key]


def _flex_matches_dense(device: torch.device, heads: int, kv_heads: int, dim: int, dtype: torch.dtype) -> bool:
    gen = torch.Generator(device=device).manual_seed(0)
    prefix_len = 40

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(shape, generator=gen, device=device).to(dtype)

    prefix = PrefixKV(list(range(prefix_len)), [rand(1, kv_heads, prefix_len, dim)],
                      [rand(1, kv_heads, prefix_len, dim)])
    # Rows longer and shorter than a 128-token block, and two label branches (one of two tokens).
    batch = pack([list(range(150)), list(range(7)), list(range(90))], [[3], [5, 6]], prefix=prefix, device=device)
    q = rand(1, heads, batch.length, dim)
    keys = torch.cat([prefix.keys[0], rand(1, kv_heads, batch.length, dim)], dim=2)
    values = torch.cat([prefix.values[0], rand(1, kv_heads, batch.length, dim)], dim=2)
    scale = dim**-0.5
    flex = _FLEX[0](q, keys, values, block_mask=batch.block_mask(), scale=scale, enable_gqa=True)
    dense = dense_attention(q.float(), keys.float(), values.float(), batch.dense_mask(), scale)
    error = (flex.float() - dense).abs().max().item()
    if error >= _FLEX_TOLERANCE:
        log.warning("FlexAttention differs from plain attention by %.3g on %s; fast mode pads its rows", error, device)
    return error < _FLEX_TOLERANCE


def register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    # Eager (the prefix lookup by layer index stays out of compiled layers' graphs); the mask is ours,
    # so transformers builds none.
    AttentionInterface.register(NAME, torch.compiler.disable(packed_attention_forward))
    AttentionMaskInterface.register(NAME, _no_mask)


def _no_mask(*args: Any, **kwargs: Any) -> None:
    return None


def run_packed(causal_lm: Any, batch: PackedBatch) -> torch.Tensor:
    """Logits (rows, per_row, vocab) at ``batch.keep``, in the model's dtype."""
    with using_attention(causal_lm.config, NAME):
        out = causal_lm(
            input_ids=batch.input_ids,
            position_ids=batch.position_ids,
            use_cache=False,
            logits_to_keep=batch.keep,
            **{PACKED_KWARG: batch},
        )
    return out.logits.reshape(batch.rows, -1, out.logits.shape[-1])
