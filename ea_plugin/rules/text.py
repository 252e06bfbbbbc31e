"""The text being read: NFKC-normalised, lower-cased with offsets kept, its ASCII tokens, and what is taken.

Every entity of spec v2 contains an ASCII token (a model, a code, a number) except brand names, which the
catalog's automaton finds. So extraction scans the text once for tokens and then looks at each token and
the characters around it, instead of running every pattern over the whole text.
"""

from __future__ import annotations

import re

from ea_plugin.rules.normalize import lower_same_length, nfkc
from ea_plugin.rules.words import LATIN_BEYOND_ASCII

# Letters and digits, joined by single dots, hyphens or underscores (E100.1, ASDA-A2, fault_02, 0x0F0001).
# "No.21" is the word and the number, as "No. 21" is ("no." before a digit, only where a token starts: the
# look-behind checks that its first character was "n"). The pattern opens with a character set, not an
# alternative: then `re` skips to the next ASCII letter or digit in C (1.6x faster over Chinese text). The runs
# are possessive (*+, ++: never given back), so the greedy first path is the match or none is.
# A word of German, French or Vietnamese goes on through Latin letters beyond ASCII, where the runs stop: its ASCII
# pieces ("überprüfen": "berpr", "fen") are no tokens, or they could read as a mnemonic, a code or a model. So a
# token never starts right after a letter (ASCII or such) or a digit, and never ends right before such a letter
# (the start is checked after the first character, so the pattern still opens with its set). A separator sets
# pieces apart as it does in ASCII ("ü5.3": "3"). Chinese glued to a token is no letter of a word ("报警E101").
_TOKEN = re.compile(
    rf"[0-9a-z](?<![0-9a-z{LATIN_BEYOND_ASCII}].)(?:(?<=n)o\.(?=\d)|[0-9a-z]*+(?:[.\-_][0-9a-z]++)*+)"
    rf"(?![{LATIN_BEYOND_ASCII}])"
)
_SPAN = re.Match.span
# Per-token readings are cached by the token (the same codes and models recur in every chunk) only up to this
# length: a longer token (a base64 blob, a run of digits) is read afresh, so that each cache of 16,384
# readings holds a bounded number of characters however long the tokens retrieval hands the judge.
CACHED_TOKEN = 64


class TooLong(Exception):  # noqa: N818 - a signal between a cache and its caller, not an error
    """Raised by a cached reading, on a miss, for an input longer than that cache keeps: ``lru_cache`` keeps
    nothing for a call that raises, and the caller reads the input uncached. A hit checks no length."""


class Text:
    """One text as extraction reads it. Passes hand each other the tokens they left free (a list is cheaper
    than asking ``free`` per token); ``taken`` marks every character an entity was read from."""

    __slots__ = ("written", "lowered", "tokens", "token_at", "taken")

    def __init__(self, text: str) -> None:
        self.written = nfkc(text)
        self.lowered = lower_same_length(self.written)
        self.tokens: list[tuple[int, int]] = list(map(_SPAN, _TOKEN.finditer(self.lowered)))
        self.token_at: dict[int, int] = dict(self.tokens)  # token end by token start
        self.taken: bytearray | None = None  # made on the first take: many texts take nothing

    def free(self, start: int, end: int) -> bool:
        return self.taken is None or self.taken.find(1, start, end) == -1

    def take(self, start: int, end: int) -> None:
        if start >= end:
            return
        if self.taken is None:
            self.taken = bytearray(len(self.written))
        self.taken[start:end] = b"\x01" * (end - start)

    def free_tokens(self) -> list[tuple[int, int]]:
        """The tokens no taken span touches (passes pass their free lists on; this is for anything else)."""
        if self.taken is None:
            return self.tokens
        return [(start, end) for start, end in self.tokens if self.taken.find(1, start, end) == -1]
