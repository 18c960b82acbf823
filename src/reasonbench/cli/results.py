"""``reasonbench report``, ``plot``, ``show``, ``regress`` and ``compare``: what a results directory holds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from reasonbench.cli.console import err, out
from reasonbench.errors import UserError

ResultsArg = Annotated[
    list[Path],
    typer.Argument(help="Results directories (or a directory of them, as a multi-model sweep writes)."),
]

ShowProblemOpt = Annotated[str | None, typer.Option("--problem", "-p", help="Problem id, e.g. cd3-00003.")]
ShowIndexOpt = Annotated[
    int | None, typer.Option("--index", "-i", min=0, help="Problem index (default: the first problem).")
]
ConfigOpt = Annotated[
    str | None, typer.Option("--config", "-c", help="Configuration label (or id), e.g. 'sc n=4'.")
]
ShowBudgetOpt = Annotated[str | None, typer.Option("--budget", "-b", help="Budget, e.g. ctx1k or 1k.")]
SeedOpt = Annotated[int | None, typer.Option(help="Seed, when the run had several.")]


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
    if fmt != "rich":
        sys.stdout.write(report.render(analysis.summarize(loaded.rows), fmt))
        return
    console = Console(width=170)
    for table in report.report_tables(loaded, samples=samples):
        console.print(table)


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
    votes: Annotated[
        bool,
        typer.Option(
            "--votes",
            help="Also draw maj@k for k = 1..n of every sampled configuration on the tokens panel, from "
            "the same samples (self-consistency's token curve, the paper's cons@n).",
        ),
    ] = False,
) -> None:
    """Accuracy-vs-budget curves: each strategy's best configuration within each budget, with its 95% band.

    A strategy that ran on several models gets one line per model (same colour, its own line style). The
    latency panel uses only latency-mode rows (one problem at a time) when the results hold any, and
    otherwise says that it shows batch latency; the other panels use batch rows where both exist. With
    --timeline (or --compare): a Gantt chart of one problem's threads, the critical path outlined.
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
    if votes and "tokens" not in kinds:
        raise UserError("--votes draws on the tokens panel: add --x tokens")
    curves = analysis.sample_curves(loaded.rows) if votes else None
    if votes and (curves is None or curves.empty):
        raise UserError("--votes: no configuration in these results kept two or more samples per problem")
    path = plot.save(summary, kinds, output or Path("results/accuracy-vs-budget.png"), latency, curves)
    err.print(f"wrote {path}")


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


def compare_cmd(
    results: ResultsArg,
    a: Annotated[
        str,
        typer.Option(
            "--a",
            "-a",
            help="Configuration A as the report names it, optionally at one budget: 'apr' or 'apr@4k'.",
        ),
    ],
    b: Annotated[
        str, typer.Option("--b", "-b", help="Configuration B, the same way: 'backtrack@2k', 'sc n=4'.")
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="rich (a table), markdown or json.")] = "rich",
) -> None:
    """A against B on the problems both ran: the paired difference in accuracy with its 95% bootstrap
    interval (problems resampled together), and how many problems only one side solves.

    Without a budget, each side is compared at every budget both ran; with one, at that budget (the other
    side at the same budget unless it names its own).
    """
    import dataclasses
    import json

    from rich.table import Table

    from reasonbench import analysis, paired

    if fmt not in ("rich", "markdown", "json"):
        raise UserError(f"unknown format {fmt!r}; choose from rich, markdown, json")
    side_a, side_b = paired.Side.parse(a), paired.Side.parse(b)  # before reading any results
    found = paired.compare(analysis.load(results).rows, side_a, side_b)
    if fmt == "json":
        sys.stdout.write(json.dumps([dataclasses.asdict(p) for p in found], indent=2) + "\n")
        return
    if fmt == "markdown":
        sys.stdout.write(paired.markdown(found))
        return
    rows = paired.table_rows(found)
    table = Table(title="A against B on the same problems")
    for column in rows[0]:
        table.add_column(column, justify="left" if column in ("A", "B") else "right")
    for row in rows:
        table.add_row(*row.values())
    (out if out.is_terminal else Console(width=150)).print(table)
