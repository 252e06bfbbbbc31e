"""Serve a trained judge with vLLM's OpenAI-compatible server, rendering prompts exactly as in training.

    python -m training.serve --model saves/merged                      # a merged model dir
    python -m training.serve --model Qwen/Qwen3-8B --adapter saves/qwen3-8b-ea --tensor-parallel-size 2
    ea-judge serve --model saves/merged --dry-run                      # print the vLLM command only

The server gets ``--chat-template`` with ea_plugin.prompts.CHAT_TEMPLATE (written to a file at start), so it
renders what ea_plugin.prompts.render_prompt renders, whatever template the checkpoint carries; prefix caching
is on (every prompt starts with the same system prompt). Extra vLLM flags go after ``--``. Once the server
answers, the command prints the ``load_judge("openai", ...)`` line that uses it; Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ea_plugin.arguments import Command, positive_int
from ea_plugin.errors import OptionError
from ea_plugin.jsonl import read_json
from ea_plugin.prompts import CHAT_TEMPLATE

DEFAULT_NAME = "entity-alignment"
VLLM_PYTHON_ENV = "EA_VLLM_PYTHON"  # where vLLM lives in its own environment
# vLLM accepts only these --max-lora-rank values.
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)


@dataclass(frozen=True)
class ServeConfig:
    """Everything that decides the vLLM command line."""

    model: str  # merged model dir, or the base model when ``adapter`` is given
    adapter: str | None = None  # LoRA adapter dir, served under ``name`` (the base as ``name``-base)
    name: str = DEFAULT_NAME  # the model name clients ask for
    host: str = "127.0.0.1"
    port: int = 8000
    tensor_parallel_size: int = 1
    reasoning_parser: str | None = None  # "qwen3": reasoning in the reply's `reasoning` field
    dtype: str = "auto"
    max_model_len: int | None = None
    python: str = field(default_factory=lambda: default_python())
    template_path: Path | None = None  # where the chat template is written; default: a file in the temp dir
    vllm_args: tuple[str, ...] = ()  # passed through unchanged

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}/v1"

    def load_judge_line(self) -> str:
        return f'load_judge("openai", base_url="{self.base_url}", model="{self.name}")'


def default_python() -> str:
    """The interpreter of vLLM's environment: ``EA_VLLM_PYTHON`` if set, else this one (vLLM installed beside
    ea-plugin); a separate environment such as scripts/setup_vllm_venv.sh's is named with --python."""
    return os.environ.get(VLLM_PYTHON_ENV) or sys.executable


def write_chat_template(path: Path | None = None) -> Path:
    """Write CHAT_TEMPLATE to ``path`` (default: a file in the temp dir named by its hash) and return it.

    Written through a temporary file and a rename, so a server starting at the same time never reads half.
    """
    data = CHAT_TEMPLATE.encode("utf-8")
    if path is None:
        digest = hashlib.sha256(data).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"ea-judge-chat-template-{digest}.jinja"
    if path.exists() and path.read_bytes() == data:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, staging = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(staging, path)
    return path


def lora_rank(adapter: str) -> int | None:
    """The adapter's rank from its adapter_config.json (None if unreadable: vLLM's default then applies)."""
    try:
        config = read_json(Path(adapter) / "adapter_config.json")
    except (OSError, ValueError):  # missing, unreadable, not JSON (InputFileError, JsonPolicyError)
        return None
    if not isinstance(config, dict):
        return None
    ranks = [config.get("r"), *(config.get("rank_pattern") or {}).values()]
    ranks = [r for r in ranks if isinstance(r, int)]
    return max(ranks) if ranks else None


def build_command(config: ServeConfig, template: Path) -> list[str]:
    """The vLLM server command for ``config``, with the chat template at ``template``."""
    command = [
        config.python, "-m", "vllm.entrypoints.openai.api_server",
        "--model", config.model,
        "--host", config.host,
        "--port", str(config.port),
        "--dtype", config.dtype,
        "--chat-template", str(template),
        "--enable-prefix-caching",
        "--tensor-parallel-size", str(config.tensor_parallel_size),
    ]
    if config.adapter:
        # The base model answers under "<name>-base"; the judge asks for the adapter by ``name``.
        command += ["--served-model-name", f"{config.name}-base", "--enable-lora",
                    "--lora-modules", f"{config.name}={config.adapter}"]
        rank = lora_rank(config.adapter)
        if rank is not None and rank > 16:  # vLLM's default max rank is 16
            command += ["--max-lora-rank", str(next(r for r in VLLM_LORA_RANKS if r >= rank))]
    else:
        command += ["--served-model-name", config.name]
    if config.reasoning_parser:
        command += ["--reasoning-parser", config.reasoning_parser]
    if config.max_model_len:
        command += ["--max-model-len", str(config.max_model_len)]
    return command + list(config.vllm_args)


def port_number(text: str) -> int:
    """argparse type: a TCP port a server can listen on (1-65535)."""
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port in 1-65535, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="merged model dir, or the base model with --adapter")
    parser.add_argument("--adapter", help="LoRA adapter dir (served with --enable-lora under --name)")
    parser.add_argument("--name", default=DEFAULT_NAME, help=f"model name clients use (default {DEFAULT_NAME})")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to serve other machines")
    parser.add_argument("--port", type=port_number, default=8000)
    parser.add_argument("--tensor-parallel-size", type=positive_int, default=1, help="GPUs to split the model across")
    parser.add_argument("--reasoning-parser", choices=["qwen3"], help="return think-mode reasoning separately")
    parser.add_argument("--dtype", default="auto", help="auto (bf16 on GPU), float32 on CPU")
    parser.add_argument("--max-model-len", type=int, help="context length (lower it to save KV-cache memory)")
    parser.add_argument("--python", default=None,
                        help=f"the vLLM environment's python (default: ${VLLM_PYTHON_ENV}, else this python)")
    parser.add_argument("--chat-template-out", type=Path, help="where to write the chat template file")
    parser.add_argument("--ready-timeout", type=float, default=1800.0, help="seconds to wait for the server")
    parser.add_argument("--dry-run", action="store_true", help="print the vLLM command and exit")
    parser.add_argument("vllm_args", nargs="*", help="extra vLLM flags, after --")
    parser.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> ServeConfig:
    if args.adapter and not (Path(args.adapter) / "adapter_config.json").exists():
        raise OptionError(f"--adapter {args.adapter}: no adapter_config.json there", option="adapter")
    return ServeConfig(
        model=args.model, adapter=args.adapter, name=args.name, host=args.host, port=args.port,
        tensor_parallel_size=args.tensor_parallel_size, reasoning_parser=args.reasoning_parser, dtype=args.dtype,
        max_model_len=args.max_model_len, python=args.python or default_python(),
        template_path=args.chat_template_out, vllm_args=tuple(args.vllm_args),
    )


def check_vllm(python: str) -> None:
    """OptionError unless ``python`` runs and can import vLLM: the server's own start would only say "Error while
    finding module specification" (or nothing, for an interpreter that is not there)."""
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('vllm') is None)"
    try:
        found = subprocess.run([python, "-c", probe], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OptionError(f"--python {python}: cannot run it ({exc})", option="python") from None
    if not found:
        raise OptionError(f"vLLM is not installed for {python}: scripts/setup_vllm_venv.sh makes .venv-vllm with it; "
                          f"then pass --python .venv-vllm/bin/python (or set {VLLM_PYTHON_ENV})", option="python")


def wait_ready(process: subprocess.Popen, health_url: str, timeout_s: float) -> bool:
    """Poll ``health_url`` until it answers 200 (True), the process exits or the time runs out (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(health_url, timeout=5) as reply:
                if reply.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1.0)
    return False


def serve(config: ServeConfig, ready_timeout: float = 1800.0, dry_run: bool = False) -> int:
    """Start vLLM for ``config`` and wait for it (the exit status of the server); ``dry_run`` prints the command."""
    command = build_command(config, write_chat_template(config.template_path))
    if not dry_run:
        check_vllm(config.python)
    print(shlex.join(command), flush=True)
    if dry_run:
        print(f"# then: {config.load_judge_line()}", flush=True)
        return 0
    process = subprocess.Popen(command)
    # A SIGTERM to this command stops vLLM too, rather than leaving it serving without a parent.
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        health = config.base_url.removesuffix("/v1") + "/health"
        if wait_ready(process, health, ready_timeout):
            print(f"ready: {config.load_judge_line()}", flush=True)
        elif process.poll() is None:
            print(f"vLLM did not answer {health} within {ready_timeout:.0f}s; stopping it", file=sys.stderr)
            process.terminate()
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()


def run(args: argparse.Namespace) -> int:
    return serve(config_from_args(args), args.ready_timeout, args.dry_run)


COMMAND = Command("serve", "start vLLM for a trained judge with the training chat template", add_arguments,
                  description=__doc__)


def main(argv: list[str] | None = None) -> int:
    return COMMAND.main(argv, prog="python -m training.serve")


if __name__ == "__main__":
    sys.exit(main())
