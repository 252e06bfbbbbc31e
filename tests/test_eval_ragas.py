"""The Ragas metric through the real ragas.evaluate on an EvaluationDataset: no LLM, no network."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("ragas", reason="needs the [ragas] extra")
from ragas import EvaluationDataset, evaluate
from ragas.dataset_schema import SingleTurnSample
from ragas.metrics.base import SingleTurnMetric

from ea_plugin import load_judge
from integrations.ragas import METRIC_NAME, EntityAlignmentPrecision
from integrations.retrieval_metric import judge_retrieval
from tests.eval_support import TIMEOUT_MARK, flaky_backend, offline

SAMPLES = [
    ("sv660n出现e100故障怎么办？", ["sv660系列e100.1故障表示过电流。", "md500变频器e100故障。", "sv660n报e101故障。"]),
    ("伺服驱动器怎么调增益？", ["sv660n增益调整步骤如下。", "md500加速时间设置。"]),
    ("md500参数F0-02怎么设", ["md500的F0-03参数表示频率源选择。", "MD500参数F0-02为命令源选择。"]),
]


def dataset(samples=SAMPLES) -> EvaluationDataset:
    return EvaluationDataset(samples=[SingleTurnSample(user_input=q, retrieved_contexts=c) for q, c in samples])


def test_ragas_evaluate_scores_each_sample_offline_without_an_llm(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # nothing may need one
    metric = EntityAlignmentPrecision()
    assert isinstance(metric, SingleTurnMetric) and metric.name == METRIC_NAME
    with offline() as blocked:
        result = evaluate(dataset(), metrics=[metric], show_progress=False)
    assert blocked == []
    scores = result.to_pandas()[METRIC_NAME].tolist()
    judge = load_judge("rules")
    assert scores == [judge_retrieval(judge, q, c).precision() for q, c in SAMPLES]
    assert scores == [pytest.approx(1 / 3), 1.0, 0.5]
    assert result[METRIC_NAME] == scores


def test_top_k_and_a_given_judge():
    result = evaluate(dataset(), metrics=[EntityAlignmentPrecision(judge=load_judge("rules"), k=1)],
                      show_progress=False)
    assert result[METRIC_NAME] == [1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="k must"):
        EntityAlignmentPrecision(k=0)


def test_failed_judgements_are_left_out_and_a_sample_with_none_judged_is_nan():
    samples = [("sv660n出现e100故障怎么办？", ["sv660系列e100故障。", f"{TIMEOUT_MARK}md500 e100"]),
               ("sv660n出现e100故障怎么办？", [f"{TIMEOUT_MARK}x"])]
    with flaky_backend() as backend:
        metric = EntityAlignmentPrecision(judge=load_judge(backend, on_error="drop"))
    scores = evaluate(dataset(samples), metrics=[metric], show_progress=False)[METRIC_NAME]
    assert scores[0] == 1.0 and math.isnan(scores[1])


async def test_the_collections_metric_gives_value_and_reason_inside_an_experiment():
    from ragas import Dataset, experiment
    from ragas.backends.inmemory import InMemoryBackend
    from ragas.metrics.collections.base import BaseMetric

    from integrations.ragas import EntityAlignmentPrecisionMetric

    metric = EntityAlignmentPrecisionMetric()
    assert isinstance(metric, BaseMetric) and metric.name == METRIC_NAME

    @experiment()
    async def alignment(row: dict) -> dict:
        result = await metric.ascore(user_input=row["question"], retrieved_contexts=row["contexts"])
        return {**row, "score": result.value, "reason": result.reason}

    data = Dataset("alignment", InMemoryBackend(), data=[{"question": q, "contexts": c} for q, c in SAMPLES])
    rows = {r["question"]: r for r in await alignment.arun(data, name="entity-alignment")}  # in finishing order
    assert [rows[q]["score"] for q, _ in SAMPLES] == [pytest.approx(1 / 3), 1.0, 0.5]
    reason = rows[SAMPLES[0][0]]["reason"]
    assert reason.startswith("entity-alignment precision 0.333: 1 aligned, 2 off-entity") and "off-entity #2" in reason


def test_the_collections_metric_scores_sync_with_k_and_nan_where_nothing_was_judged():
    from integrations.ragas import EntityAlignmentPrecisionMetric

    question, contexts = SAMPLES[0]
    assert EntityAlignmentPrecisionMetric(k=1).score(user_input=question, retrieved_contexts=contexts).value == 1.0
    with flaky_backend() as backend:
        metric = EntityAlignmentPrecisionMetric(backend=backend, on_error="drop")
        result = metric.score(user_input=question, retrieved_contexts=[f"{TIMEOUT_MARK}x"])
    assert math.isnan(result.value) and "1 judge failures" in result.reason
    with pytest.raises(ValueError, match="k must"):
        EntityAlignmentPrecisionMetric(k=0)
