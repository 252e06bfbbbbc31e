"""What the judge does with what a backend said: the one place a Judgement becomes keep or drop.

``Policy`` holds every knob (threshold, on_error, cascade, min_keep) and is validated when built;
``Decision`` is its answer for one chunk: ``kept``, ``why`` (one of ``WHY``), and the judgement.
Dropping a relevant chunk costs more than keeping an irrelevant one, so a failure keeps by default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ea_plugin.errors import JudgeError, OptionError
from ea_plugin.judgement import Judgement, Pair, validated
from ea_plugin.options import check_choice, check_int, check_number, option
from ea_plugin.prompts import ALIGNED, UNALIGNED, analysis_reason

OnError = Literal["keep", "drop", "raise"]
ON_ERROR: tuple[str, ...] = ("keep", "drop", "raise")

# Why a chunk was kept or dropped: the codes (integrations put them in ``ea_decision``) and their texts.
JUDGED_ALIGNED = "aligned"
KEPT_ON_ERROR = "kept_on_error"
MIN_KEEP = "min_keep"
NOT_JUDGED = "not_judged"
JUDGED_UNALIGNED = "unaligned"
BELOW_THRESHOLD = "below_threshold"
DROPPED_ON_ERROR = "dropped_on_error"
WHY: dict[str, str] = {
    JUDGED_ALIGNED: "judged aligned",
    KEPT_ON_ERROR: "the judge failed: policy keeps",
    MIN_KEEP: "kept to honour min_keep",
    NOT_JUDGED: "empty chunk text: nothing to judge, kept",
    JUDGED_UNALIGNED: "judged unaligned",
    BELOW_THRESHOLD: "P(对齐) below the threshold",
    DROPPED_ON_ERROR: "the judge failed: policy drops",
}
KEPT_WHY = frozenset({JUDGED_ALIGNED, KEPT_ON_ERROR, MIN_KEEP, NOT_JUDGED})


@dataclass(frozen=True)
class Decision:
    """Whether one chunk stays, why, and the judgement behind it (None for a chunk not judged)."""

    kept: bool
    why: str
    judgement: Judgement | None

    def __post_init__(self) -> None:
        if self.why not in WHY or (self.why in KEPT_WHY) != self.kept:
            raise ValueError(f"inconsistent decision: kept={self.kept}, why={self.why!r}")

    def _get(self, name: str, default: Any = None) -> Any:
        return default if self.judgement is None else getattr(self.judgement, name)

    @property
    def label(self) -> str | None:
        return self._get("label")

    @property
    def score(self) -> float | None:
        return self._get("score")

    @property
    def reasoning(self) -> str:
        return self._get("reasoning", "")

    @property
    def raw(self) -> str:
        return self._get("raw", "")

    @property
    def error(self) -> str | None:
        return self._get("error")

    @property
    def backend(self) -> str | None:
        return self._get("backend")

    @property
    def mode(self) -> str | None:
        return self._get("mode")

    @property
    def truncated(self) -> bool:
        return self._get("truncated", False)

    @property
    def extra(self) -> dict[str, Any]:
        return self._get("extra", {})

    @property
    def reason(self) -> str | None:
        """The analysis' reason line; for a chunk not judged, why not."""
        if self.judgement is None:
            return WHY[self.why]
        return analysis_reason(self.judgement.reasoning)

    def to_dict(self) -> dict[str, Any]:
        judgement = None if self.judgement is None else self.judgement.to_dict()
        return {"kept": self.kept, "why": self.why, "judgement": judgement}


def not_judged() -> Decision:
    """The decision for a chunk with no text to judge (integrations keep such chunks as they are)."""
    return Decision(True, NOT_JUDGED, None)


@dataclass(frozen=True)
class Policy:
    """How judgements become decisions (each field's help says what it does); checked when built."""

    threshold: float = option("a judgement with a score keeps the chunk when P(对齐) ≥ threshold (without a "
                              "score, the label decides); lower it to lose fewer relevant chunks", 0.5)
    on_error: OnError = option("an error, timeout, unparseable answer or missing judgement keeps the chunk and "
                               "records why; `\"drop\"`, `\"raise\"` (`JudgeError`)", "keep")
    cascade: tuple[float, float] | None = option(
        "`(low, high)`: fast-mode scores in [low, high) are judged again in think mode; if that second opinion "
        "fails, the fast judgement stands and `extra[\"cascade_error\"]` says why", None)
    min_keep: int = option("per query (`judge_many`): never keep fewer chunks; the dropped ones with the best "
                           "scores are kept too (`why=\"min_keep\"`); `judge_pairs` does not apply it", 0)

    def __post_init__(self) -> None:
        check_number("threshold", self.threshold, 0.0, 1.0)
        check_choice("on_error", self.on_error, ON_ERROR)
        if self.cascade is not None:
            pair = isinstance(self.cascade, (tuple, list)) and len(self.cascade) == 2 and all(
                isinstance(end, (int, float)) and not isinstance(end, bool) for end in self.cascade)
            if not pair or not 0.0 <= self.cascade[0] <= self.cascade[1] <= 1.0:
                raise OptionError(f"cascade must be (low, high) with 0 <= low <= high <= 1, got {self.cascade!r}",
                                  option="cascade")
            object.__setattr__(self, "cascade", (float(self.cascade[0]), float(self.cascade[1])))
        check_int("min_keep", self.min_keep, minimum=0)

    def replace(self, **changes: Any) -> Policy:
        return dataclasses.replace(self, **changes)

    def uncertain(self, judgement: Judgement) -> bool:
        """Whether a fast judgement goes to think mode for a second opinion (cascade)."""
        judgement = validated(judgement)
        if self.cascade is None or judgement.score is None or not judgement.ok:
            return False
        low, high = self.cascade
        return low <= judgement.score < high

    def decide(self, judgement: Judgement, pair: Pair) -> Decision:
        """The decision for one pair; raises JudgeError for a failed judgement under on_error="raise".

        A judgement that breaks its contract (a label other than 对齐/不对齐/None, a score that is not a number in
        [0, 1]) is a failed one, its error saying why: a plugin's mistake is that pair's, under ``on_error``."""
        judgement = validated(judgement)
        if not judgement.ok:
            error = judgement.error or "backend returned no label"
            if self.on_error == "raise":
                raise JudgeError(error, question=pair.question, chunk=pair.chunk)
            failed = dataclasses.replace(judgement, error=error)
            keep = self.on_error == "keep"
            return Decision(keep, KEPT_ON_ERROR if keep else DROPPED_ON_ERROR, failed)
        if judgement.score is not None:
            if judgement.score >= self.threshold:
                return Decision(True, JUDGED_ALIGNED, judgement)
            return Decision(False, JUDGED_UNALIGNED if judgement.label == UNALIGNED else BELOW_THRESHOLD, judgement)
        if judgement.label == ALIGNED:
            return Decision(True, JUDGED_ALIGNED, judgement)
        return Decision(False, JUDGED_UNALIGNED, judgement)

    def top_up(self, decisions: Sequence[Decision]) -> list[Decision]:
        """``min_keep``: keep the best-scored dropped chunks until enough judged chunks are kept.

        Only judged chunks count and only judged chunks are rescued: a chunk not judged (no text) is
        never what the caller gets instead of a real one.
        """
        judged = [d for d in decisions if d.judgement is not None]
        missing = self.min_keep - sum(d.kept for d in judged)
        if missing <= 0:
            return list(decisions)
        dropped = sorted((i for i, d in enumerate(decisions) if not d.kept), key=lambda i: _rank(decisions[i], i))
        rescued = set(dropped[:missing])
        return [
            Decision(True, MIN_KEEP, d.judgement) if i in rescued else d for i, d in enumerate(decisions)
        ]


def _rank(decision: Decision, position: int) -> tuple[float, int]:
    score = decision.score
    return (-(score if score is not None else -1.0), position)
