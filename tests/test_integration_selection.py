"""The policy (ea_plugin.policy) and the decision metadata shared by the LlamaIndex and LangChain integrations."""

from __future__ import annotations

import pytest

from ea_plugin import ALIGNED, UNALIGNED, InvalidPairError, Judgement, Pair, Policy, load_judge
from ea_plugin.policy import (
    BELOW_THRESHOLD,
    DROPPED_ON_ERROR,
    JUDGED_ALIGNED,
    JUDGED_UNALIGNED,
    KEPT_ON_ERROR,
    MIN_KEEP,
    NOT_JUDGED,
    WHY,
    Decision,
    not_judged,
)
from ea_plugin.prompts import analysis_reason
from integrations.selection import (
    METADATA_KEYS,
    judge_texts,
    metadata,
    model_arguments,
    query_policy,
    resolve_judge,
)

PAIR = Pair("q", "c")


def judgement(label: str | None, score: float | None, *, error: str | None = None) -> Judgement:
    return Judgement(label, score=score, reasoning="1. 提取question中的实体：无\n4. 给出判断理由：产品不同",
                     backend="rules", error=error)


def decide(policy: Policy, judgements: list[Judgement]) -> list[Decision]:
    return policy.top_up([policy.decide(j, PAIR) for j in judgements])


def test_policy_keeps_aligned_and_drops_unaligned_in_order():
    decisions = decide(Policy(), [judgement(ALIGNED, 0.9), judgement(UNALIGNED, 0.2), judgement(ALIGNED, None)])
    assert [(d.kept, d.why) for d in decisions] == [(True, JUDGED_ALIGNED), (False, JUDGED_UNALIGNED),
                                                    (True, JUDGED_ALIGNED)]


def test_threshold_decides_where_a_score_exists_and_the_label_elsewhere():
    judgements = [judgement(ALIGNED, 0.9), judgement(ALIGNED, 0.6), judgement(ALIGNED, None),
                  judgement(UNALIGNED, None)]
    decisions = decide(Policy(threshold=0.8), judgements)
    assert [d.why for d in decisions] == [JUDGED_ALIGNED, BELOW_THRESHOLD, JUDGED_ALIGNED, JUDGED_UNALIGNED]


@pytest.mark.parametrize(
    ("on_error", "kept", "why"), [("keep", True, KEPT_ON_ERROR), ("drop", False, DROPPED_ON_ERROR)]
)
def test_failed_judgements_follow_on_error_and_keep_their_error(on_error, kept, why):
    (decision,) = decide(Policy(on_error=on_error), [judgement(None, None, error="timeout")])
    assert (decision.kept, decision.why, metadata(decision)["ea_error"]) == (kept, why, "timeout")
    (unlabelled,) = decide(Policy(on_error=on_error), [judgement(None, None)])
    assert unlabelled.error == "backend returned no label"


def test_min_keep_rescues_the_best_scored_dropped_chunks_and_breaks_ties_by_order():
    judgements = [judgement(UNALIGNED, 0.1), judgement(UNALIGNED, 0.4), judgement(UNALIGNED, 0.1),
                  judgement(UNALIGNED, None)]
    decisions = decide(Policy(min_keep=2), judgements)
    assert [(d.kept, d.why) for d in decisions] == [
        (True, MIN_KEEP),
        (True, MIN_KEEP),
        (False, JUDGED_UNALIGNED),
        (False, JUDGED_UNALIGNED),
    ]


def test_min_keep_counts_chunks_already_kept_and_never_exceeds_what_there_is():
    decisions = decide(Policy(min_keep=2), [judgement(ALIGNED, 0.9), judgement(UNALIGNED, 0.3),
                                            judgement(UNALIGNED, 0.2)])
    assert [d.why for d in decisions] == [JUDGED_ALIGNED, MIN_KEEP, JUDGED_UNALIGNED]
    assert all(d.kept for d in decide(Policy(min_keep=5), [judgement(UNALIGNED, 0.0)] * 2))


def test_min_keep_does_not_count_chunks_that_were_not_judged():
    policy = Policy(min_keep=1)
    decisions = policy.top_up([not_judged(), policy.decide(judgement(UNALIGNED, 0.1), PAIR)])
    assert [(d.kept, d.why) for d in decisions] == [(True, NOT_JUDGED), (True, MIN_KEEP)]


def test_unjudged_empty_chunks_are_kept_and_say_so():
    decision = not_judged()
    assert (decision.kept, decision.why) == (True, NOT_JUDGED)
    assert metadata(decision)["ea_label"] is None and "empty" in metadata(decision)["ea_reason"]


def test_every_decision_code_has_its_text_and_a_decision_cannot_contradict_it():
    assert set(WHY) == {JUDGED_ALIGNED, KEPT_ON_ERROR, MIN_KEEP, NOT_JUDGED, JUDGED_UNALIGNED, BELOW_THRESHOLD,
                        DROPPED_ON_ERROR}
    with pytest.raises(ValueError, match="inconsistent"):
        Decision(False, JUDGED_ALIGNED, None)


def test_metadata_is_flat_and_names_label_score_reason_error_decision_backend():
    (decision,) = decide(Policy(), [judgement(UNALIGNED, 0.0)])
    assert metadata(decision) == {
        "ea_label": UNALIGNED,
        "ea_score": 0.0,
        "ea_reason": "产品不同",
        "ea_error": None,
        "ea_decision": JUDGED_UNALIGNED,
        "ea_backend": "rules",
    }
    assert tuple(metadata(decision)) == METADATA_KEYS


@pytest.mark.parametrize(
    ("reasoning", "reason"),
    [
        ("1. 提取question中的实体：无\n4. 给出判断理由：产品不同（产品实体优先）\n", "产品不同（产品实体优先）"),
        ("the chunk is about another product", "the chunk is about another product"),
        ("", None),
    ],
)
def test_reason_is_the_last_step_of_the_analysis_without_its_heading(reasoning, reason):
    assert analysis_reason(reasoning) == reason


@pytest.mark.parametrize("kwargs", [{"threshold": 1.5}, {"threshold": -0.1}, {"min_keep": -1},
                                    {"min_keep": 1.5}, {"min_keep": True}, {"on_error": "ignore"},
                                    {"cascade": (0.9, 0.1)}])
def test_policy_rejects_out_of_range_options_naming_them(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Policy(**kwargs)


def test_query_policy_overrides_only_what_the_integration_sets():
    judge = load_judge("rules", threshold=0.3, min_keep=2, on_error="drop")
    assert query_policy(judge, None, None) == judge.policy
    assert query_policy(judge, 0.9, 0) == Policy(threshold=0.9, on_error="drop", min_keep=0)


def test_judge_texts_skips_empty_chunks_and_places_decisions_at_their_positions():
    judge = load_judge("rules")
    texts = ["md500的F0-03参数", "  ", "md500的F0-02参数", "\u200b\ufeff"]
    decisions = judge_texts(judge, "md500参数F0-02怎么设", texts, judge.policy)
    assert [(d.label, d.why) for d in decisions] == [(UNALIGNED, JUDGED_UNALIGNED), (None, NOT_JUDGED),
                                                     (ALIGNED, JUDGED_ALIGNED), (None, NOT_JUDGED)]


def test_min_keep_refills_from_real_chunks_only():
    judge = load_judge("rules")
    texts = ["", "md500的F0-03参数", "\u200b"]
    decisions = judge_texts(judge, "md500参数F0-02怎么设", texts, judge.policy.replace(min_keep=1))
    assert [d.why for d in decisions] == [NOT_JUDGED, MIN_KEEP, NOT_JUDGED]


@pytest.mark.parametrize("query", ["", "   ", None])
def test_a_missing_query_is_a_named_error_even_without_chunks(query):
    with pytest.raises(InvalidPairError):
        judge_texts(load_judge("rules"), query, [], Policy())


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
    from integrations.langchain import EntityAlignmentFilter

    arguments = model_arguments(EntityAlignmentFilter, None, "rules", {"min_keep": 2, "mode": "think"})
    assert arguments["min_keep"] == 2 and set(arguments) == {"judge", "min_keep"}
    assert arguments["judge"].mode == "think"
