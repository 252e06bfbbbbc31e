"""Build the real-table dev set: (question, chunk, label) pairs labelled by construction from spec v2.

The alarm tables under tests/data/devset/sources/ (extracted from public repositories, see provenance.json)
become questions and chunks in the forms users and manuals write. Each pair kind is built so that one rule
of ../shared/spec/alignment-rules.md decides it, and the row records that rule and why; no backend is run.
The output is deterministic (fixed seed, sorted inputs): regenerating gives the committed files byte for byte.

    python scripts/build_devset.py                 # writes tests/data/devset/devset.jsonl and holdout.jsonl
    python scripts/build_devset.py --out DIR       # elsewhere (the determinism test does this)
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

from devtools.devsets import out_folder
from ea_plugin.jsonl import write_jsonl
from ea_plugin.prompts import ALIGNED, UNALIGNED

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "devset"
SEED = 20261202
PER_KIND = {"devset": 40, "holdout": 30}  # pairs per (source, kind) before class balancing

# --- the tables ---------------------------------------------------------------------------------------

# Running-text words with a number that the spec says are never entities; a description may keep them.
_RUNNING_TEXT = re.compile(r"(关节|Axis |axis |Joint |joint |sensor |Sensor )\d")
# A description that names a product or brand would change what a pair is about: such rows are skipped.
_NAMES = re.compile(
    r"xArm|Dobot|JAKA|AKD|AZD|Nanotec|Beckhoff|Delta|Omron|Kollmorgen|UFACTORY|MINAS|Panasonic|SINAMICS|Siemens"
    r"|Yaskawa|SERVOPACK|SGD|Mitsubishi|MELSERVO|MR-J|AUBO"
    r"|节卡|越疆|台达|欧姆龙|倍福|松下|西门子|安川|三菱|遨博"
    r"|[A-Za-z]{2,}\s*(系列|型|驱动器|驅動器|变频器|變頻器|伺服|机器人|機器人|机械臂|機械臂)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Code:
    """A row's code as the table defines it (structure, not text read back): family, main code, sub-code."""

    family: str | None  # "al", "a", "e", "f", "n", "hex"; None for a bare number
    main: str
    sub: str | None = None

    def aligns(self, other: Code) -> bool | None:
        """Spec v2 rule 2 for one pair of codes: True/False, or None where HEX meets a panel code."""
        if (self.family == "hex") != (other.family == "hex") and None not in (self.family, other.family):
            return None
        if self.family and other.family and self.family != other.family:
            return False
        return self.main == other.main


@dataclass(frozen=True)
class Row:
    source: str
    text: str  # the code as the table writes it
    code: Code
    description: str
    hex: str  # the CANopen 603Fh value of a panel code, where the table gives one
    level: str

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.text}"


# How a table's code column is shown on the drive's panel, where the table stores only the number.
PANEL = {"err": lambda code: f"Err{code}", "err_sub": lambda code: f"Err{code}", "f5": lambda code: f"F{int(code):05d}"}
# AL001, AL.1A (hex letters belong to the code), A.C90, Err16, Err16.1, F07801, n503
_PREFIXED = re.compile(r"(?P<family>AL|A|Err|F|n)\.?(?P<main>[0-9A-Za-z]+?)(?:\.(?P<sub>\d+))?")


def _code_of(style: str, text: str) -> Code:
    if style == "hex":
        return Code("hex", text[2:].lower().lstrip("0") or "0")
    if style == "bare_sub":
        main, sub = text.split(".")
        return Code(None, main.lstrip("0") or "0", sub)
    if style == "bare":
        return Code(None, text.lower().lstrip("0") or "0")
    match = _PREFIXED.fullmatch(text)
    if match is None:
        raise ValueError(f"{style} code {text!r} is not a prefixed code")
    family = {"AL": "al", "A": "a", "Err": "e", "F": "f", "n": "n"}[match["family"]]
    return Code(family, match["main"].lower().lstrip("0") or "0", match["sub"])


def _usable(description: str) -> bool:
    rest = _RUNNING_TEXT.sub("", description)
    return bool(description) and not re.search(r"\d", rest) and not _NAMES.search(description)


# --- products: how each table's series and brand are written ---------------------------------------------


@dataclass(frozen=True)
class Profile:
    source: str
    style: str  # al, a, f, bare, bare_sub, hex, or a PANEL style
    models: tuple[str, ...]  # ways of writing the series on their own (all one main model)
    brand: tuple[str, ...] = ()  # brand words (zh, en) where the spec lists the brand
    brand_model: tuple[str, ...] = ()  # the series written right after a brand word
    kind_word: str = "伺服"  # servo or robot: what a brand-only question calls the device
    sibling: str = ""  # another series of the same brand (a different main model)
    catalogued: bool = False  # the spec names the series, so the built-in catalog knows its brand
    heading: str = "报警一览"
    order_codes: tuple[str, ...] = ()  # order codes the spec maps to this series through the catalog

    @property
    def named(self) -> bool:
        return bool(self.models)


PROFILES = {
    "delta_asda_a2": Profile("delta_asda_a2", "al", ("ASDA-A2", "asda-a2", "ASDA-A2伺服", "ASDA-A2驱动器"),
                             ("台达", "Delta"), ("ASDA-A2",), sibling="ASDA-B2", catalogued=True,
                             order_codes=("ASD-A2-0421-L",)),
    "kollmorgen_akd": Profile("kollmorgen_akd", "f", ("AKD驱动器", "AKD伺服", "AKD驱动器"), ("科尔摩根", "Kollmorgen"),
                              ("AKD驱动器",), catalogued=True, heading="故障与警告"),
    "omron_g5": Profile("omron_g5", "bare_sub", ("G5系列", "G5伺服", "G5系列伺服"), ("欧姆龙", "Omron"), ("G5",),
                        catalogued=True, heading="报警编号", order_codes=("R88D-KN01H", "R88D-KN01H-ECT")),
    "dobot_mg400": Profile("dobot_mg400", "bare", ("MG400", "MG 400", "mg400", "MG400机械臂"), ("越疆", "Dobot"),
                           ("MG400",), kind_word="机械臂", sibling="CR5", catalogued=True, heading="控制器报警"),
    "ufactory_xarm": Profile("ufactory_xarm", "bare", ("xArm6", "xArm 6", "xarm6", "xArm6机械臂"),
                             kind_word="机械臂", sibling="xArm7", heading="控制器错误码"),
    "jaka": Profile("jaka", "hex", (), ("节卡", "JAKA"), kind_word="机器人", heading="事件码"),
    "cia402": Profile("cia402", "hex", ()),
    "nanotec_n5": Profile("nanotec_n5", "bare", ("N5驱动器", "N5系列", "N5驱动器"), heading="错误号"),
    "oriental_azd": Profile("oriental_azd", "hex", ("AZD-KED驱动器",), heading="报警代码"),
    "panasonic_minas_a5": Profile("panasonic_minas_a5", "err", ("MINAS A5", "A5伺服", "A5系列", "MINAS A5"),
                                  ("松下", "Panasonic"), ("A5", "MINAS A5"), sibling="A6", catalogued=True,
                                  heading="保护功能（报警）", order_codes=("MADHT1505",)),
    "siemens_s120": Profile("siemens_s120", "f5", ("S120驱动器", "S120系列", "SINAMICS S120驱动器"),
                            ("西门子", "Siemens"), ("S120",), sibling="G120", heading="故障列表"),
    # EL7211 is left out on purpose: the spec could read it as the E-family code E/l7211 (like EB00)
    "beckhoff_el7211": Profile("beckhoff_el7211", "hex", (), ("倍福", "Beckhoff"), heading="诊断信息"),
    # SGDXS is letters only: a product word always follows it (the spec reads such a name only then)
    "yaskawa_sgdxs": Profile("yaskawa_sgdxs", "a", ("SGDXS伺服", "SGDXS驱动器", "SGDXS系列", "sgdxs伺服"),
                             ("安川", "Yaskawa"), ("SGDXS伺服",), sibling="SGD7S伺服", heading="警报一览"),
    "panasonic_minas_a6": Profile("panasonic_minas_a6", "err_sub", ("MINAS A6", "A6伺服", "A6系列", "MINAS A6"),
                                  ("松下", "Panasonic"), ("A6", "MINAS A6"), sibling="A5", catalogued=True,
                                  heading="保护功能（报警）"),
    "mitsubishi_mrj4": Profile("mitsubishi_mrj4", "al", ("MR-J4", "mr-j4", "MR-J4伺服", "MR-J4-10B"),
                               ("三菱", "Mitsubishi"), ("MR-J4",), sibling="MR-J5", catalogued=True),
    # the SDK's codes serve every AUBO arm; the pairs name the i5 with its hyphen (AUBO-i5 -> auboi5), never "AUBO i5"
    "aubo_hal": Profile("aubo_hal", "bare", ("AUBO-i5", "aubo-i5", "AUBO-i5机械臂", "AUBO-i5"), kind_word="机械臂",
                        sibling="AUBO-i10", heading="错误码"),
}
SPLITS = ("devset", "holdout")  # which table goes where is recorded in sources/provenance.json


def load_rows(source: str) -> list[Row]:
    style = PROFILES[source].style
    with (DATA / "sources" / f"{source}.csv").open(encoding="utf-8") as f:
        records = list(csv.DictReader(f))
    rows = []
    for rec in records:
        description = rec["description_zh"] or rec["description"]
        if not _usable(description) or rec["code"] in ("0", "0x00"):
            continue
        text = PANEL[style](rec["code"]) if style in PANEL else rec["code"]
        code = _code_of(style, text)
        if not any(ch.isdigit() for ch in code.main):  # AL.ED, A.bFb, xArm's "other": no digit, the spec is silent
            continue
        rows.append(Row(source, text, code, description, rec["hex"], rec["level"]))
    return rows


# --- how codes and rows are written ----------------------------------------------------------------------


def ask_code(row: Row, rng: random.Random) -> str:
    """The code as a user types it: case, separators and leading zeros vary as the spec allows."""
    text = row.text
    if row.code.family == "al":
        body = text[2:].lstrip(".")  # AL001 (Delta) or AL.1A (Mitsubishi)
        return rng.choice([text, f"AL.{body}", f"AL-{body}", f"al{body.lower()}", f"AL{body.lstrip('0') or '0'}"])
    if row.code.family == "a":  # A.C90; A710 without the dot only for digits, next to the templates' code cue
        body = text[2:]
        return rng.choice([text, text.upper(), text.lower(), *([f"A{body}"] if body.isdigit() else [])])
    if row.code.family == "e" and row.code.sub is not None:  # Err16.1, or the main code alone
        return rng.choice([text, text.upper(), text.lower(), f"Err{row.code.main}"])
    if row.code.family == "e":
        return rng.choice([text, f"{text}.0", text.upper(), text.lower()])
    if row.code.family == "f":
        return rng.choice([text, f"F{row.code.main}"])  # F07801 or F7801
    if row.code.family == "hex":
        return rng.choice([text, text.lower()])
    if row.code.sub is not None:
        return rng.choice([text, text, row.code.main])  # users often drop the sub-code
    return text


def chunk_line(row: Row, rng: random.Random, product: str | None) -> str:
    """One table row as manuals print it, with the series in a heading, inline, or not at all."""
    code, desc = row.text, row.description
    if row.code.family == "hex":
        lines = [f"{code} {desc}", f"{code}：{desc}"]
    elif row.code.family is None:
        lines = [f"{code}：{desc}", f"报警{code}：{desc}"]
    elif row.code.family == "n":
        lines = [f"警告{code}：{desc}", f"{code} Warning: {desc}"]
    elif row.code.family == "f":
        lines = [f"故障{code}：{desc}", f"{code} {desc}"]
    elif row.code.family == "e":
        lines = [f"{code}.0 {desc}" if row.code.sub is None else f"{code} {desc}", f"报警{code}：{desc}"]
    else:
        lines = [f"{code}：{desc}", f"报警{code}：{desc}"]
    line = rng.choice(lines)
    if product is None:
        return line
    heading = PROFILES[row.source].heading
    if row.code.family is None:  # a bare number inline needs its cue: 【MG400】报警17：…, or opens a line
        inline = f"报警{code}：{desc}" if row.code.sub is None else rng.choice([f"报警{code}：{desc}", f" {line}"])
    else:
        inline = f" {line}" if line[0].isascii() and product[-1].isascii() else line
    return rng.choice([f"【{product}】{inline.strip()}", f"{product} {heading}\n{line}", f"{product}{inline}"])


QUESTION_TEMPLATES = ("{p}报警{c}怎么办？", "{p}显示{c}是什么意思", "{p}出现{c}故障如何处理", "{p}报错{c}，怎么复位？",
                      "{p} alarm {c} how to fix", "{p} error {c}, what does it mean?", "{p}提示{c}")
BRAND_ONLY_TEMPLATES = ("{b}{k}报{c}怎么办", "{b}{k}显示{c}是什么意思", "{b} alarm {c} how to fix")
NO_PRODUCT_TEMPLATES = {"机械臂": ("机械臂显示{c}是什么意思", "机器人报警{c}怎么处理？", "示教器提示错误码{c}"),
                        "伺服": ("伺服驱动器报警{c}怎么办", "驱动器显示{c}是什么意思", "alarm {c} how to fix"),
                        "机器人": ("机器人报{c}怎么办", "控制器事件码{c}是什么意思", "error {c} what does it mean")}
NO_ENTITY_QUESTIONS = ("伺服驱动器怎么调增益？", "机械臂断电后如何回原点？", "驱动器过热报警怎么处理？",
                       "编码器线缆松了会报什么警？", "How do I reset an alarm on the servo drive?",
                       "机器人急停后怎么恢复运行", "过电流故障一般是什么原因？", "怎么清除报警记录",
                       "What causes a DC bus overvoltage fault?", "示教器上的报警怎么复位")
# Running text the spec says is never an entity (units, steps, ordinals, interfaces, terminals, words + numbers).
CHUNK_TRAPS = ("请先检查 Axis 3 的编码器线缆。", "sensor 1 信号异常时也会触发。", "确认 DI1 输入端子接线正确。",
               "检查 DC24V 控制电源是否正常。", "断电30秒后重新上电。", "按第2步的方法复位。",
               "同时检查关节1附近的线缆。", "通讯口 RS485 接在 CN1 上。", "Step 2: check the wiring of Axis 3.",
               "出现10次以上请更换驱动器。",
               "负载超过50%时更易发生。", "status 0 表示已恢复。")
QUESTION_TRAPS = ("{p}报警{c}，Axis 3停了怎么办？", "{p}显示{c}，断电30秒后还在", "{p}报错{c}，DI1没有输入",
                  "{p}出现{c}故障，24V电源正常", "{p}报警{c}，按第2步做了还是不行", "{p} alarm {c} on sensor 1")


def with_brand(brand: str, name: str) -> str:
    """台达ASDA-A2, Delta ASDA-A2: a Latin brand word is set apart from the model."""
    return f"{brand} {name}" if brand.isascii() else brand + name


def question(profile: Profile, code: str, rng: random.Random, product: str | None = None) -> str:
    if product is None:
        product = rng.choice(profile.models)
        if profile.brand and rng.random() < 0.25:
            product = with_brand(rng.choice(profile.brand), rng.choice(profile.brand_model))
    return rng.choice(QUESTION_TEMPLATES).format(p=product, c=code)


def fullwidth(text: str) -> str:
    """ASCII letters, digits, dots and hyphens as their full-width forms (NFKC reads them back)."""
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and (ch.isalnum() or ch in ".-") else ch for ch in text)


# --- the pairs -----------------------------------------------------------------------------------------


@dataclass
class Pair:
    question: str
    chunk: str
    label: str
    rule: str  # product, fault, parameter, default: the step of the spec's decision order that decides
    kind: str
    vendor: str
    source: str  # the question's row
    chunk_source: str  # the chunk's row(s)
    why: str
    variant: str = ""

    def record(self) -> dict[str, str]:
        """The row as a data set writes it: the fields in order, ``variant`` last (also a subclass's)."""
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "variant"}
        return {**row, "variant": self.variant}


@dataclass
class Tables:
    """The rows of each table, by source, and indexed by main code (devset_v3 uses it too)."""

    rows: dict[str, list[Row]]
    vendors: dict[str, str]
    by_main: dict[str, dict[str, list[Row]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for source, rows in self.rows.items():
            index: dict[str, list[Row]] = {}
            for row in rows:
                index.setdefault(row.code.main, []).append(row)
            self.by_main[source] = index

    def other_vendors(self, row: Row) -> list[str]:
        """Tables of vendors other than the row's (MINAS A5 and A6 share a brand: a brand pair would align)."""
        return [s for s in self.rows if self.vendors[s] != self.vendors[row.source]]


def near_miss(row: Row, rows: list[Row], rng: random.Random) -> Row | None:
    """Another row of the same table whose code does not align: the closest codes first."""
    others = [r for r in rows if r.code.aligns(row.code) is False]
    if not others:
        return None
    def distance(r: Row) -> int:
        try:
            return abs(int(r.code.main, 16) - int(row.code.main, 16))
        except ValueError:
            return 1 << 30
    others.sort(key=lambda r: (distance(r), r.text))
    return rng.choice(others[:3])


def twin(row: Row, tables: Tables, rng: random.Random, differs: Callable[[Row], bool]) -> Row | None:
    """Another row of the table with the same main code that differs as asked (its sub-code, its family)."""
    candidates = [r for r in tables.by_main[row.source][row.code.main] if differs(r)]
    return rng.choice(candidates) if candidates else None


def _fmt(code: Code) -> str:
    fam = (code.family or "bare").upper()
    return f"{fam}/{code.main}" + (f".{code.sub}" if code.sub else "")


KindBuilder = Callable[[Row, Profile, "Tables", random.Random], Iterator[Pair]]


def _pair(row: Row, tables: Tables, q: str, c: str, label: str, rule: str, kind: str, chunk_rows: list[Row],
          why: str) -> Pair:
    return Pair(q, c, label, rule, kind, tables.vendors[row.source], row.ref, "+".join(r.ref for r in chunk_rows), why)


def mention(profile: Profile, rng: random.Random) -> str | None:
    """How a text names the table's product: its series, or its brand where only a brand is known."""
    if profile.named:
        return rng.choice(profile.models)
    if profile.brand:
        return with_brand(rng.choice(profile.brand), profile.kind_word)
    return None


def ask(profile: Profile, row: Row, rng: random.Random, code: str | None = None) -> str:
    """A question about one row's code, naming the product as users do (series, brand, or nothing)."""
    code = code or ask_code(row, rng)
    if profile.named:
        return question(profile, code, rng)
    if profile.brand:
        return rng.choice(BRAND_ONLY_TEMPLATES).format(b=rng.choice(profile.brand), k=profile.kind_word, c=code)
    return rng.choice(NO_PRODUCT_TEMPLATES[profile.kind_word]).format(c=code)


def with_trap(text: str, rng: random.Random) -> str:
    return text.rstrip("。") + "。" + rng.choice(CHUNK_TRAPS)


def same_product_same_code(row, profile, tables, rng):
    if mention(profile, rng) is not None:
        c = chunk_line(row, rng, mention(profile, rng))
        yield _pair(row, tables, ask(profile, row, rng), c, ALIGNED, "fault", "same_product_same_code", [row],
                    f"same product; codes {_fmt(row.code)} = {_fmt(row.code)}")


def sub_code_difference(row, profile, tables, rng):
    other = twin(row, tables, rng, lambda r: r.code.sub != row.code.sub) if row.code.sub is not None else None
    if other is None:
        return
    c = chunk_line(other, rng, mention(profile, rng))
    yield _pair(row, tables, ask(profile, row, rng, row.text), c, ALIGNED, "fault", "sub_code_difference", [other],
                f"same series; main code {row.code.main} on both sides, sub-codes {row.code.sub} vs "
                f"{other.code.sub} never separate")


def same_product_near_miss(row, profile, tables, rng):
    other = near_miss(row, tables.rows[row.source], rng)
    if other is None or mention(profile, rng) is None:
        return
    c = chunk_line(other, rng, mention(profile, rng))
    yield _pair(row, tables, ask(profile, row, rng), c, UNALIGNED, "fault", "same_product_near_miss", [other],
                f"same product; codes {_fmt(row.code)} vs {_fmt(other.code)} differ")


def chunk_without_product(row, profile, tables, rng):
    """The chunk names only a code (a bare table row): the codes decide."""
    if mention(profile, rng) is None:
        return
    q = ask(profile, row, rng)
    if rng.random() < 0.5:
        yield _pair(row, tables, q, chunk_line(row, rng, None), ALIGNED, "fault", "chunk_no_product_same_code",
                    [row], f"chunk names no product; codes {_fmt(row.code)} align")
        return
    other = near_miss(row, tables.rows[row.source], rng)
    if other is not None:
        yield _pair(row, tables, q, chunk_line(other, rng, None), UNALIGNED, "fault", "chunk_no_product_diff_code",
                    [other], f"chunk names no product; codes {_fmt(row.code)} vs {_fmt(other.code)} differ")


def question_without_product(row, profile, tables, rng):
    """机械臂显示7是什么意思: the question names only a code."""
    q = rng.choice(NO_PRODUCT_TEMPLATES[profile.kind_word]).format(c=ask_code(row, rng))
    if rng.random() < 0.5:
        yield _pair(row, tables, q, chunk_line(row, rng, mention(profile, rng)), ALIGNED, "fault",
                    "question_no_product_same_code", [row], f"question names no product; codes {_fmt(row.code)} align")
        return
    other = near_miss(row, tables.rows[row.source], rng)
    if other is not None:
        yield _pair(row, tables, q, chunk_line(other, rng, mention(profile, rng)), UNALIGNED, "fault",
                    "question_no_product_diff_code", [other],
                    f"question names no product; codes {_fmt(row.code)} vs {_fmt(other.code)} differ")


def no_entity(row, profile, tables, rng):
    """The question names no entity, or the chunk names none of the question's types: default keep."""
    if rng.random() < 0.5:
        q = rng.choice(NO_ENTITY_QUESTIONS)
        yield _pair(row, tables, q, chunk_line(row, rng, mention(profile, rng)), ALIGNED, "default",
                    "question_no_entity", [row], "the question names no entity")
    elif mention(profile, rng) is not None:
        yield _pair(row, tables, ask(profile, row, rng), with_trap(row.description, rng), ALIGNED, "default",
                    "chunk_no_entity", [row], "the chunk names neither a product nor a code")


def brand_against_model(row, profile, tables, rng):
    """A brand aligns with its own models, and not with a catalogued model of another brand."""
    if not profile.brand:
        return
    q = rng.choice(BRAND_ONLY_TEMPLATES).format(b=rng.choice(profile.brand), k=profile.kind_word,
                                               c=ask_code(row, rng))
    if profile.named and rng.random() < 0.5:
        yield _pair(row, tables, q, chunk_line(row, rng, rng.choice(profile.models)), ALIGNED, "fault",
                    "brand_own_model", [row], f"brand {profile.brand[0]} aligns with its own series; codes align")
        return
    others = [s for s in tables.other_vendors(row) if PROFILES[s].catalogued and PROFILES[s].brand]
    if not others:
        return
    other_source = rng.choice(sorted(others))
    other = _same_looking(row, other_source, tables, rng)
    other_profile = PROFILES[other_source]
    c = chunk_line(other, rng, rng.choice(other_profile.models))
    yield _pair(row, tables, q, c, UNALIGNED, "product", "brand_vs_other_brand_model", [other],
                f"brand {profile.brand[0]} vs a catalogued series of {other_profile.brand[0]}")


def _same_looking(row: Row, source: str, tables: Tables, rng: random.Random) -> Row:
    """A row of another table whose code looks like this one (same digits) where there is one."""
    for key in (row.code.main, row.hex[2:].lower().lstrip("0") if row.hex else ""):
        if key and key in tables.by_main[source]:
            return rng.choice(tables.by_main[source][key])
    hexes = [r for r in tables.rows[source] if row.hex and r.hex == row.hex]
    return rng.choice(hexes) if hexes else rng.choice(tables.rows[source])


def other_vendor(row, profile, tables, rng):
    """Another vendor's series with a code that looks the same: products differ, drop."""
    others = sorted(s for s in tables.other_vendors(row) if PROFILES[s].named)
    if not profile.named or not others:
        return
    other_source = rng.choice(others)
    other = _same_looking(row, other_source, tables, rng)
    c = chunk_line(other, rng, rng.choice(PROFILES[other_source].models))
    yield _pair(row, tables, ask(profile, row, rng), c, UNALIGNED, "product", "other_vendor_same_looking_code",
                [other], f"series differ ({profile.models[0]} vs {PROFILES[other_source].models[0]}); product first")


def same_brand_other_series(row, profile, tables, rng):
    """台达ASDA-A2 vs 台达ASDA-B2: where a side names a model, the shared brand adds nothing."""
    if not profile.sibling:
        return
    brand = rng.choice(profile.brand) if profile.brand else ""
    q = question(profile, ask_code(row, rng), rng, product=with_brand(brand, profile.brand_model[0]) if brand
                 else profile.models[0])
    c = chunk_line(row, rng, with_brand(brand, profile.sibling) if brand else profile.sibling)
    yield _pair(row, tables, q, c, UNALIGNED, "product", "same_brand_other_series", [row],
                f"series {profile.models[0]} vs {profile.sibling} differ; the brand adds nothing")


def hex_against_panel(row, profile, tables, rng):
    """A fieldbus value against a panel code decides nothing (the same fault, or not)."""
    hex_row = row if rng.random() < 0.5 else rng.choice(tables.rows[row.source])
    if not hex_row.hex or not profile.named:
        return
    hx = rng.choice([hex_row.hex, hex_row.hex.lower()])
    c = chunk_line(row, rng, rng.choice(profile.models))
    if rng.random() < 0.5:
        q = rng.choice(("{c}是什么错误", "驱动器报{c}怎么办", "error code {c} meaning")).format(c=hx)
        rule, why = "default", f"question names HEX {hx}, chunk the panel code {row.text}: decides nothing"
    else:
        q = rng.choice(QUESTION_TEMPLATES).format(p=rng.choice(profile.models), c=hx)
        rule, why = "product", f"same series; HEX {hx} against {row.text} decides nothing"
    yield _pair(row, tables, q, c, ALIGNED, rule, "hex_vs_panel_code", [row], why)


def fault_against_warning(row, profile, tables, rng):
    """F501 vs n501: faults and warnings are different families."""
    if row.code.family not in ("f", "n"):
        return
    other = twin(row, tables, rng, lambda r: r.code.family != row.code.family)
    if other is None:
        return
    c = chunk_line(other, rng, mention(profile, rng))
    yield _pair(row, tables, ask(profile, row, rng, row.text), c, UNALIGNED, "fault", "fault_vs_warning", [other],
                f"{row.text} and {other.text}: {_fmt(row.code)} vs {_fmt(other.code)}, different families")


def several_rows(row, profile, tables, rng):
    """A chunk of several table rows: one matching code keeps it, none drops it."""
    rows = tables.rows[row.source]
    i = rows.index(row)
    window = rows[max(0, i - 1) : i + 2]
    product = mention(profile, rng)
    body = "\n".join(chunk_line(r, rng, None) for r in window)
    c = f"{product} {profile.heading}\n{body}" if product else body
    if rng.random() < 0.5:
        yield _pair(row, tables, ask(profile, row, rng), c, ALIGNED, "fault", "several_rows_one_matches", window,
                    f"chunk lists several codes; {row.text} is one of them")
        return
    outside = [r for r in rows if all(r.code.aligns(w.code) is False for w in window)]
    if outside:
        other = rng.choice(outside)
        yield _pair(other, tables, ask(profile, other, rng), c, UNALIGNED, "fault", "several_rows_none_matches",
                    window, f"chunk lists {', '.join(w.text for w in window)}; none has main code {other.code.main}")


def running_text(row, profile, tables, rng):
    """Units, steps, terminals and words with numbers in the text must not be read as entities."""
    if mention(profile, rng) is None:
        return
    q = rng.choice(QUESTION_TRAPS).format(p=mention(profile, rng), c=ask_code(row, rng))
    if rng.random() < 0.6:
        c = with_trap(chunk_line(row, rng, mention(profile, rng)), rng)
        yield _pair(row, tables, q, c, ALIGNED, "fault", "running_text_same_code", [row],
                    f"same product and code {_fmt(row.code)}; the numbers in running text are not entities")
        return
    other = near_miss(row, tables.rows[row.source], rng)
    if other is not None:
        c = with_trap(chunk_line(other, rng, mention(profile, rng)), rng)
        yield _pair(row, tables, q, c, UNALIGNED, "fault", "running_text_diff_code", [other],
                    f"codes {_fmt(row.code)} vs {_fmt(other.code)} differ; running-text numbers decide nothing")


def order_code(row, profile, tables, rng):
    """MADHT1505 = MINAS A5, R88D-KN = G5, ASD-A2-0421-L = ASDA-A2: the spec's catalog aliases name the series."""
    if not profile.order_codes:
        return
    q = question(profile, ask_code(row, rng), rng, product=rng.choice(profile.order_codes))
    if rng.random() < 0.5:
        c = chunk_line(row, rng, rng.choice(profile.models))
        yield _pair(row, tables, q, c, ALIGNED, "fault", "order_code_alias", [row],
                    f"the order code is {profile.models[0]} (catalog); codes {_fmt(row.code)} align")
        return
    others = sorted(s for s in tables.other_vendors(row) if PROFILES[s].named)
    other_source = rng.choice(others)
    other = _same_looking(row, other_source, tables, rng)
    c = chunk_line(other, rng, rng.choice(PROFILES[other_source].models))
    yield _pair(row, tables, q, c, UNALIGNED, "product", "order_code_other_series", [other],
                f"the order code is {profile.models[0]} (catalog), not {PROFILES[other_source].models[0]}")


BUILDERS: tuple[KindBuilder, ...] = (same_product_same_code, sub_code_difference, same_product_near_miss,
                                     chunk_without_product, question_without_product, no_entity, brand_against_model,
                                     other_vendor, same_brand_other_series, hex_against_panel, fault_against_warning,
                                     several_rows, running_text, order_code)


def build_split(split: str, rng: random.Random, per_kind: int) -> list[Pair]:
    provenance = {p["id"]: p for p in json.loads((DATA / "sources" / "provenance.json").read_text("utf-8"))}
    sources = tuple(s for s, p in provenance.items() if p["split"] == split)
    tables = Tables({s: load_rows(s) for s in sources}, {s: provenance[s]["vendor"] for s in sources})
    pairs: list[Pair] = []
    for source in sources:
        for builder in BUILDERS:  # rows in random order until the kind has its share (or the table runs out)
            made: list[Pair] = []
            for row in rng.sample(tables.rows[source], len(tables.rows[source])):
                made.extend(builder(row, PROFILES[source], tables, rng))
                if len(made) >= per_kind:
                    break
            pairs.extend(made)
    for pair in pairs:  # some questions typed in full-width characters (NFKC reads them as ASCII)
        if rng.random() < 0.1:
            pair.question, pair.variant = fullwidth(pair.question), "fullwidth"
    return balance(dedupe(pairs), rng)


def dedupe(pairs: list[Pair]) -> list[Pair]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for pair in pairs:
        if (pair.question, pair.chunk) not in seen:
            seen.add((pair.question, pair.chunk))
            unique.append(pair)
    return unique


def balance(pairs: list[Pair], rng: random.Random) -> list[Pair]:
    """Both labels equally often: the larger class is sampled down, in its original order."""
    aligned = [p for p in pairs if p.label == ALIGNED]
    unaligned = [p for p in pairs if p.label == UNALIGNED]
    n = min(len(aligned), len(unaligned))
    keep = {id(p) for p in rng.sample(aligned, n)} | {id(p) for p in rng.sample(unaligned, n)}
    return [p for p in pairs if id(p) in keep]


def write(pairs: list[Pair], path: Path) -> None:
    write_jsonl(path, (pair.record() for pair in pairs))


def main() -> None:
    out = out_folder(__doc__, DATA)
    for name in SPLITS:
        pairs = build_split(name, random.Random(f"{SEED}:{name}"), PER_KIND[name])
        write(pairs, out / f"{name}.jsonl")
        print(f"{name}: {len(pairs)} pairs")


if __name__ == "__main__":
    main()
