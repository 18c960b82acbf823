"""Value objects shared by every task: a problem, a verdict, and the task contract."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from reasonbench.tasks.spawn_grammar import MalformedSpawn

if TYPE_CHECKING:
    from reasonbench.ceiling import SearchShape


@dataclass(frozen=True)
class Problem:
    """One puzzle instance of a split.

    ``data`` holds the task's own JSON-serialisable fields (for Countdown ``target`` and ``nums``; for
    Sudoku ``size`` and ``puzzle``). ``id`` is unique and stable within a task: ``{split}-{index:05d}``.
    """

    task: str
    split: str
    index: int
    data: dict[str, Any] = field(hash=False)

    @property
    def id(self) -> str:
        return f"{self.split}-{self.index:05d}"

    def to_json(self) -> str:
        """One canonical JSON line (sorted keys, no spaces) as stored in the frozen split files."""
        return json.dumps(
            {"task": self.task, "split": self.split, "index": self.index, **self.data},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, line: str) -> Problem:
        raw = json.loads(line)
        task, split, index = raw.pop("task"), raw.pop("split"), raw.pop("index")
        return cls(task=task, split=split, index=int(index), data=raw)


@dataclass(frozen=True)
class Verdict:
    """The verifier's judgement of one answer: correct or not, and why.

    ``reason`` is ``"ok"`` for a correct answer, otherwise a short human-readable cause such as
    ``"number 7 used more often than given"``. ``normalized`` is a canonical form of the answer (used for
    majority voting) when the answer could be parsed, else ``None``.
    """

    correct: bool
    reason: str
    normalized: str | None = None

    def __bool__(self) -> bool:
        return self.correct


BudgetKind = Literal["tokens", "sub_calls"]
"""A budget a model can be conditioned on: ``tokens`` (a serial search's length), ``sub_calls`` (children)."""


class Task(Protocol):
    """What the runner, the strategies, training and the CLI need from a task.

    Nothing outside a task's own package knows its data fields or its trace text: strategies, prompt
    profiles and training go through these methods.
    """

    name: str
    default_split: str
    """The split every command uses when none is named: the task's CPU default."""
    trace_phrases: tuple[str, ...]
    """The fixed phrases of the task's traces, each written by its grammar; the trace tokenizer makes each
    one token (a task may leave out phrases another task it shares the tokenizer with already lists)."""

    def splits(self) -> list[str]:
        """Names of the splits this task can generate."""
        ...

    def generate(self, split: str, count: int, seed: str | None = None, workers: int = 1) -> list[Problem]:
        """Deterministically generate ``count`` distinct problems of ``split``.

        ``seed=None`` uses the split's own seed (the frozen evaluation sets); training data passes another
        seed so that it is drawn independently. ``workers`` processes draw them (the problems do not depend
        on how many).
        """
        ...

    def parse_problem(self, spec: str) -> Problem:
        """A problem typed by a user (``"24:[4, 9, 3]"``, an 81-digit grid); bad text is a ``UserError``."""
        ...

    def problem_key(self, problem: Problem) -> str:
        """The puzzle itself, whatever its split and index: equal keys are the same puzzle (training drops
        the frozen val puzzles by it)."""
        ...

    def prompt(self, problem: Problem) -> str:
        """The text a trace-format model is prompted with."""
        ...

    def instruct_prompt(self, problem: Problem) -> str:
        """The puzzle in words, for an instruction-following model (the ``instruct`` profile says how to
        answer)."""
        ...

    def budget_prefix(self, kind: BudgetKind, value: int) -> str:
        """The text a budget-conditioned model reads before its prompt (Countdown: ``Token Budget: {b} ``,
        ``Sub Call Budget: {k} ``); a ``UserError`` when the task's traces have no such prefix."""
        ...

    def extract_answer(self, text: str) -> str | None:
        """The final answer claimed by a model's output (hostile input), or ``None``."""
        ...

    def verify(self, problem: Problem, answer: str) -> Verdict:
        """Strictly check a final answer (text from a model: hostile input)."""
        ...

    def reference_answer(self, problem: Problem) -> str | None:
        """A correct answer found by the task's own solver, or ``None`` if none exists."""
        ...

    def spawn_protocol(self, problem: Problem) -> SpawnProtocol:
        """The task's spawn/join grammar for ``problem``, served to the APR runtime; a ``UserError`` for a
        task without one."""
        ...

    def trace_kinds(self) -> list[str]:
        """Names of the trace formats :meth:`trace` can write."""
        ...

    def trace(self, problem: Problem, kind: str, seed: int = 0) -> str:
        """A search trace of ``kind`` for ``problem`` (prompt included), seeded."""
        ...

    def training_documents(self, problem: Problem, kind: str, seed: int = 0) -> list[Document]:
        """The training texts ``kind`` makes of ``problem``: one trace, or (spawn/join) one per thread."""
        ...

    def search_shape(
        self, problem: Problem, kind: str, count: Callable[[str], int], seed: int = 0
    ) -> SearchShape:
        """The symbolic search behind trace ``kind``, measured in tokens by ``count`` (``ceiling.py``)."""
        ...


@dataclass(frozen=True)
class Document:
    """One training text. Its first ``given`` characters are context the model reads but is not trained
    to write: what the runtime supplies (a prompt, a budget prefix, a parent's context up to the join block
    it inserted). Training on a continuation's context would teach the parent to write the join block
    itself instead of the spawn block that precedes it in the run."""

    text: str
    given: int = 0


@dataclass(frozen=True)
class ChildRequest:
    """One requested child: its index in the block, its start text (``None``: cannot start), a task handle."""

    index: int
    prompt: str | None
    handle: Any = None


class SpawnProtocol(Protocol):
    """A task's spawn/join grammar."""

    spawn_close: str
    """The line that ends a spawn block; decoding stops on it."""

    def parent_prompt(self, problem: Problem) -> str:
        """The root thread's prompt."""
        ...

    def spawn_requests(self, context: str) -> list[ChildRequest] | MalformedSpawn:
        """The children requested by the last spawn block of ``context``, or why the block cannot run."""
        ...

    def outcome(self, request: ChildRequest, final_text: str | None) -> Any:
        """A child's outcome from its final text (prompt included); ``None`` text means it failed."""
        ...

    def solved(self, outcome: Any) -> bool:
        """Whether a child outcome reports a solution."""
        ...

    def join(self, context: str, outcomes: list[Any]) -> str:
        """The parent's context with its last spawn block replaced by the join block."""
        ...
