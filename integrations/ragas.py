"""Ragas metric: entity-alignment precision of ``retrieved_contexts`` for ``user_input``.

    from ragas import EvaluationDataset, evaluate
    from integrations.ragas import EntityAlignmentPrecision

    result = evaluate(dataset, metrics=[EntityAlignmentPrecision()])      # rules backend: no LLM, no key
    result = evaluate(dataset, metrics=[EntityAlignmentPrecision(judge=load_judge("openai", ...), k=5)])

A ``SingleTurnMetric`` (Ragas 0.4's own base class for metrics that ``ragas.evaluate`` runs): each sample's
contexts go to the judge in one batched call (``integrations.retrieval_metric``, native async). The score is the
share of the judged contexts that the judge calls 对齐, NaN where none could be judged (Ragas' own
convention for a sample without a score); judge failures never count as aligned or unaligned.
"""

from __future__ import annotations

import math
import typing as t
from dataclasses import dataclass, field

from ragas.metrics.base import MetricType, SingleTurnMetric

from ea_plugin.judge import AlignmentJudge
from integrations.retrieval_metric import ajudge_retrieval
from integrations.selection import resolve_judge

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
        precision = result.precision(self.k)
        return math.nan if precision is None else precision
