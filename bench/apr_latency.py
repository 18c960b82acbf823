"""APR latency against its critical path, and the runner's throughput against raw vLLM.

1. ``apr``: problems solved one at a time (latency mode) with the APR strategy; for each, the measured
   wall-clock is compared with the estimate ``critical-path tokens x per-token decode time + prefill``,
   where the per-token decode time and the prefill time are measured on the same engine beforehand
   (batch 1). Goal: mean ratio <= 1.15. The ratio is only meaningful for a model that spawns (a trained
   APR model); the report says how many children were spawned.
2. ``sc``: a self-consistency sweep (n samples per problem, many problems in flight) through the runner,
   against raw ``vllm.LLM.generate`` on the same prompts and sampling parameters, same engine. Goal:
   runner tokens/s / raw tokens/s >= 0.97.

    python bench/apr_latency.py [--model DIR] [--problems 16] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def add_cli_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=None,
        help="model directory (default: the shipped countdown-apr, else a random Llama built here)",
    )
    parser.add_argument("--task", default="countdown")
    parser.add_argument("--split", default="cd3")
    parser.add_argument("--problems", type=int, default=16, help="APR problems (one at a time)")
    parser.add_argument("--sc-problems", type=int, default=64)
    parser.add_argument("--n", type=int, default=8, help="self-consistency samples")
    parser.add_argument("--max-tokens", type=int, default=256, help="sc samples; decode-time probe")
    parser.add_argument("--apr-max-tokens", type=int, default=2048, help="APR parent and child allowance")
    parser.add_argument("--json", default=None)


def main(args: argparse.Namespace) -> dict:
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
    from vllm import LLM, SamplingParams

    from reasonbench.budget import Budget
    from reasonbench.engine import GenRequest
    from reasonbench.engine.vllm_backend import VLLMEngine, default_dtype
    from reasonbench.frozen import load_problems
    from reasonbench.models import shipped_models
    from reasonbench.models.random_init import build_random_llama
    from reasonbench.profiles import get_profile
    from reasonbench.runner import RunConfig, StrategyConfig, run_async
    from reasonbench.strategies.apr import APRParams
    from reasonbench.strategies.sc import SCParams
    from reasonbench.tasks import get_task

    shipped = shipped_models().get("countdown-apr")
    if args.model:
        path = Path(args.model)
    elif shipped is not None and args.task == "countdown":
        path = shipped
    else:
        path = build_random_llama(Path(tempfile.mkdtemp()) / "m", layers=4, width=256, max_len=2048)
    llm = LLM(
        model=str(path),
        dtype=default_dtype(),  # what an engine given no dtype runs, as the harness does
        enforce_eager=True,
        seed=0,
        enable_prefix_caching=True,
        enable_chunked_prefill=False,
        max_num_batched_tokens=16384,
    )
    engine = VLLMEngine.wrap(llm.llm_engine, path)
    task = get_task(args.task)
    problems = load_problems(args.task, args.split, max(args.problems, args.sc_problems))
    prompt = get_profile("trace").prompt(task, problems[0])

    async def one(req: GenRequest):
        return await engine.generate(req)

    asyncio.run(engine.warmup())
    # Per-token decode time and prefill time at batch 1 (prefix cache cleared so the prefill is real).
    # Timed as whole requests (1 token vs N tokens), so it needs no engine-internal timestamps.
    decode, prefills = [], []
    for _ in range(3):
        llm.reset_prefix_cache()
        short = asyncio.run(one(GenRequest(prompt=prompt, max_tokens=1, ignore_eos=True)))
        llm.reset_prefix_cache()
        long = asyncio.run(one(GenRequest(prompt=prompt, max_tokens=args.max_tokens, ignore_eos=True)))
        prefills.append(short.timing.latency)
        decode.append((long.timing.latency - short.timing.latency) / (args.max_tokens - 1))
    per_token, prefill = statistics.median(decode), statistics.median(prefills)

    report: dict = {"per_token_decode_s": per_token, "prefill_s": prefill}
    apr_cfg = RunConfig(
        task=args.task,
        split=args.split,
        n_problems=args.problems,
        model=str(path),
        strategies=(
            StrategyConfig(
                "apr", APRParams(max_tokens=args.apr_max_tokens, child_max_tokens=args.apr_max_tokens)
            ),
        ),
        budgets=(Budget(),),
        concurrency=1,
    )
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as d:
        asyncio.run(
            run_async(engine, apr_cfg, Path(d), on_row=rows.append, problems=problems[: args.problems])
        )
    ratios = [
        r["latency_s"] / (r["critical_path"] * per_token + prefill * (1 + r["engine_calls"]))
        for r in rows
        if r["critical_path"] > 0
    ]
    children = sum(json.loads(r["info"]).get("children", 0) for r in rows)
    report["apr"] = {
        "problems": len(rows),
        "accuracy": sum(r["correct"] for r in rows) / max(1, len(rows)),
        "children_spawned": children,
        "mean_ratio": statistics.mean(ratios) if ratios else None,
    }
    print(
        f"apr   per-token decode {per_token * 1e3:.2f} ms, prefill {prefill * 1e3:.1f} ms; "
        f"wall-clock / critical-path estimate: mean {report['apr']['mean_ratio']:.3f} over {len(ratios)} "
        f"problems, {children} children spawned  [goal <= 1.15]"
    )

    sc_problems = problems[: args.sc_problems]
    sc_cfg = RunConfig(
        task=args.task,
        split=args.split,
        n_problems=len(sc_problems),
        model=str(path),
        strategies=(StrategyConfig("sc", SCParams(n=args.n, max_tokens=args.max_tokens)),),
        budgets=(Budget(),),
        concurrency=len(sc_problems),
    )
    prompts = [get_profile("trace").prompt(task, p) for p in sc_problems]
    best = {"runner": 0.0, "raw": 0.0}
    for _ in range(2):
        llm.reset_prefix_cache()
        rows = []
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as d:
            asyncio.run(run_async(engine, sc_cfg, Path(d), on_row=rows.append, problems=sc_problems))
        runner_rate = sum(r["decoded_tokens"] for r in rows) / (time.perf_counter() - t0)
        llm.reset_prefix_cache()
        t0 = time.perf_counter()
        outs = llm.generate(
            prompts,
            SamplingParams(
                n=args.n, max_tokens=args.max_tokens, temperature=1.0, seed=0, include_stop_str_in_output=True
            ),
            use_tqdm=False,
        )
        raw_rate = sum(len(c.token_ids) for o in outs for c in o.outputs) / (time.perf_counter() - t0)
        best = {"runner": max(best["runner"], runner_rate), "raw": max(best["raw"], raw_rate)}
    ratio = best["runner"] / best["raw"]
    report["sc"] = {**best, "ratio": ratio}
    print(
        f"sc    runner {best['runner']:,.0f} tok/s   raw {best['raw']:,.0f} tok/s   ratio {ratio:.3f}  "
        f"[goal >= 0.97: {'met' if ratio >= 0.97 else 'MISSED'}]"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_cli_args(p)
    main(p.parse_args())
