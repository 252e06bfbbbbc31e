"""The shipped sample corpus: Chinese equipment-manual chunks with near-miss products and fault codes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ea_plugin.errors import EAPluginError

SAMPLE_CORPUS = Path(__file__).resolve().parent / "data" / "manual_chunks.jsonl"


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
    chunks: list[ManualChunk] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"invalid JSON: {exc}", path=path, line=number) from exc
            fields = ("id", "title", "text")
            if not isinstance(record, dict) or not all(
                isinstance(record.get(k), str) and record[k].strip() for k in fields
            ):
                raise CorpusError(f"needs non-empty string fields {fields}", path=path, line=number)
            if record["id"] in seen:
                raise CorpusError(f"duplicate id {record['id']!r}", path=path, line=number)
            seen.add(record["id"])
            chunks.append(ManualChunk(record["id"], record["title"], record["text"]))
    return chunks
