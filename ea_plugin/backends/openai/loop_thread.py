"""A private asyncio loop in a daemon thread, so sync callers can use an async client safely.

Sync ``score``/``generate`` submit their coroutine here and wait. The loop lives as long as its owner, so
an HTTP client made on it keeps its connections (and its TLS setup, ~50 ms to build) across calls; and it
works the same from the main thread, a worker thread, or code that already runs inside an event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str = "ea-plugin-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._cleanups: list[Callable[[], Awaitable[Any]]] = []
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and block until it is done (never call this from the loop's own thread)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("LoopThread.run() called from its own loop: await the coroutine instead")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def on_stop(self, cleanup: Callable[[], Awaitable[Any]]) -> None:
        """Await ``cleanup()`` on the loop before it stops (e.g. a client's ``close``)."""
        self._cleanups.append(cleanup)

    def stop(self) -> None:
        """Run the cleanups, then stop the loop; safe from any thread, including a garbage collector's."""
        if self.loop.is_closed():
            return

        async def shutdown() -> None:
            for cleanup in self._cleanups:
                try:
                    await cleanup()
                except Exception:  # noqa: BLE001 - closing is best effort; the loop must stop anyway
                    pass
            self.loop.stop()

        try:
            self.loop.call_soon_threadsafe(lambda: self.loop.create_task(shutdown()))
        except RuntimeError:  # the loop closed meanwhile
            pass

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
