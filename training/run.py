"""Retrain the judge end to end: convert -> configs -> train -> export -> evaluate.

    python -m training.run --aligned A.json --unaligned U.json --include-unaligned --work runs/ea
    python -m training.run --input teacher.jsonl --work runs/ea --profile qlora --export
    python -m training.run --labelled runs/data/labelled runs/data/labelled-2 --work runs/ea   # training.label folders
    python -m training.run --work runs/ea --skip convert,configs,train --eval-mode fast think --overwrite

Everything lands under ``--work``: ``data/`` (converted splits, rejects, audit, stats, dataset_info.json),
``configs/`` (the LLaMA-Factory YAMLs), ``model/`` (the adapter, or the full model; checkpoints,
trainer_log.jsonl and LLaMA-Factory's loss plot training_loss.png), ``merged/`` (with --export),
``eval/<mode>/`` (metrics.json, predictions.jsonl, report.png) and ``logs/``.

Each finished step leaves a marker in ``.done/`` with what it was made from (training.step_inputs); a rerun
skips finished steps whose inputs are the same and refuses, naming the step, where they changed (checks
before each step: training.preflight). An interrupted
training resumes from its last checkpoint (LLaMA-Factory does that when ``model/`` holds one).
Nothing is overwritten without ``--overwrite``. ``--skip`` leaves steps out; ``--set key=value``
changes a YAML key (e.g. ``--set num_train_epochs=2``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training import convert as convert_mod
from training import preflight, step_inputs
from training.lf_train import LAUNCHERS, llamafactory_cli, train_command
from training.recipe import (
    export_config,
    lf_environ,
    profile_env,
    train_config,
    with_deepspeed_file,
    write_dataset_info,
    write_yaml,
    yaml_text,
)

STEPS = ("convert", "configs", "train", "export", "evaluate")


class StepError(RuntimeError):
    """A step cannot run (missing input, an output in the way, a failed subprocess)."""


@dataclass
class WorkDir:
    """Where each step of a run reads and writes, under ``--work``."""

    work: Path

    def __post_init__(self) -> None:
        self.work = Path(self.work)

    data = property(lambda self: self.work / "data")
    train_file = property(lambda self: self.work / "data" / "train.json")
    configs = property(lambda self: self.work / "configs")
    model = property(lambda self: self.work / "model")
    merged = property(lambda self: self.work / "merged")
    eval = property(lambda self: self.work / "eval")
    logs = property(lambda self: self.work / "logs")

    def marker(self, step: str) -> Path:
        return self.work / ".done" / f"{step}.json"


@dataclass(frozen=True)
class RunOptions:
    """What the steps of a run are told (the command line's options, resolved once in main)."""

    input: str | None = None  # single mode: one teacher file
    aligned: str | None = None  # merge mode: the 对齐 and 不对齐 files
    unaligned: str | None = None
    include_unaligned: bool = False
    labelled: tuple[str, ...] = ()  # merge mode: training.label's folders (each one's aligned and unaligned)
    val: float = 0.1
    test: float = 0.1
    fast_share: float = 0.3
    balance: bool = False
    seed: int = 42
    profile: str = "lora"
    model: str | None = None
    launcher: str = "lf_train"
    eval_mode: tuple[str, ...] = ("fast",)
    eval_data: str | None = None
    eval_limit: int | None = None
    eval_batch_size: int = 16
    overwrite: bool = False

    @property
    def mode(self) -> str:
        """The conversion mode: "single" with --input, else "merge"."""
        return "single" if self.input else "merge"

    @classmethod
    def from_args(cls, args: argparse.Namespace, **changes: Any) -> RunOptions:
        values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
        values["eval_mode"] = tuple(values.get("eval_mode") or ("fast",))
        values["labelled"] = tuple(values.get("labelled") or ())
        return cls(**{**values, **changes})


@dataclass
class Plan:
    workdir: WorkDir
    options: RunOptions
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def train_yaml(self) -> Path:
        return self.workdir.configs / "train.yaml"

    @property
    def export_yaml(self) -> Path:
        return self.workdir.configs / "export.yaml"

    def config(self) -> dict[str, Any]:
        has_val = _records(self.workdir.data / "train_val.json") > 0
        return train_config(self.options.profile, dataset_dir=self.workdir.data, output_dir=self.workdir.model,
                            model=self.options.model, with_eval=has_val, overrides=self.overrides)

    def written_config(self) -> dict[str, Any]:
        import yaml

        if not self.train_yaml.exists():
            raise StepError(f"{self.train_yaml} is missing: run the configs step")
        return yaml.safe_load(self.train_yaml.read_text(encoding="utf-8"))


    def inputs(self, step: str) -> dict[str, Any]:
        """What ``step`` is made from (training.step_inputs), kept in its marker and compared on a rerun."""
        workdir, args = self.workdir, self.options
        if step == "convert":
            return step_inputs.convert_inputs(args)
        if step == "configs":
            return step_inputs.configs_inputs(args, workdir.train_file, self.overrides)
        if step == "train":
            return step_inputs.train_inputs(args, self.train_yaml, workdir.train_file)
        if step == "export":
            return step_inputs.export_inputs(self.export_yaml, workdir.marker("train"))
        eval_data = Path(args.eval_data) if args.eval_data else _eval_split_or_none(workdir)
        return step_inputs.evaluate_inputs(args, eval_data, [workdir.marker("train"), workdir.marker("export")])


def _records(path: Path) -> int:
    if not path.exists():
        return 0
    return len(json.loads(path.read_text(encoding="utf-8")))


# -- steps ----------------------------------------------------------------------------------------
def step_convert(plan: Plan) -> str:
    args = plan.options
    if not (args.input or args.aligned or args.labelled):
        raise StepError("convert needs --input (single mode), --aligned/--unaligned or --labelled (merge mode)")
    options = convert_mod.ConvertOptions(val=args.val, test=args.test, seed=args.seed, balance=args.balance,
                                         fast_share=args.fast_share, overwrite=args.overwrite)
    stats, flags = convert_mod.convert(convert_mod.sources_from_args(args), plan.workdir.train_file, options)
    print(convert_mod.report(stats, flags))
    return f"{stats.converted} converted, {stats.total_rejected} rejected"


def step_configs(plan: Plan) -> str:
    workdir = plan.workdir
    has_val = _records(workdir.data / "train_val.json") > 0
    config = with_deepspeed_file(plan.train_yaml, plan.config())
    wanted = {plan.train_yaml: config}
    if config.get("finetuning_type", "lora") == "lora":
        wanted[plan.export_yaml] = export_config(config["model_name_or_path"], workdir.model, workdir.merged)
    for path, content in wanted.items():
        if path.exists() and path.read_text(encoding="utf-8") != yaml_text(content) and not plan.options.overwrite:
            raise StepError(f"{path} exists with other settings (pass --overwrite to replace it)")
    write_dataset_info(workdir.data, workdir.train_file.name, "train_val.json" if has_val else None)
    for path, content in wanted.items():
        write_yaml(path, content)
    return f"profile {plan.options.profile} -> {plan.train_yaml}"


def step_train(plan: Plan) -> str:
    config = plan.written_config()
    output = Path(config["output_dir"])
    if plan.options.overwrite and output.exists():
        shutil.rmtree(output)
    try:
        command = train_command(plan.options.launcher, plan.train_yaml)
    except FileNotFoundError as exc:
        raise StepError(str(exc)) from exc
    _stream(command, plan.workdir.logs / "train.log", profile_env(plan.options.profile))
    if not (output / "trainer_state.json").exists() and not (output / "all_results.json").exists():
        raise StepError(f"training finished without results in {output}")
    return f"model in {output}"


def step_export(plan: Plan) -> str:
    import yaml

    if not plan.export_yaml.exists():
        return "nothing to export (full fine-tuning writes the whole model)"

    export_dir = Path(yaml.safe_load(plan.export_yaml.read_text(encoding="utf-8"))["export_dir"])
    if export_dir.exists():
        if not plan.options.overwrite:
            raise StepError(f"{export_dir} exists (pass --overwrite to replace it)")
        shutil.rmtree(export_dir)
    _stream([_llamafactory_cli(), "export", str(plan.export_yaml)], plan.workdir.logs / "export.log")
    return f"merged model in {export_dir}"


def step_evaluate(plan: Plan) -> str:
    from ea_plugin.judge import load_judge
    from training.evaluate import evaluate, load_labelled, summary, write_outputs

    data = Path(plan.options.eval_data) if plan.options.eval_data else _eval_split(plan.workdir)
    pairs, _ = load_labelled(data)
    pairs = pairs[: plan.options.eval_limit] if plan.options.eval_limit else pairs
    kwargs = judge_model_kwargs(plan)
    lines = []
    for mode in plan.options.eval_mode:
        out = plan.workdir.eval / mode
        if (out / "metrics.json").exists() and not plan.options.overwrite:
            raise StepError(f"{out}/metrics.json exists (pass --overwrite to replace it)")
        judge = load_judge("transformers", mode=mode, batch_size=plan.options.eval_batch_size, **kwargs)
        report, items = evaluate(judge, pairs)
        write_outputs(out, report, pairs, items)
        print(summary(report))
        lines.append(f"{mode}: accuracy {report['accuracy']:.3f} on {report['n']} ({data.name})")
    return "; ".join(lines)


def judge_model_kwargs(plan: Plan) -> dict[str, Any]:
    """How the transformers backend loads what training produced: merged, base + adapter, or full model."""
    config = plan.written_config()
    output = Path(config["output_dir"])
    if plan.workdir.marker("export").exists() and plan.workdir.merged.exists():
        return {"model": str(plan.workdir.merged)}
    if config.get("finetuning_type", "lora") == "lora":
        return {"model": config["model_name_or_path"], "adapter": str(output), "tokenizer": str(output)}
    return {"model": str(output)}


def _eval_split_or_none(workdir: WorkDir) -> Path | None:
    for name in ("train_test.json", "train_val.json"):
        if _records(workdir.data / name) > 0:
            return workdir.data / name
    return None


def _eval_split(workdir: WorkDir) -> Path:
    found = _eval_split_or_none(workdir)
    if found is None:
        raise StepError("no test or validation split to evaluate on: pass --eval-data")
    return found


# -- running --------------------------------------------------------------------------------------
def _llamafactory_cli() -> str:
    found = llamafactory_cli()
    if not found:
        raise StepError("llamafactory-cli not found: pip install 'ea-plugin[train]'")
    return found


def _stream(command: list[str], log: Path, extra_env: dict[str, str] | None = None) -> None:
    """Run ``command``, showing its output live (progress bars included) and keeping it in ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = lf_environ(extra_env)
    print("$ " + " ".join(command), flush=True)
    with log.open("ab") as sink:
        sink.write(("$ " + " ".join(command) + "\n").encode())
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        assert process.stdout is not None
        while chunk := process.stdout.read1(4096):
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            sink.write(chunk)
        if process.wait() != 0:
            raise StepError(f"{command[0]} exited with {process.returncode}; log: {log}")


def _profile_of(workdir: WorkDir) -> str | None:
    """The profile an earlier run over this --work wrote its configs with (None: none yet)."""
    marker = workdir.marker("configs")
    if not marker.exists():
        return None
    return (json.loads(marker.read_text()).get("inputs") or {}).get("--profile")


RUNNERS: dict[str, Callable[[Plan], str]] = {
    "convert": step_convert, "configs": step_configs, "train": step_train, "export": step_export,
    "evaluate": step_evaluate,
}


def run(plan: Plan, steps: Sequence[str]) -> dict[str, str]:
    results: dict[str, str] = {}
    for number, step in enumerate(steps, start=1):
        marker = plan.workdir.marker(step)
        header = f"==> [{number}/{len(steps)}] {step}"
        inputs = plan.inputs(step)
        if marker.exists() and not plan.options.overwrite:
            done = json.loads(marker.read_text())
            different = step_inputs.changed(done.get("inputs"), inputs)
            if different:
                raise StepError(f"{step} was done in {plan.workdir.work} with other inputs ({', '.join(different)} "
                                "changed): pass --overwrite to redo it and the steps after it, or use another --work")
            results[step] = "already done: " + done["result"]
            print(f"{header}: {results[step]} (pass --overwrite to redo)", flush=True)
            continue
        print(header, flush=True)
        preflight.check(step, plan)
        started = time.perf_counter()
        results[step] = RUNNERS[step](plan)
        seconds = time.perf_counter() - started
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"result": results[step], "seconds": round(seconds, 1), "inputs": inputs},
                                     ensure_ascii=False) + "\n")
        print(f"    {step} done in {seconds:.0f} s: {results[step]}", flush=True)
    return results


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", required=True, help="folder for everything this run writes")
    p.add_argument("--aligned", help="teacher records labelled 对齐 (merge mode)")
    p.add_argument("--unaligned", help="teacher records labelled 不对齐 (merge mode)")
    p.add_argument("--include-unaligned", action="store_true")
    p.add_argument("--input", help="one teacher file (single mode)")
    p.add_argument("--labelled", metavar="DIR", nargs="+", action="extend",
                   help="training.label's output folders (one or more): their aligned.json and unaligned.json, "
                        "trained together (merge mode)")
    p.add_argument("--val", type=float, default=0.1)
    p.add_argument("--test", type=float, default=0.1)
    p.add_argument("--fast-share", type=float, default=0.3)
    p.add_argument("--balance", action="store_true")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--profile", help="lora (default; a rerun keeps the profile of --work), qlora, ddp, ds_z3, or "
                   "tiny (the CPU smoke run)")
    p.add_argument("--model", help="base model (default: the profile's, Qwen/Qwen3-8B)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a YAML key")
    p.add_argument("--launcher", choices=LAUNCHERS, default="lf_train",
                   help="lf_train: LLaMA-Factory + logits only at labelled positions (same loss, faster)")
    p.add_argument("--export", action="store_true", help="merge the adapter into the base weights")
    p.add_argument("--skip", default="", help="comma-separated steps to leave out")
    p.add_argument("--eval-mode", nargs="+", choices=("fast", "think"), default=["fast"])
    p.add_argument("--eval-data", help="labelled set to evaluate on (default: the test split)")
    p.add_argument("--eval-limit", type=int)
    p.add_argument("--eval-batch-size", type=int, default=16)
    p.add_argument("--overwrite", action="store_true", help="redo steps and replace their outputs")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from training.evaluate import parse_options

    args = build_parser().parse_args(argv)
    if args.labelled and (args.aligned or args.unaligned or args.input):  # the label step's folders stand for them
        print("error: --labelled replaces --aligned, --unaligned and --input", file=sys.stderr)
        return 2
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(STEPS)
    if unknown:
        print(f"error: unknown steps in --skip: {sorted(unknown)}; steps are {STEPS}", file=sys.stderr)
        return 2
    if not args.export:
        skip.add("export")
    workdir = WorkDir(args.work)
    options = RunOptions.from_args(args, profile=args.profile or _profile_of(workdir) or "lora")
    plan = Plan(workdir, options, parse_options(args.set))
    try:
        run(plan, [s for s in STEPS if s not in skip])
    except (StepError, convert_mod.OutputExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
