"""The Sudoku task as the runner sees it: splits, problems, prompts, verification and reference traces."""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter

from reasonbench.ceiling import SearchShape, TokenCounter
from reasonbench.errors import UserError
from reasonbench.tasks.base import BudgetKind, Document, Problem, Verdict
from reasonbench.tasks.sudoku.generate import SPLITS, generate
from reasonbench.tasks.sudoku.shape import SHAPES, grid_text
from reasonbench.tasks.sudoku.solver import solve
from reasonbench.tasks.sudoku.spawn import SudokuSpawn
from reasonbench.tasks.sudoku.trace_grammar import PHRASES, SOLUTION_HEADER, format_prompt
from reasonbench.tasks.sudoku.trace_parsers import MAX_TRACE_CHARS, parse_trace
from reasonbench.tasks.sudoku.trace_writers import (
    SpawnTraces,
    dfs_trace,
    direct_trace,
    solution_guesses,
    spawn_traces,
)
from reasonbench.tasks.sudoku.verify import verify_answer

TRACE_KINDS = ("dfs", "direct", "spawn")
ORDERS = ("row-major", "shuffled")
SEARCHES = ("scan", "static")
LINE_FORMS = ("kind-first", "cell-first")
_SIZE_OF_CELLS = {16: 4, 36: 6, 81: 9}
_SPEC_SEPARATORS = frozenset(" \t\n\r|,;-+")
_SPEC_CELLS = frozenset("0123456789._")


def _board(problem: Problem) -> tuple[str, int]:
    return str(problem.data["puzzle"]), int(problem.data["size"])


class SudokuTask:
    """Sudoku 4x4 / 6x6 / 9x9 with unique solutions; answers are grids (see ``verify`` and ``traces``)."""

    name = "sudoku"
    default_split = "sudoku6_14givens"
    trace_phrases = PHRASES

    def splits(self) -> list[str]:
        """Names of the named splits (``generate.SPLITS``)."""
        return list(SPLITS)

    def generate(self, split: str, count: int, seed: str | None = None, workers: int = 1) -> list[Problem]:
        """The first ``count`` puzzles of ``split``; ``seed`` (if given) draws another, independent set."""
        if split not in SPLITS:
            raise UserError(f"unknown sudoku split {split!r}; choose one of {', '.join(SPLITS)}")
        config = SPLITS[split]
        if seed is not None:
            config = dataclasses.replace(config, seed=f"{config.seed}/{seed}")
        return [
            Problem(task=self.name, split=split, index=i, data={"size": config.size, "puzzle": puzzle})
            for i, puzzle in enumerate(generate(config, count, workers))
        ]

    def verify(self, problem: Problem, answer: str) -> Verdict:
        """Strictly check a model's answer (any text holding a grid) against the givens and the rules."""
        puzzle, size = _board(problem)
        return verify_answer(puzzle, size, answer)

    def reference_answer(self, problem: Problem) -> str | None:
        """The solution as ``size`` lines of digits, or ``None`` if the puzzle has none."""
        puzzle, size = _board(problem)
        solution = solve(puzzle, size)
        return None if solution is None else grid_text(solution, size)

    def prompt(self, problem: Problem) -> str:
        """The prompt text: ``Puzzle:`` and the board (``traces.format_prompt``)."""
        puzzle, size = _board(problem)
        return format_prompt(puzzle, size)

    def instruct_prompt(self, problem: Problem) -> str:
        """For a general instruction model: the grid rows at every size (our own models' 6x6 prompt lists
        the filled cells instead, which a model that was not trained on it has no reason to read)."""
        puzzle, size = _board(problem)
        return "Solve this Sudoku puzzle (0 marks an empty cell):\n" + grid_text(puzzle, size) + "\n"

    def budget_prefix(self, kind: BudgetKind, value: int) -> str:
        """Always a ``UserError``: no Sudoku trace is conditioned on a budget."""
        knob = "token_budget" if kind == "tokens" else "sub_call_budget"
        raise UserError(f"sudoku models are not trained with a budget prefix; run without {knob}")

    def problem_key(self, problem: Problem) -> str:
        """The puzzle's grid string (its length gives the size)."""
        return _board(problem)[0]

    def parse_problem(self, spec: str) -> Problem:
        """A grid typed by a user: 16, 36 or 81 cells (digits; ``0``, ``.`` or ``_`` for empty), on one
        line or several, separators (spaces, ``|``, ``,``) ignored."""
        cells = [ch for ch in spec if ch not in _SPEC_SEPARATORS]
        if len(cells) > 81 or any(ch not in _SPEC_CELLS for ch in cells) or len(cells) not in _SIZE_OF_CELLS:
            raise UserError(
                f"cannot read a sudoku grid from {spec[:40]!r}: give 16, 36 or 81 cells of digits or '.'"
            )
        size = _SIZE_OF_CELLS[len(cells)]
        puzzle = "".join("0" if ch in "._" else ch for ch in cells)
        if any(int(ch) > size for ch in puzzle):
            raise UserError(f"a {size}x{size} sudoku uses digits 1..{size}")
        return Problem(task=self.name, split="custom", index=0, data={"size": size, "puzzle": puzzle})

    def spawn_protocol(self, problem: Problem) -> SudokuSpawn:
        """The APR spawn/join grammar for ``problem`` (see ``spawn.py``)."""
        return SudokuSpawn(problem)

    def trace_kinds(self) -> list[str]:
        return list(TRACE_KINDS)

    def trace(self, problem: Problem, kind: str = "dfs", seed: int = 0) -> str:
        """A reference trace: ``dfs``, ``direct``, or ``spawn`` (the parent's context after the join).

        ``kind:order=shuffled`` draws the order among equally valid lines from ``seed`` and the puzzle;
        ``kind:search=static`` visits the cells in a fixed order instead; ``kind:lines=cell-first`` writes
        each placement, guess and dead end as the cell, its candidates, then the choice (``dfs`` and
        ``spawn``; see the ``traces`` docstring). The plain kind is the row-major scan search and ignores
        ``seed``.
        """
        puzzle, size = _board(problem)
        spec = _trace_spec(kind, puzzle, seed)
        if spec.kind == "dfs":
            return dfs_trace(puzzle, size, spec.order, spec.static, spec.cell_first)
        if spec.kind == "direct":
            return direct_trace(puzzle, size, spec.order, spec.static)
        return spec.spawn(puzzle, size).joined

    def training_documents(self, problem: Problem, kind: str, seed: int = 0) -> list[Document]:
        """The prompt (given) followed by the trace the model must write.

        ``dfs`` and ``direct``: one document per puzzle. ``spawn``: the parent up to its calling block, the
        parent's continuation after the join block (its context up to the join is given, since the runtime
        writes it), and every child from its own prompt, as the APR runtime will run them.
        """
        prompt = self.prompt(problem)
        spec = _trace_spec(kind, _board(problem)[0], seed)
        if spec.kind != "spawn":
            return [Document(prompt + self.trace(problem, kind, seed), len(prompt))]
        split = spec.spawn(*_board(problem))
        docs = [Document(prompt + split.pre_spawn, len(prompt))]
        if split.calling_block:
            context = prompt + split.before + split.join
            docs.append(Document(context + split.after, len(context)))
        docs += [Document(c.prompt + c.trace, len(c.prompt)) for c in split.children]
        return docs

    def search_shape(self, problem: Problem, kind: str, count: TokenCounter, seed: int = 0) -> SearchShape:
        """The search behind trace ``kind`` for ``problem``, measured in tokens (see ``ceiling.py``).

        Counts per puzzle: ``guesses`` on the solution path (the split's difficulty knob); for ``dfs`` and
        ``spawn`` the ``dead ends`` of all threads; for ``dfs`` the ``guess lines`` it wrote (wrong values
        included); for ``spawn`` the ``children`` of its spawn.
        """
        puzzle, size = _board(problem)
        spec = _trace_spec(kind, puzzle, seed)
        prompt = self.prompt(problem)
        needed = solution_guesses(puzzle, size)  # None: not a unique puzzle (typed by a user)
        counts = {} if needed is None else {"guesses": needed}
        split = spec.spawn(puzzle, size) if spec.kind == "spawn" else None
        if split is not None:
            counts["children"] = len(split.children)
            if split.calling_block:
                return _spawn_shape(prompt, split, size, count, counts)
        text = self.trace(problem, kind, seed)
        lines = _line_kinds(text, size)
        if spec.kind == "dfs":
            counts["guess lines"] = lines["guess"]
        if spec.kind != "direct":
            counts["dead ends"] = lines["nocand"]
        context = count(prompt + text)
        decoded = context - count(prompt)
        solved = self.extract_answer(prompt + text) is not None
        return SearchShape(solved, context if solved else math.inf, context, 1, decoded, decoded, counts)

    def extract_answer(self, text: str) -> str | None:
        """The grid of the last ``solution:`` block of a trace, as lines of digits, or ``None``.

        The size is read off the first row after the header (4, 6 or 9 digits). A truncated or garbled
        last block gives ``None`` even if an earlier block was complete: the model's final word counts.
        """
        if not isinstance(text, str):
            return None
        lines = text[-MAX_TRACE_CHARS:].splitlines()
        for k in range(len(lines) - 1, -1, -1):
            if lines[k].strip() != SOLUTION_HEADER:
                continue
            size = len(lines[k + 1].strip()) if k + 1 < len(lines) else 0
            if size not in SHAPES:
                return None
            grid = parse_trace("\n".join(lines[k : k + 1 + size]), size).answer
            return None if grid is None else grid_text(grid, size)
        return None


@dataclasses.dataclass(frozen=True)
class _TraceSpec:
    """A parsed ``kind[:order=...,search=...]``: the format and the search behind it."""

    kind: str
    order: random.Random | None  # None: row-major
    static: bool
    cell_first: bool = False

    def spawn(self, puzzle: str, size: int) -> SpawnTraces:
        return spawn_traces(puzzle, size, order=self.order, static=self.static, cell_first=self.cell_first)


def _trace_spec(spec: str, puzzle: str, seed: int) -> _TraceSpec:
    """Parse ``kind[:order=row-major|shuffled][,search=scan|static][,lines=kind-first|cell-first]``.

    A shuffled order is seeded by the puzzle and ``seed`` together, so one puzzle's trace is reproducible
    and two puzzles that share a training seed still draw independently. The static search makes no
    choice for an order to shuffle, so the two knobs do not combine. A direct trace has only placements,
    whose line is the same in both forms, so ``lines=cell-first`` is refused there.
    """
    kind, _, knobs = spec.strip().partition(":")
    if kind not in TRACE_KINDS:
        raise UserError(f"unknown sudoku trace kind {kind!r}; choose one of {', '.join(TRACE_KINDS)}")
    values = {"order": "row-major", "search": "scan", "lines": "kind-first"}
    allowed = {"order": ORDERS, "search": SEARCHES, "lines": LINE_FORMS}
    for knob in filter(None, knobs.split(",")):
        name, _, value = (part.strip() for part in knob.partition("="))
        if value not in allowed.get(name, ()):
            raise UserError(
                f"bad sudoku trace knob {knob!r}: the knobs are order={'|'.join(ORDERS)}, "
                f"search={'|'.join(SEARCHES)} and lines={'|'.join(LINE_FORMS)}"
            )
        values[name] = value
    static = values["search"] == "static"
    if static and values["order"] == "shuffled":
        raise UserError(f"sudoku trace {spec!r}: search=static has no choice to shuffle; drop order=shuffled")
    cell_first = values["lines"] == "cell-first"
    if cell_first and kind == "direct":
        raise UserError(
            f"sudoku trace {spec!r}: a direct trace has no guesses or dead ends; drop lines=cell-first"
        )
    order = None if values["order"] == "row-major" else random.Random(f"{puzzle}:{seed}")
    return _TraceSpec(kind, order, static, cell_first)


def _line_kinds(text: str, size: int) -> Counter[str]:
    """How many lines of each kind (``place``, ``guess``, ``nocand``, ``revert``) a trace wrote, in either
    line form."""
    return Counter(event.kind for event in parse_trace(text, size).events)


def _spawn_shape(
    prompt: str, split: SpawnTraces, size: int, count: TokenCounter, counts: dict[str, int]
) -> SearchShape:
    """Thread contexts, tokens and critical path of a spawn/join search, as the APR runtime meters them.

    The parent's first call stops at the closing marker of its calling block (the newline after it is
    never decoded); its second call continues the joined context, of which it decodes only the part
    after the join block. The search's window is the largest of those two and of the child whose
    placements the parent joins; a failed child that overflows would report no solution either way.
    """
    first = count(prompt + split.pre_spawn[:-1])
    second = count(prompt + split.joined)
    own = first - count(prompt) + second - count(prompt + split.before + split.join)
    children = [(count(c.prompt + c.trace), count(c.prompt)) for c in split.children]
    threads_text = [split.pre_spawn, split.after, *(c.trace for c in split.children)]
    counts = counts | {"dead ends": sum(_line_kinds(t, size)["nocand"] for t in threads_text)}
    solved = SOLUTION_HEADER + "\n" in split.after
    winner = next((ctx for (ctx, _), c in zip(children, split.children, strict=True) if c.solved), 0)
    return SearchShape(
        solved=solved,
        window_needed=max(first, second, winner) if solved else math.inf,
        max_context=max([first, second, *(ctx for ctx, _ in children)]),
        threads=1 + len(children),
        decoded=own + sum(ctx - p for ctx, p in children),
        critical_path=own + max(ctx - p for ctx, p in children),
        counts=counts,
    )
