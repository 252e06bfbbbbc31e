"""The rules backend pauses the cyclic garbage collector while it judges a batch, and only then."""

from __future__ import annotations

import gc
import threading

import pytest

from ea_plugin.backends.rules import RulesBackend
from ea_plugin.collector import collector_paused
from ea_plugin.judgement import Pair
from ea_plugin.rules.extract import clear_cache

PAIRS = [Pair(f"SV660N 报警 E{100 + i % 40} 怎么处理?",
              f"IS620P 手册 第{i}页: E{101 + i % 40} 过流, 检查 H02-{i % 90:02d}。") for i in range(600)]


@pytest.fixture
def collector_on():
    """A collector that collects often (so a batch would see collections) and is on; restored afterwards."""
    was_on, threshold = gc.isenabled(), gc.get_threshold()
    gc.enable()
    gc.set_threshold(10, 10, 10)
    yield
    gc.set_threshold(*threshold)
    (gc.enable if was_on else gc.disable)()


def _collections() -> int:
    return sum(generation["collections"] for generation in gc.get_stats())


@pytest.mark.parametrize("pause", [True, False])
def test_a_batch_runs_without_collections_only_when_paused(collector_on, pause):
    backend = RulesBackend(pause_gc=pause)
    clear_cache()
    before = _collections()
    judgements = backend.score(PAIRS)
    collections = _collections() - before
    # paused: none but the one catch-up collection once the collector is back on; else one every few pairs
    assert collections <= 1 if pause else collections > 50
    assert gc.isenabled()
    clear_cache()
    assert backend.generate(PAIRS) == RulesBackend(pause_gc=not pause).generate(PAIRS)
    assert [j.label for j in judgements] == [j.label for j in backend.generate(PAIRS)]


def test_judging_makes_no_reference_cycles(collector_on):
    """What makes the pause safe: everything a batch allocates is freed by reference counting."""
    long_pair = Pair("x" * 3000 + " E100", "y" * 70000 + " E101 " + "伺服" * 3000)  # the uncached paths too
    gc.collect()
    gc.disable()
    RulesBackend(pause_gc=False).score([*PAIRS, long_pair])
    assert gc.collect() == 0


def test_a_collector_that_was_off_stays_off(collector_on):
    gc.disable()
    RulesBackend().score(PAIRS[:5])
    assert not gc.isenabled()


def test_the_collector_comes_back_when_the_last_overlapping_batch_ends_even_on_error(collector_on):
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        seen["after first"] = gc.isenabled()
        first_out.set()

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with pytest.raises(RuntimeError), collector_paused():
        second_in.set()
        first_out.wait(5)
        seen["second, after first"] = gc.isenabled()
        raise RuntimeError("a batch failing")
    thread.join(5)
    assert seen == {"after first": False, "second, after first": False}
    assert gc.isenabled()
