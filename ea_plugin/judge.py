"""AlignmentJudge: input checks, batching, and the policy (errors, threshold, cascade).

Backends only produce verdicts; what a failure means for the chunk is decided here, once:
``on_error="keep"`` (default) keeps the chunk and records why, ``"drop"`` drops it, ``"raise"`` raises
JudgeError. Dropping a relevant chunk costs more than keeping an irrelevant one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any, Literal

from ea_plugin.backends.base import Backend, call_async
from ea_plugin.errors import InvalidPairError, JudgeError
from ea_plugin.prompts import ALIGNED, Mode
from ea_plugin.verdict import Pair, Verdict

OnError = Literal["keep", "drop", "raise"]
log = logging.getLogger(__name__)

# Chunks longer than this are cut (head kept) and the verdict says truncated=True. ~4000 characters
# is ~3000 Qwen tokens of Chinese; longer passages rarely fit a RAG context anyway.
DEFAULT_MAX_CHUNK_CHARS = 4000


class AlignmentJudge:
    def __init__(
        self,
        backend: Backend,
        *,
        mode: Mode = "fast",
        threshold: float = 0.5,
        on_error: OnError = "keep",
        batch_size: int = 32,
        max_chunk_chars: int = DEFAULT_MAX_CHUNK_CHARS,
        cascade: tuple[float, float] | None = None,
    ) -> None:
        if mode not in ("fast", "think"):
            raise ValueError(f"mode must be 'fast' or 'think', got {mode!r}")
        if on_error not in ("keep", "drop", "raise"):
            raise ValueError(f"on_error must be 'keep', 'drop' or 'raise', got {on_error!r}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
        if cascade is not None and not (0.0 <= cascade[0] <= cascade[1] <= 1.0):
            raise ValueError(f"cascade must be (low, high) with 0 <= low <= high <= 1, got {cascade}")
        self.backend = backend
        self.mode: Mode = mode
        self.threshold = threshold
        self.on_error: OnError = on_error
        self.batch_size = batch_size
        self.max_chunk_chars = max_chunk_chars
        # Fast-mode scores in [low, high) are judged again in think mode.
        self.cascade = cascade

    # -- public API -------------------------------------------------------------------------------
    @property
    def backend_name(self) -> str:
        """The backend's ``name`` (its registered name), else its class name."""
        return getattr(self.backend, "name", type(self.backend).__name__)

    def judge(self, question: str, chunk: str) -> Verdict:
        return self.judge_pairs([(question, chunk)])[0]

    def judge_many(self, question: str, chunks: Sequence[str]) -> list[Verdict]:
        """All chunks of one question, judged in batches; verdicts in input order."""
        return self.judge_pairs([(question, chunk) for chunk in chunks])

    def judge_pairs(self, pairs: Sequence[Pair | tuple[str, str]]) -> list[Verdict]:
        checked, truncated = self._prepare(pairs)
        verdicts: list[Verdict] = []
        for start in range(0, len(checked), self.batch_size):
            batch = checked[start : start + self.batch_size]
            verdicts += self._run(self.mode, batch)
        verdicts = self._escalate(checked, verdicts)
        return self._finish(checked, truncated, verdicts)

    async def ajudge(self, question: str, chunk: str) -> Verdict:
        return (await self.ajudge_pairs([(question, chunk)]))[0]

    async def ajudge_many(self, question: str, chunks: Sequence[str]) -> list[Verdict]:
        return await self.ajudge_pairs([(question, chunk) for chunk in chunks])

    async def ajudge_pairs(self, pairs: Sequence[Pair | tuple[str, str]]) -> list[Verdict]:
        checked, truncated = self._prepare(pairs)
        verdicts: list[Verdict] = []
        for start in range(0, len(checked), self.batch_size):
            batch = checked[start : start + self.batch_size]
            verdicts += await self._arun(self.mode, batch)
        uncertain = self._uncertain(verdicts)
        if uncertain:
            redone = await self._arun("think", [checked[i] for i in uncertain])
            verdicts = self._merge_escalated(verdicts, uncertain, redone)
        return self._finish(checked, truncated, verdicts)

    def keep(self, verdict: Verdict) -> bool:
        """Whether the chunk behind ``verdict`` stays (verdicts from this judge are already final)."""
        return verdict.aligned

    # -- steps ------------------------------------------------------------------------------------
    def _prepare(self, pairs: Sequence[Pair | tuple[str, str]]) -> tuple[list[Pair], list[bool]]:
        checked, truncated = [], []
        for item in pairs:
            question, chunk = (item.question, item.chunk) if isinstance(item, Pair) else item
            _check_text("question", question)
            _check_text("chunk", chunk)
            cut = len(chunk) > self.max_chunk_chars
            checked.append(Pair(question, chunk[: self.max_chunk_chars] if cut else chunk))
            truncated.append(cut)
        return checked, truncated

    def _run(self, mode: Mode, batch: list[Pair]) -> list[Verdict]:
        method = "score" if mode == "fast" else "generate"
        try:
            verdicts = getattr(self.backend, method)(batch)
        except Exception as exc:  # a whole-batch failure: every pair gets the policy, none is lost
            log.warning("backend %s failed on a batch of %d: %s", self.backend_name, len(batch), exc)
            return self._batch_failure(mode, batch, exc)
        return _checked_count(verdicts, batch)

    async def _arun(self, mode: Mode, batch: list[Pair]) -> list[Verdict]:
        method = "score" if mode == "fast" else "generate"
        try:
            verdicts = await call_async(self.backend, method, batch)
        except Exception as exc:
            log.warning("backend %s failed on a batch of %d: %s", self.backend_name, len(batch), exc)
            return self._batch_failure(mode, batch, exc)
        return _checked_count(verdicts, batch)

    def _batch_failure(self, mode: Mode, batch: list[Pair], exc: Exception) -> list[Verdict]:
        error = f"{type(exc).__name__}: {exc}"
        return [Verdict.failed(error, mode=mode, backend=self.backend_name) for _ in batch]

    def _uncertain(self, verdicts: list[Verdict]) -> list[int]:
        if self.cascade is None or self.mode != "fast":
            return []
        low, high = self.cascade
        return [i for i, v in enumerate(verdicts) if v.score is not None and low <= v.score < high]

    def _escalate(self, checked: list[Pair], verdicts: list[Verdict]) -> list[Verdict]:
        uncertain = self._uncertain(verdicts)
        if not uncertain:
            return verdicts
        redone: list[Verdict] = []
        todo = [checked[i] for i in uncertain]
        for start in range(0, len(todo), self.batch_size):
            redone += self._run("think", todo[start : start + self.batch_size])
        return self._merge_escalated(verdicts, uncertain, redone)

    @staticmethod
    def _merge_escalated(verdicts: list[Verdict], uncertain: list[int], redone: list[Verdict]) -> list[Verdict]:
        merged = list(verdicts)
        for index, verdict in zip(uncertain, redone, strict=True):
            verdict.extra["cascade_from_score"] = verdicts[index].score
            if verdict.score is None:
                verdict.score = verdicts[index].score
            merged[index] = verdict
        return merged

    def _finish(self, checked: list[Pair], truncated: list[bool], verdicts: list[Verdict]) -> list[Verdict]:
        return [self._apply_policy(p, cut, v) for p, cut, v in zip(checked, truncated, verdicts, strict=True)]

    def _apply_policy(self, pair: Pair, truncated: bool, verdict: Verdict) -> Verdict:
        verdict.truncated = verdict.truncated or truncated
        if verdict.label is None or verdict.error:
            error = verdict.error or "backend returned no label"
            if self.on_error == "raise":
                raise JudgeError(error, question=pair.question, chunk=pair.chunk)
            return dataclasses.replace(verdict, aligned=self.on_error == "keep", error=error)
        if verdict.mode == "fast" and verdict.score is not None:
            return dataclasses.replace(verdict, aligned=verdict.score >= self.threshold)
        return dataclasses.replace(verdict, aligned=verdict.label == ALIGNED)


def _check_text(field: str, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidPairError("must be a string", field=field, value=value)
    if not value.strip():
        raise InvalidPairError("must not be empty", field=field, value=value)


def _checked_count(verdicts: list[Verdict], batch: list[Pair]) -> list[Verdict]:
    if len(verdicts) != len(batch):
        raise RuntimeError(f"backend returned {len(verdicts)} verdicts for {len(batch)} pairs")
    return verdicts


def load_judge(backend: str = "rules", **kwargs: Any) -> AlignmentJudge:
    """Build a judge around a registered backend.

    Judge options (mode, threshold, on_error, batch_size, max_chunk_chars, cascade) are taken from
    ``kwargs``; everything else goes to the backend's factory, e.g.
    ``load_judge("openai", base_url="http://127.0.0.1:8000/v1", model="entity-alignment")``.
    """
    from ea_plugin.plugins import create_backend

    judge_options = {k: kwargs.pop(k) for k in _JUDGE_OPTIONS if k in kwargs}
    return AlignmentJudge(create_backend(backend, **kwargs), **judge_options)


_JUDGE_OPTIONS = ("mode", "threshold", "on_error", "batch_size", "max_chunk_chars", "cascade")
