"""What the judge's one pipeline costs on top of its backend, sync and async, with same-run baselines.

    python -m benchmarks.judge_pipeline                      # rules backend, 200 queries of 20 chunks
    python -m benchmarks.judge_pipeline --queries 50 --chunks 64 --repeats 5

The judge runs every call as a plan (a generator) driven by a plain loop (``judge_many``) or an async
one (``ajudge_many``). The baseline is the rules backend's own ``score`` on the same pairs, plus the
policy's decisions made inline (what a hand-written loop would do), so the ratios show the pipeline's
overhead: input checks, batching, the driver and the cascade bookkeeping. Methods take turns per
pass, so load spikes on a shared machine hit all alike; the median pass is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

from devtools.pairs import make_pairs
from ea_plugin import AlignmentJudge, Pair
from ea_plugin.backends.rules import RulesBackend


def _by_query(pairs: list[Pair], chunks: int) -> list[tuple[str, list[str]]]:
    """Queries of ``chunks`` chunks each, the question of each query's first pair."""
    return [(pairs[i].question, [p.chunk for p in pairs[i : i + chunks]]) for i in range(0, len(pairs), chunks)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=20, help="chunks per query")
    parser.add_argument("--repeats", type=int, default=7, help="timed passes (the median is shown)")
    args = parser.parse_args(argv)
    queries = _by_query(make_pairs(args.queries * args.chunks, min_chars=100, max_chars=400), args.chunks)
    backend = RulesBackend()
    judge = AlignmentJudge(backend)
    loop = asyncio.new_event_loop()

    def baseline() -> None:
        for question, chunks in queries:
            pairs = [Pair(question, c) for c in chunks]
            for pair, judgement in zip(pairs, backend.score(pairs), strict=True):
                judge.policy.decide(judgement, pair)

    def sync() -> None:
        for question, chunks in queries:
            judge.judge_many(question, chunks)

    async def run_async() -> None:
        for question, chunks in queries:
            await judge.ajudge_many(question, chunks)

    methods: dict[str, Callable[[], object]] = {
        "backend.score + policy inline (baseline)": baseline,
        "judge.judge_many (sync driver)": sync,
        "await judge.ajudge_many (async driver)": lambda: loop.run_until_complete(run_async()),
    }
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.repeats + 1):  # the first pass warms up and is not counted
        for name, run in methods.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values[1:]) for name, values in times.items()}
    base = medians["backend.score + policy inline (baseline)"]
    pairs = args.queries * args.chunks
    print(f"rules backend, fast mode: {args.queries} queries x {args.chunks} chunks, median of {args.repeats} passes\n")
    print("| method | ms per query | µs per pair | vs baseline |")
    print("|---|---:|---:|---:|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds / args.queries * 1e3:.3f} | {seconds / pairs * 1e6:.1f} | {seconds / base:.2f}x |")
    loop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
