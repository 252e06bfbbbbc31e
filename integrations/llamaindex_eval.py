"""LlamaIndex evaluation: how often a retriever returns chunks about another product or fault code.

    from integrations.llamaindex_eval import EntityAlignmentEvaluator, EntityAlignmentPrecision

    evaluator = EntityAlignmentEvaluator(threshold=0.8)            # rules backend by default
    result = evaluator.evaluate(query=question, contexts=texts)    # score, passing, feedback
    BatchEvalRunner({"entity_alignment": evaluator}).evaluate_queries(query_engine, queries)

    RetrieverEvaluator(metrics=[EntityAlignmentPrecision()], retriever=retriever).evaluate(query, expected_ids=[])

Both compute ``integrations.retrieval_metric`` (one batched judge call per query; judge failures counted apart).
The score is the entity-alignment precision of the contexts: the share of the judged chunks that the judge
calls 对齐. Where no chunk could be judged the score is undefined: the evaluator returns an invalid result
saying why, the retrieval metric NaN with the reason in its metadata.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

from ea_plugin.errors import missing_extra
from ea_plugin.judge import AlignmentJudge
from integrations.llamaindex import FixedPromptError
from integrations.retrieval_metric import (
    Context,
    JudgedEvaluation,
    ajudge_retrieval,
    feedback,
    judge_retrieval,
)
from integrations.selection import model_arguments

try:
    from llama_index.core.bridge.pydantic import Field
    from llama_index.core.evaluation import BaseEvaluator, EvaluationResult
    from llama_index.core.evaluation.retrieval.metrics_base import BaseRetrievalMetric, RetrievalMetricResult
    from llama_index.core.prompts.mixin import PromptDictType
except ImportError as exc:
    raise missing_extra(exc, __name__, "llamaindex") from exc


class EntityAlignmentEvaluator(JudgedEvaluation, BaseEvaluator):
    """Query + contexts -> EvaluationResult: score = entity-alignment precision of the (top ``k``) contexts,
    passing when score >= ``threshold`` (default 0.5), feedback naming each off-entity chunk and the judge's
    reason. Built with ``judge=`` or ``backend=`` plus ``load_judge`` options (default: the rules backend)."""

    # The evaluator has no prompt of its own: the judge's trained prompt is fixed (see the postprocessor).
    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts_dict: PromptDictType) -> None:
        if prompts_dict:
            raise FixedPromptError(f"{sorted(prompts_dict)}: EntityAlignmentEvaluator has no replaceable prompt")

    async def aevaluate(
        self,
        query: str | None = None,
        response: str | None = None,
        contexts: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> EvaluationResult:
        if query is None or contexts is None:
            raise ValueError("EntityAlignmentEvaluator needs both query and contexts")
        judged = await ajudge_retrieval(self.judge, query, contexts)
        score = judged.precision(self.k)
        text = feedback(judged, self.k)
        if score is None:
            return EvaluationResult(
                query=query, contexts=contexts, response=response, feedback=text,
                invalid_result=True, invalid_reason="no context could be judged: " + text,
            )
        return EvaluationResult(
            query=query, contexts=contexts, response=response, score=score, passing=score >= self.threshold,
            feedback=text,
        )


class EntityAlignmentPrecision(BaseRetrievalMetric):
    """Retrieval metric for ``RetrieverEvaluator``: entity-alignment precision of the retrieved texts for the
    query (NaN where none could be judged). Metadata: counts per status, off-entity and failed ranks, feedback."""

    metric_name: ClassVar[str] = "entity_alignment_precision"
    judge: AlignmentJudge = Field(exclude=True, description="The judge (ea_plugin.load_judge).")
    k: int | None = Field(default=None, ge=1, description="Score only the top k retrieved texts; None: all.")

    def __init__(self, judge: AlignmentJudge | None = None, *, backend: str | None = None, **options: Any) -> None:
        super().__init__(**model_arguments(type(self), judge, backend, options))

    def compute(
        self,
        query: str | None = None,
        expected_ids: list[str] | None = None,
        retrieved_ids: list[str] | None = None,
        expected_texts: list[str] | None = None,
        retrieved_texts: list[str] | None = None,
        **kwargs: Any,
    ) -> RetrievalMetricResult:
        if query is None or retrieved_texts is None:
            raise ValueError("entity_alignment_precision needs the query and the retrieved texts")
        ids = retrieved_ids if retrieved_ids and len(retrieved_ids) == len(retrieved_texts) else None
        contexts = [Context(text, ids[i] if ids else None) for i, text in enumerate(retrieved_texts)]
        judged = judge_retrieval(self.judge, query, contexts)
        score = judged.precision(self.k)
        metadata = {**judged.details(self.k), "feedback": feedback(judged, self.k)}
        return RetrievalMetricResult(score=math.nan if score is None else score, metadata=metadata)
