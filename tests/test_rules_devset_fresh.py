"""The rules backend on the fresh measurement set (tests/data/devset_fresh): vendors no other set of ours uses.

Issue 21's "done when": on real tables of vendors we do not have, >= 97% with the built-in catalog and <= 1% of
relevant chunks dropped, and >= 90% on the formerly silent forms with a catalog learned from that corpus. Scored
once blind (below), now a ratchet; `python scripts/devset_v3_report.py --split fresh [--learn]` prints the tables.
"""

from __future__ import annotations

from devtools.devsets.devset_v3_report import FRESH, learn_catalog_file, report, score, silent_accuracy
from ea_plugin import load_judge
from tests.dataset_checks import check_ratchet

# A ratchet, as the held-out split's (targets, issue 21: 0.97, 0.01, 0.90). First scored blind on 2026-12-07
# (14:45 UTC): 0.9281 with 4.06% of aligned pairs dropped and 10.3% of unaligned ones kept; formerly silent forms
# with the learned catalog 0.9676. Two general misses explained most of it (a series word before a model that is
# one on its own, DYNAMIXEL XM430 against XM430; a family code's token going on as a model's number, E5-8200);
# after those fixes 0.9925, none dropped, 0.9800 (no longer a blind score).
FLOOR_ACCURACY: float | None = 0.992
CEILING_ALIGNED_DROPPED: float | None = 0.0
FLOOR_SILENT_LEARNED: float | None = 0.979


def test_rules_backend_with_the_built_in_catalog_on_the_fresh_set():
    result = score(load_judge("rules"), FRESH)
    print(report(result, misses=30))
    check_ratchet(result, FLOOR_ACCURACY, CEILING_ALIGNED_DROPPED, lambda result: report(result, misses=20))


def test_rules_backend_with_a_catalog_learned_from_the_fresh_corpus(tmp_path):
    learned = learn_catalog_file(FRESH, tmp_path / "learned.yaml")
    result = score(load_judge("rules", catalog=str(learned)), FRESH)
    print(report(result, misses=30))
    n, accuracy = silent_accuracy(result)
    print(f"formerly silent forms, learned catalog: {accuracy:.4f} on {n} pairs")
    assert n > 0
    if FLOOR_SILENT_LEARNED is not None:
        assert accuracy >= FLOOR_SILENT_LEARNED, report(result, misses=20)
