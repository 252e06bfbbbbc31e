"""`ea-judge demo` and `ea-judge report`, registered through ea_plugin's commands hook (entry point
``integrations`` in group ``ea_plugin``). Light on purpose: LlamaIndex is imported only when the demo runs."""

from __future__ import annotations

import argparse
import sys

from ea_plugin.arguments import add_backend_arguments, int_at_least, positive_int
from ea_plugin.plugins import hookimpl
from integrations.corpus import SAMPLE_CORPUS

DEFAULT_TOP_K = 6
DEMO_DESCRIPTION = (
    "RAG demo: a LlamaIndex retriever over the sample equipment manual; every retrieved chunk is judged and shown "
    "kept or dropped with the reason."
)


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--question", "-q", action="append", help="ask this instead of the default questions "
                        "(repeatable)")
    parser.add_argument("--top-k", type=positive_int, default=DEFAULT_TOP_K, help="chunks retrieved per question")
    parser.add_argument("--min-keep", type=int_at_least(0), default=0,
                        help="never keep fewer chunks than this per question")
    parser.add_argument("--corpus", default=str(SAMPLE_CORPUS), help="JSONL of {id, title, text} chunks")
    add_backend_arguments(parser)


def run_demo(args: argparse.Namespace) -> int:
    try:
        from integrations.demo import run
    except ImportError as exc:  # a core install without LlamaIndex
        print(f"ea-judge demo: needs LlamaIndex (pip install 'ea-plugin[llamaindex]'): {exc}", file=sys.stderr)
        return 1
    return run(args)


@hookimpl
def ea_register_commands(subparsers: argparse._SubParsersAction) -> None:
    from integrations import report

    demo = subparsers.add_parser("demo", help="RAG demo over the sample manual corpus", description=DEMO_DESCRIPTION)
    add_demo_arguments(demo)
    demo.set_defaults(func=run_demo)
    parser = subparsers.add_parser("report", help="entity-alignment report of retrieved chunks",
                                   description=report.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    report.add_arguments(parser)
    parser.set_defaults(func=report.run)
