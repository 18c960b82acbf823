"""`reasonbench report`: the per-group table as rich, markdown, CSV or JSON (the last three parse back)."""

from __future__ import annotations

import io
import json

import pandas as pd
from rich.table import Table

from reasonbench import analysis
from reasonbench.analysis import config_name, in_flight_label

COLUMNS = [
    "task",
    "split",
    "model",
    "strategy",
    "config_label",
    "budget",
    "mode",
    "n",
    "accuracy",
    "ci_lo",
    "ci_hi",
    "tokens",
    "max_context",
    "critical_path",
    "latency_s",
    "threads",
    "truncated",
    "errors",
    "in_flight",
]
FORMATS = ("rich", "markdown", "csv", "json")


def _acc(r) -> str:
    return f"{r.accuracy:.1%} [{r.ci_lo:.1%}, {r.ci_hi:.1%}]"


def both_modes(summary: pd.DataFrame) -> bool:
    """Whether ``summary`` holds latency-mode and batch groups, so that tables must say which is which."""
    return "mode" in summary and summary["mode"].nunique() > 1


def rich_tables(summary: pd.DataFrame) -> list[Table]:
    """One table per task/split: configuration x budget -> accuracy [95% CI] and mean usage."""
    tables = []
    modes = both_modes(summary)
    for (task, split), g in summary.groupby(["task", "split"], sort=False):
        models = ", ".join(sorted(g["model"].unique()))
        t = Table(title=f"{task} / {split}  ({models})")
        left = ("configuration", "budget", "mode") if modes else ("configuration", "budget")
        for col in (*left, "n", "accuracy [95% CI]", "tokens", "max ctx", "crit. path"):
            t.add_column(col, justify="left" if col in left else "right")
        for col in ("latency s", "measured", "threads"):
            t.add_column(col, justify="right")
        for r in g.itertuples(index=False):
            t.add_row(
                config_name(r),
                r.budget,
                *([r.mode] if modes else []),
                str(r.n),
                _acc(r),
                f"{r.tokens:,.0f}",
                f"{r.max_context:,.0f}",
                f"{r.critical_path:,.0f}",
                f"{r.latency_s:.2f}",
                in_flight_label(r.in_flight),
                f"{r.threads:.1f}",
            )
        tables.append(t)
    return tables


def samples_table(curves: pd.DataFrame) -> Table:
    """maj@k, pass@k and best-of-k per configuration x budget x k (:func:`analysis.sample_curves`)."""
    table = Table(title="from the same samples (mean over problems)")
    for col in ("configuration", "budget", "k", "maj@k", "pass@k", "best-of-k (score)"):
        table.add_column(col, justify="left" if col in ("configuration", "budget") else "right")
    for r in curves.itertuples(index=False):
        table.add_row(
            config_name(r),
            r.budget,
            str(r.k),
            f"{r.maj_at_k:.1%}",
            f"{r.pass_at_k:.1%}",
            f"{r.best_of_k:.1%}",
        )
    return table


def report_tables(results: analysis.Results, samples: bool = True) -> list[Table]:
    """What ``reasonbench report`` shows (and a run or sweep prints when it ends): the tables of
    :func:`rich_tables`, then, with ``samples``, the sample curves of multi-sample strategies."""
    tables = rich_tables(analysis.summarize(results.rows))
    curves = analysis.sample_curves(results.rows) if samples else None
    if curves is not None and not curves.empty:
        tables.append(samples_table(curves))
    return tables


def markdown(summary: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table with one row per group (numbers kept machine-readable); a
    ``mode`` column after the budget when latency-mode and batch groups are both present."""
    modes = both_modes(summary)
    head = ["task", "split", "model", "configuration", "budget", *(["mode"] if modes else [])]
    head += ["n", "accuracy", "ci_lo", "ci_hi"]
    head += ["tokens", "max_context", "critical_path", "latency_s", "threads", "in_flight"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in summary.itertuples(index=False):
        cells = [r.task, r.split, r.model, r.config_label, r.budget, *([r.mode] if modes else []), str(r.n)]
        cells += [f"{v:.4f}" for v in (r.accuracy, r.ci_lo, r.ci_hi)]
        cells += [f"{v:.1f}" for v in (r.tokens, r.max_context, r.critical_path)]
        cells += [f"{r.latency_s:.3f}", f"{r.threads:.2f}", f"{r.in_flight:g}"]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def parse_markdown(text: str) -> pd.DataFrame:
    """Read back a table written by :func:`markdown`."""
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]
    head, body = rows[0], rows[2:]
    df = pd.DataFrame(body, columns=head)
    for col in head[head.index("n") :]:
        df[col] = pd.to_numeric(df[col])
    return df


def render(summary: pd.DataFrame, fmt: str) -> str:
    """``summary`` as text in ``fmt`` (markdown, csv or json)."""
    data = summary[COLUMNS]
    if fmt == "markdown":
        return markdown(summary)
    if fmt == "csv":
        buf = io.StringIO()
        data.to_csv(buf, index=False)
        return buf.getvalue()
    if fmt == "json":
        return json.dumps(data.to_dict(orient="records"), indent=1, default=float) + "\n"
    raise ValueError(f"unknown format {fmt!r}")
