"""Which dtype decodes faster on this machine: the same requests through the harness's engine at float32 and
at bfloat16, on a shipped model, after warm-up.

It is what ``default_dtype`` decides by (float32 on an x86 CPU without bf16 instructions). The workload is a
sampling one, prompts of the default split with n samples each, decoded to a fixed length (EOS ignored) so
that both dtypes do exactly the same work; each dtype runs ``--repeats`` times and the best run counts.

    python bench/cpu_dtype.py [--model countdown-direct --prompts 32 --n 8 --tokens 192]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path


def main(args: argparse.Namespace) -> dict:
    from reasonbench.engine import GenRequest, open_engine
    from reasonbench.engine.vllm_backend import default_dtype
    from reasonbench.profiles import get_profile
    from reasonbench.tasks import get_task, resolve_split

    task = get_task("countdown")
    problems = task.generate(resolve_split(task, None), args.prompts)
    profile = get_profile("trace")
    prompts = [profile.prompt(task, p) for p in problems]
    reqs = [
        GenRequest(prompt=p, max_tokens=args.tokens, n=args.n, temperature=1.0, ignore_eos=True)
        for p in prompts
    ]

    def speed(engine) -> float:
        async def go():
            return await asyncio.gather(*(engine.generate(r) for r in reqs))

        t = time.perf_counter()
        results = asyncio.run(go())
        return sum(r.decoded_tokens for r in results) / (time.perf_counter() - t)

    report: dict[str, float] = {}
    for dtype in ("float32", "bfloat16"):
        engine = open_engine("vllm", args.model, dtype=dtype, max_model_len=1024, seed=0)
        asyncio.run(engine.warmup())
        report[dtype] = max(speed(engine) for _ in range(args.repeats))
        asyncio.run(engine.close())
        print(f"{dtype:9s} {report[dtype]:8.0f} tok/s")
    ratio = report["float32"] / report["bfloat16"]
    print(f"float32 / bfloat16 {ratio:.2f}   default_dtype here: {default_dtype()}")
    if args.json:
        Path(args.json).write_text(json.dumps({**report, "ratio": ratio}, indent=2))
    return report


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="countdown-direct")
    p.add_argument("--prompts", type=int, default=32)
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--tokens", type=int, default=192)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--json", default=None)
    main(p.parse_args())
