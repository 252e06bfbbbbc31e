"""EntityAlignmentPostprocessor in a real LlamaIndex pipeline: VectorStoreIndex over the sample manual
(offline hashing embedding), a real query engine with LlamaIndex's MockLLM, sync and async."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_index.core", reason="needs the [llamaindex] extra")
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler
from llama_index.core.llms import MockLLM
from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

from devtools.servers import free_port
from ea_plugin import InvalidPairError, load_judge
from ea_plugin.prompts import build_messages
from integrations.corpus import load_chunks
from integrations.demo import build_index
from integrations.embedding import embed_text
from integrations.llamaindex import (
    PROMPT_KEY,
    RETRIEVAL_SCORE_KEY,
    EntityAlignmentEvent,
    EntityAlignmentPostprocessor,
    FixedPromptError,
)
from integrations.llamaindex_embedding import HashingEmbedding
from integrations.selection import METADATA_KEYS

QUESTION = "sv660n出现e100故障怎么办？"
# What the hashing-embedding retriever returns for QUESTION (top 6), and what the judge keeps: md500-e100
# is another product, sv660n-e102 another fault code.
RETRIEVED = ["md500-e100", "sv660n-md500-compare", "sv660d-overview", "sv660n-e102", "sv660n-h02-00", "sv660n-e100"]
KEPT = ["sv660n-md500-compare", "sv660d-overview", "sv660n-h02-00", "sv660n-e100"]
DROPPED = {"md500-e100", "sv660n-e102"}


@pytest.fixture(scope="module")
def index():
    return build_index(load_chunks())


@pytest.fixture
def retrieved(index) -> list[NodeWithScore]:
    nodes = index.as_retriever(similarity_top_k=6).retrieve(QUESTION)
    assert ids(nodes) == RETRIEVED  # precondition: the near misses are among the retrieved nodes
    return nodes


def ids(nodes) -> list[str]:
    return [n.node.node_id for n in nodes]


async def postprocess(post: EntityAlignmentPostprocessor, nodes, query: str, use_async: bool):
    if use_async:
        return await post.apostprocess_nodes(nodes, query_str=query)
    return post.postprocess_nodes(nodes, query_str=query)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_postprocessor_drops_unaligned_nodes_and_keeps_the_rest_in_retrieval_order(retrieved, use_async):
    post = EntityAlignmentPostprocessor(judge=load_judge("rules"))
    kept = await postprocess(post, retrieved, QUESTION, use_async)
    assert ids(kept) == KEPT
    assert {n.node.metadata["ea_label"] for n in kept} == {"对齐"}


@pytest.mark.parametrize(("use_async", "call"), [(False, "score"), (True, "ascore")], ids=["sync", "async"])
async def test_all_nodes_of_a_query_go_to_the_backend_in_one_batch(integration_backends, retrieved, use_async, call):
    post = EntityAlignmentPostprocessor(backend="counting-rules")
    kept = await postprocess(post, retrieved, QUESTION, use_async)
    # async: the judge awaited the backend's native ascore, not the sync method in a worker thread
    assert post.judge.backend.calls == [(call, len(RETRIEVED))]
    assert ids(kept) == KEPT


def test_query_engine_gives_the_llm_only_aligned_chunks_without_judgement_metadata(index):
    post = EntityAlignmentPostprocessor(judge=load_judge("rules"))
    engine = index.as_query_engine(llm=MockLLM(), node_postprocessors=[post], similarity_top_k=6)
    response = engine.query(QUESTION)
    assert ids(response.source_nodes) == KEPT
    chunk_text = {c.id: c.text for c in load_chunks()}
    # MockLLM answers with the prompt it got: the context holds exactly the kept chunks
    prompt = str(response)
    assert all(chunk_text[i] in prompt for i in KEPT)
    assert not any(chunk_text[i] in prompt for i in DROPPED)
    assert "title: 选型指南" in prompt  # the node's own metadata still reaches the LLM ...
    assert not any(key in prompt for key in METADATA_KEYS)  # ... the judgement keys do not


async def test_async_query_engine_uses_the_postprocessor_natively(integration_backends, index):
    post = EntityAlignmentPostprocessor(backend="counting-rules")
    engine = index.as_query_engine(llm=MockLLM(), node_postprocessors=[post], similarity_top_k=6)
    response = await engine.aquery(QUESTION)
    assert ids(response.source_nodes) == KEPT
    assert post.judge.backend.calls == [("ascore", len(RETRIEVED))]


def test_kept_nodes_carry_the_judgement_and_the_callers_nodes_stay_unchanged(retrieved):
    before = [(n.score, dict(n.node.metadata), list(n.node.excluded_llm_metadata_keys)) for n in retrieved]
    kept = EntityAlignmentPostprocessor(judge=load_judge("rules")).postprocess_nodes(retrieved, query_str=QUESTION)
    assert [(n.score, dict(n.node.metadata), list(n.node.excluded_llm_metadata_keys)) for n in retrieved] == before
    first = kept[0]
    original = next(n for n in retrieved if n.node.node_id == first.node.node_id)
    assert first.node is not original.node and first.node.text == original.node.text
    assert first.score == original.score  # the retrieval score is kept by default
    assert first.node.metadata["title"] == original.node.metadata["title"]
    assert {k: first.node.metadata[k] for k in METADATA_KEYS} == {
        "ea_label": "对齐",
        "ea_score": 1.0,
        "ea_reason": "产品sv660n与SV660N主型号相同，故障码e100(E族主码100)与E100(E族主码100)族相同、主码相同",
        "ea_error": None,
        "ea_decision": "aligned",
        "ea_backend": "rules",
    }
    for excluded in (first.node.excluded_llm_metadata_keys, first.node.excluded_embed_metadata_keys):
        assert set(METADATA_KEYS) <= set(excluded)
    assert "title" in first.node.excluded_embed_metadata_keys  # existing exclusions survive


def test_judge_score_replaces_the_retrieval_score_when_asked_and_the_old_one_is_kept(retrieved):
    post = EntityAlignmentPostprocessor(judge=load_judge("rules"), keep_retrieval_score=False)
    kept = post.postprocess_nodes(retrieved, query_str=QUESTION)
    retrieval = {n.node.node_id: n.score for n in retrieved}
    assert [n.score for n in kept] == [1.0] * len(KEPT)
    assert [n.node.metadata[RETRIEVAL_SCORE_KEY] for n in kept] == [retrieval[i] for i in KEPT]


def test_score_threshold_drops_what_a_lenient_judge_would_keep(retrieved):
    lenient = load_judge("rules", threshold=0.0)  # fast mode, keeps every score >= 0
    assert len(EntityAlignmentPostprocessor(judge=lenient).postprocess_nodes(retrieved, query_str=QUESTION)) == 6
    post = EntityAlignmentPostprocessor(judge=lenient, score_threshold=0.5)
    judged = post.judge_nodes(retrieved, QUESTION)
    assert [n.node.node_id for n, j in judged if j.kept] == KEPT
    # the rules backend's label agrees with its score (0.0: 不对齐), so the drop is for being unaligned;
    # "below_threshold" is for a chunk whose label says 对齐 but whose score misses the threshold.
    assert {n.node.node_id: j.why for n, j in judged if not j.kept} == dict.fromkeys(DROPPED, "unaligned")


def test_local_model_scores_drive_the_threshold_and_replace_retrieval_scores(tiny_model_dir, retrieved):
    # The transformers backend on the tiny random Qwen3: real P(对齐) values strictly between 0 and 1.
    judge = load_judge("transformers", model=str(tiny_model_dir))
    scores = [v.score for v in judge.judge_many(QUESTION, [n.node.get_content() for n in retrieved])]
    assert all(0.0 < s < 1.0 for s in scores)
    cut = sorted(scores)[len(scores) // 2]
    post = EntityAlignmentPostprocessor(judge=judge, score_threshold=cut, keep_retrieval_score=False)
    kept = post.postprocess_nodes(retrieved, query_str=QUESTION)
    expected = [(n.node.node_id, s) for n, s in zip(retrieved, scores, strict=True) if s >= cut]
    assert [(n.node.node_id, n.score) for n in kept] == [(i, pytest.approx(s, abs=1e-6)) for i, s in expected]
    assert 0 < len(kept) < len(retrieved)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_min_keep_keeps_the_first_retrieved_nodes_when_the_judge_drops_all(index, use_async):
    nodes = index.as_retriever(similarity_top_k=4).retrieve("md500参数F0-02怎么设？")
    question = "asda-a2报AL009"  # another product than every retrieved node
    assert await postprocess(EntityAlignmentPostprocessor(), nodes, question, use_async) == []
    kept = await postprocess(EntityAlignmentPostprocessor(min_keep=2), nodes, question, use_async)
    assert ids(kept) == ids(nodes)[:2]  # all scores are 0.0: retrieval order decides
    assert [n.node.metadata["ea_decision"] for n in kept] == ["min_keep", "min_keep"]
    assert [n.node.metadata["ea_label"] for n in kept] == ["不对齐", "不对齐"]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_failing_judge_keeps_every_node_and_records_why(integration_backends, retrieved, use_async):
    kept = await postprocess(EntityAlignmentPostprocessor(backend="broken"), retrieved, QUESTION, use_async)
    assert ids(kept) == RETRIEVED
    assert {n.node.metadata["ea_decision"] for n in kept} == {"kept_on_error"}
    assert {n.node.metadata["ea_error"] for n in kept} == {"BackendError: judge server unreachable"}
    assert {n.node.metadata["ea_label"] for n in kept} == {None}


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_unreachable_openai_judge_keeps_every_node_and_records_why(retrieved, use_async):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    post = EntityAlignmentPostprocessor(backend="openai", base_url=url, model="entity-alignment", max_retries=0)
    kept = await postprocess(post, retrieved, QUESTION, use_async)
    assert ids(kept) == RETRIEVED
    assert {n.node.metadata["ea_decision"] for n in kept} == {"kept_on_error"}
    assert all(n.node.metadata["ea_error"].startswith(f"server unreachable at {url}") for n in kept)


def test_failing_judge_under_the_drop_policy_still_honours_min_keep(integration_backends, retrieved):
    post = EntityAlignmentPostprocessor(backend="broken", on_error="drop", min_keep=1)
    (kept,) = post.postprocess_nodes(retrieved, query_str=QUESTION)
    assert kept.node.node_id == RETRIEVED[0]
    assert kept.node.metadata["ea_decision"] == "min_keep"
    assert kept.node.metadata["ea_error"] == "BackendError: judge server unreachable"


def test_nodes_without_text_are_kept_unjudged_and_not_sent_to_the_backend(integration_backends, retrieved):
    nodes = [*retrieved, NodeWithScore(node=TextNode(text="", id_="empty"), score=0.1)]
    post = EntityAlignmentPostprocessor(backend="counting-rules")
    kept = post.postprocess_nodes(nodes, query_str=QUESTION)
    assert ids(kept) == [*KEPT, "empty"]
    assert kept[-1].node.metadata["ea_decision"] == "not_judged"
    assert post.judge.backend.calls == [("score", len(RETRIEVED))]


def test_metadata_mode_decides_whether_the_judge_reads_the_nodes_metadata():
    # The product is only in the node's metadata: the chunk text alone names none (default keep).
    node = NodeWithScore(node=TextNode(text="E100故障表示加速过电流。", metadata={"product": "MD500"}), score=0.5)
    assert EntityAlignmentPostprocessor().postprocess_nodes([node], query_str="sv660n报e100") != []
    post = EntityAlignmentPostprocessor(metadata_mode=MetadataMode.EMBED)
    assert post.postprocess_nodes([node], query_str="sv660n报e100") == []


def test_a_missing_query_is_a_named_error(retrieved):
    post = EntityAlignmentPostprocessor()
    with pytest.raises(InvalidPairError):
        post.postprocess_nodes(retrieved)
    with pytest.raises(InvalidPairError):
        post.postprocess_nodes(retrieved, query_str="  ")


class _Recorder(BaseEventHandler):
    events: list = []

    def handle(self, event, **kwargs) -> None:
        self.events.append(event)


async def test_instrumentation_reports_rerank_events_spans_and_the_callback_reranking_event(retrieved):
    debug = LlamaDebugHandler()
    post = EntityAlignmentPostprocessor(judge=load_judge("rules"), callback_manager=CallbackManager([debug]))
    root = get_dispatcher()
    recorder, spans = _Recorder(events=[]), SimpleSpanHandler()
    root.add_event_handler(recorder)
    root.add_span_handler(spans)
    try:
        post.postprocess_nodes(retrieved, query_str=QUESTION)
        await post.apostprocess_nodes(retrieved, query_str=QUESTION)
    finally:
        root.event_handlers.remove(recorder)
        root.span_handlers.remove(spans)
    ours = [e for e in recorder.events if isinstance(e, ReRankStartEvent | ReRankEndEvent | EntityAlignmentEvent)]
    assert [type(e) for e in ours] == [ReRankStartEvent, EntityAlignmentEvent, ReRankEndEvent] * 2
    start, judged, end = ours[:3]
    assert (start.model_name, start.top_n, ids(start.nodes)) == ("ea_plugin:rules", 6, RETRIEVED)
    decisions = {d["node_id"]: d["ea_decision"] for d in judged.decisions}
    assert decisions == {i: "aligned" if i in KEPT else "unaligned" for i in RETRIEVED}
    assert ids(end.nodes) == KEPT
    span_names = [s.id_.split("-")[0] for s in spans.completed_spans]
    assert "EntityAlignmentPostprocessor._postprocess_nodes" in span_names
    assert "EntityAlignmentPostprocessor._apostprocess_nodes" in span_names
    pairs = debug.get_event_pairs(CBEventType.RERANKING)
    assert len(pairs) == 2
    assert all(ids(end.payload[EventPayload.NODES]) == KEPT for _, end in pairs)


def test_prompt_is_the_trained_one_and_cannot_be_replaced():
    post = EntityAlignmentPostprocessor()
    template = post.get_prompts()[PROMPT_KEY]
    messages = template.format_messages(question=QUESTION, chunk="md500变频器e100故障")
    assert [{"role": m.role.value, "content": m.content} for m in messages] == build_messages(
        QUESTION, "md500变频器e100故障"
    )
    with pytest.raises(FixedPromptError):
        post.update_prompts({PROMPT_KEY: template})


def test_postprocessor_built_from_a_backend_name_passes_judge_options_on():
    post = EntityAlignmentPostprocessor(backend="rules", mode="think", on_error="drop", min_keep=1)
    judge = post.judge
    assert (judge.backend.name, judge.mode, judge.policy.on_error, post.min_keep) == ("rules", "think", "drop", 1)
    with pytest.raises(ValueError):
        EntityAlignmentPostprocessor(judge=load_judge("rules"), backend="rules")
    with pytest.raises(ValueError):
        EntityAlignmentPostprocessor(min_keep=-1)


async def test_hashing_embedding_is_the_shared_function_in_sync_and_async():
    embedding = HashingEmbedding(dim=64)
    text = "SV660N报E100.0"
    assert embedding.get_text_embedding(text) == embed_text(text, 64)
    assert await embedding.aget_query_embedding(text) == embedding.get_query_embedding(text) == embed_text(text, 64)


def test_to_dict_and_from_dict_round_trip_the_judges_configuration():
    from ea_plugin.judge import JudgeConfigError

    original = EntityAlignmentPostprocessor(backend="rules", threshold=0.9, mode="think", min_keep=1)
    data = original.to_dict()
    assert data["judge"] == {"backend": "rules", "options": {"threshold": 0.9, "mode": "think"}}
    again = EntityAlignmentPostprocessor.from_json(original.to_json())
    assert again.judge.config() == original.judge.config() and again.judge.policy.threshold == 0.9
    assert again.min_keep == 1 and again.to_dict() == data
    given = load_judge("rules")
    assert EntityAlignmentPostprocessor.from_dict({"min_keep": 2}, judge=given).judge is given
    with pytest.raises(JudgeConfigError, match="no 'judge' configuration"):
        EntityAlignmentPostprocessor.from_dict({"min_keep": 2, "class_name": "EntityAlignmentPostprocessor"})
    from ea_plugin.backends.rules import RulesBackend
    from ea_plugin.judge import AlignmentJudge

    with pytest.raises(JudgeConfigError, match="outside load_judge"):
        EntityAlignmentPostprocessor(judge=AlignmentJudge(RulesBackend())).to_dict()
