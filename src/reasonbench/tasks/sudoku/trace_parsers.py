"""Parsers of Sudoku trace text written by a model: complete, truncated or garbage, they never raise.

Lines are matched one at a time against anchored patterns with bounded numbers, after stripping
surrounding whitespace (spacing inside a line may vary: ``(1,2)=3`` reads like ``(1, 2) = 3``). A line
that fits no rule, or names a cell or value outside the board, is counted as malformed and skipped.
Only the first ``MAX_TRACE_CHARS`` characters of a trace are read (the last ones for a spawn block).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasonbench.tasks.spawn_grammar import (
    GOAL_REACHED,
    JOIN_CLOSE,
    JOIN_OPEN,
    MARKERS,
    MalformedSpawn,
    calling_lines,
    check_numbering,
    join_result_pattern,
    spawn_line_pattern,
)
from reasonbench.tasks.sudoku.shape import shape_for
from reasonbench.tasks.sudoku.trace_grammar import (
    NO_SOLUTION,
    PROMPT_HEADER,
    SOLUTION_HEADER,
    Cell,
    SpawnRequest,
    place_line,
)

MAX_TRACE_CHARS = 1_000_000
# A spawn never needs more children than a cell has values; more is garbage.
MAX_SPAWN_CHILDREN = 9
_MAX_LINE_CHARS = 200

# ASCII only (every pattern is compiled with re.ASCII): to a Unicode regex \s also matches \x1c-\x1f, which
# int() rejects, and \d other scripts' digits, which are not the grammar's.
_NUM = r"\s*(\d{1,3})\s*"
_CELL = rf"\({_NUM},{_NUM}\)"
_LIST = r"\[\s*((?:\d{1,3}\s*,\s*){0,15}\d{1,3})?\s*\]"
_PLACE = re.compile(rf"{_CELL}\s*={_NUM}", re.ASCII)
_GUESS = re.compile(rf"guess:\s*{_CELL}\s*{_LIST}\s*={_NUM}", re.ASCII)
_NOCAND = re.compile(rf"nocand:\s*{_CELL}", re.ASCII)
_STEP = re.compile(
    rf"{_CELL}\s*{_LIST}(?:\s*={_NUM})?", re.ASCII
)  # a cell-first line: (r, c) [candidates] = v
_REVERT = re.compile(rf"revert:\s*{_CELL}\s*{_LIST}\s*=\s*(\d{{1,3}}|none)\s*", re.ASCII)
_START = re.compile(spawn_line_pattern(rf"Place\s*{_CELL}\s*={_NUM}", loose=True), re.ASCII)
_OUTCOME = re.compile(join_result_pattern(rf"Place\s*{_CELL}\s*={_NUM}", loose=True), re.ASCII)


@dataclass(frozen=True)
class TraceEvent:
    """One search step read from a trace.

    ``kind`` is ``"place"`` (a placement, including the winning child's placement in a join block),
    ``"guess"``, ``"nocand"`` or ``"revert"``. ``value`` is ``None`` for ``nocand`` and for an exhausted
    revert (``= none``); ``candidates`` is the bracketed list of a guess or revert.
    """

    kind: str
    cell: Cell
    value: int | None = None
    candidates: tuple[int, ...] = ()


@dataclass(frozen=True)
class ParsedTrace:
    """Everything read from a trace.

    ``answer`` is the canonical grid string of the last ``solution:`` block if that block is complete
    (``size`` rows of ``size`` digits), else ``None``. ``no_solution`` tells whether a ``no solution`` line
    was read. ``malformed_lines`` counts non-blank lines that fit no rule.
    """

    events: tuple[TraceEvent, ...]
    answer: str | None
    no_solution: bool
    malformed_lines: int


class _Reader:
    """Line-by-line state of one parse (kept small: the parse itself is one pass)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.events: list[TraceEvent] = []
        self.answer: str | None = None
        self.no_solution = False
        self.malformed = 0
        self.in_join = False
        self.goal_taken = False

    def cell(self, r: str, c: str) -> Cell | None:
        cell = (int(r), int(c))
        return cell if cell[0] < self.size and cell[1] < self.size else None

    def value(self, v: str) -> int | None:
        value = int(v)
        return value if 1 <= value <= self.size else None

    def values(self, listed: str | None) -> tuple[int, ...] | None:
        if not listed:
            return ()
        out = tuple(v for v in (self.value(x) for x in listed.split(",")) if v is not None)
        return out if len(out) == listed.count(",") + 1 else None  # an off-board value spoils the list

    def event(self, line: str) -> TraceEvent | None:
        """The event of one stripped line, or ``None`` if it is not a well-formed event line."""
        if m := _PLACE.fullmatch(line):
            cell, value = self.cell(m[1], m[2]), self.value(m[3])
            return None if cell is None or value is None else TraceEvent("place", cell, value)
        if m := _GUESS.fullmatch(line):
            cell, listed, value = self.cell(m[1], m[2]), self.values(m[3]), self.value(m[4])
            if cell is None or not listed or value is None:
                return None
            return TraceEvent("guess", cell, value, listed)
        if m := _NOCAND.fullmatch(line):
            cell = self.cell(m[1], m[2])
            return None if cell is None else TraceEvent("nocand", cell)
        if m := _STEP.fullmatch(line):
            return self.step(m)
        if m := _REVERT.fullmatch(line):
            cell, listed = self.cell(m[1], m[2]), self.values(m[3])
            value = None if m[4] == "none" else self.value(m[4])
            if cell is None or listed is None or (value is None and m[4] != "none"):
                return None
            return TraceEvent("revert", cell, value, listed)
        return None

    def step(self, m: re.Match[str]) -> TraceEvent | None:
        """A cell-first line: its kind is read off its candidate list (none: a dead end, one: a
        placement, several: a guess); a dead end takes no value, the others one from their list."""
        cell, listed = self.cell(m[1], m[2]), self.values(m[3])
        if cell is None or listed is None:
            return None
        if not listed:
            return TraceEvent("nocand", cell) if m[4] is None else None
        value = None if m[4] is None else self.value(m[4])
        if value not in listed:
            return None
        return (
            TraceEvent("place", cell, value) if len(listed) == 1 else TraceEvent("guess", cell, value, listed)
        )

    def outcome(self, m: re.Match[str]) -> None:
        """A join block's outcome line: the first ``Goal Reached`` of a block is the winning placement."""
        if m[1] != GOAL_REACHED or self.goal_taken:
            return
        cell, value = self.cell(m[4], m[5]), self.value(m[6])
        if cell is None or value is None:
            self.malformed += 1
            return
        self.events.append(TraceEvent("place", cell, value))
        self.goal_taken = self.in_join  # outside a join block every goal line counts

    def marker(self, line: str) -> None:
        if line == JOIN_OPEN:
            self.in_join, self.goal_taken = True, False
        elif line == JOIN_CLOSE:
            self.in_join, self.goal_taken = False, False

    def grid_block(self, lines: list[str], start: int) -> str | None:
        """The ``size`` digit rows starting at ``lines[start]`` as a grid string, or ``None``."""
        rows = [line.strip() for line in lines[start : start + self.size]]
        if len(rows) < self.size or any(
            len(r) != self.size or not r.isascii() or not r.isdigit() for r in rows
        ):
            return None
        return "".join(rows)


def parse_trace(text: str, size: int) -> ParsedTrace:
    """Read the events and the final answer of any trace text (see ``traces`` for the grammar).

    Also reads a parent's spawn text: calling and join markers are recognised and skipped, and the first
    ``<Goal Reached ... at Place (r, c) = v>`` line of a join block counts as a placement (its placement
    lines follow; later goal lines of the same block are other solutions and are skipped). A ``Puzzle:``
    block (a prompt pasted in front of the trace) is skipped. Raises only if ``size`` is unsupported.
    """
    shape_for(size)
    reader = _Reader(size)
    lines = text[:MAX_TRACE_CHARS].splitlines() if isinstance(text, str) else []
    k = 0
    while k < len(lines):
        line = lines[k].strip()
        k += 1
        if not line:
            continue
        if len(line) > _MAX_LINE_CHARS:
            reader.malformed += 1
        elif line in (SOLUTION_HEADER, PROMPT_HEADER):
            grid = reader.grid_block(lines, k)
            if line == SOLUTION_HEADER:
                reader.answer = grid
            if grid is not None:
                k += size
        elif line == NO_SOLUTION:
            reader.no_solution = True
        elif line in MARKERS:
            reader.marker(line)
        elif _START.fullmatch(line):
            continue  # a spawn request: the board changes only when the join reports the outcome
        elif m := _OUTCOME.fullmatch(line):
            reader.outcome(m)
        elif (event := reader.event(line)) is not None:
            reader.events.append(event)
        else:
            reader.malformed += 1
    return ParsedTrace(tuple(reader.events), reader.answer, reader.no_solution, reader.malformed)


def surviving_placements(events: tuple[TraceEvent, ...] | list[TraceEvent]) -> list[tuple[Cell, int]]:
    """The placements on the current search path after replaying ``events`` (the direct path when solved).

    A guess opens a branch; ``revert`` at a cell drops everything placed since that cell's guess (and any
    deeper open guesses) and then places the new value, or closes the branch on ``= none``. A revert of a
    cell with no open guess is ignored.
    """
    path: list[tuple[Cell, int]] = []
    open_guesses: list[tuple[Cell, int]] = []  # (cell, path length before its guess)
    # Each cell's open guesses as indices into open_guesses, deepest last: a revert finds its guess
    # without scanning, so a hostile trace of many guesses and reverts stays linear.
    depths: dict[Cell, list[int]] = {}

    def open_guess(cell: Cell, mark: int, value: int) -> None:
        depths.setdefault(cell, []).append(len(open_guesses))
        open_guesses.append((cell, mark))
        path.append((cell, value))

    for e in events:
        if e.value is not None and e.kind == "place":
            path.append((e.cell, e.value))
        elif e.value is not None and e.kind == "guess":
            open_guess(e.cell, len(path), e.value)
        elif e.kind == "revert" and depths.get(e.cell):
            depth = depths[e.cell][-1]
            mark = open_guesses[depth][1]
            for cell, _ in open_guesses[depth:]:
                depths[cell].pop()
            del open_guesses[depth:]
            del path[mark:]
            if e.value is not None:
                open_guess(e.cell, mark, e.value)
    return path


def placement_lines(events: tuple[TraceEvent, ...] | list[TraceEvent]) -> tuple[str, ...]:
    """The surviving placements as trace lines: what a solved child contributes to its parent's join."""
    return tuple(place_line(cell, value) for cell, value in surviving_placements(events))


def replay_grid(puzzle: str, size: int, events: tuple[TraceEvent, ...] | list[TraceEvent]) -> str:
    """``puzzle`` with the surviving placements written into its empty cells (later ones win).

    This is the board a parent sees at its spawn point, from which a runtime builds the children's
    puzzles. Placements on given cells are ignored.
    """
    cells = list(puzzle)
    for (r, c), value in surviving_placements(events):
        i = r * size + c
        if i < len(cells) and puzzle[i] == "0":
            cells[i] = str(value)
    return "".join(cells)


def parse_spawn_block(text: str, size: int | None = None) -> list[SpawnRequest] | MalformedSpawn | None:
    """The children requested by the last calling block of ``text``; ``None`` without a block.

    Runnable: a ``<Calling Sub Searches>`` line, then 1..``MAX_SPAWN_CHILDREN`` start lines numbered
    0, 1, 2, ... with one common level >= 1, then ``<End Calling Sub Searches>``; with ``size`` given, cells
    and values must lie on the board. An unclosed (truncated) block or any stray line is a
    :class:`MalformedSpawn` (blank lines are skipped).
    """
    if not isinstance(text, str):
        return None

    def read(line: str) -> SpawnRequest | None:
        m = _START.fullmatch(line)
        if m is None:
            return None
        index, level, r, c, value = (int(g) for g in m.groups())
        if value < 1 or (size is not None and not (r < size and c < size and value <= size)):
            return None
        return SpawnRequest(index, level, (r, c), value)

    requests = calling_lines(text[-MAX_TRACE_CHARS:], read, MAX_SPAWN_CHILDREN, _MAX_LINE_CHARS)
    if requests is None or isinstance(requests, MalformedSpawn):
        return requests
    return check_numbering([r.index for r in requests], [r.level for r in requests]) or requests
