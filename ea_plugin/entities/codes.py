"""Fault codes and parameter numbers of spec v2 (pure functions over lower-cased, masked text).

Each reader returns entities with spans; the caller masks what was read so that no span is read twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ea_plugin.catalog import Catalog, CodeForm
from ea_plugin.entities.records import FaultCode, Parameter
from ea_plugin.entities.words import (
    CUES_AFTER,
    CUES_BEFORE_EN,
    CUES_BEFORE_ZH,
    INDEX_NOUNS,
    ROW_NOT_AFTER,
    UNIT_AFTER,
)
from ea_plugin.normalize import PRODUCT_WORDS, normalize_code_main

# A code or parameter starts a word: not after a letter or digit, nor after "FR-" (FR-E700 is a model).
_START = r"(?<![a-z0-9])(?<![a-z0-9][\-_])"
_END = r"(?![a-z0-9])"
_SUB = r"(?:\.(?P<sub>\d+))?"

_PARAMETER = re.compile(
    _START + r"(?:(?P<letter>[hpf])(?P<group>\d[0-9a-f]?)[.\-](?P<index>\d{1,3})"
    r"|(?P<yaskawa>pn|fn|un)(?P<number>[0-9a-f]{3}))" + _END
)

# The families of spec v2; alternatives are tried in this order at each position.
_FAMILY = re.compile(
    _START
    + r"(?:(?:error|err|er|e)(?:[.\-_]?(?P<e>[0-9a-f]?\d[0-9a-f]*)|[.\-_](?P<e_word>[a-z]{2,3}\d{0,2}))"
    r"|alm?[.\-_]?(?P<al>[0-9a-f]*\d[0-9a-f]*)"
    r"|a\.(?P<a>[0-9a-f]*\d[0-9a-f]*)"
    r"|fault[.\-_]?(?P<fault>\d+)"
    r"|f(?P<f>\d{3,5})"
    r"|n(?P<n>\d{3})"
    r"|0x(?P<hex>[0-9a-f]+)"
    r"|(?P<hex_h>[0-9a-f]*\d[0-9a-f]*)h"
    r")" + _SUB + _END
)
_GROUP_FAMILY = {"e": "E", "e_word": "E", "al": "AL", "a": "A", "fault": "F", "f": "F", "n": "N", "hex": "HEX",
                 "hex_h": "HEX"}
_GROUP_WHY = {"e": "E family (E/Er/Err + number)", "e_word": "E family (E. + letters, E.OC1)",
              "al": "AL family (AL/ALM + hex)", "a": "A family (A. + hex)", "fault": "F family (fault_ + number)",
              "f": "F family (F + 3-5 digits, no separator)", "n": "N family (n + 3 digits: warning)",
              "hex": "HEX value (0x...)", "hex_h": "HEX value (...h)"}

_NUMBER = r"(?P<num>\d+(?:\.\d+)?)"
_CUE_BEFORE = re.compile(
    r"(?P<cue>" + "|".join(CUES_BEFORE_ZH)
    + r"|(?<![a-z])(?:" + "|".join(CUES_BEFORE_EN) + r")(?:\s*(?:code|no\.?|number|#))?)"
    r"\s*(?:[:#=]|no\.?|号|为|是|编号)?\s*(?P<a>a)?" + _NUMBER
)
_NOT_AN_INDEX = "".join(f"(?<!{noun})" for noun in INDEX_NOUNS)
_CUE_AFTER = re.compile(
    r"(?<![a-z0-9.\-_/:\x00])" + _NOT_AN_INDEX + _NUMBER + r"\s*(?P<cue>号?(?:" + "|".join(CUES_AFTER) + "))"
)
_ROW = re.compile(r"(?:^|(?<=[\n。；;|,、)\]】\s]))" + _NUMBER + r"\s*:(?=\s*[^\d\s\x00:/])", re.M)
_PRODUCT_WORD_NEXT = re.compile("|".join(PRODUCT_WORDS))  # E700系列 is a model, E100 机器人 is a code
_NOT_A_CODE_AFTER = re.compile(r"[0-9a-z]|[\-/:]\d")
_WORD_BEFORE = re.compile(r"([a-z]+)\s*$")


def read_parameters(text: str) -> Iterator[Parameter]:
    for m in _PARAMETER.finditer(text):
        if m.group("yaskawa"):
            number, why = m.group("yaskawa") + m.group("number"), "parameter Pn/Fn/Un + 3 hex digits"
        else:
            group, index = m.group("group").lstrip("0") or "0", m.group("index").lstrip("0") or "0"
            number, why = f"{m.group('letter')}{group}-{index}", "parameter H/P/F + group + -/. + index"
        yield Parameter("", m.span(), why, number)


def read_family_codes(text: str, catalog: Catalog) -> Iterator[FaultCode]:
    """Codes written with a family prefix (catalog code forms first, then the spec's families)."""
    vendor = _vendor_pattern(catalog.code_forms)
    if vendor is not None:
        for m in vendor.finditer(text):
            form = catalog.code_forms[int(m.lastgroup[1:])]
            digits = re.search(r"\d+", m.group(0)).group(0)
            yield FaultCode("", m.span(), f"catalog code form {form.prefix.upper()} ({form.family} family)",
                            form.family, normalize_code_main(digits))
    for m in _FAMILY.finditer(text):
        group = next(g for g in _GROUP_FAMILY if m.group(g) is not None)
        if group not in ("hex", "hex_h") and _PRODUCT_WORD_NEXT.match(text, m.end()):
            continue  # "E700系列" names a product
        main = m.group(group)
        if group == "hex_h" and len(main) < 4:
            continue  # "10h" is ten hours; hex values written with h have 4+ digits (2310h)
        yield FaultCode("", m.span(), _GROUP_WHY[group], _GROUP_FAMILY[group], normalize_code_main(main),
                        m.group("sub"))


@lru_cache(maxsize=64)
def _vendor_pattern(forms: tuple[CodeForm, ...]) -> re.Pattern[str] | None:
    if not forms:
        return None
    parts = [
        f"(?P<c{i}>{re.escape(f.prefix)}{'[.-]?' if f.separator else ''}\\d{{{f.min_digits},{f.max_digits}}})"
        for i, f in enumerate(forms)
    ]
    return re.compile(_START + "(?:" + "|".join(parts) + ")" + _END)


def _bare(m: re.Match[str], why: str, family: str | None = None) -> FaultCode:
    main, _, sub = m.group("num").partition(".")
    return FaultCode("", m.span("num"), why, family, normalize_code_main(main), sub or None)


def _quantity_after(text: str, end: int) -> bool:
    """A unit, a measure word, a date/time or more letters after a number: it is not a code."""
    return bool(_NOT_A_CODE_AFTER.match(text, end) or UNIT_AFTER.match(text, end))


def read_bare_codes(text: str) -> Iterator[FaultCode]:
    """Bare numbers used as codes: next to a cue, or opening a row ``6019: 过流`` (spec v2)."""
    for m in _CUE_BEFORE.finditer(text):
        if _quantity_after(text, m.end()):
            continue
        if m.group("a"):  # 报警A710: Yaskawa's A family without the dot, only next to a cue
            if len(m.group("num")) == 3:
                yield FaultCode("", (m.start("a"), m.end()), f"A family after cue {m.group('cue')!r}", "A",
                                normalize_code_main(m.group("num")))
            continue
        yield _bare(m, f"bare number after cue {m.group('cue').strip()!r}")
    for m in _CUE_AFTER.finditer(text):
        yield _bare(m, f"bare number before cue {m.group('cue')!r}")
    for m in _ROW.finditer(text):
        word = _WORD_BEFORE.search(text, 0, m.start())
        if word and word.group(1) in ROW_NOT_AFTER:
            continue
        yield _bare(m, "bare number opening a row 'N: description'")
