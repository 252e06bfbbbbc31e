"""The rules backend on the spec v3 held-out split (tests/data/devset_v3/holdout.jsonl): vendors the dev split lacks.

Scored only at the end of a session (tune on the dev split, never on this one). Until a floor is recorded the test
runs only when EA_SCORE_HOLDOUT=1 is set, so that nobody reads the held-out score while working on the rules; once
recorded it is a ratchet like the dev split's.
"""

from __future__ import annotations

import os

import pytest

from devtools.devsets.devset_v3_report import report, score
from ea_plugin import load_judge
from tests.dataset_checks import check_ratchet

# Recorded at the end of a session (None: not yet scored): a ratchet, raised as the rules improve. First scored
# 2026-12-07 05:00 UTC: 0.9875 with 1 of 561 aligned pairs dropped (0.9920, none dropped, with a catalog learned
# from holdout_corpus.jsonl). The target is >= 0.99 with no aligned pair dropped.
FLOOR_ACCURACY: float | None = 0.987
CEILING_ALIGNED_DROPPED: float | None = 0.002


@pytest.mark.skipif(FLOOR_ACCURACY is None and os.environ.get("EA_SCORE_HOLDOUT") != "1",
                    reason="held-out split: scored at the end of a session (EA_SCORE_HOLDOUT=1)")
def test_rules_backend_on_the_v3_held_out_split():
    result = score(load_judge("rules"), "holdout")
    print(report(result, misses=10))
    check_ratchet(result, FLOOR_ACCURACY, CEILING_ALIGNED_DROPPED, lambda result: report(result, misses=20))
