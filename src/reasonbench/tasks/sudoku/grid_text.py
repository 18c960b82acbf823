"""Reading a Sudoku grid out of free text written by a model (hostile input: linear time, never raises).

Accepted layouts, for a grid of size ``n`` (``N = n*n`` cells):

* one line of ``N`` cells (``"5346789..."``), alone or inside a sentence (``"Answer: 5346789..."``);
* ``n`` lines of ``n`` cells each, where cells may be separated by spaces, tabs, ``|``, commas,
  semicolons, brackets or quotes, and box-border lines made of ``-``, ``+``, ``=``, ``|`` and blank lines may
  appear between rows (``"1 2 | 3 4"``, ``"[1, 2, 3, 4],"``, ``"--+--"``).

A cell is one character: a digit, or ``.`` / ``_`` for an empty cell (``0`` is empty as well). A line is
read as a row when at least three quarters of its non-separator characters are such cells, so prose lines
("Here is the solution:") never are, while a slightly garbled row ("12a4") is, and is then rejected with
a precise reason by the verifier.

Surrounding text is tolerated: if the text has an ``<answer>...</answer>`` pair, only the last one is
read; otherwise the last candidate grid in the text wins, where a candidate is a run of row lines not
interrupted by prose (border and blank lines do not interrupt), or a one-line ``N``-cell token inside
prose (a ``.`` right after such a token is read as the end of the sentence). A run of ``k*n`` full rows
(the puzzle echoed right above the answer) yields its last ``n`` rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasonbench.tasks.answer_tags import last_tagged

# A grid is well under a kilobyte; anything this long is not an answer and is not scanned.
MAX_TEXT_CHARS = 200_000
# A row longer than this is prose or garbage, whatever its characters.
_MAX_ROW_CHARS = 400

EMPTY_MARKS = frozenset("0._")
DIGITS = frozenset("0123456789")
_CELL_CHARS = DIGITS | EMPTY_MARKS
_SEPARATORS = frozenset(" \t|,;[]'\"")
_RULE_CHARS = frozenset("-+=")
_BORDER_CHARS = _RULE_CHARS | frozenset("|:")


@dataclass(frozen=True)
class GridRead:
    """The outcome of reading a grid: the ``n*n`` raw cell characters (row-major), or why there are none."""

    cells: tuple[str, ...] | None
    error: str | None = None


def _is_border(stripped: str) -> bool:
    """A layout line: rule characters (at least one of ``-+=``), bars, colons and spaces only.

    A set test rather than a regex: the equivalent pattern backtracks quadratically on a long line of
    dashes that ends in another character, the kind of line a model stuck in a loop writes.
    """
    return any(ch in _RULE_CHARS for ch in stripped) and all(
        ch in _BORDER_CHARS or ch.isspace() for ch in stripped
    )


def _row_cells(line: str) -> list[str] | None:
    """The cell characters of a row line, or ``None`` when the line is prose, blank or a border."""
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_ROW_CHARS or _is_border(stripped):
        return None
    cells = [ch for ch in stripped if ch not in _SEPARATORS]
    if not cells:
        return None
    cell_like = sum(ch in _CELL_CHARS for ch in cells)
    return cells if 4 * cell_like >= 3 * len(cells) else None


def _token_pattern(n_cells: int) -> re.Pattern[str]:
    # A lone "." right after the token ends the sentence ("The answer is 1234...21.") and is not a cell.
    return re.compile(rf"(?<![0-9._])[0-9._]{{{n_cells}}}(?![0-9_])(?!\.[0-9._])")


def _candidates(text: str, size: int) -> list[list[list[str]]]:
    """Every candidate grid in order of appearance, each a list of rows of cell characters."""
    token = _token_pattern(size * size)
    found: list[list[list[str]]] = []
    run: list[list[str]] = []
    for line in text.splitlines():
        cells = _row_cells(line)
        if cells is not None:
            run.append(cells)
            continue
        stripped = line.strip()
        if not stripped or _is_border(stripped):
            continue  # layout between rows: the run goes on
        if run:
            found.append(run)
            run = []
        if len(stripped) <= _MAX_ROW_CHARS * 4:
            tokens = token.findall(stripped)
            if tokens:
                found.append([list(tokens[-1])])
    if run:
        found.append(run)
    return found


def _shape_rows(rows: list[list[str]], size: int) -> GridRead:
    """Turn one candidate's rows into ``size*size`` cells, or explain why they do not form a grid."""
    n_cells = size * size
    if len(rows) == 1 and len(rows[0]) == n_cells:
        return GridRead(tuple(rows[0]))
    if len(rows) == 1:
        return GridRead(
            None, f"expected {size} rows of {size} cells or one line of {n_cells}, found {len(rows[0])} cells"
        )
    for k, row in enumerate(rows):
        if len(row) != size:
            return GridRead(None, f"row {k} has {len(row)} cells, expected {size}")
    if len(rows) % size:
        return GridRead(None, f"expected {size} rows, found {len(rows)}")
    return GridRead(tuple(ch for row in rows[-size:] for ch in row))


def read_grid(text: object, size: int) -> GridRead:
    """Find the answer grid of ``size`` in ``text`` (see the module docstring for the accepted layouts)."""
    if not isinstance(text, str):
        return GridRead(None, "answer is not text")
    if len(text) > MAX_TEXT_CHARS:
        return GridRead(None, f"answer longer than {MAX_TEXT_CHARS} characters")
    region = last_tagged(text)
    where = "in <answer>" if region is not None else "in the answer"
    candidates = _candidates(text if region is None else region, size)
    if not candidates:
        return GridRead(None, f"no grid found {where}")
    return _shape_rows(candidates[-1], size)
