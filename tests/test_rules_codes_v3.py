"""Spec v3's fault-code and parameter forms, each tested both ways: read where the spec says it is written as
one, and not read in running text, units, steps, ordinals, terminals, dates, versions or software names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ea_plugin import ALIGNED, UNALIGNED
from ea_plugin.rules import extract_entities
from ea_plugin.rules.decision import apply_rules
from ea_plugin.rules.normalize import nfkc


def normals(text: str) -> list[str]:
    """Every entity's normal form with its kind, in text order."""
    return [f"{type(e).__name__[0]}:{e.normal}" for e in extract_entities(text).in_order()]


def verdict(question: str, chunk: str) -> str:
    return apply_rules(extract_entities(question), extract_entities(chunk)).label


def spans_hold(text: str) -> None:
    """Every entity says why it was read, and its span is its text in the NFKC-normalised text."""
    entities = extract_entities(text)
    written = nfkc(text)
    for e in entities.in_order():
        assert e.why and written[e.span[0] : e.span[1]] == e.text, e


# -- parameters: any index length, "-" = ".", instances, parameter cues ------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("参数P2.1523怎么设", ["P:p2-1523"]),
        ("P2-1523：制动电阻最大值", ["P:p2-1523"]),
        ("P0.20015", ["P:p0-20015"]),
        ("P2.1523.0.1", ["P:p2-1523"]),  # an instance after a second dot is like a sub-code
        ("H02-00", ["P:h2-0"]),
        ("PNU 2010", ["P:2010"]),
        ("参数2010", ["P:2010"]),
        ("参数 571是什么参数", ["P:571"]),
        ("Parameter 10776: Search ref check angle", ["P:10776"]),  # a cue wins over the row form
        ("功能码：15", ["P:15"]),
        ("object 2010", ["P:2010"]),
        ("參數 238（Communications）", ["P:238"]),
    ],
)
def test_parameters_of_spec_v3_are_read(text, expected):
    assert normals(text) == expected
    spans_hold(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("参数设置为10", []),  # the number is not right after the cue
        ("参数10%", []),  # a quantity
        ("参数 2023-05-01", []),  # a date
        ("指令无输入参数\n33537：LimZ指令参数超出范围", ["F:*/33537"]),  # a cue holds on its own line only
        ("P2.1523 V1.2", ["P:p2-1523"]),  # a version is no parameter
    ],
)
def test_numbers_near_a_parameter_cue_that_are_no_parameter_number(text, expected):
    assert normals(text) == expected


@pytest.mark.parametrize(
    ("question", "chunk", "expected"),
    [
        ("参数P2.1523怎么设", "P2-1523：制动电阻最大值…", ALIGNED),
        ("参数P2.1523怎么设", "P2.1522：制动电阻功率…", UNALIGNED),
        ("P2.1523.0.1", "P2.1523.0.2 的实例", ALIGNED),
        ("P0.20015", "P0.20016", UNALIGNED),
        ("PNU 2010怎么设", "参数2010：通信波特率", ALIGNED),
        ("PNU 2010怎么设", "参数2011：通信地址", UNALIGNED),
        ("parameter 10203怎么设？", "参数10206：Encoder to motor scale factor", UNALIGNED),
        # a menu id of more levels (Vacon P2.1.1) reads as group, index and instance: the last levels never separate
        ("参数P2.1.1怎么设", "P2.1.2：最大频率", ALIGNED),
        ("参数P2.1.1怎么设", "P2-1-1：最小频率", ALIGNED),
        ("参数P2.1.1怎么设", "P2.2.1：加速时间", UNALIGNED),
    ],
)
def test_parameter_decisions(question, chunk, expected):
    assert verdict(question, chunk) == expected


# -- a unit stands on the number's own line ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ALARM 4321\nM-CODE ERROR", ["F:*/4321"]),
        ("报警17\nmm单位设置", ["F:*/17"]),
        ("ALARM 0310\nFILE ATTRIBUTE", ["F:*/310"]),
        ("显示24 V", []),
        ("报警后等待100 ms", []),
    ],
)
def test_a_unit_counts_only_on_the_numbers_own_line(text, expected):
    assert normals(text) == expected


# -- a family word and its number one space apart ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MR-J4报AL 16", ["P:mrj4", "F:AL/16"]),
        ("AL 127", ["F:AL/127"]),
        ("ALM 21", ["F:AL/21"]),
        ("Err 16", ["F:E/16"]),
        ("ERR 16.1", ["F:E/16.1"]),
        ("AL 3E1", ["F:AL/3e1"]),
        ("ALARM 1020", ["F:*/1020"]),  # an English cue word and its number: a bare number (spec v2)
    ],
)
def test_a_family_word_and_its_number_one_space_apart_are_one_code(text, expected):
    assert normals(text) == expected
    spans_hold(text)
    code = extract_entities(text).faults[0]
    assert code.text.lower().startswith(("al", "err")) or code.family is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E 100", []),  # a lone E is too common in text
        ("Err code", []),
        ("AL 16系列", []),  # before a product word: a product's name
        ("et al 2020", []),
        ("Err  16", ["F:*/16"]),  # two spaces: the word is a cue, the number bare
    ],
)
def test_spaced_family_words_that_are_not_one_code(text, expected):
    assert normals(text) == expected


# -- signed codes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SDK调用返回-2", ["F:*/-2"]),
        ("error code -4", ["F:*/-4"]),
        ("错误码：-4", ["F:*/-4"]),
        ("返回值 -18：Invalid state value", ["F:*/-18"]),
        ("the call returns -4 when busy", ["F:*/-4"]),
        ("return value -3", ["F:*/-3"]),
        ("报警−7", ["F:*/-7"]),  # the minus sign
        ("-5：参数错误", ["F:*/-5"]),  # a signed number opening a row
        ("错误码 －5", ["F:*/-5"]),  # full width
    ],
)
def test_signed_numbers_after_a_code_cue_keep_their_sign(text, expected):
    assert normals(text) == expected
    spans_hold(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("返回4", []),  # 返回 is a cue for signed numbers only
        ("温度-40℃报警", []),  # a quantity
        ("范围1~-5", []),
        ("偏差 -5 个脉冲", []),  # no cue
        ("E-4", ["F:E/4"]),  # the hyphen of a family code is no sign
        ("P2-4", ["P:p2-4"]),
    ],
)
def test_minus_signs_that_make_no_signed_code(text, expected):
    assert normals(text) == expected


@pytest.mark.parametrize(
    ("question", "chunk", "expected"),
    [
        ("SDK调用返回-2", "错误码说明 2：参数超出范围", UNALIGNED),
        ("SDK调用返回-2", "错误码 -2：参数超出范围", ALIGNED),
        # a question with no sign against the chunk's negative code: a sign dropped in typing decides nothing (keep);
        # the question's sign against the chunk's unsigned code, or other digits, still differ
        ("FR5机械臂 错误码5 how to fix", "FR5机械臂 错误码 -5：The lua file does not exist", ALIGNED),
        ("PreciseFlex 400 报错1046", "PreciseFlex 400 错误代码\n错误码 -1046：Invalid robot number", ALIGNED),
        ("报错1046", "错误码 -1047：Invalid axis", UNALIGNED),
        ("错误码-5", "错误码 5：Busy", UNALIGNED),
        ("FR5机械臂 错误码5", "FR5机械臂 错误码 -5：lua\n错误码 -6：timeout", ALIGNED),
        ("FR5机械臂 错误码5 and 错误码7", "FR5机械臂 错误码 -8：timeout", UNALIGNED),
        ("A1000报警7", "A1000 Code -7 (oH1): heatsink", ALIGNED),  # a signed number paired with a mnemonic
        ("error code -14", "返回值 -14：Invalid", ALIGNED),
        ("MR-J4报AL 16", "MR-J4 报警 AL.16：编码器初始通信异常", ALIGNED),
        ("MR-J4报AL 16", "MR-J4 报警 E16：编码器", UNALIGNED),  # AL family vs E family
        ("Err 16怎么办", "Err16.0 过载", ALIGNED),
    ],
)
def test_signed_and_spaced_code_decisions(question, chunk, expected):
    assert verdict(question, chunk) == expected


# -- tables without colons ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1440  ALARM-A  SPINDLE OVERHEAT\n1441  ALARM-B  SPINDLE OVERLOAD", ["F:*/1440", "F:*/1441"]),
        ("| 代码 | 名称 |\n|---|---|\n| 17 | 过流 |\n| 18 | 过压 |", ["F:*/17", "F:*/18"]),
        ("A1000 故障代码表\noC    过电流\nov    过电压", ["P:a1000", "F:MN/oc", "F:MN/ov"]),
        ("| Code | Name |\n|---|---|\n| tJF | IGBT overheating |\n| SCF4 | IGBT short |", ["F:MN/tjf", "F:MN/scf4"]),
        ("tHEF\tEncoder module thermal level error\nCFI4\tEmpty configuration", ["F:MN/thef", "F:MN/cfi4"]),
        ("-4    参数错误\n-5    超时", ["F:*/-4", "F:*/-5"]),  # signed cells
        ("AL009  Front Safety Door Open\n17  过流", ["F:AL/9", "F:*/17"]),  # a family code's row counts
    ],
)
def test_the_first_cells_of_a_tables_rows_are_codes(text, expected):
    assert normals(text) == expected
    spans_hold(text)


@pytest.mark.parametrize(
    "text",
    [
        "1440  ALARM-A  SPINDLE OVERHEAT",  # one row is no table
        "Code  Name\nID  Value",  # header words are no codes
        "1. 检查接线\n2. 检查电源",  # steps
        "Step 2: check the 24 V supply.\nNote: power off first.",
        "10  次\n20  次",  # quantities
        "P0-01  控制方式\nP0-02  命令源",  # parameters, not codes
        "OK    正常\nON    运行",  # words of running text
        "| Ramp | 斜坡时间 |\n| Jerk | 加加速度 |",  # capitalised words head a parameter table
        # a row's colon is on its number's line: reStructuredText options are no rows ("120⏎:header-rows: 1")
        ".. list-table:: XE2 faults\n   :widths: 30 70 70 120\n   :header-rows: 1\n",
    ],
)
def test_lines_that_make_no_table_of_codes(text):
    assert extract_entities(text).faults == ()


# -- MN mnemonics ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected", "why"),
    [
        ("安川A1000变频器显示oC", "oc", "after cue '显示'"),
        ("报ov故障", "ov", "cue"),
        ("V1000报OH1故障", "oh1", "before cue '故障'"),
        ("OL2报警", "ol2", "before cue '报警'"),
        ("fault OH1", "oh1", "after cue 'fault'"),
        ("fault ocA occurs at start", "oca", "after cue 'fault'"),  # mixed case: a panel's code
        ("ACOPOSinverter P86 fault PHF, what does it mean?", "phf", "after cue 'fault'"),
        ("ACOPOSinverter P76 fault SOF how to fix", "sof", "after cue 'fault'"),  # a new clause follows
        ("面板显示 saff是什么意思", "saff", "after cue '显示'"),
        ("面板显示“GF”", "gf", "after cue '显示'"),
        ("ocA：加速中过电流", "oca", "heading"),
        ("A1000故障一览 ov：主回路过电压", "ov", "heading"),
        ("# PGo: PG断线", "pgo", "heading"),
        ("显示FAn", "fan", "after cue '显示'"),  # a word in a case no word has
        ("ＯＬ２报警", "ol2", "before cue '报警'"),  # full width
        ("ACOPOSinverter P86 SPF报警", "spf", "before cue '报警'"),  # capitals after a model, an event's cue
        ("oC故障码是什么意思", "oc", "before cue '故障'"),  # a case no word has: a code before 故障码 too
        ("OL2报警代码", "ol2", "before cue '报警'"),  # ... or a digit
        ("GF报警表示接地故障", "gf", "before cue '报警'"),  # 表示 (means) names no list
        ("oC故障3次后停机", "oc", "before cue '故障'"),  # a count after the cue: the cue is still the token's
        ("OL2报警 2023-05-01", "ol2", "before cue '报警'"),  # ... a date too
        # a two-letter mark that panels also show (CE: a communication error), next to a code cue
        ("故障码 CE", "ce", "after cue '故障码'"), ("变频器显示CE", "ce", "after cue '显示'"),
        ("H100 fault CE how to fix", "ce", "after cue 'fault'"), ("CE报警", "ce", "before cue '报警'"),
        ("变频器显示OS", "os", "after cue '显示'"),  # overspeed, as users type Yaskawa's oS
        ("面板显示 CE: what to do?", "ce", "after cue '显示'"),  # the cue decides, not the colon after
    ],
)
def test_mnemonics_written_as_codes_are_read(text, expected, why):
    (code,) = [f for f in extract_entities(text).faults if f.family == "MN"]
    assert code.main == expected and why in code.why
    assert code.normal == f"MN/{expected}"
    spans_hold(text)


@pytest.mark.parametrize(
    "text",
    [
        "显示OK", "报警LED亮", "IGBT故障", "CPU报警", "显示ON", "RUN报警后STOP", "DC故障",  # words and abbreviations
        "fault is cleared", "the fault log.", "alarm list", "error code", "Fault Reset",  # English after a cue
        "0x7122 error ABZ signals", "joint error: IMU sensor", "data error (CRC)", "fault log is full",
        "ATV340 故障代码（LFT）", "Linux RT 错误",
        "F01009 CU: Control module overtemperature",  # after a code, not a heading
        "10005：joint error: hall\n报警10006", "Step 2: check", "Note: power off",
        "DI1故障", "DO2报警", "SW1报警",  # terminals
        # device classes (spec v3: CPU, PLC): a device's fault, not a code
        "H100 VFD报警", "VSD故障", "PLC报警", "HMI故障", "DCS报警",
        # letters as words are written before a list of codes or a manual name what it belongs to (a title)
        "H100 VFD 故障代码", "ATV320 XYZ 故障代码", "GPL 错误码说明", "ABC 报警代码一览", "QRS 故障表",
        "OC故障码是什么意思", "VFD 使用说明书", "ABC 操作手册", "XYZ 用户手冊",
        "FR5 错误码5", "XY12 报警 7", "AB3 故障码：-4",  # the cue is the number's: the token names a product
        "mark 认证标志", "ring：环形拓扑", "flow: 流量设定",  # English words heading a line, written as words
        "oC", "the oC value",  # no context, no catalog
        "E.OC1", "Er1报警", "AL16报警", "F501", "n501报警",  # other families
    ],
)
def test_words_terminals_and_other_families_are_never_mnemonics(text):
    assert [f for f in extract_entities(text).faults if f.family == "MN"] == []


@pytest.mark.parametrize(("text", "expected"), [
    # a table's code column: the abbreviation among other codes (it alone makes no column of codes)
    ("Fault codes\nCE      Communication error\nSP      Speed deviation", ["ce", "sp"]),
    ("故障代码\n| EF | 外部故障 |\n| CE | 通讯错误 |\n| bb | 基极封锁 |", ["ef", "ce", "bb"]),
    ("故障代码\nCE\t通讯错误\nrE\t复位错误", ["ce", "re"]),
    # a list of code headings, CE among them; in brackets beside a numbered code
    ("故障代码\nCE：通讯错误\nSP：速度异常", ["ce", "sp"]), ("CE：通讯异常\n6019：过流", ["ce"]),
    ("Code 12 (CE): Communication error", ["ce"]), ("故障码 12（CE）：通讯", ["ce"]),
])
def test_two_letter_panel_codes_in_a_code_column_cue_or_brackets(text, expected):
    assert [f.main for f in extract_entities(text).faults if f.family == "MN"] == expected
    spans_hold(text)


@pytest.mark.parametrize("text", [
    "CE marking applies", "符合CE标准", "the CE mark", "CE认证", "the PG card", "error ID: 5", "fault CH 3",
    "Windows OS 升级", "the OS image",
    "CE：通讯异常",  # one heading alone: a glossary's line as well ("CE：欧盟认证")
    "CE：欧盟认证\nUL：美国认证\nPG：脉冲发生器",  # a glossary: no code heads a line
    "| DI | 数字输入 |\n| AI | 模拟输入 |",  # a table of abbreviations and no code
    "说明\nCE：欧盟认证\n报警E100：过流",  # the code does not head its line
    "the SP value", "Re: your question", "re-enter the value",
])
def test_two_letter_marks_and_words_in_running_text_are_no_codes(text):
    assert [f for f in extract_entities(text).faults if f.family == "MN"] == []


def test_a_capitalised_word_in_brackets_explains_and_pairs_with_nothing():
    (number,) = extract_entities("报警37：Internal error 7 (Init)").faults[1:]
    assert (number.main, number.pair) == ("7", None)


def test_a_mnemonic_in_brackets_beside_a_number_pairs_with_it():
    entities = extract_entities("Code 7 (oH1): heatsink overheat")
    number, mnemonic = entities.faults
    assert (number.main, number.pair) == ("7", ("MN", "oh1"))
    assert (mnemonic.family, mnemonic.main, mnemonic.pair) == ("MN", "oh1", (None, "7"))
    assert "brackets" in mnemonic.why
    (number, mnemonic) = extract_entities("A1000 故障码 2（oC）过电流").faults
    assert number.pair == ("MN", "oc") and mnemonic.pair == (None, "2")


def test_a_catalog_listed_mnemonic_is_read_anywhere(tmp_path):
    from ea_plugin.rules.catalog import load_catalog

    path = tmp_path / "mine.yaml"
    path.write_text("series:\n  - id: yaskawa/a1000\n    brand: yaskawa\n    aliases: [A1000]\n"
                    "    fault_codes: [oC, Uv1, GF]\n", "utf-8")
    catalog = load_catalog(str(path))
    assert [f.normal for f in extract_entities("the GF value", catalog).faults] == ["MN/gf"]
    assert extract_entities("the GF value").faults == ()
    assert [f.why for f in extract_entities("the GF value", catalog).faults] == [
        "mnemonic listed among a series' codes by the catalog"]


def test_a_catalog_listing_a_two_letter_mark_reads_it_only_where_a_code_stands(tmp_path):
    from ea_plugin.rules.catalog import load_catalog

    path = tmp_path / "mine.yaml"
    path.write_text("series:\n  - id: yaskawa/a1000\n    brand: yaskawa\n    aliases: [A1000]\n"
                    "    fault_codes: [oC, CE]\n", "utf-8")
    catalog = load_catalog(str(path))
    assert extract_entities("符合CE标准 (CE marking)", catalog).faults == ()
    assert [f.normal for f in extract_entities("故障码 CE", catalog).faults] == ["MN/ce"]
    assert [f.normal for f in extract_entities("the oC value", catalog).faults] == ["MN/oc"]


@pytest.mark.parametrize(
    ("question", "chunk", "expected"),
    [
        ("安川A1000变频器显示oC", "A1000故障一览 ov：主回路过电压…", UNALIGNED),  # mnemonics differ
        ("V1000报OH1故障", "V1000 故障显示 oH1：散热片过热", ALIGNED),  # lower-case normal form
        ("台达VFD-E出现ocA", "VFD-E 异常代码 ocd：减速中过电流", UNALIGNED),
        ("A1000报oC", "A1000 故障码 2（oC）过电流", ALIGNED),  # the chunk pairs 2 with oC
        ("A1000报oC", "A1000 Code 7 (oH1): heatsink", UNALIGNED),  # the pair's mnemonic is oh1
        ("A1000报警7", "A1000 Code 7 (oH1): heatsink", ALIGNED),
        ("A1000报警8", "A1000 Code 7 (oH1): heatsink", UNALIGNED),  # the pair's number is 7
        ("A1000报警7", "A1000 oH1：散热片过热", ALIGNED),  # a number against a lone mnemonic decides nothing
        ("A1000报oC", "A1000 报警7：散热片过热", ALIGNED),
        ("A1000报Uv1", "A1000 故障代码表\noC    过电流\nov    过电压", UNALIGNED),
        ("A1000报ov", "A1000 故障代码表\noC    过电流\nov    过电压", ALIGNED),
        ("E.OC1报警", "oC1：过流", ALIGNED),  # E.OC1 stays the E family: against a mnemonic it decides nothing
        # a device class is no code: the question asks no code, the page's codes decide nothing (rule 4)
        ("H100 VFD报警怎么复位", "H100 故障一览\noC    过电流\nov    过电压", ALIGNED),
        ("XYZ 故障代码有哪些", "故障一览\noC    过电流\nov    过电压", ALIGNED),
        ("XY12 报警7怎么办", "报警8：过流", UNALIGNED),  # XY12 is no mnemonic that would leave 7 vs 8 undecided
        # two-letter codes in a table's code column, CE among them
        ("H100 显示CE", "Fault codes\nCE      Communication error\nSP      Speed deviation", ALIGNED),
        ("H100 显示rE", "Fault codes\nCE      Communication error\nSP      Speed deviation", UNALIGNED),
        ("H100 fault CE how to fix", "Fault codes\nSP      Speed deviation\nrE      Reset error", UNALIGNED),
        ("H100 故障码12", "H100 Code 12 (CE): Communication error", ALIGNED),
        ("H100 报CE故障", "H100 Code 13 (SP): Speed deviation", UNALIGNED),
    ],
)
def test_mnemonic_decisions(question, chunk, expected):
    assert verdict(question, chunk) == expected


# -- properties at the text boundary -----------------------------------------------------------------------------
_MNEMONICS = st.sampled_from(["oc", "ov", "uv1", "oh1", "gf", "ol2", "oca", "pgo", "scf4", "tjf"])
_CONTEXTS = st.sampled_from(["显示{}", "报{}故障", "{}报警", "{}：过电流", "A1000 故障码 2（{}）过电流",
                             "故障代码表\n{}    过电流\nzz9    过电压"])


def _cased(token: str, how: int) -> str:
    """The token upper-cased (0), with its first letter lower and the rest upper (1: oC, oH1), or as given (2)."""
    if how == 0:
        return token.upper()
    return token[0] + token[1:].upper() if how == 1 else token


@settings(max_examples=200, deadline=None)
@given(_MNEMONICS, _CONTEXTS, st.integers(0, 2), st.booleans())
def test_a_mnemonic_reads_the_same_in_any_case_and_width(token, context, how, wide):
    """OC = oC = ｏＣ: the normal form is lower-case, and full-width forms read as their ASCII ones."""
    written = _cased(token, how)
    text = context.format(written)
    if wide:
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    mnemonics = [f for f in extract_entities(text).faults if f.family == "MN" and f.main == token]
    assert [f.normal for f in mnemonics] == [f"MN/{token}"], text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["oC", "7", "(", ")", " ", "  ", "\t", "\n", "|", "返回", "-", "4", "AL", "Err",
                                 "16", ":", "显示", "故障", "fault", "P2", ".", "1523", "参数", "PNU", "OK", "。",
                                 "CE", "SP", "VFD", "故障代码", "：", "H100"]),
                max_size=20).map("".join))
def test_v3_forms_never_overlap_and_never_raise(text):
    entities = extract_entities(text)
    spans = sorted(e.span for e in entities.in_order())
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    spans_hold(text)
    apply_rules(entities, entities)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["CE", "UL", "PG", "DI", "ce", "marking", "the", "mark", "card", "符合", "标准",
                                 "认证", "欧盟", " ", "  ", "\t", "\n", "|", "(", ")", "：", ":", "，", "VFD", "HMI",
                                 "使用说明书"]),
                max_size=16).map(" ".join))  # apart: joined letters make other tokens (CECE, a mnemonic's shape)
def test_marks_and_device_classes_without_a_code_or_cue_are_never_codes(text):
    """Two-letter marks (CE) and device classes (VFD) are codes only beside a code cue, a numbered code or other codes
    in a column: in text that has none of these, whatever its layout (tables, brackets, headings), none is read."""
    assert extract_entities(text).faults == ()


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("CE ： CE \n mark | CE", []),  # hypothesis found it: "mark" is an English word, so CE stood in no column
        ("link  连接\nmark  标记", []),  # a glossary of lower-case words is no table of codes
        ("ov   过电压\noc   过电流", ["ov", "oc"]),  # lower-case panel codes in a column still are
        ("CE   通讯错误\nov   过电压", ["CE", "ov"]),  # and an abbreviation beside them
    ],
)
def test_a_lower_case_english_word_opens_no_code_row(text, codes):
    assert [f.text for f in extract_entities(text).faults] == codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CR 5报警112", ["P:cr5", "F:*/112"]),  # a spaced model's digit is never a code
        ("MG 400报警17", ["P:mg400", "F:*/17"]),
        ("PreciseFlex 400错误码2818", ["P:preciseflex400", "F:*/2818"]),
    ],
)
def test_a_spaced_models_digits_are_never_a_code(text, expected):
    assert normals(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oC1 加速过电流\noC2 减速过电流", ["F:MN/oc1", "F:MN/oc2"]),  # headings with a Chinese description
        ("Lu 欠压", ["F:MN/lu"]),
        ("显示Uv", ["F:MN/uv"]),  # capitalised letters after a Chinese cue
        ("Uv：欠压", ["F:MN/uv"]),
        ("Hint: use the key", []),  # a capitalised word heading English text
        ("Load above 50% makes it more likely.", []),
        ("OK 按钮", []),
        ("面板显示Er", []),  # a family prefix cut from its number
    ],
)
def test_mnemonic_headings_and_capitalised_names(text, expected):
    assert normals(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("显示CPF00", ["F:MN/cpf00"]),  # a model's shape where a code is shown
        ("V1000报CPF02故障", ["P:v1000", "F:MN/cpf02"]),
        ("oPE01：参数设定错误", ["F:MN/ope01"]),
        ("| CPF00 | 控制回路 |\n| CPF01 | 主回路 |", ["F:MN/cpf00", "F:MN/cpf01"]),
        ("ABC12报警", ["P:abc12"]),  # a model is named before 报警
        ("ATV32：变频器概述", ["P:atv32"]),  # and heads its pages
        ("XY20 伺服驱动器手册", ["P:xy20"]),
        ("CR10报警22", ["P:cr10", "F:*/22"]),  # a catalog's model stays one
    ],
)
def test_model_shaped_codes_where_a_code_is_written(text, expected):
    assert normals(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1  检查电源\n2  检查接线\n3  重新上电",  # rows numbered 1, 2, 3: steps, not codes
        "Pin  Signal\n1    +24V\n2    GND\n3    DI1",
        "TX  发送\nRX  接收",  # signal and gain abbreviations
        "Kp  比例增益\nKi  积分增益",
    ],
)
def test_enumerations_and_abbreviation_tables_are_no_codes(text):
    assert extract_entities(text).faults == ()


def test_a_table_numbered_otherwise_keeps_its_codes():
    assert normals("| 1 | Hard limit |\n| 3 | Abort during cycle |") == ["F:*/1", "F:*/3"]
    assert normals("1.5  x\n2  y") == ["F:*/1.5", "F:*/2"]


@pytest.mark.parametrize(
    "text", ["TwinCAT 3报错", "RobotWare 6.08报警", "固件3.2显示异常", "软件版本V2.1报警", "ROS 2报错",
             "Windows 10报错", "CODESYS V3报错", "显示版本3.2", "2023-05-01报警", "第3步报警", "3号轴报警"],
)
def test_software_versions_dates_steps_and_ordinals_before_a_cue_are_no_codes(text):
    assert extract_entities(text).faults == ()
