"""The RAG demo: a LlamaIndex retriever over the sample manual, each retrieved chunk kept or dropped, and why.

    ea-judge demo                                  # default questions, rules backend (no model, no torch)
    python -m integrations.demo --question "md500参数F0-02怎么设？" --top-k 8
    ea-judge demo --backend openai --base-url http://127.0.0.1:8000/v1 --model entity-alignment

The retriever is a real VectorStoreIndex with the offline hashing embedding, so it returns what a
plain similarity search returns: the right chunks mixed with near misses (SV660N vs MD500, E100 vs
E101, F0-02 vs F0-03). The EntityAlignmentPostprocessor judges them in one batch per question.
Nothing here downloads anything: no embedding model, no tokenizer, no LLM.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ea_plugin.arguments import Command, add_backend_arguments, int_at_least, judge_from_args, positive_int
from ea_plugin.judge import AlignmentJudge
from ea_plugin.policy import JUDGED_ALIGNED, JUDGED_UNALIGNED, WHY, Decision
from integrations.corpus import SAMPLE_CORPUS, ManualChunk, load_chunks

if TYPE_CHECKING:  # LlamaIndex is imported when the demo runs: `ea-judge --help` works on a core install
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import NodeWithScore, TextNode

DEFAULT_TOP_K = 6
DEMO_DESCRIPTION = (
    "RAG demo: a LlamaIndex retriever over the sample equipment manual; every retrieved chunk is judged and shown "
    "kept or dropped with the reason."
)

DEFAULT_QUESTIONS: tuple[str, ...] = (
    "sv660n出现e100故障怎么办？",
    "SV660P报Er.101怎么处理？",
    "is620p报警AL001是什么原因？",
    "md500参数F0-02怎么设？",
    "md500和md290报E.OC1",
    "伺服驱动器怎么调增益？",
)

# Decisions the judge's label explains by itself; the others get their text from ea_plugin.policy.WHY.
_SELF_EXPLAINED = (JUDGED_ALIGNED, JUDGED_UNALIGNED)


def corpus_nodes(chunks: Sequence[ManualChunk]) -> list[TextNode]:
    from llama_index.core.schema import TextNode

    # The title is shown to the LLM but not embedded: retrieval works on the chunk text alone.
    return [
        TextNode(text=c.text, id_=c.id, metadata={"title": c.title}, excluded_embed_metadata_keys=["title"])
        for c in chunks
    ]


def build_index(chunks: Sequence[ManualChunk]) -> VectorStoreIndex:
    """A real in-memory vector index over the chunks, embedded offline (hashing embedding)."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.node_parser import TokenTextSplitter

    from integrations.llamaindex_embedding import HashingEmbedding

    # Documents inserted later are split by characters at Chinese full stops. Naming a splitter also
    # keeps LlamaIndex from building its default one, which loads a tiktoken encoding and NLTK data.
    splitter = TokenTextSplitter(chunk_size=400, chunk_overlap=40, separator="。", tokenizer=list)
    return VectorStoreIndex(nodes=corpus_nodes(chunks), embed_model=HashingEmbedding(), transformations=[splitter])


# -- terminal output (CJK characters take two columns) -------------------------------------------------
def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    if _width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        if used + _width(ch) > width - 1:
            break
        out.append(ch)
        used += _width(ch)
    return "".join(out) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def render_question(number: int, total: int, question: str, judged: Sequence[tuple[NodeWithScore, Decision]]) -> str:
    kept = sum(j.kept for _, j in judged)
    columns = shutil.get_terminal_size((110, 24)).columns
    lines = [
        f"[{number}/{total}] {question}",
        f"  retrieved {len(judged)}, kept {kept}, dropped {len(judged) - kept}",
    ]
    for rank, (node, j) in enumerate(judged, start=1):
        action = "KEEP" if j.kept else "DROP"
        note = "" if j.why in _SELF_EXPLAINED or j.judgement is None else f"({WHY[j.why]})"
        label = j.label or "-"
        similarity = f"sim={node.score:.2f} " if node.score is not None else ""
        head = f"  {rank:>2}. {action} {_pad(label, 6)} {similarity}[{node.node.node_id}] "
        lines.append(head + _clip(node.node.get_content(), max(20, columns - _width(head))))
        why = f"error: {j.error}" if j.error else j.reason
        lines.append(" ".join(part for part in ("        why:", why or "-", note) if part))
    return "\n".join(lines)


# -- command -------------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--question", "-q", action="append", help="ask this instead of the default questions "
                        "(repeatable)")
    parser.add_argument("--top-k", type=positive_int, default=DEFAULT_TOP_K, help="chunks retrieved per question")
    parser.add_argument("--min-keep", type=int_at_least(0), default=0,
                        help="never keep fewer chunks than this per question")
    parser.add_argument("--corpus", default=str(SAMPLE_CORPUS), help="JSONL of {id, title, text} chunks")
    add_backend_arguments(parser)
    parser.set_defaults(func=run)


def demo(judge: AlignmentJudge, questions: Sequence[str], corpus: str | Path = SAMPLE_CORPUS,
         top_k: int = DEFAULT_TOP_K, min_keep: int = 0) -> tuple[int, int]:
    """Retrieve ``top_k`` chunks of ``corpus`` for each question, judge them and print what was kept and why;
    returns (chunks retrieved, chunks kept)."""
    from integrations.llamaindex import EntityAlignmentPostprocessor  # LlamaIndex: a missing extra is named

    chunks = load_chunks(corpus)
    postprocessor = EntityAlignmentPostprocessor(judge=judge, min_keep=min_keep)
    retriever = build_index(chunks).as_retriever(similarity_top_k=top_k)
    print(f"{len(chunks)} chunks from {corpus}; judge: {judge.backend_name} backend\n")
    retrieved = kept = 0
    for number, question in enumerate(questions, start=1):
        judged = postprocessor.judge_nodes(retriever.retrieve(question), question)
        retrieved += len(judged)
        kept += sum(j.kept for _, j in judged)
        print(render_question(number, len(questions), question, judged) + "\n")
    return retrieved, kept


def run(args: argparse.Namespace) -> int:
    """``ea-judge demo`` and ``python -m integrations.demo`` (a failure is one error line: ea_plugin.arguments)."""
    questions = args.question or list(DEFAULT_QUESTIONS)
    retrieved, kept = demo(judge_from_args(args), questions, args.corpus, args.top_k, args.min_keep)
    print(f"{len(questions)} questions: {retrieved} chunks retrieved, {kept} kept, {retrieved - kept} dropped")
    return 0


COMMAND = Command("demo", "RAG demo over the sample manual corpus", add_arguments, description=DEMO_DESCRIPTION)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:  # `python -m integrations.demo -- --help` passes the separator on
        argv = argv[1:]
    return COMMAND.main(argv, prog="python -m integrations.demo")


if __name__ == "__main__":
    raise SystemExit(main())
