"""Parsers for Countdown search traces (the grammar of :mod:`~reasonbench.tasks.countdown.trace_grammar`).

Model output is hostile input. Nothing here evaluates text or raises on any string: lines are matched with
anchored regular expressions whose repetitions are bounded, numbers have at most :data:`MAX_INT_DIGITS`
digits, lines longer than :data:`MAX_LINE_CHARS` are malformed, and only the first :data:`MAX_TRACE_CHARS`
characters / :data:`MAX_LINES` lines are read (``ParsedTrace.truncated`` says so). Surrounding whitespace
on a line is ignored; empty lines are skipped. A line that matches no rule counts in
``ParsedTrace.malformed_lines``. A step is read with the one step pattern of ``rules.py`` and kept as
text (only the verifier turns its numbers into ints, bounded); the line bound bounds it here.

The claimed answer (:func:`extract_answer`) is taken at the LAST ``equal: Goal Reached`` line: the
``Operations`` of the last ``Current State`` before it plus the last ``Exploring Operation`` step between
that state and the goal line. With a summary path (SoS+, APR, direct traces) this reads the summary; for a
plain SoS trace, whose only goal line is its first, it is the reference's rule. A finished search's summary
path is :func:`summary_from_trace`; a spawn line is :func:`parse_spawn_line` (the APR runtime in
``spawn.py`` reads whole blocks with them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reasonbench.tasks.countdown.rules import STEP_PATTERN
from reasonbench.tasks.countdown.trace_grammar import (
    NO_SOLUTION,
    SUB_CALL_BUDGET,
    SUB_SEARCH_FAILED,
    TOKEN_BUDGET,
    NodeState,
    explore_line,
    move_line,
    outcome_line,
    state_line,
)
from reasonbench.tasks.spawn_grammar import (
    CALL_CLOSE,
    CALL_OPEN,
    GOAL_REACHED,
    JOIN_CLOSE,
    JOIN_OPEN,
    join_result_pattern,
    spawn_line_pattern,
)

# Bounds on hostile input. Every pattern is ASCII only (re.ASCII): \d would take other scripts' digits.
MAX_TRACE_CHARS = 4_000_000
MAX_LINES = 200_000
MAX_LINE_CHARS = 1_000
MAX_INT_DIGITS = 15
MAX_NUMS = 32
MAX_OPS = 32
MAX_ID_PARTS = 32
MAX_ID_PART_DIGITS = 6
MAX_LEVEL_DIGITS = 3
MAX_CHILDREN = 64
MAX_BUDGET_DIGITS = 9

_INT = rf"-?\d{{1,{MAX_INT_DIGITS}}}"
_NUMS = rf"\[(?:{_INT}(?:, {_INT}){{0,{MAX_NUMS - 1}}})?\]"
_STEP = f"(?:{STEP_PATTERN})"  # its own groups come after the named ones a line pattern reads
_OPS = rf"\[(?:'{_STEP}'(?:, '{_STEP}'){{0,{MAX_OPS - 1}}})?\]"
_ID = rf"\d{{1,{MAX_ID_PART_DIGITS}}}(?:,\d{{1,{MAX_ID_PART_DIGITS}}}){{0,{MAX_ID_PARTS - 1}}}"
_LEVEL = rf"\d{{1,{MAX_LEVEL_DIGITS}}}"

_STATE_RE = re.compile(
    rf"Current State: (?P<target>{_INT}):(?P<nums>{_NUMS}), Operations: (?P<ops>{_OPS})", re.ASCII
)
_EXPLORE_RE = re.compile(
    rf"Exploring Operation: (?P<step>{_STEP}), Resulting Numbers: (?P<nums>{_NUMS})", re.ASCII
)
_GENERATED_RE = re.compile(
    rf"Generated Node #(?P<id>{_ID}): (?P<target>{_INT}):(?P<nums>{_NUMS}) Operation: (?P<step>{_STEP})",
    re.ASCII,
)
_MOVE_RE = re.compile(rf"Moving to Node #({_ID})", re.ASCII)
_OUTCOME_RE = re.compile(rf"({_INT}),({_INT}) (equal: Goal Reached|unequal: No Solution)", re.ASCII)
_SUB_START_RE = re.compile(rf"Start Sub Search at level ({_LEVEL}): Moving to Node #({_ID})", re.ASCII)
_SUB_EXIT_RE = re.compile(rf"Exit Sub Search at level ({_LEVEL})", re.ASCII)
_SPAWN_RE = re.compile(spawn_line_pattern(rf"Moving to Node #({_ID})"), re.ASCII)
_JOIN_RESULT_RE = re.compile(join_result_pattern(rf"Node #({_ID})"), re.ASCII)
_BUDGET_RE = re.compile(
    rf"({TOKEN_BUDGET}|{SUB_CALL_BUDGET}): (\d{{1,{MAX_BUDGET_DIGITS}}}) (.*)", re.DOTALL | re.ASCII
)
_STEP_IN_OPS_RE = re.compile(rf"'(?P<step>{_STEP})'", re.ASCII)

# A raw line may carry this much surrounding whitespace / end-of-text markers on top of MAX_LINE_CHARS.
MAX_RAW_LINE_CHARS = MAX_LINE_CHARS + 64
_EOS_MARKERS = ("<|endoftext|>", "</s>", "<|im_end|>", "<|eot_id|>")


# ---------------------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateEvent:
    """``Current State: {target}:{nums}, Operations: {ops}``."""

    target: int
    nums: tuple[int, ...]
    operations: tuple[str, ...]


@dataclass(frozen=True)
class ExploreEvent:
    """``Exploring Operation: {step}, Resulting Numbers: {nums}``."""

    step: str
    nums: tuple[int, ...]


@dataclass(frozen=True)
class GeneratedEvent:
    """``Generated Node #{id}: {target}:{nums} Operation: {step}``."""

    node_id: str
    target: int
    nums: tuple[int, ...]
    step: str


@dataclass(frozen=True)
class MoveEvent:
    """``Moving to Node #{id}``."""

    node_id: str


@dataclass(frozen=True)
class OutcomeEvent:
    """``{value},{target} equal: Goal Reached`` (``reached``) or ``... unequal: No Solution``."""

    value: int
    target: int
    reached: bool


@dataclass(frozen=True)
class NoSolutionEvent:
    """``No solution found.``"""


@dataclass(frozen=True)
class SubSearchStartEvent:
    """``Start Sub Search at level {L}: Moving to Node #{id}`` (SoS+)."""

    level: int
    node_id: str


@dataclass(frozen=True)
class SubSearchExitEvent:
    """``Exit Sub Search at level {L}`` (SoS+)."""

    level: int


@dataclass(frozen=True)
class SubSearchFailedEvent:
    """``No solution found in sub search`` (SoS+)."""


@dataclass(frozen=True)
class SpawnChild:
    """One ``<Start Sub Search {index} at level {level}> Moving to Node #{node_id}`` line."""

    index: int
    level: int
    node_id: str


@dataclass(frozen=True)
class SpawnBlock:
    """A ``<Calling Sub Searches>`` ... ``<End Calling Sub Searches>`` block (APR)."""

    children: tuple[SpawnChild, ...]

    @property
    def level(self) -> int:
        """The children's level (0 for an empty block)."""
        return self.children[0].level if self.children else 0


@dataclass(frozen=True)
class JoinResult:
    """One ``<Goal Reached|No Solution in Sub Search {index} at level {level} at Node #{id}>`` line."""

    index: int
    level: int
    node_id: str
    solved: bool


@dataclass(frozen=True)
class JoinBlock:
    """A ``<Sub Searches>`` ... ``<End Sub Searches>`` block; the quoted summary lines are separate events."""

    results: tuple[JoinResult, ...]


Event = (
    StateEvent
    | ExploreEvent
    | GeneratedEvent
    | MoveEvent
    | OutcomeEvent
    | NoSolutionEvent
    | SubSearchStartEvent
    | SubSearchExitEvent
    | SubSearchFailedEvent
    | SpawnBlock
    | JoinBlock
)


@dataclass(frozen=True)
class ParsedTrace:
    """What a trace says, line by line.

    Attributes:
        events: the recognised events in order. Spawn blocks are one event at their closing line; a join
            block is one event at its closing line, after the summary lines it quotes.
        nodes: the start node (id ``0``, or the id of a leading ``Moving to Node`` line as in APR prompts)
            and every ``Generated Node`` whose parent id is already known, by id, with the operations
            rebuilt along the ids. The first definition of an id wins.
        root: the start node, or ``None`` without a ``Current State`` line.
        answer_steps: the claimed solution steps (see the module docstring) or ``None``.
        malformed_lines: lines that match no rule (plus the lines of unterminated or broken spawn blocks).
        token_budget, sub_call_budget: a budget prefix on the first line, if any.
        truncated: the input was longer than the parse bounds.
    """

    events: tuple[Event, ...]
    nodes: Mapping[str, NodeState] = field(hash=False)
    root: NodeState | None
    answer_steps: list[str] | None = field(hash=False)
    malformed_lines: int
    token_budget: int | None = None
    sub_call_budget: int | None = None
    truncated: bool = False

    @property
    def goal_claimed(self) -> bool:
        return any(isinstance(e, OutcomeEvent) and e.reached for e in self.events)


# ---------------------------------------------------------------------------------------------------------
# Line parsing
# ---------------------------------------------------------------------------------------------------------


def _nums(text: str) -> tuple[int, ...]:
    inner = text[1:-1]
    return tuple(int(x) for x in inner.split(", ")) if inner else ()


def _ops(text: str) -> tuple[str, ...]:
    return tuple(m["step"] for m in _STEP_IN_OPS_RE.finditer(text))


def clean_line(line: str) -> str:
    """``line`` without surrounding whitespace and a trailing end-of-text marker."""
    line = line.strip()
    for marker in _EOS_MARKERS:
        if line.endswith(marker):
            line = line[: -len(marker)].rstrip()
    return line


def _parse_line(line: str) -> Event | SpawnChild | JoinResult | str | None:
    """One stripped line: an event, a block line (a ``SpawnChild``/``JoinResult`` or a marker string), or
    ``None`` when it matches nothing."""
    if len(line) > MAX_LINE_CHARS:
        return None
    if line in (CALL_OPEN, CALL_CLOSE, JOIN_OPEN, JOIN_CLOSE):
        return line
    if line == NO_SOLUTION:
        return NoSolutionEvent()
    if line == SUB_SEARCH_FAILED:
        return SubSearchFailedEvent()
    if m := _STATE_RE.fullmatch(line):
        return StateEvent(int(m["target"]), _nums(m["nums"]), _ops(m["ops"]))
    if m := _EXPLORE_RE.fullmatch(line):
        return ExploreEvent(m["step"], _nums(m["nums"]))
    if m := _GENERATED_RE.fullmatch(line):
        return GeneratedEvent(m["id"], int(m["target"]), _nums(m["nums"]), m["step"])
    if m := _MOVE_RE.fullmatch(line):
        return MoveEvent(m[1])
    if m := _OUTCOME_RE.fullmatch(line):
        return OutcomeEvent(int(m[1]), int(m[2]), m[3].startswith("equal"))
    if m := _SUB_START_RE.fullmatch(line):
        return SubSearchStartEvent(int(m[1]), m[2])
    if m := _SUB_EXIT_RE.fullmatch(line):
        return SubSearchExitEvent(int(m[1]))
    if m := _SPAWN_RE.fullmatch(line):
        return SpawnChild(int(m[1]), int(m[2]), m[3])
    if m := _JOIN_RESULT_RE.fullmatch(line):
        return JoinResult(int(m[2]), int(m[3]), m[4], m[1] == GOAL_REACHED)
    return None


def _bounded_lines(text: str) -> tuple[list[str], bool]:
    truncated = len(text) > MAX_TRACE_CHARS
    lines = text[:MAX_TRACE_CHARS].split("\n", MAX_LINES)
    if len(lines) > MAX_LINES:
        truncated = True
        lines = lines[:MAX_LINES]
    return lines, truncated


def _strip_budget(line: str) -> tuple[str, int | None, int | None]:
    m = _BUDGET_RE.fullmatch(line)
    if m is None:
        return line, None, None
    value = int(m[2])
    if m[1] == TOKEN_BUDGET:
        return m[3], value, None
    return m[3], None, value


def _scan(text: str) -> tuple[list[Event], int, int | None, int | None, bool]:
    """Events, malformed count, budgets and truncation of ``text``."""
    if not isinstance(text, str):
        return [], 0, None, None, False
    lines, truncated = _bounded_lines(text)
    events: list[Event] = []
    malformed = 0
    token_budget = sub_call_budget = None
    spawn: list[SpawnChild] | None = None
    join: list[JoinResult] | None = None
    first = True
    for raw in lines:
        if len(raw) > MAX_RAW_LINE_CHARS:
            line, item = raw[:1], None  # too long to look at: malformed
        else:
            line = clean_line(raw)
            if not line:
                continue
            if first:
                line, token_budget, sub_call_budget = _strip_budget(line)
            item = _parse_line(line)
        first = False
        if spawn is not None and not isinstance(item, SpawnChild) and item != CALL_CLOSE:
            malformed += 1 + len(spawn)  # the block was abandoned
            spawn = None
        if item is None:
            malformed += 1
        elif item == CALL_OPEN:
            spawn = []
        elif item == CALL_CLOSE:
            if spawn is None:
                malformed += 1
            else:
                events.append(SpawnBlock(tuple(spawn)))
                spawn = None
        elif isinstance(item, SpawnChild):
            if spawn is None or len(spawn) >= MAX_CHILDREN:
                malformed += 1
            else:
                spawn.append(item)
        elif item == JOIN_OPEN:
            join = []
        elif item == JOIN_CLOSE:
            if join is None:
                malformed += 1
            else:
                events.append(JoinBlock(tuple(join)))
                join = None
        elif isinstance(item, JoinResult):
            if join is None or len(join) >= MAX_CHILDREN:
                malformed += 1
            else:
                join.append(item)
        elif isinstance(item, str):  # pragma: no cover - every marker string is handled above
            malformed += 1
        else:
            events.append(item)
    if spawn is not None:
        malformed += 1 + len(spawn)
    return events, malformed, token_budget, sub_call_budget, truncated


def _nodes(events: Sequence[Event]) -> tuple[dict[str, NodeState], NodeState | None]:
    nodes: dict[str, NodeState] = {}
    root: NodeState | None = None
    for i, event in enumerate(events):
        if root is None and isinstance(event, StateEvent):
            prev = events[i - 1] if i > 0 else None
            root_id = prev.node_id if i == 1 and isinstance(prev, MoveEvent) else "0"
            root = NodeState(root_id, event.target, event.nums, event.operations)
            nodes[root_id] = root
        elif root is not None and isinstance(event, GeneratedEvent) and event.node_id not in nodes:
            parent_id, _, _ = event.node_id.rpartition(",")
            parent = nodes.get(parent_id)
            if parent is not None and len(parent.operations) < MAX_OPS:
                ops = (*parent.operations, event.step)
                nodes[event.node_id] = NodeState(event.node_id, event.target, event.nums, ops)
    return nodes, root


def _last_goal(events: Sequence[Event], before: int | None = None) -> int | None:
    end = len(events) if before is None else before
    for i in range(end - 1, -1, -1):
        event = events[i]
        if isinstance(event, OutcomeEvent) and event.reached:
            return i
    return None


def _answer(events: Sequence[Event]) -> list[str] | None:
    goal = _last_goal(events)
    if goal is None:
        return None
    step: str | None = None
    for i in range(goal - 1, -1, -1):
        event = events[i]
        if isinstance(event, ExploreEvent) and step is None:
            step = event.step
        elif isinstance(event, StateEvent):
            return None if step is None else [*event.operations, step]
    return None


def parse_trace(text: str) -> ParsedTrace:
    """Parse a (possibly hostile, truncated or budget-prefixed) trace; never raises."""
    events, malformed, token_budget, sub_call_budget, truncated = _scan(text)
    nodes, root = _nodes(events)
    return ParsedTrace(
        events=tuple(events),
        nodes=nodes,
        root=root,
        answer_steps=_answer(events),
        malformed_lines=malformed,
        token_budget=token_budget,
        sub_call_budget=sub_call_budget,
        truncated=truncated,
    )


def extract_answer(text: str) -> str | None:
    """The claimed solution as step lines joined by ``\\n`` (``9-3=6\\n4*6=24``), or ``None``."""
    steps = parse_trace(text).answer_steps
    return None if steps is None else "\n".join(steps)


# ---------------------------------------------------------------------------------------------------------
# Summary paths
# ---------------------------------------------------------------------------------------------------------


def _render(event: Event) -> str:
    if isinstance(event, MoveEvent):
        return move_line(event.node_id) + "\n"
    if isinstance(event, StateEvent):
        return state_line(event.target, event.nums, event.operations) + "\n"
    if isinstance(event, ExploreEvent):
        return explore_line(event.step, event.nums) + "\n"
    if isinstance(event, OutcomeEvent):
        return outcome_line(event.value, event.target) + "\n"
    raise TypeError(f"not a summary event: {event!r}")  # pragma: no cover - callers filter the types


def summary_from_trace(text: str) -> str | None:
    """The summary path at the end of a solved search, re-rendered canonically, or ``None``.

    It is the events after the second-to-last goal line up to the last one, and must be one or more
    ``Moving to Node`` / ``Current State`` / ``Exploring Operation`` triples followed by the goal line.
    """
    events = parse_trace(text).events
    last = _last_goal(events)
    if last is None:
        return None
    prev = _last_goal(events, last)
    if prev is None:
        return None
    body = events[prev + 1 : last]
    if not body or len(body) % 3:
        return None
    for k in range(0, len(body), 3):
        move, state, explore = body[k : k + 3]
        if not (isinstance(move, MoveEvent) and isinstance(state, StateEvent)):
            return None
        if not isinstance(explore, ExploreEvent):
            return None
    return "".join(_render(e) for e in (*body, events[last]))


def parse_spawn_line(line: str) -> SpawnChild | None:
    """One stripped line of a calling block (``<Start Sub Search 0 at level 1> Moving to Node #0,0``)."""
    item = _parse_line(line)
    return item if isinstance(item, SpawnChild) else None
