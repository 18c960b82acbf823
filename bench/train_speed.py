"""Training speed at float32 and at bfloat16 autocast: the measurement behind the trainer's autocast choice.

Times full training steps (forward, backward, AdamW) of a recipe's model at its batch and sequence length,
the two modes alternating for ``--repeats`` rounds of ``--steps`` steps; the median tokens/s of each mode
counts. The tokens are random: a step's cost depends on the shapes, not on the text. The trainer autocasts
to bf16 only where :func:`reasonbench.hardware.bf16_is_native_here` says bf16 is native; this prints both
speeds and what the trainer would choose here.

    python bench/train_speed.py [--recipe sudoku-dfs --steps 2 --repeats 2 --json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from pathlib import Path


def main(args: argparse.Namespace) -> dict:
    import torch
    import torch.nn.functional as F

    from reasonbench.hardware import bf16_is_native_here
    from reasonbench.train.model import build_model, count_params
    from reasonbench.train.recipe import load_recipe
    from reasonbench.train.tokenizer import build_tokenizer

    recipe = load_recipe(args.recipe)
    tokenizer = build_tokenizer()
    model = build_model(recipe, tokenizer)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)
    batch = torch.randint(0, len(tokenizer), (recipe.batch_size, recipe.seq_len + 1), generator=gen)

    def step(bf16: bool) -> None:
        amp = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with amp:
            logits = model(input_ids=batch[:, :-1]).logits
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), batch[:, 1:].reshape(-1))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step(False)  # allocator and kernel warm-up, outside the timing
    rates: dict[str, list[float]] = {"float32": [], "bfloat16": []}
    for _ in range(args.repeats):
        for mode in rates:
            t = time.perf_counter()
            for _ in range(args.steps):
                step(mode == "bfloat16")
            rates[mode].append(args.steps * recipe.batch_size * recipe.seq_len / (time.perf_counter() - t))
    med = {mode: statistics.median(r) for mode, r in rates.items()}
    ratio = med["float32"] / med["bfloat16"]
    chosen = "bfloat16" if bf16_is_native_here("cpu") else "float32"
    print(
        f"{recipe.name}: {count_params(model) / 1e6:.1f}M parameters, {recipe.batch_size} x {recipe.seq_len}"
        f"   float32 {med['float32']:,.0f} tok/s   bf16 autocast {med['bfloat16']:,.0f} tok/s"
        f"   float32 / bf16 {ratio:.2f}   the trainer here: {chosen}"
    )
    report = {"recipe": recipe.name, "tok_s": med, "runs": rates, "ratio": ratio, "trainer_mode": chosen}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", default="sudoku-dfs")
    p.add_argument("--steps", type=int, default=2, help="steps per round and mode")
    p.add_argument("--repeats", type=int, default=2, help="alternating rounds; the median counts")
    p.add_argument("--json", default=None)
    main(p.parse_args())
