"""The `ea-judge` command.

    ea-judge demo                                   # RAG demo over the sample manual (rules backend, no model)
    ea-judge judge "sv660n出现e100故障怎么办？" "md500变频器e100故障…"
    ea-judge examples                               # the spec's worked examples with decisions and reasons
    ea-judge filter pairs.jsonl -o judged.jsonl     # resumable: a rerun skips records already judged
    ea-judge serve --model saves/merged             # vLLM with the training chat template (training.serve)
    ea-judge backends                               # registered backends (built-in and plugins)
    ea-judge report retrieved.jsonl -o report/      # how often a retriever returns off-entity chunks

`demo` comes from the integrations package and `serve` from the training package, through the
``ea_register_commands`` hook (ea_plugin.plugins); this module imports neither.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from ea_plugin.catalog import CatalogError
from ea_plugin.errors import OptionError
from ea_plugin.examples import WORKED_EXAMPLES
from ea_plugin.judge import AlignmentJudge, load_judge
from ea_plugin.plugins import hookimpl
from ea_plugin.policy import Decision

# The spec's worked examples, shown by `ea-judge examples` (defined once in ea_plugin.examples).
EXAMPLE_PAIRS: tuple[tuple[str, str], ...] = tuple((ex.question, ex.chunk) for ex in WORKED_EXAMPLES)


# -- shared options ---------------------------------------------------------------------------------
def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """Options that pick and configure a backend; shared by every subcommand that judges."""
    group = parser.add_argument_group("backend")
    group.add_argument(
        "--backend", default="rules", help="rules (default, no model), transformers, openai, or a plugin's name"
    )
    group.add_argument("--model", help="transformers: model id/dir; openai: served model name")
    group.add_argument("--adapter", help="transformers: LoRA adapter dir")
    group.add_argument("--base-url", help="openai: e.g. http://127.0.0.1:8000/v1")
    group.add_argument("--api-key", help="openai: API key (default EMPTY)")
    group.add_argument("--mode", choices=["fast", "think"], help="fast (label + score) or think (reasoning)")
    group.add_argument("--threshold", type=float, help="keep a chunk when P(对齐) >= this (fast mode)")
    group.add_argument("--on-error", choices=["keep", "drop", "raise"], help="what a failed judgement means")
    group.add_argument("--batch-size", type=int)
    group.add_argument("--catalog", action="append", metavar="FILE",
                       help="rules: a user product catalog (YAML/JSON) extending the built-in one; repeatable")


def judge_from_args(args: argparse.Namespace) -> AlignmentJudge:
    backend_kwargs = {"model": args.model, "adapter": args.adapter, "base_url": args.base_url, "api_key": args.api_key,
                      "catalog": args.catalog}
    judge_kwargs = {"mode": args.mode, "threshold": args.threshold, "on_error": args.on_error,
                    "batch_size": args.batch_size}
    if args.backend == "rules" and args.mode is None:
        judge_kwargs["mode"] = "think"  # the rules backend writes its four-step reasoning in think mode
    kwargs = {k: v for k, v in {**backend_kwargs, **judge_kwargs}.items() if v is not None}
    return load_judge(args.backend, **kwargs)


def decision_line(decision: Decision) -> str:
    action = "keep" if decision.kept else "drop"
    score = "" if decision.score is None else f" P(对齐)={decision.score:.3f}"
    error = f" error: {decision.error}" if decision.error else ""
    return f"{action:4} {decision.label or '-'}{score}{error}"


def int_at_least(minimum: int) -> Callable[[str], int]:
    """argparse type: an integer >= ``minimum`` (argparse turns the error into a one-line usage error)."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"int >= {minimum}"  # what argparse names in "invalid ... value"
    return parse


positive_int = int_at_least(1)


# -- subcommands ------------------------------------------------------------------------------------
def cmd_judge(args: argparse.Namespace) -> int:
    decision = judge_from_args(args).judge(args.question, args.chunk)
    if args.json:
        print(json.dumps(decision.to_dict(), ensure_ascii=False))
    else:
        print(decision_line(decision))
        if decision.reasoning:
            print(decision.reasoning)
    return 0


def cmd_examples(args: argparse.Namespace) -> int:
    judge = judge_from_args(args)
    for (question, chunk), decision in zip(EXAMPLE_PAIRS, judge.judge_pairs(list(EXAMPLE_PAIRS)), strict=True):
        print(f"Q: {question}\nC: {chunk}\n=> {decision_line(decision)}")
        if decision.reason:
            print(f"   {decision.reason}")
        print()
    return 0


def cmd_filter(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ea_plugin.errors import EAPluginError
    from ea_plugin.filter_file import check_paths, filter_file

    try:
        paths = check_paths(args.input, args.output, args.rejects)
        judge = judge_from_args(args)
        counts = filter_file(judge, paths, args.records_per_step,
                             lambda total: tqdm(total=total, desc="judging", unit="pair", disable=args.quiet))
    except EAPluginError as exc:
        print(f"ea-judge filter: error: {exc}", file=sys.stderr)
        return 2
    print(counts.summary(), file=sys.stderr)
    return 0


def cmd_backends(args: argparse.Namespace) -> int:
    from ea_plugin.plugins import backend_factories, qualname

    for name, factory in sorted(backend_factories().items()):
        print(f"{name:14} {qualname(factory)}")
    return 0


@hookimpl(tryfirst=True)  # the built-in commands are listed first
def ea_register_commands(subparsers: argparse._SubParsersAction) -> None:
    """The built-in subcommands, added through the same hook as other packages' (demo, serve)."""
    sub = subparsers
    judge = sub.add_parser("judge", help="judge one (question, chunk) pair")
    judge.add_argument("question")
    judge.add_argument("chunk")
    judge.add_argument("--json", action="store_true", help="print the whole decision (kept, why, judgement) as JSON")
    add_backend_arguments(judge)
    judge.set_defaults(func=cmd_judge)

    examples = sub.add_parser("examples", help="judge the spec's worked examples")
    add_backend_arguments(examples)
    examples.set_defaults(func=cmd_examples)

    filt = sub.add_parser("filter", help="judge a JSONL file of {question, chunk} records (resumable)")
    filt.add_argument("input")
    filt.add_argument("-o", "--output", required=True, help="JSONL with each record and its verdict (appended)")
    filt.add_argument("--rejects", help="JSONL of unreadable records with reasons (default: OUTPUT.rejects.jsonl)")
    filt.add_argument("--records-per-step", type=positive_int, default=256,
                      help="records judged and written per step (a rerun resumes after the last one written)")
    # The option's old name (a "chunk" here is a passage, not a slice of the file): still accepted, not shown.
    filt.add_argument("--chunk-size", dest="records_per_step", type=positive_int, help=argparse.SUPPRESS)
    filt.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_arguments(filt)
    filt.set_defaults(func=cmd_filter)

    backends = sub.add_parser("backends", help="list registered backends")
    backends.set_defaults(func=cmd_backends)


def build_parser() -> argparse.ArgumentParser:
    """``ea-judge`` with every subcommand that a plugin (the built-ins included) registers."""
    from ea_plugin.plugins import add_plugin_commands

    parser = argparse.ArgumentParser(prog="ea-judge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_plugin_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.func(args) or 0)
    except (CatalogError, OptionError) as exc:  # a bad catalog entry or option: one line, no traceback
        print(f"ea-judge {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
