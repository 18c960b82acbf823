"""Greedy accuracy of a model directory on a val split, through the real vLLM engine.

Run in a subprocess by the trainer (vLLM pins CPU threads, which must not leak into the training
process): ``python -m reasonbench.train.evaluate --model DIR --task countdown --split cd3 --n 200``
prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time


async def greedy_accuracy(model_dir: str, task_name: str, split: str, n: int, max_tokens: int) -> dict:
    """Solve ``n`` val problems greedily; count verified answers and truncations."""
    from reasonbench.engine import GenRequest
    from reasonbench.engine.vllm_backend import VLLMEngine
    from reasonbench.frozen import load_problems
    from reasonbench.tasks import get_task

    task = get_task(task_name)
    problems = load_problems(task_name, split, n)
    engine = VLLMEngine(model_dir, dtype="bfloat16")
    window = engine.model.max_model_len
    t0 = time.monotonic()
    results = await asyncio.gather(
        *(
            engine.generate(GenRequest(prompt=task.prompt(p), max_tokens=min(max_tokens, window)))
            for p in problems
        )
    )
    elapsed = time.monotonic() - t0
    correct = truncated = decoded = 0
    for p, r in zip(problems, results, strict=True):
        text = r.samples[0].text if r.samples else ""
        decoded += r.decoded_tokens
        truncated += bool(r.samples) and r.samples[0].finish_reason == "length"
        answer = task.extract_answer(task.prompt(p) + text)
        correct += answer is not None and task.verify(p, answer).correct
    await engine.close()
    return {
        "accuracy": correct / len(problems),
        "correct": correct,
        "n": len(problems),
        "truncated": truncated,
        "mean_decoded_tokens": decoded / len(problems),
        "seconds": elapsed,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--task", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--max-tokens", type=int, default=1024)
    a = ap.parse_args()
    print(json.dumps(asyncio.run(greedy_accuracy(a.model, a.task, a.split, a.n, a.max_tokens))))


if __name__ == "__main__":
    main()
