"""Haystack component: drops retrieved documents whose entities do not align with the query.

    from haystack import Pipeline
    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
    from integrations.haystack import EntityAlignmentFilter

    pipeline = Pipeline()
    pipeline.add_component("retriever", InMemoryBM25Retriever(document_store=store))
    pipeline.add_component("alignment", EntityAlignmentFilter())          # rules backend: no model
    pipeline.connect("retriever.documents", "alignment.documents")
    pipeline.run({"retriever": {"query": q}, "alignment": {"query": q}})["alignment"]["documents"]

``EntityAlignmentFilter(backend="openai", judge_options={"base_url": ..., "model": ...})`` picks another
backend (``judge_options`` are ``ea_plugin.load_judge`` options); ``judge=`` takes a judge already built.
All documents of a query go to the judge in one batched call (``run_async``: the judge's native async).
Outputs: ``documents``, the kept ones in input order, and ``dropped``; each a copy whose ``meta`` adds the
decision keys of ``integrations.selection`` (ea_label, ea_score, ea_reason, ea_error, ea_decision,
ea_backend). The caller's documents are not modified; a document without text is kept, not judged.
The judge is built in ``warm_up`` (Haystack's place for loading models), or on the first run.
``to_dict``/``from_dict`` (and so ``Pipeline.dumps``/``loads``) carry the judge's configuration: backend
name and options; a judge that cannot be written down (see ``AlignmentJudge.config``) fails ``to_dict``.
Haystack loads classes only from trusted modules: ``Pipeline.loads(text, allowed_modules=["integrations.haystack"])``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

from ea_plugin.errors import missing_extra
from ea_plugin.judge import AlignmentJudge, check_options, load_judge
from ea_plugin.options import check_int, check_number
from ea_plugin.policy import Decision, Policy
from integrations.selection import ajudge_texts, judge_texts, metadata, query_policy

try:
    from haystack import Document, component, default_from_dict, default_to_dict
except ImportError as exc:
    raise missing_extra(exc, __name__, "haystack") from exc


@component
class EntityAlignmentFilter:
    """Keeps the documents that the entity-alignment judge calls 对齐 (see module docstring)."""

    def __init__(
        self,
        backend: str = "rules",
        judge_options: dict[str, Any] | None = None,
        score_threshold: float | None = None,
        min_keep: int | None = None,
        *,
        judge: AlignmentJudge | None = None,
    ) -> None:
        """``backend`` and ``judge_options`` (``load_judge``'s), or a built ``judge``; ``score_threshold`` and
        ``min_keep`` override the judge's policy for this component (None: the judge's own)."""
        if score_threshold is not None:
            check_number("score_threshold", score_threshold, 0.0, 1.0)
        check_int("min_keep", min_keep, minimum=0, none_ok=True)
        if judge is not None and not isinstance(judge, AlignmentJudge):
            raise TypeError(f"judge must be an AlignmentJudge (see ea_plugin.load_judge), got {type(judge).__name__}")
        if judge is not None and (backend != "rules" or judge_options):
            raise ValueError("pass either judge=... or backend=/judge_options=, not both")
        self.backend = judge.backend_name if judge is not None else backend
        self.judge_options = dict(judge_options or {})
        if judge is None:  # a misspelt option fails here, not at the first run after the pipeline is built
            check_options(self.backend, self.judge_options)
        self.score_threshold = score_threshold
        self.min_keep = min_keep
        self._judge = judge
        self._lock = threading.Lock()

    # -- Haystack conventions -------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Builds the judge (loads the model, for a model backend); a second call does nothing."""
        with self._lock:
            if self._judge is None:
                self._judge = load_judge(self.backend, **self.judge_options)

    def to_dict(self) -> dict[str, Any]:
        config = self._judge.config() if self._judge is not None else {
            "backend": self.backend, "options": self.judge_options}
        return default_to_dict(self, backend=config["backend"], judge_options=config["options"],
                               score_threshold=self.score_threshold, min_keep=self.min_keep)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntityAlignmentFilter:
        return default_from_dict(cls, data)

    # -- judging ------------------------------------------------------------------------------------
    @property
    def judge(self) -> AlignmentJudge:
        self.warm_up()
        assert self._judge is not None  # noqa: S101 - warm_up built it
        return self._judge

    @property
    def policy(self) -> Policy:
        return query_policy(self.judge, self.score_threshold, self.min_keep)

    @component.output_types(documents=list[Document], dropped=list[Document])
    def run(self, query: str, documents: list[Document]) -> dict[str, list[Document]]:
        """``documents`` judged for ``query`` in one batched call: the kept ones and the dropped ones."""
        return _split(documents, judge_texts(self.judge, query, _texts(documents), self.policy))

    @component.output_types(documents=list[Document], dropped=list[Document])
    async def run_async(self, query: str, documents: list[Document]) -> dict[str, list[Document]]:
        """``run`` through the judge's native async batch."""
        judge = self.judge
        return _split(documents, await ajudge_texts(judge, query, _texts(documents), self.policy))


def _texts(documents: Sequence[Document]) -> list[str]:
    return [d.content or "" for d in documents]


def _split(documents: Sequence[Document], decisions: list[Decision]) -> dict[str, list[Document]]:
    kept: list[Document] = []
    dropped: list[Document] = []
    for document, decision in zip(documents, decisions, strict=True):
        copy = dataclasses.replace(document, meta={**document.meta, **metadata(decision)})
        (kept if decision.kept else dropped).append(copy)
    return {"documents": kept, "dropped": dropped}


__all__ = ["EntityAlignmentFilter"]
