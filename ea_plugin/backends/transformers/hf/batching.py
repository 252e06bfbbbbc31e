"""Group pairs into batches: longest first, bounded by a pair count and a padded-token budget."""

from __future__ import annotations

from collections.abc import Sequence


def plan_batches(lengths: Sequence[int], max_pairs: int, max_tokens: int, extra: int = 0,
                 packed: bool = False) -> list[list[int]]:
    """Indices of ``lengths`` grouped into batches, each sorted by length (longest first).

    A batch costs ``pairs * (longest + extra)`` padded tokens (``extra``: tokens every row adds, such
    as label branches or new tokens to generate), or with ``packed`` rows (no padding) the sum of
    ``length + extra``; it stays within ``max_tokens`` unless a single pair alone exceeds it, and
    within ``max_pairs``. Sorting first keeps rows of similar length together, so little compute goes
    to padding.
    """
    if max_pairs < 1 or max_tokens < 1:
        raise ValueError(f"max_pairs and max_tokens must be >= 1, got {max_pairs} and {max_tokens}")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    current: list[int] = []
    used = 0  # packed: tokens of the current batch
    for index in order:
        if packed:
            cost = used + lengths[index] + extra
        else:  # the first row of a batch is its longest, so its length sets the padded width
            cost = (len(current) + 1) * ((lengths[current[0]] if current else lengths[index]) + extra)
        if current and (len(current) >= max_pairs or cost > max_tokens):
            batches.append(current)
            current, used = [], 0
        current.append(index)
        used += lengths[index] + extra
    if current:
        batches.append(current)
    return batches
