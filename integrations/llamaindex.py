"""LlamaIndex node postprocessor: drops retrieved nodes whose entities do not align with the query.

    from ea_plugin import load_judge
    from integrations.llamaindex import EntityAlignmentPostprocessor

    engine = index.as_query_engine(node_postprocessors=[EntityAlignmentPostprocessor(judge=load_judge("rules"))])

All nodes of a query go to the judge in one batched call (``ajudge_many`` natively in async). Kept
nodes come back in retrieval order as copies whose metadata adds the decision keys of
``integrations.selection`` (ea_label, ea_score, ea_reason, ea_error, ea_decision, ea_backend); those
keys are excluded from what the LLM and the embedding see. The caller's nodes are not modified.
Instrumentation: a dispatcher span around each call, ReRankStartEvent/ReRankEndEvent,
EntityAlignmentEvent (every node's decision, dropped ones too), and the callback manager's RERANKING
event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ea_plugin.errors import EAPluginError, InvalidPairError, missing_extra
from ea_plugin.judge import AlignmentJudge, JudgeConfigError, judge_from_config
from ea_plugin.policy import Decision, Policy
from ea_plugin.prompts import SYSTEM_PROMPT, USER_TEMPLATE
from ea_plugin.rules.learn import catalog_from_corpus, title_of
from integrations.selection import (
    METADATA_KEYS,
    ajudge_texts,
    judge_texts,
    metadata,
    model_arguments,
    query_policy,
)

try:
    from llama_index.core.base.llms.types import ChatMessage, MessageRole
    from llama_index.core.bridge.pydantic import Field
    from llama_index.core.callbacks import CBEventType, EventPayload
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.events import BaseEvent
    from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.prompts import ChatPromptTemplate
    from llama_index.core.prompts.mixin import PromptDictType, PromptMixin
    from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
except ImportError as exc:
    raise missing_extra(exc, __name__, "llamaindex") from exc

dispatcher = get_dispatcher(__name__)

PROMPT_KEY = "entity_alignment_prompt"
RETRIEVAL_SCORE_KEY = "ea_retrieval_score"  # the retriever's score, where the judge's replaced it
JUDGE_KEY = "judge"  # to_dict's entry for the judge's configuration


class FixedPromptError(EAPluginError, ValueError):
    """The judge's prompt is fixed by training; it cannot be replaced through update_prompts()."""


class EntityAlignmentEvent(BaseEvent):
    """Every node's decision for one query (dropped nodes included, which ReRankEndEvent lacks)."""

    query_str: str
    decisions: list[dict[str, Any]]  # node_id plus the ea_* metadata of each retrieved node

    @classmethod
    def class_name(cls) -> str:
        return "EntityAlignmentEvent"


class EntityAlignmentPostprocessor(BaseNodePostprocessor, PromptMixin):
    """Keeps the nodes that the entity-alignment judge calls 对齐 (see module docstring).

    PromptMixin gives ``get_prompts()``/``update_prompts()``, which BaseNodePostprocessor lacks.
    """

    judge: AlignmentJudge = Field(exclude=True, description="The judge (ea_plugin.load_judge).")
    score_threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Keep a scored node iff P(对齐) >= this; None: the judge's threshold."
    )
    min_keep: int | None = Field(
        default=None, ge=0, description="Never return fewer judged nodes (best scores kept); None: the judge's (0)."
    )
    keep_retrieval_score: bool = Field(
        default=True, description="Keep NodeWithScore.score; False: replace it with P(对齐) where there is one."
    )
    metadata_mode: MetadataMode = Field(
        default=MetadataMode.NONE, description="What of a node the judge reads; NONE: its text only."
    )

    def __init__(self, judge: AlignmentJudge | None = None, *, backend: str | None = None, **options: Any) -> None:
        """``judge``, or ``backend`` plus ``ea_plugin.load_judge`` options (default: the rules backend).

        Options named like this class's fields (score_threshold, min_keep, keep_retrieval_score,
        metadata_mode, callback_manager) configure the postprocessor; the others go to ``load_judge``.
        """
        super().__init__(**model_arguments(type(self), judge, backend, options))

    @classmethod
    def from_index(cls, index: Any, *, min_support: int = 2, learned_catalog: str | None = None,
                   **options: Any) -> EntityAlignmentPostprocessor:
        """A postprocessor whose rules judge reads a catalog learned from the index's own nodes (the docstore's:
        their text, titles or file names from metadata) on top of the built-in one and ``catalog=`` files.
        ``learned_catalog``: also write the learned catalog there. Other options as for the constructor."""
        nodes = list(index.docstore.docs.values())
        if not nodes:
            raise ValueError("the index's docstore holds no nodes to learn a catalog from (an index whose vector "
                             "store keeps the text: build the postprocessor with catalog= a learned file)")
        catalog = catalog_from_corpus(
            [n.get_content(metadata_mode=MetadataMode.NONE) for n in nodes], [title_of(n.metadata) for n in nodes],
            [n.node_id for n in nodes], min_support, options.pop("catalog", None), learned_catalog)
        return cls(catalog=catalog, **options)

    @classmethod
    def class_name(cls) -> str:
        return "EntityAlignmentPostprocessor"

    # -- serialisation: the judge travels as its configuration (backend name and options) -----------------------
    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        """LlamaIndex's dict of the fields plus ``judge``: the judge's configuration (``AlignmentJudge.config``);
        a judge that cannot be written down raises JudgeConfigError saying why."""
        return {**super().to_dict(**kwargs), JUDGE_KEY: self.judge.config()}

    @classmethod
    def from_dict(cls, data: dict[str, Any], **kwargs: Any) -> EntityAlignmentPostprocessor:  # type: ignore[override]
        """The postprocessor ``to_dict`` wrote, its judge rebuilt from the configuration (``judge=`` in ``kwargs``
        gives one instead); a dict without either raises JudgeConfigError rather than a default judge."""
        data = {**data, **kwargs}
        data.pop("class_name", None)
        judge = data.pop(JUDGE_KEY, None)
        if judge is None:
            raise JudgeConfigError(f"{cls.class_name()}.from_dict: no {JUDGE_KEY!r} configuration in the dict (one "
                                   "written by an older version?); pass judge=load_judge(...) as a keyword")
        return cls(judge if isinstance(judge, AlignmentJudge) else judge_from_config(judge), **data)

    @property
    def policy(self) -> Policy:
        return query_policy(self.judge, self.score_threshold, self.min_keep)

    # -- prompts: shown, never replaced ---------------------------------------------------------------
    def _get_prompts(self) -> PromptDictType:
        template = ChatPromptTemplate(
            message_templates=[
                ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT),
                ChatMessage(role=MessageRole.USER, content=USER_TEMPLATE),
            ]
        )
        return {PROMPT_KEY: template}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        if prompts:
            raise FixedPromptError(
                f"{sorted(prompts)}: the entity-alignment prompt is the one the judge was trained with "
                "(ea_plugin.prompts) and cannot be replaced"
            )

    # -- judging ----------------------------------------------------------------------------------
    def judge_nodes(self, nodes: Sequence[NodeWithScore], query_str: str) -> list[tuple[NodeWithScore, Decision]]:
        """Every node (kept or dropped) as an annotated copy with its decision; one batched judge call."""
        return self._annotate(nodes, judge_texts(self.judge, query_str, self._texts(nodes), self.policy))

    async def ajudge_nodes(
        self, nodes: Sequence[NodeWithScore], query_str: str
    ) -> list[tuple[NodeWithScore, Decision]]:
        """``judge_nodes`` through the judge's native async batch."""
        decisions = await ajudge_texts(self.judge, query_str, self._texts(nodes), self.policy)
        return self._annotate(nodes, decisions)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        with self._reranking(nodes, query_bundle) as (query, finish):
            return finish(self.judge_nodes(nodes, query))

    @dispatcher.span
    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        with self._reranking(nodes, query_bundle) as (query, finish):
            return finish(await self.ajudge_nodes(nodes, query))

    @contextmanager
    def _reranking(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None
    ) -> Iterator[tuple[str, Callable[[list[tuple[NodeWithScore, Decision]]], list[NodeWithScore]]]]:
        """Instrumentation around one judged batch: yields the query and the function that ends it."""
        query = _query_str(query_bundle)
        dispatcher.event(
            ReRankStartEvent(query=query_bundle, nodes=nodes, top_n=len(nodes), model_name=self._model_name)
        )
        payload = {
            EventPayload.NODES: nodes,
            EventPayload.MODEL_NAME: self._model_name,
            EventPayload.QUERY_STR: query,
            EventPayload.TOP_K: len(nodes),
        }
        with self.callback_manager.event(CBEventType.RERANKING, payload=payload) as event:

            def finish(judged: list[tuple[NodeWithScore, Decision]]) -> list[NodeWithScore]:
                kept = [node for node, j in judged if j.kept]
                event.on_end(payload={EventPayload.NODES: kept})
                decisions = [{"node_id": node.node.node_id, **metadata(j)} for node, j in judged]
                dispatcher.event(EntityAlignmentEvent(query_str=query, decisions=decisions))
                dispatcher.event(ReRankEndEvent(nodes=kept))
                return kept

            yield query, finish

    # -- helpers ----------------------------------------------------------------------------------
    def _texts(self, nodes: Sequence[NodeWithScore]) -> list[str]:
        return [n.node.get_content(metadata_mode=self.metadata_mode) for n in nodes]

    def _annotate(
        self, nodes: Sequence[NodeWithScore], decisions: list[Decision]
    ) -> list[tuple[NodeWithScore, Decision]]:
        return [(self._annotated(node, d), d) for node, d in zip(nodes, decisions, strict=True)]

    def _annotated(self, original: NodeWithScore, decision: Decision) -> NodeWithScore:
        """A copy of ``original`` carrying the decision; the caller's node and metadata stay as they were."""
        added = metadata(decision)
        score = original.score
        if not self.keep_retrieval_score and decision.score is not None:
            added[RETRIEVAL_SCORE_KEY] = original.score
            score = decision.score
        node = original.node
        hidden = list(added)
        copy = node.model_copy(
            update={
                "metadata": {**node.metadata, **added},
                "excluded_llm_metadata_keys": _union(node.excluded_llm_metadata_keys, hidden),
                "excluded_embed_metadata_keys": _union(node.excluded_embed_metadata_keys, hidden),
            }
        )
        return NodeWithScore(node=copy, score=score)

    @property
    def _model_name(self) -> str:
        return f"ea_plugin:{self.judge.backend_name}"


def _query_str(query_bundle: QueryBundle | None) -> str:
    if query_bundle is None:
        raise InvalidPairError("a query is needed to judge nodes", field="question", value=None)
    return query_bundle.query_str


def _union(existing: list[str], added: list[str]) -> list[str]:
    return existing + [key for key in added if key not in existing]


__all__ = [
    "METADATA_KEYS",
    "RETRIEVAL_SCORE_KEY",
    "EntityAlignmentEvent",
    "EntityAlignmentPostprocessor",
    "FixedPromptError",
]
