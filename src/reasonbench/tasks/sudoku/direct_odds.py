"""What a direct chain can reach on Sudoku without seeing ahead: the odds of a uniform guesser.

A direct trace (the static search's solution path, no detours) places the first empty cell, row-major,
every line. Where that cell has one candidate left (its row, column and box exclude the rest) the line is
forced; where it has several, the chain must pick the solution's value with nothing written to back it.
A sampler that knows the candidates and picks among them uniformly solves a puzzle with probability
``prod(1 / candidates)`` over those guess points, and ``1 - (1 - p)**k`` with one of ``k`` samples. A
trained direct model above that line has learnt to see further than a cell's own row, column and box (a
value that fits nowhere else in a row, say); below it, it has not learnt the candidates.

    python -m reasonbench.tasks.sudoku.direct_odds --split sudoku6_14givens -n 500 -k 1 -k 4 -k 16
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reasonbench.tasks.sudoku.shape import candidates
from reasonbench.tasks.sudoku.solver import solve


def guess_points(puzzle: str, size: int, solution: str) -> list[int]:
    """Candidate counts at each cell of the static path that has more than one: the path fills the empty
    cells in row-major order with the solution's values, each cell's candidates being the values its
    peers (row, column, box) do not hold yet."""
    board = [int(ch) for ch in puzzle]  # a canonical grid string: 0 is an empty cell
    points = []
    for i, value in enumerate(board):
        if value:
            continue
        left = len(candidates(board, size, i))
        if left > 1:
            points.append(left)
        board[i] = int(solution[i])
    return points


def _path_odds(points: Sequence[int] | None) -> float:
    """One uniform sample's odds of following a path with these guess points (0 when there is none)."""
    return 0.0 if points is None else math.prod(1 / c for c in points)


def _path(puzzle: str, size: int) -> list[int] | None:
    """The puzzle's guess points, ``None`` when it has no solution."""
    solution = solve(puzzle, size)
    return None if solution is None else guess_points(puzzle, size, solution)


def uniform_solve_odds(puzzle: str, size: int) -> float:
    """The probability that one uniform-guess direct sample solves ``puzzle`` (0 without a solution)."""
    return _path_odds(_path(puzzle, size))


def pass_at_k(odds: Sequence[float], k: int) -> float:
    """The expected fraction of puzzles one of ``k`` independent samples solves, given each one's odds."""
    return sum(1 - (1 - p) ** k for p in odds) / len(odds)


def main() -> None:
    """``python -m reasonbench.tasks.sudoku.direct_odds``: guess points and uniform pass@k on a split."""
    import argparse
    import statistics

    from reasonbench.errors import UserError
    from reasonbench.frozen import load_problems

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", default="sudoku6_14givens")
    parser.add_argument("-n", type=int, default=500, help="problems of the split (its frozen val set first)")
    parser.add_argument(
        "-k", type=int, action="append", help="samples per puzzle, repeatable (default 1, 4, 8, 16)"
    )
    args = parser.parse_args()
    if args.n < 1 or any(k < 1 for k in args.k or ()):
        parser.error("-n and -k must be at least 1")
    try:
        problems = load_problems("sudoku", args.split, args.n)
    except UserError as e:
        parser.error(str(e))
    paths = [_path(p.data["puzzle"], p.data["size"]) for p in problems]
    odds = [_path_odds(path) for path in paths]
    points = [len(path) for path in paths if path is not None]
    print(
        f"{args.split}, {len(paths)} puzzles: guess points on the static path, median "
        f"{statistics.median(points):g}, mean {statistics.fmean(points):.2f}"
    )
    for k in args.k or (1, 4, 8, 16):
        print(f"uniform guesser pass@{k}: {pass_at_k(odds, k):.1%}")


if __name__ == "__main__":
    main()
