"""Generate the sample teacher output in this folder: ``aligned.json`` and ``unaligned.json``.

Each record looks like the teacher LLM's filter output (question, chunk, llm_analysis with the four
steps and ``<label>…</label>``) plus a ``kind`` naming the case of spec/alignment-rules.md it covers,
so evaluation can break results down per case. Products, fault codes and parameters are written in
varied forms (case, spaces, hyphens, suffix words, code separators, sub-codes, bare numbers), the forms
of spec v2 from other vendors: brands, short and letter-only models, order codes, F/N/HEX families, AL codes
with hex letters, bare numbers next to cues, a model's digits, running text with numbers, full-width text, and
of spec v3: a series word and its part in any case (ACOPOS P3 = acopos p3, SINAMICSG120), short models before a
product word (CR5机械臂), software names (RobotWare, TwinCAT 3), signed codes (-2 vs 2), spaced family codes
(AL 16), long parameter indices (P2.1523 = P2-1523) and panel mnemonics (oC, oH1 = OH1, Code 2 (oC), table rows).
Labels are set by construction from the spec, never by running the rules backend.

A few records are teacher noise on purpose, so the converter's rejects and the audit have something
to find (their kind starts with ``noise_``): a missing label tag, step 3 contradicting the tag, a record
in the wrong file, exact duplicates, an empty chunk, and consistent but wrong teacher labels that only
the rules audit catches.

    python -m training.examples.generate            # rewrites the two files (deterministic)
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ea_plugin.jsonl import write_json
from ea_plugin.prompts import ALIGNED, UNALIGNED, format_analysis
from ea_plugin.rules import describe, extract_entities

HERE = Path(__file__).resolve().parent

# main model -> written forms (variants, case, separators) and the device word that may follow.
PRODUCTS: dict[str, tuple[tuple[str, ...], str]] = {
    "sv660": (("SV660N", "sv660n", "SV660P", "sv660-n", "SV 660N", "SV660D", "sv660"), "伺服驱动器"),
    "sv680": (("SV680N", "sv680p", "SV680-N"), "伺服驱动器"),
    "is620": (("IS620P", "is620n", "IS620-P", "is620"), "伺服驱动器"),
    "is810": (("IS810N", "is810n"), "伺服驱动器"),
    "md500": (("MD500E", "md500", "MD500T", "md-500e"), "变频器"),
    "md290": (("MD290", "md290t"), "变频器"),
    "md380": (("MD380", "md380e"), "变频器"),
    "asdaa2": (("ASDA-A2", "asda-a2", "ASDA A2"), "伺服驱动器"),
    "asdab3": (("ASDA-B3", "asda-b3"), "伺服驱动器"),
    "sgd7": (("SGD7S", "sgd7s"), "伺服驱动器"),
}
SUFFIXES = ("", "", "系列", "型", "{device}")


@dataclass(frozen=True)
class Code:
    family: str  # "e", "al", "a.", "fault"
    main: int

    def written(self, rng: random.Random, sub: int | None = None) -> str:
        """One written form of this code; ``sub`` adds a sub-code (E100.1)."""
        tail = f".{sub}" if sub is not None else ""
        if self.family == "e":
            form = rng.choice(("E{m}", "e{m}", "Er.{m}", "Err-{m}", "Er{m}", "E{m}"))
            return form.format(m=self.main) + tail
        if self.family == "al":
            return rng.choice(("AL{m:03d}", "AL.{m:03d}", "al{m:03d}")).format(m=self.main) + tail
        if self.family == "a.":
            return f"A.{self.main:03d}" + tail
        return rng.choice(("fault_{m:02d}", "Fault-{m:02d}")).format(m=self.main) + tail


E_MAINS = (100, 101, 102, 110, 201, 420, 600, 740, 830)
AL_MAINS = (1, 2, 13, 21)
A_MAINS = (20, 30, 100)
FAULT_MAINS = (2, 5, 12)
PARAMETERS = ("H02-00", "H02-01", "h03.10", "P0-01", "P0-02", "F0-02", "F0-03", "H05-02", "F1-10")

MEANINGS = (
    "表示过电流，可能是输出侧短路或加速时间过短",
    "表示系统参数异常，请恢复出厂设置后重新上电",
    "表示主回路过电压，请检查输入电压和制动电阻",
    "表示编码器通讯故障，请检查编码器线缆和屏蔽层",
    "表示电机过载，请确认负载情况和增益设置",
    "表示驱动器过热，请检查风扇和散热通道",
    "表示欠电压，请检查供电电源是否稳定",
    "表示位置偏差过大，请检查机械连接和位置环增益",
)
STEPS = (
    "断开电源，等待五分钟后检查主回路接线是否松动。",
    "用万用表测量电机三相绕组的对地绝缘电阻。",
    "确认参数设置与电机铭牌一致，必要时执行参数自学习。",
    "检查散热风扇是否正常运转，清理风道积尘。",
    "若故障仍然存在，请联系厂家技术支持并提供故障记录。",
    "在监控界面查看故障发生时的母线电压和输出电流。",
    "适当延长加减速时间，避免负载突变。",
    "检查制动电阻阻值和功率是否满足要求。",
    "复位故障后低速试运行，观察是否再次报警。",
)
QUESTION_FAULT = ("{p}出现{c}故障怎么办？", "{p}报{c}是什么原因", "{p}显示{c}，如何处理", "请问{p}的{c}报警怎么复位")
QUESTION_PARAM = ("{p}参数{x}怎么设置", "{p}的{x}是什么意思", "{p}中{x}的默认值是多少")
GENERIC_QUESTIONS = ("伺服驱动器怎么调增益？", "变频器如何设置加减速时间", "驱动器上电后无显示怎么办",
                     "电机运行时噪声大怎么处理", "如何备份驱动器参数")


def product(rng: random.Random, main: str | None = None) -> tuple[str, str]:
    """(written product with an optional suffix word, main model)."""
    main = main or rng.choice(sorted(PRODUCTS))
    forms, device = PRODUCTS[main]
    suffix = rng.choice(SUFFIXES).format(device=device)
    return rng.choice(forms) + suffix, main


def other_main(rng: random.Random, main: str) -> str:
    return rng.choice([m for m in sorted(PRODUCTS) if m != main])


def fault_code(rng: random.Random, family: str | None = None) -> Code:
    family = family or rng.choice(("e", "e", "e", "al", "a.", "fault"))
    mains = {"e": E_MAINS, "al": AL_MAINS, "a.": A_MAINS, "fault": FAULT_MAINS}[family]
    return Code(family, rng.choice(mains))


def other_code(rng: random.Random, code: Code) -> Code:
    mains = {"e": E_MAINS, "al": AL_MAINS, "a.": A_MAINS, "fault": FAULT_MAINS}[code.family]
    return Code(code.family, rng.choice([m for m in mains if m != code.main]))


def filler(rng: random.Random, low: int = 1, high: int = 5) -> str:
    return "".join(rng.sample(STEPS, rng.randint(low, high)))


def fault_chunk(rng: random.Random, prod: str, code: str) -> str:
    head = rng.choice(("{p}的{c}故障{m}。", "{p}报{c}时{m}。", "当{p}出现{c}，{m}。", "{p} {c}：{m}。"))
    return head.format(p=prod, c=code, m=rng.choice(MEANINGS)) + filler(rng)


def fault_question(rng: random.Random, prod: str, code: str) -> str:
    return rng.choice(QUESTION_FAULT).format(p=prod, c=code)


# --- the cases: each returns (question, chunk, label, reason) -------------------------------------
Case = tuple[str, str, str, str]


def product_variant(rng: random.Random) -> Case:
    q_prod, main = product(rng)
    c_prod, _ = product(rng, main)
    code = fault_code(rng)
    q_code, c_code = code.written(rng), code.written(rng, rng.choice((None, 1, 2)))
    reason = f"{q_prod}和{c_prod}主型号相同（{main}），{q_code}和{c_code}主码相同"
    return fault_question(rng, q_prod, q_code), fault_chunk(rng, c_prod, c_code), ALIGNED, reason


def fault_subcode(rng: random.Random) -> Case:
    prod, _ = product(rng, rng.choice(("sv660", "is620", "is810")))
    code = fault_code(rng, "e")
    q_code, c_code = code.written(rng, rng.choice((None, 0))), code.written(rng, rng.choice((1, 2, 3)))
    reason = f"产品相同，{q_code}和{c_code}主码相同，子码不影响判断"
    return fault_question(rng, prod, q_code), fault_chunk(rng, prod, c_code), ALIGNED, reason


def bare_code(rng: random.Random) -> Case:
    prod, _ = product(rng)
    code = fault_code(rng, "e")
    question = rng.choice(("{p}报{m}故障", "{p}出现{m}报警怎么办")).format(p=prod, m=code.main)
    c_code = code.written(rng)
    reason = f"纯数字故障码{code.main}没有族，与{c_code}主码相同"
    return question, fault_chunk(rng, prod, c_code), ALIGNED, reason


def no_product_in_question(rng: random.Random) -> Case:
    code = fault_code(rng)
    q_code, c_code = code.written(rng), code.written(rng, rng.choice((None, 1)))
    question = rng.choice(("{c}故障怎么办", "驱动器报{c}是什么意思", "出现{c}怎么复位")).format(c=q_code)
    chunk = rng.choice(("伺服驱动器报{c}{m}。", "{c}：{m}。")).format(c=c_code, m=rng.choice(MEANINGS)) + filler(rng)
    return question, chunk, ALIGNED, f"question中没有产品，{q_code}和{c_code}主码相同"


def no_question_entity(rng: random.Random) -> Case:
    prod, _ = product(rng)
    chunk = f"{prod}{rng.choice(('增益调整步骤：', '参数设置说明：', '日常维护：'))}" + filler(rng, 2, 6)
    return rng.choice(GENERIC_QUESTIONS), chunk, ALIGNED, "question中没有实体，默认对齐"


def chunk_no_entity(rng: random.Random) -> Case:
    prod, _ = product(rng)
    code = fault_code(rng)
    chunk = rng.choice(("过电流故障的一般处理方法：", "故障排查通用流程：", "安全注意事项：")) + filler(rng, 2, 6)
    reason = "chunk中没有question所含类型的实体，默认对齐"
    return fault_question(rng, prod, code.written(rng)), chunk, ALIGNED, reason


def multi_product(rng: random.Random) -> Case:
    q1, m1 = product(rng)
    q2, m2 = product(rng, other_main(rng, m1))
    c_prod, _ = product(rng, rng.choice((m1, m2)))
    code = fault_code(rng, "e")
    question = f"{q1}和{q2}报{code.written(rng)}"
    reason = f"question涉及多个产品，其中之一与chunk的{c_prod}主型号相同，故障码主码相同"
    return question, fault_chunk(rng, c_prod, code.written(rng)), ALIGNED, reason


def same_parameter(rng: random.Random) -> Case:
    prod, main = product(rng)
    param = rng.choice(PARAMETERS)
    c_param = param.replace("-", ".") if rng.random() < 0.3 else param
    c_prod, _ = product(rng, main)
    question = rng.choice(QUESTION_PARAM).format(p=prod, x=param)
    use = rng.choice(("设定加速时间", "选择控制模式", "设定位置环增益"))
    chunk = f"{c_prod}的{c_param}参数用于{use}。" + filler(rng)
    return question, chunk, ALIGNED, f"产品主型号相同，参数编号{param}和{c_param}相同"


def product_differs(rng: random.Random) -> Case:
    q_prod, main = product(rng)
    c_prod, c_main = product(rng, other_main(rng, main))
    code = fault_code(rng)
    c_code = code.written(rng) if rng.random() < 0.6 else other_code(rng, code).written(rng)
    reason = f"产品不同：{q_prod}主型号为{main}，{c_prod}主型号为{c_main}（产品实体优先）"
    return fault_question(rng, q_prod, code.written(rng)), fault_chunk(rng, c_prod, c_code), UNALIGNED, reason


def fault_main_differs(rng: random.Random) -> Case:
    prod, main = product(rng)
    c_prod, _ = product(rng, main)
    code = fault_code(rng)
    other = other_code(rng, code)
    q_code, c_code = code.written(rng), other.written(rng)
    reason = f"产品相同，但故障码主码不同：{q_code}为{code.main}，{c_code}为{other.main}"
    return fault_question(rng, prod, q_code), fault_chunk(rng, c_prod, c_code), UNALIGNED, reason


def fault_family_differs(rng: random.Random) -> Case:
    prod, _ = product(rng)
    family, c_family = rng.sample(("e", "al", "a.", "fault"), 2)
    main = rng.choice((1, 2, 20, 100))
    q_code, c_code = Code(family, main).written(rng), Code(c_family, main).written(rng)
    reason = f"故障码族不同：{q_code}与{c_code}不属于同一族"
    return fault_question(rng, prod, q_code), fault_chunk(rng, prod, c_code), UNALIGNED, reason


def parameter_differs(rng: random.Random) -> Case:
    prod, main = product(rng)
    param, c_param = rng.sample(PARAMETERS, 2)
    question = rng.choice(QUESTION_PARAM).format(p=prod, x=param)
    chunk = f"{product(rng, main)[0]}的{c_param}参数表示{rng.choice(('载波频率', '最大频率', '速度环增益'))}。"
    return question, chunk + filler(rng), UNALIGNED, f"产品相同，但参数编号不同：{param}与{c_param}"


# --- other vendors (spec v2) -------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    """One series of another vendor: its brand, written forms, device word and codes of its alarm table."""

    brand: str
    forms: tuple[str, ...]
    device: str
    codes: tuple[str, ...]  # as the vendor writes them; bare numbers are read next to a cue


VENDOR_SERIES: dict[str, Series] = {
    "asdaa2": Series("台达", ("ASDA-A2", "asda-a2", "ASD-A2-0421-L"), "伺服驱动器",
                     ("AL003", "AL013", "AL025", "AL009")),
    "asdab3": Series("台达", ("ASDA-B3", "asda-b3"), "伺服驱动器",
                     ("AL001", "AL013", "AL3E1", "AL3E3", "AL022")),
    "mrj4": Series("三菱", ("MR-J4", "MR-J4-10A", "mr-j4"), "伺服放大器", ("AL.13", "AL.16", "AL.1A", "AL.E6")),
    "akd": Series("科尔摩根", ("AKD", "AKD-P00306"), "驱动器", ("F436", "F438", "F501", "F534")),
    "g5": Series("欧姆龙", ("欧姆龙G5", "G5系列", "R88D-KN01H"), "伺服", ("38.0", "21.1", "16.0", "27.6")),
    "minasa6": Series("松下", ("MINAS A6", "A6伺服", "MADLN05SE"), "驱动器",
                      ("Err15.0", "Err16.1", "Err21.0", "Err36.2")),
    "sgd7": Series("安川", ("SGD7S", "SGD7S-2R8A00A", "Σ-7"), "伺服单元", ("A.C90", "A.7Ab", "A.020", "A.710")),
    "mg400": Series("越疆", ("MG400", "MG 400"), "机械臂", ("17", "24", "31", "52")),
}
SAME_BRAND = (("asdaa2", "asdab3"),)  # two series of one brand: their models differ, the brand adds nothing
CODE_CUES = ("报警{c}怎么办", "显示{c}是什么意思", "出现{c}故障如何处理", "报{c}，怎么复位？")
ENGLISH = ("Overcurrent", "Encoder error", "Undervoltage", "Overload", "Emergency stop")
RUNNING_TEXT = ("（sensor 1 below limit）", "，请检查 DI1 输入和 Axis 3 的编码器线缆。",
                "。DC24V 电源电压低于 20V 时发生。", "。出现10次以上请更换驱动器，负载超过50%时更易发生。",
                "，Step 2: check the RS485 wiring.")


def vendor(rng: random.Random, key: str | None = None) -> tuple[str, Series]:
    key = key or rng.choice(sorted(VENDOR_SERIES))
    return key, VENDOR_SERIES[key]


def vendor_question(rng: random.Random, model: str, code: str) -> str:
    return model + rng.choice(CODE_CUES).format(c=code)


def vendor_chunk(rng: random.Random, model: str, code: str) -> str:
    head = rng.choice(("【{p}】报警{c}：{m}", "{p} {c}：{m}", "{p}报警{c}：{m}"))
    return head.format(p=model, c=code, m=rng.choice(ENGLISH + MEANINGS)) + "。" + filler(rng, 0, 2)


def vendor_same_code(rng: random.Random) -> Case:
    _, series = vendor(rng)
    code = rng.choice(series.codes)
    q, c = rng.choice(series.forms), rng.choice(series.forms)
    return vendor_question(rng, q, code), vendor_chunk(rng, c, code), ALIGNED, f"{q}与{c}是同一系列，故障码{code}相同"


def vendor_code_differs(rng: random.Random) -> Case:
    _, series = vendor(rng)
    code, other = rng.sample(series.codes, 2)
    q, c = rng.choice(series.forms), rng.choice(series.forms)
    reason = f"产品相同，但故障码不同：{code}与{other}主码不同"
    return vendor_question(rng, q, code), vendor_chunk(rng, c, other), UNALIGNED, reason


def vendor_product_differs(rng: random.Random) -> Case:
    key, series = vendor(rng)
    _, other = vendor(rng, rng.choice([k for k in sorted(VENDOR_SERIES) if k != key]))
    q, c = rng.choice(series.forms), rng.choice(other.forms)
    reason = f"产品不同：{q}与{c}是不同的系列（产品实体优先）"
    return vendor_question(rng, q, rng.choice(series.codes)), vendor_chunk(rng, c, rng.choice(other.codes)), \
        UNALIGNED, reason


def brand_own_model(rng: random.Random) -> Case:
    _, series = vendor(rng, rng.choice(("asdab3", "mrj4", "akd", "sgd7")))
    code = rng.choice(series.codes)
    model = series.forms[0]
    question = f"{series.brand}{rng.choice(('伺服', '驱动器', ''))}报{code}"
    return question, vendor_chunk(rng, model, code), ALIGNED, f"品牌{series.brand}与其型号{model}对齐，故障码{code}相同"


def brand_other_model(rng: random.Random) -> Case:
    key, series = vendor(rng, rng.choice(("asdab3", "mrj4", "akd", "sgd7")))
    _, other = vendor(rng, rng.choice([k for k in ("asdab3", "mrj4", "akd", "sgd7") if k != key]))
    model = other.forms[0]
    question = f"{series.brand}伺服报{rng.choice(series.codes)}"
    reason = f"品牌{series.brand}与另一品牌{other.brand}的型号{model}不对齐（产品实体优先）"
    return question, vendor_chunk(rng, model, rng.choice(other.codes)), UNALIGNED, reason


def brand_models_differ(rng: random.Random) -> Case:
    a, b = (VENDOR_SERIES[k] for k in rng.choice(SAME_BRAND))
    code = rng.choice(a.codes)
    question = f"{a.brand}{a.forms[0]}报{code}"
    chunk = f"{b.brand}{b.forms[0]}报警{code}：{rng.choice(MEANINGS)}。"
    return question, chunk, UNALIGNED, f"型号{a.forms[0]}与{b.forms[0]}不同，同为{a.brand}的品牌词不起作用"


def fault_vs_warning(rng: random.Random) -> Case:
    main = rng.choice((436, 501, 534))
    question = f"AKD{rng.choice(('报', '出现', '显示'))}F{main}怎么处理"
    chunk = f"AKD{rng.choice(('警告', '驱动器警告', ' '))}n{main}：电机温度高，{rng.choice(MEANINGS)}。"
    return question, chunk, UNALIGNED, f"F{main}是故障（F 族），n{main}是警告（N 族），族不同"


def hex_vs_panel_code(rng: random.Random) -> Case:
    value = rng.choice(("0x2310", "0x3210", "2310h", "0x7305"))
    _, series = vendor(rng, rng.choice(("asdab3", "mrj4")))
    chunk = vendor_chunk(rng, series.forms[0], rng.choice(series.codes))
    reason = f"HEX值{value}与其他族的故障码不作判断，question没有产品，默认对齐"
    return f"{value}是什么错误", chunk, ALIGNED, reason


def hex_codes(rng: random.Random) -> Case:
    a, b = rng.sample(("0x0F0043", "0x0F0045", "0x0F0080", "0x0F0006"), 2)
    same = rng.random() < 0.5
    chunk = f"【JAKA 机器人】{a if same else b} {rng.choice(MEANINGS)}。"
    label = ALIGNED if same else UNALIGNED
    reason = f"HEX 族主码{'相同' if same else '不同'}：{a}与{a if same else b}"
    return f"节卡机器人显示{a}是什么意思", chunk, label, reason


def bare_cue_codes(rng: random.Random) -> Case:
    n, m = rng.sample(range(1, 60), 2)
    same = rng.random() < 0.5
    question = rng.choice(("机械臂显示{n}是什么意思", "控制器报警{n}怎么办", "出现{n}号故障")).format(n=n)
    c_code = n if same else m
    chunk = rng.choice(("报警{c}：{t}", "{c}：{t}", "故障{c}（{t}）")).format(c=c_code, t=rng.choice(MEANINGS)) + "。"
    label = ALIGNED if same else UNALIGNED
    return question, chunk, label, f"纯数字故障码{n}与{c_code}主码{'相同' if same else '不同'}"


def model_digits_not_code(rng: random.Random) -> Case:
    n = rng.choice(VENDOR_SERIES["mg400"].codes)
    question = f"MG 400报警{n}怎么办"
    chunk = f"报警{n}：{rng.choice(MEANINGS)}。" + filler(rng, 0, 2)
    return question, chunk, ALIGNED, f"MG 400是型号，400不是故障码；纯数字故障码{n}相同"


def running_text_numbers(rng: random.Random) -> Case:
    _, series = vendor(rng, rng.choice(("asdaa2", "asdab3", "mrj4", "akd")))
    code, model = rng.choice(series.codes), series.forms[0]
    chunk = f"【{model}】报警{code}：{rng.choice(ENGLISH)}{rng.choice(RUNNING_TEXT)}"
    reason = "正文中的 sensor 1、DI1、Axis 3、24V、10次、50% 不是实体；产品和故障码都相同"
    return vendor_question(rng, model, code), chunk, ALIGNED, reason


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def fullwidth_question(rng: random.Random) -> Case:
    question, chunk, label, reason = (vendor_same_code if rng.random() < 0.5 else vendor_code_differs)(rng)
    return to_fullwidth(question), chunk, label, f"全角字符按半角读取；{reason}"


# --- spec v3: series words in any case, short models by context, software, signed and spaced codes ---------
V3_SERIES: dict[str, tuple[str, ...]] = {  # main model -> written forms: a series word and its part, any case
    "acoposp3": ("ACOPOS P3", "acopos p3", "ACOPOS-P3", "Acopos P3"),
    "sinamicss120": ("SINAMICS S120", "sinamics s120", "SINAMICS-S120", "SINAMICSS120"),
    "sinamicsg120": ("SINAMICS G120", "SINAMICSG120", "sinamics g120", "SINAMICS-G120"),
}
V3_SHORT = {"cr5": ("CR5机械臂", "CR5机器人", "CR5 robot"), "cr10": ("CR10机械臂", "CR10机器人", "CR10 robot")}
SOFTWARE_NAMES = ("RobotWare", "TwinCAT 3", "ROS 2", "CODESYS V3", "Windows 10")


def v3_series_any_case(rng: random.Random) -> Case:
    main = rng.choice(sorted(V3_SERIES))
    q, c = rng.sample(V3_SERIES[main], 2)
    n = rng.choice((6019, 7210, 1020, 30))
    chunk = f"{c} 报警列表 {n}：{rng.choice(MEANINGS)}。" + filler(rng, 0, 2)
    reason = f"{q}与{c}是同一型号（系列词与型号部分，大小写和空格不影响），纯数字故障码{n}相同"
    return f"{q}报{n}", chunk, ALIGNED, reason


def v3_series_differ(rng: random.Random) -> Case:
    a, b = rng.sample(sorted(V3_SERIES), 2)
    q, c = rng.choice(V3_SERIES[a]), rng.choice(V3_SERIES[b])
    n = rng.choice((6019, 7210, 1020, 30))
    chunk = f"{c} 报警列表 {n}：{rng.choice(MEANINGS)}。"
    return f"{q}报{n}", chunk, UNALIGNED, f"产品不同：{q}与{c}是不同的型号（产品实体优先）"


def v3_short_models(rng: random.Random) -> Case:
    a, b = rng.choice((("cr5", "cr5"), ("cr10", "cr10"), ("cr5", "cr10"), ("cr10", "cr5")))
    q, c = rng.choice(V3_SHORT[a]), rng.choice(V3_SHORT[b])
    n = rng.randint(10, 40)
    label = ALIGNED if a == b else UNALIGNED
    reason = (f"{q}与{c}是同一型号（短型号后有产品词），报警{n}相同" if a == b
              else f"产品不同：{q}与{c}是不同的型号（短型号后有产品词，产品实体优先）")
    return f"{q}报警{n}", f"{c} 报警{n}：关节{rng.randint(1, 6)}超速。", label, reason


def v3_software_not_product(rng: random.Random) -> Case:
    _, series = vendor(rng, rng.choice(("asdab3", "mrj4", "akd", "sgd7")))
    code, model, software = rng.choice(series.codes), series.forms[0], rng.choice(SOFTWARE_NAMES)
    chunk = f"{model} 报警{code}：{rng.choice(MEANINGS)}。可在 {software} 中查看报警记录。"
    reason = f"{software} 是软件名称，不是产品；产品{model}相同，故障码{code}相同"
    return vendor_question(rng, model, code), chunk, ALIGNED, reason


def v3_signed_codes(rng: random.Random) -> Case:
    n = rng.randint(1, 20)
    same = rng.random() < 0.5
    chunk = f"错误码说明 {'-' if same else ''}{n}：{rng.choice(('参数超出范围', '连接超时', '未登录'))}"
    reason = f"带符号的故障码-{n}与{'-' if same else ''}{n}{'相同' if same else '不同'}"
    return f"SDK调用返回-{n}", chunk, ALIGNED if same else UNALIGNED, reason


def v3_spaced_family_code(rng: random.Random) -> Case:
    n, m = rng.sample((16, 20, 24, 31, 37), 2)
    same = rng.random() < 0.5
    c = n if same else m
    chunk = f"MR-J4 报警 AL.{c}：{rng.choice(MEANINGS)}"
    reason = f"AL {n} 是一个故障码（AL 族主码{n}），与 AL.{c} {'主码相同' if same else '主码不同'}"
    return f"MR-J4报AL {n}", chunk, ALIGNED if same else UNALIGNED, reason


def v3_long_parameter(rng: random.Random) -> Case:
    index = rng.choice((1523, 20015, 1100, 4711))
    same = rng.random() < 0.5
    c_param = f"P2-{index}" if same else f"P2.{index + 1}"
    reason = f"参数P2.{index}与{c_param}{'相同（连字符与点相同）' if same else '不同'}"
    return f"参数P2.{index}怎么设", f"{c_param}：制动电阻{rng.choice(('最大值', '功率', '阻值'))}…", \
        ALIGNED if same else UNALIGNED, reason


MNEMONICS = {"a1000": ("A1000", ("oC", "ov", "Uv1", "oH1", "GF", "OL2")),
             "v1000": ("V1000", ("oC", "ov", "Uv1", "oH1", "OL1")),
             "vfde": ("VFD-E", ("ocA", "ocd", "ocn", "ovA", "LvA"))}
MN_MEANINGS = {"oc": "过电流", "ov": "主回路过电压", "uv1": "主回路欠电压", "oh1": "散热片过热", "gf": "接地短路",
               "ol1": "电机过载", "ol2": "变频器过载", "oca": "加速中过电流", "ocd": "减速中过电流",
               "ocn": "恒速中过电流", "ova": "加速中过电压", "lva": "加速中欠电压"}


def v3_mnemonics(rng: random.Random) -> Case:
    """Panel mnemonics (MN family): next to a cue, a table row, or paired with a number in the chunk."""
    model, codes = MNEMONICS[rng.choice(sorted(MNEMONICS))]
    code, other = rng.sample(codes, 2)
    same = rng.random() < 0.5
    shown = code if same else other
    written = rng.choice((shown, shown.upper(), shown.lower()))
    meaning = MN_MEANINGS[shown.lower()]
    chunk = rng.choice(("{m} 故障显示 {c}：{t}", "{m} 故障一览\n{c}    {t}", "{m} 故障码 {n}（{c}）{t}")).format(
        m=model, c=written, t=meaning, n=rng.randint(1, 30))
    question = rng.choice(("{m}显示{c}", "{m}报{c}故障", "{m}出现{c}怎么办")).format(m=model, c=code)
    reason = (f"助记码{code}与{written}相同（转小写比较）" if same
              else f"助记码不同：{code.lower()}与{written.lower()}（MN 族）")
    return question, chunk, ALIGNED if same else UNALIGNED, reason


CASES: dict[str, tuple[Callable[[random.Random], Case], int]] = {
    # aligned (kind -> generator, how many)
    "product_variant": (product_variant, 34),
    "fault_subcode": (fault_subcode, 24),
    "bare_code": (bare_code, 16),
    "no_product_in_question": (no_product_in_question, 20),
    "no_question_entity": (no_question_entity, 16),
    "chunk_no_entity": (chunk_no_entity, 16),
    "multi_product": (multi_product, 14),
    "same_parameter": (same_parameter, 16),
    # not aligned
    "product_differs": (product_differs, 60),
    "fault_main_differs": (fault_main_differs, 46),
    "fault_family_differs": (fault_family_differs, 24),
    "parameter_differs": (parameter_differs, 24),
    # spec v2: other vendors, brands, F/N/HEX, bare numbers, running text, full width (both labels)
    "vendor_same_code": (vendor_same_code, 24),
    "vendor_code_differs": (vendor_code_differs, 20),
    "vendor_product_differs": (vendor_product_differs, 20),
    "brand_own_model": (brand_own_model, 12),
    "brand_other_model": (brand_other_model, 12),
    "brand_models_differ": (brand_models_differ, 8),
    "fault_vs_warning": (fault_vs_warning, 10),
    "hex_vs_panel_code": (hex_vs_panel_code, 8),
    "hex_codes": (hex_codes, 10),
    "bare_cue_codes": (bare_cue_codes, 16),
    "model_digits_not_code": (model_digits_not_code, 6),
    "running_text_numbers": (running_text_numbers, 12),
    "fullwidth_question": (fullwidth_question, 12),
    # spec v3: series words any case, short models, software names, signed/spaced codes, long parameters
    "v3_series_any_case": (v3_series_any_case, 12),
    "v3_series_differ": (v3_series_differ, 10),
    "v3_short_models": (v3_short_models, 12),
    "v3_software_not_product": (v3_software_not_product, 10),
    "v3_signed_codes": (v3_signed_codes, 10),
    "v3_spaced_family_code": (v3_spaced_family_code, 8),
    "v3_long_parameter": (v3_long_parameter, 8),
    "v3_mnemonics": (v3_mnemonics, 16),
}


def teacher_record(question: str, chunk: str, label: str, reason: str, kind: str, tag: str | None = None,
                   step3: str | None = None) -> dict[str, str]:
    """A record in the teacher's format; ``tag``/``step3`` override the label where noise needs it."""
    analysis = format_analysis(
        describe(extract_entities(question)), describe(extract_entities(chunk)), step3 or label, reason
    )
    if tag != "":
        analysis += f"\n\n<label>{tag or label}</label>"
    return {"question": question, "chunk": chunk, "llm_analysis": analysis, "kind": kind}


def clean_records(rng: random.Random) -> list[dict[str, str]]:
    """``count`` distinct pairs of each kind (the only duplicates are the planted noise)."""
    records, seen = [], set()
    for kind, (make, count) in CASES.items():
        made = 0
        while made < count:
            question, chunk, label, reason = make(rng)
            if (question, chunk) in seen:
                continue
            seen.add((question, chunk))
            records.append(teacher_record(question, chunk, label, reason, kind))
            made += 1
    return records


def noise_records(rng: random.Random, clean: list[dict[str, str]]) -> list[tuple[str, dict[str, str]]]:
    """(file label, record) pairs of deliberate teacher noise."""
    out: list[tuple[str, dict[str, str]]] = []
    for _ in range(3):
        q, c, label, reason = product_variant(rng)
        out.append((label, teacher_record(q, c, label, reason, "noise_missing_tag", tag="")))
    for _ in range(3):
        q, c, label, reason = fault_main_differs(rng)
        out.append((label, teacher_record(q, c, label, reason, "noise_step3_conflict", step3=ALIGNED)))
    for _ in range(2):
        q, c, label, reason = product_differs(rng)
        out.append((ALIGNED, teacher_record(q, c, label, reason, "noise_wrong_file")))
    for record in rng.sample(clean, 4):
        out.append((_label_of(record), {**record, "kind": "noise_duplicate"}))
    q, c, label, reason = product_variant(rng)
    out.append((label, teacher_record(q, "", label, reason, "noise_empty_chunk")))
    # Consistent but wrong: the teacher calls variants of one product different products.
    for _ in range(6):
        q, c, _, _ = product_variant(rng)
        reason = "产品型号不同（老师误判：变体字母被当作不同产品）"
        out.append((UNALIGNED, teacher_record(q, c, UNALIGNED, reason, "noise_teacher_wrong")))
    return out


def _label_of(record: dict[str, str]) -> str:
    return UNALIGNED if f"<label>{UNALIGNED}</label>" in record["llm_analysis"] else ALIGNED


def generate(seed: int = 20261129) -> dict[str, list[dict[str, str]]]:
    rng = random.Random(seed)
    clean = clean_records(rng)
    files: dict[str, list[dict[str, str]]] = {ALIGNED: [], UNALIGNED: []}
    for record in clean:
        files[_label_of(record)].append(record)
    for file_label, record in noise_records(rng, clean):
        files[file_label].append(record)
    for records in files.values():
        rng.shuffle(records)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    files = generate(args.seed)
    for label, name in ((ALIGNED, "aligned.json"), (UNALIGNED, "unaligned.json")):
        path = args.out / name
        write_json(path, files[label], indent=1)
        print(f"{path}: {len(files[label])} records")


if __name__ == "__main__":
    main()
