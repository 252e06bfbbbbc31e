"""What the RAG integrations cost on top of the judge, with same-run baselines.

    python -m benchmarks.integrations                                   # rules backend (no model)
    python -m benchmarks.integrations --backend transformers --model .cache/tiny-qwen3 --repeats 3

Chunks are retrieved once (LlamaIndex VectorStoreIndex over the sample manual, hashing embedding) and
then judged per question by: the judge alone in one batch (baseline), a naive loop of one judge call
per chunk, the LlamaIndex postprocessor and the LangChain filter (sync and async). The integrations'
overhead is their ratio to the baseline; the loop shows what batching saves with a model backend.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ea_plugin.arguments import add_backend_arguments, judge_from_args
from integrations.corpus import load_chunks
from integrations.demo import DEFAULT_QUESTIONS, build_index
from integrations.llamaindex import EntityAlignmentPostprocessor

Method = tuple[str, Callable[[str, Any], Any], list[tuple[str, Any]]]  # name, run(question, chunks), work


def _seconds_per_query(methods: list[Method], repeats: int) -> list[tuple[str, float]]:
    """Median seconds per question of each method; methods take turns so load spikes hit all alike."""
    times: dict[str, list[float]] = {name: [] for name, _, _ in methods}
    for _ in range(repeats + 1):  # the first pass warms up and is not counted
        for name, run, work in methods:
            start = time.perf_counter()
            for question, chunks in work:
                run(question, chunks)
            times[name].append((time.perf_counter() - start) / len(work))
    return [(name, statistics.median(values[1:])) for name, values in times.items()]


def _sync(coroutine_fn: Callable[[str, Any], Awaitable[Any]]) -> Callable[[str, Any], Any]:
    loop = asyncio.new_event_loop()
    return lambda question, chunks: loop.run_until_complete(coroutine_fn(question, chunks))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=20, help="timed passes over all questions (median shown)")
    add_backend_arguments(parser)
    args = parser.parse_args(argv)
    judge = judge_from_args(args)
    retriever = build_index(load_chunks()).as_retriever(similarity_top_k=args.top_k)
    nodes = [(q, retriever.retrieve(q)) for q in DEFAULT_QUESTIONS]
    texts = [(q, [n.node.get_content() for n in ns]) for q, ns in nodes]
    post = EntityAlignmentPostprocessor(judge=judge)

    methods: list[Method] = [
        ("judge.judge_many, one batch (baseline)", judge.judge_many, texts),
        ("judge.judge, one call per chunk", lambda q, cs: [judge.judge(q, c) for c in cs], texts),
        ("LlamaIndex postprocess_nodes", lambda q, ns: post.postprocess_nodes(ns, query_str=q), nodes),
        ("LlamaIndex apostprocess_nodes", _sync(lambda q, ns: post.apostprocess_nodes(ns, query_str=q)), nodes),
    ]
    try:
        from langchain_core.documents import Document

        from integrations.langchain import EntityAlignmentFilter
    except ImportError:
        print("(langchain-core not installed: LangChain rows skipped)")
    else:
        docs = [(q, [Document(page_content=t) for t in ts]) for q, ts in texts]
        compressor = EntityAlignmentFilter(judge=judge)
        methods += [
            ("LangChain compress_documents", lambda q, ds: compressor.compress_documents(ds, q), docs),
            ("LangChain acompress_documents", _sync(lambda q, ds: compressor.acompress_documents(ds, q)), docs),
        ]

    rows = _seconds_per_query(methods, args.repeats)
    baseline = rows[0][1]
    print(f"backend={args.backend} questions={len(nodes)} top_k={args.top_k} repeats={args.repeats} (median)\n")
    print(f"| {'method':40} | {'ms/query':>9} | {'x baseline':>10} |")
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 12}|")
    for name, seconds in rows:
        print(f"| {name:40} | {seconds * 1000:9.3f} | {seconds / baseline:10.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
