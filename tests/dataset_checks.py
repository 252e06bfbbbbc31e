"""What the labelled data sets under tests/data (devset, devset_v3, devset_fresh, realtext, phrasing) are read
with and checked for, written once for their test modules."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ea_plugin import ALIGNED, UNALIGNED
from ea_plugin.jsonl import read_file, read_json

ROOT = Path(__file__).resolve().parent.parent
RULES = {"product", "fault", "parameter", "default"}


def rebuild(script: str, out: Path) -> None:
    """Run ``scripts/SCRIPT --out OUT``, the data set's builder, as a maintainer does (a process of its own)."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--out", str(out)], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=120)


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every line of a committed JSONL file, read by ea_plugin.jsonl (each must be a record)."""
    lines = list(read_file(path))
    assert all(line.record is not None for line in lines), [line.record_error for line in lines if not line.record]
    return [line.record for line in lines if line.record is not None]


def provenance(folder: Path) -> dict[str, dict[str, Any]]:
    """A data set's ``sources/provenance.json``, by source id."""
    return {p["id"]: p for p in read_json(folder / "sources" / "provenance.json")}


def check_balanced(rows: list[dict[str, Any]], fields: set[str]) -> None:
    """Rows with exactly ``fields``, both labels within 5% of each other, a known deciding rule, no pair twice."""
    assert rows and all(set(r) == fields for r in rows)
    labels = Counter(r["label"] for r in rows)
    assert set(labels) == {ALIGNED, UNALIGNED} and abs(labels[ALIGNED] - labels[UNALIGNED]) <= len(rows) * 0.05
    assert {r["rule"] for r in rows} <= RULES
    assert len({(r["question"], r["chunk"]) for r in rows}) == len(rows)


def sources_of(rows: list[dict[str, Any]]) -> set[str]:
    """The source ids the rows' questions and chunks were made from."""
    return {ref.split(":")[0] for r in rows for ref in [r["source"], *r["chunk_source"].split("+")]}


def check_traceable(rows: list[dict[str, Any]], folder: Path, split: str, keys: set[str]) -> dict[str, dict]:
    """Every source the rows name is one of the split's in ``folder``'s provenance, with ``keys`` and its table
    (``sources/ID.csv``); returns those sources' provenance."""
    sources, named = provenance(folder), sources_of(rows)
    assert named <= {s for s, p in sources.items() if p["split"] == split}
    for source in named:
        assert keys <= set(sources[source]), source
        assert (folder / "sources" / f"{source}.csv").exists(), source
    return {s: sources[s] for s in named}


def check_corpus(corpus: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """A split's corpus: each of its chunks once, with an id and a title, and nothing else."""
    assert all(set(c) == {"id", "title", "text"} and c["title"] for c in corpus)
    assert len({c["id"] for c in corpus}) == len(corpus)
    assert sorted(c["text"] for c in corpus) == sorted({r["chunk"] for r in rows})


def check_ratchet(result: Any, floor: float | None, ceiling: float | None, explain: Callable[[Any], str]) -> None:
    """A scored set's ratchet (devset_v3_report.score's result): some pairs judged, accuracy at or above ``floor``
    and the share of aligned pairs dropped at or below ``ceiling`` (None: not recorded yet); ``explain(result)``
    says what went wrong."""
    assert result.metrics["n"] > 0
    if floor is not None:
        assert result.accuracy >= floor, explain(result)
    if ceiling is not None:
        assert result.aligned_dropped <= ceiling, explain(result)
