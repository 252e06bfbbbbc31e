"""The fresh measurement set (tests/data/devset_fresh): its structure only. Nothing here judges a pair.

The set is scored once, by the lead, at the end of issue 21 (tests/test_rules_devset_fresh.py, EA_SCORE_FRESH=1);
until then no judge runs on it and nothing is tuned to it. These tests check what can be checked without judging:
the files are what the generator makes, every row is labelled by construction and traceable to a recorded table, no
pair repeats, the vendors are new to every set of ours, and the formerly silent forms are a quarter or more.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from devtools.devsets.devset_v3 import corpus
from devtools.devsets.fresh import DATA, SILENT, build, record
from devtools.devsets.fresh_sources import SOURCES, SPLIT
from ea_plugin import ALIGNED, UNALIGNED, jsonl
from tests.dataset_checks import check_balanced, check_corpus, provenance, read_records, sources_of

ROOT = Path(__file__).resolve().parent.parent
FIELDS = {"question", "chunk", "label", "rule", "kind", "vendor", "source", "chunk_source", "why", "chunk_title",
          "variant", "form", "silent"}
OTHER_SETS = ("devset", "realtext", "devset_v3")  # the phrasing set reuses the first two's tables
# The label each pair kind has by construction (spec v3's decision order), written out: a kind the generator adds
# must be put in one of the two.
KEEP = {"same_product_same_code", "series_spelling", "alias_in_heading_same_code", "two_series_page_same_code",
        "two_codes_one_listed", "table_row_matches", "code_then_newline_same", "chunk_no_product_same_code",
        "question_no_product_same_code", "question_no_entity", "software_name_same_code", "brand_own_series_same_code",
        "mnemonic_same_mnemonic", "mnemonic_same_pair", "number_vs_pair_same", "mnemonic_vs_number_undecided",
        "software_name_no_product_same_code", "parameter_same", "parameter_other_separator", "sign_dropped"}
DROP = {"same_product_diff_code", "alias_in_heading_diff_code", "two_series_page_diff_code", "two_codes_none_listed",
        "table_row_none_matches", "code_then_newline_diff", "chunk_no_product_diff_code",
        "question_no_product_diff_code", "brand_own_series_diff_code", "mnemonic_diff_mnemonic", "mnemonic_diff_pair",
        "number_vs_pair_diff", "software_name_no_product_diff_code", "sibling_series_same_code", "other_vendor",
        "signed_vs_unsigned", "parameter_diff"}


def _records() -> list[dict]:
    return read_records(DATA / f"{SPLIT}.jsonl")


def test_regenerating_the_fresh_set_gives_the_committed_files_byte_for_byte(tmp_path):
    pairs = build()
    jsonl.write_jsonl(tmp_path / "fresh.jsonl", [record(p) for p in pairs])
    jsonl.write_jsonl(tmp_path / "corpus.jsonl", corpus(pairs, SPLIT))
    assert (tmp_path / "fresh.jsonl").read_bytes() == (DATA / f"{SPLIT}.jsonl").read_bytes()
    assert (tmp_path / "corpus.jsonl").read_bytes() == (DATA / f"{SPLIT}_corpus.jsonl").read_bytes()


def test_every_row_is_complete_balanced_and_labelled_by_its_kind():
    rows = _records()
    assert 1000 <= len(rows) <= 2000
    check_balanced(rows, FIELDS)
    assert all(r["why"] and r["kind"] and r["chunk_title"] and r["question"] and r["chunk"] for r in rows)
    for r in rows:
        assert r["kind"] in KEEP | DROP, r["kind"]
        assert r["label"] == (ALIGNED if r["kind"] in KEEP else UNALIGNED), r
        assert r["rule"] != "product" or r["label"] == UNALIGNED, r  # products differing is the only product verdict


def test_the_corpus_holds_each_chunk_once_without_labels():
    check_corpus(read_records(DATA / f"{SPLIT}_corpus.jsonl"), _records())


def test_every_row_traces_to_a_recorded_table_with_complete_provenance():
    sources = provenance(DATA)
    assert set(sources) == {s.id for s in SOURCES}
    for source_id, p in sources.items():
        assert {"repo", "paths", "commit", "vendor", "licence", "rows", "split", "series"} <= set(p)
        assert re.fullmatch(r"[0-9a-f]{40}", p["commit"]) and p["paths"] and p["licence"] and p["split"] == SPLIT
        with (DATA / "sources" / f"{source_id}.csv").open(encoding="utf-8") as f:
            assert len(list(csv.DictReader(f))) == p["rows"] > 0
    rows = _records()
    assert sources_of(rows) <= set(sources)
    for r in rows:
        assert r["vendor"] == sources[r["source"].split(":")[0]]["vendor"]


def test_the_vendors_are_new_to_every_other_set_and_there_are_five_or_more():
    vendors = {r["vendor"] for r in _records()}
    older = {p["vendor"].lower() for name in OTHER_SETS for p in provenance(ROOT / "tests" / "data" / name).values()}
    assert len(vendors) >= 5
    assert not {v.lower() for v in vendors} & older
    assert not any(v.lower() in o or o in v.lower() for v in vendors for o in older)  # `B&R` vs `B&R (贝加莱)`


def test_a_quarter_or_more_of_the_pairs_are_on_formerly_silent_forms_each_tagged():
    rows = _records()
    silent = Counter(r["silent"] for r in rows if r["silent"])
    assert set(silent) <= set(SILENT)
    assert sum(silent.values()) >= len(rows) * 0.25
    assert {"mnemonic", "table_no_colon", "signed", "unknown_brand", "software_name", "short_series"} <= set(silent)
    for form in silent:  # both labels on every silent form: a judge that keeps (or drops) all cannot pass one
        assert {r["label"] for r in rows if r["silent"] == form} == {ALIGNED, UNALIGNED}, form
