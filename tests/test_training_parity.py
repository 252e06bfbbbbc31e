"""Parity: what LLaMA-Factory trains on == what the judge sends at inference, plus the target.

LLaMA-Factory's own pipeline (argument parser, tokenizer loader, ``qwen3`` template, ShareGPT converter
and supervised processor) tokenizes the converted sample data; every example must equal, token for
token, ``render_prompt(question, chunk, mode)`` + the assistant target + ``<|im_end|>\\n``, in think
and in fast mode; the prompt must be exactly what the chat template (what vLLM and other
OpenAI-compatible servers render) gives; the label tokens must be trained on (labels != -100) and
the served prompt must not (in fast mode that includes the empty think block).
"""

from __future__ import annotations

import json

import pytest

from ea_plugin.prompts import IM_END, LABELS, build_messages, chat_template_kwargs, render_prompt
from training.recipe import train_config, write_dataset_info

IGNORE = -100


@pytest.fixture(scope="module")
def lf_encoded(converted_samples, tiny_model_dir, tmp_path_factory):
    """(records, LLaMA-Factory's tokenized train dataset, its tokenizer) for the converted sample data."""
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_tokenizer

    train = converted_samples["train"]
    write_dataset_info(train.parent, train.name)
    config = train_config("tiny", dataset_dir=train.parent, model=tiny_model_dir, with_eval=False,
                          output_dir=tmp_path_factory.mktemp("lf-out"))
    model_args, data_args, training_args, _, _ = get_train_args(config)
    tokenizer_module = load_tokenizer(model_args)
    template = get_template_and_fix_tokenizer(tokenizer_module["tokenizer"], data_args)
    dataset = get_dataset(template, model_args, data_args, training_args, stage="sft", **tokenizer_module)
    records = json.loads(train.read_text(encoding="utf-8"))
    return records, dataset["train_dataset"], tokenizer_module["tokenizer"]


def _encode(tokenizer, text: str) -> list[int]:
    return tokenizer.encode(text, add_special_tokens=False)


def test_sample_data_has_both_modes_and_both_labels(lf_encoded):
    records, dataset, _ = lf_encoded
    assert len(dataset) == len(records)  # nothing dropped by LLaMA-Factory
    assert {r["mode"] for r in records} == {"think", "fast"}
    assert {r["label"] for r in records} == set(LABELS)


@pytest.mark.parametrize("mode", ["think", "fast"])
def test_trained_ids_equal_inference_prompt_plus_target(lf_encoded, mode):
    records, dataset, tokenizer = lf_encoded
    checked = 0
    for record, row in zip(records, dataset, strict=True):
        if record["mode"] != mode:
            continue
        prompt = render_prompt(record["question"], record["chunk"], mode)
        target = record["messages"][-1]["content"]
        if mode == "fast":  # the empty think block comes from the template, in the prompt
            assert target == record["label"]
        expected = _encode(tokenizer, prompt) + _encode(tokenizer, target + IM_END + "\n")
        assert row["input_ids"] == expected, record["id"]
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("mode", ["think", "fast"])
def test_served_chat_template_renders_the_trained_prompt_ids(lf_encoded, mode):
    records, dataset, tokenizer = lf_encoded
    record, row = next((r, d) for r, d in zip(records, dataset, strict=True) if r["mode"] == mode)
    served = tokenizer.apply_chat_template(
        build_messages(record["question"], record["chunk"]), tokenize=False, add_generation_prompt=True,
        **chat_template_kwargs(mode),
    )
    served_ids = _encode(tokenizer, served)
    assert row["input_ids"][: len(served_ids)] == served_ids


@pytest.mark.parametrize("mode", ["think", "fast"])
def test_label_tokens_are_trained_and_the_prompt_is_masked(lf_encoded, mode):
    """Trained: the answer (reasoning or not), label, <|im_end|>. Masked: the whole served prompt,
    in fast mode including the empty think block, so think mode never learns to skip its reasoning."""
    records, dataset, tokenizer = lf_encoded
    for record, row in zip(records, dataset, strict=True):
        if record["mode"] != mode:
            continue
        labels = row["labels"]
        label_ids = _encode(tokenizer, record["label"])
        tail = _encode(tokenizer, IM_END + "\n")
        assert labels[-len(label_ids) - len(tail):] == label_ids + tail
        prompt_len = len(_encode(tokenizer, render_prompt(record["question"], record["chunk"], mode)))
        assert set(labels[:prompt_len]) == {IGNORE}
        assert IGNORE not in labels[prompt_len:]
