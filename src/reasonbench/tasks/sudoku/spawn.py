"""Sudoku's spawn/join protocol for the APR runtime (the grammar of ``trace_writers.spawn_traces``).

A parent stops at ``<End Calling Sub Searches>``; each child ``Place (r, c) = v`` starts from the parent's
board at that point (the puzzle plus the parent's surviving placements) with ``v`` written into ``(r, c)``;
a child is solved iff its trace ends in a ``solution:`` grid, and the join block carries the first solved
child's surviving placements.
"""

from __future__ import annotations

from reasonbench.tasks.base import ChildRequest, Problem
from reasonbench.tasks.spawn_grammar import CALL_CLOSE, MalformedSpawn, replace_spawn_with_join
from reasonbench.tasks.sudoku.shape import with_value
from reasonbench.tasks.sudoku.trace_grammar import ChildOutcome, format_prompt, join_block
from reasonbench.tasks.sudoku.trace_parsers import (
    parse_spawn_block,
    parse_trace,
    placement_lines,
    replay_grid,
)


class SudokuSpawn:
    """The APR spawn protocol for one Sudoku puzzle."""

    spawn_close = CALL_CLOSE

    def __init__(self, problem: Problem) -> None:
        self.puzzle = str(problem.data["puzzle"])
        self.size = int(problem.data["size"])
        self.prompt = format_prompt(self.puzzle, self.size)
        # The board behind every prompt handed out, so that a child that spawns in turn (max_depth > 1)
        # starts its children from its own board, not from the puzzle's.
        self._boards = {self.prompt: self.puzzle}

    def parent_prompt(self, problem: Problem) -> str:
        return self.prompt

    def spawn_requests(self, context: str) -> list[ChildRequest] | MalformedSpawn:
        requests = parse_spawn_block(context, self.size)
        if requests is None:
            return MalformedSpawn("no calling block before the stop marker")
        if isinstance(requests, MalformedSpawn):
            return requests
        prompt = max((p for p in self._boards if context.startswith(p)), key=len, default="")
        start = self._boards.get(prompt, self.puzzle)
        board = replay_grid(start, self.size, parse_trace(context[len(prompt) :], self.size).events)
        out = []
        for r in requests:
            i = r.cell[0] * self.size + r.cell[1]
            # A child on a filled cell has nothing to explore: it cannot start.
            child_prompt = None
            if board[i] == "0":
                child_board = with_value(board, self.size, r.cell, r.value)
                child_prompt = format_prompt(child_board, self.size)
                self._boards[child_prompt] = child_board
            out.append(ChildRequest(index=r.index, prompt=child_prompt, handle=r))
        return out

    def outcome(self, request: ChildRequest, final_text: str | None) -> ChildOutcome:
        r = request.handle
        if final_text is None or request.prompt is None:
            return ChildOutcome(r.index, r.cell, r.value, False)
        parsed = parse_trace(final_text[len(request.prompt) :], self.size)
        if parsed.answer is None:
            return ChildOutcome(r.index, r.cell, r.value, False)
        return ChildOutcome(r.index, r.cell, r.value, True, placement_lines(parsed.events))

    def solved(self, outcome: ChildOutcome) -> bool:
        return outcome.solved

    def join(self, context: str, outcomes: list[ChildOutcome]) -> str:
        requests = parse_spawn_block(context, self.size)
        level = requests[0].level if isinstance(requests, list) else 1
        return replace_spawn_with_join(context, join_block(outcomes, level))
