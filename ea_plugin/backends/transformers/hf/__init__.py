"""Torch-side machinery of the transformers backend (imported only when that backend is built).

- batching: token-budget batches of length-sorted pairs (pure Python)
- layout: left-padded inputs, positions and tree attention masks for a batch
- attention: grouped-query attention over a custom mask without repeating K/V
- kvcache: the shared system-prompt KV cache and the caches the model writes into
- scoring: P(对齐) from the full label token sequences, both labels in one forward
- decoding: batched greedy decoding over a static KV arena, replayed as a CUDA graph on GPUs
"""
