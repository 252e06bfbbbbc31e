"""Extras that must resolve, checked with pip's resolver against PyPI (scripts/check_resolves.sh: a dry run that
reads wheel metadata only, nothing installed or downloaded whole, no GPU):
- `ea-plugin[local,openai]` beside vLLM 0.33+ (issue 22: `local` once carried LLaMA-Factory's transformers and peft
  caps, and pip fell back to vLLM 0.28 beside it), as docs/environments.md shows it;
- the langchain extra at its floors (issue 22: `langchain-core>=0.3` could never resolve with langchain-classic)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreter whose pip (25.3+, fast-deps) reads metadata without downloading wheels; one per module."""
    venv = tmp_path_factory.mktemp("pip") / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "--isolated", "--disable-pip-version-check",
                    "--quiet", "pip>=25.3,<27"], check=True, capture_output=True, timeout=300)
    return venv / "bin" / "python"


def resolves(python: Path, script: str, *args: str) -> dict[str, str]:
    done = subprocess.run(["bash", REPO / "scripts" / script, *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHON": str(python)})
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("resolves: ")]
    return dict(item.split(" ") for item in line.removeprefix("resolves: ").split(", "))


def test_local_and_openai_resolve_beside_vllm(python: Path):
    versions = resolves(python, "check_vllm_env.sh")
    assert set(versions) == {"ea-plugin", "vllm", "torch", "transformers", "peft", "openai"}, versions
    assert Version(versions["vllm"]) >= Version("0.33") and Version(versions["transformers"]) >= Version("5.16")


def test_the_langchain_extra_resolves_at_its_floors(python: Path):
    extra = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    floors = {}
    for requirement in map(Requirement, extra["langchain"]):
        (floor,) = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        floors[requirement.name] = Version(floor)
    versions = resolves(python, "check_resolves.sh", *(f"{name}=={floor}.*" for name, floor in floors.items()))
    assert {name: Version(versions[name]).release[:2] for name in floors} == \
        {name: floor.release[:2] for name, floor in floors.items()}, versions
