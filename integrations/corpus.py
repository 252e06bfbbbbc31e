"""The shipped sample corpus: Chinese equipment-manual chunks with near-miss products and fault codes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ea_plugin.errors import EAPluginError

SAMPLE_CORPUS = Path(__file__).resolve().parent / "data" / "manual_chunks.jsonl"
_FIELDS = ("id", "title", "text")


class CorpusError(EAPluginError, ValueError):
    """A corpus line that is not a record with non-empty string fields id, title and text."""

    def __init__(self, message: str, *, path: Path, line: int) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class ManualChunk:
    id: str
    title: str
    text: str


def load_chunks(path: Path | str = SAMPLE_CORPUS) -> list[ManualChunk]:
    """Every chunk of a JSONL corpus, in file order; a bad line raises CorpusError naming it."""
    path = Path(path)
    chunks: dict[str, ManualChunk] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            chunk = _parse(line, path, number)
            if chunk.id in chunks:
                raise CorpusError(f"duplicate id {chunk.id!r}", path=path, line=number)
            chunks[chunk.id] = chunk
    return list(chunks.values())


def _parse(line: str, path: Path, number: int) -> ManualChunk:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"invalid JSON: {exc}", path=path, line=number) from exc
    if not isinstance(record, dict) or not all(isinstance(record.get(k), str) and record[k].strip() for k in _FIELDS):
        raise CorpusError(f"needs non-empty string fields {_FIELDS}", path=path, line=number)
    return ManualChunk(*(record[k] for k in _FIELDS))
