"""`reasonbench regress`: did a run lose accuracy against a committed baseline?

The runs must share task, split, models and configuration (the same strategy configurations on the same
models, and budgets); otherwise the comparison is refused. A configuration run on two models (sc on the
direct and on the serial search model) is two comparisons, and where a run holds both a batch and a
latency-mode pass of a configuration only the batch rows count (the same problems, timed alone). Per
model x configuration x budget, a drop counts as a regression when it is
larger than the tolerance *and* a one-sided two-proportion test finds it significant, so noise on a small
CPU sweep does not fail CI, and a real drop on a GPU-sized run does.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reasonbench import stats
from reasonbench.analysis import Results, batch_first, config_name
from reasonbench.errors import UserError

KEY = ["task", "split", "model", "config_id", "config_label", "budget"]


@dataclass(frozen=True)
class Line:
    """One configuration x budget compared."""

    config: str
    """The configuration's label, followed by its model when its strategy ran on several."""
    budget: str
    comparison: stats.Comparison
    regressed: bool


def _shape(results: Results) -> tuple[set, set, set, set]:
    rows = results.rows
    return (
        set(map(tuple, rows[["task", "split"]].drop_duplicates().to_numpy())),
        set(rows["model"].unique()),
        set(rows["config_id"].unique()),
        set(rows["budget"].unique()),
    )


def compare(baseline: Results, candidate: Results, tolerance: float, alpha: float) -> list[Line]:
    """Every shared model x configuration x budget, baseline vs candidate; refuses runs of different
    shape."""
    (bt, bm, bc, bb), (ct, cm, cc, cb) = _shape(baseline), _shape(candidate)
    if bt != ct:
        raise UserError(f"runs differ in task/split: baseline {sorted(bt)} vs {sorted(ct)}")
    if bm != cm:
        raise UserError(f"runs differ in models: baseline {sorted(bm)} vs candidate {sorted(cm)}")
    if bc != cc:
        raise UserError(f"runs differ in configuration: only in one of them: {sorted(bc ^ cc)}")
    if bb != cb:
        raise UserError(f"runs differ in budgets: only in one of them: {sorted(bb ^ cb)}")

    def counts(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.groupby(KEY, sort=True)["correct"].agg(["sum", "count"])

    base_rows = batch_first(baseline.rows)
    base, cand = counts(base_rows), counts(batch_first(candidate.rows))
    names = {
        (r.model, r.config_id): config_name(r)
        for r in base_rows.drop_duplicates(["model", "config_id"]).itertuples(index=False)
    }
    if set(base.index) != set(cand.index):
        only = set(base.index) ^ set(cand.index)
        differ = sorted(f"{names.get((k[2], k[3]), k[4])} @ {k[5]}" for k in only)
        raise UserError(f"runs differ in configuration x budget pairs (an unfinished run?): {differ}")
    lines = []
    for key, b in base.iterrows():
        c = cand.loc[key]
        cmp = stats.compare_accuracy(int(b["sum"]), int(b["count"]), int(c["sum"]), int(c["count"]))
        regressed = cmp.delta < -tolerance and cmp.p_drop < alpha
        lines.append(Line(names[key[2], key[3]], key[5], cmp, regressed))
    return lines


def markdown(lines: list[Line], tolerance: float, alpha: float) -> str:
    """The summary CI prints: one row per configuration x budget and a verdict line."""
    out = [
        "| configuration | budget | baseline | candidate | delta | p (drop) | verdict |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for ln in lines:
        c = ln.comparison
        verdict = "REGRESSION" if ln.regressed else "ok"
        out.append(
            f"| {ln.config} | {ln.budget} | {c.baseline:.1%} (n={c.n_baseline}) | "
            f"{c.candidate:.1%} (n={c.n_candidate}) | {c.delta:+.1%} | {c.p_drop:.3g} | {verdict} |"
        )
    bad = sum(ln.regressed for ln in lines)
    rule = f"a drop of more than {tolerance:.0%} with one-sided p < {alpha:g}"
    out.append("")
    out.append(f"**{bad} regression(s)** ({rule})." if bad else f"No regression ({rule} counts as one).")
    return "\n".join(out) + "\n"
