"""Countdown's spawn/join protocol for the APR runtime: the grammar of the APR traces, served live.

A parent stops decoding at ``<End Calling Sub Searches>``; each requested child starts from its node's state
rebuilt from the parent's own ``Generated Node`` lines; a child's outcome is read from its final text (solved
iff it ends with a well-formed summary path); the join block replaces the calling block in the parent.
"""

from __future__ import annotations

from reasonbench.tasks.base import ChildRequest, Problem
from reasonbench.tasks.countdown.trace_grammar import ChildOutcome, NodeState, join_block, state_prompt
from reasonbench.tasks.countdown.trace_parsers import (
    MAX_CHILDREN,
    MAX_RAW_LINE_CHARS,
    SpawnBlock,
    SpawnChild,
    clean_line,
    parse_spawn_line,
    parse_trace,
    summary_from_trace,
)
from reasonbench.tasks.spawn_grammar import (
    CALL_CLOSE,
    MalformedSpawn,
    calling_lines,
    check_numbering,
    replace_spawn_with_join,
)


def find_spawn_block(text: str) -> SpawnBlock | MalformedSpawn | None:
    """Parse the LAST ``<Calling Sub Searches>`` block of ``text``.

    ``None`` without one; :class:`MalformedSpawn` when it is unterminated, has a malformed line, no
    children, more than :data:`MAX_CHILDREN`, indices other than ``0, 1, ...`` in order, or mixed or zero
    levels. A node requested twice is well formed: the runtime joins the repeat as "no solution". Blank
    lines inside the block and text after its closing line are ignored.
    """
    children = calling_lines(text, parse_spawn_line, MAX_CHILDREN, MAX_RAW_LINE_CHARS, clean_line)
    if children is None or isinstance(children, MalformedSpawn):
        return children
    bad = check_numbering([c.index for c in children], [c.level for c in children])
    if bad is not None:
        return bad
    return SpawnBlock(tuple(children))


def child_states(text: str, block: SpawnBlock) -> list[NodeState | None]:
    """Each requested child's start state, rebuilt from the parent's ``Generated Node`` lines.

    ``None`` for a node the parent never generated.
    """
    nodes = parse_trace(text).nodes
    return [nodes.get(child.node_id) for child in block.children]


def outcome_from_child(child: SpawnChild, child_text: str) -> ChildOutcome:
    """A child's outcome from its final text: solved iff it ends with a well-formed summary path."""
    summary = summary_from_trace(child_text)
    return ChildOutcome(child.index, child.level, child.node_id, summary is not None, summary or "")


class CountdownSpawn:
    """The APR spawn protocol for Countdown traces."""

    spawn_close = CALL_CLOSE

    def parent_prompt(self, problem: Problem) -> str:
        root = NodeState("0", problem.data["target"], tuple(problem.data["nums"]), ())
        return state_prompt(root)

    def spawn_requests(self, context: str) -> list[ChildRequest] | MalformedSpawn:
        block = find_spawn_block(context)
        if block is None:
            return MalformedSpawn("no calling block before the stop marker")
        if isinstance(block, MalformedSpawn):
            return block
        states = child_states(context, block)
        return [
            ChildRequest(index=c.index, prompt=None if s is None else state_prompt(s), handle=c)
            for c, s in zip(block.children, states, strict=True)
        ]

    def outcome(self, request: ChildRequest, final_text: str | None) -> ChildOutcome:
        child = request.handle
        if final_text is None:
            return ChildOutcome(child.index, child.level, child.node_id, False)
        return outcome_from_child(child, final_text)

    def solved(self, outcome: ChildOutcome) -> bool:
        return outcome.solved

    def join(self, context: str, outcomes: list[ChildOutcome]) -> str:
        return replace_spawn_with_join(context, join_block(outcomes))
