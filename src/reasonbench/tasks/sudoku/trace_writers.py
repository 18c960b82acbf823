"""Writers of the Sudoku training traces: DFS with backtracking, the direct path, and spawn/join.

The exact format and the search semantics are specified in the ``traces`` module docstring; this module
implements them. The searches are deliberately simple (naked singles and MRV, or cells in a fixed order;
ascending values) because a model has to be able to imitate them step by step; the fast solver lives in
``solver``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from reasonbench.tasks.sudoku.shape import check_grid_string, geometry, with_value
from reasonbench.tasks.sudoku.solver import count_solutions, solve
from reasonbench.tasks.sudoku.trace_grammar import (
    NO_SOLUTION,
    Cell,
    ChildOutcome,
    SpawnRequest,
    calling_block,
    format_prompt,
    guess_line,
    join_block,
    nocand_line,
    place_line,
    revert_line,
    solution_block,
    step_line,
)

_DEAD, _SOLVED, _STUCK = "dead", "solved", "stuck"


class _Board:
    """A grid under construction with the used-value bitmask of every row, column and box."""

    __slots__ = ("boxes", "cells", "cols", "geo", "rows")

    def __init__(self, size: int) -> None:
        self.geo = geometry(size)
        self.cells = [0] * (size * size)
        self.rows = [0] * size
        self.cols = [0] * size
        self.boxes = [0] * size

    @classmethod
    def from_grid(cls, grid: str, size: int) -> _Board | None:
        """The board of a canonical grid string, or ``None`` if two givens already clash."""
        board = cls(size)
        for i, ch in enumerate(grid):
            if ch != "0":
                if not board.candidates(i) & (1 << (int(ch) - 1)):
                    return None
                board.place(i, int(ch))
        return board

    def copy(self) -> _Board:
        twin = _Board.__new__(_Board)
        twin.geo = self.geo
        twin.cells, twin.rows, twin.cols, twin.boxes = (
            self.cells.copy(),
            self.rows.copy(),
            self.cols.copy(),
            self.boxes.copy(),
        )
        return twin

    def candidates(self, i: int) -> int:
        geo = self.geo
        used = self.rows[geo.row_of[i]] | self.cols[geo.col_of[i]] | self.boxes[geo.box_of[i]]
        return geo.shape.full_mask & ~used

    def place(self, i: int, value: int) -> None:
        bit = 1 << (value - 1)
        geo = self.geo
        self.cells[i] = value
        self.rows[geo.row_of[i]] |= bit
        self.cols[geo.col_of[i]] |= bit
        self.boxes[geo.box_of[i]] |= bit

    def cell(self, i: int) -> Cell:
        return (self.geo.row_of[i], self.geo.col_of[i])

    def grid(self) -> str:
        return "".join(str(v) for v in self.cells)


def _values_of(mask: int) -> list[int]:
    return [v + 1 for v in range(mask.bit_length()) if mask >> v & 1]


@dataclass
class _Log:
    """What a search wrote so far: trace lines, and the placements on the current path (cell, value).

    ``order`` picks among equally valid next lines (which dead cell, which naked single, which of the
    MRV cells tied on their count): ``None`` takes the first in row-major order, a generator a uniform
    draw (see "Shuffled order" in the ``traces`` docstring). ``static`` switches the search itself to
    the fixed cell order ("Static search" there), which leaves nothing for ``order`` to pick.
    """

    lines: list[str] = field(default_factory=list)
    path: list[tuple[Cell, int]] = field(default_factory=list)
    order: random.Random | None = None
    static: bool = False
    cell_first: bool = False

    def pick(self, cells: list[int]) -> int:
        """One of ``cells`` (row-major ascending, non-empty): the first, or a draw."""
        return cells[0] if self.order is None else self.order.choice(cells)

    def place(self, board: _Board, i: int, value: int) -> None:
        board.place(i, value)
        self.path.append((board.cell(i), value))

    def write_forced(self, cell: Cell, value: int) -> None:
        self.lines.append(step_line(cell, [value], value) if self.cell_first else place_line(cell, value))

    def write_guess(self, cell: Cell, candidates: list[int]) -> None:
        line = step_line if self.cell_first else guess_line
        self.lines.append(line(cell, candidates, candidates[0]))

    def write_dead_end(self, cell: Cell) -> None:
        self.lines.append(step_line(cell, [], None) if self.cell_first else nocand_line(cell))

    def fresh(self) -> _Log:
        """An empty log that searches and writes as this one does (for a child or a parent's tail)."""
        return _Log(order=self.order, static=self.static, cell_first=self.cell_first)


def _propagate(board: _Board, log: _Log) -> str:
    """Naked singles until stuck, solved, or dead (an empty cell without candidates)."""
    if log.static:
        return _fill_in_order(board, log)
    while True:
        dead: list[int] = []
        singles: list[tuple[int, int]] = []
        any_empty = False
        for i, v in enumerate(board.cells):
            if v:
                continue
            any_empty = True
            mask = board.candidates(i)
            if not mask:
                dead.append(i)
            elif not mask & (mask - 1):
                singles.append((i, mask.bit_length()))
        if dead:
            log.write_dead_end(board.cell(log.pick(dead)))
            return _DEAD
        if not any_empty:
            return _SOLVED
        if not singles:
            return _STUCK
        i = log.pick([i for i, _ in singles])
        value = dict(singles)[i]
        log.place(board, i, value)
        log.write_forced(board.cell(i), value)


def _fill_in_order(board: _Board, log: _Log) -> str:
    """The static search's forced moves: the empty cells in row-major order, each placed while it has one
    candidate; stuck at the first with several, dead at the first with none. Only the next empty cell is
    ever looked at, so a model imitating it never scans the board.
    """
    for i, v in enumerate(board.cells):
        if v:
            continue
        mask = board.candidates(i)
        if not mask:
            log.write_dead_end(board.cell(i))
            return _DEAD
        if mask & (mask - 1):
            return _STUCK
        log.place(board, i, mask.bit_length())
        log.write_forced(board.cell(i), mask.bit_length())
    return _SOLVED


def _mrv(board: _Board, log: _Log) -> tuple[int, list[int]]:
    """The cell to guess on and its candidates: the empty cell with the fewest candidates (ties:
    ``log.pick``), or in the static search the first empty cell (the one ``_fill_in_order`` stopped at)."""
    if log.static:
        first = board.cells.index(0)
        return first, _values_of(board.candidates(first))
    counts = {i: board.candidates(i).bit_count() for i, v in enumerate(board.cells) if not v}
    fewest = min(counts.values())
    best = log.pick([i for i, k in counts.items() if k == fewest])
    return best, _values_of(board.candidates(best))


def _dfs(board: _Board, log: _Log, branch: tuple[int, list[int]] | None = None) -> _Board | None:
    """Depth-first search writing the DFS trace; returns the solved board or ``None``.

    ``branch`` overrides the first branching point (cell index and the values still to try); the spawn
    writer uses it to continue sequentially over candidates it did not hand to children.
    """
    if branch is None:
        status = _propagate(board, log)
        if status == _DEAD:
            return None
        if status == _SOLVED:
            return board
        branch = _mrv(board, log)
    i, values = branch
    cell = board.cell(i)
    mark = len(log.path)
    for k, value in enumerate(values):
        remaining = values[k:]
        if k == 0:
            log.write_guess(cell, remaining)
        else:
            log.lines.append(revert_line(cell, remaining, value))
        del log.path[mark:]
        child = board.copy()
        log.place(child, i, value)
        solved = _dfs(child, log)
        if solved is not None:
            return solved
    log.lines.append(revert_line(cell, [], None))
    del log.path[mark:]
    return None


def _final(solved: _Board | None, size: int) -> str:
    return NO_SOLUTION + "\n" if solved is None else solution_block(solved.grid(), size)


def _lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class _Search:
    log: _Log
    solved: _Board | None


def _search(puzzle: str, size: int, log: _Log) -> _Search:
    """Run the search ``log`` is set up for (order, static, line form) on ``puzzle``, writing into ``log``."""
    check_grid_string(puzzle, size)
    board = _Board.from_grid(puzzle, size)
    return _Search(log, None if board is None else _dfs(board, log))


def dfs_trace(
    puzzle: str,
    size: int,
    order: random.Random | None = None,
    static: bool = False,
    cell_first: bool = False,
) -> str:
    """The DFS trace of ``puzzle``: placements, guesses, dead ends and reverts, then the final block.

    ``order``: ``None`` for the row-major trace, a generator for the shuffled one; ``static``: the
    static search instead of naked singles and MRV (both in the ``traces`` docstring); ``cell_first``:
    placements, guesses and dead ends as cell-first lines ("Cell-first lines" there).
    """
    run = _search(puzzle, size, _Log(order=order, static=static, cell_first=cell_first))
    return _lines(run.log.lines) + _final(run.solved, size)


def solution_guesses(puzzle: str, size: int, solution: str | None = None) -> int | None:
    """How many guesses the DFS trace's solution path makes: the times propagation stalls on the way to
    the solution, each resolved by placing the solution's value in the MRV cell. ``None`` unless the
    puzzle has exactly one solution (pass ``solution`` when it is known, to skip that check).

    A property of the puzzle, not of the value order: the DFS may try wrong values first (dead ends), but
    the board at each stall on the path is the same whatever it tried before.
    """
    if solution is None:
        if count_solutions(puzzle, size) != 1:
            return None
        solution = solve(puzzle, size)
    board = _Board.from_grid(puzzle, size)
    if solution is None or board is None:
        return None
    guesses, log = 0, _Log()
    while _propagate(board, log) == _STUCK:
        i, _ = _mrv(board, log)
        board.place(i, int(solution[i]))
        guesses += 1
    return guesses


def _path_lines(log: _Log) -> list[str]:
    return [place_line(cell, value) for cell, value in log.path]


def direct_trace(puzzle: str, size: int, order: random.Random | None = None, static: bool = False) -> str:
    """The DFS trace without its detours: the surviving placements in order, then the final block."""
    run = _search(puzzle, size, _Log(order=order, static=static))
    placements = _path_lines(run.log) if run.solved is not None else []
    return _lines(placements) + _final(run.solved, size)


@dataclass(frozen=True)
class ChildExample:
    """One child of a spawn as a training example of its own (``prompt`` + ``trace``), and its outcome."""

    request: SpawnRequest
    prompt: str
    trace: str
    solution: str | None
    placement_lines: tuple[str, ...]

    @property
    def solved(self) -> bool:
        return self.solution is not None

    def outcome(self) -> ChildOutcome:
        """The child's entry in the parent's join block."""
        r = self.request
        return ChildOutcome(r.index, r.cell, r.value, self.solved, self.placement_lines)


@dataclass(frozen=True)
class SpawnTraces:
    """A spawn/join decomposition of one puzzle.

    The parent first writes ``before + calling_block`` (``pre_spawn``) and stops; each child is its own
    example; once they finish, the calling block is replaced by ``join`` and the parent writes ``after``,
    so the parent's final context is ``joined = before + join + after``. When the search needs no
    branching (solved or dead by propagation alone) there is no spawn: ``before`` is the whole trace and
    ``calling_block``, ``join``, ``after`` are empty.
    """

    prompt: str
    before: str
    calling_block: str
    children: tuple[ChildExample, ...]
    join: str
    after: str

    @property
    def pre_spawn(self) -> str:
        return self.before + self.calling_block

    @property
    def joined(self) -> str:
        return self.before + self.join + self.after


def _child(board: _Board, size: int, request: SpawnRequest, log: _Log) -> ChildExample:
    grid = with_value(board.grid(), size, request.cell, request.value)
    run = _search(grid, size, log.fresh())
    return ChildExample(
        request=request,
        prompt=format_prompt(grid, size),
        trace=_lines(run.log.lines) + _final(run.solved, size),
        solution=None if run.solved is None else run.solved.grid(),
        placement_lines=tuple(_path_lines(run.log)) if run.solved is not None else (),
    )


def spawn_traces(
    puzzle: str,
    size: int,
    max_children: int = 9,
    order: random.Random | None = None,
    static: bool = False,
    cell_first: bool = False,
) -> SpawnTraces:
    """Split the search of ``puzzle`` at its first branching point into one child per candidate.

    The parent propagates like the DFS trace; where the DFS would write its first guess, the parent
    spawns children for the first ``max_children`` candidates (ascending) of the cell it would guess on.
    If none of them solves the puzzle and candidates are left over, the parent continues after the join
    block with an ordinary DFS over the left-over candidates (``guess: (r, c) [left-over] = v`` ...).
    """
    if max_children < 1:
        raise ValueError(f"max_children must be >= 1, got {max_children}")
    if cell_first and max_children < size:
        # The parent's tail would start with a guess among the left-over candidates, and a cell-first
        # guess with one candidate left, "(r, c) [v] = v", reads as a placement.
        raise ValueError(f"cell-first spawn traces spawn every candidate: max_children must be >= {size}")
    check_grid_string(puzzle, size)
    prompt = format_prompt(puzzle, size)
    log = _Log(order=order, static=static, cell_first=cell_first)
    board = _Board.from_grid(puzzle, size)
    status = _DEAD if board is None else _propagate(board, log)
    if board is None or status != _STUCK:
        final = _final(board if status == _SOLVED else None, size)
        return SpawnTraces(prompt, _lines(log.lines) + final, "", (), "", "")
    i, values = _mrv(board, log)
    cell = board.cell(i)
    requests = [SpawnRequest(k, 1, cell, v) for k, v in enumerate(values[:max_children])]
    children = tuple(_child(board, size, r, log) for r in requests)
    winner = next((c for c in children if c.solved), None)
    if winner is not None and winner.solution is not None:
        after = solution_block(winner.solution, size)
    else:
        rest = values[max_children:]
        tail = log.fresh()
        solved = _dfs(board, tail, (i, rest)) if rest else None
        after = _lines(tail.lines) + _final(solved, size)
    return SpawnTraces(
        prompt=prompt,
        before=_lines(log.lines),
        calling_block=calling_block(requests),
        children=children,
        join=join_block([c.outcome() for c in children], level=1),
        after=after,
    )
