"""Think mode: batched greedy decoding over a static KV arena, as a CUDA graph on GPUs.

Greedy decoding as ``model.generate(do_sample=False)`` does it: argmax of the float32 logits, stop
tokens suppressed until ``min_new_tokens`` tokens exist, a row finishes at its first stop token.
Each step is one forward of one token per row. Its tensors (next token, positions, the column written,
the mask, the output buffer) live at fixed addresses and the step advances them on the device, so on
CUDA the step is captured once per batch shape and replayed: no Python or kernel-launch overhead per
token. Elsewhere the same step runs eagerly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ea_plugin.backends.transformers.hf.forward import run
from ea_plugin.backends.transformers.hf.kvcache import ArenaCache, KVArena, PrefixKV
from ea_plugin.backends.transformers.hf.layout import build_layout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecodeSettings:
    max_new_tokens: int
    stop_ids: tuple[int, ...]
    min_new_tokens: int = 0
    cuda_graphs: bool = False
    width_multiple: int = 64  # with graphs: suffix widths rounded up to this, so few shapes are captured
    check_every: int = 16  # steps between checks whether every row has stopped (a device sync)


@dataclass
class Generated:
    ids: list[int]  # new tokens before the first stop token
    finished: bool  # a stop token was produced within max_new_tokens


@dataclass
class _StepState:
    """Everything one decode step reads and advances, at fixed addresses."""

    cache: ArenaCache
    token: torch.Tensor  # (B, 1) last token
    position: torch.Tensor  # (B, 1) its rotary position
    column: torch.Tensor  # (1,) arena column it is written to
    step: torch.Tensor  # (1,) index of the token being produced
    mask: torch.Tensor  # (B, 1, 1, L)
    tokens: torch.Tensor  # (B, max_new_tokens) output
    graph: Any = None


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


class GreedyDecoder:
    def __init__(self, causal_lm: Any, prefix: PrefixKV | None, settings: DecodeSettings, pad_id: int) -> None:
        self.model = causal_lm
        self.prefix = prefix
        self.settings = settings
        self.pad_id = pad_id
        config = causal_lm.config
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        param = next(causal_lm.parameters())
        self.device = param.device
        self.arena = KVArena(config.num_hidden_layers, config.num_key_value_heads, head_dim, param.dtype, param.device)
        self.stop = torch.tensor(settings.stop_ids, device=self.device)
        self._states: dict[tuple[int, int], _StepState] = {}
        self._arena_generation = -1
        self.graph_failures = 0

    # -- public -----------------------------------------------------------------------------------
    @torch.inference_mode()
    def generate(self, suffixes: Sequence[Sequence[int]]) -> list[Generated]:
        settings, prefix_len = self.settings, self.prefix.length if self.prefix is not None else 0
        rows, longest = len(suffixes), max(len(s) for s in suffixes)
        width = _round_up(longest, settings.width_multiple) if settings.cuda_graphs else longest
        length = _round_up(width + settings.max_new_tokens, 8)  # own keys only: the prefix is shared
        keys, values = self.arena.view(rows, length)
        if self.arena.generation != self._arena_generation:  # new storage: captured graphs point at the old one
            self._states.clear()
            self._arena_generation = self.arena.generation

        # Prefill: the suffixes end at column width, where the first new token goes.
        write_start = width - longest
        prefill = ArenaCache(keys, values, write_start)
        layout = build_layout(
            suffixes, pad_id=self.pad_id, position_offset=prefix_len, write_start=write_start, device=self.device
        )
        logits = run(self.model, layout.input_ids, layout.position_ids, layout.mask, prefill, 1, self.prefix)[:, -1]
        state = self._state(rows, width, keys, values, length)
        first = self._pick(logits, torch.zeros(1, dtype=torch.long, device=self.device))
        self._reset(state, layout, first, prefix_len, width, write_start)
        self._decode(state)
        return self._collect(state.tokens)

    # -- steps ------------------------------------------------------------------------------------
    def _pick(self, logits: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        scores = logits.float()
        if self.settings.min_new_tokens > 0:
            early = step < self.settings.min_new_tokens
            scores = torch.where(early, scores.index_fill(1, self.stop, float("-inf")), scores)
        return scores.argmax(dim=-1)

    def _step(self, state: _StepState) -> None:
        state.mask.index_fill_(3, state.column, True)
        logits = run(self.model, state.token, state.position, state.mask, state.cache, 1, self.prefix)[:, -1]
        chosen = self._pick(logits, state.step)
        state.tokens.index_copy_(1, state.step, chosen[:, None])
        state.token.copy_(chosen[:, None])
        state.position.add_(1)
        state.column.add_(1)
        state.step.add_(1)

    def _state(self, rows: int, width: int, keys: torch.Tensor, values: torch.Tensor, length: int) -> _StepState:
        key = (rows, width)
        if key not in self._states:
            cache = ArenaCache(keys, values, 0)
            cache.column = torch.zeros(1, dtype=torch.long, device=self.device)
            self._states[key] = _StepState(
                cache=cache,
                token=torch.zeros((rows, 1), dtype=torch.long, device=self.device),
                position=torch.zeros((rows, 1), dtype=torch.long, device=self.device),
                column=cache.column,
                step=torch.zeros(1, dtype=torch.long, device=self.device),
                mask=torch.zeros((rows, 1, 1, length), dtype=torch.bool, device=self.device),
                tokens=torch.zeros((rows, self.settings.max_new_tokens), dtype=torch.long, device=self.device),
            )
        return self._states[key]

    def _reset(self, state: _StepState, layout: Any, first: torch.Tensor, prefix_len: int, width: int,
               write_start: int) -> None:
        """Load a new batch into the fixed tensors: the first token is already chosen by the prefill."""
        state.token.copy_(first[:, None])
        state.position.copy_(prefix_len + layout.lengths[:, None])
        state.column.fill_(width)
        state.step.fill_(1)
        state.tokens.fill_(self.pad_id)
        state.tokens[:, 0] = first
        # Each row's real suffix tokens; generated columns open step by step (the prefix is always seen).
        state.mask.zero_()
        state.mask[:, 0, 0, write_start : write_start + layout.width] = layout.mask[:, 0, -1, write_start:]

    def _decode(self, state: _StepState) -> None:
        steps_left = self.settings.max_new_tokens - 1  # the prefill chose the first token
        advance: Callable[[], None] = lambda: self._step(state)  # noqa: E731
        if self.settings.cuda_graphs and steps_left > 0:
            if state.graph is None:
                self._warm_up(state)  # a real step: it also creates kernels' workspaces before capture
                steps_left -= 1
                state.graph = self._capture(state)
            if state.graph is not None:
                advance = state.graph.replay
        produced = self.settings.max_new_tokens - steps_left
        while steps_left > 0:
            advance()
            steps_left -= 1
            produced += 1
            if produced % self.settings.check_every == 0 and self._all_stopped(state.tokens[:, :produced]):
                break

    def _warm_up(self, state: _StepState) -> None:
        side = torch.cuda.Stream(device=self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            self._step(state)
        torch.cuda.current_stream(self.device).wait_stream(side)

    def _capture(self, state: _StepState) -> Any:
        """The step as a CUDA graph, or None (then this decoder decodes eagerly from now on)."""
        try:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self._step(state)  # recorded, not run
            return graph
        except Exception as exc:  # graphs are an optimisation: say so and carry on eagerly
            self.graph_failures += 1
            self.settings = DecodeSettings(**{**self.settings.__dict__, "cuda_graphs": False})
            log.warning("CUDA graph capture failed (%s: %s); decoding eagerly", type(exc).__name__, exc)
            return None

    def _all_stopped(self, tokens: torch.Tensor) -> bool:
        return bool(torch.isin(tokens, self.stop).any(dim=1).all().item())

    def _collect(self, tokens: torch.Tensor) -> list[Generated]:
        stop = set(self.settings.stop_ids)
        out = []
        for row in tokens.tolist():
            end = next((i for i, t in enumerate(row) if t in stop), None)
            out.append(Generated(ids=row if end is None else row[:end], finished=end is not None))
        return out
