"""From result rows to the numbers `report`, `plot` and `regress` show.

One group per (task, split, model, strategy configuration, budget, mode): accuracy with its bootstrap
interval and the mean measured usage of every budget kind. Budget curves are frontiers over those groups
(``stats``), one line per strategy, or per strategy and model when a strategy ran on several models (sc on
the direct model and on the serial search model are two lines).

Two columns are derived from the rows when they are loaded: ``mode`` (``latency`` for the rows of a run of
one problem at a time, ``--latency-mode``, else ``batch``), which keeps a latency-mode run apart from a batch
run of the same configuration, and ``line`` (``sc``, or ``sc · countdown-sos`` when sc ran on several models).
A run's mode is read from its manifest (its concurrency); rows whose manifest predates it are ``latency``
when they were solved with no other problem in flight.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reasonbench import stats
from reasonbench.errors import UserError
from reasonbench.results import BATCH, LATENCY, MANIFEST, read_rows, results_dirs, run_mode

# Budget kinds: CLI name -> (row column holding the measured usage, axis label).
USAGE: dict[str, tuple[str, str]] = {
    "tokens": ("tokens", "tokens per problem (decoded + uncached prompt)"),
    "context": ("max_context", "largest thread context (tokens)"),
    "critical-path": ("critical_path", "critical-path tokens"),
    "latency": ("latency_s", "wall-clock per problem (s)"),
}
GROUP = ["task", "split", "model", "strategy", "config_id", "config_label", "budget", "mode"]


@dataclass(frozen=True)
class Results:
    """The rows of one or more result directories and their manifests."""

    rows: pd.DataFrame
    manifests: list[dict[str, Any]]


def expand(paths: list[Path]) -> list[Path]:
    """Results directories named by ``paths``: each one itself, or (a multi-model sweep) its
    subdirectories that are results directories."""
    return [d for path in paths for d in results_dirs(path)]


def load(paths: list[Path]) -> Results:
    """Rows of every results directory in ``paths`` (see :func:`expand`); one that holds none is a
    one-line error."""
    frames, manifests = [], []
    for path in expand(paths):
        if not path.is_dir() or not (path / MANIFEST).exists():
            raise UserError(f"{path} is not a results directory (no {MANIFEST})")
        manifest = json.loads((path / MANIFEST).read_text())
        manifests.append(manifest)
        df = read_rows(path)
        if df.empty:
            raise UserError(f"{path} holds no result rows yet")
        frames.append(_with_in_flight(df, manifest).assign(mode=run_mode(manifest.get("concurrency"))))
    return Results(annotate(pd.concat(frames, ignore_index=True)), manifests)


def _with_in_flight(df: pd.DataFrame, manifest: dict[str, Any]) -> pd.DataFrame:
    """Rows written before ``in_flight`` was recorded get the run's concurrency (at most its row count):
    the most problems that can have shared the engine."""
    concurrency = manifest.get("concurrency")
    known = _in_flight(df)
    if run_mode(concurrency) is not None:
        known = known.fillna(min(concurrency, len(df)))
    return df.assign(in_flight=known)


def annotate(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the derived ``mode`` and ``line`` columns (see the module docstring). ``line`` depends
    on all of ``rows``: annotate everything that is analysed together, once."""
    several = rows.groupby("strategy")["model"].transform("nunique") > 1
    line = rows["strategy"].where(~several, rows["strategy"] + " · " + rows["model"])
    return rows.assign(mode=_modes(rows), line=line.astype(object))


def _modes(rows: pd.DataFrame) -> pd.Series:
    """Each row's mode: its run's (the ``mode`` column :func:`load` sets from the manifest) where known,
    else ``latency`` for a row solved with no other problem in flight and ``batch`` otherwise.

    The run's own setting comes first because one row's ``in_flight`` can be 1 in a batch run too: the
    last job of a resumed run may happen to run alone.
    """
    in_flight = _in_flight(rows)
    # A row whose in_flight is unknown (or not a width) counts as batch.
    by_row = in_flight.map(lambda n: BATCH if pd.isna(n) else run_mode(int(n)) or BATCH).astype(object)
    if "mode" not in rows:
        return by_row
    return rows["mode"].where(rows["mode"].notna(), by_row).astype(object)


def _in_flight(rows: pd.DataFrame) -> pd.Series:
    return rows["in_flight"] if "in_flight" in rows else pd.Series(float("nan"), index=rows.index)


def _annotated(rows: pd.DataFrame) -> pd.DataFrame:
    return rows if {"mode", "line"} <= set(rows.columns) else annotate(rows)


def config_name(r: Any) -> str:
    """How tables name the configuration of a row (of rows or of a summary): its label, followed by its
    model when its strategy ran on several models."""
    return r.config_label if r.line == r.strategy else f"{r.config_label} · {r.model}"


def config_rows(rows: pd.DataFrame, config: str) -> pd.DataFrame:
    """The rows of the configuration ``config`` names: as the tables name it (:func:`config_name`), by its
    label or by its id; none is a one-line error naming the configurations there are."""
    names = rows.apply(config_name, axis=1) if len(rows) else pd.Series(dtype=object)
    picked = rows[(names == config) | (rows["config_label"] == config) | (rows["config_id"] == config)]
    if picked.empty:
        choices = ", ".join(sorted(set(names), key=str))
        raise UserError(f"no configuration {config!r}; choose from: {choices}")
    return picked


def budget_label(rows: pd.DataFrame, budget: str) -> str:
    """The budget label that ``budget`` names among ``rows``: itself, or its canonical form (``1k`` names
    ``ctx1k``); none is a one-line error naming the budgets there are."""
    from reasonbench.budget import Budget

    present = set(rows["budget"])
    if budget in present:
        return budget
    with contextlib.suppress(UserError):  # not a budget at all: nothing matches, said below
        if (label := Budget.parse(budget).label) in present:
            return label
    raise UserError(f"no budget {budget!r}; choose from: {', '.join(sorted(present, key=str))}")


def batch_first(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows or a summary) without the latency-mode rows of any group that batch rows measure too.

    A latency-mode run repeats a batch run's problems only to time them alone: accuracy and the usage that
    does not depend on the hardware are read once, from the batch rows, so no problem counts twice.
    """
    frame = _annotated(frame)
    key = [c for c in GROUP if c != "mode"]
    batch = frame["mode"] == BATCH
    measured = batch.groupby([frame[c] for c in key], dropna=False).transform("any")
    return frame[batch | ~measured]


def in_flight_label(in_flight: Any) -> str:
    """How a latency was measured: ``one at a time``, ``N in flight``, or ``in flight unknown``."""
    if in_flight is None or (isinstance(in_flight, float) and math.isnan(in_flight)):
        return "in flight unknown"
    n = int(in_flight)
    return "one at a time" if n == 1 else f"{n} in flight"


def latency_view(rows: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The rows a latency axis should use, and how their latency was measured: only the latency-mode rows
    (one problem at a time; their ``mode``) when there are any, else every row, labelled as batch latency."""
    alone = _modes(rows) == LATENCY
    if alone.any():
        return rows[alone], "one at a time"
    # Each line was measured at its own width (a model's engine runs its strategies' jobs together), so
    # the label spans the groups' widths rather than naming the widest, as the report's rows do.
    key = [c for c in GROUP if c in rows.columns]
    in_flight = _in_flight(rows)
    widths = in_flight.groupby([rows[c] for c in key], dropna=False).max() if key else in_flight.agg(["max"])
    lo, hi = widths.min(), widths.max()
    if widths.isna().all() or lo == hi:
        return rows, f"batch: {in_flight_label(hi)}"
    return rows, f"batch: {int(lo)}-{int(hi)} in flight"


def summarize(rows: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """One row per group: n, correct, accuracy, 95% bootstrap interval, mean usage of every kind, threads
    (and the group's ``line``)."""
    rows = _annotated(rows)
    out = []
    for key, g in rows.groupby(GROUP, sort=False, dropna=False):
        lo, hi = stats.bootstrap_ci(g["correct"].astype(float).to_numpy(), seed=seed)
        rec = dict(zip(GROUP, key, strict=True))
        rec.update(
            line=g["line"].iloc[0],
            n=len(g),
            correct=int(g["correct"].sum()),
            accuracy=float(g["correct"].mean()),
            ci_lo=lo,
            ci_hi=hi,
            tokens=float(g["tokens"].mean()),
            max_context=float(g["max_context"].mean()),
            critical_path=float(g["critical_path"].mean()),
            latency_s=float(g["latency_s"].mean()),
            threads=float(g["threads"].mean()),
            in_flight=float(_in_flight(g).max()),
            budget_context=g["budget_context"].iloc[0],
            budget_tokens=g["budget_tokens"].iloc[0],
            budget_latency_s=g["budget_latency_s"].iloc[0],
            truncated=int(g["finish"].isin(["truncated", "budget"]).sum()),
            errors=int((g["finish"] == "error").sum()),
        )
        out.append(rec)
    table = pd.DataFrame(out)
    if table.empty:
        return table
    # Budgets in increasing size; an unlimited kind sorts after every limited one.
    limits = ["budget_context", "budget_tokens", "budget_latency_s"]
    return table.sort_values(
        ["task", "split", "strategy", "model", "config_label", *limits, "mode"],
        kind="stable",
        na_position="last",
    ).reset_index(drop=True)


def points(summary: pd.DataFrame, kind: str) -> dict[str, list[stats.Point]]:
    """Every group as a point (mean measured usage of ``kind``, accuracy), by line (strategy, or strategy and
    model: see the module docstring)."""
    if kind not in USAGE:
        raise UserError(f"unknown budget kind {kind!r}; choose from {', '.join(USAGE)}")
    column = USAGE[kind][0]
    by: dict[str, list[stats.Point]] = {}
    for r in summary.itertuples(index=False):
        usage = float(getattr(r, column))
        label = f"{r.config_label} @ {r.budget}"
        p = stats.Point(usage, r.accuracy, r.ci_lo, r.ci_hi, label=label, n=r.n)
        by.setdefault(r.line, []).append(p)
    return by


def frontiers(summary: pd.DataFrame, kind: str) -> dict[str, list[stats.Point]]:
    """Each line's budget frontier over its configurations and budgets, for budget kind ``kind``."""
    return {s: stats.frontier(ps) for s, ps in points(summary, kind).items()}


def sample_curves(rows: pd.DataFrame) -> pd.DataFrame:
    """maj@k, pass@k and best-of-k (by score) for every k <= n, from multi-sample rows' candidates.

    One row per (group, k) with the mean over problems; empty when no row kept candidates. ``tokens`` is
    what k of the n samples would cost: the row's prompt tokens (its measured tokens less its decoded
    ones, charged once as for one request of n; a draw in several waves paid its prompt once a wave) plus
    k/n of its decoded tokens, so a maj@k curve can be drawn on the token axis, its k = n point at the
    row's own tokens. ``problems`` counts the rows with at least k samples.
    """
    rows = _annotated(rows)
    out = []
    for key, g in rows.groupby(GROUP, sort=False, dropna=False):
        per_k: dict[int, list[tuple[float, float, float, float]]] = {}
        prompts = g["tokens"] - g["decoded_tokens"]
        for text, decoded, prompt in zip(g["candidates"], g["decoded_tokens"], prompts, strict=True):
            cands = json.loads(text) if isinstance(text, str) and text else []
            if len(cands) < 2:
                continue
            answers = [c.get("normalized") for c in cands]
            correct = [bool(c.get("correct")) for c in cands]
            scores = [c.get("score") for c in cands]
            scores = [-math.inf if s is None or math.isnan(s) else float(s) for s in scores]
            n = len(cands)
            for k in range(1, n + 1):
                per_k.setdefault(k, []).append(
                    (
                        stats.maj_at_k(answers, correct, k),
                        stats.pass_at_k(n, sum(correct), k),
                        stats.best_of_k(scores, correct, k),
                        float(prompt) + float(decoded) * k / n,
                    )
                )
        for k, vals in sorted(per_k.items()):
            rec = dict(zip(GROUP, key, strict=True))
            rec.update(
                line=g["line"].iloc[0],
                k=k,
                problems=len(vals),
                maj_at_k=sum(v[0] for v in vals) / len(vals),
                pass_at_k=sum(v[1] for v in vals) / len(vals),
                best_of_k=sum(v[2] for v in vals) / len(vals),
                tokens=sum(v[3] for v in vals) / len(vals),
            )
            out.append(rec)
    return pd.DataFrame(out)
