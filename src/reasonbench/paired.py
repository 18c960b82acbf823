"""`reasonbench compare`: two configurations on the problems both ran, as a paired difference.

Two accuracies each with its own 95% interval answer "is A better than B?" weakly: the intervals of two
50% accuracies on 500 problems are ±4.4 points each, so a real 6-point lead can leave them overlapping.
Run on the same problems, the two are paired: a problem both solve or both miss says nothing about the
difference, and the bootstrap that resamples problems (not each side apart) gives the interval of
accuracy(A) - accuracy(B) that the comparison needs. The discordant counts (problems only A solves, only B
solves) show where the difference comes from.

A side is a configuration, named as the report names it (``apr``, ``sc n=4``, ``sc n=4 · countdown-sos``
when sc ran on several models, or its config id), optionally at one budget: ``backtrack@2k``. Without a
budget a side is compared at every budget both sides ran. A configuration run with several seeds scores a
problem by its mean correctness over them (so a problem solved on some seeds counts in the difference but
in neither discordant count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reasonbench import stats
from reasonbench.analysis import batch_first, budget_label, config_name, config_rows
from reasonbench.errors import UserError


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a configuration (report name, label or id) and, optionally, a budget."""

    config: str
    budget: str | None = None

    @classmethod
    def parse(cls, text: str) -> Side:
        """``CONFIG`` or ``CONFIG@BUDGET`` (``apr@4k``); the last ``@`` splits, so a label holding an ``@``
        is named with its budget."""
        config, at, budget = text.rpartition("@")
        if not at:
            return cls(text.strip())
        if not config.strip() or not budget.strip():
            raise UserError(f"{text!r}: expected CONFIG or CONFIG@BUDGET, e.g. 'apr@4k'")
        return cls(config.strip(), budget.strip())


@dataclass(frozen=True)
class Paired:
    """A against B at one budget each, on the ``n`` problems both ran."""

    a: str
    b: str
    budget_a: str
    budget_b: str
    n: int
    accuracy_a: float
    accuracy_b: float
    difference: float  # accuracy_a - accuracy_b
    ci_lo: float
    ci_hi: float
    # Problems A solves (on every seed, when there are several) and B solves on none; and the reverse.
    only_a: int
    only_b: int
    tokens_a: float
    tokens_b: float


def _config_rows(rows: pd.DataFrame, config: str) -> pd.DataFrame:
    picked = config_rows(rows, config)
    if picked["model"].nunique() > 1:
        choices = sorted({config_name(r) for r in picked.itertuples(index=False)})
        raise UserError(f"{config!r} ran on several models; name one: {', '.join(choices)}")
    return picked


def _per_problem(rows: pd.DataFrame, side: str) -> pd.DataFrame:
    """Per problem: mean correctness over seeds, and mean tokens. A problem and seed met twice (two runs
    of one configuration read together) would be pooled as if it were two seeds, so it is refused."""
    if rows.duplicated(["problem_id", "seed"]).any():
        raise UserError(f"{side} holds a problem twice (two runs read together?); compare one run of it")
    return rows.groupby("problem_id").agg(correct=("correct", "mean"), tokens=("tokens", "mean"))


def _budget_pairs(a: pd.DataFrame, b: pd.DataFrame, side_a: Side, side_b: Side) -> list[tuple[str, str]]:
    if side_a.budget is not None or side_b.budget is not None:
        # One side's budget given: the other is compared at the same one unless it names its own.
        ba = budget_label(a, side_a.budget or side_b.budget or "")
        bb = budget_label(b, side_b.budget or side_a.budget or "")
        return [(ba, bb)]
    limits = ["budget_context", "budget_tokens", "budget_latency_s"]
    ordered = a.sort_values(limits, kind="stable", na_position="last")["budget"]
    common = [x for x in dict.fromkeys(ordered) if x in set(b["budget"])]
    if not common:
        raise UserError(
            f"{side_a.config!r} and {side_b.config!r} share no budget; "
            "name one per side, e.g. 'apr@4k' 'backtrack@2k'"
        )
    return [(x, x) for x in common]


def compare(rows: pd.DataFrame, side_a: Side, side_b: Side, seed: int = 0) -> list[Paired]:
    """A against B (see the module docstring) at each budget pair; problems only one side ran are left
    out, and no shared problem is a one-line error."""
    rows = batch_first(rows)
    a_rows, b_rows = _config_rows(rows, side_a.config), _config_rows(rows, side_b.config)
    out = []
    for budget_a, budget_b in _budget_pairs(a_rows, b_rows, side_a, side_b):
        if a_rows.index.equals(b_rows.index) and budget_a == budget_b:
            raise UserError(f"both sides are {side_a.config!r} at {budget_a}: nothing to compare")
        pa = _per_problem(a_rows[a_rows["budget"] == budget_a], f"{side_a.config}@{budget_a}")
        pb = _per_problem(b_rows[b_rows["budget"] == budget_b], f"{side_b.config}@{budget_b}")
        both = pa.add_suffix("_a").join(pb.add_suffix("_b"), how="inner")
        if both.empty:
            raise UserError(f"{side_a.config}@{budget_a} and {side_b.config}@{budget_b} share no problem")
        ca, cb = both["correct_a"].to_numpy(float), both["correct_b"].to_numpy(float)
        lo, hi = stats.bootstrap_ci(ca - cb, seed=seed)
        out.append(
            Paired(
                a=config_name(a_rows.iloc[0]),
                b=config_name(b_rows.iloc[0]),
                budget_a=budget_a,
                budget_b=budget_b,
                n=len(both),
                accuracy_a=float(ca.mean()),
                accuracy_b=float(cb.mean()),
                difference=float(ca.mean() - cb.mean()),
                ci_lo=lo,
                ci_hi=hi,
                only_a=int(np.sum((ca == 1) & (cb == 0))),
                only_b=int(np.sum((cb == 1) & (ca == 0))),
                tokens_a=float(both["tokens_a"].mean()),
                tokens_b=float(both["tokens_b"].mean()),
            )
        )
    return out


def _points(x: float) -> str:
    return f"{100 * x:+.1f}"


def table_rows(results: list[Paired]) -> list[dict[str, str]]:
    """The comparison as table rows of text (one per budget pair), for the rich and markdown tables."""
    return [
        {
            "A": f"{r.a} @ {r.budget_a}",
            "B": f"{r.b} @ {r.budget_b}",
            "problems": str(r.n),
            "A acc": f"{r.accuracy_a:.1%}",
            "B acc": f"{r.accuracy_b:.1%}",
            "A - B, points [95% CI]": f"{_points(r.difference)} [{_points(r.ci_lo)}, {_points(r.ci_hi)}]",
            "only A / only B": f"{r.only_a} / {r.only_b}",
            "tokens A / B": f"{r.tokens_a:,.0f} / {r.tokens_b:,.0f}",
        }
        for r in results
    ]


def markdown(results: list[Paired]) -> str:
    """The comparison as a Markdown table."""
    rows = table_rows(results)
    head = list(rows[0]) if rows else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
    lines += ["| " + " | ".join(r.values()) + " |" for r in rows]
    return "\n".join(lines) + "\n"
