"""`ea-judge serve` / `python -m training.serve`: the vLLM command it builds (the server itself is started by
tests/test_vllm_server.py, from this same builder)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from ea_plugin.prompts import CHAT_TEMPLATE
from tests.conftest import REPO
from training.serve import ServeConfig, build_command, write_chat_template
from training.serve import main as serve_main


def test_serve_dry_run_prints_the_exact_vllm_command_and_the_judge_line(tmp_path: Path):
    template = tmp_path / "t.jinja"
    (tmp_path / "adapter_config.json").write_text('{"r": 24}')
    args = [sys.executable, "-m", "training.serve", "--model", "Qwen/Qwen3-8B", "--adapter", str(tmp_path),
            "--name", "judge", "--port", "8123", "--tensor-parallel-size", "2", "--reasoning-parser", "qwen3",
            "--python", "/opt/vllm/bin/python", "--chat-template-out", str(template), "--dry-run",
            "--", "--gpu-memory-utilization", "0.8"]
    out = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].split() == [
        "/opt/vllm/bin/python", "-m", "vllm.entrypoints.openai.api_server", "--model", "Qwen/Qwen3-8B",
        "--host", "127.0.0.1", "--port", "8123", "--dtype", "auto", "--chat-template", str(template),
        "--enable-prefix-caching", "--tensor-parallel-size", "2", "--served-model-name", "judge-base",
        "--enable-lora", "--lora-modules", f"judge={tmp_path}", "--max-lora-rank", "32",
        "--reasoning-parser", "qwen3", "--gpu-memory-utilization", "0.8",
    ]
    assert out[1] == '# then: load_judge("openai", base_url="http://127.0.0.1:8123/v1", model="judge")'
    # The dry run wrote the template it names, so the printed command runs as is.
    assert template.read_text() == CHAT_TEMPLATE


def test_merged_model_is_served_under_the_judge_name_without_lora_flags(tmp_path: Path):
    config = ServeConfig(model="saves/merged", host="0.0.0.0", port=9000, python="py")
    command = build_command(config, tmp_path / "t.jinja")
    assert command[command.index("--served-model-name") + 1] == "entity-alignment"
    assert "--enable-lora" not in command and "--reasoning-parser" not in command
    # A server on every interface is reached from this machine through loopback.
    assert config.load_judge_line() == (
        'load_judge("openai", base_url="http://127.0.0.1:9000/v1", model="entity-alignment")'
    )


def test_default_chat_template_file_is_named_by_its_content_and_rewritten_when_stale(tmp_path: Path):
    path = write_chat_template()
    assert path.read_text() == CHAT_TEMPLATE and path == write_chat_template()
    stale = tmp_path / "template.jinja"
    stale.write_text("{{ messages }}")
    assert write_chat_template(stale).read_text() == CHAT_TEMPLATE


def test_adapter_without_config_is_refused_with_a_clear_message(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "training.serve", "--model", "m", "--adapter", str(tmp_path), "--dry-run"],
        cwd=REPO, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "no adapter_config.json" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed beside this python")
def test_a_python_without_vllm_is_one_line_naming_the_setup(tmp_path: Path, capsys: pytest.CaptureFixture):
    # The server's start said only "Error while finding module specification for 'vllm.entrypoints...'".
    assert serve_main(["--model", str(tmp_path), "--python", sys.executable]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "vLLM is not installed for" in err and "setup_vllm_venv.sh" in err
    assert serve_main(["--model", str(tmp_path), "--python", str(tmp_path / "no-python")]) == 2
    assert "cannot run it" in capsys.readouterr().err
