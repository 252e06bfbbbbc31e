"""The product catalog: built-in coverage, file format and errors, user extension, and the CLI."""

import json

import pytest

from ea_plugin import ALIGNED, UNALIGNED, load_judge
from ea_plugin.cli import main
from ea_plugin.examples import WORKED_EXAMPLES
from ea_plugin.rules import extract_entities
from ea_plugin.rules.catalog import CatalogError, check_catalog, load_catalog, parse_catalog

EXAMPLE = __import__("pathlib").Path(__file__).resolve().parents[1] / "ea_plugin" / "data" / "catalog.example.yaml"
SPEC_BRANDS = tuple(
    "汇川 Inovance 台达 Delta 松下 Panasonic 欧姆龙 Omron 安川 Yaskawa 三菱 Mitsubishi 西门子 Siemens 发那科 FANUC "
    "贝加莱 B&R 越疆 Dobot 节卡 JAKA 科尔摩根 Kollmorgen 倍福 Beckhoff 施耐德 Schneider "
    "ABB 雷赛 Leadshine 英威腾 INVT".split()
)


@pytest.mark.parametrize("brand", SPEC_BRANDS)
def test_builtin_catalog_knows_every_brand_of_the_spec(brand):
    (product,) = extract_entities(f"{brand}伺服报警").products
    assert product.is_brand and product.brand


@pytest.mark.parametrize(
    ("model", "series"),
    [("SV660N", "inovance/sv660"), ("IS620P", "inovance/is620"), ("MD500E", "inovance/md500"),
     ("ASDA-A2", "delta/asda-a2"), ("ASDA-B3", "delta/asda-b3"), ("MADHT1505", "panasonic/minas-a5"),
     ("MBDLN25SE", "panasonic/minas-a6"), ("R88D-KN01H", "omron/g5"), ("R88D-1SN02H-ECT", "omron/1s"),
     ("SGD7S-2R8A00A", "yaskawa/sigma-7"), ("SGDV-R70A01A", "yaskawa/sigma-5"), ("CIMR-VB4A0002", "yaskawa/v1000"),
     ("MR-J4-10A", "mitsubishi/mr-j4"), ("FR-A840", "mitsubishi/fr-a800"), ("SINAMICS V90", "siemens/v90"),
     ("MG400", "dobot/mg400"), ("JAKA Zu 7", "jaka/zu7"), ("AKD-P00306", "kollmorgen/akd"),
     ("AKD2G", "kollmorgen/akd2g"), ("AX5103", "beckhoff/ax5000"), ("LXM32M", "schneider/lexium-32"),
     ("ACS880-01-12A7-3", "abb/acs880"), ("ACOPOS P3", "br/acopos-p3"), ("GD200A", "invt/gd200")],
)
def test_builtin_catalog_maps_models_and_order_codes_to_their_series(model, series):
    (product,) = extract_entities(f"{model}报警").models
    assert product.series == series


def test_context_aliases_need_their_context_and_short_aliases_are_never_a_prefix():
    assert extract_entities("A2A1 电流校准").products == ()  # Delta's A2 only as 台达A2 or A2系列
    assert [p.series for p in extract_entities("台达A2系列").models] == ["delta/asda-a2"]
    assert [p.series for p in extract_entities("台达 A2").models] == ["delta/asda-a2"]


def test_vendor_code_forms_of_the_builtin_catalog_are_codes_not_models():
    entities = extract_entities("FANUC 0i-F出现SV0401报警，KUKA KSS15002，SRVO-050")
    assert [(f.family, f.main) for f in entities.faults] == [("SV", "401"), ("KSS", "15002"), ("SRVO", "50")]
    assert load_judge("rules").judge("0i-F出现SV0401", "0i-MF SV0404 伺服准备未完成").label == UNALIGNED


def test_an_empty_catalog_still_reads_by_the_heuristics():
    empty = parse_catalog([("empty", {})])
    (product,) = extract_entities("SV660N报E100", empty).products
    assert product.main == "sv660" and product.series is None
    assert extract_entities("AKD报警", empty).products == ()  # letters only: needs the catalog or a product word


def test_example_catalog_extends_the_builtin_one(tmp_path):
    catalog = check_catalog(EXAMPLE)
    assert "acme/x-drive" in catalog.series and "inovance/sv660" in catalog.series
    assert "MG-400 Pro" in catalog.series["dobot/mg400"].aliases
    judge = load_judge("rules", catalog=str(EXAMPLE))
    assert judge.judge("艾克米XD500报W123", "XD-750报警W123：温度高").label == ALIGNED
    assert judge.judge("AXD300报W123", "X-Drive E123：过流").label == UNALIGNED  # W is N family here
    assert judge.judge("艾克米伺服报W123", "MD500 W123").label == UNALIGNED  # brand vs another brand's model
    assert load_judge("rules").judge("AXD300报W123", "X-Drive E123：过流").label == ALIGNED  # no catalog: unread


def test_several_user_catalogs_load_together_and_are_built_once(tmp_path):
    other = tmp_path / "more.json"
    other.write_text(json.dumps({"series": [{"id": "acme/y", "brand": "acme", "aliases": ["Y-Arm"]}]}), "utf-8")
    catalog = load_catalog([EXAMPLE, other])
    assert {"acme/x-drive", "acme/y"} <= set(catalog.series)
    assert load_catalog([EXAMPLE, other]) is catalog


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("brands: [", "not valid YAML"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("brand: []\n", "unknown top-level key"),
        ("series:\n  - {id: s1, aliases: [S1X]}\n", "series[0] (id 's1'): field 'brand' is required"),
        ("series:\n  - {id: s1, brand: nobody, aliases: [S1X]}\n", "field 'brand': unknown brand 'nobody'"),
        ("brands:\n  - {name: X}\n", "brands[0]: field 'id' is required"),
        ("brands:\n  - {id: x, aliases: X}\n", "field 'aliases' must be a list of strings"),
        ("brands:\n  - {id: x, alias: [X]}\n", "unknown field(s) ['alias']"),
        ("series:\n  - {id: s, brand: delta, order_codes: ['asd(']}\n", "field 'order_codes': bad regex"),
        ("series:\n  - {id: s, brand: delta, codes: [{prefix: W, digits: 0, family: N}]}\n", "field 'digits'"),
        ("series:\n  - {id: s, brand: delta, codes: [{prefix: W1, digits: 3, family: N}]}\n", "field 'prefix'"),
        ("series:\n  - {id: s, brand: delta, aliases: [SV660]}\n", "alias 'SV660' is already an alias of series"),
        ("series:\n  - {id: inovance/sv660, brand: delta}\n", "already belongs to 'inovance'"),
    ],
)
def test_a_catalog_with_a_mistake_raises_a_named_error_naming_the_entry_and_field(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError, match="bad.yaml") as info:
        check_catalog(path)
    assert message in str(info.value)


def test_a_missing_file_is_a_catalog_error(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        load_judge("rules", catalog=str(tmp_path / "missing.yaml"))


def test_catalog_check_command_exit_status_and_message(tmp_path, capsys):
    assert main(["catalog", "check", str(EXAMPLE)]) == 0
    assert "ok" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("series:\n  - {id: s1, brand: nobody}\n", encoding="utf-8")
    assert main(["catalog", "check", str(bad)]) == 2
    assert "unknown brand 'nobody'" in capsys.readouterr().err


def test_judging_commands_take_catalog_files(tmp_path, capsys):
    assert main(["judge", "AXD300报W123", "X-Drive E123：过流", "--catalog", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.startswith("drop 不对齐")
    bad = tmp_path / "bad.yaml"
    bad.write_text("brands: 3\n", encoding="utf-8")
    assert main(["judge", "a", "b", "--catalog", str(bad)]) == 2
    assert "'brands' must be a list" in capsys.readouterr().err
    assert main(["examples", "--catalog", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.count("=> keep") == sum(ex.label == ALIGNED for ex in WORKED_EXAMPLES)


def test_extract_command_prints_type_normal_form_code_span_and_why(capsys):
    assert main(["extract", "台达ASDA-A2报警AL3E1，MG 400显示21.1；DI1没有输入"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5  # DI1 is a terminal, not a product
    assert lines[0].startswith("产品信息(品牌)") and "brand=delta" in lines[0]
    assert "series=delta/asda-a2" in lines[1] and "catalog" in lines[1]
    assert "family=AL main=3e1" in lines[2] and "[11:16]" in lines[2]
    assert "'MG 400'" in lines[3]
    assert "family=- main=21 sub=1" in lines[4] and "cue '显示'" in lines[4]
    assert main(["extract", "ＳＶ６６０Ｎ报Ｅ１００", "--json"]) == 0
    entities = json.loads(capsys.readouterr().out)
    assert [(e["type"], e["normal"], e["span"]) for e in entities] == [("product", "sv660n", [0, 6]),
                                                                     ("faultcode", "E/100", [7, 11])]
    assert main(["extract", "伺服驱动器怎么调增益？"]) == 0
    assert capsys.readouterr().out.strip() == "(no entity)"
