"""One CPU training step of the memorisation test's model (tests/test_training_memorisation.py), per setting.

    python -m benchmarks.train_step_cpu                  # the table of benchmarks/RESULTS.md, "Test suite time"
    python -m benchmarks.train_step_cpu --steps 5 --tokens 2100 --labelled 100

The tiny Qwen3 at the test's width (256, 2 layers, 151,936-token tied head), embeddings frozen as LLaMA-Factory's
freeze tuning leaves them, one sequence of ``--tokens`` (a record with the v3 system prompt is ~2,100) with
``--labelled`` positions trained (the head runs only there, as training.label_logits makes it). Each row runs in a
fresh process, since OpenMP reads OMP_WAIT_POLICY when torch loads; rows alternate, each ``--repeats`` times.
CPU-s per step is the process's CPU time (time.process_time), wall beside it: on a shared machine the wall clock
says how much the other load took, the CPU time how much this setting spends.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MODEL = dict(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, head_dim=64, vocab_size=151936, tie_word_embeddings=True)
ROWS = (  # (label, gradient checkpointing, OMP_WAIT_POLICY); the first is the recipe before issue 24
    ("checkpointing, spinning waits (before)", True, "ACTIVE"),
    ("no checkpointing, spinning waits", False, "ACTIVE"),
    ("no checkpointing, sleeping waits (now)", False, "PASSIVE"),
)


def child(checkpointing: bool, steps: int, tokens: int, labelled: int) -> dict[str, float]:
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(0)
    model = Qwen3ForCausalLM(Qwen3Config(**MODEL))
    for name, param in model.named_parameters():
        param.requires_grad_(".layers." in name or "norm" in name)
    if checkpointing:
        model.gradient_checkpointing_enable()
    model.train()
    ids = torch.randint(0, 151000, (1, tokens))
    targets = ids[0, tokens - labelled:]

    def step() -> None:
        hidden = model.model(input_ids=ids).last_hidden_state[0, tokens - labelled - 1:-1]
        torch.nn.functional.cross_entropy(model.lm_head(hidden), targets).backward()

    step()  # warm-up
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(steps):
        step()
    return {"cpu": (time.process_time() - cpu) / steps, "wall": (time.perf_counter() - wall) / steps,
            "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=2100)
    parser.add_argument("--labelled", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child == "checkpointing", args.steps, args.tokens, args.labelled)))
        return
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in ROWS}
    for _ in range(args.repeats):
        for label, checkpointing, policy in ROWS:
            command = [sys.executable, "-m", "benchmarks.train_step_cpu", "--child",
                       "checkpointing" if checkpointing else "plain", "--steps", str(args.steps),
                       "--tokens", str(args.tokens), "--labelled", str(args.labelled)]
            env = {**os.environ, "OMP_WAIT_POLICY": policy}
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
            results[label].append(json.loads(out.strip().splitlines()[-1]))
    load = os.getloadavg()[0]
    print(f"| setting | CPU-s per step | wall s per step | x CPU vs before | load avg {load:.1f} |")
    print("| --- | ---: | ---: | ---: | --- |")
    before = statistics.median(r["cpu"] for r in results[ROWS[0][0]])
    for label, rows in results.items():
        cpu, wall = statistics.median(r["cpu"] for r in rows), statistics.median(r["wall"] for r in rows)
        print(f"| {label} | {cpu:.2f} | {wall:.2f} | {before / cpu:.2f} | threads {rows[0]['threads']:.0f} |")


if __name__ == "__main__":
    main()
