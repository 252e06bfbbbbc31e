"""Catalog schema of spec v3: top-level ``software``, a series' listed ``fault_codes``, ``support``/``pages``."""

import pytest

from ea_plugin.rules.catalog import CatalogError, ListedCode, _builtin_data, check_catalog, parse_catalog

BASE = {"brands": [{"id": "acme", "aliases": ["ACME"], "support": 3, "pages": ["a#1", "a#2", "b#4"]}]}


def _catalog(**extra):
    series = {"id": "acme/x1000", "brand": "acme", "aliases": ["X1000"], **extra}
    return parse_catalog([("t", {**BASE, "series": [series]})])


def test_listed_codes_are_exposed_by_series_and_mnemonics_by_token_in_any_case():
    catalog = _catalog(fault_codes=["oC", "ov", "2310", {"code": "Uv1", "family": "MN"},
                                    {"code": "AL16", "family": "AL"}, "-4", "E100.1", "Err48", "al16"])
    codes = catalog.series_codes["acme/x1000"]
    assert codes[0] == ListedCode("oC", "oc", None) and codes[3] == ListedCode("Uv1", "uv1", "MN")
    assert [c.normal for c in codes] == ["oc", "ov", "2310", "uv1", "al16", "-4", "e100.1", "err48", "al16"]
    # mnemonic-shaped, family MN or unnamed: oc, ov, uv1; not a number, not AL16 (family AL), not E100.1, not
    # Err48 or al16 with no family (a code family's prefix before a digit)
    assert catalog.listed_mnemonics == {"oc", "ov", "uv1"}
    assert catalog.is_listed_mnemonic("OC") and catalog.is_listed_mnemonic("uV1")
    assert not catalog.is_listed_mnemonic("oH1") and not catalog.is_listed_mnemonic("AL16")
    assert catalog.code_series("OV") == ("acme/x1000",) and catalog.code_series("oH1") == ()


def test_series_without_listed_codes_are_not_in_series_codes_and_the_builtin_lists_none():
    assert _catalog().series_codes == {}
    builtin = parse_catalog([("t", BASE)])
    assert builtin.listed_mnemonics == frozenset() and not builtin.is_listed_mnemonic("oc")


def test_software_names_and_aliases_any_spacing_and_their_spans_in_text():
    catalog = parse_catalog([("t", {"software": ["RobotWare", {"name": "TwinCAT", "aliases": ["TwinCAT 3"],
                                                                "support": 4, "pages": ["tc#1"]}]})])
    assert set(catalog.software) == {"RobotWare", "TwinCAT"} and catalog.software["TwinCAT"].support == 4
    assert catalog.is_software("robotware") and catalog.is_software("TWINCAT-3") and catalog.is_software("twincat")
    assert not catalog.is_software("IRC5")
    text = "报警（robotware 选项异常）twincat 3 xtwincat"
    at = text.index("twincat")
    assert catalog.find_software(text) == [(3, 12, "RobotWare"), (at, at + 7, "TwinCAT"), (at, at + 9, "TwinCAT")]
    assert parse_catalog([("t", {})]).find_software(text) == []


def test_support_and_pages_are_kept_and_merged_by_id():
    first = {**BASE, "series": [{"id": "acme/x1000", "brand": "acme", "support": 2, "pages": ["a#1"],
                                 "fault_codes": ["oC"]}]}
    second = {"series": [{"id": "acme/x1000", "pages": ["c#9", "a#1"], "fault_codes": ["ov", "OC"]}]}
    catalog = parse_catalog([("one", first), ("two", second)])
    series = catalog.series["acme/x1000"]
    assert series.support == 2 and series.pages == ("a#1", "c#9")
    assert [c.code for c in series.fault_codes] == ["oC", "ov", "OC"] and catalog.listed_mnemonics == {"oc", "ov"}
    assert catalog.brands["acme"].support == 3 and catalog.brands["acme"].pages == ("a#1", "a#2", "b#4")


@pytest.mark.parametrize(
    ("extra", "message"),
    [({"fault_codes": "oC"}, "'fault_codes' must be a list"),
     ({"fault_codes": [""]}, "fault_codes[0]: a listed code must be"),
     ({"fault_codes": ["o C"]}, "fault_codes[0]: 'o C' is not a code"),
     ({"fault_codes": ["x" * 30]}, "is not a code"),
     ({"fault_codes": [{"code": "oC", "family": "M1"}]}, "field 'family' must be letters"),
     ({"fault_codes": [{"code": "oC", "kind": "MN"}]}, "unknown field(s) ['kind']"),
     ({"support": -1}, "field 'support' must be a whole number >= 0"),
     ({"support": True}, "field 'support' must be a whole number >= 0"),
     ({"support": "3"}, "field 'support' must be a whole number >= 0"),
     ({"pages": "a#1"}, "field 'pages' must be a list of strings")],
)
def test_schema_mistakes_name_the_entry_and_field(extra, message):
    with pytest.raises(CatalogError, match="series\\[0\\] \\(id 'acme/x1000'\\)") as error:
        _catalog(**extra)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("software", "message"),
    [("RobotWare", "'software' must be a list"), ([{"aliases": ["x"]}], "software[0]: field 'name' is required"),
     ([{"name": "x", "version": 3}], "software[0]: unknown field(s) ['version']"), ([3], "software[0]: each entry")],
)
def test_software_mistakes_name_the_entry(software, message):
    with pytest.raises(CatalogError) as error:
        parse_catalog([("t", {"software": software})])
    assert message in str(error.value)


def test_a_file_with_software_and_listed_codes_passes_catalog_check(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("brands: [{id: acme, aliases: [ACME], support: 2, pages: [a, b]}]\n"
                    "series: [{id: acme/x1, brand: acme, aliases: [XQ100],"
                    " fault_codes: [oC, {code: '7', family: E}]}]\n"
                    "software: [RobotWare, {name: TwinCAT, aliases: [TwinCAT 3]}]\n", encoding="utf-8")
    catalog = check_catalog(path)
    assert catalog.is_listed_mnemonic("OC") and catalog.is_software("TwinCAT 3") and "acme/x1" in catalog.series_codes


LEARNED = {
    "learned": {"pages": 10, "min_support": 2},
    "brands": [{"id": "learned/fairino", "aliases": ["FAIRINO", "法奥", "台达"], "support": 5}],  # 台达 is Delta's
    "series": [
        {"id": "learned/fr5", "brand": "learned/fairino", "aliases": ["FR5", "SV660"], "support": 4},  # SV660: built-in
        {"id": "learned/xq9", "aliases": ["XQ9"], "support": 2},  # no brand shown by the corpus
        {"id": "learned/bad", "brand": "nobody", "aliases": ["QQ7"]},  # an unknown brand: dropped
        {"id": "delta/asda-a2", "brand": "learned/fairino", "aliases": ["ZZ1"]},  # contradicts the built-in: dropped
        {"id": "inovance/md500", "fault_codes": ["oC"], "support": 3},  # adds listed codes to a built-in series
    ],
    "software": ["RobotWare", {"name": "MD500"}],  # MD500 is a built-in series alias: dropped
}


def test_a_learned_file_only_adds_and_its_clashes_are_dropped_with_notes():
    builtin = _builtin_data()
    catalog = parse_catalog([("learned.yaml", LEARNED), ("builtin", builtin)])  # learned comes last whatever order
    assert catalog.brands["learned/fairino"].aliases == ("FAIRINO", "法奥")
    assert catalog.series["learned/fr5"].aliases == ("FR5",) and catalog.series["learned/xq9"].brand is None
    assert "learned/bad" not in catalog.series and catalog.series["delta/asda-a2"].brand == "delta"
    assert catalog.lookup_model("sv660n").id == "inovance/sv660" and catalog.is_listed_mnemonic("oc")
    assert set(catalog.software) == {"RobotWare"}
    notes = "\n".join(catalog.notes)
    for part in ("'台达' is already an alias of brand 'delta'",
                 "'SV660' is already an alias of series 'inovance/sv660'", "unknown brand 'nobody'",
                 "already belongs to 'delta'", "'MD500' is already an alias of series"):
        assert part in notes


def test_a_user_file_without_learned_still_fails_on_the_same_clash():
    with pytest.raises(CatalogError, match="already an alias"):
        parse_catalog([("builtin", _builtin_data()),
                       ("user", {"series": [{"id": "x/y", "brand": "delta", "aliases": ["SV660"]}]})])
    with pytest.raises(CatalogError, match="field 'brand' is required"):
        parse_catalog([("user", {"series": [{"id": "x/y", "aliases": ["XQ9"]}]})])
