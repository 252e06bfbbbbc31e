"""P(对齐) from OpenAI-style ``logprobs`` (pure functions; the openai backend does the I/O).

A label is several tokens (Qwen: 对齐 = 对+齐, 不对齐 = 不对+齐), so its probability is the product of its
tokens' conditionals. A chat completion reports, per generated position, the chosen token and the top-k
alternatives, all conditioned on the *generated* text so far. Walking a label along those positions gives
its first piece everywhere, but its later pieces only where the model generated the same earlier pieces;
the missing conditional must come from another request (see OpenAIBackend) or be approximated.

Token pieces are matched as UTF-8 bytes, never as hard-coded strings: a token may be part of a character
(``bytes:\\xe5\\xaf`` in OpenAI's API, U+FFFD in vLLM's text).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ea_plugin.backends.openai.reply import get as _field
from ea_plugin.backends.openai.reply import is_object

_BYTE_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")
REPLACEMENT = "\ufffd"


def token_bytes(token: str | None, raw: Iterable[int] | None = None) -> bytes | None:
    """The UTF-8 bytes a returned token stands for, or None when the server's text lost them.

    ``raw`` is the ``bytes`` field of the logprob entry. vLLM fills it from the lossy text, so a token
    shown as U+FFFD stays unknown rather than matching anything by accident.
    """
    if token is None:
        return None
    if token.startswith("bytes:"):
        # Escapes such as \xe5 stand for single bytes; the rest is literal UTF-8 text.
        return _BYTE_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), token[6:].encode("utf-8"))
    if token.startswith("token_id:"):  # vLLM's return_tokens_as_token_ids: no text at all
        return None
    if REPLACEMENT not in token:
        return token.encode("utf-8")
    data = bytes(raw) if raw is not None else b""
    return data if data and REPLACEMENT.encode("utf-8") not in data else None


@dataclass(frozen=True)
class Step:
    """One generated position: the token chosen there and every token the server listed, as log-probs."""

    chosen: bytes | None
    candidates: Mapping[bytes, float]
    # The smallest log-prob of the server's top-k list: no unlisted token is likelier (None: no list sent).
    floor: float | None = None


class MalformedLogprobs(ValueError):
    """Log-probs that break the API's shape (a string, NaN or positive log-prob, a token that is not text,
    ``bytes`` that are not byte values, a missing field): the reply of that one request cannot be scored, which
    is that pair's error alone."""


# A log-prob a little above 0 is float rounding of a certain token; more is a probability over 1.
LOGPROB_ROUNDING = 1e-6


def _entry(entry: Any, where: str) -> Any:
    if not is_object(entry):
        raise MalformedLogprobs(f"{where} is {type(entry).__name__} {entry!r:.40}, not an object")
    return entry


def _raw_bytes(entry: Any, where: str) -> list[int] | None:
    """The entry's ``bytes``: null, or a list of byte values (0-255)."""
    raw = _field(entry, "bytes")
    if raw is not None and (not isinstance(raw, list) or not all(
            isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in raw)):
        raise MalformedLogprobs(f"{where}: bytes {raw!r:.60} is not a list of byte values (0-255)")
    return raw


def _token(entry: Any, where: str) -> str | None:
    token = _field(entry, "token")
    if not isinstance(token, str):
        raise MalformedLogprobs(f"{where}: token {token!r} is not a string")
    return token


def _logprob(entry: Any, where: str) -> float:
    value = _field(entry, "logprob")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedLogprobs(f"{where}: logprob {value!r} is not a number")
    if not math.isfinite(value):  # NaN or inf would turn the score into NaN, and NaN >= threshold is False
        raise MalformedLogprobs(f"{where}: logprob {value!r} is not finite")
    if value > LOGPROB_ROUNDING:
        raise MalformedLogprobs(f"{where}: logprob {value!r} is above 0 (a probability over 1)")
    return min(float(value), 0.0)


def read_steps(logprobs: Any) -> list[Step]:
    """``choice.logprobs`` (openai object or plain dict) as Steps; [] when the server sent none.

    Raises MalformedLogprobs where what was sent breaks the API's shape.
    """
    content = _field(logprobs, "content") if logprobs is not None else None
    if content is not None and not isinstance(content, list):
        raise MalformedLogprobs(f"logprobs.content is {type(content).__name__}, not a list")
    steps = []
    for position, entry in enumerate(content or []):
        where = f"logprobs.content[{position}]"
        entry = _entry(entry, where)
        chosen_token, chosen_logprob = _token(entry, where), _logprob(entry, where)
        chosen = token_bytes(chosen_token, _raw_bytes(entry, where))
        alternatives = _field(entry, "top_logprobs") or []
        if not isinstance(alternatives, list):
            raise MalformedLogprobs(f"{where}.top_logprobs is {type(alternatives).__name__}, not a list")
        candidates: dict[bytes, float] = {}
        listed: list[float] = []
        for rank, alt in enumerate(alternatives):
            alt_where = f"{where}.top_logprobs[{rank}]"
            alt = _entry(alt, alt_where)
            key = token_bytes(_token(alt, alt_where), _raw_bytes(alt, alt_where))
            value = _logprob(alt, alt_where)
            listed.append(value)
            if key:
                candidates.setdefault(key, value)
        if chosen:
            candidates.setdefault(chosen, chosen_logprob)
        steps.append(Step(chosen, candidates, min(listed) if listed else None))
    return steps


@dataclass(frozen=True)
class Walk:
    """A label followed along returned positions.

    ``logprob`` sums the pieces found; ``rest`` is what is still missing (b"" = complete). ``below_top_k``:
    a needed piece was not listed, so the label is less likely than every listed alternative there.
    """

    logprob: float
    rest: bytes
    below_top_k: bool = False
    # Below the top-k: the most the whole label's log-prob can be (None: no bound from what was listed).
    ceiling: float | None = None

    @property
    def complete(self) -> bool:
        return not self.rest and not self.below_top_k

    @property
    def needs_more(self) -> bool:
        """The label was on track but the generation left it (or stopped): the next conditional is missing."""
        return bool(self.rest) and not self.below_top_k

    def then(self, more: Walk) -> Walk:
        """This walk continued by ``more`` (a walk of ``self.rest`` after the consumed prefix)."""
        return Walk(self.logprob + more.logprob, more.rest, more.below_top_k)


def walk(label: bytes, steps: list[Step]) -> Walk:
    """Follow ``label``'s bytes along ``steps``, taking at each position the longest listed token that
    continues it (the tokenizer's own split of the label in practice)."""
    logprob, rest = 0.0, label
    for step in steps:
        pieces = [t for t in step.candidates if rest.startswith(t)]
        if not pieces:
            return Walk(logprob, rest, below_top_k=True, ceiling=_unlisted_ceiling(logprob, rest, step))
        piece = max(pieces, key=len)
        logprob += step.candidates[piece]
        rest = rest[len(piece) :]
        if not rest or step.chosen != piece:  # done, or later positions condition on other text
            break
    return Walk(logprob, rest)


def _unlisted_ceiling(logprob: float, rest: bytes, step: Step) -> float | None:
    """The label continues with an unlisted token, one of at most len(rest) byte prefixes of ``rest``, each
    no likelier than the listed top-k's smallest: so P(label) <= P(so far) * len(rest) * P(smallest listed),
    and never more than the mass the listed tokens leave."""
    if step.floor is None:
        return None
    listed_mass = sum(math.exp(lp) for lp in step.candidates.values())
    bound = len(rest) * math.exp(step.floor)
    if listed_mass < 1.0:
        bound = min(bound, 1.0 - listed_mass)
    return logprob + math.log(bound) if bound > 0 else None


def consumed_text(label: str, walk_: Walk) -> str | None:
    """The label text consumed so far (the prefix to continue from), None if it ends inside a character."""
    data = label.encode("utf-8")
    try:
        return data[: len(data) - len(walk_.rest)].decode("utf-8")
    except UnicodeDecodeError:
        return None


def unfinished_share(walks: Mapping[str, Walk], label: str) -> float | None:
    """How far the score can still move when ``label``'s missing conditionals become known.

    With every other label complete, the missing factor lies in (0, 1], so P(label) can only shrink from
    what was seen: the score moves by at most that label's current share. None when another label is
    unfinished too (no bound from what was seen).
    """
    others = [w for other, w in walks.items() if other != label]
    if not all(w.complete or w.below_top_k for w in others):
        return None
    seen = walks[label].logprob
    known = [seen] + [w.logprob for w in others if w.complete]
    top = max(known)
    return math.exp(seen - top) / sum(math.exp(lp - top) for lp in known)


@dataclass(frozen=True)
class LabelScore:
    score: float | None  # P(aligned) normalised over the two labels; None when neither label is listed
    exact: bool
    logprobs: dict[str, float | None]
    notes: tuple[str, ...] = ()
    max_error: float | None = 0.0  # how far the exact score can be from ``score``; None: unknown


def normalised_score(walks: Mapping[str, Walk], aligned: str, notes: Iterable[str] = ()) -> LabelScore:
    """P(``aligned``) among the labels. A label below the top-k counts as probability 0 and an unfinished
    one as if its missing conditionals were 1; either makes the score an approximation, said in ``notes``."""
    notes = list(notes)
    logprobs: dict[str, float | None] = {}
    for label, w in walks.items():
        if w.below_top_k:
            notes.append(f"{label}: not among the returned top log-probs, counted as 0")
            logprobs[label] = None
        else:
            if w.rest:
                notes.append(f"{label}: conditional of its last {len(w.rest)} bytes unknown, counted as 1")
            logprobs[label] = w.logprob
    known = {label: lp for label, lp in logprobs.items() if lp is not None}
    if not known:
        return LabelScore(None, False, logprobs, tuple(notes) or ("no label among the returned log-probs",), None)
    top = max(known.values())
    total = sum(math.exp(lp - top) for lp in known.values())
    score = math.exp(known[aligned] - top) / total if aligned in known else 0.0
    exact = all(w.complete for w in walks.values())
    return LabelScore(score, exact, logprobs, tuple(notes), 0.0 if exact else _max_error(walks))


def _max_error(walks: Mapping[str, Walk]) -> float | None:
    below = [label for label, w in walks.items() if w.below_top_k]
    if below:
        # One label below the top-k, the others complete: it counted as 0 and holds at most its ceiling's share.
        others = [w for label, w in walks.items() if label not in below]
        if len(below) > 1 or not all(w.complete for w in others):
            return None
        ceiling = walks[below[0]].ceiling
        if ceiling is None:
            return None
        known = [ceiling] + [w.logprob for w in others]
        top = max(known)
        return math.exp(ceiling - top) / sum(math.exp(lp - top) for lp in known)
    unfinished = [label for label, w in walks.items() if w.rest]
    return unfinished_share(walks, unfinished[0]) if len(unfinished) == 1 else None
