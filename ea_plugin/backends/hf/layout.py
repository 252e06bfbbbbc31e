"""Inputs, positions and attention masks for one batch of prompt suffixes (plus label branches).

A row's key/value columns are laid out as ``[shared prefix | gap | left padding | suffix | branches]``:
the prefix (the system prompt, cached once) is the same for every row, the suffix (user turn and
generation prompt) is left-padded so every row's last prompt token sits in the same column, and the
optional branches (label continuations) follow it. Each branch token sees the prefix, its row's suffix
and the earlier tokens of its own branch only, so several continuations are scored in one forward.
Positions count real tokens only, so padding never shifts a token's rotary position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass
class Layout:
    input_ids: torch.Tensor  # (B, N): left-padded suffixes, then the branch tokens
    position_ids: torch.Tensor  # (B, N)
    mask: torch.Tensor  # (B, 1, N, key_len) bool, True: may attend
    lengths: torch.Tensor  # (B,) real suffix tokens of each row
    width: int  # padded suffix width; the last prompt token of every row is input column width - 1
    branch_starts: list[int]  # input column of each branch's first token


def build_layout(
    suffixes: Sequence[Sequence[int]],
    *,
    pad_id: int,
    prefix_len: int = 0,
    write_start: int | None = None,
    key_len: int | None = None,
    branches: Sequence[Sequence[int]] = (),
    device: torch.device | str = "cpu",
) -> Layout:
    """Lay out ``suffixes`` (token ids after the shared prefix) for one forward.

    The new tokens land in key columns ``[write_start, write_start + N)`` (default: right after the
    prefix); ``key_len`` (default: their end) may leave room for tokens generated later, which stay
    masked until written.
    """
    if not suffixes or any(len(s) == 0 for s in suffixes):
        raise ValueError("every row needs at least one suffix token")
    write_start = prefix_len if write_start is None else write_start
    rows, width = len(suffixes), max(len(s) for s in suffixes)
    branch_starts, seg_list, ids_tail = [], [0] * width, []
    for number, branch in enumerate(branches, start=1):
        branch_starts.append(width + len(ids_tail))
        ids_tail += list(branch)
        seg_list += [number] * len(branch)
    total = width + len(ids_tail)
    key_len = write_start + total if key_len is None else key_len
    if write_start < prefix_len or key_len < write_start + total:
        raise ValueError(f"columns do not fit: prefix {prefix_len}, start {write_start}, {total} new, {key_len} keys")

    lengths = torch.tensor([len(s) for s in suffixes], dtype=torch.long)
    pad = width - lengths
    input_ids = torch.full((rows, total), pad_id, dtype=torch.long)
    for row, suffix in enumerate(suffixes):
        input_ids[row, width - len(suffix) : width] = torch.tensor(suffix, dtype=torch.long)
    if ids_tail:
        input_ids[:, width:] = torch.tensor(ids_tail, dtype=torch.long)

    column = torch.arange(total)
    seg = torch.tensor(seg_list, dtype=torch.long)
    # Position of suffix token x in row b: prefix_len + (x - pad_b); of branch token k: after the suffix.
    offset_in_branch = torch.zeros(total, dtype=torch.long)
    for start, branch in zip(branch_starts, branches, strict=True):
        offset_in_branch[start : start + len(branch)] = torch.arange(len(branch))
    suffix_pos = (column[None, :] - pad[:, None]).clamp(min=0)
    branch_pos = lengths[:, None] + offset_in_branch[None, :]
    position_ids = prefix_len + torch.where(seg[None, :] == 0, suffix_pos, branch_pos)

    real = (column[None, :] >= pad[:, None]) | (seg[None, :] > 0)  # (B, N)
    causal = column[None, :] <= column[:, None]  # (N query, N key)
    same_tree = (seg[None, :] == 0) | (seg[None, :] == seg[:, None])
    new_block = (causal & same_tree)[None] & real[:, None, :]
    new_block |= torch.eye(total, dtype=torch.bool)[None]  # a padding query sees itself: never an empty row
    mask = torch.zeros((rows, 1, total, key_len), dtype=torch.bool)
    mask[:, 0, :, :prefix_len] = True
    mask[:, 0, :, write_start : write_start + total] = new_block
    return Layout(
        input_ids=input_ids.to(device),
        position_ids=position_ids.to(device),
        mask=mask.to(device),
        lengths=lengths.to(device),
        width=width,
        branch_starts=branch_starts,
    )
