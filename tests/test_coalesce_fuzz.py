"""The coalescer under any mix of callers: a hypothesis state machine of bursts of concurrent calls.

Each step is a burst of concurrent operations (sync calls from threads, asyncio calls, calls cancelled or
timed out after a random delay, calls whose items make the batch function fail or answer short, and close())
run together under a time limit, so a hang fails the test instead of freezing CI. After each step the machine
checks what every caller got, and that the coalescer still serves a new call (or, once closed, refuses it
at once). ``EA_FUZZ_EXAMPLES`` sets how many sequences run (a small number by default, for CI).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ea_plugin.backends.transformers.coalesce import Coalescer, CoalescerClosed
from tests.hang import finishes

EXAMPLES = int(os.environ.get("EA_FUZZ_EXAMPLES", "12"))
ITEMS = st.lists(st.sampled_from(["a", "b", "c", "bad", "short"]), max_size=4)
DELAY = st.floats(0.0, 0.02)


class BatchFunction:
    """A batch that takes a moment; any "bad" item fails it, any "short" one makes it answer one result short."""

    def __call__(self, method: str, items: list[str]) -> list[str]:
        time.sleep(0.001 * len(items))
        if "bad" in items:
            raise ValueError("bad item")
        results = [f"{method}:{item}" for item in items]
        return results[:-1] if "short" in items else results


def expected(method: str, items: list[str]) -> Any:
    """What a call that ran gets: its own results, or the error its own items cause (never a neighbour's)."""
    if "bad" in items:
        return ValueError
    if "short" in items:
        return RuntimeError
    return [f"{method}:{item}" for item in items]


@dataclass(frozen=True)
class Op:
    kind: str  # call (sync, from a thread), acall, cancel, timeout, close
    method: str = "score"
    items: tuple[str, ...] = ()
    start: float = 0.0  # seconds into the burst
    give_up: float = 0.0  # cancel / timeout: seconds after starting


OPS = st.one_of(
    st.builds(Op, st.sampled_from(["call", "acall", "cancel", "timeout"]), st.sampled_from(["score", "generate"]),
              ITEMS.map(tuple), DELAY, DELAY),
    st.builds(Op, st.just("close"), start=DELAY),
)


def in_thread(function: Any) -> asyncio.Future[Any]:
    """``function()`` in a daemon thread, as an awaitable (a hung call cannot block the interpreter's exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            (future.set_result if ok else future.set_exception)(value)

    def run() -> None:
        try:
            result = (True, function())
        except BaseException as exc:  # noqa: BLE001 - handed to the burst
            result = (False, exc)
        loop.call_soon_threadsafe(settle, *result)

    threading.Thread(target=run, daemon=True).start()
    return future


class CoalescerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.coalescer: Coalescer[str, str] = Coalescer(BatchFunction(), max_wait=0.005, max_items=6)
        self.closed = False

    async def _one(self, op: Op) -> Any:
        await asyncio.sleep(op.start)
        if op.kind == "close":
            return await in_thread(self.coalescer.close)
        if op.kind == "call":
            return await in_thread(lambda: self.coalescer.call(op.method, op.items))
        call = asyncio.ensure_future(self.coalescer.acall(op.method, op.items))
        if op.kind == "timeout":
            return await asyncio.wait_for(call, op.give_up)
        if op.kind == "cancel":
            await asyncio.sleep(op.give_up)
            call.cancel()
        return await call

    async def _burst(self, ops: list[Op]) -> list[Any]:
        return await asyncio.gather(*(self._one(op) for op in ops), return_exceptions=True)

    @rule(ops=st.lists(OPS, min_size=1, max_size=8))
    def burst(self, ops: list[Op]) -> None:
        was_closed = self.closed
        outcomes = finishes(lambda: asyncio.run(self._burst(ops)), what=f"burst {ops}")
        closes = any(op.kind == "close" for op in ops)
        for op, got in zip(ops, outcomes, strict=True):
            if op.kind == "close":
                assert got is None, got
                continue
            # A caller that gave up (even before its call was made, as wait_for(..., 0) does) gets just that.
            if (op.kind, type(got)) in (("cancel", asyncio.CancelledError), ("timeout", TimeoutError)):
                continue
            if isinstance(got, CoalescerClosed):
                assert was_closed or closes, f"{op} refused, but nothing closed the coalescer"
                continue
            assert not was_closed, f"{op} on a closed coalescer got {got!r}, not CoalescerClosed"
            want = expected(op.method, list(op.items))
            if isinstance(want, list):
                assert got == want, f"{op} got {got!r}"
            else:
                assert isinstance(got, want), f"{op} got {got!r}, not {want.__name__}"
        self.closed = was_closed or closes

    @precondition(lambda self: not self.closed)
    @rule(items=ITEMS.filter(lambda items: "bad" not in items and "short" not in items))
    def one_sync_call(self, items: list[str]) -> None:
        assert finishes(lambda: self.coalescer.call("score", items)) == expected("score", items)

    @invariant()
    def serves_or_refuses_a_new_call_at_once(self) -> None:
        if self.closed:
            with pytest.raises(CoalescerClosed):
                finishes(lambda: self.coalescer.call("score", ["probe"]))
        else:
            assert finishes(lambda: self.coalescer.call("score", ["probe"])) == ["score:probe"]

    def teardown(self) -> None:
        finishes(self.coalescer.close, what="close at teardown")
        assert self.coalescer._thread is None  # the worker has stopped


CoalescerMachine.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=6, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_coalescer_state_machine = pytest.mark.timeout(600)(CoalescerMachine.TestCase)
