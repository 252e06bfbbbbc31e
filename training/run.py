"""Retrain the judge end to end: convert -> configs -> train -> export -> evaluate.

    ea-judge run --aligned A.json --unaligned U.json --include-unaligned --work runs/ea  # the same command
    python -m training.run --aligned A.json --unaligned U.json --include-unaligned --work runs/ea
    python -m training.run --input teacher.jsonl --work runs/ea --profile qlora --export
    python -m training.run --labelled runs/data/labelled runs/data/labelled-2 --work runs/ea   # ea-judge label folders
    python -m training.run --work runs/ea --skip convert,configs,train --eval-mode fast think --overwrite

Everything lands under ``--work``: ``data/`` (converted splits, rejects, audit, stats, dataset_info.json),
``configs/`` (the LLaMA-Factory YAMLs), ``model/`` (the adapter, or the full model; checkpoints,
trainer_log.jsonl and LLaMA-Factory's loss plot training_loss.png), ``merged/`` (with --export),
``eval/<mode>/`` (metrics.json, predictions.jsonl, report.png) and ``logs/``.

The steps are training.steps.STEPS. Each finished step leaves a marker in ``.done/`` with what it was made
from; a rerun skips finished steps whose inputs are the same and refuses, naming the step, where they changed
(and each step's needs of this machine are checked before it starts: training.preflight). An interrupted
training resumes from its last checkpoint (LLaMA-Factory does that when ``model/`` holds one).
Nothing is overwritten without ``--overwrite``. ``--skip`` leaves steps out; ``--set key=value``
changes a YAML key (e.g. ``--set num_train_epochs=2``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ea_plugin.arguments import Command, Interrupted, parse_options, positive_int
from ea_plugin.errors import OptionError
from ea_plugin.jsonl import read_json, write_json
from training.lf_train import LAUNCHERS
from training.recipe import PROFILES
from training.step_inputs import changed
from training.steps import STEP_NAMES, STEPS, Plan, RunOptions, Step, StepError, WorkDir

__all__ = ["COMMAND", "STEPS", "Plan", "RunOptions", "Step", "StepError", "WorkDir", "main", "retrain", "run"]


def run(plan: Plan, steps: Sequence[Step]) -> dict[str, str]:
    """Run ``steps`` in order; a finished step with the same inputs is skipped, one with other inputs refused."""
    results: dict[str, str] = {}
    for number, step in enumerate(steps, start=1):
        marker = plan.workdir.marker(step.name)
        header = f"==> [{number}/{len(steps)}] {step.name}"
        inputs = step.inputs(plan)
        if marker.exists() and not plan.options.overwrite:
            done = read_json(marker)
            different = changed(done.get("inputs"), inputs)
            if different:
                raise StepError(f"{step.name} was done in {plan.workdir.work} with other inputs "
                                f"({', '.join(different)} changed): pass --overwrite to redo it and the steps after "
                                "it, or use another --work")
            results[step.name] = "already done: " + done["result"]
            print(f"{header}: {results[step.name]} (pass --overwrite to redo)", flush=True)
            continue
        print(header, flush=True)
        step.check(plan)
        started = time.perf_counter()
        results[step.name] = step.run(plan)
        seconds = time.perf_counter() - started
        write_json(marker, {"result": results[step.name], "seconds": round(seconds, 1), "inputs": inputs}, indent=None)
        print(f"    {step.name} done in {seconds:.0f} s: {results[step.name]}", flush=True)
    return results


def retrain(work: str | Path, options: RunOptions, overrides: dict[str, Any] | None = None,
            skip: Sequence[str] = ()) -> dict[str, str]:
    """Run every step not in ``skip`` over ``work`` (the profile defaults to the one ``work`` was made with)."""
    unknown = set(skip) - set(STEP_NAMES)
    if unknown:
        raise OptionError(f"unknown steps in --skip: {sorted(unknown)}; steps are {STEP_NAMES}", option="skip")
    plan = Plan(WorkDir(Path(work)), options, dict(overrides or {}))
    return run(plan, [step for step in STEPS if step.name not in skip])


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", required=True, help="folder for everything this run writes")
    p.add_argument("--aligned", help="teacher records labelled 对齐 (merge mode)")
    p.add_argument("--unaligned", help="teacher records labelled 不对齐 (merge mode)")
    p.add_argument("--include-unaligned", action="store_true")
    p.add_argument("--input", help="one teacher file (single mode)")
    p.add_argument("--labelled", metavar="DIR", nargs="+", action="extend",
                   help="ea-judge label's output folders (one or more): their aligned.json and unaligned.json, "
                        "trained together (merge mode)")
    p.add_argument("--val", type=float, default=0.1)
    p.add_argument("--test", type=float, default=0.1)
    p.add_argument("--fast-share", type=float, default=0.3)
    p.add_argument("--balance", action="store_true")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--profile", choices=sorted(PROFILES),
                   help="lora (default; a rerun keeps the profile of --work), qlora, ddp, ds_z3, or tiny (the CPU "
                   "smoke run)")
    p.add_argument("--model", help="base model (default: the profile's, Qwen/Qwen3-8B)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a YAML key")
    p.add_argument("--launcher", choices=LAUNCHERS, default="lf_train",
                   help="lf_train: LLaMA-Factory + logits only at labelled positions (same loss, faster)")
    p.add_argument("--export", action="store_true", help="merge the adapter into the base weights")
    p.add_argument("--skip", default="", help=f"comma-separated steps to leave out of {', '.join(STEP_NAMES)}")
    p.add_argument("--eval-mode", nargs="+", choices=("fast", "think"), default=["fast"])
    p.add_argument("--eval-data", help="labelled set to evaluate on (default: the test split)")
    p.add_argument("--eval-limit", type=positive_int)  # a negative slice would drop the last pairs silently
    p.add_argument("--eval-batch-size", type=positive_int, default=16)
    p.add_argument("--overwrite", action="store_true", help="redo steps and replace their outputs")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """``ea-judge run`` / ``python -m training.run``: the command line's options, resolved once."""
    if args.labelled and (args.aligned or args.unaligned or args.input):  # the label step's folders stand for them
        raise OptionError("--labelled replaces --aligned, --unaligned and --input", option="labelled")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if not args.export:
        skip.add("export")
    options = RunOptions.from_args(args, profile=args.profile or WorkDir(args.work).profile() or "lora")
    try:
        retrain(args.work, options, parse_options(args.set, flag="--set"), sorted(skip))  # a StepError names its step
    except KeyboardInterrupt:
        raise Interrupted(f"the finished steps are kept in {Path(args.work) / '.done'}; run the same command again "
                          "to go on (training resumes from its last checkpoint)") from None
    return 0


COMMAND = Command("run", "retrain the judge: convert, configs, train, export, evaluate", add_arguments,
                  description=__doc__)


def main(argv: Sequence[str] | None = None) -> int:
    return COMMAND.main(argv, prog="python -m training.run")


if __name__ == "__main__":
    sys.exit(main())
