"""`ea-judge` subcommands come through the commands hook: demo from integrations, serve from training;
ea_plugin imports neither, EA_PLUGIN_LOAD_PLUGINS limits which entry points load, a broken plugin is
skipped with a warning, and a backend name registered twice warns."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from ea_plugin import hookimpl, load_judge
from ea_plugin.backends.rules import RulesBackend
from ea_plugin.cli import main
from ea_plugin.plugins import PluginWarning, backend_factories, register_plugin, unregister_plugin

REPO = Path(__file__).resolve().parents[1]

# Imports ea_plugin and runs `ea-judge --help` with the integrations and training packages unimportable;
# prints every attempt to import them.
_BLOCKED_RUNNER = """
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("integrations", "training"):
            print("IMPORTED", name)
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Block())
import ea_plugin, ea_plugin.cli
ea_plugin.load_judge("rules").judge("sv660n报e100", "md500 e100")
try:
    ea_plugin.cli.main(["--help"])
except SystemExit as exc:
    print("EXIT", exc.code)
"""


def _distribution(root: Path, name: str, entry_points: dict[str, str]) -> Path:
    """A real installed-distribution record on sys.path with ``entry_points`` in group ea_plugin."""
    dist = root / f"{name}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (dist / "entry_points.txt").write_text(f"[ea_plugin]\n{lines}")
    return root


def _run(code: str, path: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    pythonpath = os.pathsep.join(str(p) for p in (path, REPO) if p is not None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": pythonpath, **env})


def _help(path: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return _run("from ea_plugin.cli import main; main(['--help'])", path, **env)


def test_ea_plugin_imports_neither_integrations_nor_training():
    result = _run(_BLOCKED_RUNNER, EA_PLUGIN_LOAD_PLUGINS="")
    assert "IMPORTED" not in result.stdout, result.stdout
    assert "EXIT 0" in result.stdout and "filter" in _commands(result.stdout), result.stderr


@pytest.fixture(scope="module")
def project_entry_points(tmp_path_factory) -> Path:
    """This repository's own entry points (pyproject.toml), installed as a distribution record."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    entry_points = pyproject["project"]["entry-points"]["ea_plugin"]
    return _distribution(tmp_path_factory.mktemp("site"), "ea_commands_under_test", entry_points)


def _commands(help_text: str) -> list[str]:
    """The subcommands `ea-judge --help` lists in its usage line ({judge,examples,...}), not the docstring's
    examples, which name demo and serve whether or not they are registered."""
    return help_text.split("{", 1)[1].split("}", 1)[0].split(",")


def test_demo_and_serve_come_from_their_packages_through_entry_points(project_entry_points):
    commands = _commands(_help(project_entry_points).stdout)
    assert {"demo", "serve", "judge"} <= set(commands), commands


@pytest.mark.parametrize(("allowed", "shown", "hidden"), [
    ("integrations", ["demo"], ["serve"]),
    ("training, ea_commands_under_test", ["demo", "serve"], []),  # an entry point's or a distribution's name
    ("", [], ["demo", "serve"]),
])
def test_ea_plugin_load_plugins_limits_which_entry_points_load(project_entry_points, allowed, shown, hidden):
    commands = _commands(_help(project_entry_points, EA_PLUGIN_LOAD_PLUGINS=allowed).stdout)
    assert all(c in commands for c in shown) and not any(c in commands for c in hidden), commands


def test_a_plugin_that_fails_to_import_is_skipped_with_a_warning(tmp_path):
    site = _distribution(tmp_path, "ea_broken", {"broken": "ea_no_such_module"})
    result = _run("from ea_plugin.cli import main; raise SystemExit(main(['backends']))", site)
    assert result.returncode == 0 and "rules" in result.stdout
    assert "PluginWarning" in result.stderr and "'broken'" in result.stderr and "ea_no_such_module" in result.stderr


def test_ea_judge_demo_runs_through_the_hook(capsys):
    assert main(["demo", "-q", "md500参数F0-02怎么设？", "--top-k", "3", "--min-keep", "1"]) == 0
    out = capsys.readouterr().out
    assert "[1/1] md500参数F0-02怎么设？" in out and "retrieved 3" in out


class _Override(RulesBackend):
    name = "rules"


class _OverridePlugin:
    @hookimpl
    def ea_register_backends(self, register):
        register("rules", _Override)


def test_a_backend_registered_twice_warns_and_the_later_plugin_wins():
    plugin = _OverridePlugin()
    register_plugin(plugin, name="override-rules")
    try:
        with pytest.warns(PluginWarning, match=r"'rules' is registered twice: .*_Override overrides .*RulesBackend"):
            factories = backend_factories()
        assert factories["rules"] is _Override
        with pytest.warns(PluginWarning):
            assert isinstance(load_judge("rules").backend, _Override)
    finally:
        unregister_plugin(plugin)
    assert backend_factories()["rules"] is RulesBackend


def test_hookimpl_and_backend_are_exported_at_the_top_level():
    import ea_plugin

    assert ea_plugin.hookimpl is hookimpl and isinstance(RulesBackend(), ea_plugin.Backend)
    assert not isinstance(object(), ea_plugin.Backend)


ALL_COMMANDS = {"judge", "examples", "filter", "backends", "extract", "catalog", "demo", "retrieve", "report", "mine",
                "select", "label", "convert", "run", "evaluate", "serve"}
ALIASES = ["training.mine", "training.select", "training.label", "training.convert", "training.run",
           "training.evaluate", "training.serve", "integrations.demo", "integrations.retrieve", "integrations.report"]


def test_every_user_facing_step_is_an_ea_judge_command(project_entry_points):
    commands = _commands(_help(project_entry_points).stdout)
    assert ALL_COMMANDS <= set(commands), ALL_COMMANDS - set(commands)


@pytest.mark.parametrize("module_name", ALIASES)
def test_python_m_forms_run_the_same_command_as_ea_judge(module_name: str):
    import importlib

    from ea_plugin.arguments import Parser
    from ea_plugin.cli import build_parser

    command = importlib.import_module(module_name).COMMAND
    alias = Parser()
    command.configure(alias)
    [subcommands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert subcommands.choices[command.name].get_default("func") is alias.get_default("func") is not None


_WITHOUT_MODULE = """
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == {module!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Block())
from ea_plugin.cli import main
raise SystemExit(main({argv!r}))
"""


def ea_judge_without(module: str, *argv: str, path: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """``ea-judge ARGV`` in a process where ``module`` cannot be imported, as on an install without its extra."""
    return _run(_WITHOUT_MODULE.format(module=module, argv=list(argv)), path, **env)


def test_on_a_core_install_help_works_and_the_demo_names_its_extra(project_entry_points):
    help_run = ea_judge_without("llama_index", "--help", path=project_entry_points)
    assert help_run.returncode == 0 and {"demo", "retrieve"} <= set(_commands(help_run.stdout)), help_run.stderr
    demo = ea_judge_without("llama_index", "demo", path=project_entry_points)
    assert demo.returncode == 1 and "Traceback" not in demo.stderr, demo.stderr
    assert 'pip install "ea-plugin[llamaindex]"' in demo.stderr


@pytest.mark.parametrize("module_name", ALIASES)
def test_python_m_forms_run_as_main(module_name: str):
    """Run as __main__ a module is imported a second time under its own name; its --help and usage errors must
    still work (training.run once caught the other copy's StepError)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    shown = subprocess.run([sys.executable, "-m", module_name, "--help"], capture_output=True, text=True,
                           timeout=120, cwd=REPO, env=env)
    assert shown.returncode == 0 and f"python -m {module_name}" in shown.stdout, shown.stderr[-2000:]
    refused = subprocess.run([sys.executable, "-m", module_name, "--no-such-flag"], capture_output=True, text=True,
                             timeout=120, cwd=REPO, env=env)
    assert refused.returncode == 2 and f"python -m {module_name}: error: " in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


class _BrokenCommands:
    @hookimpl
    def ea_register_commands(self, subparsers):
        subparsers.add_parser("judge")  # a name the built-ins took: argparse refuses it


def test_a_plugin_whose_commands_fail_is_skipped_with_a_warning(capsys):
    plugin = _BrokenCommands()
    register_plugin(plugin, name="broken-commands")
    try:
        with pytest.warns(PluginWarning, match="'broken-commands': its commands were not added"):
            assert main(["judge", "sv660n报e100", "md500 e100"]) == 0
    finally:
        unregister_plugin(plugin)
    assert capsys.readouterr().out.startswith("drop")
