"""The transformers backend: a local causal LM (Qwen3-8B + LoRA) in fast mode (label log-probs) and think mode.

``backend`` holds the backend and its options, ``hf/`` the forward passes (KV cache, packing, decoding),
``coalesce`` the queue that merges concurrent calls into shared forwards. torch, transformers and peft are
imported only when a backend is built.
"""

from ea_plugin.backends.transformers.backend import TransformersBackend, TransformersOptions, ea_register_backends

__all__ = ["TransformersBackend", "TransformersOptions", "ea_register_backends"]
