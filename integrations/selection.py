"""What both RAG filters (LlamaIndex postprocessor, LangChain compressor) share.

- every chunk of a query goes to the judge in ONE batched call (``judge_texts``/``ajudge_texts``),
  which applies the judge's policy (``ea_plugin.policy``) with the filter's own ``score_threshold``
  and ``min_keep`` (``query_policy``); chunks with no text are kept, not judged;
- ``metadata(decision)`` is the flat dict that each kept chunk carries (keys below).

Metadata keys (flat values, so any vector store can hold them):
  ea_label     对齐 / 不对齐, or None where the backend gave no label
  ea_score     P(对齐) where the backend computes one, else None
  ea_reason    the judge's reason (last step of its analysis), or why the chunk was not judged
  ea_error     why the judgement failed (the chunk then follows the judge's on_error policy), else None
  ea_decision  why the chunk was kept or dropped: ``Decision.why``, one of ``ea_plugin.policy.WHY``
  ea_backend   the backend that judged it
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ea_plugin.errors import InvalidPairError, UnknownOptionError
from ea_plugin.judge import AlignmentJudge, load_judge
from ea_plugin.judgement import is_blank
from ea_plugin.policy import Decision, Policy, not_judged

EA_LABEL = "ea_label"
EA_SCORE = "ea_score"
EA_REASON = "ea_reason"
EA_ERROR = "ea_error"
EA_DECISION = "ea_decision"
EA_BACKEND = "ea_backend"
METADATA_KEYS: tuple[str, ...] = (EA_LABEL, EA_SCORE, EA_REASON, EA_ERROR, EA_DECISION, EA_BACKEND)


def metadata(decision: Decision) -> dict[str, Any]:
    """The flat ``ea_*`` metadata of one chunk's decision."""
    return {
        EA_LABEL: decision.label,
        EA_SCORE: decision.score,
        EA_REASON: decision.reason,
        EA_ERROR: decision.error,
        EA_DECISION: decision.why,
        EA_BACKEND: decision.backend,
    }


def query_policy(judge: AlignmentJudge, score_threshold: float | None, min_keep: int | None) -> Policy:
    """The judge's policy with an integration's own ``score_threshold``/``min_keep`` where it sets them."""
    changes: dict[str, Any] = {}
    if score_threshold is not None:
        changes["threshold"] = score_threshold
    if min_keep is not None:
        changes["min_keep"] = min_keep
    return judge.policy.replace(**changes)


def _judgeable(query: str, texts: Sequence[str]) -> list[int]:
    # Checked even when no chunk needs judging, so a missing query never passes silently.
    if not isinstance(query, str) or is_blank(query):
        raise InvalidPairError("must be a non-empty string", field="question", value=query)
    # Empty text has nothing to judge (the judge would reject it): such chunks are kept, not judged.
    return [i for i, text in enumerate(texts) if isinstance(text, str) and not is_blank(text)]


def _place(texts: Sequence[str], indices: list[int], decisions: list[Decision]) -> list[Decision]:
    placed = [not_judged() for _ in texts]
    for index, decision in zip(indices, decisions, strict=True):
        placed[index] = decision
    return placed


def judge_texts(judge: AlignmentJudge, query: str, texts: Sequence[str], policy: Policy) -> list[Decision]:
    """Decisions for all chunks of one query from one batched judge call; ``not_judged`` for empty chunks."""
    indices = _judgeable(query, texts)
    if not indices:
        return [not_judged() for _ in texts]
    return _place(texts, indices, judge.judge_many(query, [texts[i] for i in indices], policy=policy))


async def ajudge_texts(judge: AlignmentJudge, query: str, texts: Sequence[str], policy: Policy) -> list[Decision]:
    """``judge_texts`` through the judge's native async batch (``ajudge_many``)."""
    indices = _judgeable(query, texts)
    if not indices:
        return [not_judged() for _ in texts]
    return _place(texts, indices, await judge.ajudge_many(query, [texts[i] for i in indices], policy=policy))


def model_arguments(
    model: type, judge: AlignmentJudge | None, backend: str | None, options: Mapping[str, Any]
) -> dict[str, Any]:
    """Constructor arguments of an integration (a pydantic ``model``): options named like one of its
    fields are its own; the others are ``load_judge`` options for the judge built when none is given.
    An option that neither takes fails naming it, with the integration's and the judge's valid names."""
    where = model.__name__
    names = sorted(set(model.model_fields) - {"judge"})
    own = {k: v for k, v in options.items() if k in names}
    rest = {k: v for k, v in options.items() if k not in names}
    if judge is not None and rest and backend is None:  # with a judge given, only the integration's own apply
        raise UnknownOptionError(next(iter(rest)), {f"{where} options": names}, f"{where}(judge=...)")
    try:
        return {"judge": resolve_judge(judge, backend, rest), **own}
    except UnknownOptionError as exc:
        raise UnknownOptionError(exc.option, {f"{where} options": names, **exc.valid}, where) from None


def resolve_judge(judge: AlignmentJudge | None, backend: str | None, options: Mapping[str, Any]) -> AlignmentJudge:
    """The judge given, or one built by ``load_judge(backend or "rules", **options)``."""
    if judge is not None:
        if backend is not None or options:
            raise ValueError("pass either judge=... or backend=.../load_judge options, not both")
        if not isinstance(judge, AlignmentJudge):
            raise TypeError(f"judge must be an AlignmentJudge (see ea_plugin.load_judge), got {type(judge).__name__}")
        return judge
    return load_judge(backend or "rules", **options)
