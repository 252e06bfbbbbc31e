"""EntityAlignmentFilter in a real Haystack pipeline: InMemoryEmbeddingRetriever over the sample manual (offline
hashing embedding) feeding the component, sync and async; serialisation through Pipeline.dumps/loads."""

from __future__ import annotations

import pytest

pytest.importorskip("haystack", reason="needs the [haystack] extra")
from haystack import Document, Pipeline
from haystack.components.retrievers.in_memory import InMemoryEmbeddingRetriever
from haystack.document_stores.in_memory import InMemoryDocumentStore

from ea_plugin import JudgeError, load_judge
from ea_plugin.judge import JudgeConfigError
from integrations.corpus import load_chunks
from integrations.embedding import embed_text
from integrations.haystack import EntityAlignmentFilter
from integrations.selection import METADATA_KEYS

QUESTION = "md500参数F0-02怎么设？"
# The same retrieval as tests/test_langchain.py (the same embedding, top 6) and what the judge keeps: the other
# MD500 chunks name other parameters (F0-03, F0-08, F1-37).
RETRIEVED = ["md500-f0-02", "md500e-overview", "md500-f0-03", "sv660n-md500-compare", "md500-f0-08", "md500-f1-37"]
KEPT = ["md500-f0-02", "md500e-overview", "sv660n-md500-compare"]


@pytest.fixture(scope="module")
def store() -> InMemoryDocumentStore:
    store = InMemoryDocumentStore(embedding_similarity_function="dot_product")
    store.write_documents([Document(id=c.id, content=c.text, meta={"title": c.title}, embedding=embed_text(c.text))
                           for c in load_chunks()])
    return store


def pipeline(store: InMemoryDocumentStore, alignment: EntityAlignmentFilter) -> Pipeline:
    pipe = Pipeline()
    pipe.add_component("retriever", InMemoryEmbeddingRetriever(document_store=store, top_k=6))
    pipe.add_component("alignment", alignment)
    pipe.connect("retriever.documents", "alignment.documents")
    return pipe


async def run(pipe: Pipeline, question: str, use_async: bool) -> dict:
    data = {"retriever": {"query_embedding": embed_text(question)}, "alignment": {"query": question}}
    return (await pipe.run_async(data) if use_async else pipe.run(data))["alignment"]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_pipeline_keeps_the_aligned_documents_in_order_with_their_decisions(store, use_async):
    out = await run(pipeline(store, EntityAlignmentFilter()), QUESTION, use_async)
    assert [d.id for d in out["documents"]] == KEPT
    assert [d.id for d in out["dropped"]] == [i for i in RETRIEVED if i not in KEPT]
    assert {d.meta["ea_decision"] for d in out["documents"]} == {"aligned"}
    assert {d.meta["ea_decision"] for d in out["dropped"]} == {"unaligned"}
    assert out["documents"][0].meta["title"] and set(METADATA_KEYS) <= set(out["documents"][0].meta)
    assert out["documents"][0].meta["ea_reason"] == "产品md500与MD500主型号相同，参数编号F0-02与F0-02相同"


@pytest.mark.parametrize(("use_async", "call"), [(False, "score"), (True, "ascore")], ids=["sync", "async"])
async def test_all_documents_of_a_query_go_to_the_backend_in_one_batch(integration_backends, store, use_async, call):
    alignment = EntityAlignmentFilter(backend="counting-rules")
    out = await run(pipeline(store, alignment), QUESTION, use_async)
    # async: the judge awaited the backend's native ascore, not the sync method in a worker thread
    assert alignment.judge.backend.calls == [(call, len(RETRIEVED))]
    assert [d.id for d in out["documents"]] == KEPT


def test_callers_documents_stay_unchanged_and_empty_ones_are_kept_unjudged():
    documents = [Document(id="a", content="md500参数F0-03", meta={"title": "x"}), Document(id="b", content=None)]
    out = EntityAlignmentFilter().run(QUESTION, documents)
    assert documents[0].meta == {"title": "x"}
    assert [d.id for d in out["documents"]] == ["b"] and out["documents"][0].meta["ea_decision"] == "not_judged"
    assert [d.id for d in out["dropped"]] == ["a"] and out["dropped"][0].meta["title"] == "x"


def test_threshold_min_keep_and_a_failing_judge_follow_the_policy(integration_backends):
    documents = [Document(id=str(i), content=f"is620p报警AL00{i}") for i in range(3)]
    assert EntityAlignmentFilter().run("md500参数F0-02", documents)["documents"] == []
    kept = EntityAlignmentFilter(min_keep=2).run("md500参数F0-02", documents)["documents"]
    assert [(d.id, d.meta["ea_decision"]) for d in kept] == [("0", "min_keep"), ("1", "min_keep")]
    failing = EntityAlignmentFilter(backend="broken").run(QUESTION, documents)["documents"]
    assert {d.meta["ea_decision"] for d in failing} == {"kept_on_error"}
    with pytest.raises(JudgeError, match="judge server unreachable"):
        EntityAlignmentFilter(backend="broken", judge_options={"on_error": "raise"}).run(QUESTION, documents)


def test_pipeline_dumps_and_loads_the_judges_configuration(store):
    options = {"mode": "fast", "threshold": 0.9, "catalog": []}
    pipe = pipeline(store, EntityAlignmentFilter(judge=load_judge("rules", **options), min_keep=1))
    # Haystack loads a class only from a module the caller trusts
    loaded = Pipeline.loads(pipe.dumps(), allowed_modules=["integrations.haystack"]).get_component("alignment")
    assert isinstance(loaded, EntityAlignmentFilter) and loaded.min_keep == 1
    assert loaded.judge.config() == {"backend": "rules", "options": {"threshold": 0.9, "catalog": []}}
    assert loaded.judge.policy.threshold == 0.9
    assert EntityAlignmentFilter.from_dict(loaded.to_dict()).to_dict() == loaded.to_dict()


def test_a_judge_that_cannot_be_written_down_fails_to_dict_naming_why():
    from ea_plugin.backends.rules import RulesBackend
    from ea_plugin.judge import AlignmentJudge

    with pytest.raises(JudgeConfigError, match="outside load_judge"):
        EntityAlignmentFilter(judge=AlignmentJudge(RulesBackend())).to_dict()
    secret = load_judge("openai", base_url="http://127.0.0.1:1/v1", model="m", api_key="sk-1")
    with pytest.raises(JudgeConfigError, match="'api_key' is a secret"):
        EntityAlignmentFilter(judge=secret).to_dict()


def test_bad_options_fail_at_construction():
    with pytest.raises(ValueError, match="score_threshold"):
        EntityAlignmentFilter(score_threshold=2.0)
    with pytest.raises(ValueError, match="did you mean 'threshold'"):
        EntityAlignmentFilter(judge_options={"treshold": 0.3})
    with pytest.raises(ValueError, match="either judge"):
        EntityAlignmentFilter(backend="openai", judge=load_judge("rules"))
