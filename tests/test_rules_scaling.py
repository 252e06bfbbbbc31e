"""No input makes the rules judge slow (benchmarks/rules_scaling.py measures; this keeps the fixes in).

No wall-clock assertions: each adversarial text is long enough (200k to 1.5M characters) that the quadratic
reading it guards against took two minutes or more (from its cost at 64k in benchmarks/RESULTS.md), so
pytest-timeout's limit fails it; read linearly, each takes well under a second. The fixed patterns and the
indexed comparisons are pinned to what they replaced, both ways, on generated inputs.
"""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ea_plugin.backends.rules import RulesBackend
from ea_plugin.judgement import Pair
from ea_plugin.rules import codes, extract, extract_entities, products
from ea_plugin.rules import decision as rules_decision
from ea_plugin.rules.catalog import load_catalog
from ea_plugin.rules.decision import check_faults, check_parameters, check_products
from ea_plugin.rules.normalize import nfkc
from ea_plugin.rules.records import Entities, FaultCode, Parameter, Product
from ea_plugin.rules.text import CACHED_TOKEN

N = 200_000
CATALOG = load_catalog()
_NAMES = [a for s in CATALOG.series.values() for a in s.aliases]
_NAMES += [a for b in CATALOG.brands.values() for a in b.aliases]


def _fill(unit, n: int = N) -> str:
    return "".join(unit(i) for i in range(n // len(unit(0)) + 1))[:n]


# name: (text maker, characters); before the fixes each took >= 2 minutes (quadratic from its 64k cost)
ADVERSARIAL = {
    "digits then x (hex-h run)": (lambda n: "1" * (n - 1) + "x", N),  # ~3 hours before
    "al, digits, g (AL run)": (lambda n: "al" + "1" * (n - 3) + "g", N),
    "a., digits, g (A. run)": (lambda n: "a." + "1" * (n - 3) + "g", N),
    "e, digits, g (E run)": (lambda n: "e" + "1" * (n - 2) + "g", N),
    "model, digits, .1 (model run)": (lambda n: "ab" + "1" * (n - 4) + ".1", N),
    "letters then a digit (catalog prefixes)": (lambda n: "a" * (n - 1) + "1", 1_500_000),
    "dotted token": (lambda n: _fill(lambda i: "a1.", n), 1_500_000),
    "hyphenated token": (lambda n: _fill(lambda i: "ab1-", n), 1_500_000),
    "aliases and codes": (lambda n: _fill(lambda i: f"{_NAMES[i % len(_NAMES)]} E{100 + i % 900} ", n), 800_000),
    "Zalgo marks": (lambda n: ("a" + "\u0301\u0316" * n)[:n], 600_000),
    "Tibetan vowel signs (decompose to marks)": (lambda n: "\u0f40" + "\u0f73\u0f75" * (n // 2 - 1) + "x", 600_000),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_text_is_read_in_linear_time(name: str):
    make, n = ADVERSARIAL[name]
    text = make(n)
    assert len(text) >= n - 2
    extract_entities(text, CATALOG)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("unit", [lambda i, s: f"E{s}{i:05d} ", lambda i, s: f"XYZ{s}{i}-7A MG {s}{i % 50:02d} ",
                                  lambda i, s: f"AL.{s}{i % 900:03d} Pn{s}{i % 90:02d} {_NAMES[(2 * i + s) % 40]} "],
                         ids=["codes", "models", "codes, parameters and aliases"])
def test_long_question_against_long_chunk_is_linear(unit):
    question, chunk = (_fill(lambda i, s=s: unit(i, s), 300_000) for s in (1, 2))  # ~2 minutes before
    (judgement,) = RulesBackend(CATALOG).score([Pair(question, chunk)])  # no shared entity: every pair compared
    assert judgement.label in ("对齐", "不对齐")


# -- the possessive patterns match what the backtracking ones did --------------------------------------
_OLD_FAMILY = re.compile(
    r"(?:(?:error|err|er|e)(?:[.\-_]?(?P<e>[0-9a-f]?\d[0-9a-f]*)|[.\-_](?P<e_word>[a-z]{2,3}\d{0,2}))"
    r"|alm?[.\-_]?(?P<al>[0-9a-f]*\d[0-9a-f]*)|a\.(?P<a>[0-9a-f]*\d[0-9a-f]*)|fault[.\-_]?(?P<fault>\d+)"
    r"|f(?P<f>\d{3,5})|n(?P<n>\d{3})|0x(?P<hex>[0-9a-f]+)|(?P<hex_h>[0-9a-f]*\d[0-9a-f]*)h"
    r")(?:\.(?P<sub>\d+))?(?![a-z0-9])"
)
_OLD_MODEL = re.compile(
    r"(?P<letters>[a-z]{1,24})(?:(?P<sep>[ \-_])?(?P<digits>\d+)[a-z0-9]*"
    r"|(?P<part_sep>[ \-_])(?P<part>[a-z]{1,3}\d[a-z0-9]*))(?:[\-_][a-z0-9]+)*"
)
_PIECES = ["e", "er", "err", "error", "al", "alm", "a", "a.", "fault", "f", "n", "0x", "h", "g", "x", "m", "b",
           ".", "-", "_", " ", "0", "1", "7", "12", "310", "0421", "abc", "ff", "z"]
token_like = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)


def _same(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
    return (a is None) == (b is None) and (a is None or (a.span(), a.groupdict()) == (b.span(), b.groupdict()))


@settings(max_examples=400, deadline=None)
@given(token=token_like)
def test_family_pattern_matches_as_before(token: str):
    assert _same(codes._FAMILY.match(token), _OLD_FAMILY.match(token))


@settings(max_examples=400, deadline=None)
@given(token=token_like)
def test_model_pattern_matches_as_before(token: str):
    assert _same(products._MODEL.fullmatch(token), _OLD_MODEL.fullmatch(token))


@pytest.mark.parametrize(("token", "group", "value"), [
    ("al012", "al", "012"), ("alm0f1", "al", "0f1"), ("a.7f", "a", "7f"), ("e100", "e", "100"),
    ("e.oc1", "e_word", "oc1"), ("e100.1g", "e", "100"),
    ("2310h", "hex_h", "2310"), ("ff1fh", "hex_h", "ff1f"), ("0x0f0001", "hex", "0f0001"), ("fault_02", "fault", "02"),
    ("e100.12", "sub", "12"), ("al" + "1" * 5000, "al", "1" * 5000),
])
def test_family_pattern_reads(token: str, group: str, value: str):
    assert codes._FAMILY.match(token).group(group) == value


@pytest.mark.parametrize("token", ["al12g", "alm", "a.g1", "e1g", "e100g", "abch", "12x", "0xg",
                                   "al" + "1" * 5000 + "g", "1" * 5000 + "x"])
def test_family_pattern_refuses(token: str):
    assert codes._FAMILY.match(token) is None


@pytest.mark.parametrize(("token", "digits"), [("sv660n", "660"), ("asda-a2", None), ("mr-j4-10a", None),
                                               ("ab12cd-34", "12"), ("mg 400", "400"), ("ab" + "1" * 5000, "1" * 5000)])
def test_model_pattern_reads(token: str, digits: str | None):
    assert products._MODEL.fullmatch(token).group("digits") == digits


@pytest.mark.parametrize("token", ["ab1.1", "abcdefghijklmnopqrstuvwxyz1", "ab-", "ab" + "1" * 5000 + ".1", "1ab"])
def test_model_pattern_refuses(token: str):
    assert products._MODEL.fullmatch(token) is None


# -- the catalog and alias lookups answer as the plain loops did ----------------------------------------
def _old_lookup(normal: str, main: str, context: bool):
    aliases = CATALOG._all_aliases if context else CATALOG._model_aliases
    for key in (normal, main):
        if key in aliases:
            return CATALOG.series[aliases[key]]
    for length in range(len(normal) - 1, 2, -1):
        ident = aliases.get(normal[:length])
        if ident is not None and not (normal[length - 1].isdigit() and normal[length].isdigit()):
            return CATALOG.series[ident]
    match = CATALOG._order_codes.match(normal) if CATALOG._order_codes else None
    return CATALOG.series[CATALOG._order_ids[match.lastgroup]] if match else None


def test_lookup_model_as_before():
    rng = random.Random(3)
    tails = ("", "1", "x", "10a" * rng.randrange(1, 30))
    normals = [k + tail for k in list(CATALOG._all_aliases)[:300] for tail in tails]
    for normal in normals:
        for context in (False, True):
            assert CATALOG.lookup_model(normal, normal[:4], context) == _old_lookup(normal, normal[:4], context)


def _old_inside(hits, start: int, end: int) -> bool:
    return any(h.kind == "series" and h.start <= start and end <= h.end and h.end - h.start > end - start for h in hits)


def test_inside_alias_as_before():
    rng = random.Random(5)
    for i in range(40):  # few hits (the plain loop) and many (looked up by their ends)
        text = " ".join(rng.choice(_NAMES + ["E100", "e190", "SV660N", "x"]) for _ in range(4 + i % 2 * 60)).lower()
        hits = CATALOG.find_aliases(text)
        assert [h.end for h in hits] == sorted(h.end for h in hits)  # _inside_alias' bisect needs this order
        assert all(h.end - h.start <= CATALOG.longest_alias for h in hits)
        for start in range(0, len(text), 3):
            for end in (start + 1, start + 4, start + 9):
                assert codes._inside_alias(hits, start, end, CATALOG) == _old_inside(hits, start, end)


# -- the indexed comparisons decide as the pair-by-pair ones ----------------------------------------------
_families = st.sampled_from([None, "E", "AL", "HEX", "F", "N", "MN"])
_mains = st.sampled_from(["1", "2", "10", "ff", "oc", "-1", "-2"])  # signed: a dropped sign decides nothing
# A code may be paired with its other name (Code 7 (oH1)): a numbered code with a mnemonic, a mnemonic with a number.
_pairs = st.one_of(st.none(), st.tuples(st.sampled_from([None, "E", "HEX", "MN"]), _mains))


def _fault(family: str | None, main: str, pair: tuple | None) -> FaultCode:
    if pair is not None:  # a numbered code pairs with a mnemonic, a mnemonic with a numbered code
        pair = ("MN", pair[1]) if family != "MN" else (None if pair[0] == "MN" else pair[0], pair[1])
    return FaultCode(f"{family}{main}", (0, 1), "t", family, main, None, pair)


faults = st.lists(st.builds(_fault, _families, _mains, _pairs), max_size=12)
_brands = st.sampled_from([None, "inovance", "delta"])
products_ = st.lists(st.one_of(
    st.builds(lambda b: Product(str(b), (0, 1), "t", str(b), str(b), b or "delta", None, True), _brands),
    st.builds(lambda m, b, s: Product(m, (0, 1), "t", m, m, b, s), _mains, _brands,
              st.sampled_from([None, "inovance/sv660", "delta/asda-a2"]))), max_size=12)
params = st.lists(st.builds(lambda n: Parameter(n, (0, 1), "t", n), st.sampled_from(["h2-0", "pn100", "p1-1"])),
                  max_size=12)


@settings(max_examples=300, deadline=None)
@given(qf=faults, cf=faults, qp=products_, cp=products_, qa=params, ca=params)
def test_indexed_checks_decide_as_the_loops(qf, cf, qp, cp, qa, ca):
    q, c = Entities(tuple(qp), tuple(qf), tuple(qa)), Entities(tuple(cp), tuple(cf), tuple(ca))
    looped = [check(q, c) for check in (check_products, check_faults, check_parameters)]
    saved = rules_decision._LOOPED_QUESTION
    rules_decision._LOOPED_QUESTION = -1  # every comparison through the index
    try:
        indexed = [check(q, c) for check in (check_products, check_faults, check_parameters)]
    finally:
        rules_decision._LOOPED_QUESTION = saved
    assert indexed == looped


# -- NFKC of long runs of marks, and the bounded caches -----------------------------------------------------
_MARKS = ["\u0301", "\u0316", "\u0344", "\u0345", "\u0f73", "\u0f75", "\u05b0", "\u05bc", "\u302a", "\u3099",
          "\U0001d165", "\U0001d16e", "a", "\u1e01", "\u00c5", "\u212b", "\u1100", "\u1161", "\uac00", "Ｅ", "e"]


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from(_MARKS), min_size=0, max_size=120).map("".join))
def test_nfkc_of_mark_runs_is_unicodedata_nfkc(text: str):
    assert nfkc(text) == unicodedata.normalize("NFKC", text)
    long_run = "a" + text.replace("a", "\u0301") * 3 + "\u0316" * 40  # past the run length nfkc orders itself
    assert nfkc(long_run) == unicodedata.normalize("NFKC", long_run)


def test_long_tokens_and_texts_are_not_cached():
    extract.clear_cache()
    before = (codes._token_reading.cache_info().currsize, codes._number_reading.cache_info().currsize,
              products._reading.cache_info().currsize)
    long_tokens = "报警 " + "1" * (CACHED_TOKEN + 1) + " al" + "2" * CACHED_TOKEN + " Zq" + "7" * CACHED_TOKEN
    assert extract_entities(long_tokens, CATALOG) == extract_entities(long_tokens, CATALOG)
    assert (codes._token_reading.cache_info().currsize, codes._number_reading.cache_info().currsize,
            products._reading.cache_info().currsize) == before
    assert extract._extract.cache_info().currsize == 1
    huge = "SV660N E100 " * (extract.LONG_TEXT // 12 + 1)
    assert extract_entities(huge, CATALOG).faults
    assert extract._extract.cache_info().currsize == 1 and extract._extract_long.cache_info().currsize == 0
    middle = huge[: extract.SHORT_TEXT + 1]
    assert extract_entities(middle, CATALOG) is extract_entities(middle, CATALOG)  # the long tier holds it
    assert extract._extract_long.cache_info().currsize == 1
