"""The transformers backend on the tiny random Qwen3 (real Qwen tokenizer), float32 on CPU.

Tolerances: float32 on CPU; the backend sums attention in a different order (shared-prefix cascade,
label branches in the same forward), so scores agree with plain forwards to 1e-5, not bit for bit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from ea_plugin import load_judge  # noqa: E402
from ea_plugin.backends.transformers import TransformersBackend  # noqa: E402
from ea_plugin.backends.transformers.hf.batching import plan_batches  # noqa: E402
from ea_plugin.backends.transformers.hf.layout import build_layout  # noqa: E402
from ea_plugin.judgement import Pair, parse_answer  # noqa: E402
from ea_plugin.prompts import ALIGNED, IM_END, UNALIGNED, render_prompt  # noqa: E402

PAIRS = [
    Pair("sv660n报e100怎么办", "SV660N伺服驱动器E100故障：过电流，检查电机接线。" * 3),
    Pair("md500参数F0-02", "md500的F0-03参数表示频率源选择。"),
    Pair("伺服驱动器怎么调增益？", "sv660n增益调整步骤如下。"),
]
SCORE_TOL = 1e-5
NEW_TOKENS = 6


@pytest.fixture(scope="module")
def tiny_lm(tiny_model_dir: Path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()


@pytest.fixture(scope="module")
def backend(tiny_lm, qwen_tokenizer) -> TransformersBackend:
    return TransformersBackend(tiny_lm, tokenizer=qwen_tokenizer, max_new_tokens=NEW_TOKENS)


def plain_scores(model, tokenizer, pairs: list[Pair]) -> list[float]:
    """P(对齐) by hand: one plain forward per (prompt + full label sequence), softmax over the two labels."""
    scores = []
    for pair in pairs:
        prompt = tokenizer(render_prompt(pair.question, pair.chunk, "fast"), add_special_tokens=False)["input_ids"]
        logps = []
        for label in (ALIGNED, UNALIGNED):
            ids = tokenizer(label, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logp = model(torch.tensor([prompt + ids])).logits[0].float().log_softmax(-1)
            logps.append(sum(logp[len(prompt) - 1 + k, t].item() for k, t in enumerate(ids)))
        scores.append(torch.tensor(logps).softmax(0)[0].item())
    return scores


def test_score_is_softmax_over_the_full_label_sequences(backend, tiny_lm, qwen_tokenizer):
    judgements = backend.score(PAIRS)
    expected = plain_scores(tiny_lm, qwen_tokenizer, PAIRS)
    for judgement, score in zip(judgements, expected, strict=True):
        assert 0.0 <= judgement.score <= 1.0
        assert judgement.score == pytest.approx(score, abs=SCORE_TOL)
        assert judgement.label == (ALIGNED if score >= 0.5 else UNALIGNED)
        assert (judgement.mode, judgement.backend, judgement.error) == ("fast", "transformers", None)


def test_labels_are_scored_from_two_token_sequences_sharing_their_last_token(backend):
    aligned, unaligned = backend.labels.ids
    assert len(aligned) == len(unaligned) == 2
    assert aligned[0] != unaligned[0] and aligned[1] == unaligned[1]


def test_batched_scores_equal_one_by_one(backend):
    batched = [v.score for v in backend.score(PAIRS)]
    single = [backend.score([pair])[0].score for pair in PAIRS]
    assert batched == pytest.approx(single, abs=SCORE_TOL)


def test_prefix_cache_gives_the_scores_of_the_full_prompt(backend, tiny_lm, qwen_tokenizer):
    full = TransformersBackend(tiny_lm, tokenizer=qwen_tokenizer, prefix_cache=False)
    assert full.prefix is None and backend.prefix is not None
    assert [v.score for v in full.score(PAIRS)] == pytest.approx([v.score for v in backend.score(PAIRS)],
                                                                 abs=SCORE_TOL)


def test_cached_prefix_is_the_system_turn_up_to_the_user_header(backend, qwen_tokenizer):
    text = qwen_tokenizer.decode(backend.prefix.ids)
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_end|>\n<|im_start|>")
    for pair in PAIRS:
        ids = qwen_tokenizer(render_prompt(pair.question, pair.chunk, "fast"), add_special_tokens=False)["input_ids"]
        assert ids[: backend.prefix.length] == backend.prefix.ids


def test_load_judge_hands_batch_size_to_the_judge_and_forward_batch_size_to_the_backend(tiny_lm, qwen_tokenizer):
    forwards: list[int] = []
    judge = load_judge("transformers", model=tiny_lm, tokenizer=qwen_tokenizer, mode="fast", batch_size=5,
                       forward_batch_size=2)
    assert judge.batch_size == 5 and judge.backend.batching("fast").pairs == judge.backend.batching("think").pairs == 2
    handle = tiny_lm.register_forward_pre_hook(lambda _m, args, kwargs: forwards.append(
        (kwargs.get("input_ids") if kwargs.get("input_ids") is not None else args[0]).shape[0]), with_kwargs=True)
    try:
        judgements = judge.judge_many(PAIRS[0].question, [p.chunk for p in PAIRS] * 2)
    finally:
        handle.remove()
    assert len(judgements) == 2 * len(PAIRS) and all(v.score is not None for v in judgements)
    assert forwards and max(forwards) <= 2


def test_think_mode_is_greedy_generate_decoded_and_parsed(backend, tiny_lm, qwen_tokenizer):
    judgements = backend.generate(PAIRS)
    for pair, judgement in zip(PAIRS, judgements, strict=True):
        prompt = qwen_tokenizer(render_prompt(pair.question, pair.chunk, "think"), add_special_tokens=False)
        ids = torch.tensor([prompt["input_ids"]])
        with torch.no_grad():
            out = tiny_lm.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                   max_new_tokens=NEW_TOKENS, pad_token_id=qwen_tokenizer.pad_token_id)
        text = qwen_tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=False).split(IM_END)[0]
        assert judgement.raw == text
        parsed = parse_answer(text)
        assert (judgement.label, judgement.error) == (parsed.label, parsed.error)
        assert (judgement.mode, judgement.backend) == ("think", "transformers")
        assert judgement.extra["finished"] is False  # a random model does not stop within NEW_TOKENS


def test_think_mode_batched_equals_single(backend):
    batched = [v.raw for v in backend.generate(PAIRS)]
    assert batched == [backend.generate([pair])[0].raw for pair in PAIRS]


def test_min_new_tokens_suppresses_stop_tokens_like_generate(tiny_lm, qwen_tokenizer):
    forced = TransformersBackend(tiny_lm, tokenizer=qwen_tokenizer, max_new_tokens=4, min_new_tokens=4)
    generated = forced.decoder.generate(forced.encode(PAIRS[:2], "think"))
    assert [len(g.ids) for g in generated] == [4, 4]


def test_prompt_over_the_token_limit_gets_a_failed_judgement_and_the_rest_are_judged(tiny_lm, qwen_tokenizer):
    short, long = PAIRS[1], Pair("sv660n报e100", "过电流故障。" * 200)
    # the limit sits between the short pair's prompt and the long one's, whatever the system prompt's length
    limit = len(qwen_tokenizer(render_prompt(short.question, short.chunk, "fast"))["input_ids"]) + 100
    limited = TransformersBackend(tiny_lm, tokenizer=qwen_tokenizer, max_prompt_tokens=limit)
    judgements = limited.score([long, short])
    assert judgements[0].label is None and judgements[0].error.startswith("prompt too long")
    assert judgements[0].extra["prompt_tokens"] > limit
    assert judgements[1].error is None and judgements[1].label in (ALIGNED, UNALIGNED)


def test_a_pair_that_cannot_be_encoded_fails_alone_and_its_neighbours_are_judged(backend):
    bad = Pair(PAIRS[0].question, "伺服\ud800驱动器")  # a lone surrogate: no UTF-8 form, the tokenizer refuses it
    pairs = [PAIRS[0], bad, PAIRS[1], PAIRS[2]]
    alone = backend.score([PAIRS[0], PAIRS[1], PAIRS[2]])
    fast = backend.score(pairs)
    think = backend.generate(pairs)
    for judgements in (fast, think):
        assert judgements[1].label is None and "lone surrogate" in judgements[1].error
    assert all(v.error is None and v.label is not None for i, v in enumerate(fast) if i != 1)
    # The random model's think output has no label, but every neighbour was decoded (a raw answer of its own).
    assert [v.raw for i, v in enumerate(think) if i != 1] == [v.raw for v in backend.generate(list(PAIRS))]
    assert [v.score for i, v in enumerate(fast) if i != 1] == pytest.approx([v.score for v in alone], abs=SCORE_TOL)
    dropped = load_judge("transformers", model=backend.causal_lm, tokenizer=backend.tokenizer, on_error="drop",
                         threshold=0.0).judge_many(PAIRS[0].question, [p.chunk for p in pairs])
    assert [v.kept for v in dropped] == [True, False, True, True]
    assert dropped[1].error is not None and "lone surrogate" in dropped[1].error
    with pytest.raises(Exception, match="pair 1 cannot be encoded"):
        backend.encode(pairs, "fast")


def test_suffixes_are_left_padded_so_last_prompt_tokens_share_a_column(backend):
    assert backend.tokenizer.padding_side == "left"
    layout = build_layout([[5, 6, 7], [8]], pad_id=0, position_offset=10, branches=[[1], [2]])
    assert layout.input_ids.tolist() == [[5, 6, 7, 1, 2], [0, 0, 8, 1, 2]]
    assert layout.position_ids[1, 2:].tolist() == [10, 11, 11]  # padding does not shift positions
    assert not layout.mask[1, 0, 2, :2].any()  # real tokens never see padding
    assert not layout.mask[0, 0, 4, 3]  # the second label branch does not see the first


def test_plan_batches_sorts_by_length_and_keeps_both_budgets():
    lengths = [5, 50, 10, 40, 20]
    batches = plan_batches(lengths, max_pairs=2, max_tokens=100, extra=2)
    assert sorted(i for b in batches for i in b) == list(range(5))
    assert all(len(b) <= 2 and len(b) * (lengths[b[0]] + 2) <= 100 for b in batches)
    assert [lengths[b[0]] for b in batches] == sorted((lengths[b[0]] for b in batches), reverse=True)


def test_load_judge_gives_the_judge_the_backends_preferred_batch_size_unless_told(tiny_lm, qwen_tokenizer):
    judge = load_judge("transformers", model=tiny_lm, tokenizer=qwen_tokenizer, coalesce=False)
    assert judge.batch_size == judge.backend.preferred_batch_size == 2 * judge.backend.batching("think").pairs
    told = load_judge("transformers", model=tiny_lm, tokenizer=qwen_tokenizer, coalesce=False, batch_size=7)
    assert told.batch_size == 7


def test_default_batching_is_the_measured_best_and_shrinks_with_free_memory(tiny_lm):
    from ea_plugin.backends.transformers.hf.sizing import FAST, THINK, default_batching, kv_bytes_per_token

    config = tiny_lm.config
    assert default_batching("fast", config, 2, None) == default_batching("fast", config, 2, 1 << 40)
    assert (default_batching("think", config, 2, None).pairs, default_batching("think", config, 2, None).tokens) \
        == THINK and default_batching("fast", config, 2, None).pairs == FAST[0]
    # Qwen3-8B's shape in bf16: 144 KiB of K/V a token. 80 GiB free: the whole think budget; 8 GiB: a quarter.
    qwen = type("Config", (), dict(hidden_size=4096, num_attention_heads=32, head_dim=128, num_hidden_layers=36,
                                   num_key_value_heads=8))()
    assert kv_bytes_per_token(qwen, 2) == 144 * 1024
    roomy, tight = (default_batching("think", qwen, 2, gib << 30) for gib in (80, 8))
    assert (roomy.pairs, roomy.tokens) == THINK
    assert tight.tokens * kv_bytes_per_token(qwen, 2) <= (8 << 30) // 2
    assert tight.pairs == THINK[0] * tight.tokens // THINK[1] < THINK[0]
    assert default_batching("fast", qwen, 2, 4 << 30).tokens < FAST[1]


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir: Path, tmp_path_factory) -> Path:
    """A LoRA adapter whose B matrices are non-zero (a fresh LoRA is an identity until trained)."""
    from peft import LoraConfig, get_peft_model

    base = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"]))
    torch.manual_seed(0)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.5)
    out = tmp_path_factory.mktemp("adapter")
    peft_model.save_pretrained(out)
    return out


def test_adapter_changes_scores_and_loads_through_load_judge(backend, tiny_model_dir, adapter_dir):
    judge = load_judge("transformers", model=str(tiny_model_dir), adapter=str(adapter_dir), max_new_tokens=4)
    assert judge.backend.name == "transformers"
    with_adapter = [v.score for v in judge.backend.score(PAIRS)]
    base = [v.score for v in backend.score(PAIRS)]
    assert max(abs(a - b) for a, b in zip(with_adapter, base, strict=True)) > 1e-3
    unmerged = TransformersBackend(str(tiny_model_dir), adapter=str(adapter_dir), merge_adapter=False)
    assert [v.score for v in unmerged.score(PAIRS)] == pytest.approx(with_adapter, abs=SCORE_TOL)
    judgement = judge.judge(PAIRS[0].question, PAIRS[0].chunk)
    assert judgement.kept == (judgement.score >= judge.policy.threshold)


def test_importing_ea_plugin_and_listing_backends_does_not_import_torch():
    code = (
        "import sys, ea_plugin\n"
        "from ea_plugin.plugins import backend_factories\n"
        "assert 'transformers' in backend_factories()\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'heavy import'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert result.returncode == 0, result.stderr


def test_compiled_decoder_layers_give_the_eager_scores_and_tokens_with_one_graph_for_all_layers(
    tiny_lm, qwen_tokenizer, backend
):
    from torch._dynamo.utils import counters

    # aot_eager traces and partitions exactly as Inductor does, without CPU code generation (seconds, not a minute).
    compiled = TransformersBackend(tiny_lm, tokenizer=qwen_tokenizer, max_new_tokens=NEW_TOKENS,
                                   compile_layers="aot_eager", coalesce=False)
    assert compiled.compiled is not None and backend.compiled is None  # on CUDA only by default
    counters.clear()
    scores = [v.score for v in compiled.score(PAIRS)]
    # Four graphs (the layer and its attention module, each split at the eager attention call) serve every
    # layer, plus the attention's compiled merge: no compile per layer index (that would be four per layer).
    assert counters["stats"]["unique_graphs"] == 4 + 1 < 4 * tiny_lm.config.num_hidden_layers + 1
    assert scores == pytest.approx([v.score for v in backend.score(PAIRS)], abs=SCORE_TOL)
    assert [v.raw for v in compiled.generate(PAIRS)] == [v.raw for v in backend.generate(PAIRS)]
    assert type(tiny_lm.model.layers[0]).__name__ == "Qwen3DecoderLayer"  # plain again outside the backend's forwards


def test_compiled_layers_that_fail_give_way_to_the_eager_ones_with_the_same_scores(tiny_lm, qwen_tokenizer, backend):
    from torch._dynamo import register_backend

    @register_backend
    def ea_test_broken_compiler(graph, example_inputs):  # a compiler fault cannot be caused on a working torch
        raise RuntimeError("no compiler here")

    broken = TransformersBackend(tiny_lm, tokenizer=qwen_tokenizer, compile_layers="ea_test_broken_compiler",
                                 coalesce=False)
    scores = [v.score for v in broken.score(PAIRS)]
    assert broken.compiled is None and "no compiler here" in broken.compile_error
    assert scores == pytest.approx([v.score for v in backend.score(PAIRS)], abs=SCORE_TOL)
    assert type(tiny_lm.model.layers[0]).__name__ == "Qwen3DecoderLayer"


def test_packed_rows_lie_end_to_end_with_the_padded_layouts_positions_and_read_out():
    from ea_plugin.backends.transformers.hf.kvcache import PrefixKV
    from ea_plugin.backends.transformers.hf.packed import pack

    prefix = PrefixKV(list(range(10)), [], [])
    batch = pack([[5, 6, 7], [8]], [[1], [2]], prefix=prefix)
    assert batch.input_ids.tolist() == [[5, 6, 7, 1, 2, 8, 1, 2]]  # no padding: each row, then its branches
    assert batch.position_ids.tolist() == [[10, 11, 12, 13, 13, 10, 11, 11]]  # as the padded layout's
    assert batch.keep.tolist() == [2, 3, 4, 5, 6, 7]  # per row: last suffix token, then each branch token
    allowed = batch.dense_mask()[0, 0]  # (8 queries, 10 prefix + 8 packed keys)
    assert allowed[:, :10].all()  # every token sees the whole prefix
    own = allowed[:, 10:].int().tolist()
    assert own[2] == [1, 1, 1, 0, 0, 0, 0, 0]  # a suffix token: its row's suffix up to itself
    assert own[4] == [1, 1, 1, 0, 1, 0, 0, 0]  # the second branch: the suffix and itself, not the first branch
    assert own[5] == [0, 0, 0, 0, 0, 1, 0, 0]  # the next row starts afresh: never another row's tokens
    assert own[7] == [0, 0, 0, 0, 0, 1, 0, 1]


def test_packed_rows_give_the_padded_rows_scores(tiny_lm, qwen_tokenizer, backend):
    pairs = PAIRS + [Pair(f"IS620P报警Er.{n}", "IS620P故障代码表：Er.101 硬件故障。" * n) for n in range(1, 6)]
    packed = TransformersBackend(tiny_lm, tokenizer=qwen_tokenizer, packed=True, coalesce=False)
    assert packed.packed and not packed._flex and not backend.packed  # CPU: dense-mask oracle; padded by default
    assert [v.score for v in packed.score(pairs)] == pytest.approx([v.score for v in backend.score(pairs)],
                                                                   abs=SCORE_TOL)
    assert [v.score for v in packed.score(PAIRS)] == pytest.approx(plain_scores(tiny_lm, qwen_tokenizer, PAIRS),
                                                                   abs=SCORE_TOL)
    sizes = packed.batching("fast")
    assert sizes.pairs > backend.batching("fast").pairs  # no padding to avoid: more rows a forward


def test_packed_rows_through_compiled_layers_use_one_set_of_graphs(tiny_lm, qwen_tokenizer, backend):
    from torch._dynamo.utils import counters

    compiled = TransformersBackend(tiny_lm, tokenizer=qwen_tokenizer, packed=True, compile_layers="aot_eager",
                                   coalesce=False)
    counters.clear()
    for size in (1, 3, 2):  # batches of other lengths reuse the dynamic graphs
        scores = [v.score for v in compiled.score(PAIRS[:size])]
        assert scores == pytest.approx([v.score for v in backend.score(PAIRS[:size])], abs=SCORE_TOL)
    assert counters["stats"]["unique_graphs"] == 4  # the layer and its attention module, split at the attention


def test_plan_batches_packed_counts_real_tokens_not_padding():
    lengths = [50, 10, 10, 10, 10]
    # Padded, every row of a batch costs the longest's 52 tokens; packed, each its own (52 + 4 x 12 = 100).
    assert plan_batches(lengths, max_pairs=8, max_tokens=99, extra=2) == [[0], [1, 2, 3, 4]]
    assert plan_batches(lengths, max_pairs=8, max_tokens=99, extra=2, packed=True) == [[0, 1, 2, 3], [4]]


def test_packed_rows_whose_kernel_fails_give_way_to_padded_rows_with_the_same_scores(tiny_lm, qwen_tokenizer,
                                                                                     backend):
    packed = TransformersBackend(tiny_lm, tokenizer=qwen_tokenizer, packed=True, coalesce=False)
    packed._flex = True  # FlexAttention on a CPU model: its compiled kernel was never built here, so the forward fails
    scores = [v.score for v in packed.score(PAIRS)]
    assert not packed.packed and packed.packed_error  # padded from now on, and why is kept
    assert scores == pytest.approx([v.score for v in backend.score(PAIRS)], abs=SCORE_TOL)


def test_the_cache_goes_in_under_the_name_this_transformers_takes(backend, tiny_lm, recwarn):
    from ea_plugin.backends.transformers.hf.forward import cache_argument

    class New:
        def forward(self, input_ids=None, cache=None, past_key_values=None): ...  # the deprecation period

    class Old:
        def forward(self, input_ids=None, past_key_values=None): ...

    assert (cache_argument(New), cache_argument(Old)) == ("cache", "past_key_values")
    backend.score(PAIRS[:1])
    backend.generate(PAIRS[:1])
    # transformers 5.2x: "`past_key_values` is deprecated ... will be removed in 5.40" unless `cache` is used
    assert not [w for w in recwarn if "past_key_values" in str(w.message)]
