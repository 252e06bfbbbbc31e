"""LlamaIndex adapter of the offline hashing embedding (``integrations.embedding``)."""

from __future__ import annotations

from ea_plugin.errors import missing_extra
from integrations.embedding import DEFAULT_DIM, embed_text

try:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.bridge.pydantic import Field
except ImportError as exc:
    raise missing_extra(exc, __name__, "llamaindex") from exc


class HashingEmbedding(BaseEmbedding):
    """Character n-gram hashing embedding: deterministic, no model, no network."""

    model_name: str = "ea-hashing-char-ngrams"
    dim: int = Field(default=DEFAULT_DIM, ge=1, description="Vector length.")

    @classmethod
    def class_name(cls) -> str:
        return "HashingEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return embed_text(query, self.dim)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return embed_text(query, self.dim)  # pure CPU and fast: no thread needed

    def _get_text_embedding(self, text: str) -> list[float]:
        return embed_text(text, self.dim)
