"""The decision of spec v3 over two sides' entities: products first, then fault codes, then parameters.

Pure functions: ``apply_rules(question, chunk)`` gives the :class:`RuleOutcome` (label, reason, the rule that
decided and the entities it rested on). The rules backend, the training audit and the catalog learner's
checks import it from here.
"""

from __future__ import annotations

import re
from operator import attrgetter
from typing import Any, NamedTuple

from ea_plugin.prompts import ALIGNED, UNALIGNED
from ea_plugin.rules.records import Entities, Entity, FaultCode, Parameter, Product

MATCH, MISMATCH, UNDECIDED = "match", "mismatch", "undecided"


# The records made on every judgement are built by tuple.__new__ with every field: a NamedTuple's own __new__ is
# Python code behind type.__call__ and cost twice as much. Same record, same fields in the same order.
_record = tuple.__new__


class Check(NamedTuple):
    """One rule applied to both sides: its outcome and the entities it rests on."""

    rule: str  # product, fault, parameter
    outcome: str  # match, mismatch, undecided
    question: tuple[Entity, ...]
    chunk: tuple[Entity, ...]
    reason: str


class RuleOutcome(NamedTuple):
    """What the rules decided (a label, not the policy's keep/drop), with the rule that decided it."""

    label: str
    reason: str
    rule: str  # which rule decided: product, fault, parameter, default
    question: tuple[Entity, ...] = ()  # the entities it decided on
    chunk: tuple[Entity, ...] = ()

    def entities(self) -> dict[str, list[str]]:
        return {"question": _texts(self.question), "chunk": _texts(self.chunk)}


def _texts(entities: tuple[Entity, ...]) -> list[str]:
    return [entities[0].text] if len(entities) == 1 else [e.text for e in entities]  # mostly one: no loop


# -- product rule -------------------------------------------------------------------------------------
def _product_side(products: tuple[Product, ...]) -> tuple[Product, ...]:
    """A side naming a model is read by its models only; its brand words add nothing (spec v2)."""
    if len(products) < 2:
        return products  # one product stands for itself, model or brand
    return tuple(p for p in products if not p.is_brand) or products  # no model: all are brands


def _products_relate(a: Product, b: Product) -> bool | None:
    if not (a.is_brand or b.is_brand):  # Product.key without building it: the series where known, else the main
        return a.series == b.series if a.series or b.series else _mains_relate(a.main, b.main)
    if a.is_brand and b.is_brand:
        return a.brand == b.brand
    brand, model = (a, b) if a.is_brand else (b, a)
    return None if model.brand is None else model.brand == brand.brand  # unknown brand: decides nothing


# A series word of letters before a model that is one on its own (DYNAMIXEL XM430, DYNAMIXELXM430, SINAMICS S120):
# the same model as the part written alone (XM430), where no catalog knows either. Four letters at least: a model's
# own letters are no series word (AMD500 is not MD500).
_SERIES_WORD_LETTERS = 4


def _mains_relate(a: str, b: str) -> bool:
    """Whether two main models of no catalog series are one: equal, or one is the other after a series word."""
    if a == b:
        return True
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    cut = len(longer) - len(shorter)
    return (cut >= _SERIES_WORD_LETTERS and shorter[:1].isalpha() and longer.endswith(shorter)
            and longer[:cut].isalpha())


def _parts(main: str) -> list[str]:
    """Every model part of ``main`` after a series word of letters (``_mains_relate``'s shorter side)."""
    letters = len(_WORD.match(main).group(0))  # type: ignore[union-attr]  # the series word ends in this run
    return [main[cut:] for cut in range(_SERIES_WORD_LETTERS, letters)]


# A question of more entities of a type than this is compared with the chunk through an index of the chunk's
# entities (linear), not pair by pair: a long question against a long chunk was quadratic. The same pair
# decides. Up to this many, pair by pair costs at most this many times the chunk's entities.
_LOOPED_QUESTION = 8


def _first_related(q_side: tuple, c_side: tuple, relate: Any) -> tuple[tuple | None, bool]:
    """The first related pair, question-major (``relate`` True), or None and whether some pair is undecided
    (``relate`` None): pair by pair, for questions of up to _LOOPED_QUESTION entities of the type."""
    undecided = False
    for a in q_side:
        for b in c_side:
            related = relate(a, b)
            if related:
                return (a, b), False
            undecided = undecided or related is None
    return None, undecided


def _product_key(p: Product) -> tuple[str, str | None]:
    """Two models relate when these are equal (_products_relate): the series where either has one."""
    return ("series", p.series) if p.series else ("main", p.main)


def _first_related_products(q_side: tuple[Product, ...], c_side: tuple[Product, ...]) -> tuple[tuple | None, bool]:
    """The loop of check_products through an index: the first related pair (question-major, then the chunk's
    first), and whether some pair is undecided (a brand against a model of unknown brand)."""
    models: dict[tuple, int] = {}  # model key -> index of the chunk's first model with it
    parts: dict[str, int] = {}  # a model part after a series word -> index of the chunk's first model with it
    brands_of_models: dict[str | None, int] = {}  # brand -> index of the chunk's first model of that brand
    brands: dict[str | None, int] = {}  # brand -> index of the chunk's first brand word
    for i, b in enumerate(c_side):
        if b.is_brand:
            brands.setdefault(b.brand, i)
        else:
            models.setdefault(_product_key(b), i)
            if b.series is None:
                for part in _parts(b.main):
                    parts.setdefault(part, i)
            brands_of_models.setdefault(b.brand, i)
    none = len(c_side)
    for a in q_side:
        if a.is_brand:
            i = min(brands.get(a.brand, none), brands_of_models.get(a.brand, none) if a.brand is not None else none)
        else:
            i = min(models.get(_product_key(a), none), brands.get(a.brand, none) if a.brand is not None else none)
            if a.series is None:  # one side's model after a series word, the other's alone (_mains_relate)
                i = min(i, parts.get(a.main, none), *(models.get(("main", part), none) for part in _parts(a.main)))
        if i < none:
            return (a, c_side[i]), False
    undecided = (brands and any(not a.is_brand and a.brand is None for a in q_side)) or (
        None in brands_of_models and any(a.is_brand for a in q_side))
    return None, bool(undecided)


def _show_product(p: Product) -> str:
    if p.is_brand:
        return f"{p.text}(品牌)"
    return f"{p.text}(主型号{p.series.split('/')[-1] if p.series else p.main})"


def _sure(products: tuple[Product, ...], other: tuple[Product, ...]) -> tuple[Product, ...]:
    """``products`` without the weak models that are unsure here. A series word in lower or title case that no
    catalog knows (``preciseflex 400``) is plainly one where the other side writes a model with it
    (``PreciseFlex3400``); elsewhere the reading is unsure and decides nothing, on either side (spec v3, rule 4:
    ``during 50Hz``, ``Troubleshooting N5`` are words of running text before a number, not a series)."""
    words = [_WORD.match(p.text.lower()).group(0) if p.weak else None for p in products]  # type: ignore[union-attr]
    if words.count(None) == len(words):  # no weak product: nothing to drop
        return products
    # the openings of the other side's models as long as a series word here (up to 24 letters): linear in both
    # sides (at most 24 lengths)
    lengths = {len(word) for word in words if word and len(word) <= 24}
    openings = {o.model[:n] for o in other if not o.is_brand for n in lengths if n <= len(o.model)}
    return tuple(p for p, word in zip(products, words, strict=True) if word is None or word in openings)


_WORD = re.compile(r"[a-z]*")
_UNDECIDED_BRAND = "品牌与品牌未知的型号无法比较，产品不作判断"


def check_products(question: Entities, chunk: Entities) -> Check | None:
    q_products, c_products = question.products, chunk.products
    if not (q_products and c_products):  # a side of no product has no side to compare (nor a sure one)
        return None
    if question.weak or chunk.weak:
        q_products, c_products = _sure(q_products, c_products), _sure(c_products, q_products)
    q_side = _product_side(q_products)
    c_side = _product_side(c_products) if q_side else ()
    if not c_side:
        return None
    if len(q_side) > _LOOPED_QUESTION:
        pair, undecided = _first_related_products(q_side, c_side)
    else:
        pair, undecided = _first_related(q_side, c_side, _products_relate)
    if pair:
        a, b = pair
        how = "品牌与其型号对齐" if a.is_brand or b.is_brand else "主型号相同"
        return _record(Check, ("product", MATCH, (a,), (b,), f"产品{a.text}与{b.text}{how}"))
    if undecided:
        return _record(Check, ("product", UNDECIDED, q_side, c_side, _UNDECIDED_BRAND))
    q_text, c_text = "、".join(map(_show_product, q_side)), "、".join(map(_show_product, c_side))
    reason = f"产品不同：question为{q_text}，chunk为{c_text}（产品实体优先）"
    return _record(Check, ("product", MISMATCH, q_side, c_side, reason))


# -- fault code rule ----------------------------------------------------------------------------------
def _numbers_relate(fa: str | None, ma: str, fb: str | None, mb: str) -> bool | None:
    """Two numbered codes, the question's first: the same main code and family (a bare number has none and
    matches any); HEX against another family decides nothing; other families differ (F and N: fault and
    warning). A question's unsigned number against the chunk's negative code of its digits decides nothing (a
    sign dropped in typing: 报错20 against -20); a question's negative code and the chunk's unsigned one differ."""
    if fa is None or fb is None or fa == fb:
        if ma == mb:
            return True
        return None if fa is None and fb is None and mb == "-" + ma else False  # the chunk's code signed
    if fa == "HEX" or fb == "HEX":
        return None
    return False


def faults_relate(a: FaultCode, b: FaultCode) -> bool | None:
    """Same main code and family (a bare number has none and matches any); sub-codes never separate;
    HEX against another family decides nothing; F and N (fault and warning) differ. A mnemonic (MN) against
    a mnemonic compares the lower-case names; against a numbered code it decides nothing unless a text pairs
    them (``Code 7 (oH1)``): a paired code counts as either name, mnemonics compared where both sides have one."""
    a_mn, b_mn = a.family == "MN", b.family == "MN"
    if not (a_mn or b_mn):
        return _numbers_relate(a.family, a.main, b.family, b.main)
    mn_a = a.main if a_mn else (a.pair[1] if a.pair else None)
    mn_b = b.main if b_mn else (b.pair[1] if b.pair else None)
    if mn_a is not None and mn_b is not None:
        return mn_a == mn_b
    num_a = a.pair if a_mn else (a.family, a.main)
    num_b = b.pair if b_mn else (b.family, b.main)
    if num_a is not None and num_b is not None:
        return _numbers_relate(*num_a, *num_b)
    return None


class _NumberIndex:
    """The first index at which a numbered name (family, main) relates to the given one."""

    __slots__ = ("first", "any_family", "families")

    def __init__(self) -> None:
        self.first: dict[tuple[str | None, str], int] = {}  # (family, main) -> first index
        self.any_family: dict[str, int] = {}  # main -> first index, any family
        self.families: set[str | None] = set()

    def add(self, i: int, family: str | None, main: str) -> None:
        self.first.setdefault((family, main), i)
        self.any_family.setdefault(main, i)
        self.families.add(family)

    def find(self, family: str | None, main: str, none: int) -> int:
        if family is None:
            return self.any_family.get(main, none)
        return min(self.first.get((family, main), none), self.first.get((None, main), none))


def _hex_undecided(families_a: set[str | None], families_b: set[str | None]) -> bool:
    """Whether a HEX value on one side meets a code of another family on the other (decides nothing)."""
    others_a, others_b = families_a - {None, "HEX"}, families_b - {None, "HEX"}
    return bool(("HEX" in families_b and others_a) or ("HEX" in families_a and others_b))


def _first_related_faults(
    q_faults: tuple[FaultCode, ...], c_faults: tuple[FaultCode, ...]
) -> tuple[tuple | None, bool]:
    """The loop of check_faults through indexes (see _LOOPED_QUESTION): the first related pair (question-major,
    then the chunk's first), and whether some pair is undecided; the same as faults_relate pair by pair. The
    chunk's codes, by kind: numbered alone (c1), numbered paired with a mnemonic (c2), mnemonics (c3)."""
    numbered, alone, pairs_of_mn = _NumberIndex(), _NumberIndex(), _NumberIndex()  # c1+c2, c1, c3's paired numbers
    mn_names: dict[str, int] = {}  # c2's and c3's mnemonic names
    mnemonics: dict[str, int] = {}  # c3's names
    lone_mn = False  # a mnemonic of the chunk that no number is paired with
    for i, b in enumerate(c_faults):
        if b.family != "MN":
            numbered.add(i, b.family, b.main)
            if b.pair is None:
                alone.add(i, b.family, b.main)
            else:
                mn_names.setdefault(b.pair[1], i)
        else:
            mn_names.setdefault(b.main, i)
            mnemonics.setdefault(b.main, i)
            if b.pair is None:
                lone_mn = True
            else:
                pairs_of_mn.add(i, *b.pair)
    none = len(c_faults)
    for a in q_faults:
        if a.family != "MN":
            i = numbered.find(a.family, a.main, none)
            if a.pair is None:
                i = min(i, pairs_of_mn.find(a.family, a.main, none))
            else:
                i = min(i, mnemonics.get(a.pair[1], none))
        else:
            i = mn_names.get(a.main, none)
            if a.pair is not None:
                i = min(i, alone.find(*a.pair, none))
        if i < none:
            return (a, c_faults[i]), False
    q_alone = {a.family for a in q_faults if a.family != "MN" and a.pair is None}
    q_numbered = {a.family for a in q_faults if a.family != "MN"}
    q_paired_mn = {a.pair[0] for a in q_faults if a.family == "MN" and a.pair is not None}
    q_lone_mn = any(a.family == "MN" and a.pair is None for a in q_faults)
    signed = {b.main for b in c_faults if b.family is None and b.main[:1] == "-"}
    signed.update(b.pair[1] for b in c_faults if b.family == "MN" and b.pair and b.pair[0] is None)
    q_bare = [a.main for a in q_faults if a.family is None] + [
        a.pair[1] for a in q_faults if a.family == "MN" and a.pair and a.pair[0] is None]
    undecided = ((q_alone and lone_mn) or (q_lone_mn and alone.families)
                 or (signed and any(f"-{m}" in signed for m in q_bare))
                 or _hex_undecided(q_numbered, numbered.families) or _hex_undecided(q_alone, pairs_of_mn.families)
                 or _hex_undecided(q_paired_mn, alone.families))
    return None, bool(undecided)


def _show_codes(codes: tuple[FaultCode, ...]) -> str:
    return "、".join([f"{code.text}({code.family or '任意'}族主码{code.main})" for code in codes])  # one frame


_FAMILY = attrgetter("family")


_UNDECIDED_HEX = "HEX值与其他族的故障码无法比较，故障码不作判断"
_UNDECIDED_MN = "助记码与未配对的数字故障码（或HEX值与其他族）无法比较，故障码不作判断"


def check_faults(question: Entities, chunk: Entities) -> Check | None:
    if not (question.faults and chunk.faults):
        return None
    if len(question.faults) > _LOOPED_QUESTION:
        pair, undecided = _first_related_faults(question.faults, chunk.faults)
    else:
        pair, undecided = _first_related(question.faults, chunk.faults, faults_relate)
    if pair:
        a, b = pair
        if a.family != b.family and "MN" in (a.family, b.family):  # a mnemonic and a number a text pairs
            how = "为同一故障（文中配对的两个名称）"
        else:
            how = "族相同、主码相同" if a.family != "MN" else "助记码相同"
        return _record(Check, ("fault", MATCH, (a,), (b,), f"故障码{_show_codes((a,))}与{_show_codes((b,))}{how}"))
    if undecided:
        mnemonic = "MN" in map(_FAMILY, question.faults) or "MN" in map(_FAMILY, chunk.faults)
        reason = _UNDECIDED_MN if mnemonic else _UNDECIDED_HEX
        return _record(Check, ("fault", UNDECIDED, question.faults, chunk.faults, reason))
    q_text, c_text = _show_codes(question.faults), _show_codes(chunk.faults)
    reason = f"故障码不同：question为{q_text}，chunk为{c_text}"
    return _record(Check, ("fault", MISMATCH, question.faults, chunk.faults, reason))


# -- parameter rule -----------------------------------------------------------------------------------
def check_parameters(question: Entities, chunk: Entities) -> Check | None:
    if not (question.parameters and chunk.parameters):
        return None
    if len(question.parameters) > _LOOPED_QUESTION:  # through an index: linear
        first: dict[str, Parameter] = {}
        for b in chunk.parameters:
            first.setdefault(b.number, b)
        pair = next(((a, first[a.number]) for a in question.parameters if a.number in first), None)
    else:
        pair = next(((a, b) for a in question.parameters for b in chunk.parameters if a.number == b.number), None)
    if pair:
        reason = f"参数编号{pair[0].text}与{pair[1].text}相同"
        return _record(Check, ("parameter", MATCH, pair[:1], pair[1:], reason))
    q_text = "、".join(p.text for p in question.parameters)
    c_text = "、".join(p.text for p in chunk.parameters)
    reason = f"参数编号不同：question为{q_text}，chunk为{c_text}"
    return _record(Check, ("parameter", MISMATCH, question.parameters, chunk.parameters, reason))


_CHECKS = (check_products, check_faults, check_parameters)  # spec v2's order
_NO_QUESTION_ENTITY = RuleOutcome(ALIGNED, "question中没有实体，默认对齐", "default")
_NO_CHUNK_ENTITY = RuleOutcome(ALIGNED, "chunk中没有question所含类型的实体，默认对齐", "default")


def apply_rules(question: Entities, chunk: Entities) -> RuleOutcome:
    """Spec v2's order: products, then fault codes, then parameters; the first mismatch drops; default keep."""
    if question.empty:  # every rule needs an entity on both sides: the common cases need no check
        return _NO_QUESTION_ENTITY
    if chunk.empty:
        return _NO_CHUNK_ENTITY
    matched: list[Check] = []  # in the rules' order
    notes: list[str] = []  # the undecided rules' reasons
    for rule in _CHECKS:
        check = rule(question, chunk)
        if check is None:
            continue
        if check.outcome == MATCH:
            matched.append(check)
        elif check.outcome == MISMATCH:  # the first mismatch decides: the later rules need not run
            return _record(RuleOutcome, (UNALIGNED, check.reason, check.rule, check.question, check.chunk))
        else:
            notes.append(check.reason)
    if len(matched) == 1 and not notes:  # the common case: one rule matched, nothing to join
        (check,) = matched
        return _record(RuleOutcome, (ALIGNED, check.reason, check.rule, check.question, check.chunk))
    if matched:
        return RuleOutcome(ALIGNED, "，".join([c.reason for c in matched] + notes), matched[0].rule,
                           sum((c.question for c in matched), ()), sum((c.chunk for c in matched), ()))
    if notes:
        return RuleOutcome(ALIGNED, "，".join(notes) + "，默认对齐", "default")
    return _NO_CHUNK_ENTITY
