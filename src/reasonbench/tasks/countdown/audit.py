"""Where APR fails on Countdown: the parent's choice of nodes, the children's searches, or the join.

An APR parent writes the first level of the search, spawns one child per node it picks, and answers from
their join. A wrong answer therefore has one of these causes, told apart here from the parent's trace alone
(``parse_trace``: the join block names the node each child ran from; the parent's ``Generated Node`` lines
give that node's numbers) and the exact solver:

- **cut short**: the window, the parent's own token allowance or a token or latency budget stopped the
  parent before it could use its children's results (before any join, or after a child reached the
  goal), or a budget starved its children (the runtime joined them as "no solution" and recorded why);
  the runtime keeps the parent's text so far, whose nodes are counted below;
- **no join**: the parent never received its children's results and was not cut short (its spawn block
  was malformed, or it answered without spawning);
- **parent: no solvable node**: every node it spawned is a dead end (its numbers cannot reach the target,
  or do not follow from the problem by the operation written), so no child could have succeeded;
- **children: missed a solvable node**: a spawned node can still reach the target, and no child said so
  (a child the runtime capped, ``max_children``, is joined as no solution, so it counts here too);
- **after the join**: a child reported the goal from a node that follows from the problem, and the parent's
  answer is still wrong (a child that "solves" a node the parent miscounted counts for nothing).

Beside it, for every APR row: nodes spawned, the share that repeat the numbers of an earlier spawned node,
and the share that are solvable. This is what separates a model's accuracy from the symbolic ceiling of its
traces: the parent's choice (which the children cannot repair) from the children's search.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reasonbench.errors import UserError
from reasonbench.tasks.base import Problem
from reasonbench.tasks.countdown.solver import reachable, successors
from reasonbench.tasks.countdown.trace_parsers import JoinBlock, parse_trace

CAUSES = (
    "cut short",
    "no join",
    "parent: no solvable node",
    "children: missed a solvable node",
    "after the join",
)
CUT_SHORT, NO_JOIN, PARENT, CHILDREN, AFTER_JOIN = CAUSES


@dataclass(frozen=True)
class ParentAudit:
    """One APR parent trace: what it spawned and, when its answer was wrong, why."""

    spawned: int
    repeated: int  # spawned nodes whose numbers an earlier spawned node already had
    solvable: int  # spawned nodes that follow from the problem and can still reach the target
    cause: str | None  # one of CAUSES; None for a right answer


def audit_parent(
    target: int,
    nums: tuple[int, ...],
    trace: str,
    correct: bool,
    cut: bool = False,
    starved: bool = False,
) -> ParentAudit:
    """Audit one APR parent trace (hostile text: never raises) of the problem ``target`` from ``nums``
    (the problem's own numbers, trusted). ``cut``: the parent was stopped before it finished (the row's
    finish is "truncated" or "budget"); ``starved``: a budget, not its search, ended some child. A cut
    parent whose children all failed on their own is still their failure, not the cut's."""
    parsed = parse_trace(trace)
    # Every join of the parent's own children (level 1): a parent may spawn again after a join.
    results = [r for e in parsed.events if isinstance(e, JoinBlock) for r in e.results if r.level == 1]
    legal = {tuple(sorted(child)) for child, _ in successors(tuple(nums))}
    seen: set[tuple[int, ...]] = set()
    repeated = solvable = 0
    solved_legally = False
    for result in results:
        node = parsed.nodes.get(result.node_id)
        if node is None:
            continue
        key = tuple(sorted(node.nums))
        # A node the parent miscounted is not the problem's: a child that "solves" it solves nothing.
        follows = node.target == target and key in legal
        solved_legally |= follows and result.solved
        if key in seen:
            repeated += 1
            continue
        seen.add(key)
        solvable += follows and target in reachable(key)
    cause = None
    if not correct:
        if not results:
            cause = CUT_SHORT if cut else NO_JOIN
        elif solved_legally:
            cause = CUT_SHORT if cut else AFTER_JOIN
        elif starved:
            cause = CUT_SHORT
        else:
            cause = PARENT if solvable == 0 else CHILDREN
    return ParentAudit(len(results), repeated, solvable, cause)


@dataclass
class RunAudit:
    """The audits of one (model, configuration, budget): rows, right answers, causes, node counts."""

    rows: int = 0
    correct: int = 0
    causes: Counter[str] = field(default_factory=Counter)
    spawned: int = 0
    repeated: int = 0
    solvable: int = 0

    def add(self, one: ParentAudit, correct: bool) -> None:
        """Count one audited parent."""
        self.rows += 1
        self.correct += correct
        if one.cause is not None:
            self.causes[one.cause] += 1
        self.spawned += one.spawned
        self.repeated += one.repeated
        self.solvable += one.solvable


def apr_rows(directories: Sequence[Path]) -> pd.DataFrame:
    """The Countdown ``apr`` rows of ``directories``, read together."""
    from reasonbench.results import read_rows

    frames = [read_rows(d) for d in directories]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if rows.empty:
        return rows
    return rows[(rows["task"] == "countdown") & (rows["strategy"] == "apr")]


def _problems(split: str, indices: Iterable[int]) -> dict[int, Problem]:
    """The val problems of ``split`` at ``indices`` (a frozen split is read; past its end, regenerated)."""
    from reasonbench.frozen import load_problems

    wanted = set(indices)
    count = max(wanted) + 1 if wanted else 0
    return {p.index: p for p in load_problems("countdown", split, count) if p.index in wanted}


def audit_results(rows: pd.DataFrame) -> dict[tuple[str, str, str], RunAudit]:
    """Every row of :func:`apr_rows`, audited, per (model, configuration, budget)."""
    found: dict[tuple[str, str, str], RunAudit] = {}
    for split, group in rows.groupby("split"):
        problems = _problems(str(split), group["problem_index"].astype(int))
        for row in group.itertuples():
            data = problems[int(row.problem_index)].data
            target, nums = int(data["target"]), tuple(data["nums"])
            cut = row.finish in ("truncated", "budget")
            one = audit_parent(target, nums, str(row.trace or ""), bool(row.correct), cut, _starved(row.info))
            key = (str(row.model), str(row.config_label), str(row.budget))
            found.setdefault(key, RunAudit()).add(one, bool(row.correct))
    return found


def _starved(info: object) -> bool:
    """Whether the runtime recorded a child that a budget ended (in ``info["failures"]``)."""
    try:
        failures = json.loads(info).get("failures", []) if isinstance(info, str) and info else []
        return any(f.get("depth", 0) > 0 and str(f.get("reason", "")).endswith(" budget") for f in failures)
    except (ValueError, AttributeError):
        return False


def audit_symbolic(split: str, trace: str, indices: Iterable[int]) -> RunAudit:
    """The search that writes an ``apr`` trace format, audited on the val problems of ``split`` at
    ``indices``: a parent counts as right when a child of it reaches the goal (windows unbounded), and the
    causes say why the search itself fails elsewhere. Another trace format is a :class:`UserError`."""
    from reasonbench.tasks import get_task
    from reasonbench.tasks.countdown.trace_spec import parse_trace_spec

    if parse_trace_spec(trace).kind != "apr":
        raise UserError(f"--symbolic {trace!r}: only an apr trace has a parent to audit")
    task, run = get_task("countdown"), RunAudit()
    for problem in _problems(split, indices).values():
        text = task.trace(problem, trace, seed=problem.index)
        one = audit_parent(int(problem.data["target"]), tuple(problem.data["nums"]), text, correct=False)
        reached = one.cause == AFTER_JOIN  # the search's parent answers from the child that reached it
        run.add(dataclasses.replace(one, cause=None if reached else one.cause), reached)
    return run


def main() -> None:
    """``python -m reasonbench.tasks.countdown.audit RESULTS_DIR``: a table of APR failure causes."""
    import argparse

    from rich.console import Console
    from rich.table import Table

    from reasonbench.results import MANIFEST, results_dirs

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("results", type=Path, help="a results directory (or a sweep's) with APR rows")
    parser.add_argument(
        "--symbolic",
        metavar="TRACE",
        help="also audit the search behind this apr trace format on the val problems the results hold",
    )
    args = parser.parse_args()
    dirs = [d for d in results_dirs(args.results) if (d / MANIFEST).exists()]
    if not dirs:
        parser.error(f"{args.results} is not a results directory")  # one line, exit code 2
    rows = apr_rows(dirs)
    if rows.empty:
        parser.error(f"{args.results} has no Countdown apr rows to audit")
    try:
        audited = audit_results(rows)
        if args.symbolic:  # the same problems, split by split
            for split, group in rows.groupby("split"):
                run = audit_symbolic(str(split), args.symbolic, group["problem_index"].astype(int))
                audited[("search", f"{args.symbolic} ({split})", "unbounded")] = run
    except UserError as e:
        parser.error(str(e))
    table = Table(title="why APR answers are wrong (share of all rows)")
    for col in (
        "model · configuration · budget",
        "rows",
        "right",
        *CAUSES,
        "nodes / row",
        "repeated",
        "solvable",
    ):
        table.add_column(col, justify="left" if col.startswith("model") else "right")
    for (model, config, budget), run in sorted(audited.items()):
        n = run.rows
        spawned = max(run.spawned, 1)
        table.add_row(
            f"{model} · {config} · {budget}",
            str(n),
            f"{run.correct / n:.0%}",
            *(f"{run.causes[c] / n:.0%}" for c in CAUSES),
            f"{run.spawned / n:.1f}",
            f"{run.repeated / spawned:.0%}",
            f"{run.solvable / spawned:.0%}",
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
