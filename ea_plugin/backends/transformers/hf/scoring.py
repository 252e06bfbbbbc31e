"""Fast mode: the log-probability of each full label token sequence, all labels in one forward.

For labels t_0..t_{n-1}, log P(label | prompt) = sum_k log p(t_k | prompt, t_<k). The first factor is
read at the prompt's last position; the later ones need the label's own earlier tokens in context, so
each label's tokens but its last ride along as a branch of the same forward (see layout). Nothing
assumes the labels' lengths or that their first tokens differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ea_plugin.backends.transformers.hf.forward import run
from ea_plugin.backends.transformers.hf.kvcache import PrefixKV
from ea_plugin.backends.transformers.hf.layout import Layout, build_layout
from ea_plugin.backends.transformers.hf.packed import pack, run_packed


@dataclass(frozen=True)
class LabelSequences:
    labels: tuple[str, ...]
    ids: tuple[tuple[int, ...], ...]

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, labels: Sequence[str]) -> LabelSequences:
        ids = tuple(tuple(tokenizer(label, add_special_tokens=False)["input_ids"]) for label in labels)
        if any(not seq for seq in ids):
            raise ValueError(f"a label tokenizes to nothing: {dict(zip(labels, ids, strict=True))}")
        if len(set(ids)) != len(ids):
            raise ValueError(f"two labels tokenize the same: {dict(zip(labels, ids, strict=True))}")
        return cls(tuple(labels), ids)

    @property
    def branches(self) -> list[list[int]]:
        return [list(seq[:-1]) for seq in self.ids]

    @property
    def longest(self) -> int:
        return max(len(seq) for seq in self.ids)

    def keep_columns(self, layout: Layout) -> list[int]:
        """Input columns whose logits are needed: the last prompt token, then every branch token."""
        columns = [layout.width - 1]
        for start, seq in zip(layout.branch_starts, self.ids, strict=True):
            columns += range(start, start + len(seq) - 1)
        return columns

    def logprobs(self, logits: torch.Tensor) -> torch.Tensor:
        """(B, n_labels) float32 from logits at :meth:`keep_columns` (B, K, vocab)."""
        logp = torch.log_softmax(logits.float(), dim=-1)
        totals, kept = [], 1
        for seq in self.ids:
            rows = [0] + list(range(kept, kept + len(seq) - 1))  # where each of this label's tokens is predicted
            kept += len(seq) - 1
            index = torch.tensor(rows, device=logp.device)
            tokens = torch.tensor(seq, device=logp.device)
            totals.append(logp[:, index, tokens].sum(dim=1))
        return torch.stack(totals, dim=1)


@torch.inference_mode()
def score_batch(
    causal_lm: Any,
    suffixes: Sequence[Sequence[int]],
    labels: LabelSequences,
    *,
    prefix: PrefixKV | None,
    pad_id: int,
    device: torch.device,
) -> torch.Tensor:
    """Label log-probs (B, n_labels) for prompts ``prefix + suffix``, one forward for the batch."""
    offset = prefix.length if prefix is not None else 0
    layout = build_layout(suffixes, pad_id=pad_id, position_offset=offset, branches=labels.branches, device=device)
    keep = torch.tensor(labels.keep_columns(layout), device=device)
    logits = run(causal_lm, layout.input_ids, layout.position_ids, layout.mask, None, keep, prefix=prefix)
    return labels.logprobs(logits)


@torch.inference_mode()
def score_packed(
    causal_lm: Any,
    suffixes: Sequence[Sequence[int]],
    labels: LabelSequences,
    *,
    prefix: PrefixKV | None,
    device: torch.device,
    flex: bool,
) -> torch.Tensor:
    """:func:`score_batch` with the rows packed end to end (no padding; see packed)."""
    batch = pack(suffixes, labels.branches, prefix=prefix, device=device, flex=flex)
    return labels.logprobs(run_packed(causal_lm, batch))
