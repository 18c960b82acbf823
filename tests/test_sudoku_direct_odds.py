"""The uniform-guess odds of a direct Sudoku chain: checked against sampling such a guesser."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from reasonbench.frozen import load_problems
from reasonbench.tasks.sudoku.direct_odds import guess_points, pass_at_k, uniform_solve_odds
from reasonbench.tasks.sudoku.shape import geometry
from reasonbench.tasks.sudoku.solver import solve


def _sample_uniform_chain(puzzle: str, size: int, rng: random.Random) -> bool:
    """One direct chain written by a guesser: each empty cell in row-major order gets a value drawn
    uniformly from those its peers leave; solved when every cell gets one."""
    peers = geometry(size).peers
    board = [int(ch) for ch in puzzle]  # a canonical grid string: 0 is an empty cell
    for i in range(size * size):
        if board[i]:
            continue
        left = [v for v in range(1, size + 1) if v not in {board[j] for j in peers[i]}]
        if not left:
            return False
        board[i] = rng.choice(left)
    return True  # a full board whose every cell was legal when placed is a solution


@pytest.mark.parametrize("index", [0, 1, 2, 3, 4])
def test_the_odds_are_what_a_sampled_uniform_guesser_solves(index: int) -> None:
    problem = load_problems("sudoku", "sudoku6_14givens", 5)[index]
    puzzle, size = problem.data["puzzle"], problem.data["size"]
    rng = random.Random(index)
    n = 4000
    solved = sum(_sample_uniform_chain(puzzle, size, rng) for _ in range(n))
    odds = uniform_solve_odds(puzzle, size)
    assert 0 < odds < 1  # the split's puzzles all need at least one guess
    # Four standard errors of a binomial frequency with n samples.
    assert abs(solved / n - odds) <= 4 * (odds * (1 - odds) / n) ** 0.5 + 1e-9


def test_a_puzzle_one_cell_short_of_its_solution_has_no_guess_point() -> None:
    problem = load_problems("sudoku", "sudoku6_14givens", 1)[0]
    solution = solve(problem.data["puzzle"], 6)
    assert solution is not None
    puzzle = "0" + solution[1:]
    assert guess_points(puzzle, 6, solution) == []
    assert uniform_solve_odds(puzzle, 6) == 1.0


def test_pass_at_k_averages_over_puzzles_and_grows_with_k() -> None:
    assert pass_at_k([1.0, 0.0], 7) == 0.5
    odds = [0.5, 0.1, 0.02]
    assert pass_at_k(odds, 1) == pytest.approx(sum(odds) / 3)
    assert pass_at_k(odds, 1) < pass_at_k(odds, 4) < pass_at_k(odds, 16) < 1


def test_the_command_prints_pass_at_k_and_rejects_bad_input_in_one_line() -> None:
    cmd = [sys.executable, "-m", "reasonbench.tasks.sudoku.direct_odds", "-n", "20", "-k", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "uniform guesser pass@2:" in proc.stdout
    bad = subprocess.run([*cmd[:3], "--split", "nope"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown sudoku split" in bad.stderr.strip().splitlines()[-1]
