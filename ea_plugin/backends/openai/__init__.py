"""The openai backend: any OpenAI-compatible chat endpoint (vLLM, LLaMA-Factory's API server, a hosted model).

``backend`` holds the backend and its options, ``label_logprobs`` reads the label from a reply's log-probs,
``loop_thread`` runs the async client for sync callers.
"""

from ea_plugin.backends.openai.backend import OpenAIBackend, OpenAIOptions, RequestFailed, ea_register_backends

__all__ = ["OpenAIBackend", "OpenAIOptions", "RequestFailed", "ea_register_backends"]
