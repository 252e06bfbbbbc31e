"""The text being read: NFKC-normalised, lower-cased with offsets kept, its ASCII tokens, and what is taken.

Every entity of spec v2 contains an ASCII token (a model, a code, a number) except brand names, which the
catalog's automaton finds. So extraction scans the text once for tokens and then looks at each token and
the characters around it, instead of running every pattern over the whole text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from ea_plugin.normalize import lower_same_length, nfkc

# Letters and digits, joined by single dots, hyphens or underscores (E100.1, ASDA-A2, fault_02, 0x0F0001).
# "No.21" is the word and the number, as "No. 21" is.
_TOKEN = re.compile(r"no\.(?=\d)|[0-9a-z]+(?:[.\-_][0-9a-z]+)*")
_SPAN = re.Match.span


class Text:
    def __init__(self, text: str) -> None:
        self.written = nfkc(text)
        self.lowered = lower_same_length(self.written)
        self.tokens: list[tuple[int, int]] = list(map(_SPAN, _TOKEN.finditer(self.lowered)))
        self.token_at: dict[int, int] = dict(self.tokens)  # token end by token start
        self._taken: bytearray | None = None  # made on the first take: many texts take nothing
        self._free = self.tokens  # tokens no taken span touches, kept up to date by take()

    def free(self, start: int, end: int) -> bool:
        return self._taken is None or self._taken.find(1, start, end) == -1

    def take(self, start: int, end: int) -> None:
        if start >= end:
            return
        if self._taken is None:
            self._taken = bytearray(len(self.written))
        self._taken[start:end] = b"\x01" * (end - start)
        # Drop the tokens the span overlaps (tokens are sorted and disjoint); a new list, so a pass that is
        # iterating the old one is not disturbed.
        free = self._free
        first = bisect_right(free, (start, len(self.written)))  # the first token starting after ``start``
        if first and free[first - 1][1] > start:
            first -= 1
        last = bisect_left(free, (end, -1))  # the first token starting at or after ``end``
        if first < last:
            self._free = free[:first] + free[last:]

    def free_tokens(self) -> list[tuple[int, int]]:
        return self._free
