"""The judge over any OpenAI-compatible chat server (vLLM, LLaMA-Factory's API, ...).

``load_judge("openai", base_url="http://127.0.0.1:8000/v1", model="entity-alignment")``.

Think mode asks for the reasoning and the label (``enable_thinking: true``). Fast mode asks for a few tokens
with ``logprobs``; the score is P(对齐) over the two labels' full token sequences (label_logprobs.py). Where
the generated branch leaves a label after its first token, one follow-up request continues the assistant
message with that label's first piece (vLLM's ``continue_final_message``) to read the missing conditional,
unless it cannot move the score by ``score_tolerance``; a server that refuses it gets an approximation.
``judgement.extra`` records which (score_exact, score_max_error, score_note).

Requests run concurrently on AsyncOpenAI, at most ``concurrency`` at once, with an explicit retry loop
(backoff, ``Retry-After``) on timeouts, connection errors, 408/409/429 and 5xx. Every pair gets exactly one
judgement, in input order; a failure is a Judgement.failed with the reason, and the judge's policy decides.
``openai`` is imported on first use, so ``import ea_plugin`` works without it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import ssl
import threading
import weakref
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ea_plugin.backends.openai.label_logprobs import (
    MalformedLogprobs,
    Walk,
    consumed_text,
    normalised_score,
    read_steps,
    unfinished_share,
    walk,
)
from ea_plugin.backends.openai.loop_thread import LoopClosed, LoopThread
from ea_plugin.backends.openai.reply import MalformedReply, Reply, read_reply
from ea_plugin.errors import BackendClosedError, ModeNotSupportedError, OptionError, missing_extra
from ea_plugin.judgement import Judgement, Pair, ParsedAnswer, parse_answer, parse_teacher_answer
from ea_plugin.options import (
    build_options,
    check_choice,
    check_http_url,
    check_int,
    check_number,
    check_type,
    option,
    options_signature,
)
from ea_plugin.plugins import hookimpl
from ea_plugin.prompts import (
    ALIGNED,
    LABELS,
    TEACHER_TEMPLATE_KWARGS,
    UNALIGNED,
    Mode,
    build_messages,
    build_teacher_messages,
    chat_template_kwargs,
    generation_prefix,
)

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.chat import ChatCompletion

log = logging.getLogger(__name__)
RETRY_STATUS = frozenset({408, 409, 429})
THINKING_IN_FAST_MODE = (
    "a fast-mode reply that thinks: the server may ignore chat_template_kwargs enable_thinking=false "
    "(LLaMA-Factory's API sets it per server: start one with enable_thinking: false for fast mode), "
    "or the model was not trained to answer without thinking"
)
MAX_RETRY_AFTER_S = 30.0
PROMPTS = ("judge", "teacher")
MAX_TOP_LOGPROBS = 20  # the OpenAI API's limit, and vLLM's default --max-logprobs
BASE_URL_ENV, API_KEY_ENV = "OPENAI_BASE_URL", "OPENAI_API_KEY"
DEFAULT_API_KEY = "EMPTY"  # vLLM and LLaMA-Factory accept any key; the client refuses none


class RequestFailed(Exception):
    """A request that failed for good (after retries); the message is what the judgement records."""

    def __init__(self, message: str, attempts: int, status: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.status = status  # the HTTP status of the last attempt, None for timeouts and connection errors

    @property
    def refused(self) -> bool:
        """The server answered with a 4xx that retrying cannot fix: it does not accept this request."""
        return self.status is not None and 400 <= self.status < 500 and self.status not in RETRY_STATUS


@dataclass
class _Batch:
    """Per-batch state: the client, the loop's limit, and the first "server unreachable" error, so the
    other pairs stop retrying a server that is down."""

    client: AsyncOpenAI
    semaphore: asyncio.Semaphore
    down: str | None = None


@dataclass(frozen=True)
class OpenAIOptions:
    """The openai backend's options (each field's help says what it does), checked when built: a bad value
    raises OptionError naming it."""

    base_url: str | None = option(f"the server's http(s) URL up to /v1 (default: ${BASE_URL_ENV})", None)
    model: str | None = option("the served model's name (required)", None)
    api_key: str | None = option(f"API key (default: ${API_KEY_ENV}, else {DEFAULT_API_KEY!r}); never written "
                                 "into a judge's config", None)
    timeout: float = option("seconds one request may take", 30.0)
    max_retries: int = option("retries after the first attempt, on timeouts, connection errors, 408/409/429 "
                              "and 5xx", 2)
    concurrency: int = option("most requests in flight at once", 16)
    max_tokens: int = option("most tokens of a think-mode answer", 1024)
    fast_max_tokens: int = option("most tokens of a fast-mode answer", 4)
    top_logprobs: int = option(f"alternatives per token asked for in fast mode (0-{MAX_TOP_LOGPROBS}, the "
                               "API's range)", 20)
    retry_backoff: float = option("the n-th retry waits retry_backoff * 2**(n-1) seconds (or the server's "
                                  f"Retry-After, at most {MAX_RETRY_AFTER_S:g} s)", 0.5)
    exact_score: bool = option("fast mode: make a follow-up request where the other label's missing "
                               "conditional can move the score; False: never (an approximation)", True)
    score_tolerance: float = option("fast mode: skip the follow-up where it moves the score by less", 1e-3)
    extra_body: dict[str, Any] | None = option("fields sent with every request (e.g. vLLM sampling options)",
                                               None)
    prompt: str = option("'judge', or 'teacher': a large model labelling training data (think mode only: "
                         "four steps and a <label> tag, thinking off)", "judge")
    temperature: float = option("sampling temperature (0-2); matters for a teacher's sampled votes", 0.0)
    template_kwargs: bool = option("send chat_template_kwargs (enable_thinking); False for hosted APIs that "
                                   "refuse unknown fields", True)

    def __post_init__(self) -> None:
        # As every OpenAI client does: the environment fills what the caller left out (an explicit value wins).
        if self.base_url is None:
            object.__setattr__(self, "base_url", os.environ.get(BASE_URL_ENV))
            if self.base_url is None:
                raise OptionError(f"the openai backend needs base_url (--base-url), or {BASE_URL_ENV} set: the "
                                  "server's URL up to /v1", option="base_url")
        if self.model is None:
            raise OptionError("the openai backend needs model (--model): the served model's name", option="model")
        if self.api_key is None:
            object.__setattr__(self, "api_key", os.environ.get(API_KEY_ENV) or DEFAULT_API_KEY)
        check_http_url("base_url", self.base_url)
        for name in ("model", "api_key"):
            check_type(name, getattr(self, name), str, "a string")
        if not self.model.strip():
            raise OptionError(f"model must name the served model, got {self.model!r}", option="model")
        check_number("timeout", self.timeout, 0.0, low_open=True)
        check_int("max_retries", self.max_retries, minimum=0)
        for name in ("concurrency", "max_tokens", "fast_max_tokens"):
            check_int(name, getattr(self, name))
        check_int("top_logprobs", self.top_logprobs, minimum=0, maximum=MAX_TOP_LOGPROBS)
        check_number("retry_backoff", self.retry_backoff, 0.0)
        check_number("score_tolerance", self.score_tolerance, 0.0, 1.0)
        check_choice("prompt", self.prompt, PROMPTS)
        check_number("temperature", self.temperature, 0.0, 2.0)
        for name in ("exact_score", "template_kwargs"):
            check_type(name, getattr(self, name), bool, "True or False")
        check_type("extra_body", self.extra_body, (dict, type(None)), "a dict of request fields or None")
        object.__setattr__(self, "extra_body", dict(self.extra_body or {}))  # the caller's dict is not shared


class OpenAIBackend:
    """Backend over an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Takes OpenAIOptions' options as keywords, or ``options=`` an OpenAIOptions; ``self.options`` holds them.
    """

    name = "openai"
    options_type = OpenAIOptions  # its options, each with default and help (docs and --help read them)
    __signature__ = options_signature(OpenAIOptions)

    def __init__(self, *args: Any, options: OpenAIOptions | None = None, **changes: Any) -> None:
        self.options = build_options(OpenAIOptions, options, args, changes, "the openai backend")
        if importlib.util.find_spec("openai") is None:
            raise missing_extra(ModuleNotFoundError(name="openai"), "the openai backend")
        # Set once the server refused a follow-up request: later pairs approximate without asking again.
        self._no_continuation: str | None = None
        # One semaphore per event loop, so the limit holds across concurrent calls on a loop. A plain dict,
        # pruned of closed loops: a semaphore holds its loop, so weak keys would never die.
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
        self._runner: LoopThread | None = None  # the loop sync calls run on, made on first use
        # The runner's client and the runner it belongs to: it lives as long as that runner (connections are
        # reused), and a client built for a runner that close() stopped meanwhile is never handed to a later one.
        self._runner_client: tuple[LoopThread, AsyncOpenAI] | None = None
        self._runner_lock = threading.Lock()
        self._ssl_context: ssl.SSLContext | None = None

    def __repr__(self) -> str:
        return f"OpenAIBackend(base_url={self.options.base_url!r}, model={self.options.model!r})"

    # -- Backend protocol ---------------------------------------------------------------------------
    def score(self, pairs: list[Pair]) -> list[Judgement]:
        return self._run_sync(self.ascore(pairs))

    def generate(self, pairs: list[Pair]) -> list[Judgement]:
        return self._run_sync(self.agenerate(pairs))

    async def ascore(self, pairs: list[Pair]) -> list[Judgement]:
        if self.options.prompt == "teacher":
            raise ModeNotSupportedError("the teacher prompt answers in think mode only (four steps, then the tag)")
        return await self._batch(pairs, "fast")

    async def agenerate(self, pairs: list[Pair]) -> list[Judgement]:
        return await self._batch(pairs, "think")

    def close(self) -> None:
        """Close the sync calls' loop and client (also done when the backend is garbage-collected).
        A sync call in flight raises BackendClosedError at once; a later call opens a new loop and client.
        Async calls close their client at the end of each batch, so there is nothing else to close."""
        with self._runner_lock:
            runner, self._runner, self._runner_client = self._runner, None, None
        if runner is not None:
            runner.stop()
            runner.join(timeout=10)

    def __enter__(self) -> OpenAIBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run_sync(self, coro: Coroutine[Any, Any, list[Judgement]]) -> list[Judgement]:
        try:
            return self._loop_thread().run(coro)
        except LoopClosed as exc:
            raise BackendClosedError(f"the openai backend was closed during this call ({exc})") from None

    def _loop_thread(self) -> LoopThread:
        with self._runner_lock:
            if self._runner is None:
                self._runner = LoopThread(name=f"ea-openai-{self.options.model}")
                weakref.finalize(self, self._runner.stop)  # the callback holds the runner, not the backend
            return self._runner

    def _new_client(self) -> AsyncOpenAI:
        import openai

        if self._ssl_context is None:  # building one loads the CA store (~40 ms); clients can share it
            self._ssl_context = _default_ssl_context()
        # Retries are ours (explicit, with Retry-After), so the client's own are off.
        return openai.AsyncOpenAI(
            base_url=self.options.base_url, api_key=self.options.api_key, timeout=self.options.timeout, max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(verify=self._ssl_context),
        )

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[AsyncOpenAI]:
        """The sync calls' loop keeps one client; any other loop gets one per batch, closed at its end
        (a caller's loop may end with the batch, as under asyncio.run, and a client cannot outlive it)."""
        loop = asyncio.get_running_loop()
        runner = self._runner
        if runner is not None and loop is runner.loop:
            owner, client = self._runner_client or (None, None)
            if owner is not runner or client is None:
                client = self._new_client()
                self._runner_client = (runner, client)
                runner.on_stop(client.close)
            yield client
        else:
            async with self._new_client() as client:
                yield client

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._semaphores:
            for dead in [other for other in self._semaphores if other.is_closed()]:
                del self._semaphores[dead]
            self._semaphores[loop] = asyncio.Semaphore(self.options.concurrency)
        return self._semaphores[loop]

    # -- batch and pair -----------------------------------------------------------------------------
    async def _batch(self, pairs: list[Pair], mode: Mode) -> list[Judgement]:
        async with self._client() as client:
            batch = _Batch(client, self._semaphore())
            # gather keeps input order; _pair never raises for a per-pair failure.
            return list(await asyncio.gather(*(self._pair(batch, pair, mode) for pair in pairs)))

    async def _pair(self, batch: _Batch, pair: Pair, mode: Mode) -> Judgement:
        async with batch.semaphore:
            try:
                if mode == "think":
                    return await self._think(batch, pair)
                return await self._fast(batch, pair)
            except RequestFailed as exc:
                return Judgement.failed(str(exc), mode=mode, backend=self.name, extra={"attempts": exc.attempts})
            except MalformedLogprobs as exc:
                error = f"malformed log-probs from {self.options.base_url}: {exc}"
                return Judgement.failed(error, mode=mode, backend=self.name)
            except MalformedReply as exc:
                return Judgement.failed(f"malformed reply from {self.options.base_url}: {exc}", mode=mode,
                                        backend=self.name)
            except Exception as exc:  # noqa: BLE001 - a reply no check foresaw is still this pair's failure alone
                log.warning("openai backend: unexpected %s reading a reply: %s", type(exc).__name__, exc)
                return Judgement.failed(f"unexpected {type(exc).__name__} reading the reply from "
                                        f"{self.options.base_url}: {exc}", mode=mode, backend=self.name)

    async def _think(self, batch: _Batch, pair: Pair) -> Judgement:
        teacher = self.options.prompt == "teacher"
        messages = (build_teacher_messages if teacher else build_messages)(pair.question, pair.chunk)
        completion, attempts = await self._request(
            batch, messages, mode="think", max_tokens=self.options.max_tokens,
            template_kwargs=TEACHER_TEMPLATE_KWARGS if teacher else None,
        )
        reply = read_reply(completion)
        extra = {"attempts": attempts, **reply.facts, "prompt": self.options.prompt}
        return self._judgement(reply, "think", score=None, extra=extra)

    async def _fast(self, batch: _Batch, pair: Pair) -> Judgement:
        completion, attempts = await self._request(
            batch,
            build_messages(pair.question, pair.chunk),
            mode="fast",
            max_tokens=self.options.fast_max_tokens,
            logprobs=True,
            top_logprobs=self.options.top_logprobs,
        )
        reply = read_reply(completion)
        extra = {"attempts": attempts, **reply.facts}
        steps = read_steps(reply.logprobs)
        if not steps:
            extra.update(score_exact=False, score_note="the server returned no log-probs: score unknown")
            return self._judgement(reply, "fast", score=None, extra=extra)
        walks = {label: walk(label.encode("utf-8"), steps) for label in LABELS}
        notes: list[str] = []
        followups = 0
        for label, label_walk in walks.items():
            if not label_walk.needs_more:
                continue
            share = unfinished_share(walks, label)
            if share is not None and share < self.options.score_tolerance:  # cannot move the score enough to matter
                notes.append(f"{label}: follow-up skipped, it moves the score by < {share:.1e}")
                continue
            more, note = await self._continue_label(batch, pair, label, label_walk)
            followups += more is not None
            walks[label] = label_walk.then(more) if more is not None else label_walk
            notes += [note] if note else []
        result = normalised_score(walks, ALIGNED, notes)
        extra.update(
            score_exact=result.exact, score_max_error=result.max_error, label_logprobs=result.logprobs,
            followups=followups,
        )
        if result.notes:
            extra["score_note"] = "; ".join(result.notes)
        return self._judgement(reply, "fast", score=result.score, extra=extra)

    async def _continue_label(self, batch: _Batch, pair: Pair, label: str, so_far: Walk) -> tuple[Walk | None, str]:
        """The rest of ``label`` after its consumed prefix, read from a continuation of the assistant message."""
        if not self.options.exact_score:
            return None, "exact scoring is off (exact_score=False)"
        if self._no_continuation:
            return None, self._no_continuation
        prefix = consumed_text(label, so_far)
        if prefix is None:
            return None, f"{label}: the generated branch splits a character; cannot continue from it"
        messages = [
            *build_messages(pair.question, pair.chunk),
            {"role": "assistant", "content": generation_prefix("fast") + prefix},
        ]
        try:
            completion, attempts = await self._request(
                batch,
                messages,
                mode="fast",
                max_tokens=self.options.fast_max_tokens,
                logprobs=True,
                top_logprobs=self.options.top_logprobs,
                continuation=True,
            )
            steps = read_steps(read_reply(completion).logprobs)
        except RequestFailed as exc:  # the label stands; only the score becomes an approximation
            if exc.refused:
                self._no_continuation = f"server refused continue_final_message ({exc})"
            return None, f"{label}: follow-up request failed ({exc})"
        except (MalformedLogprobs, MalformedReply) as exc:
            return None, f"{label}: follow-up reply malformed ({exc})"
        if not steps:
            return None, f"{label}: follow-up returned no log-probs"
        return walk(so_far.rest, steps), ""

    def _judgement(self, reply: Reply, mode: Mode, *, score: float | None, extra: dict[str, Any]) -> Judgement:
        content = reply.content
        parse = parse_teacher_answer if self.options.prompt == "teacher" else parse_answer
        parsed: ParsedAnswer = parse(content, reasoning=reply.reasoning)
        fields: dict[str, Any] = dict(score=score, reasoning=parsed.reasoning, raw=content, mode=mode,
                                      backend=self.name, extra=extra)
        if parsed.label is None and mode == "fast" and not parsed.reasoning and score is not None and \
                _score_decides(score, extra):
            # Fast mode is scored from the label log-probs: text the model wrote after the label (cut by
            # fast_max_tokens) does not hide a label the scores settle, as the transformers backend reads none.
            extra["label_from"] = f"log-probs ({parsed.error})"
            return Judgement(ALIGNED if score >= 0.5 else UNALIGNED, **fields)
        if parsed.label is None:
            error = parsed.error or "no label in the reply"
            if mode == "fast" and parsed.reasoning:
                error += f" ({THINKING_IN_FAST_MODE})"
            return Judgement.failed(error, **fields)
        return Judgement(parsed.label, **fields)

    # -- one request with retries -------------------------------------------------------------------
    async def _request(
        self,
        batch: _Batch,
        messages: list[dict[str, str]],
        *,
        mode: Mode,
        max_tokens: int,
        continuation: bool = False,
        template_kwargs: dict[str, bool] | None = None,
        **options: Any,
    ) -> tuple[ChatCompletion, int]:
        import openai

        kwargs = template_kwargs if template_kwargs is not None else chat_template_kwargs(mode)
        extra_body: dict[str, Any] = {**(self.options.extra_body or {}), "chat_template_kwargs": kwargs}
        if not self.options.template_kwargs:
            del extra_body["chat_template_kwargs"]
        if continuation:
            extra_body.update(continue_final_message=True, add_generation_prompt=False)
        attempts = 0
        while True:
            if batch.down:  # another pair already found the server unreachable: do not hammer it
                raise RequestFailed(batch.down, attempts)
            attempts += 1
            retry_after: float | None = None
            status: int | None = None
            try:
                # The client's timeout bounds each read, so a server sending a byte now and then never times
                # out there; this bounds the whole request.
                completion = await asyncio.wait_for(batch.client.chat.completions.create(
                    model=self.options.model or "",  # never empty: checked when the options were built
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=max_tokens,
                    temperature=self.options.temperature,
                    extra_body=extra_body,
                    **options,
                ), self.options.timeout)
                return completion, attempts
            except (openai.APITimeoutError, TimeoutError):
                error, retryable = f"timeout: no reply within {self.options.timeout}s", True
            except openai.APIConnectionError as exc:
                error, retryable = f"server unreachable at {self.options.base_url}: {exc.__cause__ or exc}", True
                # Only a refused connection says the server is down; one dropped after the request was sent
                # (the server crashed on it, a proxy cut it) is this request's failure, not its neighbours'.
                if attempts > self.options.max_retries and _refused_connection(exc):
                    batch.down = f"{error} (after {attempts} attempts)"
                elif not _refused_connection(exc):
                    error = f"connection dropped by {self.options.base_url}: {exc.__cause__ or exc}"
            except openai.APIStatusError as exc:
                status = exc.status_code
                error = f"HTTP {status} from {self.options.base_url}: {_error_detail(exc)}"
                retryable = status in RETRY_STATUS or status >= 500
                retry_after = _retry_after(exc)
            except ValueError as exc:  # a 200 whose body is not JSON (a proxy's page, a broken server)
                error, retryable = f"malformed reply from {self.options.base_url}: {exc}", False
            except RecursionError:  # a body nested thousands deep: the client's JSON parser gives up
                error, retryable = f"malformed reply from {self.options.base_url}: JSON nested too deep to read", False
            if not retryable or attempts > self.options.max_retries:
                raise RequestFailed(f"{error} (after {attempts} attempt{'s' * (attempts > 1)})", attempts, status)
            delay = self.options.retry_backoff * 2 ** (attempts - 1)
            await asyncio.sleep(max(delay, retry_after or 0.0))


def _refused_connection(exc: BaseException) -> bool:
    """The connection could not be made at all (nothing listens, host unreachable), as opposed to dropped.

    Matched by class name: the openai package wraps the exception of its own HTTP library (httpx or its
    fork httpx2, depending on the version), and both name it ConnectError.
    """
    cause = exc.__cause__
    return cause is not None and any(cls.__name__ == "ConnectError" for cls in type(cause).__mro__)


def _default_ssl_context() -> ssl.SSLContext:
    """The trust store httpx uses by default (certifi's bundle where installed)."""
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _error_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        detail = body.get("message") or body.get("detail") or body.get("error") or body
        return str(detail)[:200]
    return str(getattr(exc, "message", exc))[:200]


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return min(float(value), MAX_RETRY_AFTER_S) if value else None
    except ValueError:
        return None


@hookimpl
def ea_register_backends(register) -> None:  # noqa: ANN001 - pluggy passes the registrar
    register("openai", OpenAIBackend)


def _score_decides(score: float | None, extra: dict[str, Any]) -> bool:
    """Whether a fast-mode score settles the label: known, and its possible error cannot cross 0.5."""
    if score is None:
        return False
    max_error = 0.0 if extra.get("score_exact") else extra.get("score_max_error")
    return max_error is not None and abs(score - 0.5) > max_error
