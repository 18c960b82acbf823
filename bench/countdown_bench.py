"""Countdown solver and generator speed.

Goal (issue 2): the exhaustive solver's median time per cd4 instance is at most 1 ms. Reports the median and
p90 for the first solution and for all solutions, and the time to generate the frozen cd4 split (1000).

    python bench/countdown_bench.py [--n 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def add_cli_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=1000, help="cd4 instances to solve")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")


def _percentiles(samples: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(samples, n=10)
    return {
        "median_ms": statistics.median(samples) * 1e3,
        "p90_ms": qs[8] * 1e3,
        "max_ms": max(samples) * 1e3,
    }


def main(args: argparse.Namespace) -> dict:
    from reasonbench.tasks.countdown.generate import CountdownConfig, generate
    from reasonbench.tasks.countdown.solver import all_solutions, solve

    t0 = time.perf_counter()
    instances = generate(CountdownConfig(seed="bench"), args.n)
    gen_s = time.perf_counter() - t0

    for inst in instances[:50]:  # warm-up: imports, allocator, branch caches
        solve(inst.target, inst.nums)

    first, every = [], []
    for inst in instances:
        t = time.perf_counter()
        solve(inst.target, inst.nums)
        first.append(time.perf_counter() - t)
        t = time.perf_counter()
        all_solutions(inst.target, inst.nums)
        every.append(time.perf_counter() - t)

    result = {
        "instances": args.n,
        "solve_first": _percentiles(first),
        "solve_all": _percentiles(every),
        "generate_s": gen_s,
        "goal_median_ms": 1.0,
    }
    ok = result["solve_first"]["median_ms"] <= 1.0
    print(f"countdown cd4, {args.n} instances")
    print(
        f"  solve (first solution): median {result['solve_first']['median_ms']:.3f} ms, "
        f"p90 {result['solve_first']['p90_ms']:.3f} ms  [goal median <= 1 ms: {'met' if ok else 'MISSED'}]"
    )
    print(
        f"  solve (all solutions):  median {result['solve_all']['median_ms']:.3f} ms, "
        f"p90 {result['solve_all']['p90_ms']:.3f} ms"
    )
    print(f"  generate {args.n} distinct solvable instances: {gen_s:.2f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_cli_args(p)
    main(p.parse_args())
