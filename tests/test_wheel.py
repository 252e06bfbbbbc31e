"""The release artefacts as a user gets them: the wheel and sdist built by `python -m build`, the wheel installed
with the light host extras into a clean virtual environment (nothing of this checkout on its path), and the
documented host snippets run there with the rules backend."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from ea_plugin import __version__

REPO = Path(__file__).resolve().parents[1]
EXTRAS = "llamaindex,langchain,haystack"  # light hosts: the heavy ones (ragas, deepeval, ray) run in .venv

SNIPPET = r'''
import importlib.metadata, json, subprocess, sys, tempfile
from pathlib import Path

import ea_plugin
from ea_plugin import load_judge

assert "site-packages" in ea_plugin.__file__, ea_plugin.__file__   # the installed wheel, not a checkout
assert importlib.metadata.version("ea-plugin") == ea_plugin.__version__
QUESTION = "sv660n出现e100故障怎么办？"
CHUNKS = {"a": "sv660n伺服驱动器e100故障表示过电流。", "b": "md500变频器e100故障表示加速过电流。"}

# LlamaIndex: the postprocessor, and its configuration through to_dict/from_dict
from llama_index.core.schema import NodeWithScore, TextNode
from integrations.llamaindex import EntityAlignmentPostprocessor
post = EntityAlignmentPostprocessor(backend="rules", threshold=0.9)
nodes = [NodeWithScore(node=TextNode(text=text, id_=key), score=1.0) for key, text in CHUNKS.items()]
assert [n.node.node_id for n in post.postprocess_nodes(nodes, query_str=QUESTION)] == ["a"]
assert EntityAlignmentPostprocessor.from_dict(post.to_dict()).judge.policy.threshold == 0.9

# LangChain: the document compressor
from langchain_core.documents import Document
from integrations.langchain import EntityAlignmentFilter
docs = [Document(page_content=text, id=key) for key, text in CHUNKS.items()]
assert [d.id for d in EntityAlignmentFilter(backend="rules").compress_documents(docs, QUESTION)] == ["a"]

# Haystack: the component in a pipeline
from haystack import Document as HaystackDocument, Pipeline
from integrations.haystack import EntityAlignmentFilter as HaystackFilter
pipeline = Pipeline()
pipeline.add_component("alignment", HaystackFilter())
out = pipeline.run({"alignment": {"query": QUESTION,
                                  "documents": [HaystackDocument(id=k, content=t) for k, t in CHUNKS.items()]}})
assert [d.id for d in out["alignment"]["documents"]] == ["a"]
assert out["alignment"]["dropped"][0].meta["ea_decision"] == "unaligned"

# a host that is not installed names its extra
try:
    import integrations.ragas
except ImportError as exc:
    assert 'pip install "ea-plugin[ragas]"' in str(exc), exc
else:
    raise AssertionError("integrations.ragas imported without ragas")

# the command line: --version, a judgement, and a report without the [report] extra (no matplotlib)
bindir = Path(sys.executable).parent
version = subprocess.run([bindir / "ea-judge", "--version"], capture_output=True, text=True, check=True).stdout
assert version.strip() == f"ea-judge (ea-plugin) {ea_plugin.__version__}", version
judged = subprocess.run([bindir / "ea-judge", "judge", QUESTION, CHUNKS["b"], "--json"], capture_output=True,
                        text=True, check=True).stdout
assert json.loads(judged)["kept"] is False
work = Path(tempfile.mkdtemp())
(work / "r.jsonl").write_text(json.dumps({"question": QUESTION, "contexts": list(CHUNKS.values())},
                                         ensure_ascii=False) + "\n", encoding="utf-8")
report = subprocess.run([bindir / "ea-judge", "report", work / "r.jsonl", "-o", work / "out", "--quiet"],
                        capture_output=True, text=True)
assert report.returncode == 0, report.stderr
assert (work / "out" / "report.json").exists() and 'ea-plugin[report]' in report.stderr
print("wheel snippets ok")
'''


def run(command: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


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
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", f"{wheel}[{EXTRAS}]"], timeout=900)
    done = run([python, "-c", SNIPPET], cwd=tmp_path, timeout=300)
    assert "wheel snippets ok" in done.stdout
