"""Parsers for Countdown search traces (the grammar of :mod:`reasonbench.tasks.countdown.traces`).

Model output is hostile input. Nothing here evaluates text or raises on any string: lines are matched with
anchored regular expressions whose repetitions are bounded, numbers have at most :data:`MAX_INT_DIGITS`
digits, lines longer than :data:`MAX_LINE_CHARS` are malformed, and only the first :data:`MAX_TRACE_CHARS`
characters / :data:`MAX_LINES` lines are read (``ParsedTrace.truncated`` says so). Surrounding whitespace
on a line is ignored; empty lines are skipped. A line that matches no rule counts in
``ParsedTrace.malformed_lines``.

The claimed answer (:func:`extract_answer`) is taken at the LAST ``equal: Goal Reached`` line: the
``Operations`` of the last ``Current State`` before it plus the last ``Exploring Operation`` step between
that state and the goal line. With a summary path (SoS+, APR, direct traces) this reads the summary; for a
plain SoS trace, whose only goal line is its first, it is the reference's rule.

The APR runtime helpers parse the parent's spawn block (:func:`find_spawn_block`), rebuild each child's
start state from the parent's ``Generated Node`` lines (:func:`child_states`), write each child's prompt
(:func:`child_prompt`), read a finished child's summary path (:func:`summary_from_trace`,
:func:`outcome_from_child`), and write the join block that replaces the spawn block in the parent's context
(:func:`join_block`, :func:`replace_spawn_with_join`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reasonbench.tasks.countdown.traces import (
    CALL_CLOSE,
    CALL_OPEN,
    JOIN_CLOSE,
    JOIN_OPEN,
    NO_SOLUTION,
    SUB_SEARCH_FAILED,
    NodeState,
    explore_line,
    join_result_line,
    move_line,
    outcome_line,
    state_line,
    state_prompt,
)

# Bounds on hostile input.
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
_STEP = rf"{_INT}[+\-*/]{_INT}={_INT}"
_OPS = rf"\[(?:'{_STEP}'(?:, '{_STEP}'){{0,{MAX_OPS - 1}}})?\]"
_ID = rf"\d{{1,{MAX_ID_PART_DIGITS}}}(?:,\d{{1,{MAX_ID_PART_DIGITS}}}){{0,{MAX_ID_PARTS - 1}}}"
_LEVEL = rf"\d{{1,{MAX_LEVEL_DIGITS}}}"
_INDEX = r"\d{1,4}"

_STATE_RE = re.compile(rf"Current State: ({_INT}):({_NUMS}), Operations: ({_OPS})")
_EXPLORE_RE = re.compile(rf"Exploring Operation: ({_STEP}), Resulting Numbers: ({_NUMS})")
_GENERATED_RE = re.compile(rf"Generated Node #({_ID}): ({_INT}):({_NUMS}) Operation: ({_STEP})")
_MOVE_RE = re.compile(rf"Moving to Node #({_ID})")
_OUTCOME_RE = re.compile(rf"({_INT}),({_INT}) (equal: Goal Reached|unequal: No Solution)")
_SUB_START_RE = re.compile(rf"Start Sub Search at level ({_LEVEL}): Moving to Node #({_ID})")
_SUB_EXIT_RE = re.compile(rf"Exit Sub Search at level ({_LEVEL})")
_SPAWN_RE = re.compile(rf"<Start Sub Search ({_INDEX}) at level ({_LEVEL})> Moving to Node #({_ID})")
_JOIN_RESULT_RE = re.compile(
    rf"<(Goal Reached|No Solution) in Sub Search ({_INDEX}) at level ({_LEVEL}) at Node #({_ID})>"
)
_BUDGET_RE = re.compile(rf"(Token Budget|Sub Call Budget): (\d{{1,{MAX_BUDGET_DIGITS}}}) (.*)", re.DOTALL)
_STEP_IN_OPS_RE = re.compile(rf"'({_STEP})'")

# A raw line may carry this much surrounding whitespace / end-of-text markers on top of MAX_LINE_CHARS.
_MAX_RAW_LINE = MAX_LINE_CHARS + 64
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
class BadSpawn:
    """A calling block the runtime must not run, and why."""

    reason: str


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
    return tuple(_STEP_IN_OPS_RE.findall(text))


def _clean(line: str) -> str:
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
        return StateEvent(int(m[1]), _nums(m[2]), _ops(m[3]))
    if m := _EXPLORE_RE.fullmatch(line):
        return ExploreEvent(m[1], _nums(m[2]))
    if m := _GENERATED_RE.fullmatch(line):
        return GeneratedEvent(m[1], int(m[2]), _nums(m[3]), m[4])
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
        return JoinResult(int(m[2]), int(m[3]), m[4], m[1] == "Goal Reached")
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
    if m[1] == "Token Budget":
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
        if len(raw) > _MAX_RAW_LINE:
            line, item = raw[:1], None  # too long to look at: malformed
        else:
            line = _clean(raw)
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


# ---------------------------------------------------------------------------------------------------------
# APR runtime helpers
# ---------------------------------------------------------------------------------------------------------


_CALL_OPEN_RE = re.compile(rf"^[ \t]*{re.escape(CALL_OPEN)}[ \t\r]*$", re.MULTILINE)


def _last_call_open(text: str) -> int | None:
    """Offset of the last line that is ``<Calling Sub Searches>`` (up to surrounding blanks), or ``None``."""
    last = None
    for m in _CALL_OPEN_RE.finditer(text):
        last = m.start()
    return last


def find_spawn_block(text: str) -> SpawnBlock | BadSpawn | None:
    """Parse the LAST ``<Calling Sub Searches>`` block of ``text``.

    ``None`` without one; :class:`BadSpawn` when it is unterminated, has a malformed line, no children,
    more than :data:`MAX_CHILDREN`, indices other than ``0, 1, ...`` in order, mixed or zero levels, or a
    repeated node id. Blank lines inside the block and text after its closing line are ignored.
    """
    if not isinstance(text, str):
        return None
    pos = _last_call_open(text)
    if pos is None:
        return None
    window = text[pos : pos + (MAX_CHILDREN + 2) * (_MAX_RAW_LINE + 1)]
    children: list[SpawnChild] = []
    closed = False
    for raw in window.split("\n")[1:]:
        if len(raw) > _MAX_RAW_LINE:
            return BadSpawn(f"overlong line {len(children) + 1} in the calling block")
        line = _clean(raw)
        if not line:
            continue  # blank lines are tolerated
        if line == CALL_CLOSE:
            closed = True
            break
        if len(children) == MAX_CHILDREN:
            return BadSpawn(f"more than {MAX_CHILDREN} sub searches")
        item = _parse_line(line)
        if not isinstance(item, SpawnChild):
            return BadSpawn(f"malformed line {len(children) + 1} in the calling block")
        children.append(item)
    if not closed:
        return BadSpawn("unterminated calling block")
    if not children:
        return BadSpawn("empty calling block")
    if [c.index for c in children] != list(range(len(children))):
        return BadSpawn("sub search indices must be 0, 1, ... in order")
    if len({c.level for c in children}) != 1 or children[0].level < 1:
        return BadSpawn("sub searches must share one level >= 1")
    if len({c.node_id for c in children}) != len(children):
        return BadSpawn("a node is spawned twice")
    return SpawnBlock(tuple(children))


def child_prompt(node: NodeState) -> str:
    """A child's start text: ``Moving to Node #{id}`` and the node's ``Current State`` line."""
    return state_prompt(node)


def child_states(text: str, block: SpawnBlock) -> list[NodeState | None]:
    """Each requested child's start state, rebuilt from the parent's ``Generated Node`` lines.

    ``None`` for a node the parent never generated.
    """
    nodes = parse_trace(text).nodes
    return [nodes.get(child.node_id) for child in block.children]


@dataclass(frozen=True)
class ChildOutcome:
    """How one child ended: ``summary`` is its summary path (quoted in the join block when ``solved``)."""

    index: int
    level: int
    node_id: str
    solved: bool
    summary: str = ""


def outcome_from_child(child: SpawnChild, child_text: str) -> ChildOutcome:
    """A child's outcome from its final text: solved iff it ends with a well-formed summary path."""
    summary = summary_from_trace(child_text)
    return ChildOutcome(child.index, child.level, child.node_id, summary is not None, summary or "")


def join_block(outcomes: Sequence[ChildOutcome]) -> str:
    """The ``<Sub Searches>`` ... ``<End Sub Searches>`` block, byte-exact."""
    out = [JOIN_OPEN + "\n"]
    for o in outcomes:
        out.append(join_result_line(o.index, o.level, o.node_id, o.solved) + "\n")
        if o.solved and o.summary:
            out.append(o.summary if o.summary.endswith("\n") else o.summary + "\n")
    out.append(JOIN_CLOSE + "\n")
    return "".join(out)


def replace_spawn_with_join(text: str, join: str) -> str:
    """The parent's context after a join: the text before its last calling block, then ``join``.

    Without a calling block, ``join`` is appended (on a new line).
    """
    pos = _last_call_open(text)
    if pos is None:
        return text + join if not text or text.endswith("\n") else text + "\n" + join
    return text[:pos] + join
