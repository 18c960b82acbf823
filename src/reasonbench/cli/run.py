"""``reasonbench run`` and ``reasonbench sweep``: the two ways to describe an experiment, one way to run it.

Each command only turns its options into an :class:`~reasonbench.experiment.Experiment` (``sweep`` reads the
preset) and hands it to :func:`reasonbench.session.run`, which builds the runs, checks, opens the engines,
runs, and prints the summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reasonbench.cli.console import err
from reasonbench.errors import UserError
from reasonbench.runner import DEFAULT_CONCURRENCY

BudgetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--budget",
        "-b",
        help="Budget: 4k (context window), tokens:20k, latency:5s, or a comma mix; repeatable.",
    ),
]
ShardOpt = Annotated[
    str | None,
    typer.Option(
        help="i/N: run only problems i, i+N, ... (shards of one run share or merge a results directory)."
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Show the engine's and libraries' logs (always in <out>/reasonbench.log)."
    ),
]
DeriveOpt = Annotated[
    bool,
    typer.Option(
        help="Derive smaller context/token budgets from the run at the largest where that is exact "
        "(--no-derive runs every budget)."
    ),
]


def parse_shard(text: str | None) -> tuple[int, int]:
    """``--shard i/N`` as ``(i, N)``; ``None`` is the whole run."""
    if text is None:
        return (0, 1)
    i, sep, n = text.partition("/")
    try:
        shard = (int(i), int(n))
    except ValueError:
        shard = (-1, 0)
    if not sep or not 0 <= shard[0] < shard[1]:
        raise UserError(f"--shard must be i/N with 0 <= i < N, got {text!r}")
    return shard


def run_cmd(
    strategy: Annotated[
        list[str],
        typer.Option(
            "--strategy",
            help="cot, sc, bon, backtrack, apr, ffs, short-m, esc, deepconf, delethink, a plugin, or"
            " file.py:Name; repeatable.",
        ),
    ],
    task: Annotated[str, typer.Option(help="Task name.")] = "countdown",
    split: Annotated[
        str | None,
        typer.Option(help="Split (its frozen val set when there is one; default: the task's own)."),
    ] = None,
    budget: BudgetOpt = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-P", help="Strategy parameter key=value (a JSON list is a grid axis); repeatable."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Model directory, shipped model name or hub id "
            "(default: the shipped model for the task and strategy)."
        ),
    ] = None,
    n_problems: Annotated[
        int, typer.Option("--n-problems", "-n", min=1, help="Problems from the split.")
    ] = 100,
    seed: Annotated[list[int] | None, typer.Option(help="Seed(s); repeatable.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Results directory (default: results/<task>-<split>-<strategy>, -latency after it with "
            "--latency-mode)."
        ),
    ] = None,
    backend: Annotated[str, typer.Option(help="vllm (in-process) or openai (a running server).")] = "vllm",
    base_url: Annotated[
        str | None, typer.Option(help="Server URL for --backend openai (default: http://127.0.0.1:8000/v1).")
    ] = None,
    profile: Annotated[
        str, typer.Option(help="Prompt profile: trace (our trace models) or instruct.")
    ] = "trace",
    concurrency: Annotated[
        int, typer.Option(min=1, help="Problems in flight at once.")
    ] = DEFAULT_CONCURRENCY,
    latency_mode: Annotated[
        bool, typer.Option("--latency-mode", help="One problem at a time (for latency budgets).")
    ] = False,
    shard: ShardOpt = None,
    derive: DeriveOpt = True,
    verbose: VerboseOpt = False,
    max_model_len: Annotated[int | None, typer.Option(help="Engine context window.")] = None,
    dtype: Annotated[
        str | None,
        typer.Option(help="Engine dtype (default: bfloat16; float32 on a CPU without bf16 instructions)."),
    ] = None,
    tensor_parallel_size: Annotated[
        int | None, typer.Option(min=1, help="vLLM tensor parallelism (default: 1).")
    ] = None,
    data_parallel_size: Annotated[
        int | None, typer.Option(min=1, help="vLLM data parallelism (default: 1).")
    ] = None,
    gpu_memory_utilization: Annotated[float | None, typer.Option(help="vLLM GPU memory fraction.")] = None,
    engine_arg: Annotated[
        list[str] | None, typer.Option(help="Any vLLM EngineArgs key=value; repeatable.")
    ] = None,
) -> None:
    """Run strategies on a split under budgets; rows stream to Parquet and a re-run resumes."""
    from reasonbench import session
    from reasonbench.experiment import Experiment, StrategyGrid, parse_key_values

    knobs = parse_key_values(param or [], "--param")
    engine = {
        "max_model_len": max_model_len,
        "dtype": dtype,
        "tensor_parallel_size": tensor_parallel_size,
        "data_parallel_size": data_parallel_size,
        "gpu_memory_utilization": gpu_memory_utilization,
        "base_url": base_url,
        **parse_key_values(engine_arg or [], "--engine-arg"),
    }
    experiment = Experiment(
        strategies=tuple(StrategyGrid(name, knobs) for name in strategy),
        task=task,
        split=split,
        budgets=tuple(budget or ["4k"]),
        n_problems=n_problems,
        seeds=tuple(seed or [0]),
        model=model,
        backend=backend,
        profile=profile,
        engine=engine,
        concurrency=1 if latency_mode else concurrency,
        shard=parse_shard(shard),
        derive=derive,
    )
    session.run(experiment, out, verbose=verbose, console=err)


def sweep_cmd(
    preset: Annotated[Path, typer.Option(help="A TOML preset (see strategies/*.toml).")],
    model: Annotated[str | None, typer.Option(help="Override the preset's model.")] = None,
    n_problems: Annotated[
        int | None, typer.Option("--n-problems", "-n", min=1, help="Override the preset's problem count.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Results directory (default: results/<preset name>, -latency after it for concurrency 1)."
        ),
    ] = None,
    shard: ShardOpt = None,
    derive: DeriveOpt = True,
    verbose: VerboseOpt = False,
) -> None:
    """Run a preset sweep: strategies x configurations x budgets, one engine per model.

    With one model the rows go to OUT; with several (e.g. each strategy's shipped model) to OUT/<model>.
    """
    from reasonbench import session
    from reasonbench.sweep import read_preset

    experiment = read_preset(
        preset, model=model, n_problems=n_problems, shard=parse_shard(shard), derive=derive
    )
    session.run(experiment, out, verbose=verbose, console=err)
