"""`ea-judge rules compile`: the rules' hot modules built by mypyc judge every pair of every set as the sources do,
a stale build is passed over for the sources, and the build can be removed.

One build (~40 s on two cores) in a copy of the package; the project's data, devtools and scripts are linked in, so
that ``python -m scripts.rules_snapshot`` run there judges with the copy (the current directory comes first on the
path).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypyc.build", reason="compiling the rules needs mypy (the compiled extra)")

from ea_plugin import compiled_rules  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENV_KEYS = ("PATH", "HOME", "LANG", "TMPDIR")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in ENV_KEYS}
    env.update(HF_HUB_OFFLINE="1", PYTHONHASHSEED="0", PYTHONPATH="")
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def compiled_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compiled")
    shutil.copytree(ROOT / "ea_plugin", root / "ea_plugin",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", compiled_rules.STAMP))
    for name in ("scripts", "devtools", "tests", "training"):
        (root / name).symlink_to(ROOT / name)
    done = _run(["-m", "ea_plugin.cli", "rules", "compile"], root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "compiled (mypyc)" in done.stdout
    return root


def _where(root: Path, module: str = "ea_plugin.rules.codes") -> str:
    done = _run(["-W", "always", "-c", f"import {module} as m; print(type(m.__loader__).__name__)"], root)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() + done.stderr


def test_compiled_build_runs_and_says_so(compiled_copy: Path) -> None:
    assert _where(compiled_copy).startswith("ExtensionFileLoader")
    status = _run(["-m", "ea_plugin.cli", "rules", "status"], compiled_copy)
    assert "the rules run compiled (mypyc)" in status.stdout
    stamp = json.loads((compiled_copy / "ea_plugin/rules" / compiled_rules.STAMP).read_text())
    assert set(stamp["sources"]) == set(compiled_rules.MODULES)


def test_compiled_rules_judge_every_set_as_the_sources_do(compiled_copy: Path, tmp_path: Path) -> None:
    pure = _run(["-m", "scripts.rules_snapshot"], ROOT)
    assert pure.returncode == 0, pure.stderr
    snapshot = tmp_path / "pure.jsonl"
    snapshot.write_text(pure.stdout, "utf-8")
    assert len(pure.stdout.splitlines()) > 25_000
    compared = _run(["-m", "scripts.rules_snapshot", "--compare", str(snapshot)], compiled_copy)
    assert compared.returncode == 0, compared.stdout[-3000:] + compared.stderr[-2000:]
    assert " 0 differ" in compared.stdout


def test_a_stale_build_is_passed_over_for_the_sources(compiled_copy: Path, tmp_path: Path) -> None:
    stale = tmp_path / "stale"
    shutil.copytree(compiled_copy / "ea_plugin", stale / "ea_plugin")
    with (stale / "ea_plugin/rules/products.py").open("a") as source:
        source.write("\n# edited after compiling\n")
    assert compiled_rules.state(stale / "ea_plugin/rules").stale == ("products",)
    shown = _where(stale, "ea_plugin.rules.codes")  # every module, not only the edited one: they call each other
    assert shown.startswith("SourceFileLoader"), shown
    assert "StaleCompiledRulesWarning" in shown and "products.py changed" in shown
    status = _run(["-m", "ea_plugin.cli", "rules", "status"], stale)
    assert "pure Python" in status.stdout and "stale" in status.stdout
    judged = _run(["-m", "ea_plugin.cli", "judge", "SV660N报警E100", "SV660N故障E101"], stale)
    assert judged.returncode == 0 and "不对齐" in judged.stdout

    removed = _run(["-m", "ea_plugin.cli", "rules", "compile", "--remove"], stale)
    assert removed.returncode == 0, removed.stderr
    assert not list((stale / "ea_plugin/rules").glob("*.so"))
    assert not (stale / "ea_plugin/rules" / compiled_rules.STAMP).exists()
    assert _where(stale).startswith("SourceFileLoader") and "Stale" not in _where(stale)


def test_compiling_without_mypyc_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "mypyc.build", None)  # what a missing package raises on import
    with pytest.raises(compiled_rules.CompileError, match=r'ea-plugin\[compiled\]'):
        compiled_rules.compile_rules(tmp_path / "ea_plugin" / "rules")


def test_compiling_where_nothing_can_be_written_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(compiled_rules.CompileError, match="cannot write the compiled rules"):
        compiled_rules.compile_rules(tmp_path / "missing" / "ea_plugin" / "rules")
