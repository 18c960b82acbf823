"""Countdown's spawn/join protocol for the APR runtime: the grammar of ``traces.py``, served live.

A parent stops decoding at ``<End Calling Sub Searches>``; each requested child starts from its node's state
rebuilt from the parent's own ``Generated Node`` lines; a child's outcome is read from its final text (solved
iff it ends with a well-formed summary path); the join block replaces the calling block in the parent.
"""

from __future__ import annotations

from reasonbench.tasks.base import ChildRequest, Problem
from reasonbench.tasks.countdown import trace_parse
from reasonbench.tasks.countdown.traces import CALL_CLOSE, NodeState, state_prompt


class CountdownSpawn:
    """The APR spawn protocol for Countdown traces."""

    spawn_close = CALL_CLOSE

    def parent_prompt(self, problem: Problem) -> str:
        root = NodeState("0", problem.data["target"], tuple(problem.data["nums"]), ())
        return state_prompt(root)

    def spawn_requests(self, context: str) -> list[ChildRequest] | str:
        block = trace_parse.find_spawn_block(context)
        if block is None:
            return "no calling block before the stop marker"
        if isinstance(block, trace_parse.BadSpawn):
            return block.reason
        states = trace_parse.child_states(context, block)
        return [
            ChildRequest(index=c.index, prompt=None if s is None else trace_parse.child_prompt(s), handle=c)
            for c, s in zip(block.children, states, strict=True)
        ]

    def outcome(self, request: ChildRequest, final_text: str | None) -> trace_parse.ChildOutcome:
        child = request.handle
        if final_text is None:
            return trace_parse.ChildOutcome(child.index, child.level, child.node_id, False)
        return trace_parse.outcome_from_child(child, final_text)

    def solved(self, outcome: trace_parse.ChildOutcome) -> bool:
        return outcome.solved

    def join(self, context: str, outcomes: list[trace_parse.ChildOutcome]) -> str:
        return trace_parse.replace_spawn_with_join(context, trace_parse.join_block(outcomes))
