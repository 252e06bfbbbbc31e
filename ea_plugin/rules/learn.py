"""A catalog learned from the corpus a RAG system indexes (spec v3, "A catalog learned from the corpus").

``learn_catalog(texts, titles=None, ids=None, min_support=2)`` reads manual chunks (with their titles or file
names where given; no labels, no model) and returns an ordinary catalog mapping (``write_learned`` writes it as
YAML; ``catalog=`` loads it): series with their variants and aliases, the brand written beside a series on its
pages (also brands no catalog knows, in Chinese or Latin script), each series' codes as its tables list them
(mnemonics included) and software names; each entry with its support (pages) and the pages' ids. Entries with
less support than ``min_support`` pages are left out.

How, in general (no vendor is named here):
- series: model-shaped words of headings (the title or file name, a page's first line, text in 【】); a series
  word and its part (``ACOPOSinverter P86``) are one series where the corpus also writes them glued or
  hyphenated (``ACOPOSinverterP86``, ``OSP-P300``), else the word stands before the series (a brand, say);
  ``X (Y)`` pairs where Y's letters and digits are part of X (``SINAMICS V90 (V90)``) make Y an alias;
- support: the pages whose title or text the rules (ea_plugin.rules, with the candidates as a catalog) read the
  series in; a candidate only ever written in file names of one document (a document number) is left out;
- brands: the brand the catalog knows written right before the series, else the word right before it (a run of
  Chinese characters standing alone, or a capitalised Latin word); the words seen before the same series are one
  brand's names in its scripts (``法奥``/``FAIRINO``);
- codes: on a page whose heading names one series, the codes the rules read, the first cells of table rows and
  the mnemonics in brackets beside a number (``Code 9 (OCF)``) or after a code cue;
- software: names written right after 软件/固件/software/firmware/package.
A learned catalog only adds knowledge: loading drops what clashes with the built-in or a user catalog.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ea_plugin.rules.catalog import MNEMONIC_SHAPE, Catalog, _alias_keys, load_catalog, parse_catalog
from ea_plugin.rules.codes import table_rows
from ea_plugin.rules.extract import extract_entities
from ea_plugin.rules.normalize import PRODUCT_WORDS, lower_same_length, main_model_of, nfkc, normalize_product
from ea_plugin.rules.words import CUES_BEFORE_EN, CUES_BEFORE_ZH, CUES_BEFORE_ZH_HANT, NEVER_PRODUCT, RUNNING_TEXT

LEARNED_PREFIX = "learned/"
MAX_PAGE_IDS = 20  # page ids written per entry (its support counts them all)
MAX_CODES = 500  # listed codes per series
MAX_ALIASES = 6
EXPLAIN_PAGES = 50  # pages --explain lists per entry
_KIND_NAMES = {"brands": "brand", "series": "series", "software": "software"}

# An ASCII word of a heading: letters and digits, parts joined by hyphens.
_WORD = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_MODEL_TOKEN = re.compile(r"[A-Za-z]+[\-]?[A-Za-z]*\d[A-Za-z0-9\-]*")  # letters first, then a digit
_PART = re.compile(r"[A-Za-z]{0,3}\d{1,5}[A-Za-z]{0,2}")  # the model part after a series word: P86, 400, S120
_SERIES_WORD = re.compile(r"[A-Za-z]{2,}")
_FILE_SUFFIX = re.compile(r"\.(?:pdf|md|txt|html?|docx?|rst|csv|json|xml)$", re.I)
_BRACKETED = re.compile(r"【([^】\n]{1,80})】")
# Words that follow a model in headings and make it a product (beside the rules' own product words). Chinese
# only: English ones follow standards and buses too (CiA402 drive profile, EtherCAT servo).
_HEADING_PRODUCT_WORDS = (*PRODUCT_WORDS, "控制器", "控製器", "系统", "數控", "数控", "数控系统")
# Mnemonic-shaped words that are text, not codes (the spec's list and the rules' word lists, plus short words).
_NOT_MNEMONIC = (NEVER_PRODUCT | RUNNING_TEXT | frozenset(
    "ok on off run stop cpu led plc usb ac dc the and for not but are was has had see use all any can may new old "
    "yes no out set get put via per each both this that with from into when then than them they its our one two "
    "six ten top end err alm fan bus key net web app api sdk gui log msg ref rev std opt".split()))
_FAMILY_CODE = re.compile(r"(?:e|er|err|al|alm|f|n|a)\.?\d", re.I)  # tokens the rules read in a code family
_TITLE_WORD = re.compile(r"[A-Z][a-z]+")  # Note, Step, Code: words, not panel mnemonics
_MNEMONIC_WORDS = re.compile(r"(?<![a-z0-9])[a-z]{2,4}[0-9]{0,2}(?![a-z0-9])")  # words of the MN shape
# The rules' shapes (pages are NFKC'd: brackets and colons are ASCII): a table row's first cell, on every line
# (codes.table_rows; the rules read rows only where two cells look like codes); a number with a mnemonic in
# brackets, a listing's pair (Code 70 (bOF); the rules pair them only beside a code they read); a mnemonic right
# after a code cue.
_ROW_NUMBER = re.compile(r"-?\d{1,6}")
_PAIRED = re.compile(rf"(-?\d{{1,6}})\s*\(\s*({MNEMONIC_SHAPE.pattern})\s*\)", re.I)
_CUES_ZH = "|".join(sorted((*CUES_BEFORE_ZH, *CUES_BEFORE_ZH_HANT), key=len, reverse=True))
_CUED = re.compile(rf"(?:{_CUES_ZH}|(?<![a-z])(?:{'|'.join(CUES_BEFORE_EN)})(?![a-z])) ?({MNEMONIC_SHAPE.pattern})"
                   r"(?![a-z0-9]|\.\d)", re.I)  # an English cue is a word (not the "err" of "errors")
_PAIR = re.compile(r"([A-Za-z][A-Za-z0-9 \-]{1,40}?\d[A-Za-z0-9]*)\s*[（(]\s*([A-Za-z][A-Za-z\-]*\d[A-Za-z0-9]*)"
                   r"\s*[)）]")
# Software: a name right after a software cue (the spec's 软件/software/firmware/固件/package).
_SOFTWARE = re.compile(r"(?i:软件包|软件|軟體|軟件|固件|韧体|firmware|software|package)\s*[:：]?\s*"
                       r"([A-Za-z][A-Za-z0-9+#.]*(?:[ \-][A-Z0-9][A-Za-z0-9+#.]*){0,3})")
_NOT_SOFTWARE = RUNNING_TEXT | frozenset(
    "update upgrade download install installed version versions is are was the a an and of for to with".split())
_VERSION = re.compile(r"[vV]?\d+(?:\.\d+)*[a-z]?")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+\Z")
_LATIN_BEFORE = re.compile(r"(?<![A-Za-z0-9&])([A-Za-z][A-Za-z&]+)[ _]?\Z")
_BRAND_AFTER = re.compile(r"[ ]?[（(]\s*([A-Za-z][A-Za-z&]+|[\u3400-\u9fff]{2,4})\s*[)）]")
# Chinese words that stand before models and are no brand (cues, product words, generic words of manuals).
_NOT_BRAND_ZH = frozenset((*CUES_BEFORE_ZH, *CUES_BEFORE_ZH_HANT, *PRODUCT_WORDS, "型号", "产品", "适用", "用于",
                           "关于", "本", "该", "本手册", "说明", "手册", "使用", "请问", "针对", "设备", "机型", "新款",
                           "型號", "產品", "適用", "用於", "關於", "該", "說明", "手冊"))


@dataclass
class _Page:
    id: str
    title: str  # file suffix dropped, underscores as spaces
    text: str  # NFKC
    headings: tuple[str, ...]
    heading_end: int  # in title + "\n" + text: where the title and the first line end


@dataclass
class Learned:
    """What learning found: the catalog mapping and, per entry, every page that supports it."""

    mapping: dict[str, Any]
    pages: list[_Page]
    evidence: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (kind, id or name) -> page indices

    def explain(self, name: str) -> str:
        """The entries whose id, name, alias or listed code is ``name`` (any case, spacing), with their pages."""
        want = _key(name)
        out = []
        for kind in ("brands", "series", "software"):
            for entry in self.mapping.get(kind, []):
                ident = entry.get("id", "")
                names = [ident, ident.split("/")[-1], entry.get("name", ""), *entry.get("aliases", ())]
                codes = [c if isinstance(c, str) else c["code"] for c in entry.get("fault_codes", ())]
                if want not in {_key(n) for n in names if n} and want not in {c.lower() for c in codes}:
                    continue
                ident = entry.get("id") or entry.get("name")
                out.append(f"{_KIND_NAMES[kind]} {ident}: support {entry.get('support', 0)} "
                           f"page(s)" + (f"; aliases {', '.join(entry['aliases'])}" if entry.get("aliases") else "")
                           + (f"; brand {entry['brand']}" if entry.get("brand") else ""))
                where = self.evidence.get((kind, ident), [])
                for index in where[:EXPLAIN_PAGES]:
                    page = self.pages[index]
                    line = _line_naming(page, name) or (page.headings[0] if page.headings else "")
                    out.append(f"  {page.id}  [{page.title}]  {line[:100]}")
                if len(where) > EXPLAIN_PAGES:
                    out.append(f"  ... and {len(where) - EXPLAIN_PAGES} more page(s)")
        return "\n".join(out) if out else f"no learned entry names {name!r}"


def _key(name: str) -> str:
    return normalize_product(nfkc(str(name)).lower())


def _line_naming(page: _Page, name: str) -> str:
    want = re.sub(r"[\s\-_]+", "", name.lower())
    for line in (page.title, *page.text.splitlines()):
        if want and want in re.sub(r"[\s\-_]+", "", line.lower()):
            return line.strip()
    return ""


def learn_catalog(texts: Iterable[str], titles: Sequence[str | None] | None = None,
                  ids: Sequence[str | None] | None = None, min_support: int = 2,
                  catalog: Catalog | str | Path | Sequence[str | Path] | None = None) -> dict[str, Any]:
    """The catalog mapping learned from ``texts`` (see the module's doc); ``catalog``: what is known already
    (the built-in catalog by default; a Catalog or catalog file paths), which learning never contradicts."""
    return learn(texts, titles, ids, min_support, catalog).mapping


def learn(texts: Iterable[str], titles: Sequence[str | None] | None = None, ids: Sequence[str | None] | None = None,
          min_support: int = 2, catalog: Catalog | str | Path | Sequence[str | Path] | None = None) -> Learned:
    """``learn_catalog`` with the evidence behind each entry (for ``--explain``)."""
    if isinstance(min_support, bool) or not isinstance(min_support, int) or min_support < 1:
        raise ValueError(f"min_support must be a whole number >= 1, got {min_support!r:.40}")
    base = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    pages = _pages(texts, titles, ids)
    software = _learn_software(pages, min_support, base)
    candidates, pairs = _series_candidates(pages, base, software)
    # The candidates as a catalog of their own on top of what is known: the rules then read them in any
    # spacing and case, and tell which pages name them.
    trial = parse_catalog([("known", _as_data(base)), ("candidates", {
        "learned": True, "series": [{"id": LEARNED_PREFIX + n, "aliases": _most_written_first(forms)}
                                    for n, forms in candidates.items()]})])
    return _Learner(pages, base, trial, min_support, software, pairs, candidates).run()


def _most_written_first(forms: Counter[str]) -> list[str]:
    """A candidate's spellings, the most written first (the first is its name)."""
    return sorted(forms, key=lambda form: forms[form], reverse=True)


# Metadata keys a host's index keeps a page's title or file name under (LlamaIndex readers, LangChain loaders).
TITLE_KEYS = ("title", "document_title", "doc_title", "file_name", "filename", "source", "file_path", "path")


def title_of(metadata: Any) -> str | None:
    """A page's title or file name from a node's or document's metadata (a path gives its file name)."""
    if not isinstance(metadata, dict):
        return None
    for key in TITLE_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return Path(value).name if key in ("source", "file_path", "path") else value
    return None


def catalog_from_corpus(texts: Sequence[str], titles: Sequence[str | None] | None = None,
                        ids: Sequence[str | None] | None = None, min_support: int = 2,
                        catalog: Catalog | str | Path | Sequence[str | Path] | None = None,
                        write_to: str | Path | None = None) -> Catalog:
    """The known catalog (built-in, plus ``catalog``) extended by one learned from the corpus, ready for the
    rules backend's ``catalog=``; ``write_to``: also write the learned catalog there (to read or edit)."""
    base = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    mapping = learn_catalog(texts, titles, ids, min_support, base)
    if write_to is not None:
        write_learned(mapping, write_to)
    return extend(base, mapping)


def extend(base: Catalog, mapping: dict[str, Any], source: str = "learned") -> Catalog:
    """``base`` with a learned catalog mapping added (it only adds: clashes are dropped with notes)."""
    return parse_catalog([(" + ".join(base.sources) or "known", _as_data(base)), (source, mapping)])


def _pages(texts: Iterable[str], titles: Sequence[str | None] | None, ids: Sequence[str | None] | None) -> list[_Page]:
    pages = []
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"text {index + 1} is not a string ({type(text).__name__})")
        title = (titles[index] if titles is not None and index < len(titles) else None) or ""
        ident = (ids[index] if ids is not None and index < len(ids) else None) or str(index + 1)
        title = nfkc(_FILE_SUFFIX.sub("", str(title)).replace("_", " ")).strip()
        body = nfkc(text)
        match = re.search(r"\S[^\n]*", body)
        first = match.group(0).strip() if match else ""
        if first and _names_a_code(first):
            first = ""  # a table row (0x4413 I2T-Model Amplifier overload), not a heading
        headings = tuple(h for h in (title, first, *_BRACKETED.findall(body[:2000])) if h)
        pages.append(_Page(str(ident), title, body, headings, len(title) + 1 + (match.end() if match else 0)))
    return pages


def _as_data(catalog: Catalog) -> dict[str, Any]:
    """A built Catalog back as a mapping (the trial catalog is built on top of it)."""
    return {
        "brands": [{"id": b.id, "name": b.name, "aliases": list(b.aliases)} for b in catalog.brands.values()],
        "series": [{"id": s.id, **({"brand": s.brand} if s.brand else {}), "name": s.name, "aliases": list(s.aliases),
                    "context_aliases": list(s.context_aliases), "order_codes": list(s.order_codes),
                    "codes": [{"prefix": c.prefix, "digits": [c.min_digits, c.max_digits], "family": c.family,
                               "separator": c.separator} for c in s.codes],
                    "fault_codes": [{"code": c.code, **({"family": c.family} if c.family else {})}
                                    for c in s.fault_codes]}
                   for s in catalog.series.values()],
        "software": [{"name": s.name, "aliases": list(s.aliases)} for s in catalog.software.values()],
        **({"learned": True} if any(s.brand is None for s in catalog.series.values()) else {}),
    }


# -- software ---------------------------------------------------------------------------------------------
def _learn_software(pages: list[_Page], min_support: int, base: Catalog) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    shown: dict[str, Counter[str]] = defaultdict(Counter)
    for index, page in enumerate(pages):
        names = set()
        for match in _SOFTWARE.finditer(page.text):
            words = match.group(1).rstrip(".").split()
            while len(words) > 1 and _VERSION.fullmatch(words[-1]):
                words.pop()  # Grbl 1.1h: the name is Grbl
            name = " ".join(words)
            if (not (any(c.isupper() for c in name) or any(c.isdigit() for c in name)) or name.lower() in _NOT_MNEMONIC
                    or any(w.lower() in _NOT_SOFTWARE for w in words)):
                continue  # "software is ...", "Firmware Update Error": words of the sentence
            if _VERSION.fullmatch(name):
                continue
            names.add(_key(name))
            shown[_key(name)][name] += 1
        for key in names:
            found[key].append(index)
    return {shown[key].most_common(1)[0][0]: where for key, where in found.items()
            if len(where) >= min_support and not base.is_software(key) and base.lookup_model(key) is None}


# -- series candidates ----------------------------------------------------------------------------------
def _series_candidates(pages: list[_Page], base: Catalog, software: dict[str, list[int]]
                       ) -> tuple[dict[str, Counter[str]], list[tuple[str, str]]]:
    """Normal form -> its written forms (counted), from headings; and the ``X (Y)`` pairs seen."""
    spaced: list[tuple[str, str]] = []  # (series word, part) written apart in a heading
    glued: set[str] = set()  # lower-case heading words of a series word and a part, glued or hyphenated
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    titles_of: dict[str, set[str]] = defaultdict(set)  # normal -> titles it was read in
    in_body: set[str] = set()  # normals read in a heading that is not the title
    pairs: list[tuple[str, str]] = []
    software_keys = {_key(name) for name in software} | base.software_keys
    for page in pages:
        for h_index, heading in enumerate(page.headings):
            is_title = h_index == 0 and heading == page.title
            words = list(_WORD.finditer(heading))
            for i, match in enumerate(words):
                word = match.group(0)
                glued.add(word.lower())
                nxt = words[i + 1] if i + 1 < len(words) else None
                if (nxt is not None and _SERIES_WORD.fullmatch(word) and heading[match.end():nxt.start()] == " "
                        and _PART.fullmatch(nxt.group(0))):
                    spaced.append((word, nxt.group(0)))
                if (_MODEL_TOKEN.fullmatch(word)
                        and _plausible(word, heading, match.start(), match.end(), software_keys)):
                    # keyed by the main model: ATV340U15N4 is a variant of ATV340, written as the series' prefix
                    normal = main_model_of(word.lower())
                    forms[normal][_written_main(word, normal)] += 1
                    (titles_of[normal].add(page.title) if is_title else in_body.add(normal))
            for match in _PAIR.finditer(heading):
                pairs.append((match.group(1).strip(), match.group(2)))
    # A series word: written glued or hyphenated to a part somewhere (ACOPOSinverterP86, OSP-P300); then it is
    # one series with every part it stands before (ACOPOSinverter P76 too), not a brand before a model
    series_words = {word.lower() for word, part in spaced
                    if (word + part).lower() in glued or f"{word}-{part}".lower() in glued}
    parts = set()  # parts of joined series: no series of their own
    for word, part in spaced:
        if word.lower() in series_words and _key(word) not in software_keys:
            normal = normalize_product((word + part).lower())
            forms[normal][f"{word} {part}"] += 1
            in_body.add(normal)
            parts.add(normalize_product(part.lower()))
    for long, short in pairs:  # PreciseFlex 400 (PF400), ZETAMOTION ZA7 (Z7): Y is a name of the same series
        small = normalize_product(short.lower())
        long_words = long.split()
        for cut in range(len(long_words)):  # the longest tail of X that is a candidate
            big = normalize_product(" ".join(long_words[cut:]).lower())
            if big in forms and small != big and (_abbreviates(small, big) or small in big):
                forms[big][short] += 1
                parts.add(small)
                break
    keep = {}
    for normal, written in forms.items():
        if normal in parts or _known(base, normal):
            continue
        # Written only in the file names of one document: a document or part number, not a series
        if normal not in in_body and len(titles_of[normal]) < 2:
            continue
        keep[normal] = written
    return keep, pairs


@lru_cache(maxsize=65536)
def _read_as_code(word: str) -> bool:
    """Whether the rules read ``word`` alone as a fault code or parameter (E100, AL013, P0-01), not a model."""
    entities = extract_entities(word, _EMPTY_CATALOG)
    return bool(entities.faults or entities.parameters) and not entities.products


_EMPTY_CATALOG = parse_catalog([("empty", {})])


def _written_main(word: str, main: str) -> str:
    """The part of ``word`` as written that spells its main model (``ATV340`` of ``ATV340U15N4``)."""
    count = 0
    for index, char in enumerate(word):
        if char.isalnum():
            if count >= len(main) or char.lower() != main[count]:
                return word if count < len(main) else word[:index].rstrip("-_ ")
            count += 1
    return word


def _names_a_code(line: str) -> bool:
    """Whether the rules (no catalog) read a fault code or parameter in ``line``."""
    entities = extract_entities(line, _EMPTY_CATALOG)
    return bool(entities.faults or entities.parameters)


def _known(catalog: Catalog, normal: str) -> bool:
    """Whether the catalog reads ``normal`` as one of its series: an alias, a variant of one (``sv660n`` of
    SV660: the alias ends before a digit run's end or a variant letter), an order code. A longer series word
    that merely starts with an alias (``acoposinverterp76`` and ACOPOS) is not known: it names another line."""
    series = catalog.lookup_model(normal, main_model_of(normal))
    if series is None:
        return False
    for alias in (*series.aliases, *series.context_aliases):
        key = normalize_product(alias.lower())
        if normal.startswith(key) and key[-1:].isalpha() and normal[len(key):len(key) + 1].isalpha():
            return False
    return True


def _abbreviates(short: str, long: str) -> bool:
    """``v90`` of ``sinamicsv90``, ``pf400`` of ``preciseflex400``: the short form's characters in order in the
    long one, the same digits, the same first letter."""
    if not short or len(short) >= len(long) or short[0] != long[0]:
        return False
    if re.sub(r"\D", "", short) != re.sub(r"\D", "", long) and not long.endswith(short):
        return False
    rest = iter(long)
    return all(ch in rest for ch in short)


def _plausible(word: str, heading: str, start: int, end: int, software_keys: set[str]) -> bool:
    """A model-shaped heading word that may name a series: the rules (no catalog) read a product there, not a
    weak one (``Troubleshooting P0``), or a product word follows it (``Ai-02 控制器``: AI is a word the rules
    keep for text); never a code, parameter, version or software name."""
    if len(word) > 32 or _read_as_code(word) or _key(word) in software_keys or _VERSION.fullmatch(word):
        return False
    if heading[end:].lstrip(" ").lower().startswith(_HEADING_PRODUCT_WORDS):
        return True
    return any(s < end and start < e and not p.weak for p, (s, e) in _heading_products(heading))


@lru_cache(maxsize=4096)
def _heading_products(heading: str) -> tuple[tuple[Any, tuple[int, int]], ...]:
    """The models the rules read in a heading with no catalog (NFKC keeps a heading's offsets here: the
    pages' text is NFKC'd already)."""
    return tuple((p, p.span) for p in extract_entities(heading, _EMPTY_CATALOG).products if not p.is_brand)


# -- support, brands, codes -----------------------------------------------------------------------------
class _Learner:
    def __init__(self, pages: list[_Page], base: Catalog, trial: Catalog, min_support: int,
                 software: dict[str, list[int]], pairs: list[tuple[str, str]],
                 candidates: dict[str, Counter[str]]) -> None:
        self.pages, self.base, self.trial, self.min_support = pages, base, trial, min_support
        self.candidates = candidates
        self.software, self.pairs = software, pairs
        self.support: dict[str, list[int]] = defaultdict(list)  # series id -> pages
        self.written: dict[str, Counter[str]] = defaultdict(Counter)  # series id -> written forms
        self.brand_votes: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)  # series -> (kind, brand)
        self.brand_pages: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.codes: dict[str, Counter[str]] = defaultdict(Counter)  # series id -> code -> pages
        self.code_pages: dict[str, list[int]] = defaultdict(list)
        # A mnemonic is a code where the corpus writes the word mostly as a code (FPGA, over, temp, AFE are
        # words of descriptions too): its occurrences in a code position, and all its occurrences
        self.mnemonic_pages: Counter[str] = Counter()
        self.word_pages: Counter[str] = Counter()

    def run(self) -> Learned:
        for index, page in enumerate(self.pages):
            self._read_page(index, page)
        return self._result()

    def _read_page(self, index: int, page: _Page) -> None:
        whole = page.title + "\n" + page.text
        entities = extract_entities(whole, self.trial)
        # The series a page names: the catalog's series aliases found in it (whatever the product pass makes
        # of the words around them: "ZETAMOTION ZA9" may read as one unknown model until the brand is known),
        # and the series of the models the rules read (variants: SV660N of SV660).
        codes = [f.span for f in (*entities.faults, *entities.parameters)]
        mentions = [(h.start, h.end, h.id) for h in self.trial.find_aliases(lower_same_length(whole))
                    if h.kind == "series" and not h.context
                    and not any(s < h.end and h.start < e for s, e in codes)]  # a code the rules read is no series
        mentions += [(p.span[0], p.span[1], p.series) for p in entities.products if p.series and not p.is_brand]
        mentions.sort()
        brands = {p.span[1]: p.brand for p in entities.products if p.is_brand and p.brand is not None}
        named: dict[str, None] = {}
        in_heading: dict[str, None] = {}
        last_end = -1
        for start, end, ident in mentions:
            if start < last_end:
                continue  # inside a mention already counted
            last_end = end
            named[ident] = None
            if start < page.heading_end:
                in_heading[ident] = None
            self.written[ident][whole[start:end]] += 1
            vote = self._brand_before(whole, start, brands) or self._brand_after(whole, end)
            if vote is not None:
                self.brand_votes[ident][vote] += 1
                if not self.brand_pages[(ident, vote[1])] or self.brand_pages[(ident, vote[1])][-1] != index:
                    self.brand_pages[(ident, vote[1])].append(index)
        for ident in named:
            self.support[ident].append(index)
        self.word_pages.update(_MNEMONIC_WORDS.findall(lower_same_length(whole)))
        owner = next(iter(in_heading)) if len(in_heading) == 1 else next(iter(named)) if len(named) == 1 else None
        if owner is not None:
            listed = self._codes(whole, entities)
            self.mnemonic_pages.update(code.lower() for code in listed if _mnemonic(code))
            for code in dict.fromkeys(listed):
                self.codes[owner][code] += 1
            self.code_pages[owner].append(index)

    def _brand_before(self, text: str, start: int, brands: dict[int, str]) -> tuple[str, str] | None:
        """("known", brand id) or ("new", the word) written right before a series at ``start``; ``brands``:
        the known brands read in the text, by where they end."""
        for gap in (0, 1):
            if start - gap in brands and text[start - gap:start].strip(" _") == "":
                return ("known", brands[start - gap])
        window = max(0, start - 24)
        head = text[window:start]
        trimmed = head[:-1] if head.endswith(" ") else head
        cjk = _CJK_RUN.search(trimmed)
        if cjk is not None:
            run = cjk.group(0)
            stands_alone = cjk.start() > 0 or window == 0  # not the end of a longer run of text
            if (2 <= len(run) <= 4 and stands_alone and run not in _NOT_BRAND_ZH and not run.endswith(_PRODUCT_ENDS)
                    and not _FUNCTION_CHARS.intersection(run)):
                return ("new", run)
            return None
        latin = _LATIN_BEFORE.search(head)
        if latin is not None:
            word = latin.group(1)
            if (len(word) >= 3 and word.lower() not in _NOT_MNEMONIC and (word[0].isupper())
                    and not self.base.is_software(word) and _key(word) not in self.software):
                return ("new", word)
        return None

    def _brand_after(self, text: str, end: int) -> tuple[str, str] | None:
        """("new", word) of a brand in brackets right after a series: ``PreciseFlex 400（Brooks）``."""
        match = _BRAND_AFTER.match(text, end)
        if match is None:
            return None
        word = match.group(1)
        if word in _NOT_BRAND_ZH or word.lower() in _NOT_MNEMONIC or self.base.is_software(word):
            return None
        known = [h for h in self.base.find_aliases(word.lower()) if h.kind == "brand" and h.end - h.start == len(word)]
        return ("known", known[0].id) if known else ("new", word)

    def _codes(self, text: str, entities: Any) -> list[str]:
        """The codes a page lists, as written, once per place: what the rules read (signed codes after their cues
        included), table rows' first cells, mnemonics in brackets beside a number or right after a code cue."""
        found = {f.span: f.text for f in entities.faults}
        read = list(found)

        def add(spans: Iterable[tuple[int, int]], mnemonic: bool) -> None:
            for span in spans:
                code = text[span[0] : span[1]]
                if not (_mnemonic(code) if mnemonic else _ROW_NUMBER.fullmatch(code)):
                    continue
                # not inside a code the rules read (EB00.1 is the E family, not a mnemonic EB00)
                if span not in found and not any(s < span[1] and span[0] < e for s, e in read):
                    found[span] = code

        paired = list(_PAIRED.finditer(text))
        cells = [m.span("cell") for m in table_rows(lower_same_length(text))]
        add((m.span(1) for m in paired), False)
        add((m.span(2) for m in paired), True)
        add(cells, True)
        add((m.span(1) for m in _CUED.finditer(text)), True)
        add(cells, False)
        return [c for _, c in sorted(found.items())
                if len(c) <= 24 and re.fullmatch(r"-?[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*", c)]

    # -- the catalog mapping --------------------------------------------------------------------------
    def _result(self) -> Learned:
        min_support, pages = self.min_support, self.pages
        evidence: dict[tuple[str, str], list[int]] = {}
        kept = [i for i, where in self.support.items() if len(where) >= min_support]
        brands = self._brands(kept, evidence)
        series_out = []
        for ident in kept:
            where = self.support[ident]
            known = ident in self.base.series
            entry: dict[str, Any] = {"id": ident}
            if not known:
                written = self.written[ident]
                entry["name"] = written.most_common(1)[0][0]
                if ident in brands:
                    entry["brand"] = brands[ident]
                forms = self.candidates.get(ident[len(LEARNED_PREFIX):], written)
                entry["aliases"] = _distinct(forms, MAX_ALIASES)
            codes = [c for c, n in self.codes[ident].items() if (n >= min_support or not _lower_mnemonic(c))
                     and not (_mnemonic(c) and 2 * self.mnemonic_pages[c.lower()] < self.word_pages[c.lower()])]
            if codes:
                entry["fault_codes"] = _fault_codes(codes[:MAX_CODES])
            if known and "fault_codes" not in entry:
                continue
            entry["support"] = len(where)
            entry["pages"] = [pages[i].id for i in where[:MAX_PAGE_IDS]]
            evidence[("series", ident)] = where
            series_out.append(entry)
        self._pair_aliases(series_out)
        software = []
        for name, where in self.software.items():
            software.append({"name": name, "support": len(where), "pages": [pages[i].id for i in where[:MAX_PAGE_IDS]]})
            evidence[("software", name)] = where
        mapping: dict[str, Any] = {
            "version": 1,
            "learned": {"pages": len(pages), "min_support": min_support},
            "brands": self._brand_entries,
            "series": series_out,
            "software": software,
        }
        return Learned(mapping, pages, evidence)

    def _brands(self, kept: list[str], evidence: dict[tuple[str, str], list[int]]) -> dict[str, str]:
        """Series id -> brand id; the new brands' entries in ``_brand_entries``. The new words seen before the same
        series are one brand's names (FAIRINO and 法奥), joined across series that share one."""
        self._brand_entries: list[dict[str, Any]] = []
        chosen: dict[str, str] = {}
        groups: list[tuple[set[str], set[str]]] = []  # (names, series)
        word_pages: dict[str, set[int]] = defaultdict(set)  # a brand word's pages, beside any series
        for (_, word), where in self.brand_pages.items():
            word_pages[word].update(where)
        for ident in kept:
            if ident in self.base.series:
                continue
            votes = {vote: n for vote, n in self.brand_votes[ident].items()
                     if len(word_pages[vote[1]]) >= self.min_support}
            known = [vote for vote in votes if vote[0] == "known"]
            if known:
                chosen[ident] = max(known, key=lambda vote: votes[vote])[1]
                continue
            names = {word for kind, word in votes if kind == "new" and self.trial.lookup_model(_key(word)) is None}
            if names:
                groups.append((names, {ident}))
        # A brand is written beside its series: a word the corpus mostly writes elsewhere is a word of text
        # (Troubleshooting, 下表列出), and a Latin word it also writes in lower case is one (Amplifier)
        words = {w for names, _ in groups for w in names}
        if words:
            beside: Counter[str] = Counter()
            for votes in self.brand_votes.values():
                for (kind, word), n in votes.items():
                    if kind == "new":
                        beside[word] += n
            pattern = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True))
                                 + r")(?![A-Za-z])", re.I)
            written = Counter(m for page in self.pages for m in pattern.findall(page.title + "\n" + page.text))
            everywhere: Counter[str] = Counter()
            for form, n in written.items():
                everywhere[form.lower()] += n
            bad = {w for w in words if 2 * beside[w] < everywhere[w.lower()] or (w.isascii() and w.lower() in written)}
            groups = [(names - bad, members) for names, members in groups if names - bad]
        merged: list[tuple[set[str], set[str]]] = []
        for names, members in groups:
            for other in [g for g in merged if g[0] & names]:
                merged.remove(other)
                names, members = names | other[0], members | other[1]
            merged.append((names, members))
        for names, members in merged:
            where = sorted({i for ident in members for w in names for i in self.brand_pages[(ident, w)]})
            order = sorted(names, key=lambda w: (not w.isascii(), -len(self.brand_pages_of(w, members)), w))
            brand_id = LEARNED_PREFIX + _key(order[0])
            self._brand_entries.append({"id": brand_id, "name": order[0], "aliases": order, "support": len(where),
                                        "pages": [self.pages[i].id for i in where[:MAX_PAGE_IDS]]})
            evidence[("brands", brand_id)] = where
            for ident in members:
                chosen[ident] = brand_id
        return chosen

    def brand_pages_of(self, word: str, members: set[str]) -> set[int]:
        return {i for ident in members for i in self.brand_pages[(ident, word)]}

    def _pair_aliases(self, series_out: list[dict[str, Any]]) -> None:
        """``SINAMICS V90 (V90)``: Y an alias of X's series where Y's letters and digits are part of X."""
        by_id = {e["id"]: e for e in series_out}
        for long, short in self.pairs:
            series = self.trial.lookup_model(normalize_product(long.lower()))
            small = normalize_product(short.lower())
            if series is None or small not in normalize_product(long.lower()) or len(small) < 2:
                continue
            if self.trial.lookup_model(small) is not None:
                continue  # already read as a model of some series
            entry = by_id.get(series.id)
            if entry is None:
                # a series left out (or a known one with nothing learned): the alias needs the series' support
                where = self.support.get(series.id, [])
                if len(where) < self.min_support:
                    continue
                entry = {"id": series.id, "support": len(where),
                         "pages": [self.pages[i].id for i in where[:MAX_PAGE_IDS]]}
                series_out.append(entry)
                by_id[series.id] = entry
            aliases = entry.setdefault("aliases", [])
            if short not in aliases:
                aliases.append(short)


# Characters of Chinese function words and verbs of manual prose (下表列出, 请使用, 适用于): no brand name has them.
_FUNCTION_CHARS = frozenset("的了出表列本章请在是用为将对以及与和或该此其由从向把被按如若时见参使")
_PRODUCT_ENDS = tuple(PRODUCT_WORDS) + ("控制器", "系统", "协作", "协作机器人", "的")


def _mnemonic(token: str) -> bool:
    lower = token.lower()
    return (MNEMONIC_SHAPE.fullmatch(lower) is not None and lower not in _NOT_MNEMONIC
            and _TITLE_WORD.fullmatch(token) is None and _FAMILY_CODE.match(token) is None)


def _lower_mnemonic(code: str) -> bool:
    """A mnemonic written all in lower case (``ov``): the weakest reading, kept only with enough support."""
    return code.islower() and MNEMONIC_SHAPE.fullmatch(code) is not None


def _fault_codes(codes: list[str]) -> list[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    for code in codes:
        if code.lower() in seen:
            continue
        seen.add(code.lower())
        out.append({"code": code, "family": "MN"} if _mnemonic(code) else code)
    return out


def _distinct(written: Counter[str], limit: int) -> list[str]:
    """The written forms, those split in more places and the most common first, leaving out a form whose
    spellings (spaced, hyphenated, glued: the catalog reads each alias so) one before it covers."""
    out: list[str] = []
    covered: set[str] = set()
    for form in sorted(written, key=lambda f: (-len(re.findall(r"[\s\-_]+", f.strip())), -written[f])):
        keys = _alias_keys(form)
        if keys and not keys <= covered:
            covered |= keys
            out.append(form)
    return out[:limit]


def write_learned(mapping: dict[str, Any], path: str | Path) -> None:
    """The learned mapping as a YAML catalog file people can read and edit."""
    header = ("# A catalog learned by `ea-judge catalog learn` from a corpus (no labels, no model). Edit freely;\n"
              "# load it with --catalog / catalog=. Entries clashing with the built-in or a user catalog are\n"
              "# dropped on loading (the others win). support: pages that support an entry; pages: their ids.\n")
    text = yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
    Path(path).write_text(header + text, encoding="utf-8")
