"""Model cards: the README.md shipped in each model directory, written from the training run itself.

    python -m reasonbench.train.card runs/train/countdown-sos-cd4 src/reasonbench/models/countdown-sos \\
        --results results/cpu-demo/countdown-sos

It records the recipe, the data, tokens seen, wall-clock, hardware, the learning curve (loss and val
accuracy against tokens seen, from ``train_log.jsonl``) and the accuracy measured with ``reasonbench run``.
A model trained on in a second run names the first with ``--after RUN_DIR`` (repeat, oldest first): its
card keeps every run's journal, with tokens counted over all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Sequence
from pathlib import Path


def _window_label(window: str | int) -> str:
    w = int(window)
    return f"{w // 1024}k" if w % 1024 == 0 else str(w)


def _documents(recipe: dict, problems: int = 20) -> str:
    """How the recipe's traces become documents, counted by the task itself on its first val problems (a
    trace that runs as several threads trains each engine call as its own document)."""
    from reasonbench.frozen import load_problems
    from reasonbench.tasks import get_task

    task = get_task(recipe["task"])
    sample = load_problems(recipe["task"], recipe["split"], problems)
    counts = [len(task.training_documents(p, recipe["trace"], seed=p.index)) for p in sample]
    if set(counts) == {1}:
        return "one trace each"
    return (
        "every thread's engine calls as documents of their own "
        f"({sum(counts) / len(counts):.1f} per problem on the first {len(counts)} val problems)"
    )


def _windows(log: list[dict]) -> list[int]:
    """The windows the run evaluated at, or the budgets a comparison uses when it evaluated none."""
    evaluated = {int(w) for r in log for w in r.get("eval", {}).get("by_window", {})}
    return sorted(evaluated) or [512, 1024, 2048, 4096]


def _curve(runs: list[tuple[str, list[dict]]]) -> str:
    """The journal: loss every few hundred steps, and at every evaluation its accuracy at each window.

    ``runs`` is the lineage, oldest first, as (recipe name, log): a model trained on in a second run
    keeps the first run's journal, with tokens counted over all runs and a column naming the run.
    """
    evals = [r["eval"] for _, log in runs for r in log if "eval" in r]
    windows = sorted({int(w) for ev in evals for w in ev.get("by_window", {})})
    acc_cols = [f"greedy @{_window_label(w)}" for w in windows] or ["val accuracy (greedy)"]
    lineage = len(runs) > 1
    tokens = "tokens seen" + " (all runs)" * lineage
    head = ["run"] * lineage + ["step", tokens, "loss", *acc_cols, "truncated"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * lineage + "---:|" * (len(head) - lineage)]
    before = 0.0
    for name, log in runs:
        marks = {r["step"] for r in log if "eval" in r}
        # About ten loss rows per run, at round steps.
        every = max(100, (log[-1]["step"] // 10) // 100 * 100) if log else 100
        for r in log:
            if r["step"] in marks or r["step"] % every == 0:
                ev = r.get("eval", {})
                if windows:
                    accs = [
                        f"{ev['by_window'][str(w)]:.1%}" if str(w) in ev.get("by_window", {}) else ""
                        for w in windows
                    ]
                else:
                    accs = [f"{ev['accuracy']:.1%}" if "accuracy" in ev else ""]
                trunc = f"{ev['truncated']}/{ev['n']}" if "truncated" in ev else ""
                cells = [f"`{name}`"] * lineage + [
                    str(r["step"]),
                    f"{(before + r['tokens_seen']) / 1e6:.1f}M",
                    f"{r['loss']:.4f}",
                    *accs,
                    trunc,
                ]
                rows.append("| " + " | ".join(cells) + " |")
        before += log[-1]["tokens_seen"] if log else 0.0
    return "\n".join(rows)


def _ceiling(recipe: dict, windows: list[int]) -> str:
    """The symbolic ceiling of the recipe's own traces on the val problems the evaluation uses."""
    from reasonbench.ceiling import measure_ceiling

    c = measure_ceiling(recipe["task"], recipe["split"], recipe["trace"], recipe["eval_problems"], windows)
    head = " | ".join(f"≤{_window_label(w)}" for w in windows)
    cells = " | ".join(f"{c.within[w]:.0%}" for w in windows)
    return (
        f"The search that wrote the `{recipe['trace']}` traces, run on the first {c.problems} val problems, "
        "solves this fraction inside each window: the accuracy a model that imitated it exactly would reach "
        "(a model trained on traces that reach the goal can exceed it). Largest thread context median "
        f"{c.context_median:,.0f} (p90 {c.context_p90:,.0f}); tokens decoded by all threads median "
        f"{c.decoded_median:,.0f}; critical path median {c.critical_path_median:,.0f}; "
        f"{c.threads_mean:.1f} threads on average.\n\n"
        f"| ceiling | {head} |\n|---|" + "---:|" * len(windows) + f"\n| `{recipe['trace']}` | {cells} |\n\n"
        f"Reproduce: `reasonbench tasks ceiling {recipe['task']} --split {recipe['split']} "
        f"--trace '{recipe['trace']}' -n {c.problems}`\n"
    )


_MOST_CHILDREN = 1000
"""Children counts above this in a row's info are not believed (the info is written by our runtime, but a
card must not print whatever a corrupt file holds)."""


def _children_per_spawn(rows) -> str:
    """For APR rows: the share of spawn blocks that asked for each number of children, and the mean, one
    column per configuration x budget; empty when no row spawned."""
    from collections import Counter

    apr = rows[rows["strategy"] == "apr"]
    columns: dict[str, Counter] = {}
    for (label, budget), g in apr.groupby(["config_label", "budget"], sort=False):
        counts: Counter = Counter()
        for text in g["info"]:
            try:
                asked = json.loads(text).get("children_per_spawn", []) if isinstance(text, str) else []
            except (ValueError, AttributeError):
                continue
            if isinstance(asked, list):
                counts.update(c for c in asked if type(c) is int and 0 <= c <= _MOST_CHILDREN)
        if counts:
            columns[f"{label} @ {budget}"] = counts
    if not columns:
        return ""
    sizes = sorted({c for counts in columns.values() for c in counts})
    lines = [
        "| children per spawn block | " + " | ".join(columns) + " |",
        "|---:|" + "---:|" * len(columns),
    ]
    for c in sizes:
        shares = (counts[c] / counts.total() for counts in columns.values())
        lines.append(f"| {c} | " + " | ".join(f"{x:.0%}" for x in shares) + " |")
    means = (sum(c * k for c, k in counts.items()) / counts.total() for counts in columns.values())
    lines.append("| mean | " + " | ".join(f"{m:.2f}" for m in means) + " |")
    blocks = (f"{counts.total():,}" for counts in columns.values())
    lines.append("| spawn blocks | " + " | ".join(blocks) + " |")
    return (
        "\nChildren each spawn block asked for (capped ones included), as a share of the spawn blocks of"
        " all problems:\n\n" + "\n".join(lines) + "\n"
    )


def _measured(results: Path) -> str:
    from reasonbench.analysis import load, summarize

    rows = load([results]).rows
    summary = summarize(rows)
    manifest = json.loads((results / "manifest.json").read_text())
    lines = [
        "| strategy | budget | problems | accuracy [95% CI] | mean tokens | mean max context | truncated |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in summary.itertuples(index=False):
        lines.append(
            f"| {r.config_label} | {r.budget} | {r.n} | {r.accuracy:.1%} [{r.ci_lo:.1%}, {r.ci_hi:.1%}] | "
            f"{r.tokens:,.0f} | {r.max_context:,.0f} | {r.truncated} |"
        )
    cmd = (
        f"reasonbench run --task {manifest['task']} --split {manifest['split']} --model {manifest['model']} "
        + " ".join(f"--strategy {s['name']}" for s in manifest["strategies"])
        + " "
        + " ".join(f"-b {b.removeprefix('ctx')}" for b in manifest["budgets"])
        + f" -n {manifest['n_problems']}"
    )
    # One command line cannot give two configurations of a strategy different knobs, so every
    # configuration is also spelled out with all of its parameters.
    configs = "\n".join(
        f"* `{s['label']}`: " + ", ".join(f"{k}={v}" for k, v in s["params"].items())
        for s in manifest["strategies"]
    )
    return (
        "\n".join(lines)
        + "\n"
        + _children_per_spawn(rows)
        + f"\nMeasured on the frozen `{manifest['split']}` val split with:\n\n    {cmd}\n"
        + f"\nconfigurations (every parameter; `-P key=value` or a sweep preset sets them):\n\n{configs}\n"
    )


def _journal(records: list[dict]) -> list[dict]:
    """A run's log as it stands: a run resumed from a checkpoint logs again from the step after it, so a
    step that goes back drops every record from that step on (the abandoned pass), kept or not yet
    overtaken."""
    log: list[dict] = []
    for r in records:
        while log and log[-1]["step"] >= r["step"]:
            log.pop()
        log.append(r)
    return log


def _read_run(run_dir: Path) -> tuple[dict, list[dict]]:
    """A training run's recipe and its journal (:func:`_journal`)."""
    recipe = json.loads((run_dir / "recipe.json").read_text())
    log = [json.loads(x) for x in (run_dir / "train_log.jsonl").read_text().splitlines() if x]
    return recipe, _journal(log)


def write_card(
    run_dir: Path,
    model_dir: Path,
    results: Path | None = None,
    notes: str = "",
    retrain: str = "",
    earlier: Sequence[Path] = (),
) -> Path:
    """Write ``model_dir/README.md`` from the training run in ``run_dir``.

    ``retrain`` replaces the one-command retrain line when the run was extended past its recipe.
    ``earlier`` are the runs this one trained on from, oldest first: their journals come first in the
    learning curve, and tokens, steps and wall-clock count every run.
    """
    run_dirs = [*earlier, run_dir]
    lineage = [_read_run(d) for d in run_dirs]
    recipe, log = lineage[-1]
    # A run is named by its recipe, unless one recipe (rewritten in between) trained two runs of the
    # lineage: then each run goes by its directory, or the card would name one run for two.
    recipe_names = [r["name"] for r, _ in lineage]
    distinct = len(set(recipe_names)) == len(recipe_names)
    run_names = recipe_names if distinct else [d.name for d in run_dirs]
    finals = [run_log[-1] for _, run_log in lineage if run_log]
    steps = " + ".join(f"{f['step']:,}" for f in finals)
    tokens = sum(f["tokens_seen"] for f in finals)
    minutes = sum(f["elapsed_s"] for f in finals) / 60
    recipes = (("recipes " if distinct else "runs ") if len(lineage) > 1 else "recipe ") + " then ".join(
        f"`{n}`" for n in run_names
    )
    # Data, window and optimiser are the last recipe's; steps, tokens and time count every run.
    last_run = f" (`{recipe['name']}`)" if len(lineage) > 1 else ""
    compute = _compute([r for _, run_log in lineage for r in run_log])
    params = json.loads((model_dir / "config.json").read_text())
    size = sum(f.stat().st_size for f in model_dir.iterdir() if f.is_file())
    data = (
        f"{recipe['n_problems']:,} distinct `{recipe['split']}` problems drawn with seed "
        f"`{recipe['data_seed']}` (frozen val problems excluded), {_documents(recipe)}"
    )
    optim = (
        f"AdamW, lr {recipe['lr']} → {recipe['min_lr']} (warmup {recipe['warmup_steps']}, cosine), "
        f"batch {recipe['batch_size']} x {recipe['seq_len']}"
    )
    init = lineage[0][0].get("init_from") or ""
    # A training run's export is ``<run>/model``: the run, named by its recipe, names the weights.
    if not init:
        origin = "from scratch"
    elif Path(init).name == "model":
        origin = f"from the weights the `{Path(init).parent.name}` recipe trained"
    else:
        origin = f"from the weights of `{Path(init).name}`"
    # A shipped model is named by its directory (``countdown-apr``), which may differ from the recipe that
    # trained it (``countdown-apr-cd4``); a run's own export (``<run>/model``) goes by the recipe's name.
    name = recipe["name"] if model_dir.name == "model" else model_dir.name
    text = f"""# {name}

A {recipe["layers"]}-layer, {recipe["width"]}-wide Llama ({params.get("vocab_size")}-token trace tokenizer)
trained {origin} by reasonbench's {recipes} on its own `{recipe["trace"]}` search traces
of `{recipe["task"]}` split `{recipe["split"]}`. bf16 safetensors, {size / 1e6:.1f} MB.
Loads in vLLM and transformers.

{retrain or f"Retrain with one command: `reasonbench train --recipe {recipe['name']}`."}

## Training

| | |
|---|---|
| data{last_run} | {data} |
| window{last_run} | {recipe["seq_len"]} tokens, windows start at a trace's `<s>` |
| optimiser{last_run} | {optim} |
| steps | {steps} |
| tokens seen | {tokens / 1e6:.1f}M |
| wall-clock | {minutes:.0f} min of training steps (evaluations excluded) |
| hardware | {os.cpu_count()} CPU cores ({platform.machine()}), no GPU, {compute} |

{notes}
## Learning curve

{_curve([(n, run_log) for n, (_, run_log) in zip(run_names, lineage, strict=True)])}

## Accuracy
"""
    text += _measured(results) if results is not None else "\n(Not measured yet.)\n"
    text += "\n## Symbolic ceiling\n\n" + _ceiling(recipe, _windows(log))
    path = model_dir / "README.md"
    path.write_text(text)
    return path


def _compute(log: list[dict]) -> str:
    """How the steps computed: bf16 autocast or float32, in the order they ran (a run resumed on other
    hardware may have changed)."""
    words = {"bfloat16": "bf16 autocast", "off": "float32"}
    # Logs written before the trainer chose per machine autocast every step.
    modes = dict.fromkeys(words.get(r.get("autocast", "bfloat16"), "?") for r in log if "loss" in r)
    return " then ".join(modes) or "bf16 autocast"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("--results", type=Path, default=None)
    ap.add_argument("--notes", default="", help="what happened during this run (a paragraph of Markdown)")
    ap.add_argument("--retrain", default="", help="how to retrain, when it takes more than the recipe")
    ap.add_argument(
        "--after",
        type=Path,
        action="append",
        default=[],
        help="a run this one trained on from (repeat, oldest first): its journal comes first",
    )
    a = ap.parse_args()
    notes = a.notes + "\n" if a.notes else ""
    print(write_card(a.run_dir, a.model_dir, a.results, notes, a.retrain, a.after))


if __name__ == "__main__":
    main()
