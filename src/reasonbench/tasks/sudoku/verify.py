"""Strict Sudoku verifier: a model's answer must be a complete, valid grid that keeps every given.

The grid is read with ``grid_text.read_grid`` (lenient about layout, strict about content). Checks run in
this order and the first failure is the reason: characters, value range, givens kept, no empty cell, no
duplicate in any row, column or box. Positions in reasons are 0-based ``(r, c)``; rows, columns and boxes
are 0-based too (box ``k`` is the ``k``-th box in row-major order). Any valid completion is accepted, so a
puzzle with several solutions accepts each of them.
"""

from __future__ import annotations

from reasonbench.tasks.base import Verdict
from reasonbench.tasks.sudoku.grid_text import DIGITS, EMPTY_MARKS, read_grid
from reasonbench.tasks.sudoku.shape import check_grid_string, geometry


def _normalized(cells: tuple[str, ...]) -> str | None:
    """The canonical grid string (empty marks become ``0``), or ``None`` if a cell is not a digit/mark."""
    if any(ch not in DIGITS and ch not in EMPTY_MARKS for ch in cells):
        return None
    return "".join("0" if ch in EMPTY_MARKS else ch for ch in cells)


def _first_error(puzzle: str, size: int, cells: tuple[str, ...]) -> str | None:
    """Why ``cells`` is not a valid completion of ``puzzle``, or ``None`` if it is."""
    for i, ch in enumerate(cells):
        if ch not in DIGITS and ch not in EMPTY_MARKS:
            return f"invalid character {ch!r} at ({i // size}, {i % size})"
    for i, ch in enumerate(cells):
        if ch in DIGITS and int(ch) > size:
            return f"digit {ch} out of range 1..{size} at ({i // size}, {i % size})"
    for i, (given, ch) in enumerate(zip(puzzle, cells, strict=True)):
        if given != "0" and ch not in EMPTY_MARKS and ch != given:
            return f"given at ({i // size}, {i % size}) changed from {given} to {ch}"
    empty = [i for i, ch in enumerate(cells) if ch in EMPTY_MARKS]
    if empty:
        return f"{len(empty)} empty cell(s), first at ({empty[0] // size}, {empty[0] % size})"
    geo = geometry(size)
    kinds = ("row", "column", "box")
    for u, unit in enumerate(geo.units):
        seen: set[str] = set()
        for i in unit:
            if cells[i] in seen:
                return f"duplicate {cells[i]} in {kinds[u // size]} {u % size}"
            seen.add(cells[i])
    return None


def verify_answer(puzzle: str, size: int, answer: str) -> Verdict:
    """Judge ``answer`` (any text) as a solution of ``puzzle`` (canonical grid string of ``size``).

    Never raises on ``answer``; raises ``ValueError`` only if ``puzzle``/``size`` themselves are malformed
    (they come from the task, not from the model). ``normalized`` is the canonical ``size*size`` string
    whenever a grid of digits and empty marks was read, right or wrong.
    """
    check_grid_string(puzzle, size)
    read = read_grid(answer, size)
    if read.cells is None:
        return Verdict(False, read.error or "no grid found")
    normalized = _normalized(read.cells)
    error = _first_error(puzzle, size, read.cells)
    return Verdict(error is None, error or "ok", normalized)
