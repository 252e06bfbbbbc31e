"""Inputs, positions and attention masks for one batch of prompt suffixes (plus label branches).

A row's own key/value columns are ``[gap | left padding | suffix | branches | room to generate]``; the
shared prefix (the system prompt) is not among them: attention reaches it separately (see attention).
The suffix (user turn and generation prompt) is left-padded so every row's last prompt token sits in
the same column. Each branch token (a label continuation) sees its row's suffix and the earlier tokens
of its own branch only, so several continuations are scored in one forward. Positions count real
tokens after the prefix, so padding never shifts a token's rotary position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass
class Layout:
    input_ids: torch.Tensor  # (B, N): left-padded suffixes, then the branch tokens
    position_ids: torch.Tensor  # (B, N)
    mask: torch.Tensor  # (B, 1, N, key_len) bool over the row's own keys, True: may attend
    lengths: torch.Tensor  # (B,) real suffix tokens of each row
    width: int  # padded suffix width; the last prompt token of every row is input column width - 1
    branch_starts: list[int]  # input column of each branch's first token


def build_layout(
    suffixes: Sequence[Sequence[int]],
    *,
    pad_id: int,
    position_offset: int = 0,
    write_start: int = 0,
    branches: Sequence[Sequence[int]] = (),
    device: torch.device | str = "cpu",
) -> Layout:
    """Lay out ``suffixes`` (token ids after the shared prefix, which holds ``position_offset`` tokens).

    The new tokens are the row's own key columns ``[write_start, write_start + N)``; columns before
    ``write_start`` (left over in a reused buffer) are masked.
    """
    if not suffixes or any(len(s) == 0 for s in suffixes):
        raise ValueError("every row needs at least one suffix token")
    rows, width = len(suffixes), max(len(s) for s in suffixes)
    branch_starts: list[int] = []
    seg_list, ids_tail = [0] * width, list[int]()
    for number, branch in enumerate(branches, start=1):
        branch_starts.append(width + len(ids_tail))
        ids_tail += list(branch)
        seg_list += [number] * len(branch)
    total = width + len(ids_tail)

    rows_ids = [[pad_id] * (width - len(s)) + list(s) + ids_tail for s in suffixes]
    input_ids = torch.tensor(rows_ids, dtype=torch.long, device=device)
    lengths = torch.tensor([len(s) for s in suffixes], dtype=torch.long, device=device)
    pad = width - lengths
    column = torch.arange(total, device=device)
    seg = torch.tensor(seg_list, dtype=torch.long, device=device)
    offset_in_branch = torch.zeros(total, dtype=torch.long, device=device)
    for start, branch in zip(branch_starts, branches, strict=True):
        offset_in_branch[start : start + len(branch)] = torch.arange(len(branch), device=device)
    # Suffix token x of row b sits at position offset + (x - pad_b); branch token k right after the suffix.
    suffix_pos = (column[None, :] - pad[:, None]).clamp(min=0)
    branch_pos = lengths[:, None] + offset_in_branch[None, :]
    position_ids = position_offset + torch.where(seg[None, :] == 0, suffix_pos, branch_pos)

    real = (column[None, :] >= pad[:, None]) | (seg[None, :] > 0)  # (B, N)
    causal = column[None, :] <= column[:, None]  # (N query, N key)
    same_tree = (seg[None, :] == 0) | (seg[None, :] == seg[:, None])
    own = (causal & same_tree)[None] & real[:, None, :]
    own |= torch.eye(total, dtype=torch.bool, device=device)[None]  # a padding query sees itself: no empty row
    mask = torch.zeros((rows, 1, total, write_start + total), dtype=torch.bool, device=device)
    mask[:, 0, :, write_start:] = own
    return Layout(input_ids, position_ids, mask, lengths, width, branch_starts)
