"""The training loop: AdamW, warmup + cosine, bf16 autocast where bf16 is native, checkpoints that resume
exactly.

Reads in one sitting, like nanoGPT's ``train.py``: the data is one token stream (``data.py``), a step draws
its batch from ``(seed, step)`` alone, and a checkpoint holds the model, the optimiser and the step, so a
resumed run continues with exactly the batch and the loss it would have had. Every ``eval_every`` steps the
current weights are exported as an HF directory and evaluated on the val split by the real vLLM engine in a
subprocess; the log (``train_log.jsonl``) records loss, tokens seen, tokens/s and accuracy against tokens.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from reasonbench.train.recipe import Recipe

CHECKPOINT = "checkpoint.pt"
LOG = "train_log.jsonl"
IGNORE = -100
"""Label of tokens that are read but not trained (cross-entropy skips them)."""
EXPORT = "model"


def lr_at(step: int, recipe: Recipe) -> float:
    """Linear warmup to ``lr``, then cosine decay to ``min_lr`` at the last step."""
    if step < recipe.warmup_steps:
        return recipe.lr * (step + 1) / recipe.warmup_steps
    progress = min(1.0, (step - recipe.warmup_steps) / max(1, recipe.steps - recipe.warmup_steps))
    return recipe.min_lr + 0.5 * (recipe.lr - recipe.min_lr) * (1 + math.cos(math.pi * progress))


def _save_atomic(obj: object, path: Path) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # a kill mid-write never leaves a torn checkpoint


def export(model, tokenizer, out: Path) -> Path:
    """Write the model as an HF directory (bf16 safetensors + tokenizer.json) that vLLM loads."""
    import torch

    target = out / EXPORT
    tmp = out / (EXPORT + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    # A bf16 copy of the weights: casting the live model would round the fp32 master weights it trains.
    weights = {k: v.detach().to(torch.bfloat16) for k, v in model.state_dict().items()}
    model.config.dtype = torch.bfloat16
    model.save_pretrained(tmp, state_dict=weights, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target


def evaluate_subprocess(model_dir: Path, recipe: Recipe) -> dict:
    """Greedy val accuracy via ``python -m reasonbench.train.evaluate`` (vLLM kept out of this process)."""
    cmd = [
        sys.executable,
        "-m",
        "reasonbench.train.evaluate",
        "--model",
        str(model_dir),
        "--task",
        recipe.task,
        "--split",
        recipe.split,
        "--n",
        str(recipe.eval_problems),
        "--max-tokens",
        str(recipe.eval_max_tokens),
        "--strategy",
        recipe.eval_strategy,
        "--windows",
        ",".join(map(str, recipe.eval_windows)),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1][:300] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _truncate_log(path: Path, step: int) -> None:
    """Drop log records past the checkpoint: a killed run may have logged steps it never saved."""
    if path.exists():
        keep = [ln for ln in path.read_text().splitlines() if ln and json.loads(ln)["step"] <= step]
        path.write_text("".join(ln + "\n" for ln in keep))


def train(
    recipe: Recipe,
    out: Path,
    *,
    resume: bool = True,
    device: str = "cpu",
    on_step: Callable[[dict], None] | None = None,
    evaluate: Callable[[Path, Recipe], dict] = evaluate_subprocess,
) -> dict:
    """Train ``recipe`` into ``out`` (resuming from ``out/checkpoint.pt`` when present and ``resume``).

    Returns the last log record. ``on_step`` receives every log record (the CLI's progress bar).
    """
    import torch
    import torch.nn.functional as F

    from reasonbench.hardware import bf16_is_native_here
    from reasonbench.train.data import batch_at, document_starts, token_stream
    from reasonbench.train.model import build_model, count_params, warm_start
    from reasonbench.train.tokenizer import build_tokenizer

    out.mkdir(parents=True, exist_ok=True)
    (out / "recipe.json").write_text(json.dumps(asdict(recipe), indent=2))
    tokenizer = build_tokenizer()
    stream = token_stream(recipe, cache_dir=out)
    starts = document_starts(stream, tokenizer.bos_token_id, recipe.seq_len)
    model = build_model(recipe, tokenizer).to(device)
    # As nanoGPT: decay matrices (and the tied embedding), never norm gains, which weight decay would pull
    # towards zero for no benefit.
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": recipe.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=recipe.lr, betas=(0.9, 0.95))
    start, tokens_seen, elapsed = 0, 0, 0.0
    ckpt_path = out / CHECKPOINT
    if resume and ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start, tokens_seen, elapsed = ckpt["step"], ckpt["tokens_seen"], ckpt["elapsed"]
        _truncate_log(out / LOG, start)
    elif recipe.init_from:
        warm_start(model, recipe.init_from)
    # On a CPU that emulates bf16 (x86 with AVX2 only) autocast makes a step ~13x slower than float32
    # (`python bench/train_speed.py`); the weights stay float32 either way, so the run is the same run.
    native = bf16_is_native_here(device)
    amp = torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=native)
    record: dict = {"step": start, "params": count_params(model), "stream_tokens": len(stream.ids)}
    log = (out / LOG).open("a")
    model.train()
    for step in range(start, recipe.steps):
        t0 = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, recipe)
        batch, trained = batch_at(stream, starts, step, recipe.batch_size, recipe.seq_len, recipe.seed)
        batch, trained = batch.to(device), trained.to(device)
        labels = batch[:, 1:].masked_fill(~trained[:, 1:], IGNORE)  # given text is read, not learnt
        with amp:
            logits = model(input_ids=batch[:, :-1]).logits
        loss = F.cross_entropy(
            logits.float().reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=IGNORE
        )
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        dt = time.perf_counter() - t0
        elapsed += dt
        tokens_seen += recipe.tokens_per_step
        record = {
            "step": step + 1,
            "loss": round(loss.item(), 5),
            "lr": lr_at(step, recipe),
            "tokens_seen": tokens_seen,
            "tok_s": round(recipe.tokens_per_step / dt),
            # Per step: a run resumed on another machine may compute differently from there on.
            "autocast": "bfloat16" if native else "off",
            "elapsed_s": round(elapsed, 1),
        }
        done = step + 1 == recipe.steps
        if (step + 1) % recipe.checkpoint_every == 0 or done:
            _save_atomic(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "step": step + 1,
                    "tokens_seen": tokens_seen,
                    "elapsed": elapsed,
                },
                ckpt_path,
            )
        if recipe.eval_every and ((step + 1) % recipe.eval_every == 0 or done):
            record["eval"] = evaluate(export(model, tokenizer, out), recipe)
        log.write(json.dumps(record) + "\n")
        log.flush()
        if on_step is not None:
            on_step(record)
    log.close()
    if not (out / EXPORT).exists() or "eval" not in record:
        export(model, tokenizer, out)
    return record
