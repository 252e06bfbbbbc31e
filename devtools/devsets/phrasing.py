"""Build the phrasing probe set: questions typed the many ways users type them, against realistic chunks,
labelled by construction from spec v2 (never by running a backend).

The dev set (scripts/build_devset.py) and the realtext set (scripts/build_realtext.py) vary the chunks; their
questions come from a few templates. Here the chunk side reuses their builders (real table rows, manual-like
pages from scripts/build_realtext.py) and the question side varies: product and code in either order, the code
at the start or the end, case, full-width characters and punctuation, traditional script, Chinese and English
mixed, series words after the model, the forms spec v2 defines as one code, several codes or products in one
question, numbers that are never codes (units, steps, dates, 轴2), brand-only and code-only questions, and
parameter questions. Each pair records its question form in ``variant``.

Labels hold whatever a reading finds in the text: an aligned pair's chunk names the question's product and has
the asked code in one of its rows; a pair that differs by code asks a row that no number of the chunk's rows can
equal (``Tables.far_row`` of build_realtext); the numbers the questions add are spec v2's never-codes, and where
the table is numbered by bare codes they are chosen to equal a code the chunk lists (so a misreading keeps it).

    python scripts/build_phrasing.py              # writes tests/data/phrasing/phrasing.jsonl
    python scripts/build_phrasing.py --out DIR    # elsewhere (the determinism test does this)
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import chain, islice
from pathlib import Path

from devtools.devsets import out_folder
from devtools.devsets.devset import DATA as DEVSET_DATA
from devtools.devsets.devset import Pair, Profile, Row, _fmt, dedupe, fullwidth, load_rows, with_brand, write
from devtools.devsets.realtext import (
    ALL_PROFILES,
    INTROS,
    NEW_PROFILES,
    OUTROS,
    Tables,
    load_table,
    names_in,
    table_chunk,
)
from devtools.devsets.realtext import DATA as REALTEXT_DATA
from ea_plugin.prompts import ALIGNED, UNALIGNED

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "phrasing"
SEED = 20261202
PER_KIND = 9  # pairs per (table, kind)

# --- the code as users write it: only forms that spec v2 makes the same code ----------------------------


def spell(row: Row, rng: random.Random) -> str:
    """A prefixed code in one of the forms spec v2 normalises to the row's family and main code."""
    code, text = row.code, row.text
    if code.family == "al":  # AL013, AL.10, AL.1A: separators, case, leading zeros and ALM are one family
        body = text[2:].lstrip(".")
        return rng.choice([text, f"AL.{body}", f"AL-{body}", f"al{body.lower()}", f"AL{body.lstrip('0') or '0'}",
                           f"ALM{body}"])
    if code.family == "a":  # A.020, A.C90 (the dot-less A710 needs a cue: see phrase)
        body = text[2:]
        return rng.choice([text, f"a.{body.lower()}", f"A.{body.upper()}"])
    if code.family == "e":  # E / Er / Err / Error, separators, a sub-code that never separates
        sub = f".{code.sub}" if code.sub else rng.choice(["", ".0"])
        main = code.main
        return rng.choice([f"E{main}{sub}", f"Er.{main}{sub}", f"Err{main}{sub}", f"ERR-{main}", f"e{main}",
                           f"Err{main.zfill(2)}"])
    if code.family == "f":  # F07801 = F7801; F + 3-5 digits, no separator
        return rng.choice([text, text.lower(), *([f"F{code.main}"] if len(code.main) >= 3 else [])])
    if code.family == "n":
        return rng.choice([text, text.upper()])
    if code.family == "hex":  # 0x2310 = 2310h (4+ hex digits written with h)
        body = text[2:]
        return rng.choice([text, f"0x{body.lower()}", f"0X{body.upper()}", *([f"{body}h", f"{body.upper()}H"]
                                                                           if len(body) >= 4 else [])])
    main = code.main if code.sub is None or rng.random() < 0.3 else f"{code.main}.{code.sub}"
    return main  # a bare number (with its sub-code, or without: sub-codes never separate)


# A bare number is a code only next to a cue (spec v2): the cues before and after it, Chinese and English.
BARE_ZH = ("报警{n}", "{n}号报警", "显示{n}", "故障码{n}", "错误码：{n}", "{n}故障", "报警代码{n}", "报错{n}",
           "出现报警{n}", "提示错误{n}")
BARE_EN = ("alarm {n}", "error {n}", "error code {n}", "fault code {n}", "Alarm {n}")
PREFIX_ZH = ("报{c}", "报警{c}", "显示{c}", "出现{c}", "提示{c}", "报错{c}", "{c}", "出现{c}故障")
PREFIX_EN = ("alarm {c}", "error {c}", "{c}", "fault {c}")


def phrase(row: Row, rng: random.Random, lang: str = "zh") -> str:
    """The code with what users write around it: a cue where spec v2 needs one (bare numbers, A710). A phrase
    opening with a letter or digit opens with a space, so that it never runs into a model (MG400 17号报警)."""
    written = spell(row, rng)
    if row.code.family is None:
        text = rng.choice(BARE_ZH if lang == "zh" else BARE_EN).format(n=written)
    elif row.code.family == "a" and row.text[2:].isdigit() and rng.random() < 0.3:
        cued = ("报警A{b}", "报A{b}", "显示A{b}") if lang == "zh" else ("alarm A{b}",)
        text = rng.choice(cued).format(b=row.text[2:])
    else:
        text = rng.choice(PREFIX_ZH if lang == "zh" else PREFIX_EN).format(c=written)
    return f" {text}" if text[0].isascii() and text[0].isalnum() else text


def tidy(question: str) -> str:
    """One space where templates put two, none at the start or after Chinese punctuation."""
    return re.sub(r"(?:^|(?<=[，、：（？]))\s+", "", re.sub(r"\s{2,}", " ", question))


# --- the product as users write it ---------------------------------------------------------------------

SERIES_WORDS = {"伺服": ("伺服", "驱动器", "系列", "伺服驱动器", "型"), "机械臂": ("机械臂", "机器人", "系列"),
                "机器人": ("机器人", "系列")}


def product(profile: Profile, rng: random.Random, series_word: bool = False) -> str:
    """The series as the table's manuals name it, after its brand at times, or with a series word; the brand and
    the device word where the table names no series (节卡机器人)."""
    if not profile.models:
        return with_brand(rng.choice(profile.brand), profile.kind_word)
    name = rng.choice(profile.models)
    if profile.brand and profile.brand_model and rng.random() < 0.2:
        name = with_brand(rng.choice(profile.brand), rng.choice(profile.brand_model))
    if series_word and name[-1].isascii():  # 短名 A5/G5 always carry theirs already (spec v2: they need one)
        name += rng.choice(SERIES_WORDS[profile.kind_word])
    return name


_LETTERS_DIGITS = re.compile(r"(?<![A-Za-z])([A-Za-z]{2,})(\d+)")


def spaced(name: str, rng: random.Random) -> str:
    """MG 400, AX-5000: a space or hyphen between a model's letters and its number (spec v2: any spaces or
    hyphens). Models of one letter (S120, N5) are left as written."""
    sep = rng.choice((" ", "-"))
    return _LETTERS_DIGITS.sub(lambda m: f"{m[1]}{sep}{m[2]}", name, count=1)


def mixed_case(text: str, rng: random.Random) -> str:
    return "".join(ch.upper() if ch.isascii() and rng.random() < 0.5 else ch.lower() for ch in text)


# --- the question templates, by form ---------------------------------------------------------------------

PRODUCT_FIRST = ("{p}{c}怎么办？", "{p}{c}，怎么处理", "{p}{c}是什么原因", "{p}{c}如何复位？")
CODE_FIRST = ("{c}，{p}怎么办", "{c} {p}怎么处理", "{c}是{p}的什么故障？", "请问{c}（{p}）怎么解决")
CODE_AT_END = ("{p}运行中突然停机，{c}", "请问{p}：{c}", "{p}，{c}")
ENGLISH = ("{p} {c} how to fix", "{c} on {p}, what does it mean?", "How to reset {c} on {p}?")
MIXED = ("{p} {c} 怎么reset", "{p} {c}，请问怎么处理", "{c} {p} 怎么办", "{p}出现{c}，how to fix?")
CODE_ONLY = ("{c}怎么办？", "{c}是什么意思", "请问{c}如何处理", "{c} 怎么reset")
# Numbers that spec v2 says are never codes: with a unit, a step, a date, a part index.
NOT_CODES = ("运行{n}小时后", "第{n}步做完后", "断电{n}秒后重启", "重启{n}次后", "轴{n}停了", "2023年{n}月买的",
             "24V电源正常", "电机7.5kW", "50Hz运行时", "1000rpm时", "负载{n}0%时")
TWO_CODES = ("{a}和{b}有什么区别", "{p}{a}、{b}怎么处理", "{p}先{a}后{b}，怎么办")
# Simplified -> traditional for the characters of the templates and cues (the product is left as written).
HANT = str.maketrans(dict(zip("报显现错误码驱动机么办处这为时后运电检变频复该种问题个号请说明吗买启",
                              "報顯現錯誤碼驅動機麼辦處這為時後運電檢變頻復該種問題個號請說明嗎買啟", strict=True)))
_FULLWIDTH_PUNCT = str.maketrans({",": "，", "?": "？", ":": "：", "(": "（", ")": "）", "!": "！", ";": "；"})


def ask(row: Row, profile: Profile, rng: random.Random) -> tuple[str, str]:
    """One question about ``row`` (its product and code) in a randomly chosen form, and the form's name."""
    form = rng.choice(("product_first", "code_first", "code_at_end", "english", "mixed_zh_en", "series_word",
                       "case_lower", "case_upper", "case_mixed", "fullwidth", "traditional", "not_a_code_number",
                       *("model_spacing",) * 3))  # thrice: few tables have a model of letters and a number
    if form == "series_word":
        return rng.choice(PRODUCT_FIRST).format(p=product(profile, rng, True), c=phrase(row, rng)), form
    if form == "english":
        return rng.choice(ENGLISH).format(p=product(profile, rng), c=phrase(row, rng, "en")), form
    if form == "mixed_zh_en":
        template = rng.choice(MIXED)
        lang = "zh" if "出现" in template else "en"
        return template.format(p=product(profile, rng), c=phrase(row, rng, lang)), form
    if form in ("code_first", "code_at_end"):
        templates = CODE_FIRST if form == "code_first" else CODE_AT_END
        return rng.choice(templates).format(p=product(profile, rng), c=phrase(row, rng).strip()), form
    if form == "traditional":  # the template and cues in traditional script; the product as written
        q = rng.choice(PRODUCT_FIRST + CODE_FIRST).format(p="\0", c=phrase(row, rng)).translate(HANT)
        return q.replace("\0", product(profile, rng)), form
    if form == "not_a_code_number":
        return "", form  # built by the caller, which knows the chunk's numbers
    q = rng.choice(PRODUCT_FIRST).format(p=product(profile, rng), c=phrase(row, rng))
    if form == "case_lower":
        return q.lower(), form
    if form == "case_upper":
        return q.upper(), form
    if form == "model_spacing":
        spaceable = [m for m in profile.models if _LETTERS_DIGITS.search(m)]
        name = spaced(rng.choice(spaceable), rng) if spaceable else product(profile, rng)
        form = form if spaceable else "product_first"
        return rng.choice(PRODUCT_FIRST + CODE_FIRST).format(p=name, c=phrase(row, rng)), form
    if form == "case_mixed":
        p = mixed_case(product(profile, rng), rng)
        return rng.choice(PRODUCT_FIRST).format(p=p, c=mixed_case(phrase(row, rng), rng)), form
    if form == "fullwidth":
        return fullwidth(q).translate(_FULLWIDTH_PUNCT), form
    return q, form


def with_number(row: Row, profile: Profile, rng: random.Random, chunk_rows: list[Row]) -> str:
    """A question whose running text holds a number that is never a code; on bare-numbered tables it is a code
    the chunk lists (other than the asked one), so reading it as a code would keep a chunk that must go."""
    listed = [r.code.main for r in chunk_rows if r.code.family is None and r.code.main.isdigit()
              and r.code.main != row.code.main and int(r.code.main) < 13]
    n = rng.choice(listed) if listed else str(rng.randint(2, 9))
    note = rng.choice(NOT_CODES).format(n=n)
    if rng.random() < 0.5:
        name = product(profile, rng)
        gap = " " if name[-1].isascii() and name[-1].isalnum() and note[0].isascii() else ""
        return f"{name}{gap}{note}，{phrase(row, rng).strip()}怎么办"
    return f"{note}，{product(profile, rng)}{phrase(row, rng)}"


# --- the pairs -------------------------------------------------------------------------------------------


def _pair(row: Row, tables: Tables, q: str, c: str, label: str, rule: str, kind: str, chunk_rows: list[Row],
          why: str, form: str) -> Pair:
    return Pair(tidy(q), c, label, rule, kind, tables.vendors[row.source], row.ref, "+".join(r.ref for r in chunk_rows),
                why, form)


# Chinese manuals (the tables with Chinese descriptions: Dobot, UFACTORY, Yaskawa, JAKA) open and close their pages
# in Chinese: build_realtext's Chinese intro lines and notes only.
_ZH_NOTES = tuple(tuple(line for line in lines if not line[0].isascii()) for lines in (INTROS, OUTROS))
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _chunk(rows: list[Row], profile: Profile, rng: random.Random) -> str:
    name = rng.choice(profile.models) if profile.models else with_brand(rng.choice(profile.brand), profile.kind_word)
    if all(_CJK.search(r.description) for r in rows):
        return table_chunk(rows, name, profile.heading, rng, _ZH_NOTES)
    return table_chunk(rows, name, profile.heading, rng)


def _question(row: Row, profile: Profile, rng: random.Random, window: list[Row]) -> tuple[str, str]:
    q, form = ask(row, profile, rng)
    return (with_number(row, profile, rng, window), form) if form == "not_a_code_number" else (q, form)


def same_code(row, profile, tables, rng):
    """The chunk names the question's product and lists its code: 对齐 whatever form the question takes."""
    window = tables.window(row, rng)
    q, form = _question(row, profile, rng, window)
    yield _pair(row, tables, q, _chunk(window, profile, rng), ALIGNED, "fault", "same_code", window,
                f"same product; {row.text} is one of the chunk's rows", form)


def diff_code(row, profile, tables, rng):
    """The same product, a code that no number of the chunk's rows can equal: 不对齐."""
    window = tables.window(row, rng)
    other = tables.far_row(window, rng)
    if other is not None:
        q, form = _question(other, profile, rng, window)
        yield _pair(other, tables, q, _chunk(window, profile, rng), UNALIGNED, "fault", "diff_code", window,
                    f"same product; no number of the chunk's rows is {_fmt(other.code)}", form)


def other_product(row, profile, tables, rng):
    """Another vendor's series with the same-looking code where it has one: products differ (product first)."""
    others = tables.named_others(row)
    if not profile.named:  # a brand against a series decides only where the catalog knows the series' brand
        others = [s for s in others if ALL_PROFILES[s].catalogued and ALL_PROFILES[s].brand]
    if not others:
        return
    source = rng.choice(others)
    candidates = [r for r in tables.rows[source] if r.code.main == row.code.main] or tables.rows[source]
    window = tables.window(rng.choice(candidates), rng)
    chunk = _chunk(window, ALL_PROFILES[source], rng)
    q, form = ask(row, profile, rng)
    if form == "not_a_code_number":
        q = with_number(row, profile, rng, [])
    if not any(names_in(m) in names_in(chunk) for m in (*profile.models, *profile.brand_model, *profile.brand)):
        yield _pair(row, tables, q, chunk, UNALIGNED, "product", "other_product", window,
                    f"products differ ({(profile.models or profile.brand)[0]} vs {ALL_PROFILES[source].models[0]}); "
                    "product first", form)


def code_only(row, profile, tables, rng):
    """The question names only a code: the codes decide."""
    window = tables.window(row, rng)
    asked, label = row, ALIGNED
    if rng.random() < 0.5:
        asked, label = tables.far_row(window, rng), UNALIGNED
        if asked is None:
            return
    q = rng.choice(CODE_ONLY).format(c=phrase(asked, rng).strip())
    form = "code_only"
    if rng.random() < 0.3:
        q, form = q.translate(HANT), "code_only_traditional"
    yield _pair(asked, tables, q, _chunk(window, profile, rng), label, "fault", f"code_only_{label}", window,
                "question names no product; " + ("the code is one of the chunk's rows" if label == ALIGNED
                                                 else f"no number of the chunk's rows is {_fmt(asked.code)}"), form)


def two_codes(row, profile, tables, rng):
    """Several codes in one question: one of them listed keeps the chunk, none listed drops it."""
    window = tables.window(row, rng)
    first = tables.far_row(window, rng)
    second = tables.far_row(window, rng)
    if first is None or second is None or first.code == second.code:
        return
    if rng.random() < 0.5:
        first, label = row, ALIGNED
        why = f"{row.text} (one of the question's codes) is one of the chunk's rows"
    else:
        label, why = UNALIGNED, f"no number of the chunk's rows is {_fmt(first.code)} or {_fmt(second.code)}"
    a, b = phrase(first, rng), phrase(second, rng)
    a, b = (a, b) if rng.random() < 0.5 else (b, a)
    q = rng.choice(TWO_CODES).format(p=product(profile, rng), a=a, b=b)
    yield _pair(first, tables, q, _chunk(window, profile, rng), label, "fault", f"two_codes_{label}", window, why,
                "two_codes")


def two_products(row, profile, tables, rng):
    """MG400和CR5报警17: one of the question's products names the chunk's series, and its code is listed."""
    if not profile.sibling:
        return
    window = tables.window(row, rng)
    p = product(profile, rng)
    ps = (p, profile.sibling) if rng.random() < 0.5 else (profile.sibling, p)
    q = rng.choice(("{a}和{b}{c}怎么办", "{a}、{b}都{c}，怎么处理", "{a} or {b}: {c}")).format(
        a=ps[0], b=ps[1], c=phrase(row, rng))
    yield _pair(row, tables, q, _chunk(window, profile, rng), ALIGNED, "fault", "two_products", window,
                f"{profile.models[0]}, one of the question's products, is the chunk's; {row.text} is listed",
                "two_products")


BRAND_HANT = {"台达": "台達", "欧姆龙": "歐姆龍", "西门子": "西門子", "三菱": "三菱", "越疆": "越疆", "节卡": "節卡"}
BRAND_ONLY = ("{b}{k}{c}怎么办", "{b}的{k}{c}是什么意思", "{b} {k} {c}，怎么复位", "{c}，{b}{k}")


def brand_only(row, profile, tables, rng):
    """台达伺服报AL009: a brand aligns with its own catalogued series, not with another brand's."""
    if not (profile.brand and profile.catalogued):
        return
    brand = rng.choice(profile.brand)
    form = rng.choice(("brand_only", "brand_only_case", "brand_only_traditional"))
    if form == "brand_only_case":
        brand = rng.choice((brand.upper(), brand.lower())) if brand.isascii() else brand
    q = rng.choice(BRAND_ONLY).format(b=brand, k=profile.kind_word, c=phrase(row, rng).strip())
    if form == "brand_only_traditional":
        q = q.replace(brand, "\0").translate(HANT).replace("\0", BRAND_HANT.get(brand, brand))
    if rng.random() < 0.5:
        window = tables.window(row, rng)
        yield _pair(row, tables, q, _chunk(window, profile, rng), ALIGNED, "fault", "brand_own_series", window,
                    f"brand {profile.brand[0]} and its series; {row.text} is listed", form)
        return
    others = [s for s in tables.named_others(row) if ALL_PROFILES[s].catalogued and ALL_PROFILES[s].brand]
    if others:
        source = rng.choice(others)
        window = tables.window(rng.choice(tables.rows[source]), rng)
        chunk = _chunk(window, ALL_PROFILES[source], rng)
        if not any(names_in(b) in names_in(chunk) for b in profile.brand):
            yield _pair(row, tables, q, chunk, UNALIGNED, "product", "brand_vs_other_brand_series", window,
                        f"brand {profile.brand[0]} vs a catalogued series of {ALL_PROFILES[source].brand[0]}", form)


# Parameter numbers in the forms spec v2 gives (letter H/P/F, group, hyphen or dot, index; Pn/Fn/Un + 3 hex),
# each with a neighbour that differs. The chunk's notes may name P1-05 (build_realtext's OUTROS): never asked.
PARAMETERS = (("P0-01", "P0-02"), ("H02-00", "H02-01"), ("F0-02", "F0-03"), ("P2-10", "P2-11"), ("H02.00", "H02.01"),
              ("Pn100", "Pn101"), ("Fn000", "Fn001"), ("Pn50A", "Pn50B"))
PARAM_QUESTIONS = ("{p}参数{x}怎么设", "{p}的{x}是什么参数？", "{x}参数在{p}上怎么改", "How to set {x} on {p}?",
                   "{p} {x}設定多少合適")


def parameter(row, profile, tables, rng):
    """A question about a parameter number: the chunk's note names it, or its neighbour (rule 3)."""
    window = tables.window(row, rng)
    asked, neighbour = rng.choice(PARAMETERS)
    named, label = (asked, ALIGNED) if rng.random() < 0.5 else (neighbour, UNALIGNED)
    chunk = f"{_chunk(window, profile, rng)}\n参数{named}用于设定该保护的检测阈值。"
    x, form = asked, "parameter"
    if rng.random() < 0.3:
        x, form = fullwidth(asked), "parameter_fullwidth"
    q = rng.choice(PARAM_QUESTIONS).format(p=product(profile, rng), x=x)
    yield _pair(row, tables, q, chunk, label, "parameter", f"parameter_{label}", window,
                f"the question names parameter {asked}; the chunk names {named}", form)


KindBuilder = Callable[[Row, Profile, Tables, random.Random], Iterator[Pair]]
KINDS: tuple[KindBuilder, ...] = (same_code, diff_code, other_product, code_only, two_codes, two_products,
                                  brand_only, parameter)


def load_tables() -> Tables:
    """The dev set's tables (the rows it uses) and the realtext set's new tables (every row): those that name a
    series or a brand (CiA 402's generic table and the MotoSuiveur controller name neither)."""
    rows, vendors = {}, {}
    for prov in json.loads((DEVSET_DATA / "sources" / "provenance.json").read_text("utf-8")):
        if ALL_PROFILES[prov["id"]].named or ALL_PROFILES[prov["id"]].brand:  # JAKA, EL7211: by their brand
            rows[prov["id"]], vendors[prov["id"]] = load_rows(prov["id"]), prov["vendor"]
    for prov in json.loads((REALTEXT_DATA / "sources" / "provenance.json").read_text("utf-8")):
        if NEW_PROFILES[prov["id"]].named:
            path = REALTEXT_DATA / "sources" / f"{prov['id']}.csv"
            rows[prov["id"]], vendors[prov["id"]] = load_table(prov["id"], path, hard_only=False), prov["vendor"]
    return Tables(rows, vendors)


def build(rng: random.Random) -> list[Pair]:
    """Each kind on each table: rows in random order until the kind has PER_KIND pairs (or the table runs out)."""
    tables = load_tables()
    pairs: list[Pair] = []
    for source, rows in tables.rows.items():
        profile = ALL_PROFILES[source]
        for builder in KINDS:
            shuffled = rng.sample(rows, len(rows))
            pairs += islice(chain.from_iterable(builder(row, profile, tables, rng) for row in shuffled), PER_KIND)
    return dedupe(pairs)


def main() -> None:
    out = out_folder(__doc__, DATA)
    pairs = build(random.Random(SEED))
    write(pairs, out / "phrasing.jsonl")
    forms, aligned = Counter(p.variant for p in pairs), sum(p.label == ALIGNED for p in pairs)
    print(f"phrasing: {len(pairs)} pairs ({aligned} aligned), {len(forms)} question forms")


if __name__ == "__main__":
    main()
