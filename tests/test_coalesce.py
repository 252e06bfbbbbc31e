"""The request coalescer: concurrent calls share batches, each caller gets its own results, failures stay apart.

The first tests drive the coalescer with a plain batch function (it is generic); the last ones drive the
transformers backend on the tiny Qwen3 from asyncio tasks and threads, as a web service would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ea_plugin.backends.transformers.coalesce import Coalescer, CoalescerClosed
from tests.hang import finishes, wait_until

WAIT = 0.3  # long enough that every concurrent call of a test is queued before the worker starts


class Recorder:
    """A batch function that remembers each batch it ran; a call holding "bad" fails its whole batch."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[str]]] = []

    def __call__(self, method: str, items: list[str]) -> list[str]:
        self.batches.append((method, list(items)))
        if "bad" in items:
            raise ValueError("bad item")
        return [f"{method}:{item}" for item in items]


def submit_together(coalescer: Coalescer, calls: list[tuple[str, list[str]]]) -> list[object]:
    """Make every call from its own thread at the same moment; each result or exception, in call order."""
    barrier = threading.Barrier(len(calls))

    def one(call: tuple[str, list[str]]) -> object:
        barrier.wait()
        try:
            return coalescer.call(*call)
        except ValueError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def test_concurrent_calls_share_one_batch_and_each_gets_its_own_results_in_order():
    run = Recorder()
    coalescer = Coalescer(run, max_wait=WAIT)
    calls = [("score", [f"q{n}c{k}" for k in range(n + 1)]) for n in range(8)]
    results = submit_together(coalescer, calls)
    assert results == [[f"score:{item}" for item in items] for _, items in calls]
    assert len(run.batches) == 1 and sorted(run.batches[0][1]) == sorted(i for _, items in calls for i in items)
    coalescer.close()


def test_a_failing_call_fails_alone_and_its_batch_mates_get_their_results():
    run = Recorder()
    coalescer = Coalescer(run, max_wait=WAIT)
    calls = [("score", ["a", "b"]), ("score", ["bad"]), ("score", ["c"])]
    results = submit_together(coalescer, calls)
    assert isinstance(results[1], ValueError)
    assert [results[0], results[2]] == [["score:a", "score:b"], ["score:c"]]
    assert len(run.batches) == 4  # the merged batch, then each call alone
    coalescer.close()


def test_methods_are_never_mixed_and_max_items_bounds_a_batch():
    run = Recorder()
    coalescer = Coalescer(run, max_wait=WAIT, max_items=3)
    calls = [("score", ["a", "b"]), ("generate", ["x"]), ("score", ["c"]), ("score", ["d", "e"])]
    results = submit_together(coalescer, calls)
    assert results == [["score:a", "score:b"], ["generate:x"], ["score:c"], ["score:d", "score:e"]]
    for method, items in run.batches:
        assert len(items) <= 3 and all(f"{method}:{i}" in sum(results, []) for i in items)
    assert {method for method, _ in run.batches} == {"score", "generate"}
    coalescer.close()


def test_empty_calls_return_at_once_and_a_closed_coalescer_refuses_work():
    run = Recorder()
    coalescer = Coalescer(run)
    assert coalescer.call("score", []) == [] and run.batches == []
    assert coalescer.call("score", ["a"]) == ["score:a"]
    coalescer.close()
    with pytest.raises(CoalescerClosed, match="closed"):
        coalescer.submit("score", ["b"])
    with pytest.raises(CoalescerClosed):  # empty calls too: a closed coalescer says so, whatever the call
        coalescer.call("score", [])


# -- callers that give up, and close() with calls in flight (issue 24, items 1 and 4) ----------------------
def test_a_batch_whose_every_caller_was_cancelled_does_not_stop_the_worker():
    coalescer = Coalescer(Recorder(), max_wait=0.05)

    async def cancel_one() -> None:
        task = asyncio.create_task(coalescer.acall("score", ["a"]))
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0.1)

    asyncio.run(cancel_one())
    assert finishes(lambda: coalescer.call("score", ["b"])) == ["score:b"]
    coalescer.close()


def test_callers_that_time_out_in_the_queue_leave_the_others_served():
    coalescer = Coalescer(Recorder(), max_wait=0.2)

    async def some_time_out() -> list[object]:
        quick = [asyncio.wait_for(coalescer.acall("score", [f"t{n}"]), 0.01) for n in range(5)]
        timed_out = await asyncio.gather(*quick, return_exceptions=True)  # a batch of none but them
        patient = [coalescer.acall("score", [f"p{n}"]) for n in range(3)]
        return timed_out + await asyncio.gather(*patient)

    got = finishes(lambda: asyncio.run(some_time_out()))
    assert all(isinstance(g, TimeoutError) for g in got[:5])
    assert got[5:] == [["score:p0"], ["score:p1"], ["score:p2"]]
    assert finishes(lambda: coalescer.call("score", ["b"])) == ["score:b"]
    coalescer.close()


def test_close_finishes_the_calls_already_queued_and_refuses_later_ones_at_once():
    started, release = threading.Event(), threading.Event()

    def slow(method: str, items: list[str]) -> list[str]:
        started.set()
        release.wait(5)
        return items

    coalescer = Coalescer(slow, max_wait=0)
    first = coalescer.submit("score", ["a"])
    started.wait(5)  # the worker is busy with "a"; "b" queues behind it
    second = coalescer.submit("score", ["b"])
    closing = threading.Thread(target=coalescer.close)
    closing.start()
    wait_until(lambda: coalescer.closed, what="close() begun")
    with pytest.raises(CoalescerClosed):
        coalescer.call("score", ["c"])
    release.set()
    assert (finishes(first.result), finishes(second.result)) == (["a"], ["b"])
    finishes(closing.join)
    assert not closing.is_alive()


def test_a_fault_of_the_worker_itself_fails_its_callers_and_a_new_worker_serves_the_next_call(monkeypatch):
    coalescer = Coalescer(Recorder(), max_wait=0)
    broken = {"once": True}
    original = Coalescer._next_batch

    def next_batch(self):  # the coalescer's own code failing once (not the batch function)
        if broken.pop("once", False):
            raise MemoryError("no memory for the batch")
        return original(self)

    monkeypatch.setattr(Coalescer, "_next_batch", next_batch)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # the dying worker's traceback
    with pytest.raises(MemoryError):
        finishes(lambda: coalescer.call("score", ["a"]))
    assert finishes(lambda: coalescer.call("score", ["b"])) == ["score:b"]
    coalescer.close()


# -- the transformers backend ---------------------------------------------------------------------
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

QUESTION = "sv660n报e100怎么办"
QUERIES = [[f"SV660N伺服驱动器E{100 + q}故障：过电流，检查第{k}项。" * (1 + k % 3) for k in range(3)] for q in range(6)]
SCORE_TOL = 1e-5


@pytest.fixture(scope="module")
def tiny_lm(tiny_model_dir: Path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()


def forward_batches(model) -> tuple[list[int], object]:
    sizes: list[int] = []

    def hook(_module, args, kwargs):
        ids = kwargs.get("input_ids") if kwargs.get("input_ids") is not None else args[0]
        sizes.append(ids.shape[0])

    return sizes, model.register_forward_pre_hook(hook, with_kwargs=True)


@pytest.mark.parametrize("mode", ["fast", "think"])
def test_concurrent_ajudge_many_calls_share_forwards_and_equal_one_by_one_calls(tiny_lm, qwen_tokenizer, mode):
    from ea_plugin import load_judge

    options = dict(model=tiny_lm, tokenizer=qwen_tokenizer, mode=mode, max_new_tokens=4)
    alone = load_judge("transformers", coalesce=False, **options)
    expected = [alone.judge_many(QUESTION, chunks) for chunks in QUERIES]
    judge = load_judge("transformers", coalesce_wait=WAIT, **options)
    assert judge.backend.coalescer is not None  # on by default

    async def together():
        return await asyncio.gather(*(judge.ajudge_many(QUESTION, chunks) for chunks in QUERIES))

    sizes, handle = forward_batches(tiny_lm)
    try:
        got = asyncio.run(together())
    finally:
        handle.remove()
    assert sizes[0] == sum(map(len, QUERIES))  # one forward (fast) or one prefill (think) for all six queries
    for judgements, reference in zip(got, expected, strict=True):
        assert [(v.label, v.error, v.raw) for v in judgements] == [(v.label, v.error, v.raw) for v in reference]
        assert [v.score for v in judgements] == pytest.approx([v.score for v in reference], abs=SCORE_TOL)
    judge.backend.close()


def test_judge_many_from_threads_is_coalesced_too(tiny_lm, qwen_tokenizer):
    from ea_plugin import load_judge

    judge = load_judge("transformers", model=tiny_lm, tokenizer=qwen_tokenizer, coalesce_wait=WAIT)
    sizes, handle = forward_batches(tiny_lm)
    try:
        with ThreadPoolExecutor(len(QUERIES)) as pool:
            got = list(pool.map(lambda chunks: judge.judge_many(QUESTION, chunks), QUERIES))
    finally:
        handle.remove()
    assert len(sizes) < len(QUERIES) and max(sizes) > len(QUERIES[0])
    singles = [[judge.judge(QUESTION, c).score for c in chunks] for chunks in QUERIES]
    for judgements, reference in zip(got, singles, strict=True):
        assert [v.score for v in judgements] == pytest.approx(reference, abs=SCORE_TOL)
    judge.backend.close()


def test_a_judge_call_that_timed_out_in_the_queue_leaves_later_calls_served(tiny_lm, qwen_tokenizer):
    from ea_plugin import load_judge

    judge = load_judge("transformers", model=tiny_lm, tokenizer=qwen_tokenizer, coalesce_wait=0.5)

    async def give_up() -> None:
        with pytest.raises(TimeoutError):  # still waiting for company when the caller gives up
            await asyncio.wait_for(judge.ajudge_many(QUESTION, QUERIES[0]), 0.05)

    asyncio.run(give_up())
    decisions = finishes(lambda: judge.judge_many(QUESTION, QUERIES[1]), what="judge_many after a timeout")
    assert len(decisions) == len(QUERIES[1]) and all(d.error is None for d in decisions)
    judge.backend.close()


def test_calls_during_and_after_close_are_all_judged(tiny_lm, qwen_tokenizer):
    # The README's promise: the backend keeps working after close (one call at a time), so a close() racing
    # with calls from many threads fails none of them.
    from ea_plugin import load_judge

    judge = load_judge("transformers", model=tiny_lm, tokenizer=qwen_tokenizer, coalesce_wait=0.01)
    reference = [d.score for d in judge.judge_many(QUESTION, QUERIES[0])]
    barrier = threading.Barrier(9)

    def caller(n: int) -> list[object]:
        barrier.wait()
        return [judge.judge_many(QUESTION, QUERIES[0]) for _ in range(3)]

    def closer() -> None:
        barrier.wait()
        time.sleep(0.02)
        judge.backend.close()

    def together() -> list[list[object]]:
        with ThreadPoolExecutor(9) as pool:
            closing = pool.submit(closer)
            got = list(pool.map(caller, range(8)))
            closing.result()
            return got

    for rounds in finishes(together, what="calls racing close()"):
        for decisions in rounds:
            assert all(d.error is None for d in decisions)
            assert [d.score for d in decisions] == pytest.approx(reference, abs=SCORE_TOL)
    assert judge.backend.coalescer is None
    assert [d.score for d in judge.judge_many(QUESTION, QUERIES[0])] == pytest.approx(reference, abs=SCORE_TOL)


def test_many_tasks_with_some_cancelled_all_finish_on_the_backend(tiny_lm, qwen_tokenizer):
    # The reproduction at small scale: tasks cancelled at random points never stall the rest.
    import random

    from ea_plugin import load_judge

    judge = load_judge("transformers", model=tiny_lm, tokenizer=qwen_tokenizer, coalesce_wait=0.01)
    chunks = QUERIES[0][:2]
    rng = random.Random(7)

    async def crowd() -> list[object]:
        tasks = [asyncio.create_task(judge.ajudge_many(QUESTION, chunks)) for _ in range(30)]
        doomed = rng.sample(range(len(tasks)), 6)
        for index in doomed:
            await asyncio.sleep(rng.uniform(0, 0.02))
            tasks[index].cancel()
        return await asyncio.gather(*tasks, return_exceptions=True)

    got = finishes(lambda: asyncio.run(crowd()), what="30 tasks, 6 cancelled")
    done = [g for g in got if not isinstance(g, asyncio.CancelledError)]
    assert len(done) >= 24 and all(len(g) == 2 and all(d.error is None for d in g) for g in done)
    assert len(finishes(lambda: judge.judge_many(QUESTION, chunks))) == 2
    judge.backend.close()
