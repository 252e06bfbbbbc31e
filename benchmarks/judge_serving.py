"""What an online RAG service sees: many users' queries at once, each a question and its retrieved chunks.

    python -m benchmarks.judge_serving --out judge_serving.md                 # GPU: Qwen3-8B shape
    python -m benchmarks.judge_serving --tiny --out /tmp/judge_serving.md     # CPU smoke: tiny model

Same model and pairs as benchmarks.judge_throughput (random Qwen3-8B-shape weights, real tokenizer). Each
query is ``ajudge_many(question, chunks)`` of ``--chunks`` chunks through ``load_judge("transformers")``
with its defaults. Rows, all in one run:

- N concurrent queries (asyncio tasks), coalesced (the default) and not (``coalesce=False``: each call
  waits for the backend's lock): total pairs/s and each query's latency (p50, p95);
- bulk fast mode, the same pairs in one ``judge_pairs`` call: the rate the concurrent queries aim at;
- one query alone, fast and think mode (``--new-tokens`` reasoning tokens): its latency.

Check (the first 8 queries): every score against a float32 copy of the model's (plain forwards): the
coalesced scores' error within twice the not-coalesced ones' (bf16 rounding differs with the batch's
make-up); the largest difference to each query judged alone is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.judge_throughput import float32_scores, load_model_and_tokenizer, measure, plain_label_scores, release
from devtools.pairs import make_pairs
from ea_plugin import load_judge
from ea_plugin.prompts import render_prompt

Query = tuple[str, list[str]]
CHECK_QUERIES = 8  # queries whose scores are checked against float32 (320 pairs in float32 took minutes)


@dataclass
class Row:
    scenario: str
    queries: int
    chunks: int
    seconds: float
    latencies: list[float]
    peak_gib: float | None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.queries * self.chunks / self.seconds


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def make_queries(count: int, chunks: int) -> list[Query]:
    pairs = make_pairs(count * chunks, seed=3)
    return [(pairs[q * chunks].question, [p.chunk for p in pairs[q * chunks:(q + 1) * chunks]]) for q in range(count)]


async def concurrent(judge: Any, queries: list[Query]) -> tuple[list[Any], list[float]]:
    """All queries at once; each query's judgements and latency (seconds)."""

    async def one(query: Query) -> tuple[Any, float]:
        start = time.perf_counter()
        judgements = await judge.ajudge_many(*query)
        return judgements, time.perf_counter() - start

    done = await asyncio.gather(*(one(q) for q in queries))
    return [d[0] for d in done], [d[1] for d in done]


def run(args: argparse.Namespace) -> list[Row]:
    model, tokenizer = load_model_and_tokenizer(args)
    device = model.device
    queries = make_queries(args.queries, args.chunks)
    rows: list[Row] = []

    alone = load_judge("transformers", model=model, tokenizer=tokenizer, coalesce=False)
    expected = [alone.judge_many(*q) for q in queries]  # also the warm-up (compiles the layers)
    # The truth both paths round away from: plain forwards of a float32 copy of the model. Coalesced
    # batches are other batch compositions, so other bf16 rounding: they pass if their error against the
    # float32 scores stays within twice that of each query judged alone (the existing rule, see
    # judge_throughput), and the direct difference to each query alone is reported beside it.
    # The first CHECK_QUERIES queries only: float32 forwards run at a fraction of bf16's rate.
    prompts = [tokenizer(render_prompt(q, c, "fast"), add_special_tokens=False)["input_ids"]
               for q, chunks in queries[:CHECK_QUERIES] for c in chunks]
    truth = float32_scores(model, tokenizer, prompts) if model.dtype != torch.float32 else \
        plain_label_scores(model, tokenizer, prompts, 8)
    alone_error = max(abs(d.score - t) for d, t in zip(sum(expected, []), truth, strict=False))
    tolerance = max(1e-4, 2 * alone_error)
    for name, judge in (("coalesced (default)", load_judge("transformers", model=model, tokenizer=tokenizer)),
                        ("not coalesced (coalesce=False)", alone)):
        asyncio.run(concurrent(judge, queries))  # warm-up: this judge's shapes
        (got, latencies), seconds, peak = measure(device, lambda j=judge: asyncio.run(concurrent(j, queries)))
        diff = max(abs(a.score - b.score) for vs, ws in zip(got, expected, strict=True)
                   for a, b in zip(vs, ws, strict=True))
        error = max(abs(d.score - t) for d, t in zip(sum(got, []), truth, strict=False))
        note = (f"|d score| vs float32 max {error:.2e} ({'ok' if error <= tolerance else 'FAIL'}: within "
                f"{tolerance:.1e}, twice the not-coalesced error {alone_error:.1e}); vs each query alone {diff:.2e}")
        coalescer = getattr(judge.backend, "coalescer", None)
        if coalescer is not None:
            note += f"; {coalescer.batches} merged backend calls so far"
        rows.append(Row(f"{len(queries)} concurrent ajudge_many, {name}", len(queries), args.chunks, seconds,
                        latencies, peak, note))
        print(rows[-1], flush=True)
        if judge is not alone:
            judge.backend.close()
            release(judge)

    pairs = [(q, c) for q, chunks in queries for c in chunks]
    bulk = load_judge("transformers", model=model, tokenizer=tokenizer, batch_size=len(pairs))
    _, seconds, peak = measure(device, lambda: bulk.judge_pairs(pairs), warmup=lambda: bulk.judge_pairs(pairs))
    rows.append(Row("bulk fast mode, one judge_pairs call (the same pairs)", len(queries), args.chunks, seconds,
                    [seconds], peak))
    bulk.backend.close()

    single = queries[0]
    latencies = []
    for _ in range(args.repeats):
        _, seconds, peak = measure(device, lambda: alone.judge_many(*single))
        latencies.append(seconds)
    rows.append(Row("one query alone, fast mode", 1, args.chunks, statistics.median(latencies), latencies, peak))
    release(alone)

    think = load_judge("transformers", model=model, tokenizer=tokenizer, mode="think", coalesce=False,
                       max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens)
    think.judge_many(*single)  # warm-up: graph capture for this batch shape
    latencies = []
    for _ in range(max(1, args.repeats // 3)):
        _, seconds, peak = measure(device, lambda: think.judge_many(*single))
        latencies.append(seconds)
    rows.append(Row(f"one query alone, think mode ({args.new_tokens} new tokens)", 1, args.chunks,
                    statistics.median(latencies), latencies, peak))
    release(think)
    return rows


def table(rows: list[Row], device_name: str) -> str:
    lines = [
        f"Judge serving, {datetime.date.today().isoformat()}, {device_name}, torch {torch.__version__}, "
        f"transformers {__import__('transformers').__version__}",
        "",
        "| scenario | queries x chunks | s | pairs/s | p50 latency ms | p95 latency ms | peak GiB | check |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        peak = "-" if row.peak_gib is None else f"{row.peak_gib:.1f}"
        lines.append(f"| {row.scenario} | {row.queries} x {row.chunks} | {row.seconds:.2f} | {row.rate:.1f} | "
                     f"{1000 * percentile(row.latencies, 0.5):.0f} | {1000 * percentile(row.latencies, 0.95):.0f} | "
                     f"{peak} | {row.note} |")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--tiny", action="store_true", help="CPU smoke run: tiny random Qwen3, a few queries")
    parser.add_argument("--device", default=None)
    parser.add_argument("--tokenizer", help="directory of a built Qwen tokenizer (default: build it)")
    parser.add_argument("--cache", default=".cache", help="where the tiny model is built (--tiny)")
    parser.add_argument("--queries", type=int, default=None, help="concurrent queries (default 32; tiny 4)")
    parser.add_argument("--chunks", type=int, default=None, help="chunks a query (default 10; tiny 3)")
    parser.add_argument("--new-tokens", type=int, default=None, help="think mode (default 128; tiny 4)")
    parser.add_argument("--repeats", type=int, default=None, help="single-query repeats (default 9; tiny 3)")
    args = parser.parse_args(argv)
    for name, gpu, tiny in (("queries", 32, 4), ("chunks", 10, 3), ("new_tokens", 128, 4), ("repeats", 9, 3)):
        if getattr(args, name) is None:
            setattr(args, name, tiny if args.tiny else gpu)
    if args.device is None:
        args.device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    return args


def main(argv: Sequence[str] | None = None) -> list[Row]:
    args = parse_args(argv)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    rows = run(args)
    text = table(rows, name)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return rows


if __name__ == "__main__":
    main()
