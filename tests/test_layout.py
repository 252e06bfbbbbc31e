"""The rooms' doors (issue 23): no two modules import each other, directly or through others, lazy imports inside
functions included (training.run/preflight/step_inputs and integrations.commands/demo once did); the dev-only
helpers (data-set builders and reports included) live in devtools/, which imports none of tests, benchmarks and
scripts; benchmarks import neither tests nor scripts, and nothing imports a script (an entry point, never a library)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ea_plugin", "training", "integrations", "devtools", "benchmarks", "scripts", "tests")


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


MODULES = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


@cache
def imported(path: Path) -> frozenset[str]:
    """The repository's modules ``path`` imports anywhere (functions too), but not under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for block in ast.walk(tree)
                   if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                   for node in ast.walk(block)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(name for name in names if name in MODULES)


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        for target in imported(path):
            # A module reaching its own package (ea_plugin.rules.extract -> ea_plugin.rules) is how packages work.
            if target != name and not name.startswith(f"{target}."):
                graph.add_edge(name, target)
    return graph


def test_no_modules_import_each_other_in_a_circle():
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert cycles == []


def test_the_check_sees_a_lazy_circle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A test that cannot fail is a defect: a circle through a function-level import is found."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("import training.b_lazy\n", encoding="utf-8")
    b.write_text("def f():\n    from training.a_lazy import x\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "training.a_lazy", a)
    monkeypatch.setitem(MODULES, "training.b_lazy", b)
    graph = import_graph()
    assert nx.has_path(graph, "training.a_lazy", "training.b_lazy") and nx.has_path(graph, "training.b_lazy",
                                                                                        "training.a_lazy")


@pytest.mark.parametrize(("importer", "forbidden"), [
    ("devtools", ("tests", "benchmarks", "scripts")),
    ("tests", ("scripts",)),  # the benchmarks' smoke tests import the benchmark they run
    ("benchmarks", ("tests", "scripts")),
    ("scripts", ("tests", "benchmarks")),
    ("ea_plugin", ("integrations", "training", "devtools", "tests", "benchmarks", "scripts")),
    ("training", ("devtools", "tests", "benchmarks", "scripts")),
    ("integrations", ("devtools", "tests", "benchmarks", "scripts")),
])
def test_helpers_come_from_devtools_and_the_product_imports_no_dev_code(importer: str, forbidden: tuple[str, ...]):
    wrong = sorted(f"{name} -> {target}" for name, path in MODULES.items() if name.split(".")[0] == importer
                   for target in imported(path) if target.split(".")[0] in forbidden)
    assert wrong == []
