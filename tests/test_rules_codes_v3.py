"""Spec v3's fault-code and parameter forms, each tested both ways: read where the spec says it is written as
one, and not read in running text, units, steps, ordinals, terminals, dates, versions or software names."""

from __future__ import annotations

import pytest

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
        ("FR5机械臂 错误码5 how to fix", "FR5机械臂 错误码 -5：The lua file does not exist", UNALIGNED),
        ("error code -14", "返回值 -14：Invalid", ALIGNED),
        ("MR-J4报AL 16", "MR-J4 报警 AL.16：编码器初始通信异常", ALIGNED),
        ("MR-J4报AL 16", "MR-J4 报警 E16：编码器", UNALIGNED),  # AL family vs E family
        ("Err 16怎么办", "Err16.0 过载", ALIGNED),
    ],
)
def test_signed_and_spaced_code_decisions(question, chunk, expected):
    assert verdict(question, chunk) == expected
