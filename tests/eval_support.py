"""Helpers of the evaluation tests: a backend whose server times out on some pairs (registered through the
hook), and a guard that fails any connection leaving the machine while evaluation frameworks run."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ea_plugin.judgement import Judgement, Pair
from ea_plugin.plugins import hookimpl, register_plugin, unregister_plugin

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


# -- no network: an audit hook (installed once; audit hooks cannot be removed) active inside offline() --------
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_guard = {"active": False, "blocked": []}


def _no_network(event: str, args: tuple[Any, ...]) -> None:
    if _guard["active"] and event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in _LOOPBACK:
            _guard["blocked"].append(address)
            raise OSError(f"network access is disabled in this test: {address}")


@contextmanager
def offline() -> Iterator[list[Any]]:
    """Every non-loopback connection fails while the block runs; gives the list of blocked addresses."""
    if not _guard.get("installed"):
        sys.addaudithook(_no_network)
        _guard["installed"] = True
    _guard["blocked"] = []
    _guard["active"] = True
    try:
        yield _guard["blocked"]
    finally:
        _guard["active"] = False
