"""Seeded Sudoku generator: every puzzle has exactly one solution and the configured number of givens.

Draw *i* of a split uses its own ``random.Random(f"{seed}:{i}")`` (the Countdown convention). A draw
fills a random complete grid (the solver on an empty grid with a shuffled value order at every branch),
then visits the cells in a random order and removes each clue whose removal keeps the solution unique,
stopping as soon as ``givens`` clues remain. A clue can go when its value is forced by the values of its
peers that are still given, or else when no solution puts another value in its cell (one solver call).

If a pass over all cells ends above the target (the puzzle became minimal first), or the puzzle needs
fewer than ``min_guesses`` or more than ``max_guesses`` guesses, the draw starts again from a new full
grid, using the same ``Random`` stream, so it stays reproducible. Every returned puzzle thus has exactly
``givens`` clues; after ``_MAX_ATTEMPTS`` failed attempts the draw raises ``ValueError`` (targets near the
minimum number of clues — 17 for 9x9 — are not reachable this way).

Difficulty: the guesses a puzzle needs are those on the solution path of its DFS trace
(``trace_writers.solution_guesses``): how often placing naked singles (cells with a single candidate)
stalls on the way to the solution. It depends on the puzzle alone, not on the order the DFS tries values
in, so selecting on it favours no value over another (selecting on dead ends would: the DFS tries the
smallest candidate first, so "the first guess fails" would mean "the answer is never the smallest").
``min_guesses=1`` means naked singles alone cannot finish the puzzle; ``max_guesses=0`` means they can,
and then a clue is only removed while naked singles still complete the puzzle, which also guarantees
uniqueness.

A split walks draws 0, 1, 2, ... and keeps the first occurrence of each distinct puzzle string.

Named splits (``SPLITS``), chosen so that 1000 puzzles generate in well under a minute on one core and
the puzzles are minimal or near-minimal for their size (measured per puzzle: ~0.2 ms for 4x4, ~5 ms for
6x6, ~14 ms for 9x9):

* ``sudoku4``: 4x4, 4 givens (the minimum; 25,728 such puzzles exist). Every uniquely solvable 4x4 puzzle
  is completed by naked singles alone (checked on all 4-clue puzzles and 140k random ones), so 4x4 DFS
  traces never guess: ``min_guesses=1`` cannot be met for size 4.
* ``sudoku6``: 6x6, 9 givens (minimum 8, which random removal almost never reaches); about half of them
  need a guess.
* ``sudoku6_guess``: as ``sudoku6`` but ``min_guesses=1``: every DFS trace guesses.
* ``sudoku6_search``: 6x6, 10 givens, ``min_guesses=2``: the CPU default split, where search matters. On
  its 500 frozen puzzles the solution path guesses 2 (64%), 3 (26%), 4+ (10%) times, and the DFS trace
  meets 1.7 dead ends on average (21% none, 11% four or more). At 9 givens only one carve in five
  reaches the target (the rest end minimal above it), which made the split 2.3x slower to generate for
  the same guess distribution; at 10 about one carve in nine qualifies (~15 ms per puzzle).
* ``sudoku6_14givens``: 6x6, 14 givens, ``min_guesses=1``: the split for the static search (see the
  ``traces`` docstring), which guesses at every cell with several candidates, so fewer empty cells keep
  its traces inside our windows: symbolic ceiling 45% / 86% / 98% at 1k / 2k / 4k on the 500 frozen
  puzzles (median 1,112 tokens, p90 2,293), against 15% / 42% / 71% on ``sudoku6_search`` (median 2,579)
  and 29% / 66% / 88% with 12 givens (median 1,532). The scan search solves it in ~500 tokens with 1.2
  guesses on the solution path (83% one, 14% two).
* ``sudoku9``: 9x9, 24 givens (minimum 17; random removal usually gets stuck between 22 and 26, and 22
  costs ~20x more time); about 98% need a guess.
* ``sudoku9_easy``: 9x9, 30 givens, ``max_guesses=0``: naked singles alone solve them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import partial

from reasonbench.tasks.draws import first_distinct
from reasonbench.tasks.sudoku.shape import SHAPES, geometry
from reasonbench.tasks.sudoku.solver import (
    count_solutions,
    fills_by_naked_singles,
    random_solution,
    solve_excluding,
)
from reasonbench.tasks.sudoku.trace_writers import solution_guesses

# The smallest number of clues a uniquely solvable puzzle of each size can have.
MIN_GIVENS: dict[int, int] = {4: 4, 6: 8, 9: 17}

# Clues per puzzle when a config leaves ``givens`` unset.
DEFAULT_GIVENS: dict[int, int] = {4: 4, 6: 9, 9: 24}

# Full grids tried per draw before the knobs are declared unreachable.
_MAX_ATTEMPTS = 2000


@dataclass(frozen=True)
class SudokuConfig:
    """Knobs of a Sudoku split.

    Attributes:
        size: 4, 6 or 9.
        givens: number of clues in every puzzle (``MIN_GIVENS[size]`` .. ``size*size``); ``None`` (the
            default) becomes ``DEFAULT_GIVENS[size]``, so ``config.givens`` is always an int afterwards.
        min_guesses: the fewest guesses the DFS trace's solution path may make (0..size*size).
        max_guesses: the most (``None``: no limit; 0: naked singles alone finish every puzzle).
        seed: the split's seed; draw ``i`` uses ``Random(f"{seed}:{i}")``.
    """

    size: int = 9
    givens: int | None = None
    min_guesses: int = 0
    max_guesses: int | None = None
    seed: str = "sudoku9"

    def __post_init__(self) -> None:
        if self.size not in SHAPES:
            raise ValueError(f"size must be one of {sorted(SHAPES)}, got {self.size!r}")
        if self.givens is None:
            object.__setattr__(self, "givens", DEFAULT_GIVENS[self.size])  # frozen: set once, here
        low, high = MIN_GIVENS[self.size], self.size * self.size
        if not _is_int(self.givens) or not low <= self.givens <= high:
            raise ValueError(f"givens must be in {low}..{high} for size {self.size}, got {self.givens!r}")
        cells = self.size * self.size
        if not _is_int(self.min_guesses) or not 0 <= self.min_guesses <= cells:
            raise ValueError(f"min_guesses must be in 0..{cells}, got {self.min_guesses!r}")
        if self.max_guesses is not None and (
            not _is_int(self.max_guesses) or not self.min_guesses <= self.max_guesses <= cells
        ):
            raise ValueError(
                f"max_guesses must be None or in min_guesses..{cells} ({self.min_guesses}..), "
                f"got {self.max_guesses!r}"
            )
        if not isinstance(self.seed, str) or not self.seed:
            raise ValueError(f"seed must be a non-empty string, got {self.seed!r}")


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


SPLITS: dict[str, SudokuConfig] = {
    "sudoku4": SudokuConfig(size=4, givens=4, seed="sudoku4"),
    "sudoku6": SudokuConfig(size=6, givens=9, seed="sudoku6"),
    "sudoku6_guess": SudokuConfig(size=6, givens=9, min_guesses=1, seed="sudoku6_guess"),
    "sudoku6_search": SudokuConfig(size=6, givens=10, min_guesses=2, seed="sudoku6_search"),
    "sudoku6_14givens": SudokuConfig(size=6, givens=14, min_guesses=1, seed="sudoku6_14givens"),
    "sudoku9": SudokuConfig(size=9, givens=24, seed="sudoku9"),
    "sudoku9_easy": SudokuConfig(size=9, givens=30, max_guesses=0, seed="sudoku9_easy"),
}


def _forced_by_peers(grid: list[str], cell: int, size: int) -> bool:
    """True when the given peers of ``cell`` hold every value but one: the clue is then redundant."""
    seen = {grid[p] for p in geometry(size).peers[cell]}
    seen.discard("0")
    return len(seen) == size - 1


def _still_unique(grid: list[str], cell: int, value: str, size: int, singles_only: bool) -> bool:
    """Whether the puzzle ``grid`` (with ``cell`` just emptied, formerly ``value``) keeps one solution.

    With ``singles_only`` the puzzle must moreover stay solvable by naked singles (which implies unique).
    """
    if singles_only:
        return fills_by_naked_singles("".join(grid), size)
    if _forced_by_peers(grid, cell, size):
        return True
    return solve_excluding("".join(grid), size, cell, int(value)) is None


def _remove_clues(grid: list[str], size: int, rng: random.Random, target: int, singles_only: bool) -> int:
    """Empty clues of the unique puzzle ``grid`` in random order while it stays unique, down to ``target``.

    Every cell is tried once, which is enough for minimality: a clue that was needed once stays needed,
    since removing other clues only adds solutions. Mutates ``grid``; returns the number of clues left.
    """
    cells = [i for i, ch in enumerate(grid) if ch != "0"]
    rng.shuffle(cells)
    givens = len(cells)
    for cell in cells:
        if givens <= target:
            break
        value = grid[cell]
        grid[cell] = "0"
        if _still_unique(grid, cell, value, size, singles_only):
            givens -= 1
        else:
            grid[cell] = value
    return givens


def _carve(solution: str, config: SudokuConfig, rng: random.Random) -> str | None:
    """Remove clues of ``solution`` in random order down to ``config.givens``; ``None`` if stuck above."""
    grid = list(solution)
    givens = _remove_clues(grid, config.size, rng, config.givens, config.max_guesses == 0)
    if givens != config.givens:
        return None
    puzzle = "".join(grid)
    if config.min_guesses or config.max_guesses:
        guesses = solution_guesses(puzzle, config.size, solution)
        if guesses is None or guesses < config.min_guesses:
            return None
        if config.max_guesses is not None and guesses > config.max_guesses:
            return None
    return puzzle


def minimize(puzzle: str, size: int, rng: random.Random) -> str:
    """A minimal puzzle inside ``puzzle`` (every remaining clue is needed), removing clues in random order.

    ``puzzle`` may be a full grid. Raises ``ValueError`` unless it has exactly one solution.
    """
    if count_solutions(puzzle, size) != 1:
        raise ValueError("minimize needs a puzzle with exactly one solution")
    grid = list(puzzle)
    _remove_clues(grid, size, rng, 0, singles_only=False)
    return "".join(grid)


def draw(config: SudokuConfig, i: int) -> str:
    """Draw number ``i`` of a split (before de-duplication): a puzzle string with a unique solution."""
    rng = random.Random(f"{config.seed}:{i}")
    for _ in range(_MAX_ATTEMPTS):
        puzzle = _carve(random_solution(config.size, rng), config, rng)
        if puzzle is not None:
            return puzzle
    raise ValueError(
        f"no {config.size}x{config.size} puzzle with givens={config.givens} and "
        f"guesses {config.min_guesses}..{config.max_guesses} in {_MAX_ATTEMPTS} attempts; "
        "change givens or guesses"
    )


def generate(config: SudokuConfig, count: int, workers: int = 1) -> list[str]:
    """The first ``count`` distinct puzzles of a split (canonical grid strings), reproducible from the seed.

    ``workers`` processes draw the puzzles (the result does not depend on how many). Raises ``ValueError``
    when the knobs admit fewer distinct puzzles than asked for within a generous number of draws (tiny 4x4
    spaces).
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    budget = max(1000, 50 * count)
    out = first_distinct(partial(draw, config), lambda puzzle: puzzle, count, budget, workers)
    if len(out) < count:
        raise ValueError(f"only {len(out)} distinct puzzles in {budget} draws; change givens or size")
    return out
