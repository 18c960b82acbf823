"""The line grammar shared by the Sudoku trace writers, the parsers and a spawn/join runtime.

Every function here writes one piece of trace text byte-exactly; ``traces`` documents the whole format.
Cells are 0-based ``(r, c)``; values are ``1..size``; every written line ends with ``"\\n"``. The spawn and
join lines fill in the grammar every task shares (:mod:`reasonbench.tasks.spawn_grammar`) with
``Place (r, c) = v``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reasonbench.tasks import spawn_grammar
from reasonbench.tasks.sudoku.shape import grid_rows

Cell = tuple[int, int]

PROMPT_HEADER = "Puzzle:"
SOLUTION_HEADER = "solution:"
NO_SOLUTION = "no solution"
GUESS = "guess: "
NOCAND = "nocand: "
REVERT = "revert: "
EXHAUSTED = " = none"
"""How a revert line ends when the cell has no candidate left."""
PLACE = "Place "
"""What a spawn line's start and a join line's place begin with: ``Place (r, c) = v``."""

PHRASES = (PROMPT_HEADER, SOLUTION_HEADER, NO_SOLUTION, GUESS, NOCAND, REVERT, EXHAUSTED, PLACE)
"""The fixed phrases of Sudoku traces beyond the shared spawn grammar's, each one token of the trace
tokenizer (after Countdown's: append, never reorder)."""


@dataclass(frozen=True)
class SpawnRequest:
    """One child of a spawn: sub search ``index`` at ``level`` explores ``cell`` = ``value``."""

    index: int
    level: int
    cell: Cell
    value: int


@dataclass(frozen=True)
class ChildOutcome:
    """What a finished child reports to its parent's join block.

    ``placement_lines`` are the child's surviving placement lines (``"(r, c) = v"``, no newline) in the
    order it made them; only the first solved child's lines are written into the join block.
    """

    index: int
    cell: Cell
    value: int
    solved: bool
    placement_lines: tuple[str, ...] = ()


def _cell(cell: Cell) -> str:
    return f"({cell[0]}, {cell[1]})"


def _values(values: Sequence[int]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


GRID_PROMPT_SIZES = frozenset({4})
"""Board sizes whose prompt is the grid itself; every larger board lists its filled cells instead."""


def format_prompt(grid: str, size: int) -> str:
    """The prompt for a puzzle (canonical grid string): ``Puzzle:``, then the board.

    A 4x4 board is written as its ``size`` rows of digits (``0`` = empty). A larger board is written as
    one ``(r, c) = v`` line per filled cell in row-major order: the same line as a placement, so that the
    model finds a given exactly as it finds its own placements, by matching ``(r, c)`` in its context.
    Read off a grid, the digit of cell ``(r, c)`` sits at a fixed absolute position, which a model with
    rotary positions sees only as a distance that grows with every line it writes. Measured on 6x6 at
    step 1,000, the two layouts train to the same loss (0.320 grid, 0.322 lines), both still placing
    values on given cells: the layout is not what the model lacks (the sudoku-dfs recipe has the figures).
    """
    if size in GRID_PROMPT_SIZES:
        return PROMPT_HEADER + "\n" + "".join(row + "\n" for row in grid_rows(grid, size))
    filled = (place_line((i // size, i % size), int(ch)) for i, ch in enumerate(grid) if ch != "0")
    return PROMPT_HEADER + "\n" + "".join(line + "\n" for line in filled)


def place_line(cell: Cell, value: int) -> str:
    """A forced placement (naked single, or a value a child search placed): ``(r, c) = v``."""
    return f"{_cell(cell)} = {value}"


def guess_line(cell: Cell, candidates: Sequence[int], value: int) -> str:
    """The first try at a branching cell: ``guess: (r, c) [c1, c2, ...] = c1``."""
    return f"{GUESS}{_cell(cell)} {_values(candidates)} = {value}"


def nocand_line(cell: Cell) -> str:
    """A dead end: the empty cell ``(r, c)`` has no candidate left."""
    return f"{NOCAND}{_cell(cell)}"


def revert_line(cell: Cell, remaining: Sequence[int], value: int | None) -> str:
    """Back to the guess at ``cell``: ``revert: (r, c) [v, ...] = v``, or ``revert: (r, c) [] = none``."""
    return f"{REVERT}{_cell(cell)} {_values(remaining)}" + (EXHAUSTED if value is None else f" = {value}")


def step_line(cell: Cell, candidates: Sequence[int], value: int | None) -> str:
    """A cell-first step: the cell, all its candidates, then the value tried, or nothing at a dead end.

    ``(r, c) [v] = v`` places the one candidate, ``(r, c) [c1, c2, ...] = c1`` guesses, ``(r, c) []`` is a
    dead end: the line's kind follows from the list the line has already written.
    """
    return f"{_cell(cell)} {_values(candidates)}" + ("" if value is None else f" = {value}")


def solution_block(grid: str, size: int) -> str:
    """The final answer: ``solution:`` then the ``size`` rows of the solved grid."""
    return SOLUTION_HEADER + "\n" + "".join(row + "\n" for row in grid_rows(grid, size))


def _place(cell: Cell, value: int) -> str:
    return f"{PLACE}{_cell(cell)} = {value}"


def start_line(request: SpawnRequest) -> str:
    """One line of a calling block: ``<Start Sub Search i at level L> Place (r, c) = v``."""
    return spawn_grammar.spawn_line(request.index, request.level, _place(request.cell, request.value))


def outcome_line(index: int, level: int, cell: Cell, value: int, solved: bool) -> str:
    """One child's verdict in a join block: ``<Goal Reached in ...>`` or ``<No Solution in ...>``."""
    return spawn_grammar.join_result_line(index, level, _place(cell, value), solved)


def calling_block(requests: Iterable[SpawnRequest]) -> str:
    """A parent's spawn: the open marker, one start line per child, the close marker."""
    return spawn_grammar.calling_block(start_line(r) for r in requests)


def _as_outcome(item: ChildOutcome | Sequence[object]) -> ChildOutcome:
    if isinstance(item, ChildOutcome):
        return item
    index, cell, value, solved, lines = item
    return ChildOutcome(int(index), (int(cell[0]), int(cell[1])), int(value), bool(solved), tuple(lines))


def join_block(outcomes: Iterable[ChildOutcome | Sequence[object]], level: int = 1) -> str:
    """The text that replaces a calling block once its children finished.

    ``outcomes`` are ``ChildOutcome`` values or plain ``(index, cell, value, solved, placement_lines)``
    tuples, written in the order given (a runtime passes them by index). Layout: ``<Sub Searches>``, one
    outcome line per child, then the placement lines of the first solved child (if any), then
    ``<End Sub Searches>``.
    """
    items = [_as_outcome(o) for o in outcomes]
    body = "".join(outcome_line(o.index, level, o.cell, o.value, o.solved) + "\n" for o in items)
    winner = next((o for o in items if o.solved), None)
    if winner is not None:
        body += "".join(line + "\n" for line in winner.placement_lines)
    return spawn_grammar.join_block(body)
