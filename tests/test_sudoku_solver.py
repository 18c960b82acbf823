"""Sudoku bitmask solver: correctness of solve / count_solutions and the naked-singles check."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonbench.tasks.sudoku.solver import count_solutions, fills_by_naked_singles, random_solution, solve

SOLVED_4 = "".join(["1234", "3412", "2143", "4321"])
# Swapping 1 and 2 in cells (0,0), (0,1), (2,0), (2,1) of SOLVED_4 gives a second valid grid, so blanking
# exactly those cells leaves a puzzle with two solutions.
TWO_SOLUTIONS_4 = "".join(["0034", "3412", "0043", "4321"])
# Cell (0, 3) sees 1, 2 in its row and 3, 4 in its column: no value fits, though no givens clash.
DEAD_CELL_4 = "".join(["1200", "0003", "0000", "0004"])
CLASHING_4 = "".join(["1100", "0000", "0000", "0000"])
# A published 17-clue puzzle (Royle's list): the minimum number of clues for a unique 9x9 Sudoku.
SEVENTEEN = "000000010400000000020000000000050407008000300001090000300400200050100000000806000"


def _is_valid_solution(grid: str, size: int, box_rows: int, box_cols: int) -> bool:
    rows = [grid[r * size : (r + 1) * size] for r in range(size)]
    want = {str(v) for v in range(1, size + 1)}
    units = [set(row) for row in rows]
    units += [{rows[r][c] for r in range(size)} for c in range(size)]
    for br in range(0, size, box_rows):
        for bc in range(0, size, box_cols):
            units.append({rows[r][c] for r in range(br, br + box_rows) for c in range(bc, bc + box_cols)})
    return all(u == want for u in units)


BOXES = {4: (2, 2), 6: (2, 3), 9: (3, 3)}


def _keeps(puzzle: str, grid: str) -> bool:
    return all(p == "0" or p == g for p, g in zip(puzzle, grid, strict=True))


@settings(max_examples=40, deadline=None)
@given(size=st.sampled_from([4, 6, 9]), seed=st.integers(0, 10**6), keep=st.floats(0.3, 0.9))
def test_solve_returns_a_valid_grid_that_keeps_the_givens(size: int, seed: int, keep: float) -> None:
    rng = random.Random(seed)
    full = random_solution(size, rng)
    puzzle = "".join(ch if rng.random() < keep else "0" for ch in full)
    solution = solve(puzzle, size)
    assert solution is not None
    assert _is_valid_solution(solution, size, *BOXES[size])
    assert _keeps(puzzle, solution)


@settings(max_examples=20, deadline=None)
@given(size=st.sampled_from([4, 6, 9]), seed=st.integers(0, 10**6))
def test_random_solution_is_a_complete_valid_grid(size: int, seed: int) -> None:
    assert _is_valid_solution(random_solution(size, random.Random(seed)), size, *BOXES[size])


def test_solve_recovers_the_unique_solution_of_a_seventeen_clue_puzzle() -> None:
    solution = solve(SEVENTEEN, 9)
    assert solution is not None and _is_valid_solution(solution, 9, 3, 3) and _keeps(SEVENTEEN, solution)
    assert count_solutions(SEVENTEEN, 9) == 1


def test_count_solutions_finds_both_solutions_of_a_deadly_rectangle() -> None:
    assert count_solutions(TWO_SOLUTIONS_4, 4) == 2
    assert count_solutions(TWO_SOLUTIONS_4, 4, limit=100) == 2


def test_count_solutions_stops_at_the_limit() -> None:
    assert count_solutions("0" * 16, 4, limit=5) == 5


def test_count_solutions_of_the_empty_4x4_grid_is_288() -> None:
    assert count_solutions("0" * 16, 4, limit=1000) == 288


@pytest.mark.parametrize("puzzle", [DEAD_CELL_4, CLASHING_4])
def test_unsolvable_puzzle_has_no_solution(puzzle: str) -> None:
    assert count_solutions(puzzle, 4) == 0
    assert solve(puzzle, 4) is None


def test_full_valid_grid_is_its_own_unique_solution() -> None:
    assert solve(SOLVED_4, 4) == SOLVED_4
    assert count_solutions(SOLVED_4, 4) == 1


@pytest.mark.parametrize(
    ("puzzle", "size"), [("123", 4), ("1" * 16, 5), ("5" + "0" * 15, 4), ("a" + "0" * 15, 4)]
)
def test_solve_rejects_a_malformed_puzzle_string(puzzle: str, size: int) -> None:
    with pytest.raises(ValueError):
        solve(puzzle, size)


def test_naked_singles_fill_a_puzzle_with_one_hole() -> None:
    assert fills_by_naked_singles("0" + SOLVED_4[1:], 4)


def test_naked_singles_cannot_fill_a_puzzle_with_two_solutions() -> None:
    assert not fills_by_naked_singles(TWO_SOLUTIONS_4, 4)
