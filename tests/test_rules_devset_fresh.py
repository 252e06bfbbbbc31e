"""The rules backend on the fresh measurement set (tests/data/devset_fresh): vendors no other set of ours uses.

Issue 21's "done when": on real tables of vendors we do not have, >= 97% with the built-in catalog and <= 1% of
relevant chunks dropped, and >= 90% on the formerly silent forms with a catalog learned from that corpus. The set is
scored once, by the lead, at the end (EA_SCORE_FRESH=1 pytest tests/test_rules_devset_fresh.py -s, or
`python scripts/devset_v3_report.py --split fresh [--learn]`); until then the tests are skipped so that nobody reads
the score while working on the rules. After scoring, the lead records the scores below (a ratchet, as the held-out
split's) and the skip condition goes.
"""

from __future__ import annotations

import os

import pytest

from devtools.devsets.devset_v3_report import FRESH, learn_catalog_file, report, score, silent_accuracy
from ea_plugin import load_judge

# Recorded once scored (None: not yet). Targets (issue 21): 0.97, 0.01, 0.90.
FLOOR_ACCURACY: float | None = None
CEILING_ALIGNED_DROPPED: float | None = None
FLOOR_SILENT_LEARNED: float | None = None

pytestmark = pytest.mark.skipif(os.environ.get("EA_SCORE_FRESH") != "1",
                                reason="fresh set: scored once, by the lead, at the end (EA_SCORE_FRESH=1)")


def test_rules_backend_with_the_built_in_catalog_on_the_fresh_set():
    result = score(load_judge("rules"), FRESH)
    print(report(result, misses=30))
    assert result.metrics["n"] > 0
    if FLOOR_ACCURACY is not None:
        assert result.accuracy >= FLOOR_ACCURACY, report(result, misses=20)
    if CEILING_ALIGNED_DROPPED is not None:
        assert result.aligned_dropped <= CEILING_ALIGNED_DROPPED, report(result, misses=20)


def test_rules_backend_with_a_catalog_learned_from_the_fresh_corpus(tmp_path):
    learned = learn_catalog_file(FRESH, tmp_path / "learned.yaml")
    result = score(load_judge("rules", catalog=str(learned)), FRESH)
    print(report(result, misses=30))
    n, accuracy = silent_accuracy(result)
    print(f"formerly silent forms, learned catalog: {accuracy:.4f} on {n} pairs")
    assert n > 0
    if FLOOR_SILENT_LEARNED is not None:
        assert accuracy >= FLOOR_SILENT_LEARNED, report(result, misses=20)
