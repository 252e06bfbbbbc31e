"""Write what a LlamaIndex retriever returns for a set of questions, as input for ``ea-judge report``.

    ea-judge retrieve -o retrieved.jsonl                 # sample corpus + sample questions, top 10
    ea-judge retrieve -o filtered.jsonl --filter         # the same retriever + the postprocessor
    python -m integrations.retrieve ...                  # the same command

The retriever is the demo's (a real VectorStoreIndex over the corpus with the offline hashing embedding);
``--filter`` passes its nodes through ``EntityAlignmentPostprocessor`` (any backend: the usual backend
options). Each output line is ``{"question", "contexts": [{"id", "text", "score"}], "expected_ids"?}``, contexts in
rank order (``expected_ids`` copied from the questions file, where it names them).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ea_plugin.arguments import (
    BackendChoice,
    Command,
    add_backend_arguments,
    int_at_least,
    judge_from_args,
    positive_int,
)
from ea_plugin.jsonl import read_file, write_jsonl
from ea_plugin.outputs import refuse_overwrite
from integrations.corpus import SAMPLE_CORPUS, CorpusError, load_chunks
from integrations.demo import build_index

if TYPE_CHECKING:  # LlamaIndex is imported when the command runs: `ea-judge --help` works on a core install
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.schema import NodeWithScore

SAMPLE_QUESTIONS = Path(__file__).resolve().parent / "data" / "questions.jsonl"
DEFAULT_TOP_K = 10


@dataclass(frozen=True)
class Question:
    question: str
    expected_ids: list[str] | None = None  # the chunks that answer it, where the file says


def load_questions(path: Path | str = SAMPLE_QUESTIONS) -> list[Question]:
    """Every ``{question, expected_ids?}`` line of a JSONL file; a bad line raises CorpusError naming it."""
    path = Path(path)
    questions = []
    for line in read_file(path):
        value = line.value if line.ok else None
        if not isinstance(value, dict):
            raise CorpusError(line.record_error or "not a JSON object", path=path, line=line.number)
        question, expected = value.get("question"), value.get("expected_ids")
        if not isinstance(question, str) or not question.strip():
            raise CorpusError("needs a non-empty string 'question'", path=path, line=line.number)
        if expected is not None and not (isinstance(expected, list) and all(isinstance(e, str) for e in expected)):
            raise CorpusError("'expected_ids' must be a list of strings", path=path, line=line.number)
        questions.append(Question(question, expected))
    return questions


def context_record(node: NodeWithScore) -> dict[str, Any]:
    return {"id": node.node.node_id, "text": node.node.get_content(), "score": node.score}


def retrieve(
    questions: Sequence[Question],
    corpus: Path | str = SAMPLE_CORPUS,
    top_k: int = DEFAULT_TOP_K,
    postprocessor: BaseNodePostprocessor | None = None,
) -> list[dict[str, Any]]:
    """One ``{question, contexts, expected_ids?}`` record per question: the retriever's top k, filtered when a
    postprocessor is given."""
    retriever = build_index(load_chunks(corpus)).as_retriever(similarity_top_k=top_k)
    records = []
    for item in questions:
        nodes = retriever.retrieve(item.question)
        if postprocessor is not None:
            nodes = postprocessor.postprocess_nodes(nodes, query_str=item.question)
        record: dict[str, Any] = {"question": item.question, "contexts": [context_record(n) for n in nodes]}
        if item.expected_ids is not None:
            record["expected_ids"] = item.expected_ids
        records.append(record)
    return records


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, help="JSONL to write (one record per question)")
    parser.add_argument("--questions", default=str(SAMPLE_QUESTIONS), help="JSONL of {question, expected_ids?} records")
    parser.add_argument("--corpus", default=str(SAMPLE_CORPUS), help="JSONL of {id, title, text} chunks")
    parser.add_argument("--top-k", type=positive_int, default=DEFAULT_TOP_K, help="chunks retrieved per question")
    parser.add_argument("--filter", action="store_true", help="pass the nodes through EntityAlignmentPostprocessor")
    parser.add_argument("--min-keep", type=int_at_least(0), default=0,
                        help="with --filter: never keep fewer chunks than this")
    add_backend_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from integrations.llamaindex import EntityAlignmentPostprocessor  # LlamaIndex: a missing extra is named

    # errors: one line by ea_plugin.arguments; the judge's catalogs are inputs too
    refuse_overwrite([args.questions, args.corpus, *BackendChoice.from_args(args).files_read], [args.output])
    postprocessor = None
    if args.filter:
        postprocessor = EntityAlignmentPostprocessor(judge=judge_from_args(args), min_keep=args.min_keep)
    records = retrieve(load_questions(args.questions), args.corpus, args.top_k, postprocessor)
    write_jsonl(args.output, records)
    print(f"{len(records)} questions -> {args.output}", file=sys.stderr)
    return 0


COMMAND = Command("retrieve", "what a LlamaIndex retriever returns for questions: the input of ea-judge report",
                  add_arguments, description=__doc__)


def main(argv: list[str] | None = None) -> int:
    return COMMAND.main(argv, prog="python -m integrations.retrieve")


if __name__ == "__main__":
    raise SystemExit(main())
