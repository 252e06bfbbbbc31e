"""A tiny judge that knows its answers: a LoRA adapter (and its merged model) trained on a tiny random Qwen3
until greedy decoding writes the right label for a few spec examples, in think and fast mode.

A random model writes noise, so through a server it can only ever test the failure path. This one writes, for
each pair of ``TAUGHT``, the rules backend's label (the teacher here) after a short four-step analysis, so tests
can assert real judgements end to end: think-mode reasoning and label, fast-mode score on the right side of 0.5,
and an adapter served by vLLM that matches the merged weights. The analysis names no entities (a 2-layer,
64-wide model learns the full teacher analysis only in ~10x the steps): its one input-dependent token is the
label in step 3, as in fast mode.

The base is the project's tiny Qwen3 built with a wide initialisation (embeddings of norm ~4 instead of ~0.16):
with tied embeddings and the final norm frozen, a LoRA on the standard base cannot push any token's logit far
enough above the 151,936 others to be confident. Built once into the test cache (about a minute on 2 cores).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ea_plugin.cli import EXAMPLE_PAIRS
from ea_plugin.judgement import Pair
from ea_plugin.prompts import IM_END, assistant_target, format_analysis, generation_prefix, render_prompt

# One aligned and one unaligned example of the spec (products differ), judged by the rules backend.
TAUGHT: tuple[Pair, ...] = tuple(Pair(*EXAMPLE_PAIRS[i]) for i in (0, 5))
LORA_RANK = 16
BASE_INIT_RANGE = 0.5
VERSION = "v4"  # bump when the recipe changes: the cache directory name carries it
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "generation_config.json")


@dataclass(frozen=True)
class Answer:
    pair: Pair
    label: str
    analysis: str


@dataclass(frozen=True)
class TinyJudge:
    base: Path  # the wide tiny Qwen3 the adapter was trained on
    adapter: Path  # peft LoRA adapter (adapter_config.json + adapter_model.safetensors)
    merged: Path  # base with the adapter merged in, plus tokenizer and chat template
    answers: tuple[Answer, ...]

    def answer(self, pair: Pair) -> Answer:
        return next(a for a in self.answers if a.pair == pair)


def teacher_answers() -> tuple[Answer, ...]:
    from ea_plugin.judge import load_judge

    judge = load_judge("rules", mode="think")
    answers = []
    for pair in TAUGHT:
        label = judge.judge(pair.question, pair.chunk).label
        answers.append(Answer(pair, label, format_analysis("略", "略", label, "微型测试模型")))
    return tuple(answers)


def build_tiny_judge(cache: Path, max_steps: int = 400) -> TinyJudge:
    """Build (once) and return the tiny judge under ``cache``."""
    from devtools.tiny_model import build_once, build_tiny_qwen3

    answers = teacher_answers()
    base = build_tiny_qwen3(cache / "tiny-qwen3-wide", initializer_range=BASE_INIT_RANGE)
    root = cache / f"tiny-judge-{VERSION}"
    judge = TinyJudge(base=base, adapter=root / "adapter", merged=root / "merged", answers=answers)
    build_once(root, lambda staging: _train(base, answers, staging, max_steps))
    return judge


def _examples(tokenizer, answers: tuple[Answer, ...]) -> list[tuple[list[int], int]]:
    """(prompt + target ids, target length) for every taught pair in both modes.

    The text is the training text (think prompt + assistant_target + <|im_end|>), cut where the mode's prompt
    ends: a fast-mode prompt already holds the empty think block, so only the label is learnt there. (Learning
    the block itself would contradict think mode's "<think>\\n1." at the same positions.)
    """
    examples = []
    for answer in answers:
        for mode in ("think", "fast"):
            analysis = answer.analysis if mode == "think" else None
            target = assistant_target(answer.label, analysis).removeprefix(generation_prefix(mode)) + IM_END
            prompt = render_prompt(answer.pair.question, answer.pair.chunk, mode)
            prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
            examples.append((prompt_ids + target_ids, len(target_ids)))
    return examples


def _train(base: Path, answers: tuple[Answer, ...], out: Path, max_steps: int) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    config = LoraConfig(r=LORA_RANK, lora_alpha=2 * LORA_RANK, lora_dropout=0.0, target_modules="all-linear")
    model = get_peft_model(model, config)
    examples = [(torch.tensor([ids]), n) for ids, n in _examples(tokenizer, answers)]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for step in range(max_steps):
        optimizer.zero_grad()
        for ids, n in examples:
            # Logits only where the answer is: the 1,000-token system prompt needs no LM head.
            logits = model(input_ids=ids, logits_to_keep=n + 1).logits[0, :-1]
            torch.nn.functional.cross_entropy(logits, ids[0, -n:]).backward()
        optimizer.step()
        if step % 10 == 9 and _memorised(model, examples):
            break
    else:
        raise RuntimeError(f"tiny judge did not memorise its {len(examples)} answers in {max_steps} steps")
    model.save_pretrained(out / "adapter")
    merged = model.merge_and_unload()
    merged.save_pretrained(out / "merged")
    for name in TOKENIZER_FILES:
        shutil.copy(base / name, out / "merged" / name)
    (out / "answers.json").write_text(
        json.dumps([a.__dict__ | {"pair": a.pair.__dict__} for a in answers], ensure_ascii=False, indent=1)
    )


def _memorised(model, examples, margin: float = 1.0) -> bool:
    """Greedy decoding reproduces every target, each token ahead of the runner-up by ``margin`` logits
    (float32 differences between vLLM and transformers are ~1e-4 logits: they cannot flip a token)."""
    import torch

    with torch.no_grad():
        for ids, n in examples:
            logits = model(input_ids=ids, logits_to_keep=n + 1).logits[0, :-1]
            top2 = logits.topk(2, dim=-1)
            if not bool((top2.indices[:, 0] == ids[0, -n:]).all()):
                return False
            if float((top2.values[:, 0] - top2.values[:, 1]).min()) < margin:
                return False
    return True
