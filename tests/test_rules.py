"""The rules backend against every worked example of spec/alignment-rules.md, and normal forms."""

import pytest

from ea_plugin import ALIGNED, UNALIGNED, Pair, load_judge
from ea_plugin.backends.rules import RulesBackend
from ea_plugin.entities import extract_entities, main_model, normalize_product

SPEC_EXAMPLES = [
    ("sv660n出现e100故障怎么办？", "sv660系列e100.1故障表示过电流…", ALIGNED),
    ("sv660n出现e100故障怎么办？", "md500变频器e100故障…", UNALIGNED),
    ("sv660n出现e100故障怎么办？", "sv660n报e101故障时…", UNALIGNED),
    ("SV660P报Er.101", "SV660N的E101.0表示系统参数异常", ALIGNED),
    ("e100故障怎么办", "伺服驱动器报e100.2…", ALIGNED),
    ("is620p报警AL001", "is620p出现E001…", UNALIGNED),
    ("伺服驱动器怎么调增益？", "sv660n增益调整步骤…", ALIGNED),
    ("md500参数F0-02怎么设", "md500的F0-03参数表示…", UNALIGNED),
    ("md500和md290报E.OC1", "md290 E.OC1 过流…", ALIGNED),
    ("sv660n报e100", "过电流故障的一般处理方法…", ALIGNED),
]


@pytest.mark.parametrize(("question", "chunk", "expected"), SPEC_EXAMPLES)
def test_rules_backend_follows_every_worked_example_of_the_spec(question, chunk, expected):
    verdict = load_judge("rules").judge(question, chunk)
    assert verdict.label == expected, verdict.reasoning
    assert verdict.kept == (expected == ALIGNED)


@pytest.mark.parametrize(
    ("written", "normal", "main"),
    [
        ("SV660N", "sv660n", "sv660"),
        ("sv660-n", "sv660n", "sv660"),
        ("SV 660N", "sv660n", "sv660"),
        ("MD500E变频器", "md500e", "md500"),
        ("IS620P系列", "is620p", "is620"),
        ("ASDA-A2", "asdaa2", "asdaa2"),
        ("SGD7S", "sgd7s", "sgd7"),
    ],
)
def test_product_normal_form_and_main_model(written, normal, main):
    assert normalize_product(written) == normal
    assert main_model(normal) == main


@pytest.mark.parametrize(
    ("text", "family", "main", "sub"),
    [
        ("E100", "e", "100", None),
        ("e100.1", "e", "100", "1"),
        ("Er.101", "e", "101", None),
        ("Err-01", "e", "1", None),
        ("fault_02", "fault", "2", None),
        ("AL001", "al", "1", None),
        ("AL.001", "al", "1", None),
        ("A.020", "a.", "20", None),
        ("EB00.1", "e", "b00", "1"),
        ("E740.2", "e", "740", "2"),
        ("报100故障", None, "100", None),
    ],
)
def test_fault_code_family_main_code_and_sub_code(text, family, main, sub):
    (code,) = extract_entities(text).faults
    assert (code.family, code.main, code.sub) == (family, main, sub)


@pytest.mark.parametrize("text", ["H02-00", "P0-01", "F0-02", "H02.00"])
def test_parameter_letters_never_start_a_fault_code(text):
    entities = extract_entities(f"参数{text}怎么设置")
    assert [p.text for p in entities.parameters] == [text]
    assert entities.faults == () and entities.products == ()


@pytest.mark.parametrize(
    ("question", "chunk", "expected"),
    [
        ("E101.0是什么故障", "E101.1表示参数异常", ALIGNED),  # sub-codes never separate
        ("报100故障", "AL100报警处理", ALIGNED),  # a bare number matches any family
        ("报100故障", "E101处理", UNALIGNED),
        ("H02-00怎么设", "H02.00为控制模式选择", ALIGNED),  # parameter normal form
        ("RS485通讯怎么接", "sv660n的通讯接线", ALIGNED),  # interface names are not products
        ("sv660n e100", "SV660N、MD500 系列 e100 故障说明", ALIGNED),  # one of several products matches
        ("md500报E100", "sv660n和md500的故障码表：E101、E100", ALIGNED),
        ("sv660n e100", "sv660n 增益调整", ALIGNED),  # chunk names no fault code
    ],
)
def test_rules_edge_cases(question, chunk, expected):
    assert load_judge("rules").judge(question, chunk).label == expected


def test_rules_reasoning_has_the_four_steps_and_matches_the_label():
    (verdict,) = RulesBackend().generate([Pair("sv660n出现e100故障怎么办？", "md500变频器e100故障…")])
    lines = verdict.reasoning.splitlines()
    assert [line[:2] for line in lines] == ["1.", "2.", "3.", "4."]
    assert "产品信息-sv660n" in lines[0] and "产品信息-md500" in lines[1]
    assert lines[2].endswith(UNALIGNED) and verdict.extra["rule"] == "product"
