"""Merge concurrent backend calls into shared batches: many small queries, one forward.

A RAG service judges each user's query (say 10 chunks) in its own call, from many threads or asyncio
tasks at once. Run one after another, each is a small forward that leaves a GPU mostly idle. The
coalescer queues the calls; one worker thread takes every queued call of the same method, runs them
as one backend call (the backend sorts and packs the pairs), and hands each caller its own results.
When the worker is idle, the first call waits at most ``max_wait`` seconds for company; while the
worker is busy, calls pile up anyway and go together into the next batch.

One call's failure is its own: if a merged batch raises, its calls are run again one by one, so only
the caller whose pairs caused it gets the exception. A caller that gives up (a cancelled or timed-out
asyncio task) is skipped, and the worker goes on serving the others.

``close()`` finishes every call already queued, then stops the worker; a call made after it raises
``CoalescerClosed`` at once (never waits).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")  # one pair in
R = TypeVar("R")  # one result out


class CoalescerClosed(RuntimeError):
    """A call made after ``Coalescer.close()``: it was not queued (the caller may run it another way)."""


@dataclass
class _Request(Generic[T, R]):
    method: str
    items: list[T]
    future: Future[list[R]] = field(default_factory=Future)
    arrived: float = field(default_factory=time.monotonic)


class Coalescer(Generic[T, R]):
    """Runs ``run(method, items) -> results`` (one result per item, in order) for merged calls.

    Args:
        run: the batch function, called from the worker thread only (so it needs no lock of its own).
        max_wait: seconds the first queued call waits for others when the worker is idle.
        max_items: most items in one merged call; a single call larger than this still runs whole.
    """

    def __init__(self, run: Callable[[str, list[T]], list[R]], max_wait: float = 0.002, max_items: int = 1024,
                 name: str = "ea-coalescer") -> None:
        if not 0 <= max_wait < math.inf or max_items < 1:  # an infinite wait would hold the first call forever
            raise ValueError(f"max_wait must be >= 0 and max_items >= 1, got {max_wait} and {max_items}")
        self._run, self.max_wait, self.max_items, self._name = run, max_wait, max_items, name
        self._pending: list[_Request[T, R]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # merged calls made (for tests and benchmarks)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- callers ----------------------------------------------------------------------------------
    def submit(self, method: str, items: Sequence[T]) -> Future[list[R]]:
        """Queue one call; its future gets the results (or the exception). Raises CoalescerClosed after close()."""
        request: _Request[T, R] = _Request(method, list(items))
        with self._cond:
            if self._closed:
                raise CoalescerClosed(f"{self._name}: the coalescer is closed; this call was not run")
            if not request.items:
                request.future.set_result([])
                return request.future
            self._pending.append(request)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()
        return request.future

    def call(self, method: str, items: Sequence[T]) -> list[R]:
        """Submit and block until this call's results are ready (any thread but the worker's)."""
        if threading.current_thread() is self._thread:
            return self._run(method, list(items))  # re-entrant use from inside a batch: run it directly
        return self.submit(method, items).result()

    async def acall(self, method: str, items: Sequence[T]) -> list[R]:
        """Await this call's results without blocking the event loop; cancelling the task withdraws the call
        if it has not started (a started one runs on, its results unused)."""
        return await asyncio.wrap_future(self.submit(method, items))

    def close(self, wait: bool = True) -> None:
        """Refuse new calls, finish those queued, then stop the worker thread (``wait``: until it has)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    # -- the worker -------------------------------------------------------------------------------
    def _serve(self) -> None:
        batch: list[_Request[T, R]] = []
        try:
            while True:
                with self._cond:
                    taken = self._next_batch()
                    if taken is None:  # closed and drained
                        self._thread = None
                        return
                method, batch = taken
                if batch:  # empty when every caller of the batch gave up: nothing to run, serve the next
                    self._execute(method, batch)
                batch = []
        except BaseException as exc:
            # A fault of the worker itself: no caller may wait forever, and a later call starts a new worker.
            with self._cond:
                orphans, self._pending, self._thread = batch + self._pending, [], None
            for request in orphans:
                _fail(request.future, exc)
            raise

    def _next_batch(self) -> tuple[str, list[_Request[T, R]]] | None:
        """Wait for work (and briefly for company), then take the first method's calls up to max_items; None
        once closed with nothing queued. Calls whose caller gave up are dropped from what is taken."""
        while not self._pending and not self._closed:
            self._cond.wait()
        if not self._pending:
            return None
        method = self._pending[0].method
        while not self._closed and self._queued(method) < self.max_items:
            left = self._pending[0].arrived + self.max_wait - time.monotonic()
            if left <= 0:
                break
            self._cond.wait(left)
        taken: list[_Request[T, R]] = []
        rest: list[_Request[T, R]] = []
        count = 0
        for request in self._pending:
            if request.method == method and (not taken or count + len(request.items) <= self.max_items):
                taken.append(request)
                count += len(request.items)
            else:
                rest.append(request)
        self._pending = rest
        return method, [r for r in taken if _start(r.future)]

    def _queued(self, method: str) -> int:
        return sum(len(r.items) for r in self._pending if r.method == method and not r.future.cancelled())

    def _execute(self, method: str, batch: list[_Request[T, R]]) -> None:
        merged = [item for request in batch for item in request.items]
        try:
            self.batches += 1
            results = self._run(method, merged)
            if not isinstance(results, Sequence) or len(results) != len(merged):
                count = len(results) if isinstance(results, Sequence) else type(results).__name__
                raise RuntimeError(f"the batch function returned {count} results for {len(merged)} items")
        except BaseException as exc:  # noqa: BLE001 - handed to the caller(s), never lost in this thread
            if len(batch) == 1:
                _fail(batch[0].future, exc)
                return
            for request in batch:  # find whose pairs it was: the others still get their results
                self._execute(method, [request])
            return
        start = 0
        for request in batch:
            request.future.set_result(list(results[start : start + len(request.items)]))
            start += len(request.items)


def _start(future: Future[list[R]]) -> bool:
    """Mark a taken call running; False when its caller gave up (cancelled) or someone else finished it."""
    try:
        return future.set_running_or_notify_cancel()
    except RuntimeError:  # already finished: nothing to run
        return False


def _fail(future: Future[list[R]], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
