"""The rules backend against every worked example of spec v3, and each extraction form and decision rule."""

import pytest

from ea_plugin import ALIGNED, UNALIGNED, Pair, load_judge
from ea_plugin.backends.rules import RulesBackend
from ea_plugin.examples import WORKED_EXAMPLES
from ea_plugin.rules import extract_entities, main_model, normalize_product
from ea_plugin.rules.decision import apply_rules


@pytest.fixture(scope="module")
def rules():
    return RulesBackend()


def judge(rules, question, chunk):
    (verdict,) = rules.generate([Pair(question, chunk)])
    return verdict


@pytest.mark.parametrize("example", WORKED_EXAMPLES, ids=lambda ex: f"{ex.question}|{ex.chunk[:12]}")
def test_rules_backend_follows_every_worked_example_of_the_spec(example):
    verdict = load_judge("rules").judge(example.question, example.chunk)
    assert verdict.label == example.label, (example.why, verdict.reasoning)
    assert verdict.kept == (example.label == ALIGNED)


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
        ("MG 400", "mg400", "mg400"),
        ("MR-J4-10A", "mrj410a", "mrj4"),
        ("R88D-KN01H-ECT", "r88dkn01hect", "r88dkn"),
        ("ＳＶ６６０Ｎ", "sv660n", "sv660"),
    ],
)
def test_product_normal_form_and_main_model(written, normal, main):
    assert normalize_product(written) == normal
    assert main_model(written) == main


@pytest.mark.parametrize(
    ("text", "family", "main", "sub"),
    [
        ("E100", "E", "100", None),
        ("e100.1", "E", "100", "1"),
        ("Er.101", "E", "101", None),
        ("Err-01", "E", "1", None),
        ("ERR16", "E", "16", None),
        ("Err16.0", "E", "16", "0"),
        ("EB00.1", "E", "b00", "1"),
        ("E.OC1", "E", "oc1", None),
        ("AL001", "AL", "1", None),
        ("AL.001", "AL", "1", None),
        ("AL-009", "AL", "9", None),
        ("ALM21", "AL", "21", None),
        ("AL3E1", "AL", "3e1", None),
        ("A.020", "A", "20", None),
        ("A.C90", "A", "c90", None),
        ("A.7Ab", "A", "7ab", None),
        ("报警A710", "A", "710", None),
        ("F501", "F", "501", None),
        ("F07801", "F", "7801", None),
        ("F0001", "F", "1", None),
        ("fault_02", "F", "2", None),
        ("fault-02", "F", "2", None),
        ("n501", "N", "501", None),
        ("0x0F0001", "HEX", "f0001", None),
        ("0x2310", "HEX", "2310", None),
        ("2310h", "HEX", "2310", None),
        ("Ｅ１００", "E", "100", None),
    ],
)
def test_fault_code_family_main_code_and_sub_code(text, family, main, sub):
    (code,) = extract_entities(text).faults
    assert (code.family, code.main, code.sub) == (family, main, sub)
    assert code.why


@pytest.mark.parametrize(
    ("text", "main", "sub"),
    [
        ("报100故障", "100", None),
        ("报警6019", "6019", None),
        ("显示21", "21", None),
        ("显示2", "2", None),
        ("故障32（过流）", "32", None),
        ("出现21.1", "21", "1"),
        ("6019：过流", "6019", None),
        ("6019 :\n过流", "6019", None),  # the colon on the number's line, the description after a break
        ("21号故障", "21", None),
        ("代码：15", "15", None),
        ("Error 21", "21", None),
        ("Alarm 16 occurs", "16", None),
        ("Fault 2", "2", None),
        ("alarm code: 31", "31", None),
        ("G5系列 38.0：驱动禁止", "38", "0"),
        ("故障（21）", "21", None),
        ("报警No.21", "21", None),
        ("Alarm No.16: encoder", "16", None),
        ("报警3号，请检查", "3", None),  # 号 with no part noun after it: still the code's number
        ("显示12号报警", "12", None),
        ("报警3#，请检查", "3", None),  # "#" with no part noun or digit after it
        ("报警#5", "5", None),
        ("17號報警", "17", None),  # traditional script: 號 as 号
        ("MG400 17號故障", "17", None),
        ("報警號：17", "17", None),
        ("故障編號17", "17", None),
        ("请问G5系列伺服：24.0故障", "24", "0"),  # a colon after a word or a model only sets the code apart
        ("MG400：17号报警", "17", None),
        (":17故障", "17", None),
    ],
)
def test_bare_numbers_next_to_a_code_cue_are_codes_of_no_family(text, main, sub):
    (code,) = extract_entities(text).faults
    assert (code.family, code.main, code.sub) == (None, main, sub)


@pytest.mark.parametrize(
    "text",
    ["出现10次", "报50%负载", "30秒后再上电", "显示24V", "显示3.5kW", "第2步", "1. 检查接线", "出现2023-05-01",
     "显示12:30", "报警后等待100ms", "出现3个报警", "Step 1: remove the cover", "输出50Hz", "温度80℃",
     "若同一故障1小时内出现3次", "报警后2小時內", "报警1号电机过热", "提示3号轴编码器断线", "故障 2 号机",
     "code 500 kbit/s", "error at 9600 baud", "code 128 kbps", "报警1#电机过热", "故障3#泵", "错误16#2310",
     "显示2#1010", "報警3號軸編碼器斷線", "故障 2 號機", "報警1號電機過熱",
     "12:30故障", "时间12:30报警", "Ratio 1:2故障", "2023-05-01 12:30:45故障"],
)
def test_numbers_with_units_steps_ordinals_and_dates_are_never_codes(text):
    assert extract_entities(text).faults == ()


def test_a_models_digits_are_never_a_code():
    entities = extract_entities("MG 400报警17怎么办")
    assert [p.text for p in entities.products] == ["MG 400"]
    assert [(f.text, f.main) for f in entities.faults] == [("17", "17")]
    entities = extract_entities("MG400 400报警")  # even before a cue: 400 after the model is a new token
    assert [p.main for p in entities.products] == ["mg400"]


@pytest.mark.parametrize(
    ("text", "product", "main"),
    [("报警17 MG400", "mg400", "17"), ("錯誤碼：12290 MG 400怎麼處理", "mg400", "12290"),
     ("error 83.1 G5系列", "g5", "83"), ("报警3 S120驱动器", "s120", "3"), ("报警5 A6伺服", "a6", "5")],
)
def test_a_code_before_a_model_whose_letters_look_like_a_unit_is_a_code(text, product, main):
    """The letters after the number are the model's (MG, G, S, A), not milligrams, grams, seconds or amperes."""
    entities = extract_entities(text)
    assert [p.main for p in entities.products] == [product]
    assert [f.main for f in entities.faults] == [main]


@pytest.mark.parametrize("text", ["报警17 mg", "重量报警5 mg以上", "显示30 ms后", "故障3 kW MD500", "报警2 A，请检查"])
def test_a_number_before_unit_letters_that_name_no_model_is_a_quantity(text):
    assert extract_entities(text).faults == ()


def test_a_code_shaped_word_inside_a_catalog_series_alias_is_the_models(tmp_path):
    entities = extract_entities("ABB MicroFlex e190 alarm 0x5442")
    assert [p.series for p in entities.models] == ["abb/microflex-e190"]
    assert [f.normal for f in entities.faults] == ["HEX/5442"]
    assert [f.normal for f in extract_entities("e190报警怎么办").faults] == ["E/190"]  # on its own: a code
    assert [f.normal for f in extract_entities("MicroFlex报e190").faults] == ["E/190"]  # not the alias
    catalog = tmp_path / "mine.json"
    catalog.write_text('{"brands": [{"id": "acme", "aliases": ["Acme"]}], '
                       '"series": [{"id": "acme/omega", "brand": "acme", "aliases": ["Omega E300 Plus"]}]}', "utf-8")
    judge = load_judge("rules", catalog=str(catalog))
    assert judge.judge("Omega E300 Plus报E101", "Omega E300 Plus：E102 过流").label == UNALIGNED
    assert judge.judge("Omega E300 Plus报E101", "Omega E300 Plus：E101.2 过流").label == ALIGNED
    assert judge.judge("E300报警", "E301报警").label == UNALIGNED  # outside the alias it is a code


@pytest.mark.parametrize(
    "text",
    ["Error 2", "status 0", "sensor 1", "Overload 1", "Axis 3", "Step 2", "Analog input1", "关节1",
     "RS485", "IP65", "AC220V", "DC24V", "CAN", "EtherCAT", "M12", "DI1", "DO2", "AI1", "CN1", "RJ45",
     "NTC10K", "UL508C", "SW1", "for 12 hours", "PT100", "AC伺服", "S型曲线", "mm2",
     "CiA402", "CiA 402", "DS402", "DS-301", "支持CiA402（DS402）协议"],
)
def test_never_products(text):
    assert extract_entities(text).products == ()


@pytest.mark.parametrize(
    ("text", "main", "series"),
    [
        ("欧姆龙G5报警", "g5", "omron/g5"),
        ("G5系列", "g5", "omron/g5"),
        ("A6伺服", "a6", "panasonic/minas-a6"),
        ("MINAS A6", "minasa6", "panasonic/minas-a6"),
        ("AKD驱动器", "akd", "kollmorgen/akd"),
        ("MADHT1505", "madht1505", "panasonic/minas-a5"),
        ("R88D-KN01H-ECT", "r88dkn", "omron/g5"),
        ("ASD-A2-0421-L", "asda2", "delta/asda-a2"),
        ("Ｍｇ ４００", "mg400", "dobot/mg400"),
        ("XY200驱动器", "xy200", None),  # unknown model: read by its shape
        ("QZ驱动器", "qz", None),  # letters only, before a product word
        ("Z9系列", "z9", None),  # one letter and a digit, before a product word
        ("DS5C驱动器", "ds5", None),  # DS and three digits is a CANopen profile (DS402); other DS names may be models
        ("DS402A", "ds402", None),
    ],
)
def test_models_series_and_catalog(text, main, series):
    (product,) = extract_entities(text).models
    assert (product.main, product.series) == (main, series)


def test_one_letter_and_letter_only_names_need_a_context_or_the_catalog():
    assert extract_entities("Z9").products == ()
    assert extract_entities("QZ").products == ()
    assert extract_entities("延时1s后").products == ()  # Omron's 1S only next to a brand or product word
    assert [p.series for p in extract_entities("欧姆龙1S伺服").models] == ["omron/1s"]


def test_brands_and_the_brand_of_an_unknown_model_written_after_one():
    entities = extract_entities("台达伺服报AL009")
    assert [(p.text, p.is_brand, p.brand) for p in entities.products] == [("台达", True, "delta")]
    (model,) = extract_entities("汇川XY300驱动器").models
    assert model.brand == "inovance" and model.series is None


@pytest.mark.parametrize("text", ["H02-00", "P0-01", "F0-02", "H02.00", "Pn100", "Fn000", "Un000"])
def test_parameters_are_never_codes_or_products(text):
    entities = extract_entities(f"参数{text}怎么设置")
    assert [p.text for p in entities.parameters] == [text]
    assert entities.faults == () and entities.products == ()


def test_each_entity_says_where_and_why_it_was_read():
    entities = extract_entities("ＳＶ６６０Ｎ报Ｅ１００")
    text = "SV660N报E100"
    for entity in entities.in_order():
        assert text[entity.span[0] : entity.span[1]] == entity.text and entity.why


@pytest.mark.parametrize(
    ("question", "chunk", "expected", "rule"),
    [
        ("E101.0是什么故障", "E101.1表示参数异常", ALIGNED, "fault"),  # sub-codes never separate
        ("显示21.0", "21.1：过流", ALIGNED, "fault"),
        ("报100故障", "AL100报警处理", ALIGNED, "fault"),  # a bare number matches any family
        ("报100故障", "E101处理", UNALIGNED, "fault"),
        ("H02-00怎么设", "H02.00为控制模式选择", ALIGNED, "parameter"),
        ("RS485通讯怎么接", "sv660n的通讯接线", ALIGNED, "default"),  # interfaces are not products
        ("sv660n e100", "SV660N、MD500 系列 e100 故障说明", ALIGNED, "product"),
        ("md500报E100", "sv660n和md500的故障码表：E101、E100", ALIGNED, "product"),
        ("sv660n e100", "sv660n 增益调整", ALIGNED, "product"),  # chunk names no fault code
        ("台达伺服报AL013", "XY200报警AL013", ALIGNED, "fault"),  # brand vs a model of unknown brand
        ("台达伺服报AL013", "XY200报警AL014", UNALIGNED, "fault"),
        ("台达伺服", "松下伺服", UNALIGNED, "product"),  # brand vs brand
        ("0x2310", "报警2310", ALIGNED, "fault"),  # HEX against a bare number: main codes
        ("F501", "n501", UNALIGNED, "fault"),
        ("SINAMICS V90报F07801", "V90 A07801 警告", UNALIGNED, "fault"),  # catalog: Siemens A = warning
        ("SV660N报Ｅ１００", "ｓｖ６６０ｎ出现e100.1", ALIGNED, "product"),  # full width
        ("MADHT1505报Err16", "MINAS A5 Err16.0 过载", ALIGNED, "product"),  # order code = series
        ("MADHT1505报Err16", "MINAS A6 Err16.0 过载", UNALIGNED, "product"),
    ],
)
def test_decision_rules(rules, question, chunk, expected, rule):
    verdict = judge(rules, question, chunk)
    assert (verdict.label, verdict.extra["rule"]) == (expected, rule), verdict.reasoning


def test_rules_reasoning_has_the_four_steps_and_names_the_deciding_entities(rules):
    verdict = judge(rules, "sv660n出现e100故障怎么办？", "md500变频器e100故障…")
    lines = verdict.reasoning.splitlines()
    assert [line[:2] for line in lines] == ["1.", "2.", "3.", "4."]
    assert "产品信息-sv660n" in lines[0] and "产品信息-md500" in lines[1]
    assert lines[2].endswith(UNALIGNED) and verdict.extra["rule"] == "product"
    assert verdict.extra["entities"] == {"question": ["sv660n"], "chunk": ["md500"]}
    assert "sv660n" in lines[3] and "md500" in lines[3]


def test_apply_rules_is_what_the_backend_applies():
    outcome = apply_rules(extract_entities("is620p报警AL001"), extract_entities("is620p出现E001…"))
    assert (outcome.label, outcome.rule) == (UNALIGNED, "fault")
    assert [e.text for e in outcome.question] == ["AL001"] and [e.text for e in outcome.chunk] == ["E001"]


@pytest.mark.parametrize(
    ("question", "chunk", "expected"),
    [
        ("台達伺服報警AL013", "ASDA-B3報警AL013：緊急停止", ALIGNED),  # traditional-script brand and cues
        ("台達伺服報警AL013", "MR-J4報警AL.13：時鐘錯誤", UNALIGNED),
        ("機械臂顯示7是什麼意思", "報警12表示關節2超速", UNALIGNED),
        ("歐姆龍G5報警38.1", "G5系列 38.0：驅動禁止輸入異常", ALIGNED),
        ("出現10次報警", "報警10：過流", ALIGNED),  # 10次 is a count: the question names no code
    ],
)
def test_traditional_script_reads_like_simplified(rules, question, chunk, expected):
    assert judge(rules, question, chunk).label == expected
