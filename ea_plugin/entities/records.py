"""Entity records: what was read, where (span in the NFKC-normalised text), its normal form and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The teacher's names of the three entity types (spec: 产品信息 / 故障码信息 / 其他实体).
PRODUCT_TYPE, FAULT_TYPE, OTHER_TYPE = "产品信息", "故障码信息", "其他实体"


@dataclass(frozen=True)
class Entity:
    text: str  # as written (after NFKC)
    span: tuple[int, int]  # offsets in the NFKC-normalised text
    why: str  # which pattern or cue read it

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__.lower(), **asdict(self), "normal": self.normal}

    @property
    def normal(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Product(Entity):
    """A model or series (``is_brand`` False) or a brand; ``series``/``brand`` come from the catalog."""

    model: str  # normal form: lower-case, no separators or product words (a brand: its catalog id)
    main: str  # main model (spec v2): sv660n -> sv660; a brand: its catalog id
    brand: str | None = None
    series: str | None = None
    is_brand: bool = False

    @property
    def normal(self) -> str:
        return self.model

    @property
    def key(self) -> str:
        """What two products are compared by: the catalog series where known, else the main model."""
        return f"series:{self.series}" if self.series else f"main:{self.main}"


@dataclass(frozen=True)
class FaultCode(Entity):
    family: str | None  # E, AL, A, F, N, HEX or a catalog family; None for a bare number
    main: str  # leading zeros dropped, hex letters kept
    sub: str | None = None

    @property
    def normal(self) -> str:
        sub = f".{self.sub}" if self.sub is not None else ""
        return f"{self.family or '*'}/{self.main}{sub}"


@dataclass(frozen=True)
class Parameter(Entity):
    number: str  # normal form: h2-0 (H02-00), pn100

    @property
    def normal(self) -> str:
        return self.number


@dataclass(frozen=True)
class Entities:
    products: tuple[Product, ...] = field(default_factory=tuple)
    faults: tuple[FaultCode, ...] = field(default_factory=tuple)
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (self.products or self.faults or self.parameters)

    @property
    def models(self) -> tuple[Product, ...]:
        return tuple(p for p in self.products if not p.is_brand)

    @property
    def brands(self) -> tuple[Product, ...]:
        return tuple(p for p in self.products if p.is_brand)

    def in_order(self) -> list[Entity]:
        return sorted((*self.products, *self.faults, *self.parameters), key=lambda e: e.span)


def _unique_texts(entities: tuple[Entity, ...]) -> list[str]:
    return list(dict.fromkeys(e.text for e in entities))


def describe(entities: Entities) -> str:
    """The entity list in the teacher's wording: ``产品信息-sv660n, 故障码信息-e100``."""
    parts = [f"{PRODUCT_TYPE}-{t}" for t in _unique_texts(entities.products)]
    parts += [f"{FAULT_TYPE}-{t}" for t in _unique_texts(entities.faults)]
    parts += [f"{OTHER_TYPE}-{t}" for t in _unique_texts(entities.parameters)]
    return ", ".join(parts) if parts else "无"
