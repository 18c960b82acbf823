"""``reasonbench tasks``: generate, show, solve and verify puzzles; symbolic ceilings; frozen test sets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reasonbench.cli.console import err, out
from reasonbench.errors import UserError

app = typer.Typer(
    help="Puzzles: generate, show, solve and verify Countdown and Sudoku problems; freeze the test sets.",
    no_args_is_help=True,
)

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


def _pick_problem(task_name: str, split: str | None, index: int, problem: str | None):
    from reasonbench.frozen import load_problems
    from reasonbench.tasks import get_task, resolve_split

    task = get_task(task_name)
    if problem is not None:
        return task, task.parse_problem(problem)
    return task, load_problems(task_name, resolve_split(task, split), index + 1)[index]


@app.command("list")
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


@app.command("generate")
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


@app.command("show")
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


@app.command("ceiling")
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


@app.command("solve")
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


@app.command("verify")
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


@app.command("freeze")
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
