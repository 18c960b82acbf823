"""Where a Sudoku search trace first breaks its search's rules: the diagnosis of a wrong model trace.

A verifier says a trace's answer is wrong; this says which step went wrong first and how. The trace is
replayed event by event (``parse_trace``, so either line form) on the board, and each step is compared with
what the search that wrote the training traces would do on that board:

- static search (``search=static``): the first empty cell in row-major order is placed if it has one
  candidate, guessed on (all candidates listed, the first tried) if it has several, a dead end if none;
- scan search: any dead cell is a dead end; else any naked single is placed; else a cell with the fewest
  candidates is guessed on. Which one among equals is not checked (the shuffled order may take any);
- in both, after a dead end the next step reverts the latest open guess to its next candidate, or closes it
  (``= none``) when none is left, and so on up the stack.

The first step that differs is a :class:`Misstep`, named by what the trace wrote against what the search
would have written (``"place where the search guesses"``, ``"wrong candidates"``...).
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonbench.tasks.sudoku.shape import geometry
from reasonbench.tasks.sudoku.trace_grammar import format_prompt
from reasonbench.tasks.sudoku.trace_parsers import TraceEvent, parse_trace

_NAMES = {"place": "place", "guess": "guess", "nocand": "dead end", "revert": "revert"}
_SEARCH_DOES = {"place": "places", "guess": "guesses", "nocand": "gives up", "revert": "reverts"}


@dataclass(frozen=True)
class Misstep:
    """The first step of a trace that its search would not have taken.

    ``step`` counts the trace's events from 0; ``what`` names the mistake; ``expected`` is the step the
    search would have taken there (a readable line, not necessarily byte-exact).
    """

    step: int
    event: TraceEvent
    what: str
    expected: str


def _candidates(board: list[int], size: int, i: int) -> list[int]:
    seen = {board[j] for j in geometry(size).peers[i]}
    return [v for v in range(1, size + 1) if v not in seen]


def _cell_text(cell: tuple[int, int]) -> str:
    return f"({cell[0]}, {cell[1]})"


def _expected_step(board: list[int], size: int, static: bool) -> tuple[str, list[int], list[int]]:
    """The kind of step the search takes on ``board`` and the cells it may take it on, with the
    candidates of the first of them. Kind ``solved`` when no cell is empty."""
    empty = [i for i, v in enumerate(board) if v == 0]
    if not empty:
        return "solved", [], []
    if static:
        empty = empty[:1]
    counts = {i: _candidates(board, size, i) for i in empty}
    dead = [i for i in empty if not counts[i]]
    if dead:
        return "nocand", dead, []
    singles = [i for i in empty if len(counts[i]) == 1]
    if singles:
        return "place", singles, counts[singles[0]]
    fewest = min(len(c) for c in counts.values())
    tied = [i for i in empty if len(counts[i]) == fewest]
    return "guess", tied, counts[tied[0]]


def first_misstep(puzzle: str, size: int, text: str, static: bool = True) -> Misstep | None:
    """The first step of ``text`` (a DFS trace, prompt included or not) that the search would not take
    from ``puzzle``, or ``None`` if every step it wrote is the search's. Never raises on model text.

    A 6x6 prompt lists its givens as placement lines, so the puzzle's own prompt is cut off the front of
    ``text`` before the replay (a stored trace carries it)."""
    prompt = format_prompt(puzzle, size)
    text = text[text.find(prompt) + len(prompt) :] if prompt in text[: len(prompt) + 16] else text
    board = [int(ch) for ch in puzzle]
    open_guesses: list[tuple[int, list[int], list[int]]] = []  # cell, board before it, values left
    must_revert = False
    for step, event in enumerate(parse_trace(text, size).events):
        i = event.cell[0] * size + event.cell[1]

        def miss(what: str, expected: str, step: int = step, event: TraceEvent = event) -> Misstep:
            return Misstep(step, event, what, expected)

        if must_revert or event.kind == "revert":
            if not open_guesses:
                return miss("revert with no open guess", "the search has nothing to revert")
            cell, before, left = open_guesses[-1]
            due = f"revert: {_cell_text(divmod(cell, size))} {left} = {left[0] if left else 'none'}"
            if not must_revert:
                return miss("revert where the search goes on", "no revert: the board is not dead")
            if event.kind != "revert":
                return miss(f"{_NAMES[event.kind]} where the search reverts", due)
            if i != cell or list(event.candidates) != left or event.value != (left[0] if left else None):
                return miss("wrong revert", due)
            board = list(before)
            if event.value is None:
                open_guesses.pop()  # this branch is exhausted: the one above it is due next
                must_revert = True
            else:
                open_guesses[-1] = (cell, before, left[1:])
                board[i] = event.value
                must_revert = False
            continue
        kind, cells, cands = _expected_step(board, size, static)
        if kind == "solved":
            return miss(f"{_NAMES[event.kind]} on a full board", "the solution block")
        first = _cell_text(divmod(cells[0], size))
        due = {
            "nocand": f"nocand: {first}",
            "place": f"{first} = {cands[0] if cands else '?'}",
            "guess": f"guess: {first} {cands} = {cands[0] if cands else '?'}",
        }[kind]
        if event.kind != kind:
            return miss(f"{_NAMES[event.kind]} where the search {_SEARCH_DOES[kind]}", due)
        if i not in cells:
            return miss("wrong cell", due)
        true = _candidates(board, size, i)
        if kind == "guess" and list(event.candidates) != true:
            return miss("wrong candidates", due)
        if kind in ("place", "guess") and event.value != true[0]:
            return miss("wrong value", due)
        if kind == "nocand":
            must_revert = True
            continue
        if kind == "guess":
            open_guesses.append((i, list(board), true[1:]))
        board[i] = event.value or 0
    return None


def audit_results(directory: str, static: bool = True) -> dict[str, list[int]]:
    """The first misstep of every Sudoku DFS trace in a results directory, grouped by what it was: each
    name maps to the steps (0-based) at which traces first went wrong that way. Traces that end right are
    under ``"solved"``; traces that wrote no wrong step but no right answer either are under ``"no
    misstep"`` (cut off by the budget, or a wrong solution block after right steps)."""
    from reasonbench.frozen import load_problems
    from reasonbench.results import read_rows

    rows = read_rows(directory)
    rows = rows[rows["task"] == "sudoku"]
    found: dict[str, list[int]] = {}
    for split, group in rows.groupby("split"):
        problems = {
            p.id: p for p in load_problems("sudoku", str(split), int(group["problem_index"].max()) + 1)
        }
        for row in group.itertuples():
            problem = problems[row.problem_id]
            size, puzzle = int(problem.data["size"]), str(problem.data["puzzle"])
            miss = None if row.correct else first_misstep(puzzle, size, str(row.trace or ""), static)
            name = "solved" if row.correct else ("no misstep" if miss is None else miss.what)
            found.setdefault(name, []).append(-1 if miss is None else miss.step)
    return found


def main() -> None:
    """``python -m reasonbench.tasks.sudoku.audit RESULTS_DIR [--search scan]``: a table of first missteps."""
    import argparse
    import statistics

    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("results", help="a results directory of Sudoku DFS traces (cot or backtrack rows)")
    parser.add_argument("--search", choices=("static", "scan"), default="static", help="the traces' search")
    args = parser.parse_args()
    found = audit_results(args.results, static=args.search == "static")
    total = sum(len(v) for v in found.values())
    table = Table(title=f"{args.results}: where {total} traces first leave the {args.search} search")
    for col in ("first misstep", "traces", "share", "median step"):
        table.add_column(col, justify="left" if col == "first misstep" else "right")
    for name, steps in sorted(found.items(), key=lambda kv: -len(kv[1])):
        at = [s for s in steps if s >= 0]
        table.add_row(
            name, str(len(steps)), f"{len(steps) / total:.0%}", f"{statistics.median(at):g}" if at else ""
        )
    Console().print(table)


if __name__ == "__main__":
    main()
