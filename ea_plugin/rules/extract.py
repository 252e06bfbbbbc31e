"""extract_entities: the passes of spec v3 in order, each taking the spans it read.

Order: parameters, codes with a family prefix (``AL 127`` too), products (catalog, models, context), then
numbers next to a code cue, signed ones, a table's first cells and numbers after a parameter cue, then
mnemonics where written as codes. A span read as one entity is never read again (``MG 400报警17``: 400 is the
model's; ``CR 5报警112``: 5 too).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from ea_plugin.rules import codes, products
from ea_plugin.rules.catalog import AliasHit, Catalog, load_catalog
from ea_plugin.rules.records import Entities, FaultCode, Parameter, Product
from ea_plugin.rules.text import Text, TooLong


def extract_entities(text: str, catalog: Catalog | None = None) -> Entities:
    """Products (brands too), fault codes and parameter numbers of ``text``, in order, with spans in the
    NFKC-normalised text and the reason each was read."""
    if catalog is None:
        catalog = load_catalog()
    try:
        return _extract(text, catalog)
    except TooLong:  # past SHORT_TEXT characters
        return _extract_long(text, catalog) if len(text) <= LONG_TEXT else _read(text, catalog)


_NONE = Entities()  # what most texts without a model or code read as; Entities are immutable, so shared

# Readings are cached by text (a question is judged against every chunk retrieved for it; Entities are
# immutable), bounded in characters as well as in count: a reading holds its text and entities (up to ~25
# bytes per character of a code-dense text), so a count alone let 4,096 long chunks hold gigabytes. Up to
# 4,096 texts of up to SHORT_TEXT characters (questions, most chunks), 32 of up to LONG_TEXT; longer texts
# are read afresh each time (their reading costs time in proportion, as a cache miss does).
SHORT_TEXT, LONG_TEXT = 2048, 65536


def _read(text: str, catalog: Catalog) -> Entities:
    read = Text(text)
    if not read.tokens:  # no letters or digits: only a brand name can be read
        found = _products(read, catalog, [], catalog.find_aliases(read.lowered))
        return Entities(tuple(found)) if found else _NONE
    hits = catalog.find_aliases(read.lowered)  # once: the code pass and the product pass both need them
    params, faults, words, numbers = codes.read_token_codes(read, catalog, hits)  # the free tokens, by first character
    found = _products(read, catalog, words, hits)
    cells = codes.table_cells(read, catalog)
    bare, cued = codes.read_bare_codes(read, numbers, cells)
    faults = codes.read_mnemonics(read, words, catalog, faults + bare, cells)
    if found:
        found, faults = codes.codes_among_models(read, catalog, found, faults, cells)
    if cued:
        params = sorted(params + cued, key=_span)
    if not (found or faults or params):
        return _NONE
    if len(faults) > 1:
        faults.sort(key=_span)
    return Entities(tuple(found), tuple(faults), tuple(params))


def _span(entity: Product | FaultCode | Parameter) -> tuple[int, int]:
    return entity.span


@lru_cache(maxsize=4096)
def _extract(text: str, catalog: Catalog) -> Entities:
    """``_read``, cached; TooLong past SHORT_TEXT characters (checked on a miss only: a hit costs nothing more)."""
    if len(text) > SHORT_TEXT:
        raise TooLong
    return _read(text, catalog)


_extract_long = lru_cache(maxsize=32)(_read)


def clear_cache() -> None:
    """Forget cached readings (benchmarks time cold runs)."""
    _extract.cache_clear()
    _extract_long.cache_clear()


def _products(read: Text, catalog: Catalog, tokens: list[tuple[int, int, str]], hits: list[AliasHit]) -> list[Product]:
    """``tokens``: the tokens the code passes left free; ``hits``: the catalog aliases in the text."""
    found: list[Product] = []
    for candidate in products.candidates(read, catalog, tokens, hits):
        start, end = candidate[0], candidate[3]
        if not read.free(start, end):
            continue
        if candidate[4] is products.SOFTWARE_KIND:  # software and its version: never a product nor a code
            read.take(start, end)
            continue
        product = products.read_candidate(candidate, read, catalog)
        if product is not None:
            read.take(start, end)
            found.append(product)
    if len(found) < 2:
        return found
    found.sort(key=_span)
    return _with_brands(found, read.lowered)


def _with_brands(found: list[Product], lowered: str) -> list[Product]:
    """A model of unknown brand written right after a brand word (汇川XYZ100) belongs to that brand."""
    out = []
    for i, product in enumerate(found):
        before = found[i - 1] if i else None
        if (product.brand is None and before is not None and before.is_brand
                and lowered[before.span[1] : product.span[0]].strip() == ""):
            product = replace(product, brand=before.brand, why=f"{product.why}; brand from {before.text!r}")
        out.append(product)
    return out
