"""A private asyncio loop in a daemon thread, so sync callers can use an async client safely.

Sync ``score``/``generate`` submit their coroutine here and wait. The loop lives as long as its owner, so
an HTTP client made on it keeps its connections (and its TLS setup, ~50 ms to build) across calls; and it
works the same from the main thread, a worker thread, or code that already runs inside an event loop.

``stop()`` never leaves a caller waiting: the calls in flight are cancelled and raise ``LoopClosed``, and
so does a call made once it has begun.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
# How long stop() lets the cancelled calls and the cleanups take before the loop stops regardless.
STOP_GRACE_S = 5.0


class LoopClosed(RuntimeError):
    """The loop was stopped before or while this call ran: its result will never come."""


class LoopThread:
    def __init__(self, name: str = "ea-plugin-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._cleanups: list[Callable[[], Awaitable[Any]]] = []
        # Reentrant: stop() may run from a garbage collector's finaliser in a thread that holds it.
        self._lock = threading.RLock()
        self._in_flight: set[concurrent.futures.Future[Any]] = set()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and block until it is done (never call this from the loop's own thread).

        Raises LoopClosed when the loop is stopping, or stops before ``coro`` is done.
        """
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("LoopThread.run() called from its own loop: await the coroutine instead")
        with self._lock:
            if self._stopping:
                coro.close()
                raise LoopClosed("the loop is closed; this call was not run")
            future = asyncio.run_coroutine_threadsafe(coro, self.loop)
            self._in_flight.add(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            if self._stopping:
                raise LoopClosed("the loop was closed while this call was in flight") from None
            raise
        finally:
            with self._lock:
                self._in_flight.discard(future)

    def on_stop(self, cleanup: Callable[[], Awaitable[Any]]) -> None:
        """Await ``cleanup()`` on the loop before it stops (e.g. a client's ``close``)."""
        self._cleanups.append(cleanup)

    def stop(self) -> None:
        """Cancel the calls in flight, run the cleanups, then stop the loop; safe from any thread, including a
        garbage collector's, and more than once."""
        with self._lock:
            if self._stopping or self.loop.is_closed():
                return
            self._stopping = True
            in_flight = list(self._in_flight)
        for future in in_flight:  # their callers get LoopClosed now, whatever the tasks still do
            future.cancel()

        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=STOP_GRACE_S)
            for cleanup in self._cleanups:
                try:
                    await asyncio.wait_for(cleanup(), STOP_GRACE_S)
                except Exception:  # noqa: BLE001 - closing is best effort; the loop must stop anyway
                    pass
            self.loop.stop()

        try:
            self.loop.call_soon_threadsafe(lambda: self.loop.create_task(shutdown()))
        except RuntimeError:  # the loop closed meanwhile
            pass

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
