"""Build the realtext probe set: harder (question, chunk, label) pairs from real alarm tables, labelled by
construction from spec v2 (never by running a backend).

Where the dev set (scripts/build_devset.py) keeps only rows whose description cannot itself be read as an
entity, this set keeps every row as its source writes it (digits, terminals, units, product names in running
text) and writes chunks as manuals print them: a heading with the product, several table rows, running text
with numbers, units and steps, troubleshooting paragraphs. Two groups of tables:

- tests/data/realtext/sources/*.csv: vendors and tables that the dev set does not use (Schneider ATV340,
  ABB MicroFlex e190, Beckhoff AX5000, Kinco FD, Siguren MotoSuiveur), see provenance.json and README.md;
- the dev set's own tables, only the rows the dev set skips (tests/data/devset/sources).

Labels stay right whatever a description contains: an aligned pair puts the question's product in the chunk's
heading and the question's code in one of its rows (any matching pair keeps a chunk), and a pair that differs by
code is built only where no number of the chunk (rows, descriptions, running text) equals the question's main
code, so no reading of the text can make them align. The output is deterministic (fixed seed, sorted inputs).

    python scripts/build_realtext.py              # writes tests/data/realtext/realtext.jsonl
    python scripts/build_realtext.py --out DIR    # elsewhere (the determinism test does this)
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from devtools.devsets import out_folder
from devtools.devsets.devset import (
    _NAMES,
    PANEL,
    PROFILES,
    Code,
    Pair,
    Profile,
    Row,
    _code_of,
    _fmt,
    _usable,
    ask,
    ask_code,
    chunk_line,
    dedupe,
    mention,
    with_brand,
    write,
)
from devtools.devsets.devset import (
    DATA as DEVSET_DATA,
)
from ea_plugin.prompts import ALIGNED, UNALIGNED
from ea_plugin.rules.normalize import nfkc

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "realtext"
SEED = 20261202
PER_KIND = {"new_table": 14, "devset_skipped_rows": 10}  # pairs per (table, kind), by group

# The new tables: how texts name their products. Series the built-in catalog lists are marked catalogued
# (ATV340/ATV320, MicroFlex e190/ACS880, AX5000/AX8000); Kinco is not a brand the catalog knows, and the
# MotoSuiveur controller has no model name, so those pairs never rely on brand knowledge.
NEW_PROFILES = {
    "schneider_atv340": Profile("schneider_atv340", "bare", ("ATV340", "ATV340变频器", "Altivar 340", "ATV340U15N4"),
                                ("施耐德", "Schneider"), ("ATV340",), kind_word="伺服", sibling="ATV320",
                                catalogued=True, heading="故障代码（LFT）"),
    "abb_microflex_e190": Profile("abb_microflex_e190", "hex", ("MicroFlex e190", "MicroFlex e190伺服",
                                                                "MicroFlex e190驱动器"),
                                  ("ABB",), ("MicroFlex e190",), sibling="ACS880", catalogued=True,
                                  heading="Error codes"),
    "beckhoff_ax5000": Profile("beckhoff_ax5000", "hex", ("AX5000", "AX5206", "AX5000伺服驱动器", "AX5206驱动器"),
                               ("倍福", "Beckhoff"), ("AX5000",), sibling="AX8000", catalogued=True,
                               heading="诊断代码"),
    "kinco_fd": Profile("kinco_fd", "hex", ("FD伺服", "FD驱动器", "Kinco FD伺服", "FD系列伺服"), sibling="CD伺服",
                        heading="错误代码"),
    "siguren_ms_internal": Profile("siguren_ms_internal", "e", (), heading="MS Controller internal errors"),
}
ALL_PROFILES = {**PROFILES, **NEW_PROFILES}


def load_table(source: str, path: Path, hard_only: bool) -> list[Row]:
    """A table's rows with a code that has a digit; ``hard_only``: only the rows build_devset skips."""
    style = ALL_PROFILES[source].style
    rows = []
    with path.open(encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            description = rec["description_zh"] or rec["description"]
            if not description or rec["code"] in ("0", "0x00") or (hard_only and _usable(description)):
                continue
            text = PANEL[style](rec["code"]) if style in PANEL else rec["code"]
            code = Code("e", text[1:].lstrip("0") or "0") if style == "e" else _code_of(style, text)
            if any(ch.isdigit() for ch in code.main):
                rows.append(Row(source, text, code, description, rec["hex"], rec["level"]))
    return rows


# --- what a text could be read as: labels never depend on it ---------------------------------------------

_HEX_RUN = re.compile(r"[0-9a-f]*\d[0-9a-f]*")
_HEX_VALUE = re.compile(r"0x[0-9a-f]+|(?<![0-9a-z])[0-9a-f]*\d[0-9a-f]*h(?![a-z])")  # 0x2310, 2701h


def numbers_in(text: str) -> set[str]:
    """Every digit run and hex-looking run of a text, leading zeros dropped: a superset of the main codes that
    any reading of the text could find (``Internal error 1`` holds 1; ``Err16`` holds 16; ``0xFF0B`` holds ff0b)."""
    lowered = nfkc(text).lower()
    runs = set(_HEX_RUN.findall(lowered)) | set(re.findall(r"\d+", lowered))
    return {r.lstrip("0") or "0" for r in runs}


def names_in(text: str) -> str:
    return re.sub(r"[\s\-_]", "", nfkc(text).lower())


# --- how manuals print a table: heading, running text, several rows ---------------------------------------

INTROS = ("下表列出{p}的故障代码。出现故障时驱动器停止输出，面板显示故障代码。",
          "When a fault is detected the {p} stops the motor and the keypad shows the code.",
          "故障复位前请先断电，等待5分钟以上，确认直流母线电压低于36V后再检查接线。",
          "第5章 故障处理：{p}的保护功能动作时，按下表查找原因。",
          "Wait at least 15 min after power-off before servicing; the DC bus may hold 400 V.")
OUTROS = ("处理后按STOP/RESET键复位；如仍无法复位，请记录故障代码并联系代理商。",
          "Check the 24 V control supply and the motor cable (max. 50 m shielded).",
          "若同一故障1小时内出现3次以上，请检查电机绝缘（500V兆欧表）。",
          "参数P1-05设为0可关闭该保护（不推荐）。",
          "See also section 8.3 (alarm history) and the CN1 pin assignment.")


def row_lines(rows: list[Row], rng: random.Random) -> list[str]:
    return [chunk_line(r, rng, None) for r in rows]


def table_chunk(rows: list[Row], product: str | None, heading: str, rng: random.Random,
                notes: tuple[tuple[str, ...], tuple[str, ...]] = (INTROS, OUTROS)) -> str:
    """A page of a fault table: a heading naming the product, running text with numbers, rows, a note.
    ``notes``: the intro lines and the closing notes to draw from (build_phrasing: Chinese ones for Chinese rows)."""
    intros, outros = notes
    p = product or "驱动器"
    head = rng.choice([f"{product} {heading}", f"【{product}】{heading}", f"{heading}（{product}）"]) if product \
        else heading
    parts = [head, rng.choice(intros).format(p=p), *row_lines(rows, rng)]
    if rng.random() < 0.7:
        parts.append(rng.choice(outros))
    return "\n".join(parts)


def markdown_chunk(rows: list[Row], product: str, heading: str) -> str:
    """The same table as a Markdown page (cells are not code cues: used only where the code also opens a row)."""
    body = "\n".join(f"| {r.text} | {r.description} |" for r in rows)
    return f"## {product} {heading}\n\n| 代码 | 说明 |\n|---|---|\n{body}"


def cue_code(row: Row) -> str:
    return f"故障{row.text}" if row.code.family is None else row.text


def troubleshooting_chunk(row: Row, product: str | None, rng: random.Random) -> str:
    """A how-to paragraph about one code, with steps, units and terminals in running text."""
    p = product or "驱动器"
    return rng.choice([
        f"{p}报{cue_code(row)}（{row.description}）的处理方法：\n第一步，断电并等待5分钟；\n"
        f"第二步，检查电机动力线和编码器线（CN2）是否松动；\n第三步，重新上电，观察是否仍报{row.text}。",
        f"Troubleshooting {p}, {cue_code(row).replace('故障', 'fault ')}: {row.description}.\n"
        f"Step 1: switch off and wait 5 minutes. Step 2: measure the 24 V supply at X1. "
        f"Step 3: power up again and check whether {row.text} comes back.",
    ])


# --- the pairs -------------------------------------------------------------------------------------------


class Tables:
    def __init__(self, rows: dict[str, list[Row]], vendors: dict[str, str]) -> None:
        self.rows, self.vendors = rows, vendors

    def window(self, row: Row, rng: random.Random) -> list[Row]:
        rows = self.rows[row.source]
        i, before, after = rows.index(row), rng.randint(1, 2), rng.randint(1, 3)
        return rows[max(0, i - before) : i + after + 1]

    def far_row(self, rows: list[Row], rng: random.Random) -> Row | None:
        """A row of the same table whose main code no number of a chunk's ``rows`` (codes and descriptions) can
        equal, and that no HEX-against-panel pair can leave undecided (spec v2: such a pair decides nothing): a HEX
        question only where the descriptions hold no other number, a panel-code question only where they hold no
        HEX-looking value. The notes around the rows are spec v2's never-entities (units, ordinals, standards,
        sections), so a question may ask a number they hold."""
        found = numbers_in(" ".join(f"{r.text} {r.description}" for r in rows))
        descriptions = " ".join(r.description for r in rows)
        hex_free = _HEX_VALUE.search(nfkc(descriptions).lower()) is None
        digit_free = not re.search(r"\d", _HEX_VALUE.sub("", nfkc(descriptions).lower()))
        others = [r for r in self.rows[rows[0].source] if r.code.main not in found
                  and all(r.code.aligns(w.code) is False for w in rows)
                  and (digit_free if r.code.family == "hex" else hex_free)]
        return rng.choice(others) if others else None

    def asked_row(self, rows: list[Row], row: Row, rng: random.Random, what: str) -> tuple[Row, str, str] | None:
        """The row a question asks about, its label and why: half the time the chunk's own ``row`` (对齐), else
        one that no number of the chunk can equal (不对齐), or None where the table has none."""
        if rng.random() < 0.5:
            return row, ALIGNED, f"{what}; {row.text} is one of the chunk's rows"
        other = self.far_row(rows, rng)
        why = f"{what}; no number of the chunk's rows is {_fmt(other.code)}" if other else ""
        return None if other is None else (other, UNALIGNED, why)

    def named_others(self, row: Row) -> list[str]:
        return sorted(s for s in self.rows if self.vendors[s] != self.vendors[row.source] and ALL_PROFILES[s].named)


def _pair(row: Row, tables: Tables, q: str, c: str, label: str, rule: str, kind: str, chunk_rows: list[Row],
          why: str) -> Pair:
    return Pair(q, c, label, rule, kind, tables.vendors[row.source], row.ref, "+".join(r.ref for r in chunk_rows), why)


REAL_QUESTIONS = ("{p}运行中报{c}，复位后又出现", "{p}面板显示故障{c}，电机停了",
                  "{p} shows fault code {c} after power-up", "客户的{p}报警{c}，现场已断电重启3次",
                  "{p}报{c}，电机是7.5kW的，怎么处理", "{p} error {c} during 50Hz run")


def real_ask(profile: Profile, row: Row, rng: random.Random) -> str:
    """A question about one row as users type it (the dev set's templates, or one with numbers in its text)."""
    product = mention(profile, rng)
    if product is None or rng.random() < 0.5:
        return ask(profile, row, rng)
    code = ask_code(row, rng)
    code = f"故障{code}" if row.code.family is None else code
    return rng.choice(REAL_QUESTIONS).format(p=product, c=code)


def same_code_table(row, profile, tables, rng):
    window = tables.window(row, rng)
    product = mention(profile, rng)
    yield _pair(row, tables, real_ask(profile, row, rng), table_chunk(window, product, profile.heading, rng), ALIGNED,
                "fault", "table_same_code", window, f"same product; {row.text} is one of the chunk's rows")


def diff_code_table(row, profile, tables, rng):
    window = tables.window(row, rng)
    chunk = table_chunk(window, mention(profile, rng), profile.heading, rng)
    other = tables.far_row(window, rng)
    if other is not None:
        yield _pair(other, tables, real_ask(profile, other, rng), chunk, UNALIGNED, "fault", "table_diff_code", window,
                    f"same product; no number of the chunk's rows is {_fmt(other.code)}")


def no_product_question(row, profile, tables, rng):
    window = tables.window(row, rng)
    chunk = table_chunk(window, mention(profile, rng), profile.heading, rng)
    asked = tables.asked_row(window, row, rng, "question names no product")
    if asked is None:
        return
    q_row, label, why = asked
    q = ask(Profile(profile.source, profile.style, (), kind_word=profile.kind_word), q_row, rng)
    yield _pair(q_row, tables, q, chunk, label, "fault", f"no_product_question_{label}", window, why)


def troubleshooting(row, profile, tables, rng):
    product = mention(profile, rng)
    chunk = troubleshooting_chunk(row, product, rng)
    if rng.random() < 0.5:
        yield _pair(row, tables, real_ask(profile, row, rng), chunk, ALIGNED, "fault", "troubleshooting_same_code",
                    [row], f"a how-to paragraph about {row.text}")
        return
    other = tables.far_row([row], rng)
    if other is not None:
        yield _pair(other, tables, real_ask(profile, other, rng), chunk, UNALIGNED, "fault",
                    "troubleshooting_diff_code", [row], f"paragraph about {row.text}; no number is {_fmt(other.code)}")


# Running text that spec v2 says is never an entity: standards and interfaces, units, ordinals, terminals.
NOTES = ("本驱动器支持CiA402（DS402）运动控制协议，EtherCAT通信周期1ms。", "报警后1小时内请勿频繁上电。",
         "报警2号轴时，先检查该轴的编码器线和CN2插头。", "控制电源为DC24V，3.5kW以下机型无需外接制动电阻。",
         "Supports the CiA402 drive profile (DS402) over EtherCAT; CANopen at 500 kbit/s.",
         "Alarm history keeps 16 entries; see section 8.3.", "报警1#电机过热时，先检查1#风扇和3号轴的负载。")
_MODEL_LIKE = re.compile(r"[A-Za-z][\-_ ]?\d|\d[A-Za-z]")


def chunk_without_product(row, profile, tables, rng):
    """A table excerpt that names no product, with notes that are never entities: the codes decide. Only rows
    whose descriptions hold nothing model-like (so that no reading of them names a product)."""
    window = tables.window(row, rng)
    if profile.named is False or any(_MODEL_LIKE.search(r.description) or _NAMES.search(r.description)
                                     for r in window):
        return
    chunk = "\n".join([rng.choice(NOTES), *row_lines(window, rng), rng.choice(NOTES)])
    asked = tables.asked_row(window, row, rng, "chunk names no product")
    if asked is None:
        return
    q_row, label, why = asked
    yield _pair(q_row, tables, real_ask(profile, q_row, rng), chunk, label, "fault", f"chunk_no_product_{label}",
                window, why)


# Notes whose number stands right after a code cue but is a quantity or an ordinal (spec v2: never a code).
CUED_NOTES = (("若同一故障1小时内出现3次以上，请检查电机绝缘。", "1"), ("报警2号轴时，先检查该轴的编码器线。", "2"),
              ("报警1#电机过热时，先检查风扇。", "1"), ("故障3号机停机后，其余机组继续运行。", "3"))


def cued_note_number(row, profile, tables, rng):
    """The question asks the code whose number a note holds right after a cue (故障1小时, 报警2号轴): the rows
    around differ, so the chunk is about other codes."""
    note, number = rng.choice(CUED_NOTES)
    asked = [r for r in tables.rows[row.source] if r.code.family is None and r.code.main == number]
    if not asked or profile.named is False:
        return
    window = tables.window(row, rng)
    if number in numbers_in(" ".join(f"{r.text} {r.description}" for r in window)):
        return
    product = mention(profile, rng)
    chunk = "\n".join([f"{product} {profile.heading}" if product else profile.heading, note, *row_lines(window, rng)])
    yield _pair(asked[0], tables, real_ask(profile, asked[0], rng), chunk, UNALIGNED, "fault", "cued_note_number",
                window, f"{note!r} holds {number} as a quantity or ordinal; no row is {number}")


def markdown_table(row, profile, tables, rng):
    """Markdown cells: only the aligned pair, and only where the cells are the rows' only numbers (a cell is not
    a code cue in spec v2, so a different code in a cell would leave the chunk naming no code: kept)."""
    product = mention(profile, rng)
    window = tables.window(row, rng)
    # only rows whose descriptions hold no number: "| 153 | Internal error 22 |" reads as code 22 alone (spec v2)
    if product is not None and not numbers_in(" ".join(r.description for r in window)):
        yield _pair(row, tables, real_ask(profile, row, rng), markdown_chunk(window, product, profile.heading), ALIGNED,
                    "default", "markdown_same_code", window, "same product; the code is in a table cell")


def other_vendor(row, profile, tables, rng):
    """Another vendor's series, with the same-looking code where it has one: products differ."""
    others = tables.named_others(row)
    if not profile.named or not others:
        return
    source = rng.choice(others)
    candidates = [r for r in tables.rows[source] if r.code.main == row.code.main] or tables.rows[source]
    other = rng.choice(candidates)
    window = tables.window(other, rng)
    q = real_ask(profile, row, rng)
    chunk = table_chunk(window, rng.choice(ALL_PROFILES[source].models), ALL_PROFILES[source].heading, rng)
    if any(names_in(m) in names_in(chunk) for m in (*profile.models, *profile.brand_model)):
        return
    yield _pair(row, tables, q, chunk, UNALIGNED, "product", "other_vendor", window,
                f"series differ ({profile.models[0]} vs {ALL_PROFILES[source].models[0]}); product first")


def brand_question(row, profile, tables, rng):
    """A brand aligns with its own catalogued series, and not with another brand's catalogued series."""
    if not (profile.brand and profile.catalogued):
        return
    q = f"{rng.choice(profile.brand)}{rng.choice(('驱动器', '变频器', ' drive'))}报{cue_code(row)}怎么办"
    if rng.random() < 0.5:
        window = tables.window(row, rng)
        yield _pair(row, tables, q, table_chunk(window, rng.choice(profile.models), profile.heading, rng), ALIGNED,
                    "fault", "brand_own_series", window, f"brand {profile.brand[0]} and its series; codes align")
        return
    others = [s for s in tables.named_others(row) if ALL_PROFILES[s].catalogued and ALL_PROFILES[s].brand]
    if others:
        source = rng.choice(others)
        window = tables.window(rng.choice(tables.rows[source]), rng)
        chunk = table_chunk(window, rng.choice(ALL_PROFILES[source].models), ALL_PROFILES[source].heading, rng)
        if not any(names_in(b) in names_in(chunk) for b in profile.brand):
            yield _pair(row, tables, q, chunk, UNALIGNED, "product", "brand_vs_other_brand_series", window,
                        f"brand {profile.brand[0]} vs a catalogued series of {ALL_PROFILES[source].brand[0]}")


def sibling_series(row, profile, tables, rng):
    """ATV320 vs ATV340, AX8000 vs AX5000: another series of the same maker, same code."""
    if not profile.sibling:
        return
    brand = rng.choice(profile.brand) if profile.brand and rng.random() < 0.3 else ""
    q = rng.choice(REAL_QUESTIONS).format(p=with_brand(brand, profile.sibling) if brand else profile.sibling,
                                          c=cue_code(row) if row.code.family is None else ask_code(row, rng))
    window = tables.window(row, rng)
    yield _pair(row, tables, q, table_chunk(window, rng.choice(profile.models), profile.heading, rng), UNALIGNED,
                "product", "sibling_series", window, f"series {profile.sibling} vs {profile.models[0]} differ")


KindBuilder = Callable[[Row, Profile, Tables, random.Random], Iterator[Pair]]
NEW_KINDS: tuple[KindBuilder, ...] = (same_code_table, diff_code_table, no_product_question, troubleshooting,
                                      markdown_table, other_vendor, brand_question, sibling_series,
                                      chunk_without_product, cued_note_number)
HARD_ROW_KINDS: tuple[KindBuilder, ...] = (same_code_table, diff_code_table, no_product_question, troubleshooting,
                                           chunk_without_product, cued_note_number)


def load_tables() -> tuple[Tables, dict[str, str]]:
    """The new tables (all rows) and the dev set's tables (only the rows it skips); vendor and group per table."""
    rows, vendors, group = {}, {}, {}
    for prov in json.loads((DATA / "sources" / "provenance.json").read_text("utf-8")):
        rows[prov["id"]] = load_table(prov["id"], DATA / "sources" / f"{prov['id']}.csv", hard_only=False)
        vendors[prov["id"]], group[prov["id"]] = prov["vendor"], "new_table"
    for prov in json.loads((DEVSET_DATA / "sources" / "provenance.json").read_text("utf-8")):
        hard = load_table(prov["id"], DEVSET_DATA / "sources" / f"{prov['id']}.csv", hard_only=True)
        if hard:
            rows[prov["id"]], vendors[prov["id"]], group[prov["id"]] = hard, prov["vendor"], "devset_skipped_rows"
    return Tables(rows, vendors), group


def build(rng: random.Random) -> list[Pair]:
    tables, group = load_tables()
    pairs: list[Pair] = []
    for source in tables.rows:
        kinds = NEW_KINDS if group[source] == "new_table" else HARD_ROW_KINDS
        for builder in kinds:
            made: list[Pair] = []
            for row in rng.sample(tables.rows[source], len(tables.rows[source])):
                made.extend(builder(row, ALL_PROFILES[source], tables, rng))
                if len(made) >= PER_KIND[group[source]]:
                    break
            for pair in made:
                pair.variant = group[source]
            pairs.extend(made)
    return dedupe(pairs)


def main() -> None:
    out = out_folder(__doc__, DATA)
    pairs = build(random.Random(SEED))
    write(pairs, out / "realtext.jsonl")
    aligned = sum(p.label == ALIGNED for p in pairs)
    print(f"realtext: {len(pairs)} pairs ({aligned} aligned, {len(pairs) - aligned} not aligned)")


if __name__ == "__main__":
    main()
