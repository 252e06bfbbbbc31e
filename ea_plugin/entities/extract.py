"""extract_entities: the passes of spec v2 in order, each masking what it read.

Order: parameters, codes with a family prefix, products (catalog, models, context), then bare numbers
next to a code cue. A span read as one entity is never read again (``MG 400报警17``: 400 is the model's).
"""

from __future__ import annotations

from dataclasses import replace

from ea_plugin.catalog import Catalog, load_catalog
from ea_plugin.entities import codes, products
from ea_plugin.entities.records import Entities, Entity, Product
from ea_plugin.normalize import lower_same_length, nfkc

_MASK = "\x00"


class _Claims:
    """The text with read spans masked; each accepted entity gets its written text from the span."""

    def __init__(self, written: str) -> None:
        self.written = written
        self.masked = lower_same_length(written)
        self.spans: list[tuple[int, int]] = []

    def free(self, span: tuple[int, int]) -> bool:
        return not any(span[0] < end and start < span[1] for start, end in self.spans)

    def take(self, entity: Entity) -> Entity:
        start, end = entity.span
        self.spans.append(entity.span)
        self.masked = self.masked[:start] + _MASK * (end - start) + self.masked[end:]
        return replace(entity, text=self.written[start:end])


def extract_entities(text: str, catalog: Catalog | None = None) -> Entities:
    """Products (brands too), fault codes and parameter numbers of ``text``, in order, with spans in the
    NFKC-normalised text and the reason each was read."""
    return _extract(text, catalog if catalog is not None else load_catalog())


def _extract(text: str, catalog: Catalog) -> Entities:
    claims = _Claims(nfkc(text))
    has_digit = any(c.isdigit() for c in claims.masked)
    params = [claims.take(p) for p in codes.read_parameters(claims.masked)] if has_digit else []
    faults = [claims.take(f) for f in codes.read_family_codes(claims.masked, catalog) if claims.free(f.span)] \
        if has_digit else []
    found = _products(claims, catalog)
    if has_digit:
        faults += [claims.take(f) for f in codes.read_bare_codes(claims.masked) if claims.free(f.span)]
    faults.sort(key=lambda f: f.span)
    return Entities(tuple(found), tuple(faults), tuple(params))


def _products(claims: _Claims, catalog: Catalog) -> list[Product]:
    lowered = claims.masked
    ordered = sorted(products.candidates(lowered, catalog), key=lambda c: (c.start, c.start - c.end, c.rank))
    found: list[Product] = []
    for candidate in ordered:
        if not claims.free((candidate.start, candidate.end)):
            continue
        product = products.read_candidate(candidate, lowered, claims.written, catalog)
        if product is not None:
            found.append(claims.take(product))
    found.sort(key=lambda p: p.span)
    return _with_brands(found, lowered)


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
