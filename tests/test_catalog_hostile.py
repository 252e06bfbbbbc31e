"""Hostile catalog files (issue 24 items 8-9): every one a CatalogError of bounded size, fast, never a traceback."""

import json

import pytest

from ea_plugin.cli import main
from ea_plugin.rules import catalog as catalog_module
from ea_plugin.rules.catalog import MAX_MESSAGE, CatalogError, check_catalog, parse_catalog

# 9 levels of 9 aliases: ~4*10^8 strings once expanded (the 443-byte file of issue 24), under the ignored key
ALIAS_BOMB = "version: &a [" + ",".join(["x"] * 9) + "]\n" + "".join(
    f"l{i}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
) + "brands: [{id: b, aliases: *i}]\n"


def _error(tmp_path, content, name="c.yaml") -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(CatalogError) as error:
        check_catalog(path)
    message = str(error.value)
    assert len(message) <= MAX_MESSAGE and str(path) in message
    return message


def test_the_alias_bomb_fails_fast_with_a_short_message(tmp_path):
    assert len(ALIAS_BOMB) < 600
    assert "expands to more than" in _error(tmp_path, ALIAS_BOMB)


def test_a_catalog_too_big_without_aliases_says_to_split_it(tmp_path, monkeypatch):
    # Before: a plain file of 40,000 brands was refused as if it were an alias bomb ("anchors and aliases?").
    monkeypatch.setattr(catalog_module, "MAX_NODES", 1_000)  # the same refusal, 100 times smaller
    big = "brands:\n" + "".join(f"  - {{id: b{i}, aliases: [B{i}X]}}\n" for i in range(400))
    message = _error(tmp_path, big)
    assert "expands to more than" in message and "split it" in message and "aliases?" not in message


def test_a_few_aliases_are_still_read(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("brands: [{id: acme, aliases: [ACME]}]\nseries:\n"
                    "  - {id: acme/x, brand: acme, aliases: [XQ100], order_codes: &codes ['xq\\d']}\n"
                    "  - {id: acme/y, brand: acme, aliases: [YQ100], order_codes: *codes}\n", encoding="utf-8")
    assert check_catalog(path).series["acme/y"].order_codes == ("xq\\d",)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"brands: [{id: a, aliases: [\xff\xfe]}]\n", "not UTF-8 text"),
     ("brands: []\n".encode("utf-16"), "not UTF-8 text"),
     ("[" * 20000 + "]" * 20000, "nest"),
     ("version: " + "9" * 5000 + "\n", "not valid YAML"),
     ("series: []\nbrands: []\nseries: []\n", "key 'series' is repeated"),
     ("brands: [{id: a, aliases: [A1], aliases: [A2]}]\n", "key 'aliases' is repeated"),
     ("brands: [{id: a, aliases: [' - ']}]\n", "must hold a letter or digit"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, codes: [{prefix: W, digits: [true, true], family: N}]}]\n",
      "field 'digits'"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['(?i)xd\\d{3}']}]\n", "inline flags"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['(?P<s0>xd)']}]\n", "named groups"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['(x)\\1']}]\n", "back-references"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['a)|(b']}]\n", "bad regex"),
     # Patterns Python's matcher backtracks on for minutes over one long model: judging hung (30 s and more).
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['(a+)+$']}]\n", "repetition inside a rep"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['(x|xy)*z']}]\n", "alternatives inside"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['a*a*a*a*a*b']}]\n", "more than two unb"),
     # Bounded ones too: each of these took over 20 s on a model of 40 x's (the first 0.09 s at 20).
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['(x{1,30}){1,30}y']}]\n", "inside a rep"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['(x?){40}x{40}']}]\n", "repetition inside a rep"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['(x|xx){1,40}y']}]\n", "alternatives inside"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['" + "x?" * 20 + "x" * 20 + "']}]\n",
      "too many variable-length"),
     ("brands: [{id: a}]\nseries: [{id: a/x, brand: a, order_codes: ['.{0,300}.{0,300}.{0,300}y']}]\n",
      "more than two unb"),
     ("brands: [{id: a, aliases: [" + ",".join(["x" * 50] * 400) + "]}]\n" + "brands: []\n", "repeated")],
)
def test_hostile_yaml_is_one_bounded_catalog_error(tmp_path, content, message):
    assert message in _error(tmp_path, content)


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"series": [], "series": []}', "key 'series' is repeated"), ("[" * 20000 + "]" * 20000, "nested too deep"),
     ('{"version": ' + "9" * 5000 + "}", "not valid JSON"), (b'{"brands": "\xc3\x28"}', "not UTF-8 text")],
)
def test_hostile_json_is_one_bounded_catalog_error(tmp_path, content, message):
    assert message in _error(tmp_path, content, "c.json")


def test_an_error_never_shows_a_whole_huge_value():
    big = {"brands": [{"id": "a", "aliases": "x" * 100_000}], "series": [{"id": ["y"] * 10_000}]}
    with pytest.raises(CatalogError) as error:
        parse_catalog([("t", big)])
    assert len(str(error.value)) < 300


def test_order_codes_with_groups_still_match_in_the_combined_pattern():
    catalog = parse_catalog([("t", {"brands": [{"id": "a"}], "series": [
        {"id": "a/x", "brand": "a", "order_codes": ["xd(1|2)\\d"]},
        {"id": "a/y", "brand": "a", "order_codes": ["yq\\d"]}]})])
    assert catalog.lookup_model("xd15").id == "a/x" and catalog.lookup_model("yq7").id == "a/y"


def test_catalog_check_prints_one_error_line_for_a_hostile_file(tmp_path, capsys):
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    assert main(["catalog", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expands to more than" in err
    assert json.dumps(err)  # plain text


def test_order_codes_that_backtrack_cannot_hang_a_judgement_and_plain_ones_still_load(tmp_path):
    from ea_plugin import load_judge
    from tests.hang import finishes

    path = tmp_path / "c.yaml"
    path.write_text("brands: [{id: acme, aliases: [ACME]}]\n"
                    "series: [{id: acme/x, brand: acme, aliases: [XQ100], order_codes: ['(a+)+$']}]\n",
                    encoding="utf-8")
    with pytest.raises(CatalogError, match="can make one match take minutes"):
        load_judge("rules", catalog=str(path))
    path.write_text(path.read_text(encoding="utf-8").replace("(a+)+$", "r88d-?k[nt]\\d+(ab)?"), encoding="utf-8")
    judge = load_judge("rules", catalog=str(path))
    finishes(lambda: judge.judge("acme xq100 报e100", "ACME " + "a" * 40 + "b1 e100"))
