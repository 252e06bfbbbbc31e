"""Normal forms of spec v2 shared by extraction and the catalog (pure functions).

Text is NFKC-normalised first (full-width ``ＳＶ６６０Ｎ`` reads as ``SV660N``) and lower-cased with the
length kept, so spans found in the lower-cased text index the normalised text too.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import groupby

# Words that follow a model and are not part of it (spec v2, product normal form).
PRODUCT_WORDS: tuple[str, ...] = ("系列", "驱动器", "变频器", "伺服", "机器人", "机械臂", "型",
                                  "驅動器", "變頻器", "機器人", "機械臂")  # traditional script too
_PRODUCT_WORD = re.compile("|".join(PRODUCT_WORDS))
_SEPARATORS = re.compile(r"[\s\-_]+")
_LEADING_MODEL = re.compile(r"[a-z]+\d+")
_SEGMENT_HEAD = re.compile(r"[a-z]+\d*|\d+")


# Full-width ASCII forms and the ideographic space: NFKC maps each to its ASCII character.
_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_WIDE_TABLE = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
_COMMON_WIDE = tuple((c, _WIDE_TABLE[c]) for c in "：，（）？；！")  # the full-width marks Chinese text uses most


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster on Chinese text: its full-width punctuation (，：（）)
    is mapped first, and the full normalisation runs only where something else still needs it."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    for wide, narrow in _COMMON_WIDE:  # most Chinese text needs no more (a look for each: ~5x cheaper than a scan)
        if wide in text:
            text = text.replace(wide, narrow)
    if unicodedata.is_normalized("NFKC", text):
        return text
    for wide in set(_WIDE.findall(text)):  # a few distinct marks (，：（）) written many times: replace each once
        text = text.replace(wide, _WIDE_TABLE[wide])
    if unicodedata.is_normalized("NFKC", text):
        return text
    if len(text) > _MARK_SAMPLE and _long_mark_run(text):
        text = _marks_in_order(text)
    return unicodedata.normalize("NFKC", text)


# CPython orders a run of combining marks (canonical ordering) by insertion: a long run of marks of two
# classes (Zalgo text) takes n² steps (64k marks: seconds). Real text has no more than 30 in a row (UAX #15,
# stream-safe format); where a run of _MARK_RUN_LENGTH is found, nfkc orders the runs itself first, and NFKC
# of the result is the same. Every _MARK_SAMPLE-th character is looked at (a character class of every mark
# costs more than the normalisation: ~80 ns a character); a run that no sample falls in is shorter than
# _MARK_SAMPLE, and ordering it costs at most ~(2 x _MARK_SAMPLE)² tiny steps: linear over the text.
_MARK_RUN_LENGTH, _MARK_SAMPLE = 32, 128


def _leads_with_mark(c: str) -> bool:
    """Whether ``c`` decomposes to a non-starter first (a combining mark, or e.g. U+0F73 of class 0)."""
    return unicodedata.combining(unicodedata.normalize("NFKD", c)[0]) != 0


def _long_mark_run(text: str) -> bool:
    """Whether a sampled character stands in a run of _MARK_RUN_LENGTH characters that decompose to marks."""
    n, need = len(text), _MARK_RUN_LENGTH
    for i in range(_MARK_SAMPLE // 2, n, _MARK_SAMPLE):
        if _leads_with_mark(text[i]):
            start, end = i, i + 1
            while start > 0 and end - start < need and _leads_with_mark(text[start - 1]):
                start -= 1
            while end < n and end - start < need and _leads_with_mark(text[end]):
                end += 1
            if end - start >= need:
                return True
    return False


def _marks_in_order(text: str) -> str:
    """``text`` fully decomposed (NFKD character by character) with each run of non-starters stably sorted by
    combining class: what NFKD's canonical ordering makes of it, in n log n. NFKC of it is NFKC of ``text``
    (its decomposition is itself, already in order; composition is linear)."""
    decomposed = "".join([unicodedata.normalize("NFKD", c) for c in text])
    # a run of starters sorts as it is (all of class 0; the sort is stable)
    return "".join(["".join(sorted(run, key=unicodedata.combining)) for _, run in groupby(decomposed, _non_starter)])


def _non_starter(c: str) -> bool:
    return unicodedata.combining(c) != 0


def lower_same_length(text: str) -> str:
    """``text.lower()``, keeping any character whose lower case would change the length (offsets hold)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def normalize_product(text: str) -> str:
    """Lower-case, without spaces, hyphens, underscores and the product words (``SV 660-N系列`` -> ``sv660n``)."""
    return product_normal(nfkc(text).lower())


def product_normal(lowered: str) -> str:
    """``normalize_product`` of text already NFKC-normalised and lower-cased."""
    return _SEPARATORS.sub("", _PRODUCT_WORD.sub("", lowered))


def main_model(text: str) -> str:
    """The series of a written model (spec v2): ``sv660n`` -> ``sv660``, ``asda-a2`` -> ``asdaa2``,
    ``mr-j4-10a`` -> ``mrj4``, ``r88d-kn01h-ect`` -> ``r88dkn``, ``mg 400`` -> ``mg400``.

    The first segment gives its leading letters and digits; a hyphen group of letters (and digits) after a
    letters-only segment, or of letters after a segment ending in a letter, is part of the series.
    """
    return main_model_of(nfkc(text).lower())


def main_model_of(lowered: str) -> str:
    """``main_model`` of text already NFKC-normalised and lower-cased."""
    segments = [s for s in _SEPARATORS.split(_PRODUCT_WORD.sub("", lowered)) if s]
    if not segments:
        return ""
    first, rest = segments[0], segments[1:]
    if rest and first.isalpha():
        # "mg 400", "asda-a2", "mr-j4-10a": the next segment carries the series number
        head = _SEGMENT_HEAD.match(rest[0])
        if head:
            return first + head.group(0)
    if rest and first[-1].isalpha() and not first.isalpha():
        head = re.match(r"[a-z]+", rest[0])
        if head:  # "r88d-kn01h": letters after a letter-ending segment belong to the series
            return first + head.group(0)
    leading = _LEADING_MODEL.match(first)
    return leading.group(0) if leading else first


def normalize_code_main(main: str) -> str:
    """A fault code's main code: lower-case, leading zeros dropped (``001`` -> ``1``, ``0F0001`` -> ``f0001``)."""
    return main.lower().lstrip("0") or "0"
