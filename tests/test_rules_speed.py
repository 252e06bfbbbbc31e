"""The shortcuts that make the rules backend cheap read the same as the patterns they stand in front of."""

from __future__ import annotations

import random
import re

import pytest

from ea_plugin.rules import codes
from ea_plugin.rules.text import Text
from ea_plugin.rules.words import CUES_BEFORE_EN, CUES_BEFORE_ZH, CUES_BEFORE_ZH_HANT, UNIT_AFTER

# Continuations that complete every alternative of the unit and date patterns after its first character.
_ENDINGS = ("", "0", "a", "b", "f", "m", "z", "in", "ps", "its", "dc", "hm", "ec", "ytes", "aud", "pr", "b/s", "·m",
            "/min", "econds", "inutes", "ours", "imes", "ulses", "egrees", "轴", "時", "电机", "节点")


@pytest.mark.parametrize("pattern, opening", [(UNIT_AFTER, codes._UNIT_OPENING),
                                              (codes._DATE_OR_TIME_AFTER, codes._DATE_OR_TIME_OPENING)],
                         ids=["unit", "date or time"])
def test_a_match_opens_with_a_character_of_the_gate(pattern: re.Pattern[str], opening: frozenset[str]) -> None:
    assert opening is not None, "the pattern's first characters could not be told: the gate is off"
    # Every ASCII and Latin-1 character, every character the pattern names, and a sample of the rest of the BMP.
    named = {c for c in pattern.pattern if ord(c) > 127}
    rng = random.Random(5)
    sample = set(map(chr, range(256))) | named | {chr(rng.randrange(256, 0x10000)) for _ in range(1000)}
    for first in sorted(sample):
        for ending in _ENDINGS:
            if pattern.match(first + ending):
                assert first in opening, f"{first + ending!r} matches, but {first!r} is not in the gate"


def test_the_gate_rules_out_most_characters() -> None:
    assert codes._UNIT_OPENING is not None and len(codes._UNIT_OPENING) < 200
    assert "：" not in codes._UNIT_OPENING and "\n" not in codes._UNIT_OPENING and ")" not in codes._UNIT_OPENING


@pytest.mark.parametrize("text", ["Code 291 (BVC)", "报警 17：过流", "温度 50℃", "转速 3000 rpm", "12:30 故障", "24 V",
                                  "7次", "2023/05", "17 MG400", "3  V", "5 \t min", "报警 7 ", "8\t%", "9 (3 V)"])
def test_quantity_or_date_matches_the_patterns(text: str) -> None:
    read = Text(text)
    for start, end in read.tokens:
        unit = UNIT_AFTER.match(read.lowered, end)
        expected = "unit" if unit else "date or time" if codes._DATE_OR_TIME_AFTER.match(read.lowered, end) else None
        assert codes._quantity_or_date(read.lowered, end) == expected, (text, read.lowered[start:end])


# Pieces that make up what stands before a number: every cue, its suffixes and fillers, parameter cues, signs,
# blanks (\s beyond ASCII too), and letters and characters that join or break a cue word.
_BEFORE_PIECES = (*CUES_BEFORE_ZH, *CUES_BEFORE_ZH_HANT, *CUES_BEFORE_EN, "code", "number", "no", "no.", "#", ":",
                  "=", " ", "  ", "\n", "\t", "\u3000", "\x1c", "\x85", "(", "[", "“", "「", "号", "為", "是", "编号",
                  "参数", "parameter", "pnu", "object", "-", "\u2212", "x", "a", "e", "r", "o", "1", "的",
                  "or", "xerror", "return", "value")


def test_the_reversed_match_before_a_number_reads_the_window_search() -> None:
    """Where _BEFORE_NUMBER reads the cue (or its absence) itself, the window search finds the same cue, and no
    parameter cue or sign stands before the number; elsewhere read_bare_codes reads it by the search."""
    rng = random.Random(11)
    for _ in range(40_000):
        before = "".join(rng.choice(_BEFORE_PIECES) for _ in range(rng.randint(0, 12)))
        lowered, start = before + "5", len(before)
        reversed_text = lowered[::-1]
        preceding = codes._BEFORE_NUMBER.match(reversed_text, len(lowered) - start)
        assert preceding is not None
        kind, low = preceding.lastgroup, max(0, start - codes._CUE_WINDOW)
        found = codes._CUE_BEFORE.search(lowered, low, start)
        if kind is None:
            assert found is None, lowered
        elif kind == "cue" and len(lowered) - preceding.end() >= low:
            assert found is not None and found.group("cue") == preceding.group("cue")[::-1], lowered
            assert found.end("cue") == len(lowered) - preceding.start("cue"), lowered
        if kind in (None, "cue"):
            filler = start
            while filler and lowered[filler - 1] in codes._PARAMETER_FILLER:
                filler -= 1
            assert not (filler and lowered.endswith(codes._PARAMETER_CUE_ENDS, 0, filler)), lowered
            assert not (start and lowered[start - 1] in codes._MINUS), lowered


def test_table_rows_are_the_rows_a_match_at_every_line_start_finds() -> None:
    """codes.table_rows scans for rows after line breaks: the same rows as the row pattern at each line's start."""
    at_every_line_start = re.compile("(?m)^" + codes._TABLE_ROW.pattern)
    pieces = ["\n", " ", "  ", "\t", "|", ":", "-", ".", "_", "17", "e100", "oc", "A", "过流", "ab", "\r", "| 3 |"]
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        expected = [m.span("cell") for m in at_every_line_start.finditer(text)]
        assert [m.span("cell") for m in codes.table_rows(text)] == expected, text
