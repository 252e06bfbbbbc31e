"""The keep/drop policy and verdict metadata shared by the LlamaIndex and LangChain integrations."""

from __future__ import annotations

import pytest

from ea_plugin import ALIGNED, UNALIGNED, InvalidPairError, Verdict, load_judge
from integrations.selection import (
    BELOW_THRESHOLD,
    DROPPED_ON_ERROR,
    JUDGED_ALIGNED,
    JUDGED_UNALIGNED,
    KEPT_ON_ERROR,
    METADATA_KEYS,
    MIN_KEEP,
    NOT_JUDGED,
    SelectionPolicy,
    judge_texts,
    model_arguments,
    reason_of,
    resolve_judge,
)


def verdict(label: str | None, score: float | None, *, aligned: bool | None = None, error: str | None = None):
    return Verdict(
        aligned=label == ALIGNED if aligned is None else aligned,
        label=label,
        score=score,
        reasoning="1. 提取question中的实体：无\n4. 给出判断理由：产品不同",
        backend="rules",
        error=error,
    )


def test_judge_decision_keeps_aligned_and_drops_unaligned_in_order():
    judged = SelectionPolicy().select([verdict(ALIGNED, 0.9), verdict(UNALIGNED, 0.2), verdict(ALIGNED, 0.7)])
    assert [(j.position, j.kept, j.decision) for j in judged] == [
        (0, True, JUDGED_ALIGNED),
        (1, False, JUDGED_UNALIGNED),
        (2, True, JUDGED_ALIGNED),
    ]


def test_score_threshold_decides_where_a_score_exists_and_the_judge_decides_elsewhere():
    policy = SelectionPolicy(score_threshold=0.8)
    verdicts = [verdict(ALIGNED, 0.9), verdict(ALIGNED, 0.6), verdict(ALIGNED, None), verdict(UNALIGNED, None)]
    judged = policy.select(verdicts)
    assert [j.decision for j in judged] == [JUDGED_ALIGNED, BELOW_THRESHOLD, JUDGED_ALIGNED, JUDGED_UNALIGNED]


def test_failed_verdicts_follow_the_judges_policy_and_keep_their_error():
    kept, dropped = SelectionPolicy().select(
        [verdict(None, None, aligned=True, error="timeout"), verdict(None, None, aligned=False, error="timeout")]
    )
    assert (kept.kept, kept.decision, kept.metadata()["ea_error"]) == (True, KEPT_ON_ERROR, "timeout")
    assert (dropped.kept, dropped.decision) == (False, DROPPED_ON_ERROR)


def test_min_keep_rescues_the_best_scored_dropped_chunks_and_breaks_ties_by_retrieval_order():
    verdicts = [verdict(UNALIGNED, 0.1), verdict(UNALIGNED, 0.4), verdict(UNALIGNED, 0.1), verdict(UNALIGNED, None)]
    judged = SelectionPolicy(min_keep=2).select(verdicts)
    assert [(j.kept, j.decision) for j in judged] == [
        (True, MIN_KEEP),
        (True, MIN_KEEP),
        (False, JUDGED_UNALIGNED),
        (False, JUDGED_UNALIGNED),
    ]


def test_min_keep_counts_chunks_already_kept_and_never_exceeds_what_was_retrieved():
    verdicts = [verdict(ALIGNED, 0.9), verdict(UNALIGNED, 0.3), verdict(UNALIGNED, 0.2)]
    judged = SelectionPolicy(min_keep=2).select(verdicts)
    assert [j.decision for j in judged] == [JUDGED_ALIGNED, MIN_KEEP, JUDGED_UNALIGNED]
    assert all(j.kept for j in SelectionPolicy(min_keep=5).select([verdict(UNALIGNED, 0.0)] * 2))


def test_unjudged_empty_chunks_are_kept_and_say_so():
    (judged,) = SelectionPolicy().select([None])
    assert (judged.kept, judged.decision) == (True, NOT_JUDGED)
    assert judged.metadata()["ea_label"] is None and "empty" in judged.metadata()["ea_reason"]


def test_metadata_is_flat_and_names_label_score_reason_error_decision_backend():
    (judged,) = SelectionPolicy().select([verdict(UNALIGNED, 0.0)])
    assert judged.metadata() == {
        "ea_label": UNALIGNED,
        "ea_score": 0.0,
        "ea_reason": "产品不同",
        "ea_error": None,
        "ea_decision": JUDGED_UNALIGNED,
        "ea_backend": "rules",
    }
    assert tuple(judged.metadata()) == METADATA_KEYS


@pytest.mark.parametrize(
    ("reasoning", "reason"),
    [
        ("1. 提取question中的实体：无\n4. 给出判断理由：产品不同（产品实体优先）\n", "产品不同（产品实体优先）"),
        ("the chunk is about another product", "the chunk is about another product"),
        ("", None),
    ],
)
def test_reason_is_the_last_step_of_the_analysis_without_its_heading(reasoning, reason):
    assert reason_of(reasoning) == reason


@pytest.mark.parametrize("kwargs", [{"score_threshold": 1.5}, {"score_threshold": -0.1}, {"min_keep": -1},
                                    {"min_keep": 1.5}, {"min_keep": True}])
def test_policy_rejects_out_of_range_options(kwargs):
    with pytest.raises(ValueError):
        SelectionPolicy(**kwargs)


def test_judge_texts_skips_empty_chunks_and_places_verdicts_at_their_positions():
    verdicts = judge_texts(load_judge("rules"), "md500参数F0-02怎么设", ["md500的F0-03参数", "  ", "md500的F0-02参数"])
    assert [v.label if v else None for v in verdicts] == [UNALIGNED, None, ALIGNED]


@pytest.mark.parametrize("query", ["", "   ", None])
def test_a_missing_query_is_a_named_error_even_without_chunks(query):
    with pytest.raises(InvalidPairError):
        judge_texts(load_judge("rules"), query, [])


def test_resolve_judge_takes_a_judge_or_builds_one_from_a_backend_name_but_not_both():
    judge = load_judge("rules")
    assert resolve_judge(judge, None, {}) is judge
    built = resolve_judge(None, "rules", {"mode": "think"})
    assert (built.backend.name, built.mode) == ("rules", "think")
    with pytest.raises(ValueError, match="either"):
        resolve_judge(judge, "rules", {})
    with pytest.raises(TypeError, match="AlignmentJudge"):
        resolve_judge(object(), None, {})


def test_model_arguments_keep_the_integrations_own_options_and_give_the_rest_to_load_judge():
    arguments = model_arguments(("judge", "min_keep"), None, "rules", {"min_keep": 2, "mode": "think"})
    assert arguments["min_keep"] == 2 and set(arguments) == {"judge", "min_keep"}
    assert arguments["judge"].mode == "think"
