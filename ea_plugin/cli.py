"""The `ea-judge` command: every user-facing step is a subcommand.

    ea-judge judge "sv660n出现e100故障怎么办？" "md500变频器e100故障…"
    ea-judge examples                               # the spec's worked examples with decisions and reasons
    ea-judge filter pairs.jsonl -o judged.jsonl     # resumable: a rerun skips records already judged
    ea-judge filter pairs.jsonl -o judged.jsonl --workers 8          # the rules backend on 8 cores
    ea-judge filter pairs.jsonl -o judged.jsonl --engine ray         # actors on a Ray cluster
    ea-judge extract "台达ASDA-A2报警AL3E1"          # what the rules read in a text, and why
    ea-judge catalog check my_products.yaml         # validate a product catalog
    ea-judge demo                                   # RAG demo over the sample manual (rules backend, no model)
    ea-judge retrieve -o retrieved.jsonl            # what a LlamaIndex retriever returns (report's input)
    ea-judge report retrieved.jsonl -o report/      # how often a retriever returns off-entity chunks
    ea-judge mine / select / label / convert        # training data: mine pairs, pick, label with a teacher, convert
    ea-judge run --labelled DIR --work runs/ea      # retrain: convert, configs, train, export, evaluate
    ea-judge evaluate --data test.json --out DIR    # any backend on a labelled set
    ea-judge serve --model saves/merged             # vLLM with the training chat template
    ea-judge backends                               # registered backends (built-in and plugins)

Commands that judge share the backend flags: --backend NAME, --option KEY=VALUE, and the shortcuts --model,
--adapter, --base-url, --api-key, --catalog (ea_plugin.arguments). `demo`, `retrieve` and `report` come from the
integrations package and the training commands from the training package, through the ``ea_register_commands``
hook (ea_plugin.plugins); this module imports neither. `python -m training.run` and the other `python -m` forms
run the same code.
"""

from __future__ import annotations

import argparse
import sys

from ea_plugin.arguments import (
    BackendChoice,
    Interrupted,
    Parser,
    decisions_failed,
    positive_int,
    run_command,
    start,
)
from ea_plugin.arguments import add_backend_arguments as add_backend_arguments  # the old import path, kept
from ea_plugin.arguments import int_at_least as int_at_least  # the old import path, kept
from ea_plugin.arguments import judge_config_from_args as judge_config_from_args  # the old import path, kept
from ea_plugin.arguments import judge_from_args as judge_from_args  # the old import path, kept
from ea_plugin.examples import WORKED_EXAMPLES
from ea_plugin.jsonl import dumps
from ea_plugin.parallel import ENGINES
from ea_plugin.plugins import hookimpl
from ea_plugin.policy import Decision

# The spec's worked examples, shown by `ea-judge examples` (defined once in ea_plugin.examples).
EXAMPLE_PAIRS: tuple[tuple[str, str], ...] = tuple((ex.question, ex.chunk) for ex in WORKED_EXAMPLES)


def decision_line(decision: Decision) -> str:
    action = "keep" if decision.kept else "drop"
    score = "" if decision.score is None else f" P(对齐)={decision.score:.3f}"
    error = f" error: {decision.error}" if decision.error else ""
    return f"{action:4} {decision.label or '-'}{score}{error}"


# -- subcommands ------------------------------------------------------------------------------------
def cmd_judge(args: argparse.Namespace) -> int:
    decision = judge_from_args(args).judge(args.question, args.chunk)
    if args.json:
        print(dumps(decision.to_dict()))  # strict JSON whatever a plugin put in the judgement
    else:
        print(decision_line(decision))
        if decision.reasoning:
            print(decision.reasoning)
    return decisions_failed("ea-judge judge", [decision])


def cmd_examples(args: argparse.Namespace) -> int:
    judge = judge_from_args(args)
    decisions = judge.judge_pairs(list(EXAMPLE_PAIRS))
    for (question, chunk), decision in zip(EXAMPLE_PAIRS, decisions, strict=True):
        print(f"Q: {question}\nC: {chunk}\n=> {decision_line(decision)}")
        if decision.reason:
            print(f"   {decision.reason}")
        print()
    return decisions_failed("ea-judge examples", decisions)


def cmd_filter(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ea_plugin.filter_file import check_paths, done_lines, filter_file
    from ea_plugin.parallel import engine

    paths = check_paths(args.input, args.output, args.rejects, BackendChoice.from_args(args).files_read)
    options = {"address": args.ray_address} if args.ray_address else {}
    try:
        with engine(args.engine, judge_config_from_args(args), args.workers, **options) as judging:
            counts = filter_file(None, paths, args.records_per_step,
                                 lambda total: tqdm(total=total, desc="judging", unit="line", disable=args.quiet),
                                 retry_errors=args.retry_errors, engine=judging)
    except KeyboardInterrupt:  # filter_file's FilterInterrupted: what was written is safe
        safe = len(done_lines(paths.output, paths.rejects))
        raise Interrupted(f"{safe} records are safe in {paths.output} and {paths.rejects}; run the same command "
                          "again to resume") from None
    print(counts.summary(), file=sys.stderr)
    if counts.mostly_failed():
        print(f"ea-judge filter: warning: {counts.failure_warning()}", file=sys.stderr)
        return 1
    return 0


def cmd_backends(args: argparse.Namespace) -> int:
    """Each backend and the options it takes (what --option KEY=VALUE and the shortcut flags may name)."""
    from ea_plugin.judge import factory_options
    from ea_plugin.options import documented
    from ea_plugin.plugins import backend_factories, qualname

    for name, factory in sorted(backend_factories().items()):
        print(f"{name:14} {qualname(factory)}")
        options_type = getattr(factory, "options_type", None)
        if options_type is not None:  # declared once, with default and help: say each
            for doc in documented(options_type):
                print(f"{'':14} --option {doc.name}=...  (default {doc.default}) {doc.help}")
            continue
        options = factory_options(factory)
        print(f"{'':14} options: {', '.join(options) if options is not None else 'any'}")
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
    filt.add_argument("-o", "--output", required=True,
                      help="JSONL: each record with the filter's own fields under 'ea' (appended)")
    filt.add_argument("--rejects", help="JSONL of unreadable records with reasons (default: OUTPUT.rejects.jsonl)")
    filt.add_argument("--records-per-step", type=positive_int, default=256,
                      help="records judged and written per step (a rerun resumes after the last one written)")
    # The option's old name (a "chunk" here is a passage, not a slice of the file): still accepted, not shown.
    filt.add_argument("--chunk-size", dest="records_per_step", type=positive_int, help=argparse.SUPPRESS)
    filt.add_argument("--retry-errors", action="store_true",
                      help="on resume, judge again the records whose judgement failed in an earlier run")
    filt.add_argument("--quiet", action="store_true", help="no progress bar")
    scale = filt.add_argument_group("past one process (the output is the same as one process's)")
    scale.add_argument("--workers", type=positive_int,
                       help="judges working at once: local: processes of this machine (default 1: this process; "
                            "for the rules backend, up to one per core); ray: actors (default: one per CPU of the "
                            "cluster, one per GPU for the transformers backend)")
    scale.add_argument("--engine", choices=ENGINES, default="local",
                       help="local (default): this machine; ray: actors on a Ray cluster (pip install "
                            "\"ea-plugin[ray]\"; RAY_ADDRESS or --ray-address, else a local cluster)")
    scale.add_argument("--ray-address", help="ray: the cluster to join, e.g. ray://head:10001 (default RAY_ADDRESS)")
    add_backend_arguments(filt)
    filt.set_defaults(func=cmd_filter)

    backends = sub.add_parser("backends", help="list registered backends and the options each takes")
    backends.set_defaults(func=cmd_backends)


def build_parser() -> argparse.ArgumentParser:
    """``ea-judge`` with every subcommand that a plugin (the built-ins included) registers."""
    from ea_plugin import __version__
    from ea_plugin.plugins import add_plugin_commands

    parser = Parser(prog="ea-judge", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ea-judge (ea-plugin) {__version__}")
    add_plugin_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv: list[str] | None = None) -> int:
    """``ea-judge``: every expected failure is one ``ea-judge COMMAND: error:`` line (ea_plugin.arguments)."""
    args = start("ea-judge", lambda: build_parser().parse_args(sys.argv[1:] if argv is None else argv))
    return args if isinstance(args, int) else run_command(f"ea-judge {args.command}", args)


if __name__ == "__main__":
    raise SystemExit(main())
