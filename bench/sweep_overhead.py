"""The runner against raw ``vllm.LLM.generate`` on realistic sweeps, on the shipped models, same engine.

Workloads (issue 12):
  * ``backtrack``: ``countdown-sos`` on ``--prompts`` problems of ``--split`` (cd4, the models' own),
    greedy, a ``--window``-token context window: the whole runner (meter, strategy, verifier, Parquet
    rows and their compaction) against one ``LLM.generate`` call over the same prompts
    with the same ``max_tokens``.
  * ``apr``: ``countdown-apr`` spawn/join on the same problems. Raw vLLM cannot run spawn/join, so its side
    replays the runner's own requests (every parent segment and child, as the runner sent them) as one
    flat ``LLM.generate`` batch: the same tokens with no dependencies between them, an upper bound.
The runner keeps ``RunConfig``'s default concurrency. Sides alternate for ``--repeats`` rounds, the prefix
cache cleared before each; the median tokens/s of each side gives ``sweep ratio`` (goal >= 0.97). The
engine's start-up (load, compile, warm-up) is printed apart: run once with and once without ``--compiled``
to see whether compiled mode's faster steps pay for its longer start-up over a sweep's tokens.

    python bench/sweep_overhead.py [--workload backtrack --workload apr] [--prompts 100] [--json out.json]
    python bench/sweep_overhead.py --profile prof.out --workload backtrack --prompts 64 --repeats 1
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

MODELS = {"backtrack": "countdown-sos", "apr": "countdown-apr"}


def add_cli_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workload", action="append", choices=sorted(MODELS), default=None)
    # cd4 search decodes ~1.6k tokens a problem at a 2k window, ~4x cd3's: 100 problems (~160k tokens, about
    # a minute a side on 2 cores) rather than cd3's 300.
    parser.add_argument("--prompts", type=int, default=100, help="problems per sweep")
    parser.add_argument("--split", default="cd4", help="Countdown split the shipped models were trained on")
    parser.add_argument("--window", type=int, default=2048, help="context window (tokens)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds; the median counts")
    parser.add_argument("--compiled", action="store_true", help="vLLM's compiled mode (enforce_eager=False)")
    parser.add_argument("--profile", default=None, help="cProfile the runner side into this file instead")
    parser.add_argument("--json", default=None)


class Capture:
    """Passes requests to the engine and keeps what was sent (the raw side replays them)."""

    def __init__(self, engine) -> None:
        self._engine = engine
        self.backend, self.model = engine.backend, engine.model
        self.sent: list = []

    def count_tokens(self, text: str) -> int:
        return self._engine.count_tokens(text)

    def decode(self, ids) -> str:
        return self._engine.decode(ids)

    async def generate(self, request, control=None):
        self.sent.append(request)
        return await self._engine.generate(request, control)

    async def close(self) -> None:
        await self._engine.close()


def run_workload(name: str, args: argparse.Namespace) -> dict:
    from vllm import LLM, SamplingParams

    from reasonbench.budget import Budget
    from reasonbench.engine.models import model_info, resolve_model
    from reasonbench.engine.vllm_backend import VLLMEngine, cpu_kv_cache_bytes, default_dtype
    from reasonbench.frozen import load_problems
    from reasonbench.runner import RunConfig, StrategyConfig, run_async
    from reasonbench.strategies.apr import APRParams
    from reasonbench.strategies.backtrack import BacktrackParams

    path = resolve_model(MODELS[name])
    # The KV cache the harness's own engine reserves (VLLM_CPU_KVCACHE_SPACE overrides it inside vLLM).
    kv_bytes = cpu_kv_cache_bytes(model_info(path, max_model_len=args.window), default_dtype())
    # Start-up (load, compile where --compiled, warm-up) is timed apart: it is what compiled mode must
    # earn back over a sweep's tokens.
    started = time.perf_counter()
    llm = LLM(
        model=str(path),
        dtype=default_dtype(),  # what an engine given no dtype runs, as the harness does
        enforce_eager=not args.compiled,
        kv_cache_memory_bytes=kv_bytes,
        seed=0,
        max_model_len=args.window,
        enable_prefix_caching=True,
        enable_chunked_prefill=False,
        max_num_batched_tokens=16384,
    )
    engine = Capture(VLLMEngine.wrap(llm.llm_engine, path))
    problems = load_problems("countdown", args.split, args.prompts)
    params = APRParams() if name == "apr" else BacktrackParams()
    config = RunConfig(
        task="countdown",
        split=args.split,
        strategies=(StrategyConfig(name, params),),
        budgets=(Budget(context=args.window),),
        n_problems=len(problems),
        model=str(path),
    )

    def harness() -> tuple[int, float]:
        engine.sent.clear()
        tokens = 0

        def count(row: dict) -> None:
            nonlocal tokens
            # A row the harness failed on (an exception, not a model's bad spawn, which is a wrong answer
            # with its tokens) decodes nothing and would make the runner look fast or the ratio undefined.
            if row["finish"] == "error" and "exception" in json.loads(row.get("info") or "{}"):
                raise RuntimeError(f"{name}: a row failed: {row.get('info')}")
            tokens += row["decoded_tokens"]

        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            asyncio.run(run_async(engine, config, Path(d), on_row=count, problems=problems))
            return tokens, time.perf_counter() - t

    def raw(requests: list) -> tuple[int, float]:
        prompts = [r.prompt for r in requests]  # text, tokenized inside the timing as the runner's are
        sampling = [
            SamplingParams(
                max_tokens=r.max_tokens,
                temperature=0.0,
                stop=list(r.stop) or None,
                include_stop_str_in_output=True,
                skip_special_tokens=True,
            )
            for r in requests
        ]
        t = time.perf_counter()
        outs = llm.generate(prompts, sampling, use_tqdm=False)
        return sum(len(c.token_ids) for o in outs for c in o.outputs), time.perf_counter() - t

    asyncio.run(engine._engine.warmup())
    startup_s = time.perf_counter() - started
    if args.profile:
        import cProfile

        llm.reset_prefix_cache()
        cProfile.runctx("harness()", globals(), {"harness": harness}, args.profile)
        print(f"{name}: profile of the runner side written to {args.profile}")
        return {}
    rates: dict[str, list[float]] = {"harness": [], "raw": []}
    tokens: dict[str, int] = {}
    for _ in range(args.repeats):
        llm.reset_prefix_cache()
        tokens["harness"], dt = harness()
        rates["harness"].append(tokens["harness"] / dt)
        requests = list(engine.sent)
        llm.reset_prefix_cache()
        tokens["raw"], dt = raw(requests)
        rates["raw"].append(tokens["raw"] / dt)
    med = {side: statistics.median(r) for side, r in rates.items()}
    ratio = med["harness"] / med["raw"]
    print(
        f"{name:9s} runner {med['harness']:8,.0f} tok/s   raw {med['raw']:8,.0f} tok/s   "
        f"sweep ratio {ratio:.3f}  [goal >= 0.97: {'met' if ratio >= 0.97 else 'MISSED'}]  tokens {tokens}"
        f"   start-up {startup_s:.1f} s ({'compiled' if args.compiled else 'eager'})"
    )
    return {"tok_s": med, "runs": rates, "ratio": ratio, "tokens": tokens, "startup_s": startup_s}


def main(args: argparse.Namespace) -> dict:
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    import gc

    report = {}
    for name in args.workload or ["backtrack", "apr"]:
        report[name] = run_workload(name, args)
        gc.collect()  # the workload's engine goes before the next one starts
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_cli_args(p)
    main(p.parse_args())
