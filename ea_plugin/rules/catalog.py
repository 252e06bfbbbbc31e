"""The product catalog: brands and series with their aliases, order-code patterns and code forms; software names.

A catalog file (YAML or JSON) has up to three lists, ``brands``, ``series`` and ``software``::

    brands:
      - id: delta                      # unique id, used by series
        name: Delta                    # optional display name (default: id)
        aliases: [台达, Delta]          # how texts write the brand
    series:
      - id: delta/asda-a2              # unique id
        brand: delta                   # a brand id (built-in or from any catalog loaded with it)
        name: ASDA-A2                  # optional display name (default: id)
        aliases: [ASDA-A2, ASD-A2]     # read anywhere as a model of this series, order codes too
        context_aliases: [A2]          # read only after a brand/series word or before a product word
        order_codes: ['asda2\\d{4}']    # regexes matched at the start of a model's normal form
        codes:                         # extra code forms read in any text (the built-in families always are)
          - {prefix: A, digits: 5, family: N}      # Siemens warnings A07850 (digits: n or [min, max])
        fault_codes: [oC, ov, '2310', {code: Uv1, family: MN}]  # the codes its tables list, mnemonics too
        support: 12                    # learned entries: how many pages support it, and their ids
        pages: [a1000.pdf#3, a1000.pdf#7]    # (provenance for people; the rules ignore both)
    software:                          # names of software, firmware, protocols: never products
      - RobotWare
      - {name: TwinCAT, aliases: [TwinCAT 3], support: 4, pages: [tc.md#1]}

A model written ``ASD-A2-0421-L`` belongs to a series when its normal form (lower-case, no spaces, hyphens
or product words) or main model is an alias's normal form, starts with one of 3+ characters (``asda2``; an
alias ending in a digit must not be followed by another digit) or matches an order-code pattern. The built-in catalog
(``ea_plugin/data/catalog.yaml``) is always loaded first; user files extend it: a brand or series whose id
exists already adds its aliases, patterns and codes to it. Mistakes raise :class:`CatalogError` naming the
file, the entry and the field.

Lookups for the rules: ``series_codes`` (series id -> the codes it lists), ``listed_mnemonics`` /
``is_listed_mnemonic(token)`` (mnemonic-shaped listed codes, lower-case), ``code_series(code)`` (the series that
list a code), ``software`` / ``software_keys`` / ``is_software(name)`` / ``find_software(lowered)``.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar, overload

import ahocorasick_rs
import yaml

from ea_plugin.errors import USAGE, EAPluginError
from ea_plugin.rules.normalize import lower_same_length, nfkc, normalize_product

BUILTIN = "ea_plugin/data/catalog.yaml"
FAMILIES = ("E", "AL", "A", "F", "N", "HEX")  # the spec's code families; catalogs may name more (letters)
_PROVENANCE_KEYS = {"support", "pages"}  # learned entries' provenance: read, checked, kept, never used by the rules
_BRAND_KEYS = {"id", "name", "aliases"} | _PROVENANCE_KEYS
_SERIES_KEYS = ({"id", "brand", "name", "aliases", "context_aliases", "order_codes", "codes", "fault_codes"}
                | _PROVENANCE_KEYS)
_SOFTWARE_KEYS = {"name", "aliases"} | _PROVENANCE_KEYS
_CODE_KEYS = {"prefix", "digits", "family", "separator"}
_LISTED_KEYS = {"code", "family"}
_TOP_KEYS = ("brands", "series", "software", "version", "learned")
_LETTERS = re.compile(r"[A-Za-z]+")
# A listed code as tables write it: letters/digits in parts joined by "." or "-", an optional sign (SDK codes -4)
_LISTED_CODE = re.compile(r"-?[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*")
MNEMONIC_SHAPE = re.compile(r"[a-z]{2,4}[0-9]{0,2}")  # the spec's MN family: 2-4 letters, then at most 2 digits
# A listed code of the MN shape but a code family's prefix and a digit (Err48, AL16, ALM21): that family's, not MN
_FAMILY_PREFIXED = re.compile(r"(?:e|er|err|error|al|alm|a|f|n)\d")


class CatalogError(EAPluginError, ValueError):
    """A catalog file that cannot be read or has a mistake; the message names the file, entry and field.
    Bounded in size: it never holds a whole value of the file."""

    exit_status = USAGE

    def __init__(self, message: str) -> None:
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        super().__init__(message)


@dataclass(frozen=True)
class Brand:
    id: str
    name: str
    aliases: tuple[str, ...]
    support: int | None = None  # learned: pages that support it
    pages: tuple[str, ...] = ()  # learned: ids of those pages


@dataclass(frozen=True)
class ListedCode:
    """A code a series' tables list (``oC``, ``2310``), with its family where the catalog names one."""

    code: str  # as written
    normal: str  # lower-case (``OC`` = ``oc``)
    family: str | None = None  # upper-case letters, e.g. MN, E; None: as the rules read the code


@dataclass(frozen=True)
class Software:
    """A name of software, firmware or a protocol (``RobotWare``): never a product."""

    name: str
    aliases: tuple[str, ...] = ()
    support: int | None = None
    pages: tuple[str, ...] = ()


@dataclass(frozen=True)
class CodeForm:
    """A vendor's code prefix, e.g. Siemens warnings ``A07850``: prefix A, 5 digits, family N."""

    prefix: str
    min_digits: int
    max_digits: int
    family: str
    separator: bool = False  # True: an optional "-" or "." may follow the prefix (SRVO-050)


@dataclass(frozen=True)
class Series:
    id: str
    brand: str | None  # None: a learned series whose brand the corpus did not show
    name: str
    aliases: tuple[str, ...] = ()
    context_aliases: tuple[str, ...] = ()
    order_codes: tuple[str, ...] = ()
    codes: tuple[CodeForm, ...] = ()
    fault_codes: tuple[ListedCode, ...] = ()
    support: int | None = None
    pages: tuple[str, ...] = ()


class AliasHit(NamedTuple):
    """A catalog alias found in a text: a brand, or a series (``context`` when it needs a context word)."""

    start: int
    end: int
    kind: str  # "brand" or "series"
    id: str
    context: bool = False


_new_hit = tuple.__new__  # an AliasHit of its five fields, without the Python-level __new__ of a NamedTuple


@dataclass(eq=False)  # compared and hashed by identity: readings are cached per catalog
class Catalog:
    brands: dict[str, Brand] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    software: dict[str, Software] = field(default_factory=dict)  # name -> entry
    notes: tuple[str, ...] = ()  # what a learned file's loading dropped, and why

    def __post_init__(self) -> None:
        self._build()

    # -- lookups -----------------------------------------------------------------------------------
    def find_aliases(self, lowered: str) -> list[AliasHit]:
        """Every alias in ``lowered`` (NFKC'd, lower-cased text) that stands as a word of its own, in the order
        the automaton finds them (by end, the longest first): ``_whole_words`` written out, as this runs once for
        every text read."""
        hits = []
        length = len(lowered)
        values = self._alias_values
        for index, start, end in self._automaton.find_matches_as_indexes(lowered, overlapping=True):
            kind, ident, context, word_first, word_last = values[index]
            if ((word_first and start and lowered[start - 1] in _WORD_CHARS)
                    or (word_last and end < length and lowered[end] in _WORD_CHARS)):
                continue
            hits.append(_new_hit(AliasHit, (start, end, kind, ident, context)))
        return hits

    def lookup_model(self, normal: str, main: str = "", context: bool = False) -> Series | None:
        """The series of a model: its normal form or main model is an alias, or its normal form starts with
        an alias of 3+ characters (the longest), or matches an order-code pattern. Context aliases count only
        with ``context`` (a brand or series word before, a product word after)."""
        aliases = self._all_aliases if context else self._model_aliases
        for key in (normal, main):
            if key in aliases:
                return self.series[aliases[key]]
        # no prefix longer than the longest alias can be one: a long token costs no slice per character
        longest = len(normal) - 1
        if longest > self._longest_normal:
            longest = self._longest_normal
        for length in range(longest, 2, -1):
            ident = aliases.get(normal[:length])
            if ident is not None and not (normal[length - 1].isdigit() and normal[length].isdigit()):
                return self.series[ident]
        if self._order_codes is not None:
            match = self._order_codes.match(normal)
            if match:
                return self.series[self._order_ids[str(match.lastgroup)]]
        return None

    @property
    def longest_alias(self) -> int:
        """The most characters an alias hit (``find_aliases``) can span: the longest key searched for."""
        return self._longest_alias

    @property
    def code_forms(self) -> tuple[CodeForm, ...]:
        return self._code_forms

    @property
    def series_codes(self) -> dict[str, tuple[ListedCode, ...]]:
        """Series id -> the codes its tables list (only series that list some)."""
        return self._series_codes

    @property
    def listed_mnemonics(self) -> frozenset[str]:
        """The lower-case normal forms of listed codes of family MN, or of the MN shape (2-4 letters, at most 2
        digits) with no family given and no code family's prefix before a digit (Err48 is the E family)."""
        return self._listed_mnemonics

    def is_listed_mnemonic(self, token: str) -> bool:
        """Whether ``token`` (any case) is a mnemonic some series lists: read as a code anywhere (spec v3)."""
        return token.lower() in self._listed_mnemonics

    def code_series(self, code: str) -> tuple[str, ...]:
        """The ids of the series that list ``code`` (any case)."""
        return self._code_series.get(code.lower(), ())

    @property
    def software_keys(self) -> frozenset[str]:
        """Software names and aliases, lower-case with no spaces, hyphens or underscores (``twincat3``)."""
        return self._software_keys

    def is_software(self, name: str) -> bool:
        """Whether ``name`` (any case, spacing or hyphens) is a software name or alias of this catalog."""
        return re.sub(r"[\s\-_]+", "", lower_same_length(nfkc(name))) in self._software_keys

    def find_software(self, lowered: str) -> list[tuple[int, int, str]]:
        """(start, end, name) of every software name/alias in ``lowered`` (NFKC'd, lower-cased) that stands as
        a word of its own, as ``find_aliases`` reads aliases."""
        if self._software_automaton is None:
            return []
        return [(start, end, value[0])
                for start, end, value in _whole_words(self._software_automaton, self._software_names, lowered)]

    # -- building ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self._model_aliases: dict[str, str] = {}  # normal form -> series id (aliases read anywhere)
        self._all_aliases: dict[str, str] = {}  # the same with context aliases
        seen: dict[str, str] = {}  # alias key -> owner, to report clashes
        values: dict[str, tuple[str, str, bool, bool, bool]] = {}  # alias key -> its value (the last added)

        def add(alias: str, kind: str, ident: str, context: bool, where: str) -> None:
            for key in _alias_keys(alias):
                owner = f"{kind} {ident!r}"
                if seen.get(key, owner) != owner:
                    raise CatalogError(f"{where}: alias {_shown(alias)} is already an alias of {seen[key]}")
                seen[key] = owner
                # with whether its first and last characters are ASCII letters or digits (find_aliases' edges)
                values[key] = (kind, ident, context, key[0] in _WORD_CHARS, key[-1] in _WORD_CHARS)

        for brand in self.brands.values():
            for alias in brand.aliases:
                add(alias, "brand", brand.id, False, f"brand {brand.id!r}")
        patterns: list[str] = []
        self._order_ids: dict[str, str] = {}
        forms: list[CodeForm] = []
        for series in self.series.values():
            for alias in series.aliases:
                add(alias, "series", series.id, False, f"series {series.id!r}")
            for alias in series.context_aliases:
                add(alias, "series", series.id, True, f"series {series.id!r}")
            for alias in series.aliases:
                self._model_aliases.setdefault(normalize_product(alias), series.id)
            for alias in series.aliases + series.context_aliases:
                self._all_aliases.setdefault(normalize_product(alias), series.id)
            for pattern in series.order_codes:
                group = f"s{len(self._order_ids)}"
                self._order_ids[group] = series.id
                patterns.append(f"(?P<{group}>(?:{pattern}))")
            forms.extend(series.codes)
        self._automaton, self._alias_values = _matcher(values)
        self._longest_normal = max(map(len, self._all_aliases), default=0)  # of the aliases' normal forms
        self._longest_alias = max(map(len, seen), default=1)  # of the keys hits are found by
        self._order_codes = re.compile("|".join(patterns), re.I) if patterns else None
        self._code_forms = tuple(dict.fromkeys(forms))
        self._build_listed()
        self._build_software()

    def _build_listed(self) -> None:
        self._series_codes = {s.id: s.fault_codes for s in self.series.values() if s.fault_codes}
        code_series: dict[str, list[str]] = {}
        mnemonics = set()
        for ident, listed in self._series_codes.items():
            for code in listed:
                code_series.setdefault(code.normal, []).append(ident)
                if code.family == "MN" or (code.family is None and MNEMONIC_SHAPE.fullmatch(code.normal)
                                           and not _FAMILY_PREFIXED.match(code.normal)):
                    mnemonics.add(code.normal)
        self._code_series = {code: tuple(dict.fromkeys(ids)) for code, ids in code_series.items()}
        self._listed_mnemonics = frozenset(mnemonics)

    def _build_software(self) -> None:
        keys: set[str] = set()
        names: dict[str, tuple[str, bool, bool]] = {}  # key -> (name, word_first, word_last)
        for entry in self.software.values():
            for alias in (entry.name, *entry.aliases):
                for key in _alias_keys(alias):
                    keys.add(key.replace(" ", "").replace("-", ""))
                    names[key] = (entry.name, key[0] in _WORD_CHARS, key[-1] in _WORD_CHARS)
        self._software_keys = frozenset(keys)
        self._software_automaton: ahocorasick_rs.AhoCorasick | None
        self._software_automaton, self._software_names = _matcher(names) if names else (None, [])


def _alias_keys(alias: str) -> set[str]:
    """The lower-cased alias with its inner spaces/hyphens written as a space, a hyphen or nothing."""
    parts = [p for p in re.split(r"[\s\-_]+", lower_same_length(nfkc(alias)).strip()) if p]
    return {sep.join(parts) for sep in (" ", "-", "")} if parts else set()


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_V = TypeVar("_V")


def _matcher(values: dict[str, _V]) -> tuple[ahocorasick_rs.AhoCorasick, list[_V]]:
    """An Aho-Corasick automaton of ``values``' keys (every match, overlapping ones too, in character offsets)
    and the values by key index. An ASCII edge of a key (the value's word_first/word_last) must not touch another
    ASCII letter or digit in the text, which the callers check (``a6`` is not read in ``ma6x``)."""
    keys = list(values)
    return ahocorasick_rs.AhoCorasick(keys, matchkind=ahocorasick_rs.MatchKind.Standard), [values[k] for k in keys]


def _whole_words(automaton: ahocorasick_rs.AhoCorasick, values: list[tuple[Any, ...]], lowered: str
                 ) -> Iterator[tuple[int, int, tuple[Any, ...]]]:
    """(start, end, value) of the automaton's keys found in ``lowered`` that stand as words of their own: a value
    ends with (word_first, word_last), and such an ASCII edge must not touch another ASCII letter or digit."""
    length = len(lowered)
    for index, start, end in automaton.find_matches_as_indexes(lowered, overlapping=True):
        value = values[index]
        if not ((value[-2] and start and lowered[start - 1] in _WORD_CHARS)
                or (value[-1] and end < length and lowered[end] in _WORD_CHARS)):
            yield start, end, value


# -- reading files --------------------------------------------------------------------------------------
MAX_NODES = 100_000  # YAML nodes a catalog may expand to (aliases counted as often as they are used)
MAX_DEPTH = 64  # nesting of lists and mappings
MAX_MESSAGE = 600  # characters of a CatalogError message
WIDE_REPEAT = 100  # an order code's {m,n} with n above this is as slow as {m,}
MAX_SPLITS = 100_000  # the most ways an order code's variable repetitions may split a model


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where built: fast


class _CatalogLoader(_BaseLoader):  # type: ignore[valid-type,misc]  # chosen at import: libyaml or pure Python
    """yaml's SafeLoader that checks the composed document before building it: no repeated key in a mapping,
    nesting and alias expansion bounded (a 443-byte alias bomb expands to ~10^9 nodes)."""

    def construct_document(self, node: yaml.Node) -> Any:
        _check_nodes(node)
        return super().construct_document(node)


def _check_nodes(root: yaml.Node) -> None:
    """Depth, expanded size (an alias counts its whole subtree again) and repeated keys of a composed document.
    Iterative, and the size of a node shared through aliases is computed once."""
    sizes: dict[int, int] = {}
    shared = False  # a node reached twice: the document uses aliases
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise CatalogError(f"nested deeper than {MAX_DEPTH} levels (line {node.start_mark.line + 1})")
        children = _children(node)
        if done:
            sizes[id(node)] = size = 1 + sum(sizes[id(c)] for c in children)
            if size > MAX_NODES:
                why = "YAML anchors and aliases?" if shared else "split it into several files: --catalog repeats"
                raise CatalogError(f"expands to more than {MAX_NODES:,} values ({why})")
            continue
        if id(node) in sizes:
            shared = True
            continue
        if isinstance(node, yaml.MappingNode):
            _check_unique_keys(node)
        stack.append((node, depth, True))
        fresh = [c for c in children if id(c) not in sizes]
        shared = shared or len(fresh) < len(children)
        stack.extend((c, depth + 1, False) for c in fresh)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_unique_keys(node: yaml.MappingNode) -> None:
    seen: set[str] = set()
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value != "<<":
            if key.value in seen:
                raise CatalogError(f"line {key.start_mark.line + 1}: key {_shown(key.value)} is repeated "
                                   f"in the same mapping (the later one would replace the earlier)")
            seen.add(key.value)


def _refuse_repeated_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise CatalogError(f"key {_shown(key)} is repeated in the same object (the later one would replace "
                               f"the earlier)")
        seen[key] = value
    return seen


def parse_catalog_text(text: str, source: str, json_format: bool = False) -> dict[str, Any]:
    """The raw mapping of a catalog's text (YAML, or JSON where ``json_format``), checked for shape: every
    failure is a CatalogError of bounded size naming ``source``."""
    kind = "JSON" if json_format else "YAML"
    try:
        if json_format:
            data = json.loads(text, object_pairs_hook=_refuse_repeated_json_keys)
        else:
            data = yaml.load(text, Loader=_CatalogLoader)  # noqa: S506 (a SafeLoader)
    except CatalogError as exc:
        raise CatalogError(f"{source}: {exc}") from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise CatalogError(f"{source}: not valid {kind}: {exc}") from None
    except RecursionError:
        raise CatalogError(f"{source}: not valid {kind}: nested too deep") from None
    except ValueError as exc:  # a number of thousands of digits
        raise CatalogError(f"{source}: not valid {kind}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CatalogError(f"{source}: the top level must be a mapping with 'brands', 'series' and/or 'software'")
    unknown = set(data) - set(_TOP_KEYS)
    if unknown:
        raise CatalogError(f"{source}: unknown top-level key(s) {_shown(sorted(map(str, unknown)))}; "
                           f"expected 'brands', 'series', 'software'")
    return data


def read_catalog_file(path: str | Path) -> dict[str, Any]:
    """The raw mapping of a YAML or JSON catalog file (JSON is read by its suffix, YAML otherwise)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise CatalogError(f"{path}: cannot read the catalog: {exc}") from None
    try:
        text = raw.decode("utf-8-sig")  # a BOM is allowed; UTF-16 and other encodings are not
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text (byte {exc.start}); save the catalog as UTF-8") from None
    return parse_catalog_text(text, str(path), path.suffix.lower() == ".json")


def _entries(data: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    entries = data.get(key) or []
    if not isinstance(entries, list):
        raise CatalogError(f"{source}: '{key}' must be a list")
    return entries


def _where(source: str, key: str, index: int, entry: Any) -> str:
    ident = entry.get("id") if isinstance(entry, dict) else None
    return f"{source}: {key}[{index}]" + (f" (id {_shown(ident)})" if ident else "")


@overload
def _text(entry: dict[str, Any], name: str, where: str, required: Literal[True]) -> str: ...
@overload
def _text(entry: dict[str, Any], name: str, where: str, required: bool = False) -> str | None: ...
def _text(entry: dict[str, Any], name: str, where: str, required: bool = False) -> str | None:
    value = entry.get(name)
    if value is None:
        if required:
            raise CatalogError(f"{where}: field '{name}' is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: field '{name}' must be a non-empty string, got {_shown(value)}")
    return value.strip()


def _texts(entry: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = entry.get(name) or []
    if isinstance(value, str) or not isinstance(value, list):
        raise CatalogError(f"{where}: field '{name}' must be a list of strings, got {_shown(value)}")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise CatalogError(f"{where}: field '{name}' has an empty or non-string item {_shown(item)}")
    return tuple(item.strip() for item in value)


def _check_keys(entry: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: each entry must be a mapping, got {_shown(entry)}")
    unknown = set(entry) - allowed
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return entry


def _provenance(entry: dict[str, Any], where: str) -> tuple[int | None, tuple[str, ...]]:
    """``support`` (a whole number >= 0) and ``pages`` (a list of page ids) of a learned entry."""
    support = entry.get("support")
    if support is not None and (isinstance(support, bool) or not isinstance(support, int) or support < 0):
        raise CatalogError(f"{where}: field 'support' must be a whole number >= 0, got {_shown(support)}")
    return support, _texts(entry, "pages", where)


def _listed_code(raw: Any, where: str) -> ListedCode:
    """One item of a series' ``fault_codes``: ``oC`` or ``{code: oC, family: MN}``."""
    family = None
    if isinstance(raw, dict):
        entry = _check_keys(raw, _LISTED_KEYS, where)
        code = _text(entry, "code", where, True)
        family = _text(entry, "family", where)
        if family is not None and not _LETTERS.fullmatch(family):
            raise CatalogError(f"{where}: field 'family' must be letters (e.g. MN, E, AL), got {_shown(family)}")
    elif isinstance(raw, str) and raw.strip():
        code = raw.strip()
    else:
        raise CatalogError(f"{where}: a listed code must be a string or {{code, family}}, got {_shown(raw)}")
    if len(code) > 24 or not _LISTED_CODE.fullmatch(code):
        raise CatalogError(f"{where}: {_shown(code)} is not a code (letters and digits, parts joined by '.' or '-')")
    return ListedCode(code, code.lower(), family.upper() if family else None)


def _code_form(raw: Any, where: str) -> CodeForm:
    entry = _check_keys(raw, _CODE_KEYS, where)
    prefix, family = _text(entry, "prefix", where, True), _text(entry, "family", where, True)
    if not _LETTERS.fullmatch(prefix):
        raise CatalogError(f"{where}: field 'prefix' must be letters, got {_shown(prefix)}")
    if not _LETTERS.fullmatch(family):
        raise CatalogError(
            f"{where}: field 'family' must be letters (e.g. {', '.join(FAMILIES)}), got {_shown(family)}")
    digits = entry.get("digits")
    if isinstance(digits, int) and not isinstance(digits, bool):
        digits = [digits, digits]
    if not (isinstance(digits, list) and len(digits) == 2
            and all(isinstance(d, int) and not isinstance(d, bool) for d in digits)
            and 1 <= digits[0] <= digits[1] <= 8):
        raise CatalogError(
            f"{where}: field 'digits' must be a number 1-8 or [min, max], got {_shown(entry.get('digits'))}")
    separator = entry.get("separator", False)
    if not isinstance(separator, bool):
        raise CatalogError(f"{where}: field 'separator' must be true or false, got {_shown(separator)}")
    return CodeForm(prefix.lower(), digits[0], digits[1], family.upper(), separator)


def _shown(value: Any, limit: int = 80) -> str:
    """A value for an error message, bounded in size (a YAML alias can expand a small file into a huge value)."""
    if isinstance(value, (dict, list, tuple, set)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**limit:
        return "a very large number"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _merge(old: Any, new: Any) -> Any:
    """A later entry with an existing id adds its lists to the earlier one."""
    updates: dict[str, Any] = {}
    for name in ("aliases", "context_aliases", "order_codes", "codes", "fault_codes", "pages"):
        if hasattr(old, name):
            updates[name] = tuple(dict.fromkeys(getattr(old, name) + getattr(new, name)))
    if getattr(old, "support", None) is None:
        updates["support"] = new.support
    return type(old)(**{**old.__dict__, **updates})


class _Builder:
    """Entries of catalog mappings gathered into one catalog. A learned file's entries (top-level ``learned``)
    come after every other file's and only add: an entry with a mistake, an alias another entry owns or a brand
    that contradicts one given is dropped with a note (``Catalog.notes``), never an error."""

    def __init__(self) -> None:
        self.brands: dict[str, Brand] = {}
        self.series: dict[str, Series] = {}
        self.software: dict[str, Software] = {}
        self.notes: list[str] = []
        self.owners: dict[str, str] | None = None  # alias key -> owner, built when the first learned file comes

    def add(self, source: str, data: dict[str, Any], learned: bool) -> None:
        if learned and self.owners is None:
            self.owners = {}
            for brand in self.brands.values():
                self._claim(brand.aliases, f"brand {brand.id!r}")
            for item in self.series.values():
                self._claim(item.aliases + item.context_aliases, f"series {item.id!r}")
            for soft in self.software.values():
                self._claim((soft.name, *soft.aliases), f"software {soft.name!r}")
        steps = (("brands", self._brand), ("series", self._series), ("software", self._software))
        for key, step in steps:
            for index, raw in enumerate(_entries(data, key, source)):
                where = _where(source, key, index, raw)
                if not learned:
                    step(raw, where, False)
                    continue
                try:
                    step(raw, where, True)
                except CatalogError as exc:
                    self.notes.append(f"dropped: {exc}")

    def _claim(self, aliases: Iterable[str], owner: str) -> None:
        for alias in aliases:
            for key in _alias_keys(alias):
                self.owners.setdefault(key, owner)  # type: ignore[union-attr]

    def _free(self, aliases: tuple[str, ...], owner: str, where: str) -> tuple[str, ...]:
        """The learned aliases no other entry owns (claimed for ``owner``); the others dropped with a note."""
        assert self.owners is not None
        kept = []
        for alias in aliases:
            keys = _alias_keys(alias)
            other = next((self.owners[k] for k in keys if self.owners.get(k, owner) != owner), None)
            if other is not None:
                self.notes.append(f"dropped: {where}: alias {_shown(alias)} is already an alias of {other}")
                continue
            self._claim((alias,), owner)
            kept.append(alias)
        return tuple(kept)

    def _brand(self, raw: Any, where: str, learned: bool) -> None:
        entry = _check_keys(raw, _BRAND_KEYS, where)
        ident = _text(entry, "id", where, True)
        aliases = _aliases(entry, "aliases", where)
        if learned:
            aliases = self._free(aliases, f"brand {ident!r}", where)
        brand = Brand(ident, _text(entry, "name", where) or ident, aliases, *_provenance(entry, where))
        self.brands[ident] = _merge(self.brands[ident], brand) if ident in self.brands else brand

    def _series(self, raw: Any, where: str, learned: bool) -> None:
        entry = _check_keys(raw, _SERIES_KEYS, where)
        ident = _text(entry, "id", where, True)
        old = self.series.get(ident)
        brand = _text(entry, "brand", where, old is None and not learned) or (old.brand if old else None)
        if brand is not None and brand not in self.brands:
            raise CatalogError(f"{where}: field 'brand': unknown brand {_shown(brand)} (define it under 'brands')")
        if old is not None and brand != old.brand:
            raise CatalogError(f"{where}: field 'brand': series {_shown(ident)} already belongs to {_shown(old.brand)}")
        patterns = _texts(entry, "order_codes", where)
        for pattern in patterns:
            _check_order_code(pattern, where)
        codes = entry.get("codes") or []
        if not isinstance(codes, list):
            raise CatalogError(f"{where}: field 'codes' must be a list of {{prefix, digits, family}}")
        listed = entry.get("fault_codes") or []
        if not isinstance(listed, list):
            raise CatalogError(f"{where}: field 'fault_codes' must be a list of codes (e.g. [oC, ov, '2310'])")
        forms = tuple(_code_form(code, f"{where} codes[{i}]") for i, code in enumerate(codes))
        fault_codes = tuple(dict.fromkeys(_listed_code(c, f"{where} fault_codes[{i}]") for i, c in enumerate(listed)))
        aliases, context = _aliases(entry, "aliases", where), _aliases(entry, "context_aliases", where)
        provenance = _provenance(entry, where)
        name = _text(entry, "name", where) or ident
        if learned:
            aliases = self._free(aliases, f"series {ident!r}", where)
            context = self._free(context, f"series {ident!r}", where)
        item = Series(ident, brand, name, aliases, context, patterns, forms, fault_codes, *provenance)
        self.series[ident] = _merge(old, item) if old is not None else item

    def _software(self, raw: Any, where: str, learned: bool) -> None:
        if isinstance(raw, str):
            raw = {"name": raw}
        entry = _check_keys(raw, _SOFTWARE_KEYS, where)
        name = _text(entry, "name", where, True)
        aliases = _aliases(entry, "aliases", where)
        if learned:
            names = self._free((name, *aliases), f"software {name!r}", where)
            if name not in names:
                return  # its name is another entry's alias (noted)
            aliases = names[1:]
        item = Software(name, aliases, *_provenance(entry, where))
        self.software[name] = _merge(self.software[name], item) if name in self.software else item


def is_learned(data: Any) -> bool:
    """Whether a catalog mapping was written by ``ea-judge catalog learn`` (top-level ``learned``)."""
    return isinstance(data, dict) and data.get("learned") not in (None, False)


def parse_catalog(datas: Iterable[tuple[str, dict[str, Any]]]) -> Catalog:
    """Build one catalog from raw mappings, each with the name of its source (for error messages). Learned
    mappings (``is_learned``) come last and only add knowledge (see _Builder)."""
    datas = list(datas)
    builder = _Builder()
    for source, data in sorted(datas, key=lambda item: is_learned(item[1])):  # stable: the given order otherwise
        builder.add(source, data, is_learned(data))
    sources = tuple(source for source, _ in datas)
    try:
        catalog = Catalog(builder.brands, builder.series, sources, builder.software)
    except CatalogError as exc:
        raise CatalogError(f"{' + '.join(sources)}: {exc}") from None
    catalog.notes = tuple(builder.notes)
    return catalog


_REGEX_CONSTRUCTS = re.compile(r"\\[1-9]|\\g|\(\?(?![:=!]|<[=!])")  # backrefs, flags, named groups


def _check_order_code(pattern: str, where: str) -> None:
    """An order-code regex that also works inside the catalog's combined pattern (a group of its own)."""
    if len(pattern) > 200:
        raise CatalogError(f"{where}: field 'order_codes': a pattern of more than 200 characters")
    if _REGEX_CONSTRUCTS.search(pattern):
        raise CatalogError(f"{where}: field 'order_codes': {_shown(pattern)} uses inline flags, named groups or "
                           f"back-references; write a plain pattern (matching ignores case)")
    try:
        if re.compile(pattern).groups != re.compile(f"(?:{pattern})").groups:
            raise re.error("unbalanced parentheses")
    except re.error as exc:
        raise CatalogError(f"{where}: field 'order_codes': bad regex {_shown(pattern)}: {exc}") from None
    slow = _backtracking(pattern)
    if slow:
        raise CatalogError(f"{where}: field 'order_codes': {_shown(pattern)} has {slow}, which can make one "
                           "match take minutes; write a simpler pattern (e.g. [ab]+ for (a|b)+, a+ for (a+)+)")


def _backtracking(pattern: str) -> str | None:
    """What in ``pattern`` can make Python's backtracking matcher take exponential (or high polynomial) time on a
    long model, or None: inside a repetition that repeats (``+``, ``*``, ``{2,}``, ``{1,30}``, ``{40}``), a
    variable-length one or alternatives (``(a+)+``, ``(x?){40}``, ``(x{1,30}){1,30}``, ``(x|xx){1,40}``); more
    than two unbounded repetitions in all (``a*a*a*b``; a bound past WIDE_REPEAT counts as none); or so many
    variable-length ones that the ways to split a model multiply past MAX_SPLITS (``x?`` twenty times). Every
    order code of the built-in catalog passes."""
    # The parser re itself compiles with: private, but stable since Python 3.11 (typeshed does not list it).
    c: Any = importlib.import_module("re._constants")
    parser: Any = importlib.import_module("re._parser")

    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT}
    unbounded, splits = 0, 1

    def walk(items: Any, inside: bool) -> str | None:  # inside: within a repetition that can repeat
        nonlocal unbounded, splits
        for op, arg in items:
            found = None
            if op in repeats:
                low, high, body = arg
                endless = high == c.MAXREPEAT or high > WIDE_REPEAT
                unbounded += endless
                splits *= WIDE_REPEAT if endless else high - low + 1
                if inside and low != high:
                    return "a repetition inside a repetition"
                found = walk(body, inside or high > 1)
            elif op is c.BRANCH:
                if inside:
                    return "alternatives inside a repetition"
                found = next(filter(None, (walk(branch, inside) for branch in arg[1])), None)
            elif op is c.SUBPATTERN:
                found = walk(arg[-1], inside)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                found = walk(arg[1], inside)
            elif op is c.ATOMIC_GROUP:
                found = walk(arg, inside)
            if found:
                return found
        return None

    found = walk(parser.parse(pattern), False)
    if found or unbounded > 2:
        return found or "more than two unbounded repetitions (*, +, {n,})"
    return "too many variable-length repetitions (?, *, +, {m,n})" if splits > MAX_SPLITS else None


def _aliases(entry: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    aliases = _texts(entry, name, where)
    for alias in aliases:
        if not any(ch.isalnum() for ch in alias) or len(alias) > 100:
            raise CatalogError(f"{where}: field '{name}': alias {_shown(alias)} must hold a letter or digit "
                               f"(and at most 100 characters)")
    return aliases


def _builtin_data() -> dict[str, Any]:
    return yaml.safe_load(resources.files("ea_plugin").joinpath("data/catalog.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=32)
def _load(paths: tuple[str, ...]) -> Catalog:
    return parse_catalog([(BUILTIN, _builtin_data())] + [(p, read_catalog_file(p)) for p in paths])


def load_catalog(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
) -> Catalog:
    """The built-in catalog extended by the user's files; built once per process for each list of files."""
    if paths is None:
        paths = ()
    elif isinstance(paths, (str, os.PathLike)):
        paths = (paths,)
    return _load(tuple(_resolved(p) for p in paths))


def _resolved(path: Any) -> str:
    """A catalog path made absolute (the cache key), or a CatalogError for what cannot be a path."""
    if not isinstance(path, (str, os.PathLike)) or "\x00" in os.fspath(path):
        raise CatalogError(f"a catalog must be a file path (str or Path) without NUL characters, got {path!r:.80}")
    return str(Path(path).resolve())


def check_catalog(path: str | Path) -> Catalog:
    """Validate one user file on top of the built-in catalog (what ``ea-judge catalog check`` runs)."""
    return parse_catalog([(BUILTIN, _builtin_data()), (str(path), read_catalog_file(path))])
