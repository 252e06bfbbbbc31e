"""Fault codes and parameter numbers of spec v3, read token by token (pure functions over a Text).

Passes, in extract's order: ``read_token_codes`` (parameters of any index length and instances, family codes,
a family word and its number one space apart), ``table_cells`` (where a table's rows open with a code-shaped
cell), ``read_bare_codes`` (numbers next to a cue, signed ones after a cue, a table's first cells, numbers after a
parameter cue) and ``read_mnemonics`` (the MN family where written as a code, paired with a number in brackets).
Each reader yields entities with spans; the caller takes their spans so that no span is read twice.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import lru_cache
from operator import attrgetter
from re import _constants as _sre  # type: ignore[attr-defined]  # the parser's names, for _gated
from re import _parser  # type: ignore[attr-defined]

from ea_plugin.rules.catalog import MNEMONIC_SHAPE, AliasHit, Catalog, CodeForm
from ea_plugin.rules.normalize import PRODUCT_WORDS, normalize_code_main
from ea_plugin.rules.records import FaultCode, Parameter, Product
from ea_plugin.rules.text import CACHED_TOKEN, Text, TooLong
from ea_plugin.rules.words import (
    CUES_AFTER,
    CUES_BEFORE_EN,
    CUES_BEFORE_ZH,
    CUES_BEFORE_ZH_HANT,
    ENGLISH_SHORT,
    INDEX_NOUNS,
    MNEMONIC_NEVER,
    PANEL_ABBREVIATIONS,
    PARAMETER_CUES_EN,
    PARAMETER_CUES_ZH,
    ROW_NOT_AFTER,
    SIGNED_CUES_EN,
    SIGNED_CUES_ZH,
    UNIT_AFTER,
)

_END = r"(?![a-z0-9])"
# H/P/F + group + "-" or "." + an index of any length (spec v3: P2.1523, P0.20015; "-" = "."), then an instance
# after a further dot (P2.1523.0.1) that never separates; or Yaskawa's Pn/Fn/Un + three hex digits.
_PARAMETER = re.compile(
    r"(?:(?P<letter>[hpf])(?P<group>\d[0-9a-f]?)[.\-](?P<index>\d++)(?P<instance>(?:\.\d++)++)?"
    r"|(?P<yaskawa>pn|fn|un)(?P<number>[0-9a-f]{3}))" + _END
)
# The families of spec v2, matched at the start of a token; alternatives are tried in this order.
# A hex run holding a digit is written [a-f]*+\d[0-9a-f]*+, not [0-9a-f]*\d[0-9a-f]*: the two match the same
# runs, but the latter tries every split of a long run that then fails (quadratic: a 16k-character token
# took seconds). A run that is cut short can never be followed by the rest (a letter, "h", ".", the token's
# end), so possessive runs (*+, never given back) match exactly what the backtracking ones did.
_HEX_WITH_DIGIT = r"[a-f]*+\d[0-9a-f]*+"
_FAMILY = re.compile(
    r"(?:(?:error|err|er|e)(?:[.\-_]?(?P<e>[0-9a-f]?\d[0-9a-f]*+)|[.\-_](?P<e_word>[a-z]{2,3}\d{0,2}))"
    rf"|alm?[.\-_]?(?P<al>{_HEX_WITH_DIGIT})"
    rf"|a\.(?P<a>{_HEX_WITH_DIGIT})"
    r"|fault[.\-_]?(?P<fault>\d++)"
    r"|f(?P<f>\d{3,5})"
    r"|n(?P<n>\d{3})"
    r"|0x(?P<hex>[0-9a-f]++)"
    rf"|(?P<hex_h>{_HEX_WITH_DIGIT})h"
    r")(?:\.(?P<sub>\d++))?" + _END
)
# Family words written one space before their number as one code (spec v3); not a lone "e" (too common in text).
_SPACED_FAMILY = frozenset(("al", "alm", "er", "err"))
_YASKAWA = frozenset(("pn", "fn", "un"))  # the parameter prefixes of _PARAMETER's "yaskawa" group
_GROUP_FAMILY = {"e": "E", "e_word": "E", "al": "AL", "a": "A", "fault": "F", "f": "F", "n": "N", "hex": "HEX",
                 "hex_h": "HEX"}
_GROUP_WHY = {"e": "E family (E/Er/Err + number)", "e_word": "E family (E. + letters, E.OC1)",
              "al": "AL family (AL/ALM + hex)", "a": "A family (A. + hex)", "fault": "F family (fault_ + number)",
              "f": "F family (F + 3-5 digits, no separator)", "n": "N family (n + 3 digits: warning)",
              "hex": "HEX value (0x...)", "hex_h": "HEX value (...h)"}
_PRODUCT_WORD_NEXT = re.compile("|".join(PRODUCT_WORDS))  # E700系列 is a model, E100 机器人 is a code

_NUMBER = re.compile(r"(?P<main>\d+)(?:\.(?P<sub>\d+))?|a(?P<a>\d{3})")  # 21, 21.1; A710 (A family, cue only)
# An English cue is a word (no letter before it), optionally followed by "code", "no." or "#". The look-behind
# comes after each English cue's first letter, so that every alternative opens with a literal character:
# then `re` searches by skipping to the cues' first characters (a pattern opening with a look-behind is
# tried at every position), about 2.4x faster here; the matches are the same.
def _cue_pattern(zh: tuple[str, ...], en: tuple[str, ...]) -> re.Pattern[str]:
    """A cue and its filler ending where the number starts (searched in a window before it)."""
    english = "|".join(rf"{w[0]}(?<![a-z].){w[1:]}(?:\s*(?:code|no\.?|number|#))?" for w in en)
    return re.compile(
        r"(?P<cue>" + "|".join(zh) + "|" + english + ")"
        r"\s*(?:[:#=]|no\.?|[号號]|為|为|是|编号|編號)?\s*[(\[“\"「『]?\s*$"
    )


_CUE_BEFORE = _cue_pattern(CUES_BEFORE_ZH + CUES_BEFORE_ZH_HANT, CUES_BEFORE_EN)
# A negative number is a code after these cues too (spec v3: 返回-4, returns -4); -4 and 4 are different codes.
_SIGNED_CUE_BEFORE = _cue_pattern(SIGNED_CUES_ZH + CUES_BEFORE_ZH + CUES_BEFORE_ZH_HANT,
                                  SIGNED_CUES_EN + CUES_BEFORE_EN)
_MINUS = frozenset("-\u2212")  # hyphen-minus (full-width ones are NFKC'd to it) and the minus sign
_NOT_BEFORE_SIGN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-~\u2212")  # "1~-5", "a.-5": not a sign
_PARAMETER_CUE = re.compile(
    r"(?P<cue>" + "|".join(PARAMETER_CUES_ZH) + "|" + "|".join(rf"{w[0]}(?<![a-z].){w[1:]}" for w in PARAMETER_CUES_EN)
    + r")[ \t]*(?:[:#=]|no\.?|[号號])?[ \t]*[(\[]?[ \t]*\Z"  # on the number's line: "...参数⏎33537：" is a row
)
_PARAMETER_FILLER = frozenset(" \t:#=([号號.o")  # "参数：", "parameter no. 5" ("o" of "no")
_PARAMETER_CUE_ENDS = (*PARAMETER_CUES_ZH, *PARAMETER_CUES_EN, "n")  # "n" of "no." (the "o" is filler)
_CUE_WINDOW = 24  # characters before a number that can hold a cue and its filler ("error code no. ")
# What stands right before a number, matched on the reversed text from the number's start (one anchored match
# instead of a window search): a parameter cue's last characters after its filler (read_bare_codes' test), a sign,
# or after blanks: a character that may end a cue's filler (a bracket, ":", "no.", 号...: read by the window search),
# else the cue itself. Without such a filler the cue ends where the blanks start, and the longest cue ending there
# is the one _CUE_BEFORE finds (it starts leftmost), as a cue with "code" or "number" after it is longer than that
# word read as a cue: so the cues go reversed, longest first, English ones with their suffix first.
_FILLER_LAST = "([“\"「『:#=o.号號為为是"  # the last characters of _cue_pattern's filler and of the suffixes no., #


def _reversed_cues(zh: tuple[str, ...], en: tuple[str, ...]) -> str:
    def longest_first(words: tuple[str, ...]) -> str:
        return "|".join(re.escape(w[::-1]) for w in sorted(words, key=len, reverse=True))

    return rf"{longest_first(zh)}|(?:(?:edoc|rebmun)\s*)?(?:{longest_first(en)})(?![a-z])"


_BEFORE_NUMBER = re.compile(
    "(?:[" + re.escape("".join(sorted(_PARAMETER_FILLER))) + "]*+(?P<parameter>"
    + "|".join(re.escape(w[::-1]) for w in _PARAMETER_CUE_ENDS) + r")|(?P<sign>[\-\u2212])|\s*+(?:(?P<filler>["
    + re.escape(_FILLER_LAST) + "])|(?P<cue>" + _reversed_cues(CUES_BEFORE_ZH + CUES_BEFORE_ZH_HANT, CUES_BEFORE_EN)
    + ")))?"
)
# "bare number after cue 'X'" by the reversed cue X (bounded: cleared when full)
_AFTER_CUE: dict[str, str] = {}
_CUE_AFTER = re.compile(r"\s*(?P<cue>[号號]?(?:" + "|".join(CUES_AFTER) + "))")
_ROW_AFTER = re.compile(r"[ \t]*:(?=\s*[^\d\s:/])")  # "6019: 过流", not "12:30" or "1: 2"; on the number's line
_ROW_START = set("\n。；;|,、)]】 \t\r")
_NOT_BEFORE_AFTER_CUE = set("abcdefghijklmnopqrstuvwxyz0123456789.-_/")
_DATE_OR_TIME_AFTER = re.compile(r"[\-/:]\d|#[0-9a-f]")  # 2023-05, 12:30; 16#2310 (IEC radix: the base)
_WORD_BEFORE = re.compile(r"([a-z]+)\s*$")
# A table row (spec v3): a code-shaped first cell (optionally after "|"), then a tab, two or more spaces, "|" or a
# colon, then a description: "1440  ALARM-A  SPINDLE OVERHEAT", "| 17 | 过流 |", "oC    过电流".
# Its runs are possessive (never given back): what follows each can open with none of the run's characters (a cell
# cut short is followed by a letter, digit or separator, which opens no "|", ":", tab or blank), so they match what
# backtracking runs did, without `re` trying every shorter cell of a line that is no row (~5x fewer instructions).
_TABLE_ROW = re.compile(
    r"[ \t]*+(?:\|[ \t]*+)?(?P<cell>-?[0-9a-z]++(?:[.\-_][0-9a-z]++)*+)(?:\t|  |[ \t]*+[|:])[ \t]*+(?=[^\s|:\-])"
)
# The rows of a text are the rows opening it and those after a line break (a row never crosses one): `re` tries a
# pattern opening with "^" (multiline) at every position of the text, one opening with "\n" only where a line
# break stands (found by a fast scan): ~20x fewer instructions over a page (table_rows).
_ROW_AFTER_BREAK = re.compile("\n" + _TABLE_ROW.pattern)
_SIGNED_NUMBER = re.compile(r"-?\d++(?:\.\d++)?")
_NO_CELLS: frozenset[int] = frozenset()


def read_token_codes(
    text: Text, catalog: Catalog, hits: list[AliasHit]
) -> tuple[list[Parameter], list[FaultCode], list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """Parameters and codes written with a family prefix (catalog code forms first), in one pass over the
    tokens: a token is read as a parameter first, else as a code. Their spans are taken; returns them and
    the tokens left free, in order, as two lists: those opening with a letter (for the product and mnemonic
    passes) and those a bare code may be (a digit first, or ``a710``: read_bare_codes), each as its span and the
    token (sliced once here), so that no later pass looks at tokens it cannot read (most of a chunk's tokens are
    words). ``hits``: the catalog's aliases in the text; a code-shaped token inside a longer series alias is
    that model's (``MicroFlex e190``), as one before a product word is (``E700系列``)."""
    lowered, written = text.lowered, text.written
    params: list[Parameter] = []
    faults: list[FaultCode] = []
    words: list[tuple[int, int, str]] = []
    numbers: list[tuple[int, int, str]] = []
    kinds = _TOKEN_KINDS
    tokens = iter(text.tokens)
    for span in tokens:
        start, end = span
        token = lowered[start:end]
        kind = kinds.get(token)
        if kind is None:
            kind = _token_kind(token)
        if kind == _WORD:
            words.append((start, end, token))
            continue
        if kind == _DIGITS:
            numbers.append((start, end, token))
            continue
        if kind == _SPACED:
            code = _spaced_code(text, catalog, start, end) if lowered[end : end + 1] == " " else None
            if code is None:
                words.append((start, end, token))
                continue
            faults.append(code)
            text.take(start, code.span[1])
            next(tokens, None)  # the code's number, the next token, is read
            continue
        try:
            reading = _token_reading(token, catalog)
        except TooLong:  # a long token is read afresh
            reading = _read_token(token, catalog)
        if reading is None or (len(reading) == 6 and reading[5] and (
                _PRODUCT_WORD_NEXT.match(lowered, start + reading[0])
                or (hits and _inside_alias(hits, start, end, catalog)))):
            # no code, or one naming a product ("E700系列", "MicroFlex e190"): free for the passes that may read it
            if kind != _FREE_NUMBER:
                words.append((start, end, token))
            if kind != _FREE_WORD:
                numbers.append((start, end, token))
            continue
        length, why, number = reading[:3]
        if len(reading) == 3:
            params.append(Parameter(written[start : start + length], (start, start + length), why, number))
        else:
            faults.append(FaultCode(written[start : start + length], (start, start + length), why, *reading[2:5]))
        text.take(start, start + length)
    return params, faults, words, numbers


# How read_token_codes routes a token, by the token (most are words, and the same recur in every chunk): a word, a
# number (read later), a family word that may stand one space before its number (AL 127), or one to read as a code.
# Codes have a letter prefix and a digit; a letter-only token can only be a Yaskawa parameter written in hex letters
# (Un + def: "undef"). A token read as no code is left free by its kind too: a digit first for read_bare_codes only
# (_FREE_NUMBER), a letter first for the word passes (_FREE_WORD), and a710 for both (an A-family code after a cue:
# _FREE_BOTH). Bounded: cleared when full, and no token longer than CACHED_TOKEN is kept.
_TOKEN_KINDS: dict[str, int] = {}
_WORD, _DIGITS, _SPACED, _FREE_WORD, _FREE_NUMBER, _FREE_BOTH = range(6)


def _token_kind(token: str) -> int:
    """``_TOKEN_KINDS``' entry for ``token``, computed and kept."""
    if token.isdigit():
        kind = _DIGITS
    elif token.isalpha() and (len(token) != 5 or token[:2] not in _YASKAWA):
        kind = _SPACED if token in _SPACED_FAMILY else _WORD
    elif token[0].isdigit():
        kind = _FREE_NUMBER
    else:
        kind = _FREE_BOTH if token[0] == "a" and len(token) == 4 else _FREE_WORD
    if len(token) <= CACHED_TOKEN:
        if len(_TOKEN_KINDS) >= 16384:
            _TOKEN_KINDS.clear()
        _TOKEN_KINDS[token] = kind
    return kind


def _spaced_code(text: Text, catalog: Catalog, start: int, end: int) -> FaultCode | None:
    """A family word, one space and its number as one code (spec v3: ``AL 127``, ``ALM 21``, ``Err 16``), or None
    where the next token is not a number that completes the family's form (``Err code``, ``AL 16系列``)."""
    after = end + 1
    after_end = text.token_at.get(after)
    lowered = text.lowered
    if after_end is None or not lowered[after].isdigit() or lowered.endswith("et ", 0, start):
        return None  # "et al 2020" cites a paper
    joined = lowered[start:end] + lowered[after:after_end]
    reading = _family_reading(joined, catalog) if len(joined) <= CACHED_TOKEN else None
    if reading is None or len(reading) == 3 or reading[0] != len(joined) or reading[2] not in ("E", "AL"):
        return None
    if _PRODUCT_WORD_NEXT.match(lowered, after_end):
        return None  # "AL 16系列" names a product
    why = f"{reading[1]}, word and number one space apart"
    return FaultCode(text.written[start:after_end], (start, after_end), why, *reading[2:5])


def _inside_alias(hits: list[AliasHit], start: int, end: int, catalog: Catalog) -> bool:
    """Whether a series alias of more than this token spans it. ``hits`` are in the order of their ends
    (``find_aliases``' scan) and none is longer than ``catalog.longest_alias``: where there are many, only
    those ending from ``end`` to ``start + longest`` are looked at (a text of many aliases and codes looped
    over every alias per code: quadratic)."""
    if len(hits) > 16:
        last = start + catalog.longest_alias
        hits = hits[bisect_left(hits, end, key=_hit_end) : bisect_right(hits, last, key=_hit_end)]
    for h in hits:  # a loop, not any() over a generator: this runs for most code tokens
        if h.kind == "series" and h.start <= start and end <= h.end and h.end - h.start > end - start:
            return True
    return False


_hit_end = attrgetter("end")


def _read_token(token: str, catalog: Catalog) -> tuple | None:
    """What a token starts with: a parameter ``(length, why, number)`` or a code ``(length, why, family,
    main, sub, may name a model)``, or None."""
    return _parameter_reading(token) or _family_reading(token, catalog)


@lru_cache(maxsize=16384)
def _token_reading(token: str, catalog: Catalog) -> tuple | None:
    """``_read_token``, cached (the same tokens recur in every chunk); TooLong past CACHED_TOKEN characters."""
    if len(token) > CACHED_TOKEN:
        raise TooLong
    return _read_token(token, catalog)


def _parameter_reading(token: str) -> tuple[int, str, str] | None:
    m = _PARAMETER.match(token)
    if m is None:
        return None
    if m.group("yaskawa"):
        return m.end(), "parameter Pn/Fn/Un + 3 hex digits", m.group("yaskawa") + m.group("number")
    group, index = m.group("group").lstrip("0") or "0", m.group("index").lstrip("0") or "0"
    why = "parameter H/P/F + group + -/. + index" + (" (+ instance)" if m.group("instance") else "")
    return m.end(), why, f"{m.group('letter')}{group}-{index}"


def _family_reading(token: str, catalog: Catalog) -> tuple[int, str, str, str, str | None, bool] | None:
    """(length, why, family, main, sub, may name a model) of the code a token starts with. A spec family
    code other than HEX may be a model before a product word."""
    forms = catalog.code_forms
    vendor = _vendor_pattern(forms)
    m = vendor.match(token) if vendor is not None else None
    if m is not None:
        form = forms[int(str(m.lastgroup)[1:])]
        digits = re.search(r"\d+", m.group(0)).group(0)  # type: ignore[union-attr]  # the form has digits
        why = f"catalog code form {form.prefix.upper()} ({form.family} family)"
        return m.end(), why, form.family, normalize_code_main(digits), None, False
    m = _FAMILY.match(token)
    if m is None or _MODEL_NUMBER_AFTER.match(token, m.end()):
        return None  # E5-8200: a model (a series and its number), not code E5
    group = str(m.lastgroup) if m.lastgroup != "sub" else next(g for g in _GROUP_FAMILY if m.group(g) is not None)
    main = m.group(group)
    if group == "hex_h" and len(main) < 4:
        return None  # "10h" is ten hours; hex values written with h have 4+ digits (2310h)
    family = _GROUP_FAMILY[group]
    return m.end(), _GROUP_WHY[group], family, normalize_code_main(main), m.group("sub"), family != "HEX"


# A hyphen and three digits or more after a family code's token: the token is a model's name (E5-8200).
_MODEL_NUMBER_AFTER = re.compile(r"-\d{3}")


@lru_cache(maxsize=64)
def _vendor_pattern(forms: tuple[CodeForm, ...]) -> re.Pattern[str] | None:
    if not forms:
        return None
    parts = [
        f"(?P<c{i}>{re.escape(f.prefix)}{'[.-]?' if f.separator else ''}\\d{{{f.min_digits},{f.max_digits}}})"
        for i, f in enumerate(forms)
    ]
    return re.compile("(?:" + "|".join(parts) + ")" + _END)


def _bare_reading(text: Text, start: int, end: int, cues: re.Pattern[str] = _CUE_BEFORE) -> str | None:
    """Why a number written from ``start`` (its sign included) to ``end`` is a code (the cue that makes it one),
    or None where it is not a code."""
    lowered = text.lowered
    if _quantity_or_date(lowered, end, text.taken) is not None:
        return None
    cue = cues.search(lowered, max(0, start - _CUE_WINDOW), start)
    if cue:
        return f"after cue {cue.group('cue').strip()!r}"
    return _uncued_reading(lowered, start, end)


def _uncued_reading(lowered: str, start: int, end: int) -> str | None:
    """``_bare_reading`` of a number no cue stands before: a cue after it, or a row it opens."""
    before = lowered[start - 1] if start else ""
    after = _CUE_AFTER.match(lowered, end)
    time_or_ratio = before == ":" and _number_before_colon(lowered, start - 1)  # 12:30故障
    if (after and before not in _NOT_BEFORE_AFTER_CUE and not time_or_ratio
            and not any(lowered.endswith(n, 0, start) for n in INDEX_NOUNS)):
        return f"before cue {after.group('cue')!r}"
    if (not before or before in _ROW_START) and _ROW_AFTER.match(lowered, end):
        word = _WORD_BEFORE.search(lowered, max(0, start - 20), start)
        if not (word and word.group(1) in ROW_NOT_AFTER):
            return "opening a row 'N: description'"
    return None


def _cell_or_bare_reading(
    text: Text, start: int, end: int, in_cell: bool, cues: re.Pattern[str] = _CUE_BEFORE
) -> str | None:
    """``_bare_reading``, or the first cell of a table row."""
    if in_cell and _quantity_or_date(text.lowered, end, text.taken) is None:
        return "first cell of a table row"
    return _bare_reading(text, start, end, cues)


def _first_characters(items: list[tuple]) -> tuple[set[int], bool] | None:
    """The code points a match of the parsed pattern ``items`` can open with, and whether it can match nothing;
    None where the pattern holds what this does not follow (then no gate is made)."""
    first: set[int] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            return first | {av}, False
        if op is _sre.IN:
            for kind, value in av:
                if kind is _sre.LITERAL:
                    first.add(value)
                elif kind is _sre.RANGE and value[1] - value[0] < 4096:
                    first.update(range(value[0], value[1] + 1))
                else:
                    return None  # a negated set, a category
            return first, False
        if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
            continue  # zero-width; a superset of what may follow is still a gate
        if op is _sre.BRANCH:
            options = [_first_characters(list(option)) for option in av[1]]
        elif op in (_sre.SUBPATTERN, _sre.ATOMIC_GROUP):
            options = [_first_characters(list(av[-1]))]
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            inner = _first_characters(list(av[2]))
            options = [inner if inner is None or av[0] else (inner[0], True)]
        else:
            return None
        if any(o is None for o in options):
            return None
        first.update(*(o[0] for o in options if o is not None))
        if not any(o[1] for o in options if o is not None):
            return first, False
    return first, True


class _Everything:
    """A set of every character (where a pattern's opening characters cannot be told)."""

    def __contains__(self, item: object) -> bool:
        return True


def _opening(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can open with (a superset), or None where they cannot be told (then
    the caller always tries the pattern). A look at the next character is ~10x cheaper than a failing ``match``
    call (UNIT_AFTER tries its 40 alternatives: ~1.5 µs), and most numbers are followed by none of these."""
    try:
        found = _first_characters(list(_parser.parse(pattern.pattern, pattern.flags)))
    except (AttributeError, TypeError, ValueError, IndexError, re.error):  # the parser is private: it may change
        return None
    if found is None or found[1]:
        return None
    return frozenset(map(chr, found[0]))


_UNIT_OPENING, _DATE_OR_TIME_OPENING = _opening(UNIT_AFTER), _opening(_DATE_OR_TIME_AFTER)
# The characters after a number that may make it a quantity or a date (all, where either pattern's are unknown).
_QUANTITY_OR_DATE_OPENING: frozenset[str] | _Everything = (
    _UNIT_OPENING | _DATE_OR_TIME_OPENING if _UNIT_OPENING is not None and _DATE_OR_TIME_OPENING is not None
    else _Everything())


def _quantity_or_date(lowered: str, end: int, taken: bytearray | None = None) -> str | None:
    """What makes the number ending at ``end`` a quantity or a date/time (a unit on its line: 10次, 50%, 24V;
    2023/05, 12:30), or None."""
    following = lowered[end : end + 1]
    # after a blank the pattern's blanks go on, so the next character opens a match too ("Code 291 (BVC)": none)
    if _UNIT_OPENING is None or (following in _UNIT_OPENING and (
            following not in _BLANK or lowered[end + 1 : end + 2] in _UNIT_OPENING)):
        unit = UNIT_AFTER.match(lowered, end)
        if unit and (taken is None or not taken[unit.end() - 1]):  # "17 MG400": the letters are the model's
            return "unit"
    if (_DATE_OR_TIME_OPENING is None or following in _DATE_OR_TIME_OPENING) and _DATE_OR_TIME_AFTER.match(
            lowered, end):
        return "date or time"
    return None


def _number_before_colon(lowered: str, colon: int) -> bool:
    """Whether a plain number stands right before the colon at ``colon``: "12:30故障" (a time), "1:2" (a ratio).
    After a word, a model or punctuation ("伺服：24故障", "MG400：17号报警") the colon only sets the code apart."""
    i = colon - 1
    while i >= 0 and lowered[i].isdigit():
        i -= 1
    return i < colon - 1 and not (i >= 0 and lowered[i].isascii() and lowered[i].isalpha())


def read_bare_codes(
    text: Text, tokens: list[tuple[int, int, str]], cells: frozenset[int] = _NO_CELLS
) -> tuple[list[FaultCode], list[Parameter]]:
    """Numbers used as codes: next to a cue, or opening a row ``6019: 过流`` (spec v2); A710 after a cue; and
    numbers after a parameter cue (``参数2010``, ``PNU 2010``: spec v3), which are parameter numbers, and the
    first cells of a table's rows (``cells``: table_cells). ``tokens``: those the earlier passes left free (a
    product read since may still cover one), each as its span and the token."""
    lowered, written, taken = text.lowered, text.written, text.taken
    found: list[FaultCode] = []
    params: list[Parameter] = []
    reversed_text, length = "", len(lowered)
    for start, end, token in tokens:
        try:  # 21, 21.1, a710; no other token reads as a number
            number = _number_reading(token)
        except TooLong:  # a long token is read afresh
            number = _read_number(token)
        if number is None or (taken is not None and taken.find(1, start, end) != -1):  # read as a product
            continue
        family, main, sub = number  # a number of no family is written as its token (digits and "." have no case)
        if family is None and start not in cells:
            # most numbers: no parameter cue, sign or filler before them, so one look at the reversed text reads
            # the cue; the others are read below
            if not reversed_text:
                reversed_text = lowered[::-1]
            preceding = _BEFORE_NUMBER.match(reversed_text, length - start)
            assert preceding is not None  # every part of the pattern is optional
            kind = preceding.lastgroup
            if kind is None or (kind == "cue" and length - preceding.end() >= start - _CUE_WINDOW):
                if lowered[end : end + 1] in _QUANTITY_OR_DATE_OPENING and _quantity_or_date(lowered, end, taken):
                    continue
                if kind:
                    cue = preceding.group("cue")
                    read_as = _AFTER_CUE.get(cue) or _after_cue(cue)
                else:
                    uncued = _uncued_reading(lowered, start, end)
                    if uncued is None:
                        continue
                    read_as = f"bare number {uncued}"
                found.append(FaultCode(token, (start, end), read_as, None, main, sub))
                continue
        if family is None:
            cue = None
            before = start  # a parameter cue ends in one of few characters (参数, 功能码, parameter, PNU, object)
            while before and lowered[before - 1] in _PARAMETER_FILLER:
                before -= 1
            if before and lowered.endswith(_PARAMETER_CUE_ENDS, 0, before):
                cue = _PARAMETER_CUE.search(lowered, max(0, start - _CUE_WINDOW), start)
            if cue and _quantity_or_date(lowered, end, taken) is None:
                params.append(Parameter(token, (start, end),
                                        f"parameter number after cue {cue.group('cue')!r}", main))
                continue
            if start and lowered[start - 1] in _MINUS:  # a sign only where no word or number joins it
                at = start - 1
                if at and lowered[at - 1] in _NOT_BEFORE_SIGN:
                    continue
                why = _cell_or_bare_reading(text, at, end, start in cells, _SIGNED_CUE_BEFORE)
                if why is not None:
                    found.append(FaultCode(written[at:end], (at, end), f"signed number {why}", None, f"-{main}", sub))
                continue
        why = (_cell_or_bare_reading(text, start, end, start in cells) if family is None
               else _bare_reading(text, start, end))
        if why is None:
            continue
        if family is None:
            found.append(FaultCode(token, (start, end), f"bare number {why}", None, main, sub))
        elif why.startswith("after cue"):
            found.append(FaultCode(written[start:end], (start, end), f"A family {why}", family, main))
    return found, params


def _after_cue(reversed_cue: str) -> str:
    """The why of a bare number after a cue, by the cue reversed (as _BEFORE_NUMBER reads it), kept in _AFTER_CUE."""
    why = f"bare number after cue {reversed_cue[::-1].strip()!r}"
    if len(_AFTER_CUE) >= 1024:
        _AFTER_CUE.clear()
    _AFTER_CUE[reversed_cue] = why
    return why


def _read_number(token: str) -> tuple[str | None, str, str | None] | None:
    """(family, main, sub) of a token that may be a bare code: 21, 21.1 (no family) or A710 (A, cue only)."""
    m = _NUMBER.fullmatch(token)
    if m is None:
        return None
    if m.group("a"):
        return "A", normalize_code_main(m.group("a")), None
    return None, normalize_code_main(m.group("main")), m.group("sub")


@lru_cache(maxsize=16384)
def _number_reading(token: str) -> tuple[str | None, str, str | None] | None:
    """``_read_number``, cached; TooLong past CACHED_TOKEN characters."""
    if len(token) > CACHED_TOKEN:
        raise TooLong
    return _read_number(token)


def table_cells(text: Text, catalog: Catalog) -> frozenset[int]:
    """Where the first cells of a table's rows start (a signed number's digits): a text laid out as a table has
    two or more lines that each open with a code-shaped cell (a number, a family code or a mnemonic) and a
    separator (spec v3). Empty for any other text."""
    lowered = text.lowered
    # Rows set apart by colons only are read as rows and headings anyway ("6019：过流", "ocA：..."): a table needs
    # a line break and a tab, two spaces or a bar somewhere (most chunks have none: one look each)
    if "\n" not in lowered or not ("\t" in lowered or "  " in lowered or "|" in lowered):
        return _NO_CELLS
    cells = []
    codes = 0  # cells shaped as codes are; the others are abbreviations (CE), codes only in a column of codes
    for m in table_rows(lowered):
        start, end = m.span("cell")
        shaped = _code_shaped(text, start, end, catalog)
        if shaped:
            cells.append(start + (lowered[start] == "-"))
            codes += shaped == _CODE
    if len(cells) < 2 or not codes or _enumeration(lowered, cells):
        return _NO_CELLS
    return frozenset(cells)


def table_rows(lowered: str) -> Iterator[re.Match[str]]:
    """The table rows of ``lowered`` (spec v3's shape, group ``cell``: the first cell), in order: a row opening the
    text, then those after a line break."""
    first = _TABLE_ROW.match(lowered)
    if first is not None:
        yield first
    yield from _ROW_AFTER_BREAK.finditer(lowered)


def _enumeration(lowered: str, cells: list[int]) -> bool:
    """Whether the cells number the rows 1, 2, 3...: a list of steps or items ("1  检查电源"), not codes."""
    for i, start in enumerate(cells, 1):
        digits = str(i)
        after = lowered[start + len(digits) : start + len(digits) + 1]
        if not lowered.startswith(digits, start) or after.isalnum() or after in (".", "-", "_"):
            return False
    return True


_CODE, _ABBREVIATION = 2, 1  # how a table's first cell is shaped (0: as no code)


def _code_shaped(text: Text, start: int, end: int, catalog: Catalog) -> int:
    cell = text.lowered[start:end]
    if cell[0].isalpha():  # a signed number opens with "-" or a digit
        if MNEMONIC_SHAPE.fullmatch(cell):
            written_as = _mnemonic_written(text.written[start:end], cell, catalog)
            if written_as == "lower" and cell in ENGLISH_SHORT:
                return 0  # "mark | CE", "card: ...": an English word written as words are opens no code row
            return _ABBREVIATION if written_as == _ABBREVIATED else _CODE if written_as in _PLAIN else 0
    elif _SIGNED_NUMBER.fullmatch(cell):
        return _CODE
    if len(cell) > CACHED_TOKEN:
        return 0
    reading = _token_reading(cell, catalog)
    return _CODE if reading is not None and len(reading) != 3 and reading[0] == len(cell) else 0


def _plain_case(letters: str) -> bool:
    """Whether letters are written as words are (lower, upper or capitalised); any other case (oC, ocA, FAn,
    bUS) no word of text has: a panel's code."""
    return letters.islower() or letters.isupper() or (letters[0].isupper() and letters[1:].islower())


def _mnemonic_written(shown: str, token: str, catalog: Catalog) -> str | None:
    """How a mnemonic-shaped token is written: "mixed" (a case no word has: oC, FAn), "listed" (by the catalog),
    "digits" (Uv1, OL2), "upper" (GF, OCF), "lower" (ov, ocd), "title" (Uv, Lu), "abbreviated" (a two-letter mark
    or part that panels also show: CE); None where it is a word of text (OK, LED, Code, IGBT) and no catalog lists
    it."""
    shape = _WRITTEN.get(shown, _UNSEEN)
    if shape is _UNSEEN:
        shape = _written_shape(shown, token)
    if shape is None or shape == "mixed" or shape == _ABBREVIATED:
        return shape
    if catalog.listed_mnemonics and token in catalog.listed_mnemonics:
        return "listed"
    return shape


# _mnemonic_written without the catalog's listing, by the token as written: the same tokens recur in every chunk.
# Bounded (cleared when full).
_WRITTEN: dict[str, str | None] = {}
_UNSEEN = "unseen"


def _written_shape(shown: str, token: str) -> str | None:
    letters = shown.rstrip("0123456789")
    if not _plain_case(letters):
        shape: str | None = "mixed"
    elif token in MNEMONIC_NEVER or letters.lower() in MNEMONIC_NEVER:
        # a word is never a mnemonic, even where a (learned) catalog lists it
        shape = _ABBREVIATED if token in PANEL_ABBREVIATIONS else None
    elif len(letters) != len(shown):
        shape = "digits"
    elif letters.isupper():
        shape = "upper"
    else:
        shape = "lower" if letters.islower() else "title"
    if len(shown) <= CACHED_TOKEN:
        if len(_WRITTEN) >= 16384:
            _WRITTEN.clear()
        _WRITTEN[shown] = shape
    return shape


# How sure a context is that a code stands there, and the ways of writing it accepts: ANY (a Chinese cue);
# HEADING (a heading with a Chinese description: any but an abbreviation, "CE：欧盟认证标志" is a glossary's line);
# CELL (a table's code column, brackets beside a number, an English cue ending its phrase: no capitalised word,
# "| Ramp |", "error 7 (Init)", "Code"; an abbreviation, "fault CE"); PLAIN (a heading with an English description:
# "Hint:"); MARKED (English text that goes on after an English cue: a digit, a mixed case or the catalog's listing).
# which written forms of a mnemonic a context accepts (None: any)
_ABBREVIATED = "abbreviated"
_ANY: frozenset[str] | None = None
_PLAIN, _MARKED = frozenset(("mixed", "listed", "digits", "upper", "lower")), frozenset(
    ("mixed", "listed", "digits"))
_HEADING, _CELL = _PLAIN | {"title"}, _PLAIN | {_ABBREVIATED}
# A catalog's listing reads a mnemonic anywhere, but not an abbreviation it lists (a learned CE would read "CE marking")
_LISTED = frozenset(_HEADING)


# Whether a written token may be a mnemonic at all (its shape, and no word written in a word's case: the, OK,
# Code), by the token as written: most tokens of text recur, so read_mnemonics tests each once. An entry holds
# how the token is written and its lower case (the token of the lowered text, kept: no second slice of the text).
# Bounded: cleared when full (only long-running services with endless new tokens fill it).
_MNEMONIC_TOKENS: dict[str, tuple[str, str]] = {}
_DIGIT_CHARS = frozenset("0123456789")
# The entry of a token of another shape, or written as a word of text (OK, CPU1): told by its empty token, not by
# identity (compiled by mypyc, a tuple is unboxed and boxed again: `is` would not hold).
_NO_MNEMONIC = ("no mnemonic", "")
_LISTABLE = frozenset(("digits", "upper", "lower", "title"))  # the ways of writing that a catalog's listing outranks


def _mnemonic_token(shown: str, token: str) -> tuple[str, str]:
    """``_MNEMONIC_TOKENS``' entry for ``shown`` (``token``: its lower case), computed and kept: how it is written
    (_mnemonic_written without the catalog's listing) and ``token``, or _NO_MNEMONIC."""
    shaped = MNEMONIC_SHAPE.fullmatch(token) is not None and not (
        token in MNEMONIC_NEVER and token not in PANEL_ABBREVIATIONS
        and shown in (token, token.upper(), token.capitalize()))
    shape = _written_shape(shown, token) if shaped else None
    if len(_MNEMONIC_TOKENS) >= 16384:
        _MNEMONIC_TOKENS.clear()
    entry = _MNEMONIC_TOKENS[shown] = _NO_MNEMONIC if shape is None else (shape, token)
    return entry


def read_mnemonics(
    text: Text, tokens: list[tuple[int, int, str]], catalog: Catalog, faults: list[FaultCode], cells: frozenset[int]
) -> list[FaultCode]:
    """``faults`` with the mnemonic codes (MN family, spec v3) of the tokens left free, in the contexts where a
    mnemonic is written as a code: in brackets beside a numbered code (``Code 7 (oH1)``: both are then paired),
    the first cell of a table row, next to a code cue, a heading ``ocA：description``, or listed by the catalog.
    The contexts are tested first (most tokens of text stand in none, found by a look at the characters around)."""
    lowered, written, taken = text.lowered, text.written, text.taken
    listed = catalog.listed_mnemonics
    ends: dict[int, int] | None = None  # numbered codes by their end, for the brackets
    out = faults
    accepts: frozenset[str] | None  # the written forms the context takes (None: any)
    glossary: list[FaultCode] = []  # abbreviations heading a line ("CE：通讯错误"): codes only beside other codes
    for start, end, _ in tokens:
        # MNEMONIC_SHAPE's length is 2-6, 2-4 letters and at most 2 digits: a token of 5 or 6 ends in a digit
        # (a look at one character skips most words of text without a slice)
        length = end - start
        if length > 4:
            if length > 6 or lowered[end - 1] not in _DIGIT_CHARS:
                continue
        elif length < 2:
            continue
        shown = written[start:end]
        entry = _MNEMONIC_TOKENS.get(shown)
        if entry is None:
            entry = _mnemonic_token(shown, lowered[start:end])
        if not entry[1] or (taken is not None and taken.find(1, start, end) != -1):  # _NO_MNEMONIC
            continue
        shape, token = entry
        written_as = "listed" if listed and shape in _LISTABLE and token in listed else shape
        if start and lowered[start - 1] == "(" and lowered[end : end + 1] == ")":
            if ends is None:
                ends = {f.span[1]: i for i, f in enumerate(faults) if f.family != "MN"}
            before = start - 1
            while before and lowered[before - 1] in " \t":
                before -= 1
            pair = ends.get(before)
            # "(CRC)" explains an abbreviation: brackets hold a code only beside a numbered one; and not a
            # capitalised word: "Internal error 7 (Init)" explains the error, it names no second code
            if pair is None or written_as not in _CELL:
                continue
            if out is faults:
                out = list(faults)
            number = out[pair]  # all fields given: what dataclasses.replace makes, without its field walk
            out[pair] = FaultCode(number.text, number.span, f"{number.why}; paired with {shown!r}", number.family,
                                  number.main, number.sub, ("MN", token))
            out.append(FaultCode(shown, (start, end), f"mnemonic in brackets beside code {number.text!r} (one fault, "
                                 "two names)", "MN", token, None, (number.family, number.main)))
            continue
        context = _mnemonic_context(lowered, start, end, cells)
        if context is None:
            if not (listed and token in listed):
                continue
            context = ("listed among a series' codes by the catalog", _LISTED)
        why, accepts = context
        if accepts is not None and written_as not in accepts:
            if written_as == _ABBREVIATED and accepts is _HEADING:
                glossary.append(FaultCode(shown, (start, end), f"mnemonic {why}, in a list of codes", "MN", token))
            continue  # a word of text; or one written as words are where English text goes on
        if out is faults:
            out = list(faults)
        out.append(FaultCode(shown, (start, end), f"mnemonic {why}", "MN", token))
    if glossary and any(_heads_line(lowered, f.span[0]) for f in out):
        return [*out, *glossary]  # "CE：通讯错误⏎SP：速度异常": a list of codes, CE among them
    return out


def _heads_line(lowered: str, start: int) -> bool:
    """Whether the text at ``start`` opens its line (after blanks, a table bar, a bullet or heading mark)."""
    while start and lowered[start - 1] in _BLANK:
        start -= 1
    return not start or lowered[start - 1] in _HEADING_AFTER


def codes_among_models(
    text: Text, catalog: Catalog, products: list[Product], faults: list[FaultCode], cells: frozenset[int]
) -> tuple[list[Product], list[FaultCode]]:
    """Models read by their shape alone (no catalog series or brand) that are mnemonic-shaped and stand where a
    code is written are codes: ``显示CPF00``, ``oPE01：参数设定错误`` (Yaskawa), not models. Returns the products
    left and the faults with those codes, in text order."""
    lowered, written = text.lowered, text.written
    keep, more = [], []
    for p in products:
        if p.is_brand or p.series is not None or p.brand is not None:
            keep.append(p)
            continue
        start, end = p.span
        # MNEMONIC_SHAPE is 2-6 characters long: a longer model (most are) is kept without a slice and a match
        if end - start > 6 or not MNEMONIC_SHAPE.fullmatch(token := lowered[start:end]):
            keep.append(p)
            continue
        # not by a cue after it or a heading's description: a model is named before 报警 (ATV32报警) and heads
        # its manual (ATV32 变频器手册); a code is shown after 显示, or heads "CPF00：..." or a table row
        context = _mnemonic_context(lowered, start, end, cells, model_shaped=True)
        written_as = _mnemonic_written(written[start:end], token, catalog) if context else None
        if context is None or written_as is None or (context[1] is not None and written_as not in context[1]) or (
                not context[0].startswith("after cue") and written_as != "mixed" and "0" not in token[-2:-1]):
            # a heading or a table cell holds a model too (ATV32：概述): there a code shows itself by a mixed case
            # or an index with a leading zero (oPE01, CPF00)
            keep.append(p)
            continue
        more.append(FaultCode(written[start:end], (start, end), f"mnemonic {context[0]}", "MN", token))
    if not more:
        return products, faults
    return keep, sorted(faults + more, key=attrgetter("span"))


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_BLANK = frozenset(" \t")
_MN_CUE_AFTER_FIRST = frozenset("号號" + "".join(c[0] for c in CUES_AFTER))
_MN_CUE_AFTER = re.compile(r"[ \t]*(?P<cue>[号號]?(?:" + "|".join(CUES_AFTER) + "))")  # on the mnemonic's line
# After a cue word after a mnemonic-shaped token: the cue names a list of codes (故障代码, 报警码, 错误码说明, 故障一览,
# 报警列表, 故障表; not 表示 "means" or 表现 "shows as").
_LIST_NOUN = re.compile(r"[码碼]|代[码碼]|一[览覽]|列表|表(?![示现現明达達])")
# A cue after a token that a number follows is that number's cue (错误码5, 报警：7).
_NUMBER_AFTER_CUE = re.compile(r"(?:[码碼号號]|代[码碼])?[ \t:=#]*-?\d+")
# The description of a title, not of a code: a manual ("VFD 使用说明书", "HMI 操作手冊", "PLC 编程指南").
_TITLE_NOUN = re.compile(r"\S{0,4}?(?:手册|手冊|说明书|說明書|指南)")
_HEADING_AFTER = frozenset("\n\r|>*#•-")  # line starts, table bars, bullets, Markdown heading marks
_ENGLISH_NEXT = re.compile(r"[ \t]*([a-z]+)")
# Words that open a new clause after a noun phrase ("fault SOF how to fix", "fault PHF is shown").
_CLAUSE_WORDS = frozenset("how what why when where which is was are means mean occurs occurred appears appeared "
                          "happens happened shows shown displayed".split())


def _goes_on(lowered: str, end: int) -> bool:
    """Whether an English noun phrase goes on after ``end`` ("error ABZ signals"), rather than ending there or
    giving way to a new clause ("fault SOF how to fix")."""
    m = _ENGLISH_NEXT.match(lowered, end)
    return m is not None and m.group(1) not in _CLAUSE_WORDS
_FILLER = frozenset(" \t\n:#=([\"'“「『.")
# The last characters of the Chinese cues and of the filler that may follow them (报警为, 故障码是, 故障號, 显示“).
_ZH_CUE_LAST = frozenset("".join(w[-1] for w in CUES_BEFORE_ZH + CUES_BEFORE_ZH_HANT) + "为為是号號“「『")
_EN_CUE_WORDS = frozenset((*CUES_BEFORE_EN, "code", "number", "no"))
_EN_CUE_LONGEST = max(map(len, _EN_CUE_WORDS))
_EN_CUE_LAST = frozenset(w[-1] for w in _EN_CUE_WORDS)


def _mnemonic_context(
    lowered: str, start: int, end: int, cells: frozenset[int], model_shaped: bool = False
) -> tuple[str, frozenset[str] | None] | None:
    """Why a mnemonic-shaped token stands where codes are written, and the ways of writing it that context accepts
    (_ANY, _PLAIN, _MARKED: English text after an English cue, "error ABZ signals", "the fault log.", needs a
    digit or a mixed case unless the token ends its phrase: fault PHF, fault OH1); or None."""
    if start in cells:
        return "first cell of a table row", _CELL  # not "| Ramp | ..."
    after, length = end, len(lowered)
    while after < length and lowered[after] in _BLANK:
        after += 1
    next_char = lowered[after] if after < length else ""
    if next_char in _MN_CUE_AFTER_FIRST and not model_shaped:
        cue = _MN_CUE_AFTER.match(lowered, end)
        number = _NUMBER_AFTER_CUE.match(lowered, cue.end()) if cue else None
        if number and _quantity_or_date(lowered, number.end()) is None:  # not "oC故障3次", "OL2报警 2023-05"
            cue = None  # "FR5 错误码5", "XY12 报警 7": the cue is the number's, the token before names the product
        if cue:
            # "VFD 故障代码", "SDK 错误码说明": a list of codes is named by what they belong to, a device, a software,
            # not by one code; only a way of writing no word has (oC故障码, OL2报警代码) or a listing still makes a code
            owner = _LIST_NOUN.match(lowered, cue.end()) is not None
            return f"before cue {cue.group('cue')!r}", _MARKED if owner else _ANY
    elif next_char == ":" or (after > end and _other_script(next_char)):
        # A heading opens its line; one with a colon may follow other-script text ("故障一览 ov：", not "F01009 CU:").
        i = start
        while i and lowered[i - 1] in _BLANK:
            i -= 1
        line_start = not i or lowered[i - 1] in _HEADING_AFTER
        if next_char != ":":
            if line_start and not model_shaped:  # "oC1 加速过电流": a Chinese description after a space
                # not a title: "VFD 使用说明书", "HMI 操作手册" name a device's manual
                title = _TITLE_NOUN.match(lowered, after) or lowered[start:end] in ENGLISH_SHORT  # "mark 认证"
                return "opening a heading 'X description'", _MARKED if title else _HEADING
        elif (line_start or not lowered[i - 1].isascii()) and (colon := _ROW_AFTER.match(lowered, end)):
            if not line_start and (cued := _cue_before(lowered, start, end)):
                return cued  # "面板显示 CE: what to do?": the cue names the code; the colon opens the question
            description = lowered[colon.end() : colon.end() + 8].lstrip()[:1]
            if lowered[start:end] in ENGLISH_SHORT:  # "link: 连接", "card：说明": a word, written as words are
                return "opening a heading 'X: description'", _MARKED
            return "opening a heading 'X: description'", _HEADING if _other_script(description) else _PLAIN
    return _cue_before(lowered, start, end)


def _cue_before(lowered: str, start: int, end: int) -> tuple[str, frozenset[str] | None] | None:
    """The code cue right before a mnemonic-shaped token, and the written forms it accepts; or None."""
    i = start  # the cue before: an English word or other ASCII there makes it none but an English cue word
    while i and lowered[i - 1] in _FILLER:
        i -= 1
    if i and lowered[i - 1].isascii():
        if lowered[i - 1] not in _EN_CUE_LAST:
            return None  # no cue word ends so (most words of text before a token)
        j, lowest = i - 1, i - _EN_CUE_LONGEST - 1  # a word longer than every cue word is none (the walk stops)
        while j > lowest and j and lowered[j - 1] in _ASCII_LETTERS:
            j -= 1
        if lowered[j:i] not in _EN_CUE_WORDS:
            return None
    elif i and lowered[i - 1] not in _ZH_CUE_LAST:
        return None  # other-script text that ends no cue
    cue = _CUE_BEFORE.search(lowered, max(0, start - _CUE_WINDOW), start)
    if cue is None:
        return None
    word, between = cue.group("cue").strip(), lowered[cue.end("cue") : start]
    if "(" in between or "[" in between:
        return None  # "故障代码（LFT）", "error (CRC)": an abbreviation explained; brackets pair with numbers only
    if not word.isascii():
        return f"after cue {word!r}", _ANY
    weak = between.strip(" \t") or _goes_on(lowered, end) or lowered[start:end] in ENGLISH_SHORT
    return f"after cue {word!r}", _MARKED if weak else _CELL


def _other_script(char: str) -> bool:
    """A letter of another script (a Chinese description), not ASCII or punctuation."""
    return not char.isascii() and char.isalpha()

