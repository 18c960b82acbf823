"""Sudoku trace formats: what models are trained on and what the parsers read back (the public facade).

Conventions. Cells are ``(r, c)``, 0-based, row first; values are ``1..size``; candidate lists are
ascending and written ``[2, 5, 7]`` (``[]`` when empty). Every line, including the last, ends with
``"\\n"``; there are no blank lines and no trailing spaces. The candidates of an empty cell are the values
absent from its row, column and box on the current board. A training example is the prompt immediately
followed by the trace; the trace never repeats the prompt.

Prompt (``format_prompt``): the line ``Puzzle:``, then the board. A 4x4 board is its ``size`` rows of
``size`` digits, ``0`` = empty::

    Puzzle:
    0000
    0020
    4213
    0000

A larger board is one ``(r, c) = v`` line per filled cell, in row-major order (a 6x6 puzzle of
``sudoku6_search`` has 10)::

    Puzzle:
    (0, 1) = 4
    (0, 5) = 5
    (1, 0) = 1
    ...

The line is the trace's own placement line, so a given and a placement are looked up the same way.

DFS trace (``dfs_trace``), one event per line:

* ``(r, c) = v`` — a forced placement. Propagation repeats: if some empty cell has no candidate, write
  ``nocand: (r, c)`` for the first such cell in row-major order (a dead end); otherwise place the first
  cell in row-major order that has exactly one candidate (a naked single). It stops when the board is
  full (solved), at a dead end, or when every empty cell has two or more candidates (stuck).
* ``guess: (r, c) [v1, v2, ...] = v1`` — when stuck, branch on the empty cell with the fewest candidates
  (ties: first in row-major order), listing all its candidates and trying the smallest.
* ``nocand: (r, c)`` — the dead end described above; the search backtracks to the most recent guess that
  still has untried values (deeper exhausted guesses have already been closed, see below).
* ``revert: (r, c) [v2, v3, ...] = v2`` — undo everything placed since the guess at ``(r, c)`` (that
  guess included) and place the next value; the list holds the values still to try, starting with the
  one placed now. ``revert: (r, c) [] = none`` — every value of ``(r, c)`` failed: the branch is closed and
  the failure propagates to the enclosing guess, which then writes its own ``revert`` line.
* The trace ends with ``solution:`` and the ``size`` rows of the solved grid, or with ``no solution``
  when the search is exhausted (a puzzle whose givens already clash is just ``no solution``).

Example: the DFS trace of the prompt above (a 4x4 puzzle with three solutions; a 4x4 puzzle with a unique
solution is always solved by naked singles alone, so it never guesses)::

    (3, 2) = 4
    (0, 2) = 3
    (3, 3) = 2
    guess: (0, 0) [1, 2] = 1
    (0, 1) = 4
    nocand: (0, 3)
    revert: (0, 0) [2] = 2
    guess: (0, 1) [1, 4] = 1
    (0, 3) = 4
    (1, 0) = 3
    (1, 1) = 4
    (1, 3) = 1
    (3, 0) = 1
    (3, 1) = 3
    solution:
    2134
    3421
    4213
    1342

Direct trace (``direct_trace``): the same search with the detours removed: the placements on the final
path in the order they were made, each written ``(r, c) = v`` (guessed values included), then the same
final block. No ``guess``, ``nocand`` or ``revert`` lines. For the example: ``(3, 2) = 4``,
``(0, 2) = 3``, ``(3, 3) = 2``, ``(0, 0) = 2``, ``(0, 1) = 1``, ``(0, 3) = 4``, ... ``(3, 1) = 3``, then the
same ``solution:`` block.

Spawn/join trace (``spawn_traces``; APR's Countdown grammar with a placement in place of a node id).
The parent propagates exactly like the DFS trace; where the DFS would write its first ``guess``, it
instead spawns one child per candidate of that same cell (the first ``max_children`` of them). For the
example, the parent writes::

    (3, 2) = 4
    (0, 2) = 3
    (3, 3) = 2
    <Calling Sub Searches>
    <Start Sub Search 0 at level 1> Place (0, 0) = 1
    <Start Sub Search 1 at level 1> Place (0, 0) = 2
    <End Calling Sub Searches>

and stops. Child ``i`` is an example of its own: its prompt is the parent's board at the spawn point
(givens plus the parent's placements) with its value placed, in the prompt format above, and its trace
is an ordinary DFS trace of that board. Child 0 of the example::

    Puzzle:
    1030
    0020
    4213
    0042
    (0, 1) = 4
    nocand: (0, 3)
    no solution

When every child has finished, the calling block is replaced in the parent's context by a join block
(``join_block``), so that the parent's context reads::

    (3, 2) = 4
    (0, 2) = 3
    (3, 3) = 2
    <Sub Searches>
    <No Solution in Sub Search 0 at level 1 at Place (0, 0) = 1>
    <Goal Reached in Sub Search 1 at level 1 at Place (0, 0) = 2>
    (0, 1) = 1
    (0, 3) = 4
    (1, 0) = 3
    (1, 1) = 4
    (1, 3) = 1
    (3, 0) = 1
    (3, 1) = 3
    <End Sub Searches>
    solution:
    2134
    3421
    4213
    1342

with one outcome line per child in index order, then the surviving placement lines of the first child
that reached a solution (its direct path, excluding the spawned placement, which its outcome line
states), and the parent continues with the final block (``solution:`` and the grid). If no child solved
the puzzle, the parent writes ``no solution`` — or, when candidates were left out by ``max_children``,
an ordinary DFS over those left-over candidates starting with ``guess: (r, c) [left-over] = v``. The
level is the depth of the children (1 under the root); a child may itself spawn at level 2 with the same
grammar, although the writer here stops at depth 1.

Shuffled order (trace spec ``dfs:order=shuffled``, likewise ``direct`` and ``spawn``; the writers take a
``random.Random``). The rules above leave the search's choices to "the first in row-major order": which
dead cell a ``nocand`` names, which naked single is placed next, and which of the cells tied for the
fewest candidates is guessed on. The shuffled order draws each of those uniformly instead, from a
generator seeded by the puzzle and the training seed, so one puzzle's trace is reproducible. Every line
is still a legal move (a placement is a naked single, a guess comes only when none is left, on a cell of
the fewest candidates), and the values of a guess are still tried ascending. Why it exists: to write the
row-major trace a model must find the *first* naked single, a scan of every empty cell; in the shuffled
one any naked single is right, which is what a solver needs and what a small model can learn (the
``sudoku-dfs`` recipe's comment has the measurements). The plain kind is row-major.

Static search (trace spec ``dfs:search=static``, likewise ``direct`` and ``spawn``; the writers take
``static=True``). The search above, ``search=scan``, looks at the whole board before every line: for a
dead cell, for a naked single, for the cell with the fewest candidates. The static search looks only at
the first empty cell in row-major order: one candidate, it writes ``(r, c) = v``; none, ``nocand: (r, c)``;
several, ``guess: (r, c) [v1, v2, ...] = v1``. Reverts are as above. The lines are the same grammar, so
parsers, verifiers and strategies read both; what changes is which line comes next. Since every cell
before the current one is filled, the board a line is computed on is the givens plus, for each earlier
cell, its latest ``=`` line: a lookup, never a scan. The price is length: without propagation the search
guesses and dead-ends far more often (on ``sudoku6_14givens``, 15 guess lines and 13 dead ends per puzzle
on average against 1.3 and 0.7 for the scan search; ``reasonbench tasks ceiling sudoku -t
dfs:search=static`` has the windows). A spawn/join parent spawns on the first empty cell with several
candidates, and each child runs the static search of its board. The static search makes no choice for
``order`` to shuffle; the two knobs do not combine. The static DFS trace of the example prompt::

    guess: (0, 0) [1, 2, 3] = 1
    guess: (0, 1) [3, 4] = 3
    (0, 2) = 4
    nocand: (0, 3)
    revert: (0, 1) [4] = 4
    (0, 2) = 3
    nocand: (0, 3)
    revert: (0, 1) [] = none
    revert: (0, 0) [2, 3] = 2
    guess: (0, 1) [1, 3, 4] = 1
    guess: (0, 2) [3, 4] = 3
    (0, 3) = 4
    (1, 0) = 3
    ...
    (3, 3) = 2
    solution:
    2134
    3421
    4213
    1342

Cell-first lines (trace spec ``dfs:search=static,lines=cell-first``, likewise ``spawn`` and with either
search; the writers take ``cell_first=True``). The default lines open with their kind (``guess:``,
``nocand:`` or nothing for a placement), so a model must count the next cell's candidates, a check of
every value against its row, column and box, in the one token that opens the line, before it has written
the cell. Cell-first lines write the cell, then all its candidates, then the value tried, and the kind
follows from the list: ``(r, c) [v] = v`` places the one candidate, ``(r, c) [v1, v2, ...] = v1`` guesses,
``(r, c) []`` is a dead end. Reverts, the solution block, and placements reported by a join block or a
direct trace keep their one form. Both forms parse to the same events, so verifiers, strategies and
runtimes read either. The price is a few tokens a placement (~13% on ``sudoku6_14givens``). The static
trace of the example prompt in cell-first lines::

    (0, 0) [1, 2, 3] = 1
    (0, 1) [3, 4] = 3
    (0, 2) [4] = 4
    (0, 3) []
    revert: (0, 1) [4] = 4
    (0, 2) [3] = 3
    (0, 3) []
    revert: (0, 1) [] = none
    revert: (0, 0) [2, 3] = 2
    ...

The guesses a puzzle needs (``solution_guesses``, the generator's difficulty knob) are the guess points
still open on the DFS trace's solution path: how often propagation stalls on the way to the solution.

Parsers (``parse_trace``, ``parse_spawn_block``, ``surviving_placements``, ``replay_grid``) read any text
without raising; see ``trace_parsers``.
"""

from __future__ import annotations

from reasonbench.tasks.sudoku.trace_grammar import (
    ChildOutcome,
    SpawnRequest,
    calling_block,
    format_prompt,
    join_block,
)
from reasonbench.tasks.sudoku.trace_parsers import (
    ParsedTrace,
    TraceEvent,
    parse_spawn_block,
    parse_trace,
    placement_lines,
    replay_grid,
    surviving_placements,
)
from reasonbench.tasks.sudoku.trace_writers import (
    ChildExample,
    SpawnTraces,
    dfs_trace,
    direct_trace,
    solution_guesses,
    spawn_traces,
)

__all__ = [
    "ChildExample",
    "ChildOutcome",
    "ParsedTrace",
    "SpawnRequest",
    "SpawnTraces",
    "TraceEvent",
    "calling_block",
    "dfs_trace",
    "direct_trace",
    "format_prompt",
    "join_block",
    "parse_spawn_block",
    "parse_trace",
    "placement_lines",
    "replay_grid",
    "solution_guesses",
    "spawn_traces",
    "surviving_placements",
]
