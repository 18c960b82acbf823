"""Where APR fails on Countdown: the parent's choice of nodes, the children's searches, or the join.

An APR parent writes the first level of the search, spawns one child per node it picks, and answers from
their join. A wrong answer therefore has one of four causes, told apart here from the parent's trace alone
(``parse_trace``: the join block names the node each child ran from; the parent's ``Generated Node`` lines
give that node's numbers) and the exact solver:

- **no join**: the parent never received its children's results (its window cut it, its spawn block was
  malformed, or it answered without spawning);
- **parent: no solvable node**: every node it spawned is a dead end (its numbers cannot reach the target,
  or do not follow from the problem by the operation written), so no child could have succeeded;
- **children: missed a solvable node**: a spawned node can still reach the target, and no child said so
  (a child the runtime capped, ``max_children``, is joined as no solution, so it counts here too);
- **after the join**: a child reported the goal, and the parent's answer is still wrong.

Beside it, for every APR row: nodes spawned, the share that repeat the numbers of an earlier spawned node,
and the share that are solvable. This is what separates a model's accuracy from the symbolic ceiling of its
traces: the parent's choice (which the children cannot repair) from the children's search.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from reasonbench.tasks.countdown.rules import combine
from reasonbench.tasks.countdown.solver import solve
from reasonbench.tasks.countdown.trace_parsers import JoinBlock, parse_trace

# A child's start state has one number fewer than the problem; anything longer is not a first-level node
# of a cd3-cd5 problem and is not handed to the exact solver (whose search grows factorially).
MAX_CHECKED_NUMS = 5

CAUSES = ("no join", "parent: no solvable node", "children: missed a solvable node", "after the join")


@dataclass(frozen=True)
class ParentAudit:
    """One APR parent trace: what it spawned and, when its answer was wrong, why."""

    spawned: int
    repeated: int  # spawned nodes whose numbers an earlier spawned node already had
    solvable: int  # spawned nodes that follow from the problem and can still reach the target
    cause: str | None  # one of CAUSES; None for a right answer


def _successors(target: int, nums: tuple[int, ...]) -> set[tuple[int, tuple[int, ...]]]:
    """Every first-level node of a problem, as (target, sorted numbers)."""
    out = set()
    for i, j in combinations(range(len(nums)), 2):
        rest = [n for k, n in enumerate(nums) if k not in (i, j)]
        for value, _ in combine(nums[i], nums[j]):
            out.add((target, tuple(sorted((*rest, value)))))
    return out


def audit_parent(target: int, nums: tuple[int, ...], trace: str, correct: bool) -> ParentAudit:
    """Audit one APR parent trace (hostile text: never raises) of the problem ``target`` from ``nums``."""
    parsed = parse_trace(trace)
    joins = [e for e in parsed.events if isinstance(e, JoinBlock)]
    results = [r for join in joins[:1] for r in join.results]  # the first level only
    legal = _successors(target, tuple(nums))
    seen: set[tuple[int, ...]] = set()
    repeated = solvable = 0
    for result in results:
        node = parsed.nodes.get(result.node_id)
        if node is None:
            continue
        key = tuple(sorted(node.nums))
        repeated += key in seen
        if key in seen:
            continue
        seen.add(key)
        follows = (node.target, key) in legal
        if follows and len(key) <= MAX_CHECKED_NUMS and solve(target, key) is not None:
            solvable += 1
    cause = None
    if not correct:
        if not results:
            cause = CAUSES[0]
        elif any(r.solved for r in results):
            cause = CAUSES[3]
        else:
            cause = CAUSES[1] if solvable == 0 else CAUSES[2]
    return ParentAudit(len(results), repeated, solvable, cause)


@dataclass
class RunAudit:
    """The audits of one (model, configuration, budget) of a results directory."""

    rows: int = 0
    correct: int = 0
    causes: Counter[str] = field(default_factory=Counter)
    spawned: int = 0
    repeated: int = 0
    solvable: int = 0


def audit_results(directory: Path) -> dict[tuple[str, str, str], RunAudit]:
    """Every Countdown ``apr`` row of a results directory, audited, per (model, configuration, budget)."""
    from reasonbench.frozen import load_problems
    from reasonbench.results import read_rows

    rows = read_rows(directory)
    rows = rows[(rows["task"] == "countdown") & (rows["strategy"] == "apr")]
    found: dict[tuple[str, str, str], RunAudit] = {}
    for split, group in rows.groupby("split"):
        count = int(group["problem_index"].max()) + 1
        problems = {p.id: p for p in load_problems("countdown", str(split), count)}
        for row in group.itertuples():
            data = problems[row.problem_id].data
            one = audit_parent(
                int(data["target"]), tuple(data["nums"]), str(row.trace or ""), bool(row.correct)
            )
            run = found.setdefault((str(row.model), str(row.config_label), str(row.budget)), RunAudit())
            run.rows += 1
            run.correct += bool(row.correct)
            if one.cause is not None:
                run.causes[one.cause] += 1
            run.spawned += one.spawned
            run.repeated += one.repeated
            run.solvable += one.solvable
    return found


def audit_symbolic(split: str, trace: str, n: int) -> RunAudit:
    """The search that writes an ``apr`` trace format, audited on the first ``n`` val problems of ``split``:
    a parent counts as right when a child of it reaches the goal (windows unbounded), and the causes say
    why the search itself fails elsewhere. Another trace format is a :class:`UserError`."""
    from reasonbench.errors import UserError
    from reasonbench.frozen import load_problems
    from reasonbench.tasks import get_task
    from reasonbench.tasks.countdown.trace_spec import parse_trace_spec

    if parse_trace_spec(trace).kind != "apr":
        raise UserError(f"--symbolic {trace!r}: only an apr trace has a parent to audit")
    task, run = get_task("countdown"), RunAudit()
    for problem in load_problems("countdown", split, n):
        text = task.trace(problem, trace, seed=problem.index)
        one = audit_parent(int(problem.data["target"]), tuple(problem.data["nums"]), text, correct=False)
        run.rows += 1
        if one.cause == CAUSES[3]:  # a child reached the goal: the search's parent answers from it
            run.correct += 1
        else:
            run.causes[str(one.cause)] += 1
        run.spawned += one.spawned
        run.repeated += one.repeated
        run.solvable += one.solvable
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
    audited = {key: run for d in dirs for key, run in audit_results(d).items()}
    if not audited:
        parser.error(f"{args.results} has no Countdown apr rows to audit")
    if args.symbolic:
        from reasonbench.errors import UserError
        from reasonbench.results import read_rows

        split = str(read_rows(dirs[0])["split"].iloc[0])
        n = max(run.rows for run in audited.values())
        try:
            audited[("search", args.symbolic, "unbounded")] = audit_symbolic(split, args.symbolic, n)
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
