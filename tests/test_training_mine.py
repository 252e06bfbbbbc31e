"""training.mine: questions + the shipped corpus through BM25 or real LlamaIndex/LangChain retrievers, RAG log
exports, dedup, stratified sampling; counts reconcile and every unreadable line is a reject with its reason."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from integrations.corpus import SAMPLE_CORPUS
from training.mine import main as mine_main
from training.mine import rules_groups, stratified_sample
from training.retrieval import tokenize

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "training" / "examples" / "questions.txt"


def mined(out: Path, *args: str) -> tuple[list[dict], dict, list[dict]]:
    assert mine_main([*args, "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    rejects = [json.loads(line) for line in out.with_suffix(".rejects.jsonl").read_text().splitlines()]
    return rows, json.loads(out.with_suffix(".stats.json").read_text()), rejects


def test_tokens_keep_codes_joined_and_in_parts_and_cut_chinese_into_bigrams():
    tokens = tokenize("ＳＶ660-N报E100.1故障")
    assert {"sv660-n", "sv660n", "sv660", "n", "e100.1", "e1001", "e100", "1"} <= set(tokens)
    assert {"报", "故障"} <= set(tokens)


@given(st.text(max_size=40))
def test_tokens_are_lower_case_nfkc_and_never_empty(text: str):
    for token in tokenize(text):
        assert token and token == unicodedata.normalize("NFKC", token).lower()


def test_bm25_over_the_sample_corpus_finds_the_hard_negatives(tmp_path: Path):
    rows, stats, rejects = mined(tmp_path / "pairs.jsonl", "--questions", str(QUESTIONS), "--corpus",
                                 str(SAMPLE_CORPUS), "--top-k", "5")
    questions = [q for q in QUESTIONS.read_text(encoding="utf-8").splitlines() if q.strip()]
    assert stats["questions_read"] == len(questions) and stats["corpus_chunks"] == 50 and not rejects
    assert stats["retrieved"] == stats["duplicates"] + stats["not_sampled"] + stats["written"] == len(rows)
    assert {r["source"] for r in rows} == {"bm25"}
    first = [r for r in rows if r["question"] == "sv660n出现e100故障怎么办？"]
    assert [r["rank"] for r in first] == list(range(1, len(first) + 1))
    assert first == sorted(first, key=lambda r: -r["retrieval_score"])
    # The same fault code of another product is retrieved: the hard negative the judge must learn.
    assert {"md500-e100", "sv660n-e100"} <= {r["chunk_id"] for r in first}
    # ... and the rules label both ways over the whole set.
    assert set(Counter(label for label, _ in rules_groups([(r["question"], r["chunk"]) for r in rows]))) == {
        "对齐", "不对齐"}


def test_log_pairs_and_mined_pairs_are_deduplicated_and_bad_lines_rejected(tmp_path: Path):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "md500参数F0-02怎么设"}\n{"question": "MD500 参数F0-02怎么设 "}\n'
                         '{"q": "no field"}\nnot json\n', encoding="utf-8")
    log = tmp_path / "log.jsonl"
    chunk = next(json.loads(x)["text"] for x in SAMPLE_CORPUS.read_text().splitlines() if '"md500-f0-02"' in x)
    log.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"question": "md500参数F0-02怎么设",
         "chunks": [chunk, {"text": "MD290参数F0-02为命令源选择", "id": "x", "score": 0.7}]},
        {"question": "md500参数F0-02怎么设", "chunk": "  " + chunk.upper() + " "},  # the same pair again
        {"question": "sv660n报e100", "chunks": []},
        {"chunk": "no question"},
    ]) + "\n", encoding="utf-8")
    rows, stats, rejects = mined(tmp_path / "pairs.jsonl", "--questions", str(questions), "--corpus",
                                 str(SAMPLE_CORPUS), "--top-k", "3", "--pairs", str(log))
    assert (stats["questions_read"], stats["questions_duplicate"], stats["questions_rejected"]) == (4, 1, 2)
    assert (stats["log_lines"], stats["log_rejected"], stats["log_pairs"]) == (4, 2, 3)
    assert stats["retrieved"] + stats["log_pairs"] == stats["duplicates"] + stats["written"] == 3 + 3
    assert stats["duplicates"] == 2  # the log's two copies of a chunk BM25 also retrieved
    assert {r["line"] for r in rejects if r["source"] == "q.jsonl"} == {3, 4}
    assert {r["line"] for r in rejects if r["source"] == "log.jsonl"} == {3, 4}
    assert all(r["reason"] for r in rejects)
    logged = [r for r in rows if r["source"] == "log"]
    assert logged == [{"question": "md500参数F0-02怎么设", "chunk": "MD290参数F0-02为命令源选择", "chunk_id": "x",
                       "rank": 2, "retrieval_score": 0.7, "source": "log"}]


def test_stratified_sample_represents_every_label_and_rule(tmp_path: Path):
    common = ("--questions", str(QUESTIONS), "--corpus", str(SAMPLE_CORPUS))
    everything, _, _ = mined(tmp_path / "all.jsonl", *common)
    groups = Counter(rules_groups([(r["question"], r["chunk"]) for r in everything]))
    rows, stats, _ = mined(tmp_path / "some.jsonl", *common, "--stratify", "30")
    assert len(rows) == stats["written"] == 30 and stats["not_sampled"] == len(everything) - 30
    sampled = Counter((r["rules_label"], r["rules_rule"]) for r in rows)
    assert set(sampled) == set(groups)  # every group the full set has
    share = 30 // len(groups)
    assert all(sampled[g] >= min(share, groups[g]) for g in groups)


def test_stratified_sample_is_even_seeded_and_in_input_order():
    groups = ["a"] * 50 + ["b"] * 3 + ["c"] * 10
    picked = stratified_sample(groups, 12, seed=1)
    assert picked == sorted(picked) == stratified_sample(groups, 12, seed=1)
    assert Counter(groups[i] for i in picked) == {"a": 5, "b": 3, "c": 4} or \
        Counter(groups[i] for i in picked) == {"a": 4, "b": 3, "c": 5}


# -- the user's own retriever (real LlamaIndex and LangChain objects) --------------------------------
def llamaindex_retriever(chunks, top_k):
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    from integrations.llamaindex_embedding import HashingEmbedding

    nodes = [TextNode(text=c.text, id_=c.id, metadata={"id": c.id}) for c in chunks]
    return VectorStoreIndex(nodes, embed_model=HashingEmbedding()).as_retriever(similarity_top_k=top_k)


def langchain_retriever(chunks, top_k):
    from langchain_core.documents import Document
    from langchain_core.vectorstores import InMemoryVectorStore

    from integrations.langchain_embedding import HashingEmbeddings

    store = InMemoryVectorStore(HashingEmbeddings())
    store.add_documents([Document(page_content=c.text, metadata={"id": c.id}) for c in chunks])
    return store.as_retriever(search_kwargs={"k": top_k})


def test_own_llamaindex_and_langchain_retrievers_through_the_hook(tmp_path: Path):
    questions = tmp_path / "q.txt"
    questions.write_text("sv660n出现e100故障怎么办？\nmd500参数F0-02怎么设\n", encoding="utf-8")
    corpus_ids = {json.loads(line)["id"] for line in SAMPLE_CORPUS.read_text().splitlines()}
    for name in ("llamaindex_retriever", "langchain_retriever"):
        rows, stats, _ = mined(tmp_path / f"{name}.jsonl", "--questions", str(questions), "--corpus",
                               str(SAMPLE_CORPUS), "--retriever", f"tests.test_training_mine:{name}", "--top-k", "4")
        assert stats["retrieved"] == len(rows) == 8, name
        assert {r["source"] for r in rows} == {"retriever"}
        assert {r["chunk_id"] for r in rows} <= corpus_ids
        assert [r["rank"] for r in rows] == [1, 2, 3, 4] * 2
    for spec in ("no_colon", "tests.test_training_mine:nothing", "no_such_module_here:f"):
        assert mine_main(["--questions", str(questions), "--retriever", spec, "--out", str(tmp_path / "x.jsonl")]) == 1
