"""Judging steps of pairs past one process: worker processes on this machine's cores, or actors on a Ray cluster.

A *step* is a list of (question, chunk) pairs; its result is one entry per pair, in order: the Decision, or the
reason the judge refused the pair as invalid input. Every engine maps steps to results in input order with a
bounded number of steps in flight (the input is never read ahead further than that), and each worker builds its
own judge from the judge's configuration (``AlignmentJudge.config``):

    with engine("local", config, workers=4) as judging:      # rules backend on four cores
        for tag, results in judging.map((tag, pairs) for tag, pairs in steps):
            ...

A step whose worker failed (an exception past the judge, a Ray actor that died; Ray restarts it) follows the
judge's ``on_error`` policy: every pair is decided as a failed judgement naming the error ("raise" raises
JudgeError), so no pair is lost and a rerun of a resumable job can judge them again. Worker processes that are
gone (one crashed: the pool takes no more steps) raise WorkersStopped instead; what was written stays.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ea_plugin.errors import EAPluginError, InvalidPairError, JudgeError, OptionError
from ea_plugin.judge import AlignmentJudge, JudgeOptions, check_options, judge_from_config
from ea_plugin.judgement import Judgement, Pair
from ea_plugin.policy import Decision

T = TypeVar("T")
StepResult = list[Decision | str]
ENGINES = ("local", "ray")
# Backends that take a whole accelerator each: never more than one per process on a machine's cores.
ACCELERATOR_BACKENDS = frozenset({"transformers"})


def judge_step(judge: AlignmentJudge, pairs: Sequence[tuple[str, str]]) -> StepResult:
    """Decisions for the pairs in order; where the judge refuses a pair as invalid input, the reason instead."""
    try:
        return list(judge.judge_pairs(pairs))
    except InvalidPairError:  # some pair of the step is invalid to the judge: find which, judge the rest
        results: StepResult = []
        for pair in pairs:
            try:
                results.append(judge.judge_pairs([pair])[0])
            except InvalidPairError as exc:
                results.append(f"invalid pair: {exc}")
        return results


def failed_step(config: dict[str, Any], pairs: Sequence[tuple[str, str]], error: BaseException) -> StepResult:
    """Every pair of a step whose worker failed, decided by the judge's policy as a failed judgement."""
    names = JudgeOptions.names()
    options = JudgeOptions.build(**{k: v for k, v in config.get("options", {}).items() if k in names})
    message = f"worker failed: {type(error).__name__}: {error}"
    failed = Judgement.failed(message, mode=options.mode, backend=config.get("backend", ""))
    return [options.policy.decide(failed, Pair(q, c)) for q, c in pairs]


class WorkersStopped(EAPluginError, RuntimeError):
    """The worker processes are gone (one crashed or could not start): nothing more can be judged. What was
    written stays; a rerun of a resumable job (``ea-judge filter``) goes on from there."""


class Engine:
    """Maps steps to their results in order (see the module docstring); a context manager that stops its workers."""

    def __init__(self, config: dict[str, Any], window: int) -> None:
        self.config = config
        self.window = window

    def map(self, steps: Iterable[tuple[T, Sequence[tuple[str, str]]]]) -> Iterator[tuple[T, StepResult]]:
        pending: collections.deque[tuple[T, Sequence[tuple[str, str]], Any]] = collections.deque()
        for tag, pairs in steps:
            pending.append((tag, pairs, self._submit(list(pairs))))
            if len(pending) >= self.window:
                yield self._finish(*pending.popleft())
        while pending:
            yield self._finish(*pending.popleft())

    def _finish(self, tag: T, pairs: Sequence[tuple[str, str]], handle: Any) -> tuple[T, StepResult]:
        try:
            return tag, self._result(handle)
        except (JudgeError, WorkersStopped):  # on_error="raise" inside the worker, or no workers left to ask
            raise
        except Exception as exc:  # the worker, not the judge, failed: the pairs follow on_error
            return tag, failed_step(self.config, pairs, _cause(exc))

    def _submit(self, pairs: list[tuple[str, str]]) -> Any:
        raise NotImplementedError

    def _result(self, handle: Any) -> StepResult:
        raise NotImplementedError

    def close(self) -> None:
        """Stop the workers (a no-op in-process)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcess(Engine):
    """One judge in this process: the steps are judged as they come (nothing in flight)."""

    def __init__(self, judge: AlignmentJudge) -> None:
        super().__init__({}, window=1)
        self.judge = judge

    def map(self, steps: Iterable[tuple[T, Sequence[tuple[str, str]]]]) -> Iterator[tuple[T, StepResult]]:
        for tag, pairs in steps:
            yield tag, judge_step(self.judge, pairs)


# -- worker processes ---------------------------------------------------------------------------------------
_worker_judge: AlignmentJudge | None = None


def _start_worker(config: dict[str, Any]) -> None:
    global _worker_judge
    _worker_judge = judge_from_config(config)


def _judge_in_worker(pairs: list[tuple[str, str]]) -> StepResult:
    assert _worker_judge is not None, "worker started without its judge"  # noqa: S101
    return judge_step(_worker_judge, pairs)


class Processes(Engine):
    """``workers`` processes of this machine, one judge each (spawned: no state shared with this process)."""

    def __init__(self, config: dict[str, Any], workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        super().__init__(config, window=2 * workers)  # each worker has its next step waiting
        # Built once here too, so what only building finds (a catalog file with a mistake) fails as one clear
        # error before any worker starts, not as workers that die in their initializer.
        judge_from_config(config)
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start_worker, initargs=(config,))

    def _submit(self, pairs: list[tuple[str, str]]) -> Any:
        try:
            return self.pool.submit(_judge_in_worker, pairs)
        except BrokenProcessPool as exc:
            raise WorkersStopped(f"the worker processes stopped: {exc}") from exc

    def _result(self, handle: Any) -> StepResult:
        try:
            return handle.result()
        except BrokenProcessPool as exc:  # a worker died: the pool takes no more steps
            raise WorkersStopped(f"the worker processes stopped: {exc}") from exc

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


# -- Ray actors -----------------------------------------------------------------------------------------------
class StepJudge:
    """One judge in a Ray actor (or anywhere): built from a configuration, judging one step a call."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.judge = judge_from_config(config)

    def judge_step(self, pairs: list[tuple[str, str]]) -> StepResult:
        return judge_step(self.judge, pairs)


def actor_resources(backend: str) -> dict[str, float]:
    """What one judge takes of a Ray node: a GPU for the transformers backend, a CPU otherwise."""
    return {"num_gpus": 1} if backend in ACCELERATOR_BACKENDS else {"num_cpus": 1}


class RayActors(Engine):
    """``workers`` Ray actors, one judge each, on the cluster at ``address`` (None: RAY_ADDRESS, else a local one
    started here). Steps go to the actors in turn; ``base_urls`` (openai) gives actor i the URL i mod len."""

    def __init__(self, config: dict[str, Any], workers: int | None = None, *, address: str | None = None,
                 base_urls: Sequence[str] = ()) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(address=address or os.environ.get("RAY_ADDRESS"), include_dashboard=False,
                     log_to_driver=False)
        resources = actor_resources(config["backend"])
        if workers is None:  # as many judges as the cluster has of what one takes
            kind = "GPU" if "num_gpus" in resources else "CPU"
            workers = max(1, int(ray.cluster_resources().get(kind, 1)))
        actor = ray.remote(max_restarts=1, **resources)(StepJudge)  # type: ignore[call-overload]  # resources: num_cpus/num_gpus
        self.actors = [actor.remote(_with_url(config, base_urls, i)) for i in range(workers)]
        self.turn = 0
        self.ray = ray
        super().__init__(config, window=2 * workers)

    def _submit(self, pairs: list[tuple[str, str]]) -> Any:
        actor = self.actors[self.turn % len(self.actors)]
        self.turn += 1
        return actor.judge_step.remote(pairs)

    def _result(self, handle: Any) -> StepResult:
        return self.ray.get(handle)

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)


def _with_url(config: dict[str, Any], base_urls: Sequence[str], index: int) -> dict[str, Any]:
    if not base_urls:
        return config
    return {**config, "options": {**config.get("options", {}), "base_url": base_urls[index % len(base_urls)]}}


def _cause(error: BaseException) -> BaseException:
    # Ray wraps a task's exception in RayTaskError; the judge's own error is what the message should name.
    cause = getattr(error, "cause", None)
    return cause if isinstance(cause, BaseException) else error


def engine(name: str, config: dict[str, Any], workers: int | None = None, **options: Any) -> Engine:
    """``local``: ``workers`` processes of this machine (None or 1: this process); ``ray``: ``workers`` actors
    (None: as many as the cluster has CPUs, or GPUs for the transformers backend; ``options``: address, base_urls).

    ``config`` is a judge configuration (``AlignmentJudge.config(secrets=True)``), checked here before any
    worker starts. A backend that takes an accelerator (transformers) runs more than one judge only on Ray.
    """
    if name not in ENGINES:
        raise OptionError(f"engine must be one of {ENGINES}, got {name!r}", option="engine")
    check_options(config.get("backend", ""), config.get("options", {}))
    if name == "ray":
        return RayActors(config, workers, **options)
    if options:
        raise OptionError(f"the local engine takes no {sorted(options)}", option=next(iter(options)))
    if workers is not None and workers > 1 and config.get("backend") in ACCELERATOR_BACKENDS:
        raise OptionError(f"workers={workers}: the {config['backend']} backend batches on its accelerator itself, "
                          "and one judge per process would load the model once per worker; use the ray engine "
                          "for one judge per GPU", option="workers")
    if workers is None or workers <= 1:
        return InProcess(judge_from_config(config))
    return Processes(config, workers)
