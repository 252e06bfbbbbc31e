"""The entity-alignment precision metric (integrations.retrieval_metric) with the real judge: statuses, precision@k,
off-entity share, precision by rank, judge failures counted apart, one batched judge call per question."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ea_plugin import load_judge
from integrations.retrieval_metric import (
    STATUS_ALIGNED,
    STATUS_FAILED,
    STATUS_NOT_JUDGED,
    STATUS_OFF_ENTITY,
    STATUSES,
    ChunkJudgement,
    Context,
    ContextError,
    RetrievalJudgement,
    ajudge_retrieval,
    as_context,
    feedback,
    judge_retrieval,
    summarize,
)
from tests.eval_support import TIMEOUT_MARK, flaky_backend

QUESTION = "sv660n出现e100故障怎么办？"
CONTEXTS = [
    "sv660系列e100.1故障表示过电流，请检查电机接线。",  # aligned: sv660n ~ sv660, e100 ~ e100.1
    "md500变频器e100故障表示加速过电流。",  # off-entity: another product
    {"text": "sv660n报e101故障时，检查参数设置。", "id": "sv660n-e101", "score": 0.8},  # off-entity: another code
    "过电流故障的一般处理方法。",  # aligned: names no entity
    "   ",  # empty: not judged
]


def test_each_chunk_gets_what_the_judge_said_and_precision_counts_judged_chunks_only():
    result = judge_retrieval(load_judge("rules"), QUESTION, CONTEXTS)
    assert [c.status for c in result.chunks] == [STATUS_ALIGNED, STATUS_OFF_ENTITY, STATUS_OFF_ENTITY, STATUS_ALIGNED,
                                                 STATUS_NOT_JUDGED]
    assert [c.rank for c in result.chunks] == [1, 2, 3, 4, 5]
    assert result.precision() == 0.5
    assert result.precision(1) == 1.0
    assert result.precision(2) == 0.5
    assert result.precision(3) == pytest.approx(1 / 3)
    assert result.chunks[2].context == Context("sv660n报e101故障时，检查参数设置。", "sv660n-e101", 0.8)
    assert "101" in result.chunks[2].reason and "md500" in result.chunks[1].reason


def test_feedback_names_each_off_entity_chunk_with_the_judges_reason():
    text = feedback(judge_retrieval(load_judge("rules"), QUESTION, CONTEXTS))
    lines = text.splitlines()
    assert lines[0] == "entity-alignment precision 0.500: 2 aligned, 2 off-entity, 0 judge failures, 1 empty"
    assert lines[1].startswith("off-entity #2: 产品不同") and "md500" in lines[1]
    assert lines[2].startswith("off-entity #3 [sv660n-e101]: 故障码不同")


def test_a_judge_that_says_off_entity_but_keeps_for_min_keep_still_counts_as_off_entity():
    # min_keep is a filter's rescue, not the judge's view: the metric reads what the judge said.
    from ea_plugin.policy import MIN_KEEP
    from integrations.retrieval_metric import status_of

    judge = load_judge("rules", min_keep=5)
    decisions = judge.judge_many(QUESTION, [c if isinstance(c, str) else c["text"] for c in CONTEXTS[:4]])
    assert all(d.kept for d in decisions) and [d.why for d in decisions].count(MIN_KEEP) == 2
    assert [status_of(d) for d in decisions] == [STATUS_ALIGNED, STATUS_OFF_ENTITY, STATUS_OFF_ENTITY, STATUS_ALIGNED]
    assert judge_retrieval(judge, QUESTION, CONTEXTS).counts()[STATUS_OFF_ENTITY] == 2


def test_judge_failures_are_counted_apart_under_every_on_error_policy():
    contexts = [CONTEXTS[0], f"{TIMEOUT_MARK}sv660系列e100故障", CONTEXTS[1]]
    for on_error in ("keep", "drop"):
        with flaky_backend() as backend:
            judge = load_judge(backend, on_error=on_error)
        result = judge_retrieval(judge, QUESTION, contexts)
        assert [c.status for c in result.chunks] == [STATUS_ALIGNED, STATUS_FAILED, STATUS_OFF_ENTITY]
        assert result.precision() == 0.5  # the failure is neither aligned nor off-entity
        assert result.failed()[0].error == "timeout: no answer in 30 s"
        assert "judge failed #2: timeout" in feedback(result)
        assert judge.backend.batches == [3]  # one batched call for the question


async def test_async_gives_the_same_result_as_sync():
    judge = load_judge("rules")
    assert await ajudge_retrieval(judge, QUESTION, CONTEXTS) == judge_retrieval(judge, QUESTION, CONTEXTS)


def test_summary_over_questions():
    judge = load_judge("rules")
    results = [
        judge_retrieval(judge, QUESTION, CONTEXTS[:4]),  # aligned, off, off, aligned
        # all aligned: the question names no entity
        judge_retrieval(judge, "伺服驱动器怎么调增益？", ["sv660n增益调整步骤如下。", "md500加速时间设置。"]),
        judge_retrieval(judge, "md500参数F0-02怎么设", ["md500的F0-03参数表示频率源选择。"]),  # off-entity
    ]
    summary = summarize(results, ks=(1, 3))
    assert summary.questions == 3
    assert summary.counts == {STATUS_ALIGNED: 4, STATUS_OFF_ENTITY: 3, STATUS_FAILED: 0, STATUS_NOT_JUDGED: 0}
    assert summary.precision == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert summary.precision_at == {1: pytest.approx(2 / 3), 3: pytest.approx((1 / 3 + 1.0 + 0.0) / 3)}
    assert summary.off_entity_share_at == {1: pytest.approx(1 / 3), 3: pytest.approx(2 / 3)}
    assert summary.precision_by_rank == [pytest.approx(2 / 3), 0.5, 0.0, 1.0]
    assert summary.questions_with_off_entity == 2
    assert summary.to_dict()["precision_at"]["1"] == pytest.approx(2 / 3)


def test_contexts_must_be_strings_or_objects_with_text():
    assert as_context({"text": "a", "id": 7}) == Context("a", "7")
    for bad in (3, {"id": "x"}, {"text": "a", "score": "high"}, {"text": "a", "id": [1]}):
        with pytest.raises(ContextError):
            as_context(bad)


@given(st.lists(st.sampled_from(STATUSES), max_size=12), st.integers(min_value=1, max_value=15))
def test_precision_at_k_is_the_aligned_share_of_the_judged_top_k(statuses, k):
    result = RetrievalJudgement("q", tuple(ChunkJudgement(i, Context("t"), s) for i, s in enumerate(statuses, 1)))
    top = statuses[:k]
    judged = [s for s in top if s in (STATUS_ALIGNED, STATUS_OFF_ENTITY)]
    assert sum(result.counts(k).values()) == len(top)
    if judged:
        assert result.precision(k) == judged.count(STATUS_ALIGNED) / len(judged)
    else:
        assert result.precision(k) is None
    assert bool(result.off_entity(k)) == (STATUS_OFF_ENTITY in top)
