"""The transformers backend: the judge on a local Hugging Face causal LM, optionally with a LoRA adapter.

    load_judge("transformers", model="Qwen/Qwen3-8B", adapter="saves/qwen3-8b-ea")
    load_judge("transformers", model="saves/qwen3-8b-ea-merged", mode="think")

Fast mode (``score``) reads P(对齐) from the log-probabilities of the two full label token sequences,
normalised over the two labels, in one forward per batch. Think mode (``generate``) decodes greedily
until <|im_end|> and parses the answer with ``parse_answer``.

Speed: every prompt starts with the same system prompt, so its KV cache is computed once at
load time and each pair only runs its own tokens (user turn + generation prompt); pairs are sorted by
length and packed under a token budget; both labels are scored as branches of the same forward; and
on CUDA each decoding step is a replayed CUDA graph over a static KV arena. The same code runs on CPU
(eager steps). torch, transformers and peft are imported only when a backend is built.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ea_plugin.backends.transformers.coalesce import CoalescerClosed
from ea_plugin.errors import BackendError, OptionError
from ea_plugin.judgement import Judgement, Pair, parse_answer
from ea_plugin.options import build_options, check_int, check_number, check_type, option, options_signature
from ea_plugin.plugins import hookimpl
from ea_plugin.prompts import IM_END, IM_START, LABELS, Mode, render_prompt

NAME = "transformers"
log = logging.getLogger(__name__)
# Any two different pairs: their rendered prompts share exactly the system turn and the user header.
_PROBE_PAIRS = (Pair("q", "c"), Pair("问题", "文本块"))


@dataclass(frozen=True)
class TransformersOptions:
    """The transformers backend's options (each field's help says what it does), checked before the model
    loads: a bad value raises OptionError naming it."""

    model: str | Path | Any = option("hub id or directory of the (base or merged) model, or a loaded causal LM")
    adapter: str | Path | None = option("LoRA adapter directory (peft), merged into the weights unless "
                                        "merge_adapter=False", None)
    device: str | None = option("a torch device (default: cuda if available, else cpu)", None)
    dtype: Any = option("a torch dtype or its name (default: bfloat16 on GPU, float32 on CPU)", None)
    max_new_tokens: int = option("think mode's budget; an answer that has not stopped by then is truncated and "
                                 "gets the parser's error", 512)
    forward_batch_size: int | None = option("most pairs per forward (default: per mode, from the measured best "
                                            "and the free memory; backend.batching(mode) says what)", None)
    max_batch_tokens: int | None = option("most padded tokens per forward (fast: prompt tokens after the shared "
                                          "prefix; think: those plus max_new_tokens); default as above", None)
    max_prompt_tokens: int | None = option("a pair whose rendered prompt is longer fails alone (default: the "
                                           "model's context less what the mode adds)", None)
    tokenizer: str | Path | Any = option("tokenizer directory or object (default: the model's; required with a "
                                         "loaded model)", None)
    merge_adapter: bool = option("merge the adapter into the weights (faster; False keeps it separate)", True)
    prefix_cache: bool = option("compute the shared system prompt's KV cache once and reuse it", True)
    cuda_graphs: bool | None = option("replay think mode's decoding steps as CUDA graphs (default: on CUDA)",
                                      None)
    min_new_tokens: int = option("suppress stop tokens before this many new tokens (benchmarks that need a "
                                 "fixed number of decoding steps)", 0)
    compile_layers: bool | str | None = option("run fast mode through torch.compile-d decoder layers: True "
                                               "(Inductor), a backend's name, or default: on CUDA; a failure "
                                               "falls back to eager with a warning", None)
    packed: bool | None = option("fast mode lays rows end to end with no padding (default: on CUDA when "
                                 "FlexAttention checks out; True elsewhere attends through a dense mask)", None)
    coalesce: bool = option("merge concurrent calls (threads or asyncio tasks) into shared forwards", True)
    coalesce_wait: float = option("seconds an idle backend waits for more calls to merge", 0.002)

    def __post_init__(self) -> None:
        if self.model is None or isinstance(self.model, (str, os.PathLike)) and not str(self.model).strip():
            raise OptionError(f"model must be a hub id, a directory or a loaded model, got {self.model!r}",
                              option="model")
        if self.tokenizer is None and not isinstance(self.model, (str, os.PathLike)):
            raise OptionError("tokenizer must be given (a directory or a tokenizer object) with an already loaded "
                              "model", option="tokenizer")
        check_type("adapter", self.adapter, (str, os.PathLike, type(None)), "a directory or None")
        _check_device(self.device)
        _check_dtype(self.dtype)
        check_int("max_new_tokens", self.max_new_tokens)
        for name in ("forward_batch_size", "max_batch_tokens", "max_prompt_tokens"):
            check_int(name, getattr(self, name), none_ok=True)
        check_int("min_new_tokens", self.min_new_tokens, minimum=0, maximum=self.max_new_tokens)
        for name in ("merge_adapter", "prefix_cache", "coalesce"):
            check_type(name, getattr(self, name), bool, "True or False")
        check_type("cuda_graphs", self.cuda_graphs, (bool, type(None)), "True, False or None (on CUDA)")
        check_type("compile_layers", self.compile_layers, (bool, str, type(None)),
                   "True, False, a torch.compile backend's name or None (on CUDA)")
        check_type("packed", self.packed, (bool, type(None)), "True, False or None (on CUDA with FlexAttention)")
        check_number("coalesce_wait", self.coalesce_wait, 0.0)


def _check_device(device: Any) -> None:
    """A torch device this machine has: 'cuda' without CUDA fails here, before the model loads."""
    import torch

    if device is None:
        return
    try:
        target = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise OptionError(f"device must be a torch device such as 'cpu', 'cuda' or 'cuda:1', got {device!r}",
                          option="device") from exc
    if target.type == "cuda" and not torch.cuda.is_available():
        raise OptionError(f"device {device!r}: CUDA is not available on this machine", option="device")
    if target.type == "cuda" and target.index is not None and target.index >= torch.cuda.device_count():
        raise OptionError(f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA device(s)",
                          option="device")


def _check_dtype(dtype: Any) -> None:
    if dtype is not None and _torch_dtype(dtype) is None:
        raise OptionError(f"dtype must be a torch dtype or its name such as 'bfloat16' or 'float32', got {dtype!r}",
                          option="dtype")


def _torch_dtype(dtype: Any) -> Any:
    """The torch dtype ``dtype`` is or names ('torch.' optional), else None."""
    import torch

    if isinstance(dtype, str):
        dtype = getattr(torch, dtype.removeprefix("torch."), None)
    return dtype if isinstance(dtype, torch.dtype) else None


class TransformersBackend:
    """Judge with a local causal LM (bf16 on GPU, float32 on CPU).

    Takes TransformersOptions' options as keywords, or ``options=`` a TransformersOptions. Fast mode reads
    P(对齐) from one forward over the label tokens; think mode decodes greedily. The pairs of one call are
    sorted by length and packed under the batching limits.
    """

    name = NAME
    options_type = TransformersOptions  # its options, each with default and help (docs and --help read them)
    __signature__ = options_signature(TransformersOptions)

    def __init__(self, *args: Any, options: TransformersOptions | None = None, **changes: Any) -> None:
        # Checked before anything loads.
        self.options = build_options(TransformersOptions, options, args, changes, "the transformers backend")
        o = self.options
        model, packed = o.model, o.packed
        for name in ("model", "tokenizer", "adapter"):
            _check_local_path(name, getattr(o, name))
        import torch

        from ea_plugin.backends.transformers.hf import attention
        from ea_plugin.backends.transformers.hf import packed as packing
        from ea_plugin.backends.transformers.hf.decoding import DecodeSettings, GreedyDecoder
        from ea_plugin.backends.transformers.hf.forward import compute_prefix
        from ea_plugin.backends.transformers.hf.scoring import LabelSequences

        self.causal_lm = _load_model(model, o.adapter, o.device, o.dtype, o.merge_adapter)
        param = next(self.causal_lm.parameters())
        self.device, self.dtype = param.device, param.dtype
        attention.register()
        packing.register()
        # Fast mode's rows packed end to end; FlexAttention is compiled and checked only where it may be used.
        flex = packed is not False and packing.flex_ok(self.device, self.causal_lm.config, self.dtype)
        self.packed = flex if packed is None else packed
        self._flex = self.packed and flex
        self.tokenizer = _load_tokenizer(o.tokenizer, model)
        self.forward_batch_size, self.max_batch_tokens = o.forward_batch_size, o.max_batch_tokens
        self.max_new_tokens = o.max_new_tokens
        self._batching = _resolve_batching(self.causal_lm, self.device, self.dtype, o.forward_batch_size,
                                           o.max_batch_tokens, self.packed)
        self.labels = LabelSequences.from_tokenizer(self.tokenizer, LABELS)
        self.pad_id = _pad_id(self.tokenizer, self.causal_lm)
        self._max_prompt_tokens = o.max_prompt_tokens
        self._context = getattr(self.causal_lm.config, "max_position_embeddings", None)
        self._lock = threading.Lock()

        with torch.inference_mode():
            self.prefix = compute_prefix(self.causal_lm, self._prefix_ids(), self.device) if o.prefix_cache else None
        self._prefix_text = self._find_prefix_text()
        settings = DecodeSettings(
            max_new_tokens=o.max_new_tokens,
            stop_ids=_stop_ids(self.tokenizer, self.causal_lm),
            min_new_tokens=o.min_new_tokens,
            cuda_graphs=self.device.type == "cuda" if o.cuda_graphs is None else o.cuda_graphs,
        )
        self.compiled = _compiled_layers(self.causal_lm, self.device, o.compile_layers)
        self.compile_error: str | None = None  # why the compiled layers were given up, if they were
        self.packed_error: str | None = None  # why the packed rows were given up, if they were
        self.decoder = GreedyDecoder(self.causal_lm, self.prefix, settings, self.pad_id)
        self.coalescer = _coalescer(self, o.coalesce_wait) if o.coalesce else None

    # -- Backend protocol -------------------------------------------------------------------------
    def score(self, pairs: list[Pair]) -> list[Judgement]:
        """Fast mode: label = the likelier label sequence, score = P(对齐) over the two labels."""
        return self._call("score", pairs)

    def generate(self, pairs: list[Pair]) -> list[Judgement]:
        """Think mode: greedy reasoning and label, parsed from the decoded text (think tags kept)."""
        return self._call("generate", pairs)

    async def ascore(self, pairs: list[Pair]) -> list[Judgement]:
        return await self._acall("score", pairs)

    async def agenerate(self, pairs: list[Pair]) -> list[Judgement]:
        return await self._acall("generate", pairs)

    def close(self) -> None:
        """Stop the coalescer's worker thread once the calls queued so far are done. The backend keeps
        working: calls made during or after close run one at a time, as with ``coalesce=False``."""
        coalescer, self.coalescer = self.coalescer, None
        if coalescer is not None:
            coalescer.close()

    # -- the work ---------------------------------------------------------------------------------
    def _call(self, method: str, pairs: list[Pair]) -> list[Judgement]:
        coalescer = self.coalescer
        if coalescer is not None:
            try:
                return coalescer.call(method, pairs)
            except CoalescerClosed:  # closed since it was read: run alone, as after close
                pass
        return self._run(method, pairs)

    async def _acall(self, method: str, pairs: list[Pair]) -> list[Judgement]:
        coalescer = self.coalescer
        if coalescer is not None:
            try:
                return await coalescer.acall(method, pairs)
            except CoalescerClosed:
                pass
        return await asyncio.to_thread(self._run, method, pairs)

    def _fast_logprobs(self, suffixes: list[list[int]]) -> Any:
        """Label log-probs of one batch. If a forward fails, the optimisations give way one at a time (first the
        compiled layers, then the packed rows), each with a warning and its reason kept; same results."""
        while True:
            try:
                return self._fast_forward(suffixes)
            except Exception as exc:
                if not self._give_up_an_optimisation(exc):
                    raise

    def _fast_forward(self, suffixes: list[list[int]]) -> Any:
        from ea_plugin.backends.transformers.hf.scoring import score_batch, score_packed

        def forward() -> Any:
            if self.packed:
                return score_packed(self.causal_lm, suffixes, self.labels, prefix=self.prefix, device=self.device,
                                    flex=self._flex)
            return score_batch(self.causal_lm, suffixes, self.labels, prefix=self.prefix, pad_id=self.pad_id,
                               device=self.device)

        if self.compiled is None:
            return forward()
        with self.compiled.active():
            return forward()

    def _give_up_an_optimisation(self, exc: Exception) -> bool:
        """Drop the next optimisation after a failed forward (False: none is left, the error is the model's)."""
        why = f"{type(exc).__name__}: {exc}"
        if self.compiled is not None:
            log.warning("compiled decoder layers failed (%s); running them eagerly", why)
            self.compiled, self.compile_error = None, why
        elif self._flex:
            log.warning("packed rows through FlexAttention failed (%s); padding the rows", why)
            self.packed = self._flex = False
            self.packed_error = why
        else:
            return False
        return True

    def _run(self, method: str, pairs: list[Pair]) -> list[Judgement]:
        return self._score_now(pairs) if method == "score" else self._generate_now(pairs)

    def _score_now(self, pairs: list[Pair]) -> list[Judgement]:
        def run_batch(suffixes: list[list[int]]) -> list[Judgement]:
            return [self._fast_judgement(row) for row in self._fast_logprobs(suffixes).tolist()]

        return self._batched(pairs, "fast", extra_tokens=sum(len(b) for b in self.labels.branches), run=run_batch,
                             packed=self.packed)

    def _generate_now(self, pairs: list[Pair]) -> list[Judgement]:
        def run_batch(suffixes: list[list[int]]) -> list[Judgement]:
            return [self._think_judgement(g.ids, g.finished) for g in self.decoder.generate(suffixes)]

        return self._batched(pairs, "think", extra_tokens=self.max_new_tokens, run=run_batch)

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def cuda_graphs(self) -> bool:
        """Whether think-mode steps are replayed as CUDA graphs (False after a failed capture)."""
        return self.decoder.settings.cuda_graphs

    @property
    def preferred_batch_size(self) -> int:
        """Pairs per call that keep the device busy: two forwards' worth (``load_judge`` gives it to the judge)."""
        return 2 * max(self.batching(mode).pairs for mode in ("fast", "think"))

    def batching(self, mode: Mode) -> Any:
        """Most pairs and padded tokens a forward in ``mode`` (a ``hf.sizing.Batching``)."""
        return self._batching[mode]

    def prompt_limit(self, mode: Mode) -> int | None:
        """Longest rendered prompt (tokens) this backend judges in ``mode``."""
        if self._max_prompt_tokens is not None:
            return self._max_prompt_tokens
        if self._context is None:
            return None
        return self._context - (self.max_new_tokens if mode == "think" else self.labels.longest)

    def encode(self, pairs: Sequence[Pair], mode: Mode) -> list[list[int]]:
        """Token ids of each pair's rendered prompt after the cached prefix (the whole prompt without one)."""
        rows = self._encode_each(pairs, mode)
        failed = [(i, row) for i, row in enumerate(rows) if isinstance(row, str)]
        if failed:
            raise BackendError(f"pair {failed[0][0]} cannot be encoded: {failed[0][1]}")
        return rows  # type: ignore[return-value]

    def _encode_each(self, pairs: Sequence[Pair], mode: Mode) -> list[list[int] | str]:
        """Like :meth:`encode`, but a pair that cannot be encoded gets the reason instead of failing the rest."""
        texts = [render_prompt(p.question, p.chunk, mode) for p in pairs]
        if self._prefix_text is not None:  # tokenize only what follows the system prompt (~4x less text)
            if not all(text.startswith(self._prefix_text) for text in texts):
                raise BackendError("a prompt does not start with the cached system prompt")
            return self._tokenize_each([text[len(self._prefix_text):] for text in texts])
        rows = self._tokenize_each(texts)
        if self.prefix is None:
            return rows
        cut = self.prefix.length
        for row in rows:
            if not isinstance(row, str) and row[:cut] != self.prefix.ids:
                raise BackendError("a prompt does not start with the cached system-prompt tokens; "
                                   "load the backend with prefix_cache=False for this tokenizer")
        return [row if isinstance(row, str) else row[cut:] for row in rows]

    def _tokenize_each(self, texts: list[str]) -> list[list[int] | str]:
        rows: list[list[int] | str] = [_unencodable(text) or [] for text in texts]
        good = [i for i, row in enumerate(rows) if not isinstance(row, str)]
        for index, ids in zip(good, _tokenize(self.tokenizer, [texts[i] for i in good]), strict=True):
            rows[index] = ids
        return rows

    def _find_prefix_text(self) -> str | None:
        """The rendered text behind the cached prefix, if tokenizing the rest alone gives the same tokens
        as tokenizing whole prompts (true when the prefix ends in a control token); else None."""
        if self.prefix is None:
            return None
        texts = [render_prompt(p.question, p.chunk, mode) for p in _PROBE_PAIRS for mode in ("fast", "think")]
        common = os.path.commonprefix(texts)
        end = common.rfind(IM_START)
        if end < 0:
            return None
        head = common[: end + len(IM_START)]
        whole = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        tails = self.tokenizer([t[len(head):] for t in texts], add_special_tokens=False)["input_ids"]
        same = all(list(w) == self.prefix.ids + list(t) for w, t in zip(whole, tails, strict=True))
        return head if same else None

    def _batched(self, pairs: list[Pair], mode: Mode, extra_tokens: int, run: Any,
                 packed: bool = False) -> list[Judgement]:
        import torch

        from ea_plugin.backends.transformers.hf.batching import plan_batches

        judgements: list[Judgement | None] = [None] * len(pairs)
        with self._lock, torch.inference_mode():
            suffixes = self._encode_each(pairs, mode)
            prefix_len = self.prefix.length if self.prefix is not None else 0
            limit = self.prompt_limit(mode)
            fits = []
            for index, suffix in enumerate(suffixes):
                if isinstance(suffix, str):  # this pair alone fails; its neighbours are judged
                    judgements[index] = Judgement.failed(f"cannot encode the pair: {suffix}", mode=mode,
                                                     backend=self.name)
                    continue
                total = prefix_len + len(suffix)
                if limit is not None and total > limit:
                    judgements[index] = Judgement.failed(
                        f"prompt too long: {total} tokens, the limit is {limit} (max_prompt_tokens); "
                        "shorten the chunk", mode=mode, backend=self.name, extra={"prompt_tokens": total},
                    )
                else:
                    fits.append(index)
            lengths = [len(suffixes[i]) for i in fits]
            sizes = self.batching(mode)
            for batch in plan_batches(lengths, sizes.pairs, sizes.tokens, extra=extra_tokens, packed=packed):
                rows = [fits[j] for j in batch]
                for index, judgement in zip(rows, run([suffixes[i] for i in rows]), strict=True):
                    judgements[index] = judgement
        missing = [i for i, v in enumerate(judgements) if v is None]
        if missing:
            raise BackendError(f"no judgement for pairs {missing[:10]}")
        return judgements  # type: ignore[return-value]

    def _fast_judgement(self, logprobs: list[float]) -> Judgement:
        top = max(logprobs)
        weights = [math.exp(lp - top) for lp in logprobs]
        probs = [w / sum(weights) for w in weights]
        best = max(range(len(probs)), key=probs.__getitem__)
        return Judgement(
            self.labels.labels[best],
            score=probs[self.labels.labels.index(LABELS[0])],
            mode="fast",
            backend=self.name,
            extra={"logprobs": dict(zip(self.labels.labels, logprobs, strict=True))},
        )

    def _think_judgement(self, ids: list[int], finished: bool) -> Judgement:
        text = self.tokenizer.decode(ids, skip_special_tokens=False)
        parsed = parse_answer(text)
        extra = {"new_tokens": len(ids), "finished": finished}
        if parsed.label is None:
            return Judgement.failed(
                parsed.error or "no label", reasoning=parsed.reasoning, raw=text, mode="think", backend=self.name,
                extra=extra,
            )
        return Judgement(
            parsed.label, reasoning=parsed.reasoning, raw=text, mode="think", backend=self.name, extra=extra
        )

    def _prefix_ids(self) -> list[int]:
        """The tokens every prompt starts with, cut after a control token so no BPE merge crosses the cut."""
        rows = self.tokenizer([render_prompt(p.question, p.chunk, "think") for p in _PROBE_PAIRS],
                              add_special_tokens=False)["input_ids"]
        common = 0
        while common < min(map(len, rows)) and rows[0][common] == rows[1][common]:
            common += 1
        im_start = self.tokenizer.convert_tokens_to_ids(IM_START)
        cuts = [i + 1 for i in range(common) if rows[0][i] == im_start]
        if not cuts:
            raise BackendError(f"the tokenizer does not keep {IM_START} as one token; use prefix_cache=False")
        return list(rows[0][: cuts[-1]])


def _resolve_batching(causal_lm: Any, device: Any, dtype: Any, pairs: int | None, tokens: int | None,
                      packed: bool) -> dict:
    """Each mode's Batching: the explicit values where given, the memory-aware defaults elsewhere."""
    from ea_plugin.backends.transformers.hf.sizing import Batching, default_batching, free_memory

    free = free_memory(device)
    resolved = {}
    for mode in ("fast", "think"):
        auto = default_batching(mode, causal_lm.config, dtype.itemsize, free, packed=packed)
        resolved[mode] = Batching(pairs or auto.pairs, tokens or auto.tokens)
    return resolved


def _compiled_layers(causal_lm: Any, device: Any, option: bool | str | None) -> Any:
    from ea_plugin.backends.transformers.hf.compiled import CompiledLayers

    if option is None:
        option = device.type == "cuda"
    if option is False:
        return None
    return CompiledLayers(causal_lm, backend="inductor" if option is True else option)


def _coalescer(backend: TransformersBackend, wait: float) -> Any:
    """A coalescer that runs the backend's batches, holding it weakly: a dropped backend frees its model."""
    from ea_plugin.backends.transformers.coalesce import Coalescer

    ref = weakref.ref(backend)

    def run(method: str, pairs: list[Pair]) -> list[Judgement]:
        owner = ref()
        if owner is None:
            raise BackendError("the backend was closed")
        return owner._run(method, pairs)

    # A merged call of about one forward's pairs: callers get their judgements as each forward ends.
    most = max(backend.batching(mode).pairs for mode in ("fast", "think"))
    coalescer = Coalescer(run, max_wait=wait, max_items=most, name="ea-transformers")
    weakref.finalize(backend, coalescer.close, False)
    return coalescer


def _unencodable(text: str) -> str | None:
    """Why ``text`` cannot reach the tokenizer (a lone surrogate has no UTF-8 form), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = f"U+{ord(text[exc.start]):04X}"
        return f"the text holds a lone surrogate ({char} at character {exc.start}), which has no UTF-8 form"
    return None


def _tokenize(tokenizer: Any, texts: list[str]) -> list[list[int] | str]:
    """Ids of each text; if the batch call fails, each text alone, so only the bad ones get a reason."""
    if not texts:
        return []
    try:
        return [list(row) for row in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    except Exception:  # noqa: BLE001 - find which text it was; the others must still be judged
        rows: list[list[int] | str] = []
        for text in texts:
            try:
                rows.append(list(tokenizer(text, add_special_tokens=False)["input_ids"]))
            except Exception as exc:  # noqa: BLE001 - reported as this pair's judgement error
                rows.append(f"the tokenizer failed: {type(exc).__name__}: {exc}")
        return rows


def _check_local_path(name: str, value: Any) -> None:
    """OptionError for a path that is not there; a hub id (NAME or ORG/NAME) is left to the hub's loader, which
    would read a missing path as a malformed hub id ("Repo id must be in the form 'repo_name'...")."""
    if not isinstance(value, (str, os.PathLike)):
        return
    text = os.fspath(value)
    path_like = isinstance(value, os.PathLike) or text.startswith(("/", ".", "~")) or text.count("/") > 1 \
        or os.sep in text.replace("/", "")
    if path_like and not Path(text).expanduser().exists():
        raise OptionError(f"{name} {text}: no such directory (a hub id is NAME or ORG/NAME)", option=name)


def _load_model(model: Any, adapter: Any, device: str | None, dtype: Any, merge: bool) -> Any:
    import torch

    if isinstance(model, (str, Path)):
        from transformers import AutoModelForCausalLM

        target = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype = _resolve_dtype(dtype, target)
        loaded: Any = AutoModelForCausalLM.from_pretrained(str(model), dtype=dtype, attn_implementation="sdpa")
        lm = loaded.to(target)
    else:
        lm = model if device is None else model.to(device)
    if adapter is not None:
        from peft import PeftModel

        peft_model = PeftModel.from_pretrained(lm, str(adapter))
        # Merged: plain linear layers, as fast as the base model. Unmerged: the LoRA layers stay in place.
        lm = peft_model.merge_and_unload() if merge else peft_model.get_base_model()
    return lm.eval()


def _resolve_dtype(dtype: Any, device: Any) -> Any:
    import torch

    if dtype is None:
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return _torch_dtype(dtype)  # TransformersOptions checked that it names one


def _load_tokenizer(tokenizer: Any, model: Any) -> Any:
    source = tokenizer if tokenizer is not None else model
    if isinstance(source, (str, Path)):  # TransformersOptions checked that a loaded model comes with one
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(source))
    tokenizer.padding_side = "left"  # every row's last prompt token in the same column
    return tokenizer


def _pad_id(tokenizer: Any, causal_lm: Any) -> int:
    for candidate in (tokenizer.pad_token_id, getattr(causal_lm.generation_config, "pad_token_id", None),
                      tokenizer.eos_token_id):
        if isinstance(candidate, int):
            return candidate
    raise BackendError("the tokenizer has no pad or eos token")


def _stop_ids(tokenizer: Any, causal_lm: Any) -> tuple[int, ...]:
    """<|im_end|> plus the model's own eos tokens (what generate() stops at)."""
    eos = getattr(causal_lm.generation_config, "eos_token_id", None)
    eos = [eos] if isinstance(eos, int) else list(eos or [])
    im_end = tokenizer.convert_tokens_to_ids(IM_END)
    return tuple(dict.fromkeys([im_end, *eos]))


@hookimpl
def ea_register_backends(register) -> None:  # noqa: ANN001 - pluggy passes the registrar
    register(NAME, TransformersBackend)
