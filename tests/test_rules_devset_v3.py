"""The spec v3 dev sets (tests/data/devset_v3): determinism, complete and traceable rows, and the rules backend's floor.

The pairs come from public tables of vendors no other set of ours uses (scripts/build_devset_v3.py, labelled by
construction from spec v3). Only the dev split is scored here; the held-out split has its own module
(test_rules_devset_v3_holdout.py), scored once at the end of a session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.devsets.devset_v3 import DATA, SPLITS
from devtools.devsets.devset_v3_report import learn_catalog_file, report, score
from ea_plugin import load_judge
from tests.dataset_checks import (
    check_balanced,
    check_corpus,
    check_ratchet,
    check_traceable,
    provenance,
    read_records,
    rebuild,
)

ROOT = Path(__file__).resolve().parent.parent
FIELDS = {"question", "chunk", "label", "rule", "kind", "vendor", "source", "chunk_source", "why", "chunk_title",
          "variant"}
OLDER_SETS = ("devset", "realtext")  # the phrasing set reuses their tables


def _records(split: str) -> list[dict]:
    return read_records(DATA / f"{split}.jsonl")


def test_regenerating_the_v3_sets_gives_the_committed_files_byte_for_byte(tmp_path):
    rebuild("build_devset_v3.py", tmp_path)
    for split in SPLITS:
        for name in (f"{split}.jsonl", f"{split}_corpus.jsonl"):
            assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


@pytest.mark.parametrize("split", SPLITS)
def test_rows_are_complete_balanced_and_traceable_to_a_recorded_table(split):
    rows = _records(split)
    check_balanced(rows, FIELDS)
    sources = check_traceable(rows, DATA, split, {"repo", "paths", "commit", "vendor", "licence", "rows"})
    assert all(len(p["commit"]) == 40 for p in sources.values())
    assert all(r["why"] and r["chunk_title"] for r in rows)


@pytest.mark.parametrize("split", SPLITS)
def test_each_corpus_holds_the_splits_chunks_once_with_titles_and_nothing_else(split):
    check_corpus(read_records(DATA / f"{split}_corpus.jsonl"), _records(split))


def test_the_splits_share_no_vendor_and_no_vendor_of_the_older_sets():
    dev, holdout = _records("devset"), _records("holdout")
    dev_vendors, holdout_vendors = {r["vendor"] for r in dev}, {r["vendor"] for r in holdout}
    older = {p["vendor"] for name in OLDER_SETS for p in provenance(ROOT / "tests" / "data" / name).values()}
    assert not dev_vendors & holdout_vendors
    assert not (dev_vendors | holdout_vendors) & older
    assert len(dev_vendors | holdout_vendors) >= 6 and len(holdout_vendors) >= 2
    assert 1500 <= len(dev) <= 3000 and 500 <= len(holdout) <= 1200


def test_the_dev_split_covers_every_v3_form_in_english_and_chinese():
    dev = _records("devset")
    kinds = {r["kind"] for r in dev}
    assert {"mnemonic_same_mnemonic", "mnemonic_diff_mnemonic", "number_vs_pair_same", "number_vs_pair_diff",
            "mnemonic_vs_number_undecided", "table_row_matches", "table_row_none_matches", "signed_vs_unsigned",
            "sign_dropped", "parameter_same", "parameter_diff", "series_spelling", "sibling_series_same_code",
            "software_name_same_code", "code_then_newline_diff", "parameter_other_separator",
            "alias_in_heading_same_code", "two_series_page_same_code", "two_codes_none_listed"} <= kinds
    chunks = [r["chunk"] for r in dev]
    assert sum(any("\u4e00" <= ch <= "\u9fff" for ch in c) for c in chunks) > len(chunks) * 0.3
    assert sum(c.isascii() for c in chunks) > len(chunks) * 0.1
    assert sum("\t" in c or "  " in c or "| " in c for c in chunks) > 100  # tables without colons
    assert sum(r["variant"] == "fullwidth" for r in dev) >= 100  # NFKC: `Ｐ８６`, `返回－４`


@pytest.fixture(scope="module")
def dev_result():
    return score(load_judge("rules"), "devset")


def test_the_report_judges_every_pair_and_breaks_it_down_by_kind_and_vendor(dev_result):
    records = _records("devset")
    assert dev_result.metrics["n"] == len(records)
    text = report(dev_result, misses=2)
    assert all(kind in text for kind in {r["kind"] for r in records})
    assert all(vendor in text for vendor in {r["vendor"] for r in records})
    assert all(f"  {form} " in text for form in ("mnemonic", "table rows", "signed", "parameter", "software"))


# A ratchet, not the target: the rules backend does not implement spec v3 yet (issue 21). These are its scores on
# main when the set landed; raise them as the rules improve. The target is accuracy >= 0.99 with no aligned pair
# dropped (and >= 0.99 on the held-out split).
FLOOR_ACCURACY = 0.994
CEILING_ALIGNED_DROPPED = 0.0


def test_rules_backend_on_the_v3_dev_split_does_not_fall_below_its_ratchet(dev_result):
    check_ratchet(dev_result, FLOOR_ACCURACY, CEILING_ALIGNED_DROPPED, lambda result: report(result, misses=20))


def test_a_catalog_learned_from_the_dev_corpus_scores_the_same_or_better(dev_result, tmp_path):
    """Issue 21: with a catalog learned from the split's chunks alone the rules do as well or better."""
    learned = learn_catalog_file("devset", tmp_path / "learned.yaml")
    result = score(load_judge("rules", catalog=str(learned)), "devset")
    assert result.accuracy >= dev_result.accuracy, report(result, misses=20)
    assert result.aligned_dropped <= dev_result.aligned_dropped, report(result, misses=20)
