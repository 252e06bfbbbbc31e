"""Rules backend throughput on one CPU core: pairs/s with the built-in catalog, against same-run baselines.

    python -m benchmarks.rules_throughput                 # 4,000 manual-like pairs + the real-table dev set
    python -m benchmarks.rules_throughput --pairs 20000 --repeat 5

Rows: a floor (plain regex tokenising of the same texts: what any reading costs), the v2 backend with an
empty catalog (heuristics only), and the v2 backend with the built-in catalog (the default). Each is the best
of ``--repeat`` runs in this process (one thread, one core); the catalog is built once before timing, as in
use, and extraction's per-text cache is cleared before each run. pairs/s is per CPU-second of this process
(time.process_time), so other load on a shared machine does not count; the wall-clock rate is beside it.
Goal (issue 16): >= 10,000 pairs/s with the built-in catalog.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.pairs import make_pairs
from ea_plugin.backends.rules import RulesBackend
from ea_plugin.catalog import load_catalog, parse_catalog
from ea_plugin.entities.extract import clear_cache
from ea_plugin.verdict import Pair

DEVSET = Path(__file__).resolve().parents[1] / "tests" / "data" / "devset" / "devset.jsonl"
GOAL = 10_000
_TOKENS = re.compile(r"[A-Za-z]+[\s\-]?\d+(?:\.\d+)?|\d+(?:\.\d+)?")


def devset_pairs() -> list[Pair]:
    if not DEVSET.exists():
        return []
    rows = [json.loads(line) for line in DEVSET.read_text("utf-8").splitlines()]
    return [Pair(r["question"], r["chunk"]) for r in rows]


def tokenise(pairs: list[Pair]) -> None:
    for pair in pairs:
        _TOKENS.findall(pair.question)
        _TOKENS.findall(pair.chunk)


def best_rate(run: Callable[[list[Pair]], object], pairs: list[Pair], repeat: int) -> tuple[float, float]:
    """(pairs per CPU-second, pairs per wall-clock second), each the best of ``repeat`` runs."""
    cpu = wall = float("inf")
    for _ in range(repeat):
        clear_cache()  # cold: only repeats within one run (a question against its chunks) hit the cache
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        run(pairs)
        cpu, wall = min(cpu, time.process_time() - start_cpu), min(wall, time.perf_counter() - start_wall)
    return len(pairs) / cpu, len(pairs) / wall


def measure(pairs: list[Pair], repeat: int) -> list[tuple[str, tuple[float, float]]]:
    builtin, empty = RulesBackend(catalog=load_catalog()), RulesBackend(catalog=parse_catalog([("empty", {})]))
    return [
        ("regex tokenising only (floor)", best_rate(tokenise, pairs, repeat)),
        ("rules v2, empty catalog", best_rate(empty.score, pairs, repeat)),
        ("rules v2, built-in catalog", best_rate(builtin.score, pairs, repeat)),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=4000, help="manual-like pairs (benchmarks.pairs)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sets = {"manual-like, chunks 100-600 chars": make_pairs(args.pairs, seed=1),
            "real-table dev set": devset_pairs()}
    print("| pairs | n | method | pairs/s (CPU) | x floor | pairs/s (wall) |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for name, pairs in sets.items():
        if not pairs:
            continue
        rows = measure(pairs, args.repeat)
        floor = rows[0][1][0]
        for method, (cpu, wall) in rows:
            print(f"| {name} | {len(pairs)} | {method} | {cpu:,.0f} | {cpu / floor:.2f} | {wall:,.0f} |")
    print(f"\ngoal: >= {GOAL:,} pairs/s with the built-in catalog on one core")


if __name__ == "__main__":
    main()
