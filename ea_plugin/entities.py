"""Entity extraction and normal forms, as spec/alignment-rules.md defines them (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SEP = r"[\s\-_]?"
_NOT_ALNUM_BEFORE = r"(?<![a-z0-9])"
_NOT_ALNUM_AFTER = r"(?![a-z0-9])"


@dataclass(frozen=True)
class Product:
    text: str  # as written
    normal: str  # lower-case, separators and suffix words dropped
    main: str  # the leading letters+digits series (sv660n -> sv660)


@dataclass(frozen=True)
class FaultCode:
    text: str
    family: str | None  # "e", "al", "a.", "fault"; None for a bare number
    main: str  # leading zeros dropped
    sub: str | None = None


@dataclass(frozen=True)
class Parameter:
    text: str
    normal: str  # letter + group + index, zeros dropped: H02-00 -> h2-0


@dataclass(frozen=True)
class Entities:
    products: tuple[Product, ...] = field(default_factory=tuple)
    faults: tuple[FaultCode, ...] = field(default_factory=tuple)
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (self.products or self.faults or self.parameters)


# --- fault codes -------------------------------------------------------------------------------------
# E family: e / er / err, then a number or one or two letters and a number (EB00, E.OC1).
_E_FAULT = re.compile(
    _NOT_ALNUM_BEFORE
    + r"(?P<prefix>err|er|e)[\s.\-_]?(?P<main>\d+|[a-z]{1,2}\d+)(?:\.(?P<sub>\d+))?"
    + _NOT_ALNUM_AFTER
)
_AL_FAULT = re.compile(
    _NOT_ALNUM_BEFORE + r"al[\s.\-_]?(?P<main>\d+)(?:\.(?P<sub>\d+))?" + _NOT_ALNUM_AFTER
)
_A_DOT_FAULT = re.compile(
    _NOT_ALNUM_BEFORE + r"a\.(?P<main>\d+)(?:\.(?P<sub>\d+))?" + _NOT_ALNUM_AFTER
)
_FAULT_WORD = re.compile(
    _NOT_ALNUM_BEFORE + r"fault[\s.\-_]?(?P<main>\d+)(?:\.(?P<sub>\d+))?" + _NOT_ALNUM_AFTER
)
# A bare number used as a code: "报100故障", "出现100报警", "故障代码100".
_BARE_FAULT = re.compile(
    r"(?:(?<=报)|(?<=出现)|(?<=代码)|(?<=故障码)|(?<=报警码))\s*(?P<main>\d{2,5})(?![\d.a-z])"
    r"|(?<![a-z0-9.\-])(?P<main2>\d{2,5})\s*(?=号?(?:故障|报警))"
)

# --- parameters --------------------------------------------------------------------------------------
_PARAMETER = re.compile(
    _NOT_ALNUM_BEFORE + r"(?P<letter>[hpf])(?P<group>\d{1,2})[.\-](?P<index>\d{1,3})" + r"(?![0-9])"
)

# --- products ----------------------------------------------------------------------------------------
# Letters, then a series number (or a letter and a number: ASDA-A2), then optional variant letters.
_PRODUCT = re.compile(
    _NOT_ALNUM_BEFORE
    + r"(?P<letters>[a-z]{2,6})"
    + _SEP
    + r"(?P<series>\d{1,4}|[a-z]\d{1,3})"
    + r"(?P<variant>(?:"
    + _SEP
    + r"[a-z]{1,2}(?![a-z]))?\d?)"
    + _NOT_ALNUM_AFTER
)
# Letter prefixes that are never products: fault families, and interfaces/standards/units that look
# like models (RS485, IP65, AC220V...). An unknown word is still read as a product; see README.
_NOT_PRODUCT_LETTERS = frozenset(
    {"e", "er", "err", "al", "fault", "rs", "ip", "ac", "dc", "pt", "iso", "iec", "en", "cia", "usb",
     "can", "gb", "cat", "ddr", "win", "ver", "rev", "no", "step", "mode", "pin", "cn", "kw", "hz"}
)
_PRODUCT_SUFFIX_WORDS = ("系列", "驱动器", "变频器", "伺服", "型")
_MAIN_MODEL = re.compile(r"^[a-z]+\d+")


def normalize_product(text: str) -> str:
    normal = text.lower()
    for word in _PRODUCT_SUFFIX_WORDS:
        normal = normal.replace(word, "")
    return re.sub(r"[\s\-_]", "", normal)


def main_model(normal: str) -> str:
    match = _MAIN_MODEL.match(normal)
    return match.group(0) if match else normal


def normalize_fault_main(main: str) -> str:
    stripped = main.lower().lstrip("0")
    return stripped or "0"


def normalize_parameter(letter: str, group: str, index: str) -> str:
    return f"{letter.lower()}{int(group)}-{int(index)}"


def _faults(text: str, original: str) -> tuple[list[FaultCode], list[tuple[int, int]]]:
    """Fault codes in ``text`` (lower-cased, other entities masked); ``original`` gives the written form."""
    found: list[tuple[int, FaultCode]] = []
    spans: list[tuple[int, int]] = []

    def overlaps(span: tuple[int, int]) -> bool:
        return any(span[0] < end and start < span[1] for start, end in spans)

    families = ((_FAULT_WORD, "fault"), (_AL_FAULT, "al"), (_A_DOT_FAULT, "a."), (_E_FAULT, "e"))
    for pattern, family in families:
        for m in pattern.finditer(text):
            if overlaps(m.span()):
                continue
            spans.append(m.span())
            written = original[m.start() : m.end()]
            code = FaultCode(written, family, normalize_fault_main(m.group("main")), m.group("sub"))
            found.append((m.start(), code))
    for m in _BARE_FAULT.finditer(text):
        if overlaps(m.span()):
            continue
        main = m.group("main") or m.group("main2")
        spans.append(m.span())
        found.append((m.start(), FaultCode(main, None, normalize_fault_main(main))))
    found.sort(key=lambda item: item[0])
    return [code for _, code in found], spans


def extract_entities(text: str) -> Entities:
    """Products, fault codes and parameter numbers named in ``text``, in order, without duplicates."""
    lowered = text.lower()
    # Offsets are shared with ``text`` only where lower() keeps the length (true for ASCII and CJK).
    original = text if len(text) == len(lowered) else lowered
    params = [
        Parameter(
            original[m.start() : m.end()], normalize_parameter(m.group("letter"), m.group("group"), m.group("index"))
        )
        for m in _PARAMETER.finditer(lowered)
    ]
    taken = [m.span() for m in _PARAMETER.finditer(lowered)]
    faults, fault_spans = _faults(_mask(lowered, taken), original)
    taken += fault_spans
    products = []
    for m in _PRODUCT.finditer(_mask(lowered, taken)):
        if m.group("letters") in _NOT_PRODUCT_LETTERS:
            continue
        normal = normalize_product(m.group(0))
        products.append(Product(original[m.start() : m.end()], normal, main_model(normal)))
    return Entities(_unique(products, "normal"), _unique(faults, "text"), _unique(params, "normal"))


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank out spans already read as another entity type (same length keeps offsets)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _unique(items: list, key: str) -> tuple:
    seen: set[str] = set()
    out = []
    for item in items:
        value = getattr(item, key).lower()
        if value not in seen:
            seen.add(value)
            out.append(item)
    return tuple(out)


def faults_match(a: FaultCode, b: FaultCode) -> bool:
    """Same main code and the same family, or one side has no family (bare number)."""
    same_family = a.family is None or b.family is None or a.family == b.family
    return same_family and a.main == b.main


def describe(entities: Entities) -> str:
    """The entity list in the teacher's wording: ``产品信息-sv660n, 故障码信息-e100``."""
    parts = [f"产品信息-{p.text}" for p in entities.products]
    parts += [f"故障码信息-{f.text}" for f in entities.faults]
    parts += [f"其他实体-{p.text}" for p in entities.parameters]
    return ", ".join(parts) if parts else "无"
