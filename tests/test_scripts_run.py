"""The scripts run as the docs show them, `python scripts/X.py`, from any folder: seven once stopped with "No
module named 'scripts'" (issue 24 item 17), importing their siblings as a package that only `python -m` finds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (REPO / "scripts").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_script_runs_by_its_path(script: str, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # as a user runs it: no checkout on the path
    result = subprocess.run([sys.executable, str(REPO / "scripts" / script), "--help"], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path, env=env)
    assert result.returncode == 0 and "usage:" in result.stdout, result.stderr[-2000:]
