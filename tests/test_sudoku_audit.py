"""The audit of a Sudoku trace: the first step its search would not take, on hand-broken traces."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonbench.tasks import get_task
from reasonbench.tasks.sudoku.audit import audit_results, first_misstep
from reasonbench.tasks.sudoku.generate import SudokuConfig, draw
from reasonbench.tasks.sudoku.traces import dfs_trace, format_prompt

# The traces docstring's example puzzle and the head of its static DFS trace, derived there by hand:
# (0, 0) = {1, 2, 3}; (0, 1) = {3, 4}; (0, 2) forced to 4 leaves (0, 3) nothing.
PUZZLE = "".join(["0000", "0020", "4213", "0000"])
HEAD = [
    "guess: (0, 0) [1, 2, 3] = 1",
    "guess: (0, 1) [3, 4] = 3",
    "(0, 2) = 4",
    "nocand: (0, 3)",
    "revert: (0, 1) [4] = 4",
    "(0, 2) = 3",
    "nocand: (0, 3)",
    "revert: (0, 1) [] = none",
    "revert: (0, 0) [2, 3] = 2",
]


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def test_the_hand_derived_head_and_the_whole_written_trace_take_no_wrong_step() -> None:
    assert first_misstep(PUZZLE, 4, _text(HEAD)) is None
    assert first_misstep(PUZZLE, 4, dfs_trace(PUZZLE, 4, static=True)) is None
    assert first_misstep(PUZZLE, 4, dfs_trace(PUZZLE, 4, static=True, cell_first=True)) is None
    assert first_misstep(PUZZLE, 4, dfs_trace(PUZZLE, 4), static=False) is None


@pytest.mark.parametrize(
    ("step", "line", "what"),
    [
        (2, "(0, 2) = 3", "wrong value"),  # 4 is the one candidate
        (3, "(0, 3) = 1", "place where the search gives up"),  # (0, 3) has none
        (1, "guess: (0, 1) [2, 3, 4] = 2", "wrong candidates"),  # column 1 holds 2
        (1, "(0, 1) = 3", "place where the search guesses"),
        (4, "(0, 2) = 3", "place where the search reverts"),  # the revert after a dead end left out
        (4, "revert: (0, 0) [2, 3] = 2", "wrong revert"),  # (0, 1) still has 4 to try
        (2, "(1, 0) = 1", "wrong cell"),  # the static search is at (0, 2)
        (2, "revert: (0, 1) [4] = 4", "revert where the search goes on"),
    ],
)
def test_a_broken_step_is_found_and_named(step: int, line: str, what: str) -> None:
    lines = list(HEAD)
    lines[step] = line
    miss = first_misstep(PUZZLE, 4, _text(lines))
    assert miss is not None and (miss.step, miss.what) == (step, what)


def test_the_scan_search_may_take_any_naked_single_but_the_static_one_only_the_first_cell() -> None:
    # (3, 2) is a naked single (4) on the example board, but the static search must guess on (0, 0).
    text = "(3, 2) = 4\n"
    assert first_misstep(PUZZLE, 4, text, static=False) is None
    miss = first_misstep(PUZZLE, 4, text)
    assert miss is not None and miss.what == "place where the search guesses"


def test_a_line_that_fits_no_rule_is_a_misstep_and_an_unfinished_last_line_is_not() -> None:
    miss = first_misstep(PUZZLE, 4, _text(HEAD[:2]) + "(0, 2) = \n" + _text(HEAD[3:]))
    assert miss is not None and (miss.step, miss.what, miss.event) == (2, "malformed line", None)
    assert first_misstep(PUZZLE, 4, _text(HEAD[:3]) + "nocand: (0,") is None  # the budget ran out here
    assert first_misstep(PUZZLE, 4, _text(HEAD[:2]) + "\n...[1234 characters cut]...\n(3, 3) = 1\n") is None


def test_a_step_on_a_full_board_is_a_misstep() -> None:
    solved = "2134342142131342"
    miss = first_misstep(solved, 4, "(0, 0) = 2\n")
    assert miss is not None and miss.what == "place on a full board"


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["static", "scan", "shuffled"]), st.booleans())
def test_every_written_dfs_trace_passes_its_own_audit(index: int, search: str, cell_first: bool) -> None:
    puzzle = draw(SudokuConfig(size=6, givens=14, min_guesses=1, seed="audit-tests"), index)
    order = random.Random(index) if search == "shuffled" else None
    text = dfs_trace(puzzle, 6, order, static=search == "static", cell_first=cell_first)
    assert first_misstep(puzzle, 6, text, static=search == "static") is None


def test_a_trace_stored_with_its_prompt_is_audited_from_after_the_prompt() -> None:
    puzzle = draw(SudokuConfig(size=6, givens=14, min_guesses=1, seed="audit-tests"), 0)
    text = format_prompt(puzzle, 6) + dfs_trace(puzzle, 6, static=True)
    assert first_misstep(puzzle, 6, "<s>" + text) is None


def test_a_results_directory_is_audited_row_by_row(tmp_path: Path) -> None:
    from reasonbench.frozen import load_problems
    from test_analysis import row, write_run

    problems = load_problems("sudoku", "sudoku6_14givens", 3)
    task = get_task("sudoku")
    right = [task.prompt(p) + task.trace(p, "dfs:search=static") for p in problems]
    first = right[0].splitlines(keepends=True)
    given_count = len(task.prompt(problems[0]).splitlines())
    broken = "".join(first[:given_count]) + "nocand: (5, 5)\n"  # gives up on a cell that is not next
    cut = right[2][: len(task.prompt(problems[2])) + 30]  # right steps, then the budget ran out
    rows = [
        row(
            task="sudoku",
            split="sudoku6_14givens",
            problem_id=p.id,
            problem_index=p.index,
            correct=ok,
            trace=t,
        )
        for p, ok, t in zip(problems, [False, True, False], [broken, right[1], cut], strict=True)
    ]
    rows.append(
        {**rows[0], "strategy": "sc", "config_id": "sc-0", "config_label": "sc n=4"}
    )  # not one DFS trace
    by_run = audit_results(str(write_run(tmp_path / "run", rows, task="sudoku", split="sudoku6_14givens")))
    ((_, config, budget), found), *others = by_run.items()
    assert not others and config == "cot" and budget == "ctx4k"
    assert found["solved"] == [-1] and found["no misstep"] == [-1]
    (what,) = set(found) - {"solved", "no misstep"}
    assert what.startswith("dead end where the search") and found[what] == [0]


def test_the_command_refuses_a_directory_that_holds_no_results_in_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "reasonbench.tasks.sudoku.audit", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "is not a results directory" in done.stderr
    assert "Traceback" not in done.stderr
