"""training.recipe: every profile's YAML is accepted by LLaMA-Factory 0.9.5's own argument parser.

What is validated: all keys and values through LLaMA-Factory's HfArgumentParser over its dataclasses
(unknown keys fail) including transformers' TrainingArguments checks; LLaMA-Factory's get_train_args
checks for every profile that needs no distributed launch; ds_z3's DeepSpeed JSON is loaded by
transformers' DeepSpeed integration. On a machine without a GPU, bf16 is checked with use_cpu added.
Not validated on CPU: bitsandbytes 4-bit loading (qlora), a real multi-process launch (ddp, ds_z3).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from training.recipe import (
    DEEPSPEED_FILE,
    PROFILES,
    dataset_info,
    train_config,
    validate,
    with_deepspeed_file,
    write_reference_configs,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_parses_with_llamafactory(profile, tmp_path):
    config = with_deepspeed_file(tmp_path / "train.yaml",
                                 train_config(profile, dataset_dir=tmp_path, output_dir=tmp_path / "out"))
    model_args, data_args, training_args, finetuning_args, _ = validate(config)
    assert data_args.template == "qwen3" and data_args.cutoff_len == 4096
    assert data_args.enable_thinking is None  # fast examples' empty think block goes to the prompt
    assert finetuning_args.lora_target == ["all"] and finetuning_args.lora_rank == 8
    if profile != "tiny":
        assert training_args.bf16
    if profile == "ds_z3":
        assert training_args.hf_deepspeed_config.config["zero_optimization"]["stage"] == 3
    if profile == "qlora":
        assert model_args.quantization_bit == 4


def test_default_profile_is_qwen3_8b_lora():
    config = train_config()
    assert config["model_name_or_path"] == "Qwen/Qwen3-8B"
    assert config["finetuning_type"] == "lora" and config["template"] == "qwen3" and config["bf16"] is True


def test_the_benchmarks_seed_baseline_has_no_bf16_key_and_is_not_a_product_profile():
    from benchmarks.train_throughput import BENCH_PROFILES

    assert "bf16" not in train_config("seed", profiles=BENCH_PROFILES) and "seed" not in PROFILES
    with pytest.raises(ValueError, match="unknown profile 'seed'"):
        train_config("seed")


def test_an_unknown_key_is_refused_by_the_parser(tmp_path):
    config = train_config("tiny", dataset_dir=tmp_path, output_dir=tmp_path / "out", overrides={"lora_rnak": 8})
    with pytest.raises(ValueError, match="lora_rnak"):
        validate(config)


def test_dataset_info_describes_sharegpt_messages_with_a_system_role():
    info = dataset_info("train.json", "train_val.json")
    for entry in info.values():
        assert entry["formatting"] == "sharegpt" and entry["columns"] == {"messages": "messages"}
        assert entry["tags"]["system_tag"] == "system" and entry["tags"]["assistant_tag"] == "assistant"


def test_reference_configs_in_the_repo_are_what_the_recipe_writes(tmp_path):
    written = write_reference_configs(tmp_path)
    for path in written:
        assert path.read_text() == (REPO / "training" / "configs" / path.name).read_text(), path.name
    ds = yaml.safe_load((tmp_path / "ds_z3.yaml").read_text())["deepspeed"]
    assert ds.endswith(DEEPSPEED_FILE)
    assert json.loads((tmp_path / DEEPSPEED_FILE).read_text())["zero_optimization"]["stage"] == 3
