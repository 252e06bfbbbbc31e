"""AlignmentJudge: input checks, batching, one pipeline for sync and async, and the policy at the end.

Backends only produce judgements; what a judgement (or a failure) means for the chunk is decided by
``ea_plugin.policy.Policy``, once. The pipeline is written once, as a plan (a generator) that yields
each backend call it needs and receives the result; ``judge_*`` drives it with plain calls,
``ajudge_*`` with awaits, so sync and async batch, cascade and decide identically.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import logging
import os
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ea_plugin.backends.base import Backend, call_async
from ea_plugin.errors import (
    EAPluginError,
    InvalidPairError,
    MissingExtraError,
    OptionError,
    UnknownBackendError,
    UnknownOptionError,
    missing_extra,
)
from ea_plugin.judgement import Judgement, Pair, is_blank, validated
from ea_plugin.options import check_choice, check_int, option, same_as
from ea_plugin.policy import Decision, OnError, Policy
from ea_plugin.prompts import Mode

log = logging.getLogger(__name__)

# Chunks longer than this are cut (head kept) and the judgement says truncated=True. ~4000 characters
# is ~3000 Qwen tokens of Chinese; longer passages rarely fit a RAG context anyway.
DEFAULT_MAX_CHUNK_CHARS = 4000
_METHOD: dict[str, str] = {"fast": "score", "think": "generate"}


@dataclass(frozen=True)
class BackendCall:
    """One request of the plan: run the backend in ``mode`` on ``pairs``."""

    mode: Mode
    pairs: list[Pair]

    @property
    def method(self) -> str:
        return _METHOD[self.mode]


# What a driver sends back for a call: what the backend returned, or the exception it raised.
CallResult = Any
Plan = Generator[BackendCall, CallResult, list[Decision]]


@dataclass(frozen=True)
class JudgeOptions:
    """Everything about a judge that is not its backend (each field's help says what it does; the policy's
    fields are Policy's); checked when built: a bad value names its option."""

    mode: Mode = option("`fast`: label right after an empty think block, scored from label log-probs; `think`: "
                        "reasoning, then label", "fast")
    threshold: float = same_as(Policy, "threshold")
    on_error: OnError = same_as(Policy, "on_error")
    cascade: tuple[float, float] | None = same_as(Policy, "cascade")
    min_keep: int = same_as(Policy, "min_keep")
    batch_size: int = option("pairs per backend call (a positive integer)", 32)
    max_chunk_chars: int = option("longer chunks are cut to this many characters (head kept) and the judgement "
                                  "says `truncated=True`", DEFAULT_MAX_CHUNK_CHARS)

    def __post_init__(self) -> None:
        check_choice("mode", self.mode, tuple(_METHOD))
        check_int("batch_size", self.batch_size)
        check_int("max_chunk_chars", self.max_chunk_chars)
        # Building the policy checks its options now, not at the first call; its cascade is a tuple of floats
        # whatever sequence was given (a list read back from a configuration compares equal).
        object.__setattr__(self, "cascade", self.policy.cascade)

    @property
    def policy(self) -> Policy:
        return Policy(threshold=self.threshold, on_error=self.on_error, cascade=self.cascade, min_keep=self.min_keep)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def build(cls, options: JudgeOptions | None = None, **changes: Any) -> JudgeOptions:
        """``options`` (default: the defaults) with ``changes``; an unknown name fails listing the valid ones."""
        for name in changes:
            if name not in cls.names():
                raise UnknownOptionError(name, {"judge options": cls.names()}, "AlignmentJudge")
        return dataclasses.replace(options or cls(), **changes)


class JudgeConfigError(EAPluginError, ValueError):
    """A judge whose configuration cannot be written down as plain data, or a configuration that is not one."""


# Options that hold a secret: never written into a configuration (a saved pipeline file would carry the key).
SECRET_OPTIONS = frozenset({"api_key"})


class AlignmentJudge:
    """Judges (question, chunk) pairs with ``backend`` and decides with its policy.

    ``AlignmentJudge(backend, mode="think", threshold=0.3)`` or ``AlignmentJudge(backend, JudgeOptions(...))``;
    the options are those of ``JudgeOptions``.
    """

    def __init__(self, backend: Backend, options: JudgeOptions | None = None, **changes: Any) -> None:
        self.options = JudgeOptions.build(options, **changes)
        self.backend = backend
        self.policy = self.options.policy
        # (registered name, backend options) where load_judge built the backend: what config() writes down.
        self._backend_spec: tuple[str, dict[str, Any]] | None = None

    @property
    def mode(self) -> Mode:
        return self.options.mode

    @property
    def batch_size(self) -> int:
        return self.options.batch_size

    @property
    def max_chunk_chars(self) -> int:
        return self.options.max_chunk_chars

    @property
    def backend_name(self) -> str:
        """The backend's ``name`` (its registered name), else its class name."""
        return getattr(self.backend, "name", type(self.backend).__name__)

    def config(self, *, secrets: bool = False) -> dict[str, Any]:
        """``{"backend": name, "options": {...}}``, plain JSON data that ``judge_from_config`` (i.e.
        ``load_judge(backend, **options)``) rebuilds this judge from: the backend options given to
        ``load_judge`` and the judge options that differ from the defaults.

        Raises JudgeConfigError where that cannot be done: a backend object built outside ``load_judge``, a
        secret option (``api_key``: give it through the environment instead) unless ``secrets`` (for handing the
        judge to worker processes, never to a file), or an option that is not plain data (a path is written as a
        string).
        """
        if self._backend_spec is None:
            raise JudgeConfigError(
                f"this judge's backend ({self.backend_name}) was built outside load_judge, so its options are "
                "unknown and it cannot be written down; build the judge with ea_plugin.load_judge(name, **options)"
            )
        name, backend_options = self._backend_spec
        defaults = JudgeOptions()
        judge_options = {f: getattr(self.options, f) for f in JudgeOptions.names()
                         if getattr(self.options, f) != getattr(defaults, f)}
        options = {**backend_options, **judge_options}
        for key, value in options.items():
            if key in SECRET_OPTIONS and value is not None and not secrets:
                raise JudgeConfigError(
                    f"option {key!r} is a secret and is not written into a configuration; give it through the "
                    "environment (OPENAI_API_KEY for the openai backend) instead of load_judge's arguments"
                )
        return {"backend": name, "options": {k: _plain(k, v) for k, v in options.items() if v is not None}}

    # -- public API: every call returns one Decision per pair, in input order -----------------------
    def judge(self, question: str, chunk: str, *, policy: Policy | None = None) -> Decision:
        return self.judge_pairs([(question, chunk)], policy=policy)[0]

    def judge_many(self, question: str, chunks: Sequence[str], *, policy: Policy | None = None) -> list[Decision]:
        """All chunks of one question, judged in batches; ``min_keep`` applies to them as one query."""
        return self._drive(self._plan([(question, c) for c in chunks], policy, per_query=True))

    def judge_pairs(self, pairs: Sequence[Pair | tuple[str, str]], *, policy: Policy | None = None) -> list[Decision]:
        """Pairs of any questions; ``min_keep`` does not apply (there is no one query to honour it for)."""
        return self._drive(self._plan(pairs, policy, per_query=False))

    async def ajudge(self, question: str, chunk: str, *, policy: Policy | None = None) -> Decision:
        return (await self.ajudge_pairs([(question, chunk)], policy=policy))[0]

    async def ajudge_many(
        self, question: str, chunks: Sequence[str], *, policy: Policy | None = None
    ) -> list[Decision]:
        return await self._adrive(self._plan([(question, c) for c in chunks], policy, per_query=True))

    async def ajudge_pairs(
        self, pairs: Sequence[Pair | tuple[str, str]], *, policy: Policy | None = None
    ) -> list[Decision]:
        return await self._adrive(self._plan(pairs, policy, per_query=False))

    # -- drivers: the only code that differs between sync and async ----------------------------------
    def _drive(self, plan: Plan) -> list[Decision]:
        result: CallResult = None
        try:
            while True:
                call = plan.send(result)
                try:
                    result = getattr(self.backend, call.method)(call.pairs)
                except Exception as exc:  # handed to the plan: a whole-batch failure gets the policy
                    result = exc
        except StopIteration as done:
            return done.value

    async def _adrive(self, plan: Plan) -> list[Decision]:
        result: CallResult = None
        try:
            while True:
                call = plan.send(result)
                try:
                    result = await call_async(self.backend, call.method, call.pairs)
                except Exception as exc:
                    result = exc
        except StopIteration as done:
            return done.value

    # -- the plan ---------------------------------------------------------------------------------
    def _plan(self, items: Sequence[Pair | tuple[str, str]], policy: Policy | None, *, per_query: bool) -> Plan:
        policy = policy or self.policy
        pairs, truncated = self._prepare(items)
        judgements = yield from self._batched(self.mode, pairs)
        uncertain = [i for i, j in enumerate(judgements) if j.mode == "fast" and policy.uncertain(j)]
        if self.mode == "fast" and uncertain:
            second = yield from self._batched("think", [pairs[i] for i in uncertain])
            for index, think in zip(uncertain, second, strict=True):
                judgements[index] = _second_opinion(judgements[index], think)
        decisions = [
            policy.decide(dataclasses.replace(j, truncated=j.truncated or cut), pair)
            for pair, cut, j in zip(pairs, truncated, judgements, strict=True)
        ]
        return policy.top_up(decisions) if per_query else decisions

    def _batched(self, mode: Mode, pairs: list[Pair]) -> Generator[BackendCall, CallResult, list[Judgement]]:
        judgements: list[Judgement] = []
        for start in range(0, len(pairs), self.batch_size):
            batch = pairs[start : start + self.batch_size]
            judgements += self._received(mode, batch, (yield BackendCall(mode, batch)))
        return judgements

    def _received(self, mode: Mode, batch: list[Pair], result: CallResult) -> list[Judgement]:
        """One judgement per pair of ``batch`` from whatever the backend gave back; never fails the batch."""
        if isinstance(result, BaseException):
            error = f"{type(result).__name__}: {result}"
        elif not isinstance(result, (list, tuple)) or len(result) != len(batch):
            count = len(result) if isinstance(result, (list, tuple)) else type(result).__name__
            error = f"backend returned {count} judgements for {len(batch)} pairs"
        else:
            return [
                validated(j) if isinstance(j, Judgement) else
                self._failed(mode, f"backend returned {type(j).__name__}, not a Judgement")
                for j in result
            ]
        log.warning("backend %s failed on a batch of %d: %s", self.backend_name, len(batch), error)
        return [self._failed(mode, error) for _ in batch]

    def _failed(self, mode: Mode, error: str) -> Judgement:
        return Judgement.failed(error, mode=mode, backend=self.backend_name)

    def _prepare(self, items: Sequence[Pair | tuple[str, str]]) -> tuple[list[Pair], list[bool]]:
        pairs, truncated = [], []
        for item in items:
            question, chunk = (item.question, item.chunk) if isinstance(item, Pair) else item
            _check_text("question", question)
            _check_text("chunk", chunk)
            cut = len(chunk) > self.max_chunk_chars
            pairs.append(Pair(question, chunk[: self.max_chunk_chars] if cut else chunk))
            truncated.append(cut)
        return pairs, truncated


def _plain(option: str, value: Any) -> Any:
    """``value`` as JSON data (tuples as lists, paths as strings), or JudgeConfigError naming the option."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [_plain(option, item) for item in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _plain(option, v) for k, v in value.items()}
    raise JudgeConfigError(f"option {option!r} holds a {type(value).__name__}, not plain data (numbers, strings, "
                           "lists, mappings): the judge cannot be written down; pass it as plain data")


def judge_from_config(config: Mapping[str, Any]) -> AlignmentJudge:
    """The judge that ``AlignmentJudge.config()`` wrote down: ``load_judge(config["backend"], **config["options"])``."""
    if not isinstance(config, Mapping) or not isinstance(config.get("backend"), str) or \
            not isinstance(config.get("options", {}), Mapping):
        raise JudgeConfigError(f"a judge configuration is {{'backend': str, 'options': dict}}, got {config!r:.120}")
    unknown = set(config) - {"backend", "options"}
    if unknown:
        raise JudgeConfigError(f"a judge configuration has only 'backend' and 'options', got also {sorted(unknown)}")
    return load_judge(config["backend"], **config.get("options", {}))


def _second_opinion(fast: Judgement, think: Judgement) -> Judgement:
    """The think-mode judgement replaces the fast one; if it failed, the fast one stands, noting why."""
    if not think.ok:
        return dataclasses.replace(fast, extra={**fast.extra, "cascade_error": think.error or "no label"})
    return dataclasses.replace(think, extra={**think.extra, "cascade_from_score": fast.score})


def _check_text(field: str, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidPairError("must be a string", field=field, value=value)
    if is_blank(value):
        raise InvalidPairError("must not be empty (or only whitespace and invisible characters)", field=field,
                               value=value)


def load_judge(backend: str = "rules", **options: Any) -> AlignmentJudge:
    """Build a judge around a registered backend.

    Options named like a ``JudgeOptions`` field (mode, threshold, on_error, cascade, min_keep,
    batch_size, max_chunk_chars) configure the judge; the others go to the backend's factory, e.g.
    ``load_judge("openai", base_url="http://127.0.0.1:8000/v1", model="entity-alignment")``. A name that
    neither takes fails here, listing both sets of valid names. Without ``batch_size``, a backend's
    ``preferred_batch_size`` (if it has one) is the judge's.
    """
    factory, judge_options = check_options(backend, options)
    judge_names = JudgeOptions.names()
    try:
        built = factory(**{k: v for k, v in options.items() if k not in judge_names})
    except ImportError as exc:  # e.g. torch for "transformers": name the extra that installs it
        if isinstance(exc, MissingExtraError) or missing_extra(exc) is exc:
            raise
        raise missing_extra(exc, f"the {backend} backend") from exc
    preferred = getattr(built, "preferred_batch_size", None)
    if "batch_size" not in options and isinstance(preferred, int) and preferred > 0:
        # A backend that batches on its own (the transformers one) is fastest given several forwards' worth.
        judge_options = dataclasses.replace(judge_options, batch_size=preferred)
    judge = AlignmentJudge(built, judge_options)
    judge._backend_spec = (backend, {k: v for k, v in options.items() if k not in judge_names})
    return judge


def check_options(backend: str, options: Mapping[str, Any]) -> tuple[Any, JudgeOptions]:
    """The backend's factory and the judge options, once every option name and judge option value is checked
    (what ``load_judge`` checks before it builds anything, for callers that build the judge elsewhere)."""
    from ea_plugin.plugins import backend_factories

    factories = backend_factories()
    if backend not in factories:
        close = difflib.get_close_matches(str(backend), list(factories), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownBackendError(f"no backend named {backend!r}{hint}; registered: {sorted(factories)}")
    factory = factories[backend]
    judge_names = JudgeOptions.names()
    backend_names = factory_options(factory)
    for name in options:
        if name not in judge_names and backend_names is not None and name not in backend_names:
            valid = {"judge options": judge_names, f"{backend} backend options": backend_names}
            raise UnknownOptionError(name, valid, f"load_judge({backend!r})")
    missing = [name for name in required_options(factory) if name not in options]
    if missing:  # the factory would raise a TypeError naming a parameter, not the option or its flag
        flags = ", ".join(f"{name} (--{name.replace('_', '-')})" for name in missing)
        raise OptionError(f"load_judge({backend!r}): the {backend} backend needs {flags}", option=missing[0])
    return factory, JudgeOptions.build(**{k: v for k, v in options.items() if k in judge_names})


def required_options(factory: Any) -> list[str]:
    """The keyword options a backend factory cannot do without (no default in its signature)."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.default is inspect.Parameter.empty
            and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]


def factory_options(factory: Any) -> list[str] | None:
    """The keyword options a backend factory takes (from its signature), or None when it takes any."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable without a readable signature
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return [p.name for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                       inspect.Parameter.KEYWORD_ONLY)]
