"""The Backend protocol that AlignmentJudge talks to."""

from __future__ import annotations

import asyncio
from typing import Protocol, runtime_checkable

from ea_plugin.judgement import Judgement, Pair


@runtime_checkable
class Backend(Protocol):
    """``score``: fast mode, P(对齐) from the label log-probs. ``generate``: think mode.

    Both return one Judgement per pair, in input order: what the model said, nothing about keeping
    (the judge's Policy decides that). A per-pair failure is ``Judgement.failed(reason)``; a failure
    of the whole batch may raise, and then every pair of the batch gets the policy. A backend that cannot do a mode
    raises ModeNotSupportedError.
    """

    name: str

    def score(self, pairs: list[Pair]) -> list[Judgement]: ...

    def generate(self, pairs: list[Pair]) -> list[Judgement]: ...


async def call_async(backend: Backend, method: str, pairs: list[Pair]) -> list[Judgement]:
    """Await the backend's native ``a<method>`` if it has one; otherwise run it in a worker thread."""
    native = getattr(backend, f"a{method}", None)
    if native is not None:
        return await native(pairs)
    return await asyncio.to_thread(getattr(backend, method), pairs)
