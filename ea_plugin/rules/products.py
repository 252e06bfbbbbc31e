"""Products of spec v2: catalog aliases (Aho-Corasick), model-shaped tokens, and short or letter-only
models that a context makes sure of (a brand/series word before, a product word after)."""

from __future__ import annotations

import re
from functools import lru_cache

from ea_plugin.rules.catalog import AliasHit, Catalog
from ea_plugin.rules.normalize import PRODUCT_WORDS, main_model_of, product_normal
from ea_plugin.rules.records import Product
from ea_plugin.rules.text import CACHED_TOKEN, Text, TooLong
from ea_plugin.rules.words import NEVER_PRODUCT, RUNNING_TEXT, STANDARD_NUMBERS

# Letters, then (a separator and) digits, or a hyphen and a letter group with a digit (ASDA-A2, MR-J4);
# then option segments of an order code (-10A, -0421-L). A space may stand only between letters and digits.
# The digit and letter-digit runs are possessive (*+, never given back): \d+[a-z0-9]* would try every split
# of a long run that then fails (quadratic: a 16k-character token took seconds), and a run cut short is
# followed by a letter or digit where only a separator or the end may stand, so the matches are the same.
_MODEL = re.compile(
    r"(?P<letters>[a-z]{1,8})(?:(?P<sep>[ \-_])?(?P<digits>\d++)[a-z0-9]*+|[\-_][a-z]{1,3}\d[a-z0-9]*+)"
    r"(?:[\-_][a-z0-9]++)*+"
)
# A short model right after a brand or series word: 欧姆龙G5, MINAS A6, Omron 1S.
_SHORT = re.compile(r"[a-z]{1,3}\d{1,4}[a-z]{0,3}|\d[a-z]{1,2}")
_TERMINAL = re.compile(r"[a-z]+\d")  # DI1, SW1, CN1: letters and one digit name a terminal or part
_CAMEL = re.compile(r"[a-z][A-Z]")
_PRODUCT_WORD_NEXT = re.compile(r" ?(?:" + "|".join(PRODUCT_WORDS) + ")")
_ALIAS_WHY = {"brand": "catalog brand alias", "series": "catalog series alias"}
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")  # a token starts with an ASCII letter or digit
_PRODUCT_WORD_FIRST = frozenset(" " + "".join(w[0] for w in PRODUCT_WORDS)) - {""}


# A span that may name a product, as a plain tuple (made by the thousand; a tuple is the cheapest record):
# (start, -(end - start), rank, end, how, alias hit or None, why). Candidates sort as tuples: by start, the
# longer first, then the lower rank (0 catalog alias, 1 after a brand, 2 model shape, 3 before a product word).
Candidate = tuple[int, int, int, int, str, "AliasHit | None", str]


def plausible_model(written: str, m: re.Match[str]) -> bool:
    """Whether a model-shaped token of no catalog reads as a model rather than text, a terminal or a unit.

    A model's letters are not a word of running text ("Axis 3", "input1"); written in capitals or camel
    case (MG 400, xArm 6) it may stand apart from its number; letters of three or fewer and one digit name
    a terminal or part (DI1, SW1, CN1); standards are never models (CiA402, DS402).
    """
    letters = m.group("letters")
    if len(letters) == 1 or letters in NEVER_PRODUCT or letters in RUNNING_TEXT:
        return False  # one letter needs the catalog or a context (G5, V90)
    written_letters = written[: len(letters)]
    marked = written_letters.isupper() or _CAMEL.search(written_letters) is not None
    digits = m.group("digits") or ""
    if STANDARD_NUMBERS.get(letters) == len(digits) and m.group(0) == letters + (m.group("sep") or "") + digits:
        return False  # DS402, DS-301: a CANopen profile (a standard), not a model
    if m.group("sep") and not marked and len(letters) >= 4:
        return False  # "Valve 3", "motor-2": a word and its index
    if m.group("sep") == " " and (not marked or (len(digits) < 2 and written_letters.isupper())):
        return False  # "for 12", "ID 1": a spaced model is written in capitals (MG 400) or camel case
    return not (len(letters) <= 3 and _TERMINAL.fullmatch(m.group(0)))


def candidates(text: Text, catalog: Catalog, tokens: list[tuple[int, int]], hits: list[AliasHit]) -> list[Candidate]:
    """Every span that may name a product, in the order they are tried; ``tokens``: those not taken yet;
    ``hits``: the catalog's aliases in the text (``catalog.find_aliases``)."""
    found: list[Candidate] = []
    covered = _alias_candidates(hits, text, found) if hits else _NOTHING_COVERED
    _token_candidates(tokens, text, covered, found)
    found.sort()
    return found


_NOTHING_COVERED: frozenset[int] = frozenset()


def _alias_candidates(hits: list[AliasHit], text: Text, found: list[Candidate]) -> set[int]:
    """Catalog aliases (a context alias needs a brand or series word before or a product word after), and a
    short model right after a brand or series word. Returns the starts of tokens that an alias spans
    exactly: an alias is always read where it is free, so the token's own candidates would never be."""
    lowered, token_at = text.lowered, text.token_at
    ends = {h.end for h in hits if not h.context}
    covered = set()
    for hit in hits:
        start, end, kind, _, context = hit
        if context and not (_after(ends, lowered, start) or _PRODUCT_WORD_NEXT.match(lowered, end)):
            continue
        found.append((start, start - end, 0, end, "alias", hit, _ALIAS_WHY[kind]))
        if token_at.get(start) == end:
            covered.add(start)
        if not context:
            after = end + (lowered[end : end + 1] == " ")
            after_end = token_at.get(after)
            if after_end is not None and _SHORT.fullmatch(lowered, after, after_end):
                why = f"short model after {kind} {lowered[start:end]!r}"
                found.append((after, after - after_end, 1, after_end, "after_brand", None, why))
    return covered


def _token_candidates(
    tokens: list[tuple[int, int]], text: Text, covered: set[int] | frozenset[int], found: list[Candidate]
) -> None:
    """Model-shaped tokens, tokens before a product word, and letters a space apart from a number (MG 400)."""
    lowered = text.lowered
    for start, end in tokens:
        if lowered[start] not in _LETTERS:
            continue
        after = lowered[end : end + 1]
        if start not in covered:
            if after in _PRODUCT_WORD_FIRST and _PRODUCT_WORD_NEXT.match(lowered, end):
                found.append((start, start - end, 3, end, "product_word", None, "model before a product word"))
            if not lowered[start:end].isalpha():
                found.append((start, start - end, 2, end, "model", None, ""))
                continue
        elif not lowered[start:end].isalpha():
            continue
        if after == " " and lowered[end + 1 : end + 2].isdigit():  # "MG 400", "xArm 6": letters and number apart
            spaced_end = text.token_at.get(end + 1, end)
            found.append((start, start - spaced_end, 2, spaced_end, "model", None, ""))


def _after(ends: set[int], text: str, start: int) -> bool:
    """Whether a brand or series word ends right before ``start`` (a space between is allowed)."""
    return start in ends or (start > 0 and text[start - 1] == " " and start - 1 in ends)


def read_candidate(c: Candidate, text: Text, catalog: Catalog) -> Product | None:
    """The product a candidate names, or None where it is not one (text, terminal, unit, interface)."""
    start, _, _, end, how, hit, why = c
    shown = text.written[start:end]
    if hit is None:
        series_id = None
    elif hit.kind == "brand":
        return Product(shown, (start, end), why, hit.id, hit.id, hit.id, None, True)
    else:
        series_id = hit.id
    try:
        reading = _reading(shown, how, why, series_id, catalog)
    except TooLong:  # a long token is read afresh
        reading = _read_model(shown, how, why, series_id, catalog)
    return None if reading is None else Product(shown, (start, end), *reading)


@lru_cache(maxsize=16384)
def _reading(
    shown: str, how: str, why: str, series_id: str | None, catalog: Catalog
) -> tuple[str, str, str, str | None, str | None] | None:
    """``_read_model``, cached (the same models recur); TooLong past CACHED_TOKEN characters."""
    if len(shown) > CACHED_TOKEN:
        raise TooLong
    return _read_model(shown, how, why, series_id, catalog)


def _read_model(
    shown: str, how: str, why: str, series_id: str | None, catalog: Catalog
) -> tuple[str, str, str, str | None, str | None] | None:
    """(why, normal, main, brand, series) of a model candidate, or None."""
    token = shown.lower()
    normal, main = product_normal(token), main_model_of(token)
    series = catalog.series[series_id] if series_id is not None else catalog.lookup_model(normal, main, how != "model")
    if series is not None:
        why = f"{why} → {series.id}" if series_id is not None else f"model pattern, catalog → {series.id}"
        return why, normal, main, series.brand, series.id
    if how == "model":
        m = _MODEL.fullmatch(token)
        if m is None or not plausible_model(shown, m):
            return None
        return "model pattern (letters + digits)", normal, main, None, None
    letters = re.match(r"[a-z]*", token).group(0)
    if letters in NEVER_PRODUCT or letters in RUNNING_TEXT or len(token) < 2:
        return None
    return why, normal, main, None, None
