"""The DeepEval metric: real measure/a_measure, deepeval.evaluate and assert_test, offline (no LLM, no key,
telemetry off: tests/conftest.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("deepeval", reason="needs the [deepeval] extra")
from deepeval import assert_test, evaluate
from deepeval.errors import MissingTestCaseParamsError
from deepeval.metrics import BaseMetric
from deepeval.test_case import LLMTestCase

from ea_plugin import load_judge
from integrations.deepeval import EntityAlignmentMetric
from tests.eval_support import TIMEOUT_MARK, flaky_backend, offline

QUESTION = "sv660n出现e100故障怎么办？"
CONTEXTS = ["sv660系列e100.1故障表示过电流。", "md500变频器e100故障表示加速过电流。", "sv660n报e101故障时。"]


def case(contexts=CONTEXTS, question=QUESTION) -> LLMTestCase:
    return LLMTestCase(input=question, actual_output="先检查电机接线。", retrieval_context=contexts)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # deepeval.evaluate keeps its last run in ./.deepeval
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_measure_scores_reasons_and_passes_at_the_threshold():
    metric = EntityAlignmentMetric(threshold=0.3)
    assert isinstance(metric, BaseMetric)
    assert metric.measure(case()) == pytest.approx(1 / 3)
    assert metric.score == pytest.approx(1 / 3) and metric.is_successful() and metric.success
    assert "off-entity #2: 产品不同" in metric.reason and "off-entity #3: 故障码不同" in metric.reason
    assert EntityAlignmentMetric(threshold=0.5).measure(case()) and not EntityAlignmentMetric().is_successful()
    strict = EntityAlignmentMetric(strict_mode=True)
    strict.measure(case())
    assert strict.threshold == 1.0 and not strict.is_successful()


async def test_a_measure_gives_what_measure_gives():
    metric = EntityAlignmentMetric(k=1)
    assert await metric.a_measure(case()) == 1.0 == EntityAlignmentMetric(k=1).measure(case())


def test_evaluate_and_assert_test_run_offline():
    passing, failing = case(CONTEXTS[:1]), case()
    with offline() as blocked:
        result = evaluate(test_cases=[passing, failing], metrics=[EntityAlignmentMetric(threshold=0.5)])
        assert_test(passing, [EntityAlignmentMetric(threshold=0.5)])
        with pytest.raises(AssertionError, match="Entity Alignment"):
            assert_test(failing, [EntityAlignmentMetric(threshold=0.5)])
    assert blocked == []
    outcome = sorted((r.success, r.metrics_data[0].score) for r in result.test_results)
    assert outcome == [(False, pytest.approx(1 / 3)), (True, 1.0)]


def test_judge_failures_are_counted_apart_and_none_judged_is_an_error_not_a_score():
    with flaky_backend() as backend:
        metric = EntityAlignmentMetric(judge=load_judge(backend))
    assert metric.measure(case(["sv660系列e100故障。", f"{TIMEOUT_MARK}md500 e100"])) == 1.0
    assert "1 judge failures" in metric.reason and metric.error is None
    assert metric.measure(case([f"{TIMEOUT_MARK}x"])) is None
    assert metric.error.startswith("no retrieval context could be judged") and not metric.is_successful()


def test_a_test_case_without_retrieval_context_is_deepevals_missing_params_error():
    with pytest.raises(MissingTestCaseParamsError):
        EntityAlignmentMetric().measure(LLMTestCase(input=QUESTION, actual_output="x"))


def test_verbose_logs_list_every_context_and_a_local_judge_costs_nothing(capsys):
    metric = EntityAlignmentMetric(verbose_mode=True)
    metric.measure(case(), _show_indicator=False)
    assert metric.verbose_logs.startswith("Judged contexts:\n#1 aligned: ")
    assert "#2 off_entity: 产品不同" in metric.verbose_logs and "#3 off_entity: 故障码不同" in metric.verbose_logs
    assert "#2 off_entity" in capsys.readouterr().out  # verbose_mode prints them, as DeepEval's metrics do
    assert metric.evaluation_cost == 0.0
    result = evaluate(test_cases=[case()], metrics=[EntityAlignmentMetric()])
    data = result.test_results[0].metrics_data[0]
    assert data.evaluation_cost == 0.0 and "#3 off_entity" in data.verbose_logs


def test_a_served_judge_has_an_unknown_cost():
    from devtools.servers import free_port

    metric = EntityAlignmentMetric(backend="openai", base_url=f"http://127.0.0.1:{free_port()}/v1", model="m",
                                   max_retries=0)
    metric.measure(case(), _show_indicator=False)
    assert metric.evaluation_cost is None and "#1 failed: server unreachable" in metric.verbose_logs
