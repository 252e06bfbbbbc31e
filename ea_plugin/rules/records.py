"""Entity records: what was read, where (span in the NFKC-normalised text), its normal form and why."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from operator import attrgetter
from typing import Any, TypeVar

_T = TypeVar("_T", bound=type)


def _direct_init(cls: _T) -> _T:
    """Give a frozen slotted dataclass an ``__init__`` that sets each slot through its descriptor. The
    generated one goes through ``object.__setattr__`` per field (frozen: measurably slower), and extraction
    makes entities by the thousand; assignment still raises. Defaults must be immutable values."""
    params, names = [], []
    for f in fields(cls):
        names.append(f.name)
        params.append(f.name if f.default is MISSING else f"{f.name}={f.default!r}")
    namespace: dict[str, Any] = {f"_set_{n}": getattr(cls, n).__set__ for n in names}
    body = "".join(f"\n    _set_{n}(self, {n})" for n in names)
    # a base's slots that are no fields (Entities' description) start as None
    room = [n for base in cls.__mro__[1:] for n in getattr(base, "__slots__", ()) if n not in names]
    namespace.update({f"_set_{n}": getattr(cls, n).__set__ for n in room})
    body += "".join(f"\n    _set_{n}(self, None)" for n in room)
    exec(f"def __init__(self, {', '.join(params)}):{body}", namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[misc]  # set on the class, for the class's own fields
    return cls


# The teacher's names of the three entity types (spec: 产品信息 / 故障码信息 / 其他实体).
PRODUCT_TYPE, FAULT_TYPE, OTHER_TYPE = "产品信息", "故障码信息", "其他实体"


@dataclass(frozen=True, slots=True)  # slots: a third of the memory, one object for the collector
class Entity:
    text: str  # as written (after NFKC)
    span: tuple[int, int]  # offsets in the NFKC-normalised text
    why: str  # which pattern or cue read it

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__.lower(), **asdict(self), "normal": self.normal}

    @property
    def normal(self) -> str:
        raise NotImplementedError


@_direct_init
@dataclass(frozen=True, slots=True)  # slots: a third of the memory, one object for the collector
class Product(Entity):
    """A model or series (``is_brand`` False) or a brand; ``series``/``brand`` come from the catalog."""

    model: str  # normal form: lower-case, no separators or product words (a brand: its catalog id)
    main: str  # main model (spec v2): sv660n -> sv660; a brand: its catalog id
    brand: str | None = None
    series: str | None = None
    is_brand: bool = False
    weak: bool = False  # a series word in lower/title case no catalog knows: decides only beside the same word

    @property
    def normal(self) -> str:
        return self.model

    @property
    def key(self) -> str:
        """What two products are compared by: the catalog series where known, else the main model."""
        return f"series:{self.series}" if self.series else f"main:{self.main}"


@_direct_init
@dataclass(frozen=True, slots=True)  # slots: a third of the memory, one object for the collector
class FaultCode(Entity):
    family: str | None  # E, AL, A, F, N, HEX, MN (mnemonic) or a catalog family; None for a bare number
    main: str  # leading zeros dropped, hex letters kept; a signed code keeps its sign (-4); a mnemonic lower-case
    sub: str | None = None
    # The fault's other name where the text pairs a numbered code with a mnemonic (Code 7 (oH1)): the
    # (family, main) of the other; the decision counts the pair as either name.
    pair: tuple[str | None, str] | None = None

    @property
    def normal(self) -> str:
        sub = f".{self.sub}" if self.sub is not None else ""
        return f"{self.family or '*'}/{self.main}{sub}"


@_direct_init
@dataclass(frozen=True, slots=True)  # slots: a third of the memory, one object for the collector
class Parameter(Entity):
    number: str  # normal form: h2-0 (H02-00), pn100

    @property
    def normal(self) -> str:
        return self.number


class _Described:
    """Room for an Entities' description, written once by ``describe`` (Entities are immutable). A slot, not a
    field: not compared, hashed, shown nor pickled; None until described."""

    __slots__ = ("_description",)
    _description: str | None


_set_description = vars(_Described)["_description"].__set__  # the slot itself: past the frozen __setattr__


@_direct_init
@dataclass(frozen=True, slots=True)  # slots: a third of the memory, one object for the collector
class Entities(_Described):
    products: tuple[Product, ...] = ()
    faults: tuple[FaultCode, ...] = ()
    parameters: tuple[Parameter, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.products or self.faults or self.parameters)

    @property
    def weak(self) -> bool:
        """Whether a product was read weak (a lower/title-case series word: decides only beside the same word)."""
        for product in self.products:  # a loop, not any(): no generator for the usual one or two products
            if product.weak:
                return True
        return False

    @property
    def models(self) -> tuple[Product, ...]:
        return tuple(p for p in self.products if not p.is_brand)

    @property
    def brands(self) -> tuple[Product, ...]:
        return tuple(p for p in self.products if p.is_brand)

    def in_order(self) -> list[Entity]:
        return sorted((*self.products, *self.faults, *self.parameters), key=lambda e: e.span)


def describe(entities: Entities) -> str:
    """The entity list in the teacher's wording: ``产品信息-sv660n, 故障码信息-e100``."""
    try:
        text = entities._description
    except AttributeError:  # copied or unpickled (the slot is no field): described afresh
        text = None
    if text is not None:  # described before: a question is described for each of its chunks
        return text
    parts: list[str] = []  # by type, in this order; a type with no entity is left out
    if entities.products:
        parts.append(_listed(_PRODUCT_PREFIX, entities.products))
    if entities.faults:
        parts.append(_listed(_FAULT_PREFIX, entities.faults))
    if entities.parameters:
        parts.append(_listed(_OTHER_PREFIX, entities.parameters))
    text = ", ".join(parts) if parts else "无"
    _set_description(entities, text)
    return text


def _listed(prefix: str, group: tuple[Entity, ...]) -> str:
    """``group``'s texts, each after ``prefix``, repeats dropped: ``产品信息-a, 产品信息-b``."""
    if len(group) == 1:  # the common case: no repeats to drop
        return prefix + group[0].text
    return prefix + (", " + prefix).join(dict.fromkeys(map(_TEXT, group)))  # one join: no list per text


_PRODUCT_PREFIX, _FAULT_PREFIX, _OTHER_PREFIX = f"{PRODUCT_TYPE}-", f"{FAULT_TYPE}-", f"{OTHER_TYPE}-"
_TEXT = attrgetter("text")
