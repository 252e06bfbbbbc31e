"""LangChain adapter of the offline hashing embedding (``integrations.embedding``)."""

from __future__ import annotations

from ea_plugin.errors import missing_extra
from integrations.embedding import DEFAULT_DIM, embed_text

try:
    from langchain_core.embeddings import Embeddings
except ImportError as exc:
    raise missing_extra(exc, __name__, "langchain") from exc


class HashingEmbeddings(Embeddings):
    """Character n-gram hashing embedding: deterministic, no model, no network."""

    def __init__(self, dim: int = DEFAULT_DIM) -> None:
        if dim < 1:
            raise ValueError(f"dim must be positive, got {dim}")
        self.dim = dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [embed_text(text, self.dim) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return embed_text(text, self.dim)

    # Pure CPU and fast: answer directly instead of the base class's executor hop.
    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)
