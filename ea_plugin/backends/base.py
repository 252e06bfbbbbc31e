"""The Backend protocol that AlignmentJudge talks to."""

from __future__ import annotations

import asyncio
from typing import Protocol, runtime_checkable

from ea_plugin.verdict import Pair, Verdict


@runtime_checkable
class Backend(Protocol):
    """``score``: fast mode, P(对齐) from the label log-probs. ``generate``: think mode.

    Both return one Verdict per pair, in input order. A per-pair failure is a Verdict with ``error``
    set and ``label`` None; a failure of the whole batch may raise. A backend that cannot do a mode
    raises ModeNotSupportedError.
    """

    name: str

    def score(self, pairs: list[Pair]) -> list[Verdict]: ...

    def generate(self, pairs: list[Pair]) -> list[Verdict]: ...


async def call_async(backend: Backend, method: str, pairs: list[Pair]) -> list[Verdict]:
    """Await the backend's native ``a<method>`` if it has one; otherwise run it in a worker thread."""
    native = getattr(backend, f"a{method}", None)
    if native is not None:
        return await native(pairs)
    return await asyncio.to_thread(getattr(backend, method), pairs)
