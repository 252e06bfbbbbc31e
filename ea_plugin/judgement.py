"""Judgement records (what a backend said) and the one parser that turns model text into a label."""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ea_plugin.prompts import ALIGNED, LABELS, THINK_CLOSE, THINK_OPEN, UNALIGNED, label_tags, strip_label_tags


@dataclass(frozen=True)
class Pair:
    question: str
    chunk: str


@dataclass
class Judgement:
    """What a backend said about one (question, chunk) pair; nothing about keeping it.

    ``label`` is None when the backend said nothing usable, and ``error`` then says why. Whether the
    chunk stays is decided once, by ``ea_plugin.policy.Policy``, which wraps this in a ``Decision``.
    """

    label: str | None
    score: float | None = None  # P(对齐), where the backend can compute it
    reasoning: str = ""
    raw: str = ""
    mode: str = "think"
    backend: str = ""
    error: str | None = None
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failed(cls, error: str, **kwargs: Any) -> Judgement:
        """A judgement with no label; the policy decides what happens to the chunk."""
        return cls(label=None, error=error, **kwargs)

    @property
    def ok(self) -> bool:
        """A label and no error: the judgement can be acted on as it stands."""
        return self.label is not None and self.error is None

    def to_dict(self) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict: that deep-copies ``extra`` recursively, and a plugin's extra
        # may nest past the recursion limit (the writers make any value plain, ea_plugin.jsonl.dumps).
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["extra"] = dict(self.extra) if isinstance(self.extra, dict) else self.extra
        return values


def invalid_reason(judgement: Judgement) -> str | None:
    """Why a judgement breaks its contract, or None: a plugin's backend may return anything in these fields."""
    label, score = judgement.label, judgement.score
    if label is not None and (not isinstance(label, str) or label not in LABELS):
        return f"label {label!r:.60} is not {ALIGNED!r}, {UNALIGNED!r} or None"
    if score is not None and (isinstance(score, bool) or not isinstance(score, numbers.Real) or
                              not math.isfinite(score) or not 0.0 <= score <= 1.0):
        return f"score {score!r:.60} is not a number in [0, 1] or None"
    if judgement.error is not None and not isinstance(judgement.error, str):
        return f"error {judgement.error!r:.60} is not a string or None"
    for name in ("reasoning", "raw", "mode", "backend"):  # read as text by the policy, reports and writers
        if not isinstance(getattr(judgement, name), str):
            return f"{name} {getattr(judgement, name)!r:.60} is not a string"
    if not isinstance(judgement.truncated, bool):
        return f"truncated {judgement.truncated!r:.60} is not True or False"
    if not isinstance(judgement.extra, dict):
        return f"extra {judgement.extra!r:.60} is not a dict"
    return None


def validated(judgement: Judgement) -> Judgement:
    """``judgement`` with its score as a float; one that breaks its contract becomes a failed judgement whose
    error says why (the policy then applies ``on_error`` to that pair alone)."""
    reason = invalid_reason(judgement)
    if reason is not None:
        extra = judgement.extra if isinstance(judgement.extra, dict) else {}
        texts = {name: value if isinstance(value := getattr(judgement, name), str) else ""
                 for name in ("reasoning", "raw", "mode", "backend")}
        return replace(judgement, label=None, score=None, extra=extra, truncated=judgement.truncated is True,
                       error=f"invalid judgement from backend {judgement.backend!r:.40}: {reason}", **texts)
    if judgement.score is not None and type(judgement.score) is not float:
        return replace(judgement, score=float(judgement.score))  # an int or a numpy float
    return judgement


# Characters that make a text look non-empty to str.strip() but show nothing, by Unicode general category:
# format characters (Cf: zero-width space/joiners, BOM, soft hyphen, bidi marks, tags), controls (Cc),
# non-spacing marks with no base to sit on (Mn: the combining grapheme joiner U+034F, variation selectors
# U+FE00-FE0F), and separators (Zs, Zl, Zp).
_BLANK_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Zs", "Zl", "Zp"})
# Fillers that Unicode files as letters or symbols but that render as blank space: the Hangul fillers
# (Default_Ignorable_Code_Point, category Lo) and the blank Braille pattern (So).
_BLANK_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_blank(text: str) -> bool:
    """True when ``text`` holds nothing but whitespace and invisible characters."""
    return all(ch.isspace() or ch in _BLANK_FILLERS or unicodedata.category(ch) in _BLANK_CATEGORIES
               for ch in text)


@dataclass(frozen=True)
class ParsedAnswer:
    label: str | None
    reasoning: str
    error: str | None = None


# Decoration a model or server may put around the label: whitespace, quotes, markdown, punctuation,
# and a leading "答案：" style prefix.
_EDGE_NOISE = "\t\n\r 　*_`\"'“”‘’「」『』【】[]()（）.。,，:：;；!！?？~～-—>#"
_PREFIX = re.compile(r"^(?:最终)?(?:答案|结论|结果|判断|标签|label|answer)\s*[:：是为]?\s*", re.I)


def _clean(answer: str) -> str:
    text = answer.strip(_EDGE_NOISE)
    text = _PREFIX.sub("", text).strip(_EDGE_NOISE)
    return re.sub(r"\s+", "", text)


def _label_of(answer: str) -> str | None:
    tags = label_tags(answer)
    text = _clean(tags[-1] if tags else answer)
    # 不对齐 contains 对齐: always test the longer label first, and only accept it at the edges.
    for label in (UNALIGNED, ALIGNED):
        if text == label:
            return label
    first_line = _clean(answer.strip().splitlines()[0]) if answer.strip() else ""
    for label in (UNALIGNED, ALIGNED):
        if first_line == label:
            return label
    return None


def parse_answer(text: str | None, reasoning: str | None = None) -> ParsedAnswer:
    """Read the label of a model answer.

    The label is read only after the last ``</think>``. Handles a stripped opening ``<think>``,
    reasoning delivered separately (``reasoning``/``reasoning_content`` of OpenAI-compatible servers),
    truncated output (``<think>`` never closed), ``<label>`` tags and decoration. Returns label None with
    an error rather than guessing.
    """
    text = text or ""
    extra_reasoning = (reasoning or "").strip()
    if THINK_CLOSE in text:
        head, _, answer = text.rpartition(THINK_CLOSE)
        head = head.split(THINK_OPEN)[-1] if THINK_OPEN in head else head
        thought = "\n".join(p for p in (extra_reasoning, head.strip()) if p)
    elif THINK_OPEN in text:
        thought = "\n".join(p for p in (extra_reasoning, text.split(THINK_OPEN, 1)[1].strip()) if p)
        return ParsedAnswer(None, thought, "truncated: the answer ends inside <think> (no </think>)")
    else:
        answer, thought = text, extra_reasoning
    if not answer.strip():
        return ParsedAnswer(None, thought, "no label: nothing after the reasoning")
    label = _label_of(answer)
    if label is None:
        return ParsedAnswer(None, thought, f"unparseable label: {answer.strip()[:80]!r}")
    return ParsedAnswer(label, thought)


def parse_teacher_answer(text: str | None, reasoning: str | None = None) -> ParsedAnswer:
    """Read a teacher's answer (TEACHER_PROMPT): the four steps in visible text, then ``<label>…</label>``.

    Stricter than parse_answer: the label comes only from the tag, because the answer becomes training
    data. The analysis is the visible text without the tag; where a thinking model wrote nothing visible but
    the steps, its separate reasoning stands in. Whether step 3 agrees with the tag is training.teacher's
    check (the same one the converter applies).
    """
    text = text or ""
    if THINK_OPEN in text and THINK_CLOSE not in text:
        return ParsedAnswer(None, text.split(THINK_OPEN, 1)[1].strip(), "truncated: the answer ends inside <think>")
    thought, _, body = text.rpartition(THINK_CLOSE)
    tags = label_tags(body)
    analysis = strip_label_tags(body) or (reasoning or "").strip() or thought.split(THINK_OPEN)[-1].strip()
    if not tags:
        return ParsedAnswer(None, analysis, f"no <label> tag in the teacher's answer: {body.strip()[-80:]!r}")
    if len(set(tags)) > 1:
        return ParsedAnswer(None, analysis, f"conflicting <label> tags: {sorted(set(tags))}")
    if tags[0] not in LABELS:
        return ParsedAnswer(None, analysis, f"unknown label in <label> tag: {tags[0]!r}")
    return ParsedAnswer(tags[0], analysis)
