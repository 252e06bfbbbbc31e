"""Mine (question, chunk) pairs for labelling: questions + a corpus through a retriever, or a RAG log export.

    ea-judge mine --questions training/examples/questions.txt \\
        --corpus integrations/data/manual_chunks.jsonl --top-k 5 --out runs/data/pairs.jsonl
    ea-judge mine --pairs rag_log.jsonl --out pairs.jsonl                   # pairs the RAG already made
    ea-judge mine ... --retriever my_rag:make_retriever                     # your own retriever
    ea-judge mine ... --stratify 200                                        # both labels, every rule

``python -m training.mine`` is the same command. The top k chunks of a retriever are where the hard negatives are:
the same fault code of another product, a neighbouring code of the same product. Output: JSONL of ``{question,
chunk, chunk_id, rank, retrieval_score, source}`` (rank from 1; source ``bm25``, ``retriever`` or ``log``),
duplicates removed (first kept; NFKC, case and spacing ignored). ``--stratify N`` keeps N pairs spread evenly over
the rules backend's (label, deciding rule) groups, adding ``rules_label`` and ``rules_rule``, so both classes and
every rule are represented. Questions are a text file (one a line) or JSONL (``--question-field``); a log export
is JSONL of ``{question, chunk}`` or ``{question, chunks: [text | {text, id, score}]}``.

Unreadable lines go to ``OUT.rejects.jsonl`` with the reason and ``OUT.stats.json`` holds counts that
reconcile: ``retrieved + log_pairs == duplicates + not_sampled + written``.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ea_plugin.arguments import Command, positive_int, print_counts
from ea_plugin.errors import OptionError
from ea_plugin.jsonl import INVALID_UTF8, JsonLine, read_file, text_lines, write_json, write_jsonl
from ea_plugin.options import check_int
from ea_plugin.outputs import refuse_overwrite
from training.records import DataFileError, number_field, pair_key, reject, text_field
from training.retrieval import BM25Retriever, Hit, Retriever, load_retriever, read_corpus


@dataclass
class MinedPair:
    question: str
    chunk: str
    chunk_id: str | None
    rank: int
    retrieval_score: float | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MineStats:
    """The counts of ``OUT.stats.json``; the pairs' own add up (``check``)."""

    questions_read: int = 0  # non-blank lines of --questions
    questions_rejected: int = 0  # of them, unreadable or without a question (to rejects)
    questions_duplicate: int = 0  # of them, a question asked before (NFKC, case and spacing ignored)
    questions_without_hits: int = 0  # questions the retriever found nothing for
    corpus_chunks: int = 0  # chunks of --corpus indexed
    corpus_rejected: int = 0  # --corpus lines unreadable, without text or with a repeated id
    retrieved: int = 0  # pairs the retriever returned (up to --top-k a question)
    log_lines: int = 0  # non-blank lines of --pairs
    log_rejected: int = 0  # of them, unreadable or without a question and chunks
    log_pairs: int = 0  # pairs the log's lines hold
    duplicates: int = 0  # pairs dropped as one seen before (first kept)
    not_sampled: int = 0  # pairs --stratify left out
    written: int = 0  # pairs written to --out

    def check(self) -> None:
        if self.retrieved + self.log_pairs != self.duplicates + self.not_sampled + self.written:
            raise AssertionError(f"mine counts do not reconcile: {self}")


# -- inputs -----------------------------------------------------------------------------------------
def read_questions(path: str, field: str, stats: MineStats, rejects: list[dict]) -> list[str]:
    """Questions of a text file (one a line) or JSONL; duplicates (NFKC, case, spacing ignored) dropped."""
    lines = _question_lines(Path(path), field)
    questions: dict[tuple[str, str], str] = {}
    for line in lines:
        stats.questions_read += 1
        question = text_field(line.record, field) if line.record is not None else None
        if question is None:
            stats.questions_rejected += 1
            rejects.append(reject(path, line, line.record_error or f"no non-empty string field {field!r}"))
        elif (key := pair_key(question, "")) in questions:
            stats.questions_duplicate += 1
        else:
            questions[key] = question.strip()
    return list(questions.values())


def _question_lines(path: Path, field: str) -> Iterator[JsonLine]:
    if path.suffix in (".jsonl", ".json"):
        return read_file(path)
    # A text file, split and decoded as JSONL is (b"\n" only, so U+2028 in a question never splits it).
    return (JsonLine(number, text, {field: text}) if text is not None
            else JsonLine(number, "", category=INVALID_UTF8, error=error)
            for number, text, error in text_lines(path))


def read_log(path: str, stats: MineStats, rejects: list[dict]) -> list[MinedPair]:
    """Pairs of a RAG log export: ``{question, chunk}`` or ``{question, chunks: [...]}`` per line."""
    pairs: list[MinedPair] = []
    for line in read_file(path):
        stats.log_lines += 1
        found, reason = _log_pairs(line)
        if reason is not None:
            stats.log_rejected += 1
            rejects.append(reject(path, line, reason))
        pairs += found
    stats.log_pairs = len(pairs)
    return pairs


def _log_pairs(line: JsonLine) -> tuple[list[MinedPair], str | None]:
    if line.record is None:
        return [], line.record_error
    question = text_field(line.record, "question")
    if question is None:
        return [], "no non-empty string field 'question'"
    items = line.record.get("chunks", [line.record.get("chunk")] if "chunk" in line.record else None)
    if not isinstance(items, list) or not items:
        return [], "needs 'chunk' (a string) or 'chunks' (a non-empty list)"
    pairs = []
    for rank, item in enumerate(items, start=1):
        hit = _log_hit(item)
        if hit is None:
            return [], f"chunk {rank} is neither a non-empty string nor an object with 'text'"
        pairs.append(MinedPair(question, hit.text, hit.chunk_id, rank, hit.score, "log"))
    return pairs, None


def _log_hit(item: Any) -> Hit | None:
    if isinstance(item, str):
        return Hit(None, item, None) if item.strip() else None
    if not isinstance(item, dict):
        return None
    text = next((text_field(item, k) for k in ("text", "chunk", "content") if text_field(item, k)), None)
    chunk_id = item.get("id")
    if text is None:
        return None
    return Hit(None if chunk_id is None else str(chunk_id), text, number_field(item, "score"))


# -- mining -----------------------------------------------------------------------------------------
def retrieve(retriever: Retriever, questions: Sequence[str], top_k: int, source: str,
             stats: MineStats) -> list[MinedPair]:
    search_many = getattr(retriever, "search_many", None)
    results = search_many(questions, top_k) if search_many else [retriever.search(q, top_k) for q in questions]
    pairs = []
    for question, hits in zip(questions, results, strict=True):
        stats.questions_without_hits += not hits
        pairs += [MinedPair(question, h.text, h.chunk_id, rank, h.score, source) for rank, h in enumerate(hits, 1)]
    stats.retrieved = len(pairs)
    return pairs


def drop_duplicate_pairs(pairs: Sequence[MinedPair], stats: MineStats) -> list[MinedPair]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for pair in pairs:
        key = pair_key(pair.question, pair.chunk)
        if key in seen:
            stats.duplicates += 1
            continue
        seen.add(key)
        unique.append(pair)
    return unique


def rules_groups(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(label, deciding rule) of the rules backend for each (question, chunk)."""
    from ea_plugin.judge import load_judge

    decisions = load_judge("rules", mode="fast", batch_size=1024).judge_pairs(pairs)
    return [(d.label or "none", str(d.judgement.extra.get("rule", "none")) if d.judgement else "none")
            for d in decisions]


def stratified_sample(groups: Sequence[Any], count: int, seed: int) -> list[int]:
    """Indices of ``count`` items spread evenly over the groups (round robin, seeded order within each);
    a group smaller than its share gives its place to the others. Returned in input order."""
    members: dict[Any, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        members[group].append(index)
    rng = random.Random(seed)
    queues = [rng.sample(members[g], len(members[g])) for g in sorted(members, key=str)]
    chosen: list[int] = []
    while len(chosen) < min(count, len(groups)):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop())
    return sorted(chosen)


def outputs(out: str | Path) -> list[Path]:
    """Every file a tool writing pairs to ``out`` writes (mine and select): the pairs, rejects, stats."""
    out = Path(out)
    return [out, out.with_suffix(".rejects.jsonl"), out.with_suffix(".stats.json")]


@dataclass(frozen=True)
class MineOptions:
    """Where the pairs come from and where they go (``ea-judge mine``'s options)."""

    out: str | Path
    questions: str | Path | None = None  # a text file (one a line) or JSONL
    question_field: str = "question"
    corpus: str | Path | None = None  # JSONL of chunks for the built-in BM25 (or handed to ``retriever``)
    text_field: str = "text"
    id_field: str = "id"
    retriever: str | None = None  # "module:factory": factory(chunks, top_k)
    top_k: int = 5
    pairs: str | Path | None = None  # a RAG log export
    stratify: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if not (self.questions or self.pairs):
            raise OptionError("give --questions (with --corpus or --retriever) and/or --pairs", option="questions")
        check_int("top_k", self.top_k)
        check_int("stratify", self.stratify, none_ok=True)


def mine(options: MineOptions) -> MineStats:
    refuse_overwrite([options.questions, options.corpus, options.pairs], outputs(options.out))
    stats, rejects = MineStats(), []
    pairs: list[MinedPair] = []
    if options.questions:
        questions = read_questions(str(options.questions), options.question_field, stats, rejects)
        chunks = []
        if options.corpus:
            chunks, corpus_rejects = read_corpus(options.corpus, options.text_field, options.id_field)
            stats.corpus_chunks, stats.corpus_rejected = len(chunks), len(corpus_rejects)
            rejects += corpus_rejects
        if options.retriever:
            retriever, source = load_retriever(options.retriever, chunks, options.top_k), "retriever"
        elif options.corpus:  # a corpus without one usable chunk is said as such by BM25Retriever
            retriever, source = BM25Retriever(chunks), "bm25"
        else:
            raise DataFileError("--questions needs --corpus (built-in BM25) or --retriever")
        pairs += retrieve(retriever, questions, options.top_k, source, stats)
    if options.pairs:
        pairs += read_log(str(options.pairs), stats, rejects)
    pairs = drop_duplicate_pairs(pairs, stats)
    rows = [p.to_dict() for p in pairs]
    if options.stratify is not None:
        groups = rules_groups([(p.question, p.chunk) for p in pairs])
        keep = stratified_sample(groups, options.stratify, options.seed)
        stats.not_sampled = len(pairs) - len(keep)
        rows = [{**rows[i], "rules_label": groups[i][0], "rules_rule": groups[i][1]} for i in keep]
    out = Path(options.out)
    stats.written = write_jsonl(out, rows)
    write_jsonl(out.with_suffix(".rejects.jsonl"), rejects)
    stats.check()
    write_json(out.with_suffix(".stats.json"), asdict(stats))
    return stats


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--questions", help="questions: a text file (one a line) or JSONL")
    p.add_argument("--question-field", default="question", help="the question's field in JSONL (default question)")
    p.add_argument("--corpus", help="JSONL of chunks for the built-in BM25 (or handed to --retriever)")
    p.add_argument("--text-field", default="text", help="the chunk text's field in the corpus (default text)")
    p.add_argument("--id-field", default="id", help="the chunk id's field in the corpus (default id)")
    p.add_argument("--retriever", metavar="MODULE:FACTORY", help="your retriever: FACTORY(chunks, top_k)")
    p.add_argument("--top-k", type=positive_int, default=5, help="chunks per question (default 5)")
    p.add_argument("--pairs", help="a RAG log export: JSONL of {question, chunk} or {question, chunks}")
    p.add_argument("--stratify", type=positive_int, metavar="N", help="keep N pairs spread over rules label x rule")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="pairs JSONL (rejects and stats are written beside it)")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    options = MineOptions(out=args.out, questions=args.questions, question_field=args.question_field,
                          corpus=args.corpus, text_field=args.text_field, id_field=args.id_field,
                          retriever=args.retriever, top_k=args.top_k, pairs=args.pairs, stratify=args.stratify,
                          seed=args.seed)
    print_counts(asdict(mine(options)))
    return 0


COMMAND = Command("mine", "mine (question, chunk) pairs to label: questions through a retriever, or a RAG log",
                  add_arguments, description=__doc__)


def main(argv: Sequence[str] | None = None) -> int:
    return COMMAND.main(argv, prog="python -m training.mine")


if __name__ == "__main__":
    sys.exit(main())
