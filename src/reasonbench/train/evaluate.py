"""Accuracy of a model directory on a val split, through the real vLLM engine and a named strategy.

The evaluation runs the very code ``reasonbench run`` runs (``runner.run_async``), greedy, with the model's
window as the context budget: ``cot`` for serial-trace models, ``apr`` for spawn/join models.
Run in a subprocess by the trainer (vLLM pins CPU threads, which must not leak into the training
process): ``python -m reasonbench.train.evaluate --model DIR --task countdown --split cd3 --n 200``
prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path


async def greedy_accuracy(
    model_dir: str,
    task_name: str,
    split: str,
    n: int,
    max_tokens: int,
    strategy: str = "cot",
    windows: tuple[int, ...] = (),
) -> dict:
    """Solve ``n`` val problems with ``strategy`` (greedy) at each context window in ``windows`` (default:
    the model's position limit); count verified answers and truncations.

    The top-level fields are those of the first window; ``by_window`` holds every window's. ``seconds`` is
    the whole evaluation's wall-clock (the windows share one generation where derivation is exact).
    """
    from reasonbench.budget import Budget
    from reasonbench.engine.vllm_backend import VLLMEngine
    from reasonbench.frozen import load_problems
    from reasonbench.runner import RunConfig, StrategyConfig, run_async
    from reasonbench.strategies.base import resolve

    spec = resolve(strategy)
    knobs = {"max_tokens": max_tokens}
    if strategy == "apr":
        # A spawn/join model decides how many children it spawns; the evaluation must not cap them.
        knobs.update(child_max_tokens=max_tokens, max_children=32)
    sc = StrategyConfig(strategy, spec.make_params(**knobs))
    problems = load_problems(task_name, split, n)
    engine = VLLMEngine(model_dir)  # at the default dtype, as `reasonbench run` runs
    windows = windows or (engine.model.max_model_len,)
    budgets = tuple(Budget(context=w) for w in windows)
    config = RunConfig(task_name, split, (sc,), budgets, n, model=model_dir)
    rows: list[dict] = []
    t0 = time.monotonic()
    # The runner itself, so the smaller windows are derived from the largest one's greedy traces
    # (reasonbench.derive) rather than decoded again; its Parquet goes to a scratch directory.
    with tempfile.TemporaryDirectory() as scratch:
        await run_async(engine, config, Path(scratch) / "eval", on_row=rows.append, problems=problems)
    seconds = time.monotonic() - t0
    await engine.close()
    results = {}
    for window in windows:
        at = [r for r in rows if r["budget_context"] == window]
        results[window] = {
            "strategy": strategy,
            "window": window,
            "accuracy": sum(r["correct"] for r in at) / len(at),
            "correct": sum(r["correct"] for r in at),
            "n": len(at),
            "truncated": sum(r["finish"] in ("truncated", "budget") for r in at),
            "mean_decoded_tokens": sum(r["decoded_tokens"] for r in at) / len(at),
            "derived": sum(r["derived_from"] is not None for r in at),
            "seconds": seconds,
        }
    first = next(iter(results.values()))
    return {**first, "by_window": {str(w): r["accuracy"] for w, r in results.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--task", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--max-tokens", type=int, default=1024)
    ap.add_argument("--strategy", default="cot")
    ap.add_argument("--windows", default="", help="comma-separated context windows (default: the model's)")
    a = ap.parse_args()
    windows = tuple(int(w) for w in a.windows.split(",") if w)
    result = asyncio.run(greedy_accuracy(a.model, a.task, a.split, a.n, a.max_tokens, a.strategy, windows))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
