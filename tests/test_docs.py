"""The docs cannot go stale: every code block of README.md and docs/*.md runs here, or says why it cannot.

A fenced ``python`` or ``bash`` block runs in a fresh process, in a scratch folder that links the checkout's files
(bash with ``-e``: any failing command fails the test). A block that needs a GPU, a model server, a trained model
or minutes of training is marked on the line before its fence with ``<!-- docs-test: skip: REASON -->``; the
reason is required and shown. A ``console`` block is a transcript: each ``$ command`` runs, and the lines shown
under it are its output. ``toml`` and ``yaml`` blocks must parse. Links between the pages must point at files that
exist.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.S | re.M)
_SKIP = re.compile(r"<!-- docs-test: skip: (?P<reason>[^>]+?) -->\s*$")
_LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")
RUN = ("python", "bash", "console")
DATA = {"toml": tomllib.loads, "yaml": yaml.safe_load}


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    body: str
    skip: str | None

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in _FENCE.finditer(text):
            if m.group("lang") not in (*RUN, *DATA):
                continue
            before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            skip = _SKIP.search(before)
            line = text.count("\n", 0, m.start()) + 1
            found.append(Block(page, line, m.group("lang"), m.group("body"), skip.group("reason") if skip else None))
    return found


BLOCKS = blocks()


def test_the_docs_have_runnable_blocks_and_every_skip_says_why():
    assert sum(b.skip is None for b in BLOCKS) >= 5
    for block in BLOCKS:
        assert block.skip is None or len(block.skip.split()) >= 2, f"{block.id}: a skip needs a reason"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang in DATA], ids=lambda b: b.id)
def test_docs_data_block_parses(block: Block):
    assert DATA[block.lang](block.body), f"{block.id} is empty"


def transcript(body: str) -> list[tuple[str, list[str]]]:
    """A console block's commands (``$ ...`` lines), each with the output lines shown under it."""
    steps: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"output before the first command: {line!r}"
            steps[-1][1].append(line.rstrip())
    return steps


def test_a_transcript_pairs_each_command_with_its_output():
    """A test that cannot fail is a defect: a changed output line is caught by its command's comparison."""
    assert transcript("$ a\nx \n$ b\n") == [("a", ["x"]), ("b", [])]


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang in RUN], ids=lambda b: b.id)
def test_docs_code_block_runs(block: Block, tmp_path: Path):
    if block.skip:
        pytest.skip(block.skip)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "DOCS_TMP": str(tmp_path),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for entry in ROOT.iterdir():  # the checkout's files, linked: what a block writes lands in tmp_path
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    if block.lang == "console":
        for command, shown in transcript(block.body):
            done = subprocess.run(["bash", "-e", "-c", command], cwd=tmp_path, env=env, capture_output=True,
                                  text=True, timeout=300)
            assert done.returncode == 0, f"{block.id}: {command} failed:\n{done.stderr[-3000:]}"
            if shown:  # a command shown without output may print anything
                assert [line.rstrip() for line in done.stdout.splitlines()] == shown, f"{block.id}: {command}"
        return
    command = [sys.executable, "-c", block.body] if block.lang == "python" else ["bash", "-e", "-c", block.body]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{block.id} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_docs_links_point_at_files_that_exist(page: Path):
    for m in _LINK.finditer(page.read_text(encoding="utf-8")):
        target = m.group("target")
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to a missing {target}"
