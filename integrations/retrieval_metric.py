"""Entity-alignment precision of a retrieval: the metric, computed once, with no evaluation framework.

For one question and its retrieved chunks (in rank order), every chunk is judged in ONE batched judge
call and gets a status:

  aligned     the judge said 对齐 (its label, or its score at the judge's threshold)
  off_entity  the judge said 不对齐: a chunk about another product, fault code or parameter
  failed      the judgement failed (error, timeout, no label): counted apart, never as either of the two
  not_judged  empty chunk text: nothing to judge

Precision (at k) = aligned / (aligned + off_entity) among the top k; None where no chunk of the top k was
judged. Over many questions: the mean of the per-question precision@k, the share of questions with at
least one off-entity chunk in the top k, and precision by rank. The LlamaIndex, Ragas and DeepEval
metrics and ``ea-judge report`` all compute through this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ea_plugin.errors import EAPluginError
from ea_plugin.judge import AlignmentJudge
from ea_plugin.options import check_int, check_number
from ea_plugin.policy import JUDGED_ALIGNED, Decision, Policy
from integrations.selection import ajudge_texts, judge_texts

STATUS_ALIGNED = "aligned"
STATUS_OFF_ENTITY = "off_entity"
STATUS_FAILED = "failed"
STATUS_NOT_JUDGED = "not_judged"
STATUSES = (STATUS_ALIGNED, STATUS_OFF_ENTITY, STATUS_FAILED, STATUS_NOT_JUDGED)
DEFAULT_KS: tuple[int, ...] = (1, 3, 5, 10)
# A retrieval passes the evaluators (LlamaIndex, Ragas, DeepEval) at this precision unless told otherwise.
DEFAULT_PASSING = 0.5


class ContextError(EAPluginError, ValueError):
    """A retrieved context that is neither a string nor a mapping with a string ``text``."""


@dataclass(frozen=True)
class Context:
    """One retrieved chunk: its text, and where the retriever gave them, its id and similarity score."""

    text: str
    id: str | None = None
    score: float | None = None


def as_context(item: str | Context | Mapping[str, Any]) -> Context:
    """A string, a Context, or a mapping ``{text, id?, score?}`` as a Context; anything else: ContextError."""
    if isinstance(item, Context):
        return item
    if isinstance(item, str):
        return Context(item)
    if isinstance(item, Mapping):
        text, ident, score = item.get("text"), item.get("id"), item.get("score")
        if not isinstance(text, str):
            raise ContextError(f"a context needs a string 'text', got {text!r:.60}")
        if ident is not None and not isinstance(ident, (str, int)):
            raise ContextError(f"a context's 'id' must be a string or an integer, got {ident!r:.60}")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise ContextError(f"a context's 'score' must be a number, got {score!r:.60}")
        return Context(text, None if ident is None else str(ident), None if score is None else float(score))
    raise ContextError(f"a context is a string or an object with 'text', got {type(item).__name__}")


@dataclass(frozen=True)
class ChunkJudgement:
    """One retrieved chunk, its rank (1 = first) and what the judge said about it."""

    rank: int
    context: Context
    status: str
    label: str | None = None
    score: float | None = None  # P(对齐), where the backend computes it
    reason: str | None = None  # the judge's reason (last step of its analysis)
    error: str | None = None  # why the judgement failed

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, **asdict(self.context), **{k: v for k, v in asdict(self).items()
                                                             if k not in ("rank", "context")}}


# -- the one place that reads the judge's decisions --------------------------------------------------------
def status_of(decision: Decision) -> str:
    """What the judge said, not what a filter would keep: a failed judgement is a failure whatever the
    on_error policy did with the chunk, and a chunk rescued by min_keep is still off-entity."""
    if decision.judgement is None:
        return STATUS_NOT_JUDGED
    if not decision.judgement.ok:
        return STATUS_FAILED
    return STATUS_ALIGNED if decision.why == JUDGED_ALIGNED else STATUS_OFF_ENTITY


def _chunk(rank: int, context: Context, decision: Decision) -> ChunkJudgement:
    if decision.judgement is None:
        return ChunkJudgement(rank, context, STATUS_NOT_JUDGED)
    return ChunkJudgement(rank, context, status_of(decision), decision.label, decision.score, decision.reason,
                          decision.error)


def _policy(judge: AlignmentJudge) -> Policy:
    # The judge's threshold and on_error, but no min_keep: the metric reports what the judge said.
    return judge.policy.replace(min_keep=0)


# -- one question ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetrievalJudgement:
    """One question's retrieved chunks, judged; ``k=None`` in the methods means all of them."""

    question: str
    chunks: tuple[ChunkJudgement, ...]

    def top(self, k: int | None = None) -> tuple[ChunkJudgement, ...]:
        if k is not None and k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        return self.chunks if k is None else self.chunks[:k]

    def counts(self, k: int | None = None) -> dict[str, int]:
        top = self.top(k)
        return {status: sum(c.status == status for c in top) for status in STATUSES}

    def precision(self, k: int | None = None) -> float | None:
        """Share of the judged chunks among the top k that the judge called aligned (None: none judged)."""
        counts = self.counts(k)
        judged = counts[STATUS_ALIGNED] + counts[STATUS_OFF_ENTITY]
        return counts[STATUS_ALIGNED] / judged if judged else None

    def off_entity(self, k: int | None = None) -> list[ChunkJudgement]:
        return [c for c in self.top(k) if c.status == STATUS_OFF_ENTITY]

    def failed(self, k: int | None = None) -> list[ChunkJudgement]:
        return [c for c in self.top(k) if c.status == STATUS_FAILED]

    def details(self, k: int | None = None) -> dict[str, Any]:
        """Counts per status and the ranks of the off-entity and failed chunks among the top k."""
        return {
            **self.counts(k),
            "off_entity_ranks": [c.rank for c in self.off_entity(k)],
            "failed_ranks": [c.rank for c in self.failed(k)],
        }

    def to_dict(self, ks: Sequence[int] = DEFAULT_KS) -> dict[str, Any]:
        return {
            "question": self.question,
            "retrieved": len(self.chunks),
            "precision": self.precision(),
            "precision_at": {str(k): self.precision(k) for k in ks},
            **self.counts(),
            "chunks": [c.to_dict() for c in self.chunks],
        }


def _contexts(contexts: Iterable[str | Context | Mapping[str, Any]]) -> list[Context]:
    return [as_context(item) for item in contexts]


def _judgement(question: str, items: list[Context], decisions: Sequence[Decision]) -> RetrievalJudgement:
    ranked = enumerate(zip(items, decisions, strict=True), start=1)
    return RetrievalJudgement(question, tuple(_chunk(rank, c, v) for rank, (c, v) in ranked))


def judge_retrieval(
    judge: AlignmentJudge, question: str, contexts: Iterable[str | Context | Mapping[str, Any]]
) -> RetrievalJudgement:
    """Every retrieved chunk of ``question`` judged in one batched call (chunks in rank order)."""
    items = _contexts(contexts)
    return _judgement(question, items, judge_texts(judge, question, [c.text for c in items], _policy(judge)))


async def ajudge_retrieval(
    judge: AlignmentJudge, question: str, contexts: Iterable[str | Context | Mapping[str, Any]]
) -> RetrievalJudgement:
    """``judge_retrieval`` through the judge's native async batch."""
    items = _contexts(contexts)
    texts = [c.text for c in items]
    return _judgement(question, items, await ajudge_texts(judge, question, texts, _policy(judge)))


# -- what the evaluators (LlamaIndex, DeepEval) are built with ---------------------------------------------
class JudgedEvaluation:
    """Constructor shared by the evaluators: ``judge`` (or ``backend`` plus ``load_judge`` options; default the
    rules backend), ``threshold``: the precision at which a retrieval passes, ``k``: score only the top k."""

    def __init__(
        self,
        judge: AlignmentJudge | None = None,
        *,
        backend: str | None = None,
        threshold: float = DEFAULT_PASSING,
        k: int | None = None,
        **judge_options: Any,
    ) -> None:
        from integrations.selection import resolve_judge

        check_number("threshold", threshold, 0.0, 1.0)
        check_int("k", k, none_ok=True)
        self.judge = resolve_judge(judge, backend, judge_options)
        self.threshold = threshold
        self.k = k


# -- many questions ----------------------------------------------------------------------------------
def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


@dataclass(frozen=True)
class RetrievalSummary:
    """The figures over many questions (see the module docstring)."""

    questions: int
    counts: dict[str, int]  # chunks per status, all ranks
    precision: float | None  # mean per-question precision over all retrieved chunks
    precision_at: dict[int, float | None]  # mean per-question precision@k
    off_entity_share_at: dict[int, float | None]  # share of questions with >= 1 off-entity chunk in the top k
    precision_by_rank: list[float | None]  # [rank 1, rank 2, ...]: share aligned among judged chunks at that rank
    questions_with_off_entity: int
    questions_with_failures: int
    ks: tuple[int, ...] = field(default=DEFAULT_KS)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["precision_at"] = {str(k): v for k, v in self.precision_at.items()}
        out["off_entity_share_at"] = {str(k): v for k, v in self.off_entity_share_at.items()}
        return out


def _off_entity_share(results: Sequence[RetrievalJudgement], k: int) -> float | None:
    # Only questions with a judged chunk in the top k can show one; failures say nothing either way.
    judged = [r for r in results if r.precision(k) is not None]
    return sum(bool(r.off_entity(k)) for r in judged) / len(judged) if judged else None


def _precision_by_rank(results: Sequence[RetrievalJudgement]) -> list[float | None]:
    depth = max((len(r.chunks) for r in results), default=0)
    by_rank: list[float | None] = []
    for index in range(depth):
        at_rank = [r.chunks[index].status for r in results if len(r.chunks) > index]
        judged = [s for s in at_rank if s in (STATUS_ALIGNED, STATUS_OFF_ENTITY)]
        by_rank.append(judged.count(STATUS_ALIGNED) / len(judged) if judged else None)
    return by_rank


def summarize(results: Sequence[RetrievalJudgement], ks: Sequence[int] = DEFAULT_KS) -> RetrievalSummary:
    counts = {status: sum(r.counts()[status] for r in results) for status in STATUSES}
    return RetrievalSummary(
        questions=len(results),
        counts=counts,
        precision=_mean(r.precision() for r in results),
        precision_at={k: _mean(r.precision(k) for r in results) for k in ks},
        off_entity_share_at={k: _off_entity_share(results, k) for k in ks},
        precision_by_rank=_precision_by_rank(results),
        questions_with_off_entity=sum(bool(r.off_entity()) for r in results),
        questions_with_failures=sum(bool(r.failed()) for r in results),
        ks=tuple(ks),
    )


def feedback(result: RetrievalJudgement, k: int | None = None) -> str:
    """A short text naming the off-entity and failed chunks of the top k and why (for evaluators' reasons)."""
    counts = result.counts(k)
    precision = result.precision(k)
    head = (
        f"entity-alignment precision {'n/a' if precision is None else f'{precision:.3f}'}: "
        f"{counts[STATUS_ALIGNED]} aligned, {counts[STATUS_OFF_ENTITY]} off-entity, "
        f"{counts[STATUS_FAILED]} judge failures"
        + (f", {counts[STATUS_NOT_JUDGED]} empty" if counts[STATUS_NOT_JUDGED] else "")
    )
    lines = [head]
    lines += [f"off-entity #{c.rank}{_id(c)}: {c.reason or '-'} | {_snippet(c.context.text)}"
              for c in result.off_entity(k)]
    lines += [f"judge failed #{c.rank}{_id(c)}: {c.error}" for c in result.failed(k)]
    return "\n".join(lines)


def _id(chunk: ChunkJudgement) -> str:
    return f" [{chunk.context.id}]" if chunk.context.id else ""


def _snippet(text: str, length: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
