"""A backend for the evaluation tests whose server times out on some pairs, registered through the hook."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ea_plugin.plugins import hookimpl, register_plugin, unregister_plugin
from ea_plugin.verdict import Judgement, Pair

TIMEOUT_MARK = "【超时】"  # a chunk containing this is the one the server times out on


class FlakyBackend:
    """The rules backend, except that a chunk containing TIMEOUT_MARK fails as a timed-out request does."""

    name = "flaky-rules"

    def __init__(self) -> None:
        from ea_plugin.backends.rules import RulesBackend

        self.rules = RulesBackend()
        self.batches: list[int] = []

    def _judge(self, pairs: list[Pair], method: str) -> list[Judgement]:
        self.batches.append(len(pairs))
        judged = getattr(self.rules, method)(pairs)
        return [Judgement.failed("timeout: no answer in 30 s", backend=self.name) if TIMEOUT_MARK in p.chunk else v
                for p, v in zip(pairs, judged, strict=True)]

    def score(self, pairs: list[Pair]) -> list[Judgement]:
        return self._judge(pairs, "score")

    def generate(self, pairs: list[Pair]) -> list[Judgement]:
        return self._judge(pairs, "generate")


class _Plugin:
    @hookimpl
    def ea_register_backends(self, register) -> None:  # noqa: ANN001 - pluggy passes the registrar
        register(FlakyBackend.name, FlakyBackend)


@contextmanager
def flaky_backend() -> Iterator[str]:
    """Registers FlakyBackend while the block runs; gives its backend name."""
    plugin = _Plugin()
    register_plugin(plugin, name="ea-eval-test-backends")
    try:
        yield FlakyBackend.name
    finally:
        unregister_plugin(plugin)
