"""Group pairs into batches: longest first, bounded by a pair count and a padded-token budget."""

from __future__ import annotations

from collections.abc import Sequence


def plan_batches(lengths: Sequence[int], max_pairs: int, max_tokens: int, extra: int = 0) -> list[list[int]]:
    """Indices of ``lengths`` grouped into batches, each sorted by length (longest first).

    A batch costs ``pairs * (longest + extra)`` padded tokens (``extra``: tokens every row adds, such
    as label branches or new tokens to generate); it stays within ``max_tokens`` unless a single pair
    alone exceeds it, and within ``max_pairs``. Sorting first keeps rows of similar length together,
    so little compute goes to padding.
    """
    if max_pairs < 1 or max_tokens < 1:
        raise ValueError(f"max_pairs and max_tokens must be >= 1, got {max_pairs} and {max_tokens}")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        # The first row of a batch is its longest, so its length sets the padded width.
        width = (lengths[current[0]] if current else lengths[index]) + extra
        if current and (len(current) >= max_pairs or (len(current) + 1) * width > max_tokens):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches
