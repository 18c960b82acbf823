"""Board shapes and the canonical grid string.

A grid of size ``n`` is canonically a string of ``n*n`` characters in row-major order: ``1``..``n`` for a
filled cell, ``0`` for an empty one. Cells are addressed ``(r, c)``, 0-based; cell index ``r*n + c``.
Boxes are numbered 0-based in row-major order too (box 1 of a 9x9 grid covers rows 0-2, columns 3-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Shape:
    """The geometry of one board size: ``size`` cells per unit, boxes of ``box_rows`` x ``box_cols``."""

    size: int
    box_rows: int
    box_cols: int

    @property
    def n_cells(self) -> int:
        return self.size * self.size

    @property
    def full_mask(self) -> int:
        """Bit ``v-1`` set for every value ``v`` in ``1..size``."""
        return (1 << self.size) - 1

    def box_of(self, r: int, c: int) -> int:
        """Index of the box holding cell ``(r, c)``."""
        return (r // self.box_rows) * (self.size // self.box_cols) + c // self.box_cols


SHAPES: dict[int, Shape] = {4: Shape(4, 2, 2), 6: Shape(6, 2, 3), 9: Shape(9, 3, 3)}


def shape_for(size: int) -> Shape:
    """The shape of a supported size; ``ValueError`` names the supported sizes otherwise."""
    try:
        return SHAPES[size]
    except (KeyError, TypeError):
        raise ValueError(f"size must be one of {sorted(SHAPES)}, got {size!r}") from None


@dataclass(frozen=True)
class Geometry:
    """Precomputed index tables of a shape (shared, immutable; built once per size)."""

    shape: Shape
    units: tuple[tuple[int, ...], ...]  # rows, then columns, then boxes
    peers: tuple[tuple[int, ...], ...]  # per cell: the other cells sharing a row, column or box
    row_of: tuple[int, ...]
    col_of: tuple[int, ...]
    box_of: tuple[int, ...]


@cache
def geometry(size: int) -> Geometry:
    """Index tables for ``size`` (cached: the solver calls this on every puzzle)."""
    shape = shape_for(size)
    n = shape.size
    cells = range(n * n)
    row_of = tuple(i // n for i in cells)
    col_of = tuple(i % n for i in cells)
    box_of = tuple(shape.box_of(i // n, i % n) for i in cells)
    rows = [tuple(i for i in cells if row_of[i] == k) for k in range(n)]
    cols = [tuple(i for i in cells if col_of[i] == k) for k in range(n)]
    boxes = [tuple(i for i in cells if box_of[i] == k) for k in range(n)]
    peers = tuple(
        tuple(
            j
            for j in cells
            if j != i and (row_of[j] == row_of[i] or col_of[j] == col_of[i] or box_of[j] == box_of[i])
        )
        for i in cells
    )
    return Geometry(shape, tuple(rows + cols + boxes), peers, row_of, col_of, box_of)


def candidates(board: Sequence[int], size: int, i: int) -> list[int]:
    """The values cell ``i`` of ``board`` (one int per cell, 0 for empty) may take: those no peer holds."""
    seen = {board[j] for j in geometry(size).peers[i]}
    return [v for v in range(1, size + 1) if v not in seen]


def check_grid_string(grid: str, size: int) -> None:
    """Raise ``ValueError`` unless ``grid`` is a canonical grid string of ``size`` (any digits 0..size).

    Only the form is checked, not the Sudoku rules: use it on trusted inputs such as stored puzzles.
    """
    shape = shape_for(size)
    if not isinstance(grid, str) or len(grid) != shape.n_cells:
        raise ValueError(f"grid must be a string of {shape.n_cells} characters for size {size}")
    allowed = "0123456789"[: size + 1]
    bad = next((ch for ch in grid if ch not in allowed), None)
    if bad is not None:
        raise ValueError(f"grid holds {bad!r}; only 0 (empty) and 1..{size} are allowed")


def grid_rows(grid: str, size: int) -> list[str]:
    """The grid string cut into its ``size`` rows."""
    return [grid[r * size : (r + 1) * size] for r in range(size)]


def grid_text(grid: str, size: int) -> str:
    """The grid as ``size`` lines of digits joined by newlines (no trailing newline)."""
    return "\n".join(grid_rows(grid, size))


def is_solved_grid(grid: str, size: int) -> bool:
    """True when ``grid`` is completely filled and obeys every row, column and box constraint."""
    if len(grid) != size * size or "0" in grid:
        return False
    geo = geometry(size)
    want = set("123456789"[:size])
    return all({grid[i] for i in unit} == want for unit in geo.units)


def keeps_givens(puzzle: str, grid: str) -> bool:
    """True when every non-empty cell of ``puzzle`` holds the same digit in ``grid``."""
    return len(puzzle) == len(grid) and all(p in ("0", g) for p, g in zip(puzzle, grid, strict=True))


def with_value(grid: str, size: int, cell: tuple[int, int], value: int) -> str:
    """``grid`` with ``value`` written at 0-based ``cell`` (e.g. a child's puzzle in a spawn)."""
    i = cell[0] * size + cell[1]
    return grid[:i] + str(value) + grid[i + 1 :]
