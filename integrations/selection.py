"""Which retrieved chunks a RAG filter keeps, and the verdict metadata it attaches.

The one place both integrations (LlamaIndex postprocessor, LangChain compressor) take these from:
- every chunk of a query goes to the judge in ONE batched call (``judge_texts``/``ajudge_texts``);
- ``SelectionPolicy.select`` turns the verdicts into keep/drop decisions (judge decision, optional
  score threshold, ``min_keep``);
- ``Judged.metadata()`` is the flat dict that each kept chunk carries (keys below).

Metadata keys (flat values, so any vector store can hold them):
  ea_label     对齐 / 不对齐, or None where the backend gave no label
  ea_score     P(对齐) where the backend computes one, else None
  ea_reason    the judge's reason (last step of its analysis), or why the chunk was not judged
  ea_error     why the judgement failed (the chunk then follows the judge's on_error policy), else None
  ea_decision  why the chunk was kept or dropped: one of DECISIONS
  ea_backend   the backend that judged it
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ea_plugin.errors import InvalidPairError
from ea_plugin.judge import AlignmentJudge, load_judge
from ea_plugin.verdict import Verdict

EA_LABEL = "ea_label"
EA_SCORE = "ea_score"
EA_REASON = "ea_reason"
EA_ERROR = "ea_error"
EA_DECISION = "ea_decision"
EA_BACKEND = "ea_backend"
METADATA_KEYS: tuple[str, ...] = (EA_LABEL, EA_SCORE, EA_REASON, EA_ERROR, EA_DECISION, EA_BACKEND)

# Decisions. Kept: judged aligned (and above the score threshold); the judge failed and its policy
# keeps; topped up to honour min_keep; empty text, nothing to judge. Dropped: the other three.
JUDGED_ALIGNED = "aligned"
KEPT_ON_ERROR = "kept_on_error"
MIN_KEEP = "min_keep"
NOT_JUDGED = "not_judged"
JUDGED_UNALIGNED = "unaligned"
BELOW_THRESHOLD = "below_threshold"
DROPPED_ON_ERROR = "dropped_on_error"
DECISIONS = (JUDGED_ALIGNED, KEPT_ON_ERROR, MIN_KEEP, NOT_JUDGED, JUDGED_UNALIGNED, BELOW_THRESHOLD, DROPPED_ON_ERROR)

NOT_JUDGED_REASON = "empty chunk text: nothing to judge, kept"
# "4. 给出判断理由：产品不同…" -> "产品不同…": the step number and its short heading are dropped.
_STEP_HEADING = re.compile(r"^\s*\d+[.、]\s*(?:[^：:]{1,12}[：:])?\s*")


def reason_of(reasoning: str) -> str | None:
    """The reason of a four-step analysis: its last non-empty line without the step heading."""
    lines = [line for line in reasoning.splitlines() if line.strip()]
    if not lines:
        return None
    return _STEP_HEADING.sub("", lines[-1]).strip() or lines[-1].strip()


@dataclass(frozen=True)
class Judged:
    """One retrieved chunk after judging: its verdict (None when not judged) and the decision."""

    position: int  # index in the retrieved list
    verdict: Verdict | None
    kept: bool
    decision: str

    @property
    def reason(self) -> str | None:
        if self.verdict is None:
            return NOT_JUDGED_REASON
        return reason_of(self.verdict.reasoning)

    def metadata(self) -> dict[str, Any]:
        verdict = self.verdict
        return {
            EA_LABEL: verdict.label if verdict else None,
            EA_SCORE: verdict.score if verdict else None,
            EA_REASON: self.reason,
            EA_ERROR: verdict.error if verdict else None,
            EA_DECISION: self.decision,
            EA_BACKEND: verdict.backend if verdict else None,
        }


@dataclass(frozen=True)
class SelectionPolicy:
    """How verdicts become keep/drop decisions.

    ``score_threshold``: None keeps what the judge calls aligned; a value keeps a judged chunk exactly
    when its P(对齐) >= the value (verdicts without a score, e.g. failures, still follow the judge).
    ``min_keep``: never return fewer than this many chunks (or all there are): when too few are
    kept, the dropped ones with the best judge score are kept too (ties: retrieval order), marked
    ``ea_decision="min_keep"``.
    """

    score_threshold: float | None = None
    min_keep: int = 0

    def __post_init__(self) -> None:
        if self.score_threshold is not None and not 0.0 <= self.score_threshold <= 1.0:
            raise ValueError(f"score_threshold must lie in [0, 1] or be None, got {self.score_threshold}")
        if isinstance(self.min_keep, bool) or not isinstance(self.min_keep, int) or self.min_keep < 0:
            raise ValueError(f"min_keep must be a non-negative integer, got {self.min_keep!r}")

    def decide(self, verdict: Verdict | None) -> tuple[bool, str]:
        if verdict is None:
            return True, NOT_JUDGED
        if verdict.error or verdict.label is None:
            return (True, KEPT_ON_ERROR) if verdict.aligned else (False, DROPPED_ON_ERROR)
        if self.score_threshold is not None and verdict.score is not None:
            return (True, JUDGED_ALIGNED) if verdict.score >= self.score_threshold else (False, BELOW_THRESHOLD)
        return (True, JUDGED_ALIGNED) if verdict.aligned else (False, JUDGED_UNALIGNED)

    def select(self, verdicts: Sequence[Verdict | None]) -> list[Judged]:
        """One Judged per verdict, in retrieval order."""
        judged = [Judged(i, v, *self.decide(v)) for i, v in enumerate(verdicts)]
        missing = self.min_keep - sum(j.kept for j in judged)
        if missing <= 0:
            return judged
        dropped = sorted((j for j in judged if not j.kept), key=_best_first)
        rescued = {j.position for j in dropped[:missing]}
        return [Judged(j.position, j.verdict, True, MIN_KEEP) if j.position in rescued else j for j in judged]


def _best_first(judged: Judged) -> tuple[float, int]:
    score = judged.verdict.score if judged.verdict is not None else None
    return (-(score if score is not None else -1.0), judged.position)


def _judgeable(query: str, texts: Sequence[str]) -> list[int]:
    # Checked even when no chunk needs judging, so a missing query never passes silently.
    if not isinstance(query, str) or not query.strip():
        raise InvalidPairError("must be a non-empty string", field="question", value=query)
    # Empty text has nothing to judge (the judge would reject it): such chunks are kept, not judged.
    return [i for i, text in enumerate(texts) if isinstance(text, str) and text.strip()]


def _place(texts: Sequence[str], indices: list[int], verdicts: list[Verdict]) -> list[Verdict | None]:
    placed: list[Verdict | None] = [None] * len(texts)
    for index, verdict in zip(indices, verdicts, strict=True):
        placed[index] = verdict
    return placed


def judge_texts(judge: AlignmentJudge, query: str, texts: Sequence[str]) -> list[Verdict | None]:
    """Verdicts for all chunks of one query from one batched judge call; None for empty chunks."""
    indices = _judgeable(query, texts)
    if not indices:
        return [None] * len(texts)
    return _place(texts, indices, judge.judge_many(query, [texts[i] for i in indices]))


async def ajudge_texts(judge: AlignmentJudge, query: str, texts: Sequence[str]) -> list[Verdict | None]:
    """``judge_texts`` through the judge's native async batch (``ajudge_many``)."""
    indices = _judgeable(query, texts)
    if not indices:
        return [None] * len(texts)
    return _place(texts, indices, await judge.ajudge_many(query, [texts[i] for i in indices]))


def model_arguments(
    fields: Iterable[str], judge: AlignmentJudge | None, backend: str | None, options: Mapping[str, Any]
) -> dict[str, Any]:
    """Constructor arguments of an integration model: options named like one of its ``fields`` are its
    own; the others are ``load_judge`` options for the judge built when none is given."""
    names = set(fields) - {"judge"}
    judge_options = {k: v for k, v in options.items() if k not in names}
    own = {k: v for k, v in options.items() if k in names}
    return {"judge": resolve_judge(judge, backend, judge_options), **own}


def resolve_judge(judge: AlignmentJudge | None, backend: str | None, options: Mapping[str, Any]) -> AlignmentJudge:
    """The judge given, or one built by ``load_judge(backend or "rules", **options)``."""
    if judge is not None:
        if backend is not None or options:
            raise ValueError("pass either judge=... or backend=.../load_judge options, not both")
        if not isinstance(judge, AlignmentJudge):
            raise TypeError(f"judge must be an AlignmentJudge (see ea_plugin.load_judge), got {type(judge).__name__}")
        return judge
    return load_judge(backend or "rules", **options)
