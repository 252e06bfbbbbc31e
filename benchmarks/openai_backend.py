"""OpenAI backend throughput against a server, with a same-run baseline.

    python -m benchmarks.openai_backend --base-url http://127.0.0.1:8000/v1 --model entity-alignment
    python -m benchmarks.openai_backend --loopback-ms 20     # client side only: a stdlib server, 20 ms a reply

Baseline: the plain openai client, one request after another (what a loop over chunks does), same request
options. Then OpenAIBackend at several concurrency limits. Every row judges its own pairs (same generator,
another seed), so a server's prefix cache never holds a later row's prompts; each method is warmed first on
pairs of its own. Fast mode may cost a follow-up request per pair (exact score where the other label is
not negligible); the table counts requests per pair. With --loopback-ms the server answers after a fixed
delay with canned replies (every fast-mode reply needs one follow-up), which isolates what the backend
costs on the client side.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from devtools.pairs import make_pairs
from ea_plugin.backends.openai import OpenAIBackend
from ea_plugin.judgement import Pair
from ea_plugin.prompts import ALIGNED, build_messages, chat_template_kwargs


@dataclass
class Row:
    mode: str
    method: str
    pairs: int
    seconds: float
    requests: int

    def cells(self, baseline: Row) -> list[str]:
        rate = self.pairs / self.seconds
        speedup = baseline.seconds / self.seconds * self.pairs / baseline.pairs
        return [self.mode, self.method, str(self.pairs), f"{self.seconds:.2f}", f"{rate:.1f}",
                f"{self.requests / self.pairs:.2f}", f"{speedup:.2f}x"]


async def plain_sequential(base_url: str, model: str, pairs: list[Pair], mode: str, max_tokens: int) -> Row:
    import openai

    options = dict(logprobs=True, top_logprobs=20) if mode == "fast" else {}
    async with openai.AsyncOpenAI(base_url=base_url, api_key="EMPTY", max_retries=0) as client:
        start = time.perf_counter()
        for pair in pairs:
            await client.chat.completions.create(
                model=model, messages=build_messages(pair.question, pair.chunk), max_tokens=max_tokens,
                temperature=0.0, extra_body={"chat_template_kwargs": chat_template_kwargs(mode)}, **options,
            )
        return Row(mode, "plain openai client, sequential", len(pairs), time.perf_counter() - start, len(pairs))


def backend_row(base_url: str, model: str, pairs: list[Pair], mode: str, max_tokens: int, concurrency: int) -> Row:
    with OpenAIBackend(base_url, model, concurrency=concurrency, max_tokens=max_tokens) as backend:
        run = backend.score if mode == "fast" else backend.generate
        run(make_pairs(2, seed=10_000 + concurrency))  # warm: client, connections
        start = time.perf_counter()
        judgements = run(pairs)
        seconds = time.perf_counter() - start
    failed = [v.error for v in judgements if v.error and not v.raw]  # no reply at all (a model's odd text is fine)
    if failed:
        raise SystemExit(f"requests failed: {failed[:3]}")
    requests = sum(v.extra.get("attempts", 1) + v.extra.get("followups", 0) for v in judgements)
    return Row(mode, f"OpenAIBackend, concurrency {concurrency}", len(pairs), seconds, requests)


@contextmanager
def loopback_server(delay_ms: float) -> Iterator[str]:
    """A stdlib HTTP server that answers like vLLM after ``delay_ms`` (fast mode: 对齐 with log-probs)."""
    from devtools.servers import LoopbackHTTPServer, Reply, Request

    def entry(token: str, p: float, top: dict[str, float]) -> dict:
        listed = [{"token": t, "logprob": math.log(q)} for t, q in top.items()]
        return {"token": token, "logprob": math.log(p), "top_logprobs": listed}

    def reply(content: str, logprobs: list[dict] | None) -> dict:
        choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop",
                  "logprobs": {"content": logprobs} if logprobs else None}
        return {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [choice]}

    def handler(request: Request) -> Reply:
        body = request.body
        if body.get("continue_final_message"):
            answer = reply("齐", [entry("齐", 0.8, {"齐": 0.8})])
        elif body.get("logprobs"):
            answer = reply(ALIGNED, [entry("对", 0.6, {"对": 0.6, "不对": 0.3}), entry("齐", 0.9, {"齐": 0.9})])
        else:
            answer = reply(f"<think>\n分析\n</think>\n\n{ALIGNED}", None)
        return Reply(body=answer, delay_s=delay_ms / 1000)

    with LoopbackHTTPServer(handler) as server:
        yield f"{server.url}/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--base-url", help="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    target.add_argument("--loopback-ms", type=float, help="benchmark against a canned local server with this delay")
    parser.add_argument("--model", default="entity-alignment")
    parser.add_argument("--pairs", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=64, help="think mode (random weights never stop)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--modes", nargs="+", default=["fast", "think"], choices=["fast", "think"])
    args = parser.parse_args()

    seeds = iter(range(1_000))
    server = nullcontext(args.base_url) if args.base_url else loopback_server(args.loopback_ms)
    with server as url:
        rows: list[tuple[Row, Row]] = []
        for mode in args.modes:
            tokens = 4 if mode == "fast" else args.max_tokens
            asyncio.run(plain_sequential(url, args.model, make_pairs(2, seed=9_999), mode, tokens))  # warm
            pairs = make_pairs(args.pairs, next(seeds))
            baseline = asyncio.run(plain_sequential(url, args.model, pairs, mode, tokens))
            rows.append((baseline, baseline))
            for concurrency in args.concurrency:
                pairs = make_pairs(args.pairs, next(seeds))
                rows.append((backend_row(url, args.model, pairs, mode, tokens, concurrency), baseline))
    header = ["mode", "method", "pairs", "seconds", "pairs/s", "requests/pair", "vs baseline"]
    print(f"server: {args.base_url or f'loopback, {args.loopback_ms:g} ms per reply'}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row, baseline in rows:
        print("| " + " | ".join(row.cells(baseline)) + " |")


if __name__ == "__main__":
    main()
