"""EntityAlignmentFilter in a real LangChain pipeline: ContextualCompressionRetriever over an
InMemoryVectorStore of the sample manual (offline hashing embedding), sync and async."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core", reason="needs the [langchain] extra")
pytest.importorskip("langchain_classic", reason="needs the [langchain] extra")
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.vectorstores import InMemoryVectorStore

from devtools.servers import free_port
from ea_plugin import JudgeError, load_judge
from integrations.corpus import load_chunks
from integrations.embedding import embed_text
from integrations.langchain import RUN_NAME, EntityAlignmentFilter
from integrations.langchain_embedding import HashingEmbeddings
from integrations.selection import METADATA_KEYS

QUESTION = "md500参数F0-02怎么设？"
# What the hashing-embedding retriever returns for QUESTION (top 6), and what the judge keeps: the other
# MD500 chunks name other parameters (F0-03, F0-08, F1-37).
RETRIEVED = ["md500-f0-02", "md500e-overview", "md500-f0-03", "sv660n-md500-compare", "md500-f0-08", "md500-f1-37"]
KEPT = ["md500-f0-02", "md500e-overview", "sv660n-md500-compare"]


@pytest.fixture(scope="module")
def base_retriever():
    store = InMemoryVectorStore(HashingEmbeddings())
    store.add_documents([Document(page_content=c.text, metadata={"title": c.title}, id=c.id) for c in load_chunks()])
    retriever = store.as_retriever(search_kwargs={"k": 6})
    assert [d.id for d in retriever.invoke(QUESTION)] == RETRIEVED  # precondition: near misses retrieved
    return retriever


@pytest.fixture
def documents(base_retriever) -> list[Document]:
    return base_retriever.invoke(QUESTION)


def compression(base_retriever, **filter_options) -> ContextualCompressionRetriever:
    return ContextualCompressionRetriever(
        base_compressor=EntityAlignmentFilter(**filter_options), base_retriever=base_retriever
    )


async def invoke(retriever: ContextualCompressionRetriever, query: str, use_async: bool, **kwargs):
    return await retriever.ainvoke(query, **kwargs) if use_async else retriever.invoke(query, **kwargs)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_compression_retriever_drops_unaligned_documents_and_keeps_the_rest_in_order(base_retriever, use_async):
    docs = await invoke(compression(base_retriever, judge=load_judge("rules")), QUESTION, use_async)
    assert [d.id for d in docs] == KEPT
    assert [d.metadata["ea_label"] for d in docs] == ["对齐"] * len(KEPT)
    assert docs[0].metadata["ea_reason"] == "产品md500与MD500主型号相同，参数编号F0-02与F0-02相同"


@pytest.mark.parametrize(("use_async", "call"), [(False, "score"), (True, "ascore")], ids=["sync", "async"])
async def test_all_documents_of_a_query_go_to_the_backend_in_one_batch(
    integration_backends, base_retriever, use_async, call
):
    retriever = compression(base_retriever, backend="counting-rules")
    docs = await invoke(retriever, QUESTION, use_async)
    # async: the judge awaited the backend's native ascore, not the sync method in a worker thread
    assert retriever.base_compressor.judge.backend.calls == [(call, len(RETRIEVED))]
    assert [d.id for d in docs] == KEPT


def test_kept_documents_carry_the_judgement_and_the_callers_documents_stay_unchanged(documents):
    before = [(d.id, dict(d.metadata)) for d in documents]
    kept = EntityAlignmentFilter(judge=load_judge("rules")).compress_documents(documents, QUESTION)
    assert [(d.id, dict(d.metadata)) for d in documents] == before
    assert kept[0] is not documents[0] and kept[0].page_content == documents[0].page_content
    assert kept[0].metadata["title"] == documents[0].metadata["title"]
    assert set(METADATA_KEYS) <= set(kept[0].metadata)
    assert (kept[0].metadata["ea_score"], kept[0].metadata["ea_decision"]) == (1.0, "aligned")


class _Runs(BaseCallbackHandler):
    def __init__(self) -> None:
        self.retriever_runs: list = []
        self.chain_starts: list = []
        self.chain_ends: list = []
        self.chain_errors: list = []

    def on_retriever_start(self, serialized, query, *, run_id, parent_run_id=None, **kwargs) -> None:
        self.retriever_runs.append((run_id, parent_run_id))

    def on_chain_start(self, serialized, inputs, *, run_id, parent_run_id=None, **kwargs) -> None:
        self.chain_starts.append((kwargs.get("name"), parent_run_id, inputs))

    def on_chain_end(self, outputs, *, run_id, **kwargs) -> None:
        self.chain_ends.append(outputs)

    def on_chain_error(self, error, *, run_id, **kwargs) -> None:
        self.chain_errors.append(error)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_callbacks_see_the_filter_as_a_child_run_of_the_retriever_with_every_decision(base_retriever, use_async):
    runs = _Runs()
    retriever = compression(base_retriever, judge=load_judge("rules"))
    await invoke(retriever, QUESTION, use_async, config={"callbacks": [runs]})
    # the compression retriever's run, and the base retriever's run below it
    (outer, _), (_, base_parent) = runs.retriever_runs
    assert base_parent == outer
    assert runs.chain_starts == [(RUN_NAME, outer, {"query": QUESTION, "documents": len(RETRIEVED)})]
    (outputs,) = runs.chain_ends
    assert outputs["kept"] == len(KEPT)
    decisions = {d["id"]: d["ea_decision"] for d in outputs["decisions"]}
    assert decisions == {i: "aligned" if i in KEPT else "unaligned" for i in RETRIEVED}


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_failing_judge_keeps_every_document_and_records_why(integration_backends, base_retriever, use_async):
    docs = await invoke(compression(base_retriever, backend="broken"), QUESTION, use_async)
    assert [d.id for d in docs] == RETRIEVED
    assert {d.metadata["ea_decision"] for d in docs} == {"kept_on_error"}
    assert {d.metadata["ea_error"] for d in docs} == {"BackendError: judge server unreachable"}


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_unreachable_openai_judge_keeps_every_document_and_records_why(base_retriever, use_async):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    retriever = compression(base_retriever, backend="openai", base_url=url, model="entity-alignment", max_retries=0)
    docs = await invoke(retriever, QUESTION, use_async)
    assert [d.id for d in docs] == RETRIEVED
    assert all(d.metadata["ea_error"].startswith(f"server unreachable at {url}") for d in docs)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_a_raising_judge_policy_reaches_the_caller_and_the_callbacks(
    integration_backends, base_retriever, use_async
):
    runs = _Runs()
    retriever = compression(base_retriever, backend="broken", on_error="raise")
    with pytest.raises(JudgeError, match="judge server unreachable"):
        await invoke(retriever, QUESTION, use_async, config={"callbacks": [runs]})
    assert [type(e) for e in runs.chain_errors] == [JudgeError]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_min_keep_keeps_the_first_retrieved_documents_when_the_judge_drops_all(documents, use_async):
    question = "is620p报警AL001"  # another product than every retrieved (MD500) document

    async def compress(compressor: EntityAlignmentFilter):
        if use_async:
            return await compressor.acompress_documents(documents, question)
        return compressor.compress_documents(documents, question)

    assert await compress(EntityAlignmentFilter()) == []
    kept = await compress(EntityAlignmentFilter(min_keep=2))
    assert [d.id for d in kept] == RETRIEVED[:2]  # all scores are 0.0: retrieval order decides
    assert [d.metadata["ea_decision"] for d in kept] == ["min_keep", "min_keep"]


def test_score_threshold_drops_what_a_lenient_judge_would_keep(documents):
    lenient = load_judge("rules", threshold=0.0)  # fast mode, keeps every score >= 0
    assert len(EntityAlignmentFilter(judge=lenient).compress_documents(documents, QUESTION)) == len(RETRIEVED)
    kept = EntityAlignmentFilter(judge=lenient, score_threshold=0.5).compress_documents(documents, QUESTION)
    assert [d.id for d in kept] == KEPT


def test_filter_built_from_a_backend_name_passes_judge_options_on():
    compressor = EntityAlignmentFilter(backend="rules", mode="think", batch_size=4, min_keep=1)
    assert (compressor.judge.mode, compressor.judge.batch_size, compressor.min_keep) == ("think", 4, 1)
    with pytest.raises(ValueError):
        EntityAlignmentFilter(judge=load_judge("rules"), mode="think")
    with pytest.raises(ValueError):
        EntityAlignmentFilter(score_threshold=2.0)


async def test_hashing_embeddings_are_the_shared_function_in_sync_and_async():
    embeddings = HashingEmbeddings(dim=64)
    texts = ["SV660N报E100.0", "md500变频器"]
    assert embeddings.embed_documents(texts) == [embed_text(t, 64) for t in texts]
    assert await embeddings.aembed_query(texts[0]) == embeddings.embed_query(texts[0]) == embed_text(texts[0], 64)
