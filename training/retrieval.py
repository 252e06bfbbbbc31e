"""Retrievers for mining pairs: built-in BM25 over a JSONL corpus, or the user's own through a hook.

BM25 is bm25s (sparse-matrix BM25, numpy/scipy only). Chinese has no spaces: text is cut into character
bigrams of each CJK run (a lone character stays a unigram) plus ASCII words, where a code or model keeps its
joined form as well as its parts (``SV660-N`` gives ``sv660n``, ``sv660``, ``n``; ``e100.1`` gives ``e100.1``,
``e100``, ``1``). Bigrams need no dictionary and match the short product and fault words of manuals as well as
a word segmenter does; a segmenter (jieba) would add a 20 MB dictionary and cut model numbers apart.

Your own retriever: ``--retriever my_module:make_retriever``, where ``make_retriever(chunks, top_k)`` gets the
corpus as a list of CorpusChunk (empty without ``--corpus``) and returns a LlamaIndex retriever (``.retrieve``
giving NodeWithScore), a LangChain retriever (``.invoke`` giving Documents; the score is read from
``metadata["score"]`` where it has one), or any object with ``search(question, k) -> list[Hit]``.
"""

from __future__ import annotations

import importlib
import inspect
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ea_plugin.errors import missing_extra
from ea_plugin.jsonl import JsonLine, read_file
from training.records import DataFileError, number_field, reject, text_field

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+(?:[.\-_][a-z0-9]+)*")


@dataclass(frozen=True)
class CorpusChunk:
    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Hit:
    chunk_id: str | None
    text: str
    score: float | None


class Retriever(Protocol):
    def search(self, question: str, k: int) -> list[Hit]: ...


def tokenize(text: str) -> list[str]:
    """BM25 tokens: CJK character bigrams and ASCII words (joined form and parts), lower-cased, NFKC."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens: list[str] = []
    for run in _CJK_RUN.findall(text):
        tokens += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    for word in _WORD.findall(text):
        parts = re.split(r"[.\-_]", word)
        joined = "".join(parts)
        tokens += [word] + ([joined] if joined != word else []) + (parts if len(parts) > 1 else [])
    return tokens


def read_corpus(path: str, text_key: str = "text", id_key: str = "id") -> tuple[list[CorpusChunk], list[dict]]:
    """The chunks of a JSONL corpus and the rejected lines (no text, duplicate id, bad JSON)."""
    chunks: list[CorpusChunk] = []
    rejects: list[dict] = []
    seen: set[str] = set()
    for line in read_file(path):
        chunk, reason = _corpus_chunk(Path(path).name, line, text_key, id_key)
        if chunk is not None and chunk.id in seen:
            chunk, reason = None, f"duplicate chunk id {chunk.id!r}"
        if chunk is None:
            rejects.append(reject(path, line, reason))
            continue
        seen.add(chunk.id)
        chunks.append(chunk)
    return chunks, rejects


def _corpus_chunk(source: str, line: JsonLine, text_key: str, id_key: str) -> tuple[CorpusChunk | None, str | None]:
    if line.record is None:
        return None, line.record_error
    text = text_field(line.record, text_key)
    if text is None:
        return None, f"no non-empty string field {text_key!r}"
    raw_id = line.record.get(id_key)
    chunk_id = str(raw_id) if raw_id not in (None, "") else f"{source}:{line.number}"
    return CorpusChunk(chunk_id, text, {k: v for k, v in line.record.items() if k != text_key}), None


class BM25Retriever:
    """bm25s over the corpus; hits with no shared token (score 0) are not returned."""

    def __init__(self, chunks: Sequence[CorpusChunk]) -> None:
        try:
            import bm25s
        except ImportError as exc:
            raise missing_extra(exc, "the built-in BM25") from exc
        if not chunks:
            raise DataFileError("the corpus has no usable chunks (each line needs a text field: see --text-field)")
        self.chunks = list(chunks)
        self._index = bm25s.BM25()
        self._index.index([tokenize(c.text) for c in self.chunks], show_progress=False)

    def search(self, question: str, k: int) -> list[Hit]:
        return self.search_many([question], k)[0]

    def search_many(self, questions: Sequence[str], k: int) -> list[list[Hit]]:
        k = min(k, len(self.chunks))
        ids, scores = self._index.retrieve([tokenize(q) for q in questions], k=k, show_progress=False)
        rows = zip(ids.tolist(), scores.tolist(), strict=True)
        return [[self._hit(i, s) for i, s in zip(ids_, scores_, strict=True) if s > 0] for ids_, scores_ in rows]

    def _hit(self, index: int, score: float) -> Hit:
        return Hit(self.chunks[index].id, self.chunks[index].text, float(score))


class _Adapted:
    """A LlamaIndex or LangChain retriever seen through ``search``."""

    def __init__(self, retriever: Any) -> None:
        self.retriever = retriever

    def search(self, question: str, k: int) -> list[Hit]:
        if hasattr(self.retriever, "retrieve"):  # LlamaIndex: list[NodeWithScore]
            return [_llamaindex_hit(n) for n in self.retriever.retrieve(question)][:k]
        return [_langchain_hit(d) for d in self.retriever.invoke(question)][:k]


def _llamaindex_hit(node_with_score: Any) -> Hit:
    node = node_with_score.node
    chunk_id = node.metadata.get("id") or node.node_id
    return Hit(str(chunk_id), node.get_content(), node_with_score.score)


def _langchain_hit(document: Any) -> Hit:
    metadata = document.metadata or {}
    chunk_id = metadata.get("id") or getattr(document, "id", None)
    return Hit(None if chunk_id is None else str(chunk_id), document.page_content, number_field(metadata, "score"))


def load_retriever(spec: str, chunks: list[CorpusChunk], top_k: int) -> Retriever:
    """``module:factory`` -> the user's retriever, called as ``factory(chunks, top_k)``."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise DataFileError(f"--retriever must look like module:factory, got {spec!r}")
    try:
        factory: Callable[..., Any] = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise DataFileError(f"--retriever {spec}: {exc}") from exc
    if not callable(factory):
        raise DataFileError(f"--retriever {spec}: {attr} is a {type(factory).__name__}, not a function or class "
                            "called as FACTORY(chunks, top_k)")
    try:
        inspect.signature(factory).bind(chunks, top_k)
    except TypeError as exc:  # a factory that takes other arguments: say so, not the call's traceback
        raise DataFileError(f"--retriever {spec}: {attr} cannot be called as FACTORY(chunks, top_k): {exc}") from None
    except ValueError:  # no signature to read (some builtins): the call itself will tell
        pass
    retriever = factory(chunks, top_k)
    if hasattr(retriever, "search"):
        return retriever
    if hasattr(retriever, "retrieve") or hasattr(retriever, "invoke"):
        return _Adapted(retriever)
    raise DataFileError(f"{spec} returned {type(retriever).__name__}: it has none of search, retrieve, invoke")
