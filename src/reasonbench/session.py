"""A session runs an experiment from start to end: checks once → open engine → warm up → run → close →
summary.

``reasonbench run`` and ``reasonbench sweep`` are this one call (:func:`run`); so is library code:

    from reasonbench.experiment import Experiment, StrategyGrid
    from reasonbench import session
    session.run(Experiment((StrategyGrid("cot"),), split="cd3", n_problems=20), Path("runs/cot"))

An experiment whose strategies run on several models is one run (one engine) per model, each into its own
directory ``OUT/<model>``; with one model the rows go to ``OUT`` itself. The checks happen before any
engine opens: every model is resolved first (a bad ``--model`` is a one-line error before anything else),
and each run claims its directory (refused when it holds another configuration) and reads the problems and
the rows already there. A run with nothing left to do opens no engine. The engine's and libraries' logs go
to ``OUT/reasonbench.log`` (on screen too with ``verbose``).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path

from rich.console import Console

from reasonbench.errors import UserError
from reasonbench.experiment import Experiment, build
from reasonbench.runner import Pending, RunConfig, execute, prepare


def directories(configs: list[RunConfig], root: Path) -> list[Path]:
    """Where each run's rows go: ``root`` for a single run, else ``root/<model>`` per run, the model named
    by its directory's name; two models of one name (``a/model``, ``b/model``) get the hash of their
    path after it, so that neither run resumes in the other's directory."""
    if len(configs) == 1:
        return [root]
    names = [Path(c.model).name for c in configs]
    return [
        root / (n if names.count(n) == 1 else f"{n}-{hashlib.sha256(c.model.encode()).hexdigest()[:8]}")
        for n, c in zip(names, configs, strict=True)
    ]


def run(
    experiment: Experiment,
    out: Path | None = None,
    *,
    verbose: bool = False,
    console: Console | None = None,
) -> list[Path]:
    """Run ``experiment`` into ``out`` (default: :meth:`Experiment.default_out`), print ``report``'s
    tables of what it holds, and return the results directories.

    Progress and messages go to ``console`` (default: stderr). Interrupted, a run keeps the rows written
    so far; running again resumes.
    """
    from reasonbench import analysis, report
    from reasonbench.engine.models import model_name, resolve_model

    console = console or Console(stderr=True, soft_wrap=True)
    configs = build(experiment)
    dirs = directories(configs, out or experiment.default_out())
    # Resolved once, all of them before the first engine opens; the engine loads the resolved directory.
    models = [resolve_model(c.model) if c.backend == "vllm" else None for c in configs]
    for config, target, model in zip(configs, dirs, models, strict=True):
        if len(configs) > 1:
            labels = ", ".join(s.label for s in config.strategies)
            console.print(f"[bold]{labels}[/] on {config.model} -> {target}")
        pending = prepare(config, target, model_name(config.model))
        if pending.n_done:
            console.print(f"resuming {target}: {pending.n_done} of {pending.total} rows already there")
        if pending.n_done >= pending.total:
            pending.writer.compact()  # finishes a compaction that a kill interrupted
            continue
        _run_one(pending, model, verbose, console)
    summary = console if console.is_terminal else Console(file=console.file, width=170)
    try:
        results = analysis.load(dirs)
    except UserError:  # a directory without rows
        console.print("no rows")
        return dirs
    for table in report.report_tables(results, samples=False):
        summary.print(table)
    return dirs


def _run_one(pending: Pending, model: Path | None, verbose: bool, console: Console) -> None:
    """Open the engine, warm it up, run the jobs left with a progress bar, close the engine."""
    from reasonbench.engine import open_engine
    from reasonbench.engine.models import model_name
    from reasonbench.logs import LOG_FILE, logs_to, output_to

    config = pending.config
    log = pending.out / LOG_FILE
    console.print(f"opening {config.backend} engine on {config.model} ... (logs: {log})")
    with logs_to(log, verbose, console=console):
        with output_to(log, enabled=not verbose):
            options = dict(config.engine_options)
            if model is not None:
                options["name"] = model_name(config.model)
                if config.concurrency == 1:
                    # Latency mode: the timeline's first-token stamps come from vLLM's per-step statistics.
                    options.setdefault("timing_stats", True)
            engine = open_engine(config.backend, model if model is not None else config.model, **options)

        async def main() -> None:
            try:
                if hasattr(engine, "warmup"):
                    with output_to(log, enabled=not verbose):
                        await engine.warmup()
                await _with_progress(engine, pending, console)
            finally:
                await engine.close()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            console.print(
                f"interrupted: the rows written so far are kept in {pending.out}; run again to resume"
            )
            raise


async def _with_progress(engine, pending: Pending, console: Console) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    rows = correct = tokens = 0
    t0 = time.monotonic()
    # Two refreshes a second: each one holds the GIL the engine's thread needs.
    with Progress(*columns, console=console, refresh_per_second=2) as progress:
        name = Path(pending.config.model).name
        bar = progress.add_task(name, total=pending.total, completed=pending.n_done, info="")

        def on_row(row: dict) -> None:
            nonlocal rows, correct, tokens
            rows, correct, tokens = rows + 1, correct + row["correct"], tokens + row["decoded_tokens"]
            rate = tokens / max(1e-9, time.monotonic() - t0)
            progress.update(bar, advance=1, info=f"acc {correct / rows:.1%}  {rate:,.0f} tok/s")

        await execute(engine, pending, on_row=on_row)
