"""The steps of ``training.run``, each known in one place: a ``Step`` with its name, what it is made from
(``inputs``, kept in its marker and compared on a rerun), what it needs of this machine (``preflight``) and what
it does (``run``). ``STEPS`` is the registry, in running order.

A step's inputs are a flat dict of named values (file contents as SHA-256 by ``training.step_inputs.digest``,
options as given). Steps chain through the files they read (configs reads ``data/train.json``, train reads
``configs/train.yaml``, ...), so a changed input shows first at the step that reads it.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ea_plugin.errors import EAPluginError
from ea_plugin.jsonl import read_json
from training import convert as convert_mod
from training.lf_train import llamafactory_command, train_command
from training.preflight import PreflightError, gpu_problem, model_problem
from training.processes import group_process
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
from training.step_inputs import digest


class StepError(EAPluginError, RuntimeError):
    """A step cannot run (missing input, an output in the way, a failed subprocess, a need this machine does not
    meet)."""


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

    def profile(self) -> str | None:
        """The profile an earlier run over this --work wrote its configs with (None: none yet)."""
        marker = self.marker("configs")
        if not marker.exists():
            return None
        return (read_json(marker).get("inputs") or {}).get("--profile")


@dataclass(frozen=True)
class RunOptions:
    """What the steps of a run are told (the command line's options, resolved once)."""

    input: str | None = None  # single mode: one teacher file
    aligned: str | None = None  # merge mode: the 对齐 and 不对齐 files
    unaligned: str | None = None
    include_unaligned: bool = False
    labelled: tuple[str, ...] = ()  # merge mode: ea-judge label's folders (each one's aligned and unaligned)
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
    def from_args(cls, args: Any, **changes: Any) -> RunOptions:
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

    def judge_model_kwargs(self) -> dict[str, Any]:
        """How the transformers backend loads what training produced: merged, base + adapter, or full model."""
        config = self.written_config()
        output = Path(config["output_dir"])
        if self.workdir.marker("export").exists() and self.workdir.merged.exists():
            return {"model": str(self.workdir.merged)}
        if config.get("finetuning_type", "lora") == "lora":
            return {"model": config["model_name_or_path"], "adapter": str(output), "tokenizer": str(output)}
        return {"model": str(output)}

    def eval_data(self) -> Path | None:
        """The labelled set to evaluate on: --eval-data, else the test split, else the validation split."""
        if self.options.eval_data:
            return Path(self.options.eval_data)
        for name in ("train_test.json", "train_val.json"):
            if _records(self.workdir.data / name) > 0:
                return self.workdir.data / name
        return None


def _records(path: Path) -> int:
    if not path.exists():
        return 0
    return len(read_json(path))


@dataclass(frozen=True)
class Step:
    name: str
    inputs: Callable[[Plan], dict[str, Any]]  # what it is made from; None values: "not given this time"
    run: Callable[[Plan], str]  # does it; returns the line that says what it made
    preflight: Callable[[Plan], None] = lambda plan: None  # raises PreflightError when this machine cannot run it

    def check(self, plan: Plan) -> None:
        """Raise StepError naming this step when its needs are not met here."""
        try:
            self.preflight(plan)
        except PreflightError as exc:
            raise StepError(f"{self.name}: {exc}") from exc


# -- convert ----------------------------------------------------------------------------------------------
def convert_inputs(plan: Plan) -> dict[str, Any]:
    """The teacher files' contents and the conversion options; nothing when no teacher file is given (a rerun
    that only continues)."""
    args = plan.options
    if not (args.input or args.aligned or args.labelled):
        return {}
    labelled = [digest(Path(folder) / name) for folder in args.labelled for name in ("aligned.json", "unaligned.json")]
    return {
        "--input": digest(args.input), "--aligned": digest(args.aligned), "--unaligned": digest(args.unaligned),
        "--labelled": labelled or None,
        "--include-unaligned": args.include_unaligned, "--val": args.val, "--test": args.test, "--seed": args.seed,
        "--balance": args.balance, "--fast-share": args.fast_share,
    }


def run_convert(plan: Plan) -> str:
    args = plan.options
    if not (args.input or args.aligned or args.labelled):
        raise StepError("convert needs --input (single mode), --aligned/--unaligned or --labelled (merge mode)")
    options = convert_mod.ConvertOptions(val=args.val, test=args.test, seed=args.seed, balance=args.balance,
                                         fast_share=args.fast_share, overwrite=args.overwrite)
    stats, flags = convert_mod.convert(convert_mod.sources_from_args(args), plan.workdir.train_file, options)
    print(convert_mod.report(stats, flags))
    return f"{stats.converted} converted, {stats.total_rejected} rejected"


# -- configs ----------------------------------------------------------------------------------------------
def configs_inputs(plan: Plan) -> dict[str, Any]:
    return {"--profile": plan.options.profile, "--model": plan.options.model,
            "--set": sorted(f"{k}={v}" for k, v in plan.overrides.items()) or None,
            "data/train.json": digest(plan.workdir.train_file)}


def run_configs(plan: Plan) -> str:
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


# -- train ------------------------------------------------------------------------------------------------
def train_inputs(plan: Plan) -> dict[str, Any]:
    return {"configs/train.yaml": digest(plan.train_yaml), "data/train.json": digest(plan.workdir.train_file),
            "--launcher": plan.options.launcher}


def train_preflight(plan: Plan) -> None:
    """A CUDA GPU with bf16 where the profile wants one, and a base model that can be loaded."""
    config = plan.written_config()
    gpu_problem(config, plan.options.profile)
    model_problem(config["model_name_or_path"])


def run_train(plan: Plan) -> str:
    config = plan.written_config()
    output = Path(config["output_dir"])
    if plan.options.overwrite and output.exists():
        shutil.rmtree(output)
    try:
        command = train_command(plan.options.launcher, plan.train_yaml)
    except FileNotFoundError as exc:
        raise StepError(str(exc)) from exc
    stream(command, plan.workdir.logs / "train.log", profile_env(plan.options.profile))
    if not (output / "trainer_state.json").exists() and not (output / "all_results.json").exists():
        raise StepError(f"training finished without results in {output}")
    return f"model in {output}"


# -- export -----------------------------------------------------------------------------------------------
def export_inputs(plan: Plan) -> dict[str, Any]:
    return {"configs/export.yaml": digest(plan.export_yaml), "trained model": digest(plan.workdir.marker("train"))}


def export_preflight(plan: Plan) -> None:
    if plan.export_yaml.exists():
        model_problem(plan.written_config()["model_name_or_path"])


def run_export(plan: Plan) -> str:
    import yaml

    if not plan.export_yaml.exists():
        return "nothing to export (full fine-tuning writes the whole model)"
    export_dir = Path(yaml.safe_load(plan.export_yaml.read_text(encoding="utf-8"))["export_dir"])
    if export_dir.exists():
        if not plan.options.overwrite:
            raise StepError(f"{export_dir} exists (pass --overwrite to replace it)")
        shutil.rmtree(export_dir)
    try:
        command = llamafactory_command("export", str(plan.export_yaml))
    except FileNotFoundError as exc:
        raise StepError(str(exc)) from exc
    stream(command, plan.workdir.logs / "export.log")
    return f"merged model in {export_dir}"


# -- evaluate ---------------------------------------------------------------------------------------------
def evaluate_inputs(plan: Plan) -> dict[str, Any]:
    markers = [plan.workdir.marker("train"), plan.workdir.marker("export")]
    return {"--eval-data": digest(plan.eval_data()), "--eval-mode": sorted(plan.options.eval_mode),
            "--eval-limit": plan.options.eval_limit, "model": [digest(m) for m in markers]}


def evaluate_preflight(plan: Plan) -> None:
    if plan.train_yaml.exists():
        model_problem(plan.judge_model_kwargs()["model"])


def run_evaluate(plan: Plan) -> str:
    from ea_plugin.judge import load_judge
    from training.evaluate import evaluate, load_labelled, summary, write_outputs

    data = plan.eval_data()
    if data is None:
        raise StepError("no test or validation split to evaluate on: pass --eval-data")
    pairs, _ = load_labelled(data)
    pairs = pairs[: plan.options.eval_limit] if plan.options.eval_limit else pairs
    kwargs = plan.judge_model_kwargs()
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


STEPS: tuple[Step, ...] = (
    Step("convert", convert_inputs, run_convert),
    Step("configs", configs_inputs, run_configs),
    Step("train", train_inputs, run_train, train_preflight),
    Step("export", export_inputs, run_export, export_preflight),
    Step("evaluate", evaluate_inputs, run_evaluate, evaluate_preflight),
)
STEP_NAMES: tuple[str, ...] = tuple(step.name for step in STEPS)


def stream(command: list[str], log: Path, extra_env: dict[str, str] | None = None) -> None:
    """Run ``command``, showing its output live (progress bars included) and keeping it in ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = lf_environ(extra_env)
    print("$ " + " ".join(command), flush=True)
    with log.open("ab") as sink:
        sink.write(("$ " + " ".join(command) + "\n").encode())
        # Its own process group, stopped if this step ends early (Ctrl-C, an error, a test's timeout): no training
        # runs on without the command that started it.
        with group_process(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env) as process:
            output = cast(io.BufferedReader, process.stdout)  # a pipe: read1 returns what is there, not 4096 bytes
            while chunk := output.read1(4096):
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
                sink.write(chunk)
            returncode = process.wait()
        if returncode != 0:
            raise StepError(f"{command[0]} exited with {returncode}; log: {log}")
