"""Fault codes and parameter numbers of spec v2, read token by token (pure functions over a Text).

Each reader yields entities with spans; the caller takes their spans so that no span is read twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ea_plugin.catalog import Catalog, CodeForm
from ea_plugin.entities.records import FaultCode, Parameter
from ea_plugin.entities.text import Text
from ea_plugin.entities.words import (
    CUES_AFTER,
    CUES_BEFORE_EN,
    CUES_BEFORE_ZH,
    CUES_BEFORE_ZH_HANT,
    INDEX_NOUNS,
    ROW_NOT_AFTER,
    UNIT_AFTER,
)
from ea_plugin.normalize import PRODUCT_WORDS, normalize_code_main

_END = r"(?![a-z0-9])"
_PARAMETER = re.compile(
    r"(?:(?P<letter>[hpf])(?P<group>\d[0-9a-f]?)[.\-](?P<index>\d{1,3})|(?P<yaskawa>pn|fn|un)(?P<number>[0-9a-f]{3}))"
    + _END
)
# The families of spec v2, matched at the start of a token; alternatives are tried in this order.
_FAMILY = re.compile(
    r"(?:(?:error|err|er|e)(?:[.\-_]?(?P<e>[0-9a-f]?\d[0-9a-f]*)|[.\-_](?P<e_word>[a-z]{2,3}\d{0,2}))"
    r"|alm?[.\-_]?(?P<al>[0-9a-f]*\d[0-9a-f]*)"
    r"|a\.(?P<a>[0-9a-f]*\d[0-9a-f]*)"
    r"|fault[.\-_]?(?P<fault>\d+)"
    r"|f(?P<f>\d{3,5})"
    r"|n(?P<n>\d{3})"
    r"|0x(?P<hex>[0-9a-f]+)"
    r"|(?P<hex_h>[0-9a-f]*\d[0-9a-f]*)h"
    r")(?:\.(?P<sub>\d+))?" + _END
)
_GROUP_FAMILY = {"e": "E", "e_word": "E", "al": "AL", "a": "A", "fault": "F", "f": "F", "n": "N", "hex": "HEX",
                 "hex_h": "HEX"}
_GROUP_WHY = {"e": "E family (E/Er/Err + number)", "e_word": "E family (E. + letters, E.OC1)",
              "al": "AL family (AL/ALM + hex)", "a": "A family (A. + hex)", "fault": "F family (fault_ + number)",
              "f": "F family (F + 3-5 digits, no separator)", "n": "N family (n + 3 digits: warning)",
              "hex": "HEX value (0x...)", "hex_h": "HEX value (...h)"}
_PRODUCT_WORD_NEXT = re.compile("|".join(PRODUCT_WORDS))  # E700系列 is a model, E100 机器人 is a code

_NUMBER = re.compile(r"(?P<main>\d+)(?:\.(?P<sub>\d+))?|a(?P<a>\d{3})")  # 21, 21.1; A710 (A family, cue only)
_CUE_BEFORE = re.compile(
    r"(?P<cue>" + "|".join(CUES_BEFORE_ZH + CUES_BEFORE_ZH_HANT)
    + r"|(?<![a-z])(?:" + "|".join(CUES_BEFORE_EN) + r")(?:\s*(?:code|no\.?|number|#))?)"
    r"\s*(?:[:#=]|no\.?|号|為|为|是|编号)?\s*[(\[“\"「『]?\s*$"
)
_CUE_WINDOW = 24  # characters before a number that can hold a cue and its filler ("error code no. ")
_CUE_AFTER = re.compile(r"\s*(?P<cue>号?(?:" + "|".join(CUES_AFTER) + "))")
_ROW_AFTER = re.compile(r"\s*:(?=\s*[^\d\s:/])")  # "6019: 过流", not "12:30" or "1: 2"
_ROW_START = set("\n。；;|,、)]】 \t\r")
_NOT_BEFORE_AFTER_CUE = set("abcdefghijklmnopqrstuvwxyz0123456789.-_/:")
_DATE_OR_TIME_AFTER = re.compile(r"[\-/:]\d")
_WORD_BEFORE = re.compile(r"([a-z]+)\s*$")


def read_parameters(text: Text) -> Iterator[Parameter]:
    for start, end in text.tokens:
        if text.lowered[start] not in "hpfu":
            continue
        m = _PARAMETER.match(text.lowered, start, end)
        if m is None:
            continue
        if m.group("yaskawa"):
            number, why = m.group("yaskawa") + m.group("number"), "parameter Pn/Fn/Un + 3 hex digits"
        else:
            group, index = m.group("group").lstrip("0") or "0", m.group("index").lstrip("0") or "0"
            number, why = f"{m.group('letter')}{group}-{index}", "parameter H/P/F + group + -/. + index"
        yield Parameter(text.written[start : m.end()], (start, m.end()), why, number)


def read_family_codes(text: Text, catalog: Catalog) -> Iterator[FaultCode]:
    """Codes written with a family prefix at the start of a token (catalog code forms first)."""
    lowered = text.lowered
    for start, end in text.free_tokens():
        token = lowered[start:end]
        if token.isalpha() or token.isdigit():
            continue  # a family code has a letter prefix and a digit (a bare number is read later)
        reading = _family_reading(token, catalog)
        if reading is None:
            continue
        length, why, family, main, sub, may_name_a_model = reading
        if may_name_a_model and _PRODUCT_WORD_NEXT.match(lowered, start + length):
            continue  # "E700系列" names a product
        yield FaultCode(text.written[start : start + length], (start, start + length), why, family, main, sub)


@lru_cache(maxsize=16384)
def _family_reading(token: str, catalog: Catalog) -> tuple[int, str, str, str, str | None, bool] | None:
    """(length, why, family, main, sub, may name a model) of the code a token starts with (cached: the same
    tokens recur in every chunk). A spec family code other than HEX may be a model before a product word."""
    forms = catalog.code_forms
    vendor = _vendor_pattern(forms)
    m = vendor.match(token) if vendor is not None else None
    if m is not None:
        form = forms[int(m.lastgroup[1:])]
        digits = re.search(r"\d+", m.group(0)).group(0)
        why = f"catalog code form {form.prefix.upper()} ({form.family} family)"
        return m.end(), why, form.family, normalize_code_main(digits), None, False
    m = _FAMILY.match(token)
    if m is None:
        return None
    group = m.lastgroup if m.lastgroup != "sub" else next(g for g in _GROUP_FAMILY if m.group(g) is not None)
    main = m.group(group)
    if group == "hex_h" and len(main) < 4:
        return None  # "10h" is ten hours; hex values written with h have 4+ digits (2310h)
    family = _GROUP_FAMILY[group]
    return m.end(), _GROUP_WHY[group], family, normalize_code_main(main), m.group("sub"), family != "HEX"


@lru_cache(maxsize=64)
def _vendor_pattern(forms: tuple[CodeForm, ...]) -> re.Pattern[str] | None:
    if not forms:
        return None
    parts = [
        f"(?P<c{i}>{re.escape(f.prefix)}{'[.-]?' if f.separator else ''}\\d{{{f.min_digits},{f.max_digits}}})"
        for i, f in enumerate(forms)
    ]
    return re.compile("(?:" + "|".join(parts) + ")" + _END)


def _bare_reading(text: Text, start: int, end: int) -> str | None:
    """Why a number token is a code (the cue that makes it one), or None where it is not a code."""
    lowered = text.lowered
    if UNIT_AFTER.match(lowered, end) or _DATE_OR_TIME_AFTER.match(lowered, end):
        return None  # 10次, 50%, 24V, 2023/05, 12:30
    cue = _CUE_BEFORE.search(lowered, max(0, start - _CUE_WINDOW), start)
    if cue:
        return f"after cue {cue.group('cue').strip()!r}"
    before = lowered[start - 1] if start else ""
    after = _CUE_AFTER.match(lowered, end)
    if after and before not in _NOT_BEFORE_AFTER_CUE and not any(lowered.endswith(n, 0, start) for n in INDEX_NOUNS):
        return f"before cue {after.group('cue')!r}"
    if (not before or before in _ROW_START) and _ROW_AFTER.match(lowered, end):
        word = _WORD_BEFORE.search(lowered, max(0, start - 20), start)
        if not (word and word.group(1) in ROW_NOT_AFTER):
            return "opening a row 'N: description'"
    return None


def read_bare_codes(text: Text) -> Iterator[FaultCode]:
    """Numbers used as codes: next to a cue, or opening a row ``6019: 过流`` (spec v2); A710 after a cue."""
    lowered = text.lowered
    for start, end in text.free_tokens():
        first = lowered[start]
        if not (first.isdigit() or (first == "a" and end - start == 4)):  # 21, 21.1, a710
            continue
        m = _NUMBER.fullmatch(lowered, start, end)
        if m is None:
            continue
        why = _bare_reading(text, start, end)
        if why is None:
            continue
        written = text.written[start:end]
        if m.group("a"):
            if why.startswith("after cue"):
                yield FaultCode(written, (start, end), f"A family {why}", "A", normalize_code_main(m.group("a")))
            continue
        yield FaultCode(written, (start, end), f"bare number {why}", None, normalize_code_main(m.group("main")),
                        m.group("sub"))
