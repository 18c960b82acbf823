"""``reasonbench train``: train a tiny search model on our own traces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reasonbench.cli.console import err


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
