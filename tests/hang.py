"""Run a step that might hang without freezing the test run: a hang fails the test, naming the step."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Generous on a busy 2-core box: every step guarded by it takes milliseconds when nothing hangs.
STEP_TIMEOUT_S = float(os.environ.get("EA_STEP_TIMEOUT_S", "20"))


class Hung(AssertionError):
    """A step that did not finish within its time: the hang the guarded code must never have."""


def in_background(step: Callable[[], T], what: str = "") -> Callable[[float], T]:
    """Start ``step()`` in a daemon thread now; the returned function waits for its result (or exception),
    raising Hung after ``timeout_s``. A daemon thread, so a hung step cannot keep the interpreter (or CI)
    from exiting."""
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, step()))
        except BaseException as exc:  # noqa: BLE001 - handed back to the test's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="ea-test-step", daemon=True)
    thread.start()

    def result(timeout_s: float = STEP_TIMEOUT_S) -> T:
        thread.join(timeout_s)
        if not outcome:
            raise Hung(f"{what or getattr(step, '__name__', 'step')} did not finish within {timeout_s:g} s")
        ok, value = outcome[0]
        if not ok:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]

    return result


def finishes(step: Callable[[], T], timeout_s: float = STEP_TIMEOUT_S, what: str = "") -> T:
    """``step()``'s result (or its exception), run in a daemon thread; Hung if it takes over ``timeout_s``."""
    return in_background(step, what)(timeout_s)


def wait_until(condition: Callable[[], bool], timeout_s: float = STEP_TIMEOUT_S, what: str = "condition") -> None:
    """Poll ``condition`` until true; Hung if it stays false for ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise Hung(f"{what} not reached within {timeout_s:g} s")
        time.sleep(0.005)
