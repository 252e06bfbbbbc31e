"""Products of spec v2: catalog aliases (Aho-Corasick), model-shaped tokens, and short or letter-only
models that a context makes sure of (a brand/series word before, a product word after)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ea_plugin.catalog import AliasHit, Catalog
from ea_plugin.entities.records import Product
from ea_plugin.entities.words import NEVER_PRODUCT, PRODUCT_WORD_AFTER, RUNNING_TEXT
from ea_plugin.normalize import PRODUCT_WORDS, main_model, normalize_product

# Letters, then (a separator and) digits, or a hyphen and a letter group with a digit (ASDA-A2, MR-J4);
# then option segments of an order code (-10A, -0421-L).
_MODEL = re.compile(
    r"(?<![a-z0-9])(?P<letters>[a-z]{1,8})(?:(?P<sep>[ \-_])?(?P<digits>\d+)[a-z0-9]*|[\-_][a-z]{1,3}\d[a-z0-9]*)"
    r"(?:[\-_][a-z0-9]+)*(?![a-z0-9])"
)
# Any letter-led token right before a product word: G5系列, A6伺服, AKD驱动器.
_BEFORE_PRODUCT_WORD = re.compile(
    r"(?<![a-z0-9])[a-z][a-z0-9]*(?:[\-_][a-z0-9]+)*(?=\s?(?:" + "|".join(PRODUCT_WORDS) + "))"
)
# A short model right after a brand or series word: 欧姆龙G5, MINAS A6, Omron 1S.
_AFTER_BRAND = re.compile(r"\s?([a-z]{1,3}\d{1,4}[a-z]{0,3}|\d[a-z]{1,2})(?![a-z0-9])")
_TERMINAL = re.compile(r"[a-z]+\d")  # DI1, SW1, CN1: letters and one digit name a terminal or part
_CAMEL = re.compile(r"[a-z][A-Z]")


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    rank: int  # at the same start, longer first, then lower rank (catalog before heuristics)
    how: str  # alias, model, product_word, after_brand
    hit: AliasHit | None = None
    why: str = ""


def plausible_model(written: str, m: re.Match[str]) -> bool:
    """Whether a model-shaped token of no catalog reads as a model rather than text, a terminal or a unit.

    A model's letters are not a word of running text ("Axis 3", "input1"); written in capitals or camel
    case (MG 400, xArm 6) it may stand apart from its number; letters of three or fewer and one digit name
    a terminal or part (DI1, SW1, CN1).
    """
    letters = m.group("letters")
    if len(letters) == 1 or letters in NEVER_PRODUCT or letters in RUNNING_TEXT:
        return False  # one letter needs the catalog or a context (G5, V90)
    written_letters = written[: len(letters)]
    marked = written_letters.isupper() or _CAMEL.search(written_letters) is not None
    digits = m.group("digits") or ""
    if m.group("sep") and not marked and len(letters) >= 4:
        return False  # "Valve 3", "motor-2": a word and its index
    if m.group("sep") == " " and (not marked or (len(digits) < 2 and written_letters.isupper())):
        return False  # "for 12", "ID 1": a spaced model is written in capitals (MG 400) or camel case
    return not (len(letters) <= 3 and _TERMINAL.fullmatch(m.group(0)))


def candidates(lowered: str, catalog: Catalog) -> Iterator[Candidate]:
    hits = catalog.find_aliases(lowered)
    ends = {h.end for h in hits if not h.context}
    for hit in hits:
        if hit.context and not (_after(ends, lowered, hit.start) or PRODUCT_WORD_AFTER.match(lowered, hit.end)):
            continue
        yield Candidate(hit.start, hit.end, 0, "alias", hit, f"catalog {hit.kind} alias")
        if not hit.context:
            short = _AFTER_BRAND.match(lowered, hit.end)
            if short:
                yield Candidate(short.start(1), short.end(1), 1, "after_brand",
                                why=f"short model after {hit.kind} {lowered[hit.start:hit.end]!r}")
    for m in _MODEL.finditer(lowered):
        yield Candidate(m.start(), m.end(), 2, "model")
    for m in _BEFORE_PRODUCT_WORD.finditer(lowered):
        yield Candidate(m.start(), m.end(), 3, "product_word", why="model before a product word")


def _after(ends: set[int], text: str, start: int) -> bool:
    """Whether a brand or series word ends right before ``start`` (a space between is allowed)."""
    return start in ends or (start > 0 and text[start - 1] == " " and start - 1 in ends)


def read_candidate(c: Candidate, lowered: str, written: str, catalog: Catalog) -> Product | None:
    """The product a candidate names, or None where it is not one (text, terminal, unit, interface)."""
    token, shown = lowered[c.start : c.end], written[c.start : c.end]
    if c.hit is not None and c.hit.kind == "brand":
        return Product(shown, (c.start, c.end), c.why, c.hit.id, c.hit.id, brand=c.hit.id, is_brand=True)
    normal, main = normalize_product(token), main_model(token)
    if c.hit is not None:
        series = catalog.series[c.hit.id]
        return Product(shown, (c.start, c.end), f"{c.why} → {series.id}", normal, main, series.brand, series.id)
    series = catalog.lookup_model(normal, main)
    if series is not None:
        return Product(shown, (c.start, c.end), f"model pattern, catalog → {series.id}", normal, main, series.brand,
                       series.id)
    if c.how == "model":
        m = _MODEL.fullmatch(token)
        if not plausible_model(shown, m):
            return None
        why = "model pattern (letters + digits)"
    else:
        letters = re.match(r"[a-z]*", token).group(0)
        if letters in NEVER_PRODUCT or letters in RUNNING_TEXT or len(token) < 2:
            return None
        why = c.why
    return Product(shown, (c.start, c.end), why, normal, main)
