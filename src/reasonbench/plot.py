"""`reasonbench plot`: accuracy against measured budget, one frontier line per strategy with its 95% band.

Each panel is one budget kind (tokens, context, critical path, latency) on a log2 axis; a line joins the
points of a strategy's budget frontier (its best configuration within each budget), the band spans their
bootstrap intervals. A strategy that ran on several models has one line per model (``sc · countdown-sos``):
the colour says the strategy, the line style and marker the model. The latency panel shows latency-mode rows
when there are any; the others show batch rows wherever a configuration was run both ways. With votes
(``--votes``) the tokens panel also draws each sampled configuration's maj@k against what k of its samples
cost. The file type follows the extension of ``-o`` (PNG, SVG or PDF).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from reasonbench.analysis import GROUP, USAGE, batch_first, frontiers, latency_view
from reasonbench.errors import UserError

SUFFIXES = (".png", ".svg", ".pdf")
# A fixed colour per built-in strategy, so figures from different runs read alike.
COLOURS = {
    "cot": "C0",
    "backtrack": "C1",
    "sc": "C2",
    "bon": "C3",
    "apr": "C4",
    "ffs": "C5",
    "short-m": "C6",
    "esc": "C7",
    "deepconf": "C8",
    "delethink": "C9",
}
# (line style, marker) per model of a figure, in the order of the models' names.
STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v"), ((0, (1, 3)), "P")]


def model_styles(summary: pd.DataFrame) -> dict[str, tuple]:
    """The (line style, marker) of each model in ``summary``; a figure of one model draws solid lines with
    round markers. Styles repeat after the sixth model."""
    return {m: STYLES[i % len(STYLES)] for i, m in enumerate(sorted(summary["model"].unique()))}


def title(summary: pd.DataFrame) -> str:
    """``model(s) · task / split · n=...`` for the figure."""
    models = ", ".join(sorted(summary["model"].unique()))
    tasks = ", ".join(f"{t} / {s}" for t, s in summary[["task", "split"]].drop_duplicates().itertuples(False))
    ns = sorted(summary["n"].unique())
    n = str(ns[0]) if len(ns) == 1 else f"{ns[0]}-{ns[-1]}"
    return f"{models} · {tasks} · n={n} per point"


def figure(
    summary: pd.DataFrame,
    kinds: list[str],
    latency: tuple[pd.DataFrame, str] | None = None,
    votes: pd.DataFrame | None = None,
):
    """A matplotlib figure with one panel per budget kind in ``kinds``. The latency panel draws
    ``latency`` — the summary of the rows it should use and how they were measured (see
    :func:`~reasonbench.analysis.latency_view`) — when given, and says how latency was measured. The
    tokens panel also draws ``votes`` (:func:`~reasonbench.analysis.sample_curves`) when given: each
    sampled configuration's maj@k for k = 1..n against what k of its samples cost, the curve along which
    self-consistency spends tokens (the paper's cons@n)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on CI runners
    import matplotlib.pyplot as plt

    for kind in kinds:
        if kind not in USAGE:
            raise UserError(f"unknown budget kind {kind!r}; choose from {', '.join(USAGE)}")
    fig, axes = plt.subplots(1, len(kinds), figsize=(4.6 * len(kinds), 4.2), squeeze=False)
    styles = model_styles(summary)
    for ax, kind in zip(axes[0], kinds, strict=True):
        data, xlabel = batch_first(summary), USAGE[kind][1]
        if kind == "latency":
            data, how = latency if latency is not None else latency_view(summary)
            xlabel += f", {how}" if how else ""
        owners = {r.line: (r.strategy, r.model) for r in data.itertuples(index=False)}
        for name, line in sorted(frontiers(data, kind).items()):
            if not line:
                continue
            xs = [max(p.usage, 1e-3) for p in line]
            strategy, model = owners[name]
            colour = COLOURS.get(strategy)
            dash, marker = styles.get(model, STYLES[0])
            ax.plot(xs, [p.accuracy for p in line], marker=marker, linestyle=dash, label=name, color=colour)
            ax.fill_between(xs, [p.lo for p in line], [p.hi for p in line], alpha=0.18, color=colour)
            # Whiskers too, so a strategy with a single frontier point still shows its interval.
            ys = [p.accuracy for p in line]
            yerr = [[p.accuracy - p.lo for p in line], [p.hi - p.accuracy for p in line]]
            ax.errorbar(xs, ys, yerr=yerr, fmt="none", ecolor=colour, alpha=0.6, capsize=2)
        if kind == "tokens" and votes is not None and not votes.empty:
            _draw_votes(ax, batch_first(votes), styles)
        ax.set_xscale("log", base=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    fig.suptitle(title(summary), fontsize=10)
    fig.tight_layout()
    return fig


def _draw_votes(ax: Any, votes: pd.DataFrame, styles: dict[str, tuple]) -> None:
    """One thin dotted maj@k curve per sampled configuration and budget, in its strategy's colour. Only
    the k that every problem of the group reached are drawn (a draw cut short by a budget has fewer
    samples), so each point averages the same problems."""
    for _, g in votes.groupby(GROUP, sort=True, dropna=False):
        g = g.sort_values("k")
        g = g[g["problems"] == g["problems"].iloc[0]]
        line, label, budget = g["line"].iloc[0], g["config_label"].iloc[0], g["budget"].iloc[0]
        strategy, model = g["strategy"].iloc[0], g["model"].iloc[0]
        ks = f"k=1..{int(g['k'].max())}"
        ax.plot(
            g["tokens"].clip(lower=1e-3),
            g["maj_at_k"],
            marker=styles.get(model, STYLES[0])[1],
            markersize=3,
            linestyle=":",
            linewidth=1,
            color=COLOURS.get(strategy),
            label=f"{line} maj@k ({label} @ {budget}, {ks})",
        )


def save(
    summary: pd.DataFrame,
    kinds: list[str],
    path: Path,
    latency: tuple[pd.DataFrame, str] | None = None,
    votes: pd.DataFrame | None = None,
) -> Path:
    """Draw and write the figure (``latency`` and ``votes`` as in :func:`figure`); the extension picks
    the format."""
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(f"cannot write {path.name}: use one of {', '.join(SUFFIXES)}")
    import matplotlib.pyplot as plt

    fig = figure(summary, kinds, latency, votes)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
