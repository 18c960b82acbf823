"""The APR failure audit on hand-written parent traces (every expected count worked out by hand) and on the
symbolic search's own traces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonbench.frozen import load_problems
from reasonbench.tasks import get_task
from reasonbench.tasks.countdown.audit import (
    AFTER_JOIN,
    CAUSES,
    CHILDREN,
    CUT_SHORT,
    NO_JOIN,
    PARENT,
    apr_rows,
    audit_parent,
    audit_results,
    audit_symbolic,
)


def _parent(target: int, nums: list[int], nodes: list[tuple[str, list[int]]], solved: set[int]) -> str:
    """A parent trace: the root, one generated node per (step, numbers), then the join block."""
    lines = ["Moving to Node #0", f"Current State: {target}:{nums}, Operations: []"]
    for i, (step, rest) in enumerate(nodes):
        lines += [
            f"Exploring Operation: {step}, Resulting Numbers: {rest}",
            f"Generated Node #0,{i}: {target}:{rest} Operation: {step}",
        ]
    lines.append("<Sub Searches>")
    for i in range(len(nodes)):
        outcome = "Goal Reached" if i in solved else "No Solution"
        lines.append(f"<{outcome} in Sub Search {i} at level 1 at Node #0,{i}>")
    lines += ["<End Sub Searches>", "No solution found."]
    return "\n".join(lines)


def test_a_parent_whose_every_node_is_a_dead_end_is_to_blame() -> None:
    # 10 from four 1s cannot be reached at all: (1+1)*(1+1) = 4 is the most. Every node is a dead end; the
    # second repeats the first's numbers.
    trace = _parent(
        10, [1, 1, 1, 1], [("1+1=2", [1, 1, 2]), ("1*1=1", [1, 1, 1]), ("1+1=2", [1, 1, 2])], set()
    )
    audit = audit_parent(10, (1, 1, 1, 1), trace, correct=False)
    assert (audit.spawned, audit.repeated, audit.solvable, audit.cause) == (3, 1, 0, PARENT)


def test_children_are_to_blame_when_a_spawned_node_could_still_reach_the_target() -> None:
    # 10 from 1, 2, 3, 4: after 1+2=3, the node [3, 3, 4] reaches it (3+3+4); after 4*3=12, [1, 2, 12]
    # does too (12-2 = 10, 10*1 = 10); after 1*2=2, [2, 3, 4] does (2*3+4).
    nodes = [("1+2=3", [3, 4, 3]), ("4*3=12", [1, 2, 12]), ("1*2=2", [3, 4, 2])]
    audit = audit_parent(10, (1, 2, 3, 4), _parent(10, [1, 2, 3, 4], nodes, set()), correct=False)
    assert (audit.spawned, audit.repeated, audit.solvable, audit.cause) == (3, 0, 3, CHILDREN)
    solved = _parent(10, [1, 2, 3, 4], nodes, {1})
    assert audit_parent(10, (1, 2, 3, 4), solved, correct=False).cause == AFTER_JOIN
    assert audit_parent(10, (1, 2, 3, 4), solved, correct=True).cause is None


def test_a_node_that_does_not_follow_from_the_problem_is_not_solvable() -> None:
    # [1, 1, 3] reaches 5 (1+1+3), but no operation on two of 1, 1, 1, 1 makes 3: the parent miscounted.
    trace = _parent(5, [1, 1, 1, 1], [("1+1=3", [1, 1, 3])], set())
    assert audit_parent(5, (1, 1, 1, 1), trace, correct=False).solvable == 0
    # A child that "solves" the miscounted node solved nothing: the parent is still to blame.
    solved = _parent(5, [1, 1, 1, 1], [("1+1=3", [1, 1, 3])], {0})
    assert audit_parent(5, (1, 1, 1, 1), solved, correct=False).cause == PARENT


def test_every_join_of_the_parents_own_children_counts() -> None:
    # A parent that spawned, joined a failure, then spawned a child that solved 10 from [3, 3, 4].
    first = _parent(10, [1, 2, 3, 4], [("1*1=1", [1, 3, 4])], set())  # not even legal: 1 appears once
    second = "\n".join(
        [
            "Exploring Operation: 1+2=3, Resulting Numbers: [3, 4, 3]",
            "Generated Node #0,1: 10:[3, 4, 3] Operation: 1+2=3",
            "<Sub Searches>",
            "<Goal Reached in Sub Search 0 at level 1 at Node #0,1>",
            "<End Sub Searches>",
        ]
    )
    audit = audit_parent(10, (1, 2, 3, 4), first + "\n" + second, correct=False)
    assert (audit.spawned, audit.solvable, audit.cause) == (2, 1, AFTER_JOIN)


def test_a_parent_cut_short_is_its_own_cause_unless_its_children_failed_anyway() -> None:
    root = "Moving to Node #0\nCurrent State: 10:[1, 2, 3, 4], Operations: []\nExploring Operation: 1+2="
    assert audit_parent(10, (1, 2, 3, 4), root, correct=False, cut=True).cause == CUT_SHORT
    # An error row keeps no trace and was not cut: the parent never joined.
    assert audit_parent(10, (1, 2, 3, 4), "", correct=False).cause == NO_JOIN
    # Cut right after a child reached the goal: the cut, not the join, is the cause; the node still counts.
    join = _parent(10, [1, 2, 3, 4], [("1+2=3", [3, 4, 3])], {0})
    solved = join[: join.index("No solution found.")]
    audit = audit_parent(10, (1, 2, 3, 4), solved, correct=False, cut=True)
    assert (audit.spawned, audit.solvable, audit.cause) == (1, 1, CUT_SHORT)
    assert audit_parent(10, (1, 2, 3, 4), join, correct=False).cause == AFTER_JOIN
    # Cut after every child failed on its own: the children missed the solvable node whatever came next;
    # failed because a budget ended them: the budget is the cause.
    failed = _parent(10, [1, 2, 3, 4], [("1+2=3", [3, 4, 3])], set())
    assert audit_parent(10, (1, 2, 3, 4), failed, correct=False, cut=True).cause == CHILDREN
    assert audit_parent(10, (1, 2, 3, 4), failed, correct=False, cut=True, starved=True).cause == CUT_SHORT


def test_a_parent_that_never_joined_is_its_own_cause() -> None:
    trace = "Moving to Node #0\nCurrent State: 10:[1, 2, 3, 4], Operations: []\nExploring Operation: 1+2="
    audit = audit_parent(10, (1, 2, 3, 4), trace, correct=False)
    assert (audit.spawned, audit.cause) == (0, NO_JOIN)


# Lines of a real parent trace, plus a node with a 30-digit number and too many numbers for the solver.
_LINES = [
    *_parent(10, [1, 2, 3, 4], [("1+2=3", [3, 4, 3])], {0}).split("\n"),
    "Generated Node #0,0: 10:[" + "9" * 30 + ", 1, 1, 1, 1, 1, 1] Operation: 1+1=2",
]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400) | st.lists(st.sampled_from(_LINES), max_size=30).map("\n".join))
def test_hostile_text_is_audited_never_raises(text: str) -> None:
    audit = audit_parent(10, (1, 2, 3, 4), text, correct=False)
    assert audit.cause in CAUSES
    assert 0 <= audit.solvable <= audit.spawned and 0 <= audit.repeated <= audit.spawned


def test_the_symbolic_search_is_audited_as_it_ran() -> None:
    # The search's own parent traces: whenever a child reached the goal the audit says so, and a parent
    # the search could not solve spawned no node that the children (which search exhaustively within their
    # beam) reported solved.
    task = get_task("countdown")
    causes = []
    for problem in load_problems("countdown", "cd4", 20):
        trace = task.trace(problem, "apr:beam=2-10,child_beam=5,threshold=1", seed=problem.index)
        audit = audit_parent(problem.data["target"], tuple(problem.data["nums"]), trace, correct=False)
        assert audit.spawned >= 2
        solved = "Goal Reached in Sub Search" in trace
        assert (audit.cause == AFTER_JOIN) == solved
        assert audit.cause != NO_JOIN
        if solved:
            assert audit.solvable >= 1
        causes.append(audit.cause)
    assert AFTER_JOIN in causes


def test_the_command_refuses_a_directory_without_results_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reasonbench.tasks.countdown.audit", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "is not a results directory" in done.stderr and "Traceback" not in done.stderr


def test_results_are_grouped_per_model_configuration_and_budget(tmp_path: Path) -> None:
    from test_analysis import row, write_run

    def apr_row(p, budget: str, correct: bool, trace: str, **kw):
        return row(
            task="countdown",
            split="cd4",
            problem_id=p.id,
            problem_index=p.index,
            strategy="apr",
            config_id="apr-0",
            config_label="apr",
            budget=budget,
            correct=correct,
            trace=trace,
            **kw,
        )

    first, second, third = load_problems("countdown", "cd4", 3)
    rows = []
    for p in (first, second):
        dead = _parent(p.data["target"], list(p.data["nums"]), [], set())  # a join without children
        rows += [apr_row(p, "ctx2k", False, dead), apr_row(p, "ctx4k", True, dead)]
    # One more 2k row, of the third problem, that a token budget ended while its children ran out too.
    starved = {"failures": [{"depth": 1, "index": 0, "reason": "tokens budget"}]}
    trace = _parent(third.data["target"], list(third.data["nums"]), [("1+2=3", [3, 4, 3])], set())
    rows.append(apr_row(third, "ctx2k", False, trace, finish="budget", info=json.dumps(starved)))
    audited = audit_results(apr_rows([write_run(tmp_path / "r", rows)]))
    two_k, four_k = audited[("tiny-cd", "apr", "ctx2k")], audited[("tiny-cd", "apr", "ctx4k")]
    assert (two_k.rows, two_k.correct, dict(two_k.causes)) == (3, 0, {NO_JOIN: 2, CUT_SHORT: 1})
    assert (four_k.rows, four_k.correct, dict(four_k.causes)) == (2, 2, {})


def test_the_symbolic_audit_counts_a_parent_right_when_a_child_reached_the_goal() -> None:
    from reasonbench.errors import UserError

    trace = "apr:beam=2-10,child_beam=5,threshold=1"
    run = audit_symbolic("cd4", trace, range(20))
    task = get_task("countdown")
    reached = sum(
        "Goal Reached in Sub Search" in task.trace(p, trace, seed=p.index)
        for p in load_problems("countdown", "cd4", 20)
    )
    assert (run.rows, run.correct) == (20, reached)
    assert run.correct + sum(run.causes.values()) == 20 and AFTER_JOIN not in run.causes
    assert audit_symbolic("cd4", trace, [3, 7, 7]).rows == 2  # the problems named, once each
    with pytest.raises(UserError, match="only an apr trace"):
        audit_symbolic("cd4", "sos", range(5))
