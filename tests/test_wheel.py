"""The release artefacts as a user gets them: the wheel and sdist built by `python -m build`, the wheel installed
with every host's extra into a clean virtual environment (nothing of this checkout on its path), and every host's
snippet run there with the rules backend as its docs page shows it (the blocks whose docs-test skip names this
file: LlamaIndex, LangChain and Haystack; Ragas in both metric interfaces; DeepEval; Ray Data), each followed by a
check of what it must have done; SNIPPET checks the install itself and the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from ea_plugin import __version__
from tests.test_docs import Block, blocks

REPO = Path(__file__).resolve().parents[1]
EXTRAS = "llamaindex,langchain,haystack,ragas,deepeval,ray"  # every host; not local, train or report
# A docs block marked `<!-- docs-test: skip: tests/test_wheel.py (HOST) runs it ... -->` runs here, then its check.
_DOCS_MARK = re.compile(r"tests/test_wheel\.py \((?P<host>[\w-]+)\)")
CHECKS = {
    "rag-filters": 'assert [n.node.node_id for n in kept_nodes] == [d.id for d in kept_documents] == ["a"]\n'
                   'assert [d.id for d in out["alignment"]["documents"]] == ["a"], out\n'
                   'assert out["alignment"]["dropped"][0].meta["ea_decision"] == "unaligned", out',
    "ragas": 'assert result["entity_alignment_precision"] == [0.5], result',
    "ragas-experiment": 'assert [r["entity_alignment"] for r in rows] == [0.5], rows\n'
                        'assert "off-entity #2: 产品不同" in rows[0]["reason"], rows',
    "deepeval": 'assert metric.score == 1.0 and metric.is_successful() and metric.evaluation_cost == 0.0\n'
                'assert metric.verbose_logs.startswith("Judged contexts:\\n#1 aligned"), metric.verbose_logs',
    "ray": 'import json, pathlib, pyarrow.parquet\n'  # the files as written (not a Ray job per check)
           'kept = pyarrow.parquet.read_table("kept/").to_pylist()\n'
           'rejected = [json.loads(line) for f in pathlib.Path("rejects").iterdir() for line in open(f)]\n'
           'assert [(r["id"], r["ea_why"]) for r in kept] == [(1, "aligned")], kept\n'
           'assert [(r["id"], r["ea_reject"]) for r in rejected] == [(3, "\'chunk\' is empty")], rejected',
}

SNIPPET = r'''
import importlib.metadata, json, subprocess, sys, tempfile
from pathlib import Path

import ea_plugin

assert "site-packages" in ea_plugin.__file__, ea_plugin.__file__   # the installed wheel, not a checkout
assert importlib.metadata.version("ea-plugin") == ea_plugin.__version__
QUESTION = "sv660n出现e100故障怎么办？"
CHUNKS = {"a": "sv660n伺服驱动器e100故障表示过电流。", "b": "md500变频器e100故障表示加速过电流。"}

# LlamaIndex: the postprocessor's configuration through to_dict/from_dict (the filters: docs/integrations.md)
from integrations.llamaindex import EntityAlignmentPostprocessor
post = EntityAlignmentPostprocessor(backend="rules", threshold=0.9)
assert EntityAlignmentPostprocessor.from_dict(post.to_dict()).judge.policy.threshold == 0.9

# the command line: --version, a judgement, a backend whose extra is not installed (local: torch), and a report
# without the [report] extra (no matplotlib)
bindir = Path(sys.executable).parent
version = subprocess.run([bindir / "ea-judge", "--version"], capture_output=True, text=True, check=True).stdout
assert version.strip() == f"ea-judge (ea-plugin) {ea_plugin.__version__}", version
judged = subprocess.run([bindir / "ea-judge", "judge", QUESTION, CHUNKS["b"], "--json"], capture_output=True,
                        text=True, check=True).stdout
assert json.loads(judged)["kept"] is False
local = subprocess.run([bindir / "ea-judge", "judge", "--backend", "transformers", "--model", "m", QUESTION, "x"],
                       capture_output=True, text=True)
assert local.returncode == 1 and 'pip install "ea-plugin[local]"' in local.stderr, local.stderr
work = Path(tempfile.mkdtemp())
(work / "r.jsonl").write_text(json.dumps({"question": QUESTION, "contexts": list(CHUNKS.values())},
                                         ensure_ascii=False) + "\n", encoding="utf-8")
report = subprocess.run([bindir / "ea-judge", "report", work / "r.jsonl", "-o", work / "out", "--quiet"],
                        capture_output=True, text=True)
assert report.returncode == 0, report.stderr
assert (work / "out" / "report.json").exists() and 'ea-plugin[report]' in report.stderr
print("wheel snippets ok")
'''


def clean_env() -> dict[str, str]:
    """This process's environment (telemetry off: tests/conftest.py) without the checkout on the path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def run(command: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, env=clean_env(), **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def documented_snippets() -> dict[str, Block]:
    """The docs blocks this file runs, by host."""
    found = {}
    for block in blocks():
        mark = _DOCS_MARK.search(block.skip or "")
        if mark:
            assert mark["host"] not in found, f"{block.id}: a second block for {mark['host']}"
            found[mark["host"]] = block
    return found


def test_the_readme_names_every_extra():
    """Each extra a user picks has its row in the README's table (the [report] and [ray] extras once had none)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = set(project["optional-dependencies"])
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| extra | for | needed by |"):].split("\n\n")[0]
    named = {name for row in table.splitlines()[2:] for name in re.findall(r"`([\w-]+)`", row.split("|")[1])}
    assert extras - {"all", "dev"} == named - {"(none)"}


def test_every_documented_host_snippet_has_its_check():
    """The docs may not drop a host's snippet, nor add one that nothing checks."""
    assert set(documented_snippets()) == set(CHECKS)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, REPO], timeout=600)
    return out


@pytest.mark.slow
def test_the_wheel_carries_license_types_and_data_and_the_sdist_no_tests(dist: Path):
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    assert wheel.name == f"ea_plugin-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    info = f"ea_plugin-{__version__}.dist-info"
    assert {f"{info}/licenses/LICENSE", "ea_plugin/py.typed", "integrations/py.typed", "training/py.typed",
            "ea_plugin/data/catalog.yaml", "ea_plugin/data/worked_examples.jsonl",
            "integrations/data/manual_chunks.jsonl"} <= names
    assert not [n for n in names if n.startswith("tests/")]
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata and "Classifier: Typing :: Typed" in metadata
    assert 'Requires-Dist: transformers<6,>=4.56; extra == "local"' in metadata
    assert "torch>=2.4; extra" in metadata and "torch<=" not in metadata  # this machine's cap stays in install.sh
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert f"ea_plugin-{__version__}/LICENSE" in members and not [m for m in members if "/tests/" in m]


@pytest.mark.slow
def test_a_clean_environment_from_the_wheel_runs_the_host_snippets(dist: Path, tmp_path: Path):
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], timeout=120)
    python = venv / "bin" / "python"
    # --no-compile: the snippets compile what they import, not the whole of ray, pandas and scipy (a third less time)
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-compile", f"{wheel}[{EXTRAS}]"],
        timeout=900)
    scripts = {"wheel, llamaindex config, cli": SNIPPET,
               **{f"{host} ({block.id})": f"{block.body}\n{CHECKS[host]}\nprint('wheel snippets ok')\n"
                  for host, block in documented_snippets().items()}}
    running = {}
    for name, script in scripts.items():  # side by side, each in a folder of its own (they write files)
        work = tmp_path / re.sub(r"\W+", "-", name)
        work.mkdir()
        running[name] = subprocess.Popen([python, "-c", script], cwd=work, env=clean_env(), text=True,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    failed = []
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=300)
        if process.returncode != 0 or "wheel snippets ok" not in stdout:
            failed.append(f"{name}: exit {process.returncode}\n{stdout[-2000:]}\n{stderr[-3000:]}")
    assert not failed, "\n\n".join(failed)
