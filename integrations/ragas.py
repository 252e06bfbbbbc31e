"""Ragas metric: entity-alignment precision of ``retrieved_contexts`` for ``user_input``.

    from ragas import EvaluationDataset, evaluate
    from integrations.ragas import EntityAlignmentPrecision

    result = evaluate(dataset, metrics=[EntityAlignmentPrecision()])      # rules backend: no LLM, no key
    result = evaluate(dataset, metrics=[EntityAlignmentPrecision(judge=load_judge("openai", ...), k=5)])

A ``SingleTurnMetric`` (Ragas 0.4's own base class for metrics that ``ragas.evaluate`` runs): each sample's
contexts go to the judge in one batched call (``integrations.retrieval_metric``, native async). The score is the
share of the judged contexts that the judge calls 对齐, NaN where none could be judged (Ragas' own
convention for a sample without a score); judge failures never count as aligned or unaligned.

Ragas 0.4's newer interface (its ``metrics.collections``, the metrics used inside ``@experiment``) is
``EntityAlignmentPrecisionMetric``: ``await metric.ascore(user_input=..., retrieved_contexts=[...])`` returns a
``MetricResult`` whose ``value`` is the same precision and whose ``reason`` names each off-entity context with the
judge's reason and each failed judgement (``metric.score(...)`` outside an event loop):

    from ragas import experiment
    from integrations.ragas import EntityAlignmentPrecisionMetric

    metric = EntityAlignmentPrecisionMetric()                              # or judge=..., backend=..., k=5

    @experiment()
    async def alignment(row):
        result = await metric.ascore(user_input=row["question"], retrieved_contexts=row["contexts"])
        return {**row, "entity_alignment": result.value, "reason": result.reason}
"""

from __future__ import annotations

import math
import typing as t
from dataclasses import dataclass, field

from ea_plugin.errors import missing_extra
from ea_plugin.judge import AlignmentJudge
from ea_plugin.options import check_int
from integrations.retrieval_metric import RetrievalJudgement, ajudge_retrieval, feedback
from integrations.selection import resolve_judge

try:
    from ragas.metrics.base import MetricType, SingleTurnMetric
    from ragas.metrics.collections.base import BaseMetric
    from ragas.metrics.result import MetricResult
except ImportError as exc:
    raise missing_extra(exc, __name__, "ragas") from exc

if t.TYPE_CHECKING:
    from langchain_core.callbacks import Callbacks
    from ragas.dataset_schema import SingleTurnSample
    from ragas.run_config import RunConfig

METRIC_NAME = "entity_alignment_precision"


@dataclass
class EntityAlignmentPrecision(SingleTurnMetric):
    """``judge``: an ``AlignmentJudge`` (default: the rules backend); ``k``: score only the top k contexts."""

    name: str = METRIC_NAME
    judge: AlignmentJudge | None = None
    k: int | None = None
    _required_columns: dict[MetricType, set[str]] = field(
        default_factory=lambda: {MetricType.SINGLE_TURN: {"user_input", "retrieved_contexts"}}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.k is not None and self.k < 1:
            raise ValueError(f"k must be at least 1 or None, got {self.k}")
        self.judge = resolve_judge(self.judge, None, {})

    def init(self, run_config: RunConfig) -> None:
        """Nothing to set up: no LLM, no embeddings (the judge was built with the metric)."""

    async def _single_turn_ascore(self, sample: SingleTurnSample, callbacks: Callbacks) -> float:
        result = await ajudge_retrieval(self.judge, sample.user_input or "", sample.retrieved_contexts or [])
        return _value(result, self.k)


def _value(result: RetrievalJudgement, k: int | None) -> float:
    precision = result.precision(k)
    return math.nan if precision is None else precision


class EntityAlignmentPrecisionMetric(BaseMetric):
    """Ragas 0.4's collections interface (see the module docstring): ``judge`` (or ``backend`` plus ``load_judge``
    options; default the rules backend), ``k``: score only the top k contexts."""

    def __init__(self, judge: AlignmentJudge | None = None, *, k: int | None = None, name: str = METRIC_NAME,
                 backend: str | None = None, **judge_options: t.Any) -> None:
        check_int("k", k, none_ok=True)
        self.judge = resolve_judge(judge, backend, judge_options)
        self.k = k
        super().__init__(name=name, allowed_values=(0.0, 1.0))

    async def ascore(self, user_input: str, retrieved_contexts: list[str]) -> MetricResult:  # type: ignore[override]
        """The entity-alignment precision of ``retrieved_contexts`` (NaN where none could be judged) and why."""
        result = await ajudge_retrieval(self.judge, user_input, retrieved_contexts)
        return MetricResult(value=_value(result, self.k), reason=feedback(result, self.k))
