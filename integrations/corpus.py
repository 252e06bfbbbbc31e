"""The shipped sample corpus: Chinese equipment-manual chunks with near-miss products and fault codes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ea_plugin.errors import EAPluginError
from ea_plugin.jsonl import read_file

SAMPLE_CORPUS = Path(__file__).resolve().parent / "data" / "manual_chunks.jsonl"
_FIELDS = ("id", "title", "text")


class CorpusError(EAPluginError, ValueError):
    """A line of a corpus (needs non-empty string fields id, title and text) or of a questions file
    (``integrations.retrieve.load_questions``) that cannot be used; the message opens with ``path:line``."""

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
    """Every chunk of a JSONL corpus, in file order (read by ``ea_plugin.jsonl``); a bad line raises
    CorpusError naming it."""
    path = Path(path)
    chunks: dict[str, ManualChunk] = {}
    for line in read_file(path):
        if not line.ok:
            raise CorpusError(line.error or "unreadable", path=path, line=line.number)
        record = line.record
        if record is None or not all(isinstance(record.get(k), str) and record[k].strip() for k in _FIELDS):
            raise CorpusError(f"needs non-empty string fields {_FIELDS}", path=path, line=line.number)
        chunk = ManualChunk(*(record[k] for k in _FIELDS))
        if chunk.id in chunks:
            raise CorpusError(f"duplicate id {chunk.id!r}", path=path, line=line.number)
        chunks[chunk.id] = chunk
    return list(chunks.values())
