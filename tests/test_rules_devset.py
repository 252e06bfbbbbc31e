"""The rules backend on the real-table dev set (tests/data/devset): accuracy, dropped relevant chunks, determinism.

The pairs come from public alarm tables of vendors other than Inovance and are labelled by construction from
spec v2 (scripts/build_devset.py); the held-out split's vendors are used only to report how the rules generalise.
"""

from __future__ import annotations

import re

import pytest

from devtools.devsets.devset_report import DATA, SPLITS, describe, run
from ea_plugin import load_judge
from tests.dataset_checks import check_balanced, check_traceable, read_records, rebuild

FIELDS = {"question", "chunk", "label", "rule", "kind", "vendor", "source", "chunk_source", "why", "variant"}


def _records(split: str) -> list[dict]:
    return read_records(DATA / f"{split}.jsonl")


def test_regenerating_the_dev_set_gives_the_committed_files_byte_for_byte(tmp_path):
    rebuild("build_devset.py", tmp_path)
    for split in SPLITS:
        assert (tmp_path / f"{split}.jsonl").read_bytes() == (DATA / f"{split}.jsonl").read_bytes(), split


@pytest.mark.parametrize("split", SPLITS)
def test_dev_set_rows_are_complete_balanced_and_traceable_to_a_recorded_table(split):
    rows = _records(split)
    check_balanced(rows, FIELDS)
    check_traceable(rows, DATA, split, {"repo", "path", "commit", "vendor", "licence", "rows"})


def test_the_two_splits_share_no_vendor_and_the_dev_set_covers_six_vendors_and_every_pair_kind():
    dev, holdout = _records("devset"), _records("holdout")
    dev_vendors = {r["vendor"] for r in dev} - {"CiA 402 (no vendor)"}
    assert len(dev_vendors) >= 6
    assert not dev_vendors & {r["vendor"] for r in holdout}
    assert "Inovance" not in dev_vendors
    kinds = {r["kind"] for r in dev}
    assert {"same_product_same_code", "sub_code_difference", "same_product_near_miss", "chunk_no_product_diff_code",
            "question_no_entity", "brand_own_model", "brand_vs_other_brand_model", "other_vendor_same_looking_code",
            "hex_vs_panel_code", "fault_vs_warning", "running_text_same_code"} <= kinds
    assert sum(r["variant"] == "fullwidth" for r in dev) >= 100
    assert 1500 <= len(dev) <= 5000 and len(holdout) >= 500


def test_the_dev_set_has_every_code_family_and_the_hex_letter_and_sub_coded_forms():
    why = "\n".join(r["why"] for r in _records("devset"))
    assert set(re.findall(r"\b(AL|A|E|F|N|HEX|BARE)/", why)) == {"AL", "A", "E", "F", "N", "HEX", "BARE"}
    assert re.search(r"\bA/\d*[a-f]", why)  # Yaskawa A.C90, A.7Ab
    assert re.search(r"\bAL/\d*[a-f]", why)  # Mitsubishi AL.1A, AL.E6
    assert re.search(r"\bE/\d+\.\d", why)  # Panasonic A6 Err16.1


@pytest.fixture(scope="module")
def results():
    judge = load_judge("rules")
    return {split: run(judge, split) for split in SPLITS}


@pytest.mark.parametrize("split", SPLITS)
def test_the_report_judges_every_pair_and_breaks_accuracy_down_by_kind_and_vendor(results, split):
    result, records = results[split], _records(split)
    assert result.metrics["n"] == len(records)
    assert set(result.metrics["per_kind"]) == {r["kind"] for r in records}
    assert set(result.per_vendor) == {r["vendor"] for r in records}
    text = describe(result, misses=3)
    assert all(kind in text for kind in result.metrics["per_kind"])
    assert len(result.misses) == round((1 - result.accuracy) * len(records))


def test_rules_backend_is_right_on_98_percent_of_the_dev_set_and_drops_at_most_1_percent_of_aligned(results):
    result = results["devset"]
    assert result.accuracy >= 0.98 and result.aligned_dropped <= 0.01, describe(result)


def test_rules_backend_generalises_to_the_held_out_vendors(results):
    result = results["holdout"]
    print(describe(result, misses=10))  # reported with -s or on failure; the bound is looser than the dev set's
    assert result.accuracy >= 0.95, describe(result)
