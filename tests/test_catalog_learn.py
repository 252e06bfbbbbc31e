"""The catalog learner (spec v3, "A catalog learned from the corpus"): what it learns from a corpus of manual
pages, that its output is an ordinary catalog that only adds knowledge, and `ea-judge catalog learn`."""

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ea_plugin import ALIGNED, UNALIGNED, load_judge
from ea_plugin.cli import main
from ea_plugin.rules import extract_entities
from ea_plugin.rules.catalog import _alias_keys, check_catalog, load_catalog, parse_catalog
from ea_plugin.rules.decision import apply_rules
from ea_plugin.rules.learn import learn, learn_catalog, write_learned

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "integrations" / "data" / "manual_chunks.jsonl"

# Made-up vendors (no catalog knows them): pages as manuals write them, with titles or file names.
CORPUS = [
    ("QuonDrive_QX40_Manual.pdf", "【QuonDriveQX40】Fault codes\nCode 9 (OCF): Overcurrent\nCode 16 (OHF): Overheat"),
    ("QuonDrive QX40 故障处理", "QuonDrive QX40 — 故障代码\n故障码 9（OCF）：过电流\n故障码 17（OLF）：过载"),
    ("QuonDrive QX40 故障处理",
     "库恩 QuonDrive-QX40 故障一览\nOCF    Overcurrent\nUvF1   Undervoltage\n断电30秒后上电。"),
    ("QuonDrive_QX50_Manual.pdf", "QuonDrive QX50 — Fault codes\nCode 9 (OCF): Overcurrent\n"
                                  "Parameters are saved with the software Quon Studio."),
    ("QuonDrive QX50 故障处理",
     "库恩 QuonDrive QX50 故障代码\n故障码 21（ObF）：制动过压\n参数可用软件Quon Studio备份。"),
    ("ZetaArm_ZA7_SDK.md", "ZETAMOTION ZA7 SDK return codes\nerror code -4: timeout\n返回值 -7：参数错误"),
    ("泽塔 ZA7 机械臂 SDK 说明书", "泽塔ZA7机械臂 错误码\n错误码 -4：超时\nfirmware ZetaOS 2.1 needed."),
    ("泽塔 ZA7 机械臂 SDK 说明书", "ZETAMOTION ZA7 (Z7) 错误码\n返回值 -9：通信失败\n固件ZetaOS 2.3"),
    ("ZetaArm_ZA9_SDK.md", "ZETAMOTION ZA9 SDK\n返回值 -4：超时\nSee the ZA7 page."),
    ("ZetaArm_ZA9_SDK.md", "泽塔ZA9机械臂 错误码\n返回值 -5：超限"),
    ("misc.pdf", "KX77 appears once only.\nAxis 3 and DI1 are text."),
    ("Doc_ME33-034.pdf", "Alarm list\nAlarm 1924: BARRIER"),
    ("Doc_ME33-034.pdf", "Alarm list\nAlarm 1925: BARRIER"),
]


@pytest.fixture(scope="module")
def learned():
    titles, texts = zip(*CORPUS, strict=True)
    return learn(texts, titles, [f"p{i}" for i in range(len(CORPUS))])


def _series(mapping, ident):
    return next(e for e in mapping["series"] if e["id"] == ident)


def test_series_their_spellings_and_short_names_in_brackets(learned):
    mapping = learned.mapping
    ids = {e["id"] for e in mapping["series"]}
    assert {"learned/quondriveqx40", "learned/quondriveqx50", "learned/za7", "learned/za9"} <= ids
    assert "learned/kx77" not in ids  # one page: below min_support
    assert not any("me33" in i or i == "learned/qx40" for i in ids)  # a document number; a part of a series
    qx40 = _series(mapping, "learned/quondriveqx40")
    assert qx40["aliases"][0] == "QuonDrive QX40" and qx40["support"] == 3 and qx40["pages"] == ["p0", "p1", "p2"]
    assert "Z7" in _series(mapping, "learned/za7")["aliases"]  # ZETAMOTION ZA7 (Z7)


def test_brands_in_two_scripts_beside_a_series_are_one_new_brand(learned):
    brands = {b["id"]: b for b in learned.mapping["brands"]}
    assert set(brands["learned/zetamotion"]["aliases"]) >= {"ZETAMOTION", "泽塔"}
    assert brands["learned/库恩"]["aliases"] == ["库恩"]  # beside two series, one page each
    assert _series(learned.mapping, "learned/za9")["brand"] == "learned/zetamotion"  # 泽塔 beside it too
    assert _series(learned.mapping, "learned/quondriveqx50")["brand"] == "learned/库恩"


def test_codes_as_the_tables_list_them_mnemonics_included(learned):
    codes = _series(learned.mapping, "learned/quondriveqx40")["fault_codes"]
    listed = {c["code"] if isinstance(c, dict) else c: c for c in codes}
    assert {"9", "16", "17", "OCF", "OHF", "OLF", "UvF1"} <= set(listed)
    assert listed["OCF"] == {"code": "OCF", "family": "MN"} and listed["9"] == "9"
    assert {"-4", "-7", "-9"} <= set(_series(learned.mapping, "learned/za7")["fault_codes"])


def test_software_names_after_a_software_cue(learned):
    names = {s["name"]: s for s in learned.mapping["software"]}
    assert set(names) == {"Quon Studio", "ZetaOS"} and names["ZetaOS"]["support"] == 2


def test_min_support_leaves_out_entries_and_explain_shows_the_pages(learned):
    titles, texts = zip(*CORPUS, strict=True)
    strict = learn_catalog(texts, titles, min_support=3)
    assert [e["id"] for e in strict["series"]] == ["learned/quondriveqx40", "learned/za7"] and strict["software"] == []
    explained = learned.explain("quondrive-qx40")
    assert "series learned/quondriveqx40: support 3 page(s)" in explained
    assert "p2  [QuonDrive QX40 故障处理]  QuonDrive QX40 故障处理" in explained  # the page's id, title and line
    assert learned.explain("ocf").count("series ") == 2 and "no learned entry" in learned.explain("nothing")


def test_the_learned_catalog_loads_and_changes_what_it_should(learned, tmp_path):
    path = tmp_path / "learned.yaml"
    write_learned(learned.mapping, path)
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["learned"]["pages"] == len(CORPUS)
    catalog = check_catalog(path)
    assert catalog.notes == () and catalog.is_listed_mnemonic("ocf") and catalog.is_software("zetaos")
    base, judge = load_judge("rules"), load_judge("rules", catalog=str(path))
    sibling = ("泽塔机械臂返回-4", "库恩 QuonDrive QX40 返回值 -4：超时")  # a brand against another brand's series
    assert base.judge(*sibling).label == ALIGNED  # neither brand is known without it: the codes decide
    assert judge.judge(*sibling).label == UNALIGNED
    # the brand learned in two scripts decides like a known one; then the codes differ
    assert judge.judge("泽塔机械臂返回-4", "ZETAMOTION ZA9 返回值 -5：超限").label == UNALIGNED


def test_learning_never_takes_what_a_known_catalog_owns():
    texts = ["汇川 SV660N 伺服 故障码 E100", "SV660N 报 E101", "台达 ASDA-B3 报警 AL013", "ASDA-B3 报警 AL014"]
    mapping = learn_catalog(texts, ["SV660N 手册", "SV660N 手册", "ASDA-B3.pdf", "ASDA-B3.pdf"])
    assert {e["id"] for e in mapping["series"]} == {"inovance/sv660", "delta/asda-b3"}  # codes added, no new series
    assert all("aliases" not in e and "brand" not in e for e in mapping["series"]) and mapping["brands"] == []
    catalog = parse_catalog([("b", yaml.safe_load((ROOT / "ea_plugin/data/catalog.yaml").read_text("utf-8"))),
                             ("l", mapping)])
    assert catalog.lookup_model("sv660n").id == "inovance/sv660" and catalog.notes == ()


def test_the_sample_corpus_learns_a_catalog_that_loads(tmp_path):
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    mapping = learn_catalog([r["text"] for r in rows], [r["title"] for r in rows], [r["id"] for r in rows])
    assert mapping["series"] and all(e["support"] >= 2 for e in mapping["series"])
    path = tmp_path / "l.yaml"
    write_learned(mapping, path)
    assert check_catalog(path).notes == ()


def test_catalog_learn_command(tmp_path, capsys):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"p{i}", "title": t, "text": x}, ensure_ascii=False) + "\n"
                              for i, (t, x) in enumerate(CORPUS)) + "[1]\n", encoding="utf-8")
    out = tmp_path / "learned.yaml"
    assert main(["catalog", "learn", str(corpus), "-o", str(out), "--explain", "ZA7"]) == 0
    printed = capsys.readouterr()
    assert "series learned/za7: support 4 page(s); aliases ZA7, Z7; brand learned/zetamotion" in printed.out
    assert f"{out}: 4 series" in printed.out
    assert "1 line(s)" in printed.err
    assert main(["catalog", "check", str(out)]) == 0
    main(["judge", "--catalog", str(out), "泽塔机械臂返回-4", "库恩 QuonDrive QX40 返回值 -4：超时"])
    assert "不对齐" in capsys.readouterr().out
    assert main(["catalog", "learn", str(corpus), "-o", str(corpus)]) == 2  # never over its input
    assert "would overwrite the input" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["catalog", "learn", str(corpus), "--min-support", "0", "-o", str(out)])
    assert usage.value.code == 2


# -- a learned catalog never changes a judgement on text that names none of its entries -------------------------
_PIECES = ["SV660N", "MD500", "ASDA-B3", "台达", "QX4", "Quon", "Drive", "ZA", "报警", "故障码", "错误码", "返回", " ",
           "：", "\n", "E100", "Err16", "AL013", "9", "17", "-4", "oC", "OC", "ov", "Code", "(", ")", "伺服", "机械臂",
           "software", "软件", "Studio", "PF400", "V90", "A6", "系列", "xyz", "7", "O", "F"]


def _names_an_entry(text: str, catalog_mapping: dict) -> bool:
    flat = re.sub(r"[\s\-_]+", "", text.lower())
    words = set()
    for entry in catalog_mapping["brands"] + catalog_mapping["series"] + catalog_mapping["software"]:
        for alias in [*entry.get("aliases", []), entry.get("name", "")]:
            words |= {re.sub(r"[\s\-_]+", "", key) for key in _alias_keys(alias)}
        words |= {(c["code"] if isinstance(c, dict) else c).lower() for c in entry.get("fault_codes", [])}
    return any(word and word in flat for word in words)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=10), st.lists(st.sampled_from(_PIECES), max_size=10))
def test_a_learned_catalog_never_changes_a_judgement_on_text_naming_none_of_its_entries(question, chunk):
    mapping = _PROPERTY_MAPPING
    question, chunk = "".join(question), "".join(chunk)
    assume(not _names_an_entry(question, mapping) and not _names_an_entry(chunk, mapping))
    base, learned = load_catalog(), _PROPERTY_CATALOG
    before = apply_rules(extract_entities(question, base), extract_entities(chunk, base))
    after = apply_rules(extract_entities(question, learned), extract_entities(chunk, learned))
    assert (before.label, before.rule) == (after.label, after.rule)


_PROPERTY_MAPPING = learn_catalog([t for _, t in CORPUS], [t for t, _ in CORPUS])
_PROPERTY_CATALOG = parse_catalog([("b", yaml.safe_load((ROOT / "ea_plugin/data/catalog.yaml").read_text("utf-8"))),
                                   ("l", _PROPERTY_MAPPING)])


def test_a_learned_catalog_reaches_extract_the_teacher_and_the_audit(learned, tmp_path, capsys):
    from training.audit import audit
    from training.label import main as label_main
    from training.teacher import Example

    path = tmp_path / "learned.yaml"
    write_learned(learned.mapping, path)
    sibling = ("泽塔机械臂返回-4", "库恩 QuonDrive QX40 返回值 -4：超时")
    assert main(["extract", "--catalog", str(path), sibling[1]]) == 0
    assert "series=learned/quondriveqx40 brand=learned/库恩" in capsys.readouterr().out
    example = Example("t#0", *sibling, ALIGNED, "")
    assert audit([example]) == [] and [f.rules for f in audit([example], [str(path)])] == [UNALIGNED]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"question": sibling[0], "chunk": sibling[1]}, ensure_ascii=False) + "\n", "utf-8")
    assert label_main([str(pairs), "--out", str(tmp_path / "out"), "--quiet", "--catalog", str(path)]) == 0
    assert len(json.loads((tmp_path / "out" / "unaligned.json").read_text(encoding="utf-8"))) == 1


def test_a_listed_mnemonic_after_a_series_is_its_code_not_a_short_model(learned):
    catalog = extend_builtin(learned.mapping)
    question = extract_entities("QuonDrive QX40 UvF1报警", catalog)  # UvF1: listed; a short name's shape
    assert [p.series for p in question.products] == ["learned/quondriveqx40"]
    assert [(f.family, f.main) for f in question.faults] == [("MN", "uvf1")]
    chunk = extract_entities("QuonDrive QX40 故障一览\nOHF    Overheat\nOLF    Overload", catalog)
    assert apply_rules(question, chunk).label == UNALIGNED


def extend_builtin(mapping):
    from ea_plugin.rules.learn import extend

    return extend(load_catalog(), mapping)


@pytest.mark.parametrize("name", ["realtext/realtext.jsonl", "phrasing/phrasing.jsonl", "devset_v3/devset.jsonl"])
def test_a_catalog_learned_from_a_sets_chunks_alone_never_makes_it_worse(name):
    from ea_plugin.rules.learn import extend

    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / name).read_text("utf-8").splitlines()]
    base = load_catalog()
    learned = extend(base, learn_catalog(list(dict.fromkeys(r["chunk"] for r in rows))))

    def right(catalog):
        return {i for i, r in enumerate(rows) if r["label"] == apply_rules(
            extract_entities(r["question"], catalog), extract_entities(r["chunk"], catalog)).label}

    before, after = right(base), right(learned)
    assert before <= after, [rows[i]["question"] for i in sorted(before - after)[:5]]


_PAGE_PIECES = [*_PIECES, "【", "】", "（", "）", "\t", "  ", "|", "FAIRINO", "法奥", "Code 9 (OCF)", "ZX-9", "P86",
                "Flexo", "ＡＢ１２", "\u200b", "İ", "ß", "𝔸1", "固件", "firmware ", "Ab1 (A1)", "AL016"]


@settings(max_examples=int(os.environ.get("EA_FUZZ_EXAMPLES", "20")), deadline=None)  # each learns and loads twice
@given(st.lists(st.tuples(st.lists(st.sampled_from(_PAGE_PIECES), max_size=6),
                          st.lists(st.sampled_from(_PAGE_PIECES), max_size=25)), max_size=12),
       st.integers(min_value=1, max_value=3))
def test_whatever_the_corpus_the_learned_catalog_loads(tmp_path_factory, pages, min_support):
    titles, texts = ["".join(t) for t, _ in pages], ["".join(x) for _, x in pages]
    mapping = learn_catalog(texts, titles, min_support=min_support)
    path = tmp_path_factory.mktemp("learned") / "learned.yaml"
    write_learned(mapping, path)
    catalog = check_catalog(path)
    assert all(e.get("support", 0) >= min_support for e in mapping["series"] + mapping["brands"])
    assert len(catalog.series) >= len(load_catalog().series)
