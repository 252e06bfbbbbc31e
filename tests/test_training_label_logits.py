"""Logits only at supervised positions: same loss and gradients as the full forward, fewer positions."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="needs the [local] extra")
import torch

from training.label_logits import install, label_positions

IGNORE = -100


def _batch() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 151000, (2, 40), generator=gen)
    labels = torch.full_like(ids, IGNORE)
    labels[0, 30:] = ids[0, 30:]  # row 0: answer at the end
    labels[1, 20:26] = ids[1, 20:26]  # row 1: a shorter answer, then padding-like tail
    mask = torch.ones_like(ids)
    mask[1, 26:] = 0
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def test_label_positions_are_the_positions_before_each_supervised_token():
    labels = torch.tensor([[IGNORE, IGNORE, 5, 6, IGNORE], [IGNORE, 7, IGNORE, IGNORE, IGNORE]])
    keep, shift = label_positions(labels)
    assert keep.tolist() == [0, 1, 2]
    assert shift.tolist() == [[IGNORE, 5, 6], [7, IGNORE, IGNORE]]


def _loss_and_grads(model, batch) -> tuple[float, dict[str, torch.Tensor]]:
    model.zero_grad()
    loss = model(**batch).loss
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return loss.item(), grads


@pytest.mark.parametrize("use_lora", [False, True])
def test_hook_keeps_loss_and_gradients_and_skips_prompt_logits(tiny_model_dir, use_lora):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    if use_lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=4, target_modules="all-linear", lora_dropout=0.0))
        for name, param in model.named_parameters():  # non-zero B so LoRA gradients flow everywhere
            if "lora_B" in name:
                torch.nn.init.normal_(param, std=0.02)
    model.train()
    batch = _batch()
    full_loss, full_grads = _loss_and_grads(model, batch)

    seen: dict[str, int] = {}

    def record_positions(module, inputs, output) -> None:  # noqa: ANN001 - torch hook signature
        seen["positions"] = output.shape[1]

    probe = model.get_output_embeddings().register_forward_hook(record_positions)
    handle = install(model)
    hooked_loss, hooked_grads = _loss_and_grads(model, batch)
    handle.remove()
    probe.remove()

    # Row 0 predicts its labels from positions 29..38, row 1 from 19..24: 16 of 40 positions.
    assert seen["positions"] == 16
    assert hooked_loss == pytest.approx(full_loss, rel=1e-6)
    assert full_grads.keys() == hooked_grads.keys()
    for name, grad in full_grads.items():
        torch.testing.assert_close(hooked_grads[name], grad, rtol=1e-4, atol=1e-6, msg=name)


def test_hook_leaves_evaluation_untouched(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    handle = install(model)
    with torch.no_grad():
        logits = model(**_batch()).logits
    handle.remove()
    assert logits.shape[1] == 40
