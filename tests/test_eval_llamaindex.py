"""LlamaIndex evaluation: EntityAlignmentPrecision in a real RetrieverEvaluator over a real VectorStoreIndex
(sample manual, offline embedding), and EntityAlignmentEvaluator alone and in BatchEvalRunner."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("llama_index.core", reason="needs the [llamaindex] extra")
from llama_index.core.base.response.schema import Response
from llama_index.core.evaluation import BatchEvalRunner, RetrieverEvaluator
from llama_index.core.evaluation.retrieval.metrics import HitRate

from ea_plugin import load_judge
from integrations.corpus import load_chunks
from integrations.demo import build_index
from integrations.llamaindex import FixedPromptError
from integrations.llamaindex_eval import EntityAlignmentEvaluator, EntityAlignmentPrecision
from integrations.retrieval_metric import judge_retrieval
from tests.eval_support import TIMEOUT_MARK, flaky_backend

QUESTION = "sv660n出现e100故障怎么办？"


@pytest.fixture(scope="module")
def retriever():
    return build_index(load_chunks()).as_retriever(similarity_top_k=6)


def test_precision_metric_in_a_retriever_evaluator_over_a_vector_index(retriever):
    evaluator = RetrieverEvaluator(metrics=[EntityAlignmentPrecision(), HitRate()], retriever=retriever)
    result = evaluator.evaluate(QUESTION, expected_ids=["sv660n-e100"])
    metric = result.metric_dict["entity_alignment_precision"]
    # The same figure as the metric core over what the retriever returned, with the node ids as chunk ids.
    expected = judge_retrieval(load_judge("rules"), QUESTION, result.retrieved_texts)
    assert metric.score == expected.precision() and 0.0 < metric.score < 1.0
    off = [result.retrieved_ids[rank - 1] for rank in metric.metadata["off_entity_ranks"]]
    assert {"md500-e100", "sv660n-e102"} <= set(off)
    assert "[md500-e100]" in metric.metadata["feedback"]
    assert result.metric_dict["hit_rate"].score == 1.0


async def test_precision_metric_at_k_and_through_the_async_evaluator(retriever):
    evaluator = RetrieverEvaluator(metrics=[EntityAlignmentPrecision(k=1)], retriever=retriever)
    for query in (QUESTION, "md500参数F0-02怎么设？"):
        result = await evaluator.aevaluate(query, expected_ids=[])
        first = judge_retrieval(load_judge("rules"), query, result.retrieved_texts[:1])
        assert result.metric_dict["entity_alignment_precision"].score == first.precision()


def test_precision_metric_needs_query_and_texts_and_is_nan_when_nothing_was_judged(integration_backends):
    with pytest.raises(ValueError, match="query and the retrieved texts"):
        EntityAlignmentPrecision().compute(query=QUESTION, retrieved_ids=["a"])
    dead = EntityAlignmentPrecision(backend="broken").compute(query=QUESTION, retrieved_texts=["sv660n e100"])
    assert math.isnan(dead.score) and dead.metadata["failed"] == 1


def test_evaluator_scores_passes_and_names_the_off_entity_chunks():
    contexts = ["sv660系列e100.1故障表示过电流。", "md500变频器e100故障表示加速过电流。", "sv660n报e101故障时。"]
    result = EntityAlignmentEvaluator(threshold=0.3).evaluate(query=QUESTION, contexts=contexts)
    assert result.score == pytest.approx(1 / 3) and result.passing is True
    assert "off-entity #2: 产品不同" in result.feedback and "off-entity #3: 故障码不同" in result.feedback
    strict = EntityAlignmentEvaluator(threshold=1.0, k=1).evaluate(query=QUESTION, contexts=contexts)
    assert strict.score == 1.0 and strict.passing is True
    assert EntityAlignmentEvaluator(threshold=0.5).evaluate(query=QUESTION, contexts=contexts).passing is False


def test_evaluator_with_a_failing_judge_counts_failures_apart():
    with flaky_backend() as backend:
        evaluator = EntityAlignmentEvaluator(backend=backend)
    result = evaluator.evaluate(query=QUESTION, contexts=["sv660系列e100故障。", f"{TIMEOUT_MARK}md500 e100"])
    assert result.score == 1.0 and "1 judge failures" in result.feedback
    assert "judge failed #2: timeout" in result.feedback
    nothing = evaluator.evaluate(query=QUESTION, contexts=[f"{TIMEOUT_MARK}x"])
    assert nothing.invalid_result and nothing.score is None and "no context could be judged" in nothing.invalid_reason


def test_evaluator_in_a_batch_eval_runner_over_retrieved_responses(retriever):
    queries = [QUESTION, "伺服驱动器怎么调增益？", "md500参数F0-02怎么设？"]
    responses = [Response(response="", source_nodes=retriever.retrieve(q)) for q in queries]
    runner = BatchEvalRunner({"entity_alignment": EntityAlignmentEvaluator(threshold=0.9)}, workers=2)
    results = runner.evaluate_responses(queries=queries, responses=responses)["entity_alignment"]
    judge = load_judge("rules")
    for query, response, result in zip(queries, responses, results, strict=True):
        texts = [n.node.get_content() for n in response.source_nodes]
        assert result.query == query and result.score == judge_retrieval(judge, query, texts).precision()
    assert [r.passing for r in results] == [False, True, False]


def test_evaluator_options_are_checked_and_it_has_no_replaceable_prompt():
    with pytest.raises(ValueError, match="threshold"):
        EntityAlignmentEvaluator(threshold=1.5)
    with pytest.raises(ValueError, match="k must"):
        EntityAlignmentEvaluator(k=0)
    evaluator = EntityAlignmentEvaluator()
    assert evaluator.get_prompts() == {}
    with pytest.raises(FixedPromptError):
        evaluator.update_prompts({"x": None})
