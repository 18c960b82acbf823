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

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reasonbench.tasks.sudoku.shape import candidates
from reasonbench.tasks.sudoku.trace_grammar import (
    NO_SOLUTION,
    SOLUTION_HEADER,
    format_prompt,
    guess_line,
    nocand_line,
    place_line,
    revert_line,
)
from reasonbench.tasks.sudoku.trace_parsers import MAX_TRACE_CHARS, TraceEvent, parse_trace

_NAMES = {"place": "place", "guess": "guess", "nocand": "dead end", "revert": "revert"}
_SEARCH_DOES = {"place": "places", "guess": "guesses", "nocand": "gives up", "revert": "reverts"}


@dataclass(frozen=True)
class Misstep:
    """The first step of a trace that its search would not have taken.

    ``step`` counts the trace's steps (non-blank lines before its final block) from 0; ``event`` is the
    step as parsed, ``None`` for a line that fits no rule (``what`` is then ``"malformed line"``);
    ``expected`` is the step the search would have taken there, as a kind-first trace line.
    """

    step: int
    line: str
    event: TraceEvent | None
    what: str
    expected: str


def _expected_step(board: list[int], size: int, static: bool) -> tuple[str, list[int], list[int]]:
    """The kind of step the search takes on ``board`` and the cells it may take it on, with the
    candidates of the first of them. Kind ``solved`` when no cell is empty."""
    empty = [i for i, v in enumerate(board) if v == 0]
    if not empty:
        return "solved", [], []
    if static:
        empty = empty[:1]
    counts = {i: candidates(board, size, i) for i in empty}
    dead = [i for i in empty if not counts[i]]
    if dead:
        return "nocand", dead, []
    singles = [i for i in empty if len(counts[i]) == 1]
    if singles:
        return "place", singles, counts[singles[0]]
    fewest = min(len(c) for c in counts.values())
    tied = [i for i in empty if len(counts[i]) == fewest]
    return "guess", tied, counts[tied[0]]


_CUT = re.compile(r"\.\.\.\[\d+ characters cut\]\.\.\.")
"""The marker a stored trace carries where its middle was cut (``runner``): the board is unknown after it."""


def _steps(text: str, puzzle: str, size: int) -> Iterator[tuple[str, TraceEvent | None]]:
    """The step lines of ``text`` and their events (``None``: malformed), from after the puzzle's prompt
    (a stored trace carries it; a 6x6 prompt's givens read like placements) to the final block, the last
    finished line, or a cut marker."""
    prompt = format_prompt(puzzle, size)
    start = text.find(prompt, 0, len(prompt) + 16)
    body = text[start + len(prompt) :][:MAX_TRACE_CHARS] if start >= 0 else text[:MAX_TRACE_CHARS]
    lines = body.splitlines()
    if lines and not body.endswith("\n"):
        lines.pop()  # cut off mid-line by the budget: not a step the model finished
    for raw in lines:
        line = raw.strip()
        if line in (SOLUTION_HEADER, NO_SOLUTION) or _CUT.fullmatch(line):
            return
        if line:
            events = parse_trace(line, size).events
            yield line, events[0] if len(events) == 1 else None


def first_misstep(puzzle: str, size: int, text: str, static: bool = True) -> Misstep | None:
    """The first step of ``text`` (a DFS trace, prompt included or not) that the search would not take
    from ``puzzle``, or ``None`` if every step it wrote is the search's. Never raises on model text.

    Every line up to the final block is a step: one that fits no rule is a misstep of its own, since a
    parser that skipped it would blame the next line for it."""
    board = [int(ch) for ch in puzzle]
    open_guesses: list[tuple[int, list[int], list[int]]] = []  # cell, board before it, values left
    must_revert = False
    for step, (line, event) in enumerate(_steps(text, puzzle, size)):

        def miss(
            what: str, expected: str, step: int = step, line: str = line, event: TraceEvent | None = event
        ) -> Misstep:
            return Misstep(step, line, event, what, expected)

        if event is None:
            return miss("malformed line", "a step line")
        i = event.cell[0] * size + event.cell[1]
        if must_revert or event.kind == "revert":
            if not open_guesses:  # the search has run out of guesses to revert (or never made one)
                what = (
                    "revert with no open guess" if event.kind == "revert" else "step after the search ran out"
                )
                return miss(what, "no solution" if must_revert else "no revert: the board is not dead")
            cell, before, left = open_guesses[-1]
            due = revert_line(divmod(cell, size), left, left[0] if left else None)
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
        first = divmod(cells[0], size)
        if kind == "nocand":
            due = nocand_line(first)
        elif kind == "place":
            due = place_line(first, cands[0])
        else:
            due = guess_line(first, cands, cands[0])
        if event.kind != kind:
            return miss(f"{_NAMES[event.kind]} where the search {_SEARCH_DOES[kind]}", due)
        if i not in cells:
            return miss("wrong cell", due)
        true = candidates(board, size, i)
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


DFS_STRATEGIES = ("cot", "backtrack")
"""The strategies whose stored trace is one DFS trace (sc, bon and apr store several threads)."""


def audit_results(directory: str, static: bool = True) -> dict[tuple[str, str, str], dict[str, list[int]]]:
    """The first misstep of every Sudoku DFS trace (``cot`` and ``backtrack`` rows) in a results
    directory, per (model, configuration, budget): each misstep name maps to the steps (0-based) at which
    traces first went wrong that way. Right answers are under ``"solved"``; wrong ones whose steps were all
    the search's under ``"no misstep"`` (cut off by the budget, or a wrong final block)."""
    from reasonbench.frozen import load_problems
    from reasonbench.results import read_rows

    rows = read_rows(directory)
    rows = rows[(rows["task"] == "sudoku") & rows["strategy"].isin(DFS_STRATEGIES)]
    found: dict[tuple[str, str, str], dict[str, list[int]]] = {}
    for split, group in rows.groupby("split"):
        problems = {
            p.id: p for p in load_problems("sudoku", str(split), int(group["problem_index"].max()) + 1)
        }
        for row in group.itertuples():
            problem = problems[row.problem_id]
            size, puzzle = int(problem.data["size"]), str(problem.data["puzzle"])
            miss = None if row.correct else first_misstep(puzzle, size, str(row.trace or ""), static)
            name = "solved" if row.correct else ("no misstep" if miss is None else miss.what)
            key = (str(row.model), str(row.config_label), str(row.budget))
            found.setdefault(key, {}).setdefault(name, []).append(-1 if miss is None else miss.step)
    return found


def main() -> None:
    """``python -m reasonbench.tasks.sudoku.audit RESULTS_DIR [--search scan]``: a table of first missteps."""
    import argparse
    import statistics
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from reasonbench.results import MANIFEST, results_dirs

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("results", help="a results directory with Sudoku cot or backtrack rows")
    parser.add_argument("--search", choices=("static", "scan"), default="static", help="the traces' search")
    args = parser.parse_args()
    if not any((d / MANIFEST).exists() for d in results_dirs(Path(args.results))):
        parser.error(f"{args.results} is not a results directory")  # one line, exit code 2
    audited = audit_results(args.results, args.search == "static")
    if not audited:
        parser.error(f"{args.results} has no Sudoku cot or backtrack rows to audit")
    console = Console()
    for (model, config, budget), found in sorted(audited.items()):
        total = sum(len(v) for v in found.values())
        table = Table(
            title=f"{model} · {config} · {budget}: where {total} traces leave the {args.search} search"
        )
        for col in ("first misstep", "traces", "share", "median step"):
            table.add_column(col, justify="left" if col == "first misstep" else "right")
        for name, steps in sorted(found.items(), key=lambda kv: -len(kv[1])):
            at = [s for s in steps if s >= 0]
            median = f"{statistics.median(at):g}" if at else ""
            table.add_row(name, str(len(steps)), f"{len(steps) / total:.0%}", median)
        console.print(table)


if __name__ == "__main__":
    main()
