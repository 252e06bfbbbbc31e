"""DeepEval metric: entity-alignment precision of a test case's ``retrieval_context`` for its ``input``.

    from deepeval import assert_test, evaluate
    from deepeval.test_case import LLMTestCase
    from integrations.deepeval import EntityAlignmentMetric

    metric = EntityAlignmentMetric(threshold=0.8)                 # rules backend: no LLM, no key
    case = LLMTestCase(input=question, actual_output=answer, retrieval_context=chunks)
    metric.measure(case); metric.score, metric.reason, metric.is_successful()
    evaluate(test_cases=[case], metrics=[metric]);  assert_test(case, [metric])

A ``BaseMetric`` computed by ``integrations.retrieval_metric``: the contexts go to the judge in one batched call
(``a_measure`` through the judge's native async). ``score`` is the share of the judged contexts that the
judge calls 对齐; ``reason`` names each off-entity context with the judge's reason and each failed
judgement. Where no context could be judged there is no score: ``error`` says why and the case fails.
``verbose_logs`` lists every context's status and the judge's reason (printed with ``verbose_mode``);
``evaluation_cost`` is 0.0 for a judge that runs here (rules, transformers) and None (unknown) for a served one.
"""

from __future__ import annotations

from typing import Any

from ea_plugin.errors import missing_extra
from ea_plugin.judge import AlignmentJudge
from integrations.retrieval_metric import (
    JudgedEvaluation,
    RetrievalJudgement,
    ajudge_retrieval,
    feedback,
    judge_retrieval,
)

try:
    from deepeval.metrics import BaseMetric
    from deepeval.metrics.indicator import metric_progress_indicator
    from deepeval.metrics.utils import check_llm_test_case_params, construct_verbose_logs
    from deepeval.test_case import LLMTestCase, SingleTurnParams
except ImportError as exc:
    raise missing_extra(exc, __name__, "deepeval") from exc

# Backends that judge in this process: nothing is billed per token.
LOCAL_BACKENDS = frozenset({"rules", "transformers"})


class EntityAlignmentMetric(JudgedEvaluation, BaseMetric):
    """``judge`` (or ``backend`` plus ``load_judge`` options; default the rules backend), ``threshold``: passing
    precision (``strict_mode``: 1.0, every judged context aligned), ``k``: score only the top k contexts."""

    _required_params: list[SingleTurnParams] = [SingleTurnParams.INPUT, SingleTurnParams.RETRIEVAL_CONTEXT]

    def __init__(
        self,
        judge: AlignmentJudge | None = None,
        *,
        strict_mode: bool = False,
        verbose_mode: bool = False,
        async_mode: bool = True,
        **options: Any,
    ) -> None:
        """``options``: ``backend``, ``threshold`` (default 0.5), ``k`` and ``load_judge`` options."""
        super().__init__(judge, **options)
        if strict_mode:
            self.threshold = 1.0
        self.strict_mode = strict_mode
        self.verbose_mode = verbose_mode
        self.async_mode = async_mode
        self.include_reason = True
        self.evaluation_model = f"ea_plugin {self.judge.backend_name} judge"

    def measure(self, test_case: LLMTestCase, _show_indicator: bool = True, _in_component: bool = False,
                **kwargs: Any) -> float | None:
        self._check(test_case)
        with metric_progress_indicator(self, _show_indicator=_show_indicator, _in_component=_in_component):
            return self._record(judge_retrieval(self.judge, test_case.input, test_case.retrieval_context))

    async def a_measure(self, test_case: LLMTestCase, _show_indicator: bool = True, _in_component: bool = False,
                        **kwargs: Any) -> float | None:
        self._check(test_case)
        with metric_progress_indicator(self, async_mode=True, _show_indicator=_show_indicator,
                                       _in_component=_in_component):
            return self._record(await ajudge_retrieval(self.judge, test_case.input, test_case.retrieval_context))

    def _check(self, test_case: LLMTestCase) -> None:
        # DeepEval's own check: a missing input or retrieval_context raises its MissingTestCaseParamsError.
        check_llm_test_case_params(test_case, self._required_params, None, None, self, None, test_case.multimodal)

    def _record(self, result: RetrievalJudgement) -> float | None:
        self.score = result.precision(self.k)
        self.reason = feedback(result, self.k)
        self.error = None if self.score is not None else "no retrieval context could be judged: " + self.reason
        self.success = self.is_successful()
        self.evaluation_cost = 0.0 if self.judge.backend_name in LOCAL_BACKENDS else None
        judged = [f"#{c.rank} {c.status}: {c.reason or c.error or '-'}" for c in result.top(self.k)]
        self.verbose_logs = construct_verbose_logs(self, steps=[
            "Judged contexts:\n" + "\n".join(judged),
            f"Score: {self.score}\nReason: {self.reason}",
        ])
        return self.score

    def is_successful(self) -> bool:
        return self.error is None and self.score is not None and self.score >= self.threshold

    @property
    def __name__(self) -> str:  # DeepEval shows metrics by this name
        return "Entity Alignment"
