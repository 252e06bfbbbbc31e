"""LangChain document compressor: drops retrieved documents whose entities do not align with the query.

    from langchain_classic.retrievers import ContextualCompressionRetriever
    from ea_plugin import load_judge
    from integrations.langchain import EntityAlignmentFilter

    retriever = ContextualCompressionRetriever(
        base_compressor=EntityAlignmentFilter(judge=load_judge("rules")), base_retriever=base_retriever
    )

All documents of a query go to the judge in one batched call (``ajudge_many`` natively in
``acompress_documents``). Kept documents come back in retrieval order as copies whose metadata adds
the decision keys of ``integrations.selection``; the caller's documents are not modified. Each call
is a chain run named "EntityAlignmentFilter" under the callbacks it is given (the retriever's run
when used in ContextualCompressionRetriever); its outputs list every document's decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ea_plugin.errors import missing_extra
from ea_plugin.judge import AlignmentJudge
from ea_plugin.policy import Decision, Policy
from ea_plugin.rules.learn import catalog_from_corpus, title_of
from integrations.selection import ajudge_texts, judge_texts, metadata, model_arguments, query_policy

try:
    from langchain_core.callbacks import AsyncCallbackManager, CallbackManager, Callbacks
    from langchain_core.documents import BaseDocumentCompressor, Document
    from pydantic import ConfigDict, Field
except ImportError as exc:
    raise missing_extra(exc, __name__, "langchain") from exc

RUN_NAME = "EntityAlignmentFilter"


class EntityAlignmentFilter(BaseDocumentCompressor):
    """Keeps the documents that the entity-alignment judge calls 对齐 (see module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    judge: AlignmentJudge = Field(exclude=True)
    score_threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # None: the judge's threshold
    min_keep: int | None = Field(default=None, ge=0)  # None: the judge's min_keep (default 0)

    @classmethod
    def from_documents(cls, documents: Sequence[Document], *, min_support: int = 2,
                       learned_catalog: str | None = None, **options: Any) -> EntityAlignmentFilter:
        """A filter whose rules judge reads a catalog learned from ``documents`` (the corpus the retriever
        indexes: ``page_content``, titles or file names from ``metadata``) on top of the built-in one and
        ``catalog=`` files. ``learned_catalog``: also write the learned catalog there. Other options as for
        the constructor (the rules backend's)."""
        catalog = catalog_from_corpus(
            [d.page_content for d in documents], [title_of(d.metadata) for d in documents],
            [d.id or (d.metadata or {}).get("id") for d in documents], min_support, options.pop("catalog", None),
            learned_catalog)
        return cls(catalog=catalog, **options)

    def __init__(self, judge: AlignmentJudge | None = None, *, backend: str | None = None, **options: Any) -> None:
        """``judge``, or ``backend`` plus ``ea_plugin.load_judge`` options (default: the rules backend).

        ``score_threshold`` and ``min_keep`` (see ``ea_plugin.policy.Policy``: threshold, min_keep)
        override the judge's policy for this filter; the other options go to ``load_judge``.
        """
        super().__init__(**model_arguments(type(self), judge, backend, options))

    @property
    def policy(self) -> Policy:
        return query_policy(self.judge, self.score_threshold, self.min_keep)

    def judge_documents(self, documents: Sequence[Document], query: str) -> list[tuple[Document, Decision]]:
        """Every document (kept or dropped) as an annotated copy with its decision; one batched judge call."""
        return _annotate(documents, judge_texts(self.judge, query, [d.page_content for d in documents], self.policy))

    async def ajudge_documents(self, documents: Sequence[Document], query: str) -> list[tuple[Document, Decision]]:
        """``judge_documents`` through the judge's native async batch."""
        decisions = await ajudge_texts(self.judge, query, [d.page_content for d in documents], self.policy)
        return _annotate(documents, decisions)

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        run = CallbackManager.configure(inheritable_callbacks=callbacks).on_chain_start(
            None, _inputs(documents, query), name=RUN_NAME
        )
        try:
            judged = self.judge_documents(documents, query)
        except BaseException as exc:
            run.on_chain_error(exc)
            raise
        run.on_chain_end(_outputs(judged))
        return [doc for doc, j in judged if j.kept]

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        run = await AsyncCallbackManager.configure(inheritable_callbacks=callbacks).on_chain_start(
            None, _inputs(documents, query), name=RUN_NAME
        )
        try:
            judged = await self.ajudge_documents(documents, query)
        except BaseException as exc:
            await run.on_chain_error(exc)
            raise
        await run.on_chain_end(_outputs(judged))
        return [doc for doc, j in judged if j.kept]


def _annotate(documents: Sequence[Document], decisions: list[Decision]) -> list[tuple[Document, Decision]]:
    return [
        (doc.model_copy(update={"metadata": {**doc.metadata, **metadata(d)}}), d)
        for doc, d in zip(documents, decisions, strict=True)
    ]


def _inputs(documents: Sequence[Document], query: str) -> dict[str, Any]:
    return {"query": query, "documents": len(documents)}


def _outputs(judged: list[tuple[Document, Decision]]) -> dict[str, Any]:
    return {
        "kept": sum(j.kept for _, j in judged),
        "decisions": [{"id": doc.id, **metadata(d)} for doc, d in judged],
    }
