"""Regional ``torch.compile`` of the decoder layers for fast mode's forwards.

Why: at batch 64 the forward spends about a third of its time outside the matrix products, in
transformers' unfused RMSNorm, rotary, SiLU-gate and residual kernels. Inductor fuses them. Only the
layers are compiled (the 36 layers of Qwen3-8B run the same code, so one set of graphs serves them all),
with dynamic shapes (batch and length vary from call to call); the attention call stays eager
(``torch.compiler.disable``, see attention), which also keeps the per-layer index that picks the shared
prefix's K/V out of the graphs: a layer index in a graph would mean one compile per layer. The
attention's elementwise tail (merging the prefix and own-key parts, back to the layer's layout) is
compiled on its own and called from the eager attention. Think mode stays eager: its decoding steps
are CUDA graphs already, and compiling its prefill gained little (benchmarks/RESULTS.md).

The compiled wrappers replace the model's layers only inside :meth:`CompiledLayers.active` (under the
backend's lock), so the same model object stays plain for everything else. Same computation, another
kernel order: scores agree with the eager path to the dtype's rounding (tests on CPU, float32).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from ea_plugin.backends.transformers.hf import attention


def decoder_layer_list(model: Any) -> torch.nn.ModuleList:
    """The ModuleList holding the model's decoder layers (``Qwen3DecoderLayer`` and kin)."""
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) and all(
            type(m).__name__.endswith("DecoderLayer") for m in module
        ):
            return module
    raise ValueError("no list of decoder layers found in the model; use compile_layers=False")


class CompiledLayers:
    """Compiled twins of a model's decoder layers, swapped in for the duration of :meth:`active`."""

    def __init__(self, model: Any, backend: str = "inductor") -> None:
        self.container = decoder_layer_list(model)
        self.eager = list(self.container)
        self.compiled = [torch.compile(layer, dynamic=True, backend=backend) for layer in self.eager]
        self.merge = torch.compile(attention.merge_to_layer_layout, dynamic=True, backend=backend)

    @contextmanager
    def active(self) -> Iterator[None]:
        for index, layer in enumerate(self.compiled):
            self.container[index] = layer  # type: ignore[assignment]  # a compiled layer stands in for the module
        try:
            with attention.merging_with(self.merge):
                yield
        finally:
            for index, layer in enumerate(self.eager):
                self.container[index] = layer
