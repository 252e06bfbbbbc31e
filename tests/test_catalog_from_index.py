"""A catalog learned from the host's own index in one call: LlamaIndex ``EntityAlignmentPostprocessor.from_index``
and LangChain ``EntityAlignmentFilter.from_documents``, with real LlamaIndex and LangChain objects."""

from __future__ import annotations

import pytest

from ea_plugin.rules.catalog import check_catalog
from tests.test_catalog_learn import CORPUS

QUESTION = "泽塔机械臂返回-4怎么办"
SIBLING = "库恩 QuonDrive QX40 返回值 -4：超时"  # another brand's series: a catalog learned from the corpus knows it


def _chunks():
    return [(f"p{i}", title, text) for i, (title, text) in enumerate(CORPUS)] + [("sibling", "QX50.pdf", SIBLING)]


def test_llamaindex_postprocessor_from_the_index_learns_the_catalog(tmp_path):
    pytest.importorskip("llama_index.core", reason="needs the [llamaindex] extra")
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import NodeWithScore, TextNode

    from integrations.llamaindex import EntityAlignmentPostprocessor
    from integrations.llamaindex_embedding import HashingEmbedding

    nodes = [TextNode(id_=i, text=text, metadata={"file_name": title}) for i, title, text in _chunks()]
    index = VectorStoreIndex(nodes=nodes, embed_model=HashingEmbedding())
    learned = tmp_path / "learned.yaml"
    post = EntityAlignmentPostprocessor.from_index(index, learned_catalog=str(learned), min_keep=0)
    retrieved = index.as_retriever(similarity_top_k=len(nodes)).retrieve(QUESTION)
    kept = {n.node.node_id for n in post.postprocess_nodes(retrieved, query_str=QUESTION)}
    assert "sibling" not in kept and {"p5", "p6"} <= kept
    assert "learned/quondriveqx50" in check_catalog(learned).series
    plain = EntityAlignmentPostprocessor(min_keep=0)  # the built-in catalog alone keeps the sibling page
    assert "sibling" in {n.node.node_id for n in plain.postprocess_nodes(retrieved, query_str=QUESTION)}
    with pytest.raises(ValueError, match="docstore holds no nodes"):
        EntityAlignmentPostprocessor.from_index(VectorStoreIndex(nodes=[], embed_model=HashingEmbedding()))
    assert isinstance(retrieved[0], NodeWithScore)


def test_langchain_filter_from_documents_learns_the_catalog():
    pytest.importorskip("langchain_core", reason="needs the [langchain] extra")
    pytest.importorskip("langchain_classic", reason="needs the [langchain] extra")
    from langchain_classic.retrievers import ContextualCompressionRetriever
    from langchain_core.documents import Document
    from langchain_core.vectorstores import InMemoryVectorStore

    from integrations.langchain import EntityAlignmentFilter
    from integrations.langchain_embedding import HashingEmbeddings

    documents = [Document(page_content=text, metadata={"source": f"/manuals/{title}"}, id=i)
                 for i, title, text in _chunks()]
    store = InMemoryVectorStore(HashingEmbeddings())
    store.add_documents(documents)
    compressor = EntityAlignmentFilter.from_documents(documents)
    retriever = ContextualCompressionRetriever(base_compressor=compressor,
                                               base_retriever=store.as_retriever(search_kwargs={"k": len(documents)}))
    kept = {d.id for d in retriever.invoke(QUESTION)}
    assert "sibling" not in kept and {"p5", "p6"} <= kept
    assert compressor.judge.backend.catalog.series["learned/za7"].brand == "learned/zetamotion"
