"""The ``reasonbench`` command line: thin commands that parse options and call one library function.

Rich output goes to stderr, data (JSONL, answers) to stdout, so ``reasonbench tasks generate ... > f`` works.
Bad input is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from reasonbench import __version__
from reasonbench.errors import UserError

app = typer.Typer(
    name="reasonbench",
    help="Compare reasoning strategies of language models under matched token, context and latency budgets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
tasks_app = typer.Typer(
    help="Puzzles: generate, show, solve and verify Countdown and Sudoku problems; freeze the test sets.",
    no_args_is_help=True,
)
app.add_typer(tasks_app, name="tasks")

err = Console(stderr=True, soft_wrap=True)
out = Console()

TaskArg = Annotated[str, typer.Argument(help="Task name: countdown or sudoku (or an installed plugin).")]
SplitOpt = Annotated[
    str | None,
    typer.Option(
        "--split", "-s", help="Split name, e.g. cd4, sudoku4 (default: the task's own, see `tasks list`)."
    ),
]
IndexOpt = Annotated[int, typer.Option("--index", "-i", min=0, help="Problem index within the split.")]
ProblemOpt = Annotated[
    str | None,
    typer.Option(
        "--problem", "-p", help="A problem typed out: '24:[4, 9, 3]' or '4 9 3 -> 24'; a Sudoku grid."
    ),
]


def _version(value: bool) -> None:
    if value:
        print(f"reasonbench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Compare reasoning strategies of language models under matched budgets."""


def _pick_problem(task_name: str, split: str | None, index: int, problem: str | None):
    from reasonbench.frozen import load_problems
    from reasonbench.tasks import get_task, resolve_split

    task = get_task(task_name)
    if problem is not None:
        return task, task.parse_problem(problem)
    return task, load_problems(task_name, resolve_split(task, split), index + 1)[index]


@tasks_app.command("list")
def tasks_list() -> None:
    """List the tasks, their splits, trace formats and frozen test sets."""
    from reasonbench.frozen import FROZEN
    from reasonbench.tasks import TASKS, get_task, resolve_split

    table = Table(title="tasks")
    for col in ("task", "default split", "splits", "trace formats", "frozen sets"):
        table.add_column(col)
    for name in TASKS.names():
        task = get_task(name)
        frozen = ", ".join(f"{fs.split} ({fs.count})" for fs in FROZEN if fs.task == name)
        splits, traces = ", ".join(task.splits()), ", ".join(task.trace_kinds())
        table.add_row(name, resolve_split(task, None), splits, traces, frozen)
    out.print(table)


@tasks_app.command("generate")
def tasks_generate(
    task: TaskArg,
    split: SplitOpt = None,
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, max=1_000_000, help="How many problems.")
    ] = 10,
    seed: Annotated[
        str | None, typer.Option(help="Draw with another seed (training data); default: the split's own.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write JSONL here instead of stdout.")
    ] = None,
) -> None:
    """Generate problems deterministically and print them as JSON lines."""
    from reasonbench.tasks import get_task, resolve_split

    t = get_task(task)
    split = resolve_split(t, split)
    lines = "".join(p.to_json() + "\n" for p in t.generate(split, count, seed))
    if output is None:
        sys.stdout.write(lines)
    else:
        output.write_text(lines)
        err.print(f"wrote {count} problems to {output}")


@tasks_app.command("show")
def tasks_show(
    task: TaskArg,
    split: SplitOpt = None,
    index: IndexOpt = 0,
    problem: ProblemOpt = None,
    trace: Annotated[
        str | None,
        typer.Option("--trace", "-t", help="Also print a search trace of this format (see `tasks list`)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the trace's random choices.")] = 0,
) -> None:
    """Show one problem, its prompt, a reference answer and optionally a search trace."""
    t, p = _pick_problem(task, split, index, problem)
    text = None if trace is None else t.trace(p, trace, seed)  # a bad trace spec fails before any output
    err.print(f"[bold]{t.name}[/] {p.id}")
    err.print("[dim]prompt:[/]")
    out.print(t.prompt(p), markup=False, highlight=False, end="")
    answer = t.reference_answer(p)
    err.print("[dim]reference answer:[/]")
    out.print(answer if answer is not None else "(no solution)", markup=False, highlight=False)
    if text is not None:
        err.print(f"[dim]{trace} trace ({len(text.splitlines())} lines):[/]")
        out.print(text, markup=False, highlight=False, end="" if text.endswith("\n") else "\n")


@tasks_app.command("ceiling")
def tasks_ceiling(
    task: TaskArg = "countdown",
    split: SplitOpt = None,
    trace: Annotated[
        list[str],
        typer.Option(
            "--trace",
            "-t",
            help="Trace spec, repeatable: apr, 'apr:beam=2-10,child_beam=5', sos, sos+:beam=1-5.",
        ),
    ] = ["apr"],  # noqa: B006 - typer reads the default, never mutates it
    window: Annotated[
        list[str], typer.Option("--window", "-w", help="Context windows (512, 1k, 4096 ...), repeatable.")
    ] = ["512", "1k", "2k", "4k"],  # noqa: B006
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, max=100_000, help="Problems of the split.")
    ] = 200,
    fmt: Annotated[str, typer.Option("--format", "-f", help="rich (a table), markdown or json.")] = "rich",
) -> None:
    """The symbolic ceiling of trace formats: the fraction of a split their search solves inside each window.

    A model trained on a trace approaches the accuracy of the search that wrote it, within the window it
    is run at. Also shown: the median / p90 of each problem's largest thread context, the median tokens
    decoded by all threads, the median critical path and the mean thread count; and the task's own counts
    per problem (Sudoku: guesses on the solution path, dead ends, children per spawn).
    """
    import dataclasses
    import json

    from reasonbench.budget import parse_tokens
    from reasonbench.ceiling import measure_ceiling
    from reasonbench.tasks import get_task, resolve_split

    split = resolve_split(get_task(task), split)
    windows = sorted({parse_tokens(w) for w in window})
    ceilings = [measure_ceiling(task, split, t, count, windows) for t in trace]
    if fmt == "json":
        for c in ceilings:
            out.print_json(json.dumps(dataclasses.asdict(c)))
        return
    head = [
        "trace",
        *(f"≤{w:,}" for w in windows),
        "solved",
        "context p50 / p90",
        "decoded",
        "critical",
        "threads",
    ]
    rows = [
        [
            c.trace,
            *(f"{c.within[w]:.0%}" for w in windows),
            f"{c.solved:.0%}",
            f"{c.context_median:,.0f} / {c.context_p90:,.0f}",
            f"{c.decoded_median:,.0f}",
            f"{c.critical_path_median:,.0f}",
            f"{c.threads_mean:.1f}",
        ]
        for c in ceilings
    ]
    tables = [(f"{task} {split}: symbolic ceiling on {count} problems", head, rows)]
    counted = [(c.trace, name, d) for c in ceilings for name, d in c.counts.items()]
    if counted:  # the task's own per-problem counts (Sudoku: guesses, dead ends, children)
        head2 = ["trace", "per problem", "mean", "median", "p90", "max", "distribution"]
        rows2 = [
            [t, n, f"{d.mean:.2f}", f"{d.median:g}", f"{d.p90:g}", str(d.max), d.shares()]
            for t, n, d in counted
        ]
        tables.append((f"{task} {split}: counts per problem", head2, rows2))
    if fmt == "markdown":
        for _, h, rs in tables:
            lines = [
                "| " + " | ".join(h) + " |",
                "|" + "---|" * len(h),
                *("| " + " | ".join(r) + " |" for r in rs),
            ]
            sys.stdout.write("".join(line + "\n" for line in lines) + "\n")
        return
    if fmt != "rich":
        raise UserError(f"--format must be rich, markdown or json, got {fmt!r}")
    for title, h, rs in tables:
        table = Table(title=title)
        for col in h:
            table.add_column(
                col, justify="left" if col in ("trace", "per problem", "distribution") else "right"
            )
        for r in rs:
            table.add_row(*r)
        out.print(table)


@tasks_app.command("solve")
def tasks_solve(
    task: TaskArg,
    split: SplitOpt = None,
    index: IndexOpt = 0,
    problem: ProblemOpt = None,
) -> None:
    """Solve a problem with the task's exhaustive solver and print the answer (exit 1 if unsolvable)."""
    t, p = _pick_problem(task, split, index, problem)
    answer = t.reference_answer(p)
    if answer is None:
        err.print(f"{p.id}: no solution")
        raise typer.Exit(1)
    out.print(answer, markup=False, highlight=False)


@tasks_app.command("verify")
def tasks_verify(
    task: TaskArg,
    answer: Annotated[str, typer.Option("--answer", "-a", help="The answer text to check; '-' reads stdin.")],
    split: SplitOpt = None,
    index: IndexOpt = 0,
    problem: ProblemOpt = None,
) -> None:
    """Strictly verify an answer; print the verdict and its reason (exit 0 correct, 1 wrong)."""
    t, p = _pick_problem(task, split, index, problem)
    text = sys.stdin.read() if answer == "-" else answer
    verdict = t.verify(p, text)
    style = "green" if verdict.correct else "red"
    out.print(f"[{style}]{'correct' if verdict.correct else 'wrong'}[/]: {verdict.reason}")
    if not verdict.correct:
        raise typer.Exit(1)


@tasks_app.command("freeze")
def tasks_freeze(
    task: Annotated[str | None, typer.Option(help="Only this task's frozen splits.")] = None,
    split: Annotated[str | None, typer.Option(help="Only this split.")] = None,
    count: Annotated[
        int | None, typer.Option(min=1, help="Must equal the registered count (a guard).")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only regenerate in memory and compare checksums.")
    ] = False,
) -> None:
    """Write (or --check) the frozen test sets under tasks/ with their SHA-256 checksums."""
    from reasonbench.frozen import FROZEN, freeze, read_checksums, sha256, tasks_dir

    chosen = [
        fs for fs in FROZEN if (task is None or fs.task == task) and (split is None or fs.split == split)
    ]
    if not chosen:
        raise UserError(f"no frozen split matches task={task} split={split}")
    if count is not None and any(fs.count != count for fs in chosen):
        raise UserError(f"--count {count} differs from the registered count {[fs.count for fs in chosen]}")
    root = tasks_dir()
    if not check:
        freeze(chosen, root)
        err.print(f"wrote {len(chosen)} split(s) under {root}")
        return
    sums = read_checksums(root)
    bad = [fs.relpath for fs in chosen if sums.get(fs.relpath) != sha256(fs.render())]
    for fs in chosen:
        err.print(f"{fs.relpath}: {'MISMATCH' if fs.relpath in bad else 'ok'}")
    if bad:
        raise typer.Exit(1)


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


def _shard(text: str | None) -> tuple[int, int]:
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


def _run_all(configs: list, root: Path, verbose: bool = False) -> None:
    """Run each model's configuration: into ``root``, or ``root/<model>`` when there are several."""
    for config in configs:
        target = root if len(configs) == 1 else root / Path(config.model).name
        if len(configs) > 1:
            err.print(
                f"[bold]{', '.join(s.label for s in config.strategies)}[/] on {config.model} -> {target}"
            )
        _execute(config, target, verbose)


def _engine_options(
    backend: str,
    max_model_len: int | None,
    dtype: str,
    tp: int,
    dp: int,
    gpu_mem: float | None,
    base_url: str | None,
    engine_arg: list[str] | None,
) -> dict:
    from reasonbench.engine import parse_engine_args

    if backend == "openai":
        opts: dict = {"base_url": base_url or "http://127.0.0.1:8000/v1"}
        if max_model_len:
            opts["max_model_len"] = max_model_len
        return opts
    opts = {"dtype": dtype, "tensor_parallel_size": tp, "data_parallel_size": dp}
    if max_model_len:
        opts["max_model_len"] = max_model_len
    if gpu_mem is not None:
        opts["gpu_memory_utilization"] = gpu_mem
    extra = parse_engine_args(engine_arg or [])
    if extra:
        opts["engine_args"] = extra
    return opts


def _execute(config, out: Path, verbose: bool = False) -> None:
    """Open the engine, run with a progress bar, print the summary table. The engine's and libraries'
    logs go to ``out/reasonbench.log`` (on screen too with ``verbose``)."""
    import asyncio

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from reasonbench.engine import open_engine
    from reasonbench.logs import LOG_FILE, logs_to, output_to
    from reasonbench.results import check_same_config, compact
    from reasonbench.runner import count_jobs, run_async

    if config.backend == "vllm":
        from reasonbench.engine.models import resolve_model

        resolve_model(config.model)  # a bad --model is a one-line error before anything else happens
    check_same_config(out, config.config_hash())  # so is an --out holding another configuration
    total, done = count_jobs(config, out)
    if done:
        err.print(f"resuming {out}: {done} of {total} rows already there")
    if done >= total:
        compact(out, config.shard)  # finishes a compaction that a kill interrupted
        _summary(out)
        return
    log = out / LOG_FILE
    err.print(f"opening {config.backend} engine on {config.model} ... (logs: {log})")
    with logs_to(log, verbose, console=err):
        with output_to(log, enabled=not verbose):
            options = dict(config.engine_options)
            if config.backend == "vllm" and config.concurrency == 1:
                # Latency mode: the timeline's first-token stamps come from vLLM's per-step statistics.
                options.setdefault("timing_stats", True)
            engine = open_engine(config.backend, config.model, **options)
        stats = {"rows": 0, "correct": 0, "tokens": 0, "t0": 0.0}

        async def main() -> None:
            import time

            if hasattr(engine, "warmup"):
                with output_to(log, enabled=not verbose):
                    await engine.warmup()
            stats["t0"] = time.monotonic()
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
            )
            # Two refreshes a second: each one holds the GIL the engine's thread needs.
            with Progress(*columns, console=err, refresh_per_second=2) as progress:
                bar = progress.add_task(Path(config.model).name, total=total, completed=done, info="")

                def on_row(row: dict) -> None:
                    stats["rows"] += 1
                    stats["correct"] += row["correct"]
                    stats["tokens"] += row["decoded_tokens"]
                    rate = stats["tokens"] / max(1e-9, time.monotonic() - stats["t0"])
                    progress.update(
                        bar, advance=1, info=f"acc {stats['correct'] / stats['rows']:.1%}  {rate:,.0f} tok/s"
                    )

                await run_async(engine, config, out, on_row=on_row)
            await engine.close()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            err.print(f"interrupted: the rows written so far are kept in {out}; run again to resume")
            raise typer.Exit(130) from None
    _summary(out)


def _summary(out: Path) -> None:
    from reasonbench.results import read_rows

    df = read_rows(out)
    if df.empty:
        err.print("no rows")
        return
    table = Table(title=f"{out}  ({df['task'].iloc[0]} / {df['split'].iloc[0]})")
    for col in (
        "strategy",
        "budget",
        "n",
        "accuracy",
        "tokens",
        "max ctx",
        "crit. path",
        "latency s",
        "threads",
    ):
        table.add_column(col, justify="left" if col in ("strategy", "budget") else "right")
    for (label, budget), g in df.groupby(["config_label", "budget"], sort=True):
        table.add_row(
            label,
            budget,
            str(len(g)),
            f"{g['correct'].mean():.1%}",
            f"{g['tokens'].mean():,.0f}",
            f"{g['max_context'].mean():,.0f}",
            f"{g['critical_path'].mean():,.0f}",
            f"{g['latency_s'].mean():.2f}",
            f"{g['threads'].mean():.1f}",
        )
    Console(stderr=True, width=160).print(table)


@app.command("run")
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
        list[str] | None, typer.Option("--param", "-P", help="Strategy parameter key=value; repeatable.")
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
        Path | None, typer.Option(help="Results directory (default: results/<task>-<split>-<strategy>).")
    ] = None,
    backend: Annotated[str, typer.Option(help="vllm (in-process) or openai (a running server).")] = "vllm",
    base_url: Annotated[str | None, typer.Option(help="Server URL for --backend openai.")] = None,
    profile: Annotated[
        str, typer.Option(help="Prompt profile: trace (our trace models) or instruct.")
    ] = "trace",
    concurrency: Annotated[int, typer.Option(min=1, help="Problems in flight at once.")] = 256,
    latency_mode: Annotated[
        bool, typer.Option("--latency-mode", help="One problem at a time (for latency budgets).")
    ] = False,
    shard: ShardOpt = None,
    derive: DeriveOpt = True,
    verbose: VerboseOpt = False,
    max_model_len: Annotated[int | None, typer.Option(help="Engine context window.")] = None,
    dtype: Annotated[str, typer.Option(help="Engine dtype.")] = "bfloat16",
    tensor_parallel_size: Annotated[int, typer.Option(min=1, help="vLLM tensor parallelism.")] = 1,
    data_parallel_size: Annotated[int, typer.Option(min=1, help="vLLM data parallelism.")] = 1,
    gpu_memory_utilization: Annotated[float | None, typer.Option(help="vLLM GPU memory fraction.")] = None,
    engine_arg: Annotated[
        list[str] | None, typer.Option(help="Any vLLM EngineArgs key=value; repeatable.")
    ] = None,
) -> None:
    """Run strategies on a split under budgets; rows stream to Parquet and a re-run resumes."""
    import dataclasses

    from reasonbench.budget import Budget
    from reasonbench.engine.base import parse_engine_args
    from reasonbench.runner import RunConfig
    from reasonbench.sweep import group_by_model, strategy_configs
    from reasonbench.tasks import get_task, resolve_split

    split = resolve_split(get_task(task), split)
    knobs = parse_engine_args(param or [])
    configs = [c for name in strategy for c in strategy_configs(name, knobs)]
    base = RunConfig(
        task=task,
        split=split,
        strategies=tuple(configs),
        budgets=tuple(Budget.parse(b) for b in (budget or ["4k"])),
        n_problems=n_problems,
        seeds=tuple(seed or [0]),
        backend=backend,
        profile=profile,
        engine_options=_engine_options(
            backend,
            max_model_len,
            dtype,
            tensor_parallel_size,
            data_parallel_size,
            gpu_memory_utilization,
            base_url,
            engine_arg,
        ),
        concurrency=1 if latency_mode else concurrency,
        shard=_shard(shard),
        derive=derive,
    )
    runs = [
        dataclasses.replace(base, model=name, strategies=tuple(group))
        for name, group in group_by_model(task, split, [(c, model) for c in configs]).items()
    ]
    _run_all(runs, out or Path("results") / f"{task}-{split}-{'-'.join(strategy)}", verbose)


@app.command("sweep")
def sweep_cmd(
    preset: Annotated[Path, typer.Option(help="A TOML preset (see strategies/*.toml).")],
    model: Annotated[str | None, typer.Option(help="Override the preset's model.")] = None,
    n_problems: Annotated[
        int | None, typer.Option("--n-problems", "-n", min=1, help="Override the preset's problem count.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Results directory (default: results/<preset name>).")
    ] = None,
    shard: ShardOpt = None,
    derive: DeriveOpt = True,
    verbose: VerboseOpt = False,
) -> None:
    """Run a preset sweep: strategies x configurations x budgets, one engine per model.

    With one model the rows go to OUT; with several (e.g. each strategy's shipped model) to OUT/<model>.
    """
    import dataclasses

    from reasonbench.sweep import load_preset

    configs = load_preset(preset, model=model, n_problems=n_problems)
    _run_all(
        [dataclasses.replace(c, shard=_shard(shard), derive=derive) for c in configs],
        out or Path("results") / preset.stem,
        verbose,
    )


@app.command("train")
def train_cmd(
    recipe: Annotated[
        str, typer.Option(help="Recipe name (src/reasonbench/train/recipes/NAME.toml) or a path.")
    ],
    steps: Annotated[int | None, typer.Option(min=1, help="Override the recipe's step count.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output directory (default: runs/train/<recipe>).")] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue from the checkpoint in --out if there is one.")
    ] = True,
    device: Annotated[str, typer.Option(help="cpu, or cuda on a GPU machine.")] = "cpu",
    eval_every: Annotated[
        int | None, typer.Option(min=0, help="Override the evaluation interval (0 = off).")
    ] = None,
    init_from: Annotated[
        str | None,
        typer.Option(help="Warm start from this model directory (used only when there is no checkpoint)."),
    ] = None,
) -> None:
    """Train a tiny search model on our own traces (from scratch, or warm-started); checkpoints resume
    exactly."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from reasonbench.train.recipe import load_recipe
    from reasonbench.train.trainer import train

    r = load_recipe(recipe, steps=steps, eval_every=eval_every, init_from=init_from)
    out = out or Path("runs/train") / r.name
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[info]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err) as progress:
        bar = progress.add_task(f"train {r.name}", total=r.steps, info="preparing data")

        def show(rec: dict) -> None:
            info = f"loss {rec['loss']:.3f}  {rec['tok_s']} tok/s  {rec['tokens_seen'] / 1e6:.1f}M tokens"
            if "eval" in rec:
                acc = rec["eval"].get("accuracy")
                err.print(f"step {rec['step']}: eval {rec['eval']}")
                info += f"  acc {acc:.1%}" if isinstance(acc, float) else ""
            progress.update(bar, completed=rec["step"], info=info)

        last = train(r, out, resume=resume, device=device, on_step=show)
    err.print(f"done: step {last.get('step')} loss {last.get('loss')}; model in {out / 'model'}")


ResultsArg = Annotated[
    list[Path],
    typer.Argument(help="Results directories (or a directory of them, as a multi-model sweep writes)."),
]


@app.command("report")
def report_cmd(
    results: ResultsArg,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="rich (a table), markdown, csv or json.")
    ] = "rich",
    samples: Annotated[
        bool, typer.Option(help="Also show maj@k, pass@k and best-of-k for multi-sample strategies.")
    ] = True,
) -> None:
    """Accuracy with 95% bootstrap intervals and mean usage, per strategy configuration x budget."""
    from reasonbench import analysis, report

    if fmt not in report.FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose from {', '.join(report.FORMATS)}")
    loaded = analysis.load(results)
    summary = analysis.summarize(loaded.rows)
    if fmt != "rich":
        sys.stdout.write(report.render(summary, fmt))
        return
    console = Console(width=170)
    for table in report.rich_tables(summary):
        console.print(table)
    curves = analysis.sample_curves(loaded.rows) if samples else None
    if curves is not None and not curves.empty:
        table = Table(title="from the same samples (mean over problems)")
        for col in ("configuration", "budget", "k", "maj@k", "pass@k", "best-of-k (score)"):
            table.add_column(col, justify="left" if col in ("configuration", "budget") else "right")
        for r in curves.itertuples(index=False):
            table.add_row(
                r.config_label,
                r.budget,
                str(r.k),
                f"{r.maj_at_k:.1%}",
                f"{r.pass_at_k:.1%}",
                f"{r.best_of_k:.1%}",
            )
        console.print(table)


ShowProblemOpt = Annotated[str | None, typer.Option("--problem", "-p", help="Problem id, e.g. cd3-00003.")]
ShowIndexOpt = Annotated[
    int | None, typer.Option("--index", "-i", min=0, help="Problem index (default: the first problem).")
]
ConfigOpt = Annotated[
    str | None, typer.Option("--config", "-c", help="Configuration label (or id), e.g. 'sc n=4'.")
]
ShowBudgetOpt = Annotated[str | None, typer.Option("--budget", "-b", help="Budget, e.g. ctx1k or 1k.")]
SeedOpt = Annotated[int | None, typer.Option(help="Seed, when the run had several.")]


@app.command("plot")
def plot_cmd(
    results: ResultsArg,
    x: Annotated[
        list[str] | None,
        typer.Option(
            help="Budget kind(s) on the x axis: tokens, context, latency, critical-path "
            "(default: one panel each)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Figure file; .png, .svg or .pdf (default: results/accuracy-vs-budget.png, or "
            "timeline-<problem>.png).",
        ),
    ] = None,
    timeline: Annotated[
        bool, typer.Option("--timeline", help="Draw one problem's threads on the wall-clock axis instead.")
    ] = False,
    compare: Annotated[
        tuple[str, str] | None,
        typer.Option(
            help="Two configuration labels: their timelines one above the other (implies --timeline)."
        ),
    ] = None,
    problem: ShowProblemOpt = None,
    index: ShowIndexOpt = None,
    config: ConfigOpt = None,
    budget: ShowBudgetOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Accuracy-vs-budget curves: each strategy's best configuration within each budget, with its 95% band.

    The latency panel uses only latency-mode rows (one problem at a time) when the results hold any, and
    otherwise says that it shows batch latency. With --timeline (or --compare): a Gantt chart of one
    problem's threads, the critical path outlined.
    """
    from reasonbench import analysis, plot

    loaded = analysis.load(results)
    if timeline or compare:
        from reasonbench import show
        from reasonbench import timeline as gantt

        picked = []
        for label in compare or (config,):
            rows = show.select(loaded.rows, problem, index, label, budget, seed)
            if len(rows) > 1:
                what = ", ".join(sorted({f"{r.config_label} @ {r.budget}" for r in rows.itertuples()}))
                raise UserError(f"{len(rows)} rows match ({what}); pick one with --config, --budget, --seed")
            picked.append(rows.iloc[0].to_dict())
        path = gantt.save(picked, output or Path(f"timeline-{picked[0]['problem_id']}.png"))
        err.print(f"wrote {path}")
        return
    kinds = x or ["tokens", "context", "critical-path", "latency"]
    summary = analysis.summarize(loaded.rows)
    latency = None
    if "latency" in kinds:
        lat_rows, how = analysis.latency_view(loaded.rows)
        latency = (summary if lat_rows is loaded.rows else analysis.summarize(lat_rows), how)
    path = plot.save(summary, kinds, output or Path("results/accuracy-vs-budget.png"), latency)
    err.print(f"wrote {path}")


@app.command("show")
def show_cmd(
    results: ResultsArg,
    problem: ShowProblemOpt = None,
    index: ShowIndexOpt = None,
    config: ConfigOpt = None,
    budget: ShowBudgetOpt = None,
    seed: SeedOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="rich or json.")] = "rich",
    trace: Annotated[bool, typer.Option(help="Print the trace (rich format).")] = True,
) -> None:
    """One problem's result: verdict, usage, thread tree, candidates and the trace with spawn/join marked.

    When several rows match (configurations, budgets, seeds), rich lists them to pick from; json prints
    every one.
    """
    import json

    from reasonbench import analysis, show

    if fmt not in ("rich", "json"):
        raise UserError(f"--format must be rich or json, got {fmt!r}")
    rows = show.select(analysis.load(results).rows, problem, index, config, budget, seed)
    records = [r for _, r in rows.iterrows()]
    if fmt == "json":
        sys.stdout.write(json.dumps([show.view(r.to_dict()) for r in records], indent=1, default=str) + "\n")
        return
    console = out if out.is_terminal else Console(width=150)
    if len(records) > 1:
        console.print(show.listing(rows))
        return
    console.print(show.render(records[0].to_dict(), trace=trace))


@app.command("regress")
def regress_cmd(
    results: ResultsArg,
    baseline: Annotated[Path, typer.Option(help="The reference results (e.g. the committed results/...).")],
    tolerance: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Accuracy drop (absolute) tolerated before testing.")
    ] = 0.05,
    alpha: Annotated[float, typer.Option(min=0.0, max=1.0, help="Significance level of the test.")] = 0.05,
) -> None:
    """Compare accuracy with a baseline run; exit 1 on a significant drop beyond the tolerance."""
    from reasonbench import analysis, regress

    lines = regress.compare(analysis.load([baseline]), analysis.load(results), tolerance, alpha)
    sys.stdout.write(regress.markdown(lines, tolerance, alpha))
    if any(ln.regressed for ln in lines):
        raise typer.Exit(1)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the app; usage errors become one line on stderr and exit code 2."""
    try:
        code = app(args=argv, standalone_mode=False)
    except UserError as exc:
        err.print(f"reasonbench: error: {exc}", markup=False, highlight=False)
        code = 2
    except typer.Abort:
        err.print("reasonbench: interrupted")
        code = 130
    except typer.TyperException as exc:  # click's usage errors, vendored by typer
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help())
            code = 0
        else:
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            err.print(f"reasonbench: error: {message}", markup=False, highlight=False)
            code = getattr(exc, "exit_code", 2)
    sys.exit(code if isinstance(code, int) else 0)
