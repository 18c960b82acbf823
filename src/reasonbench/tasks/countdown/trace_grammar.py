"""The line grammar shared by the Countdown trace writers, the parsers and the APR runtime.

Every function here writes one piece of trace text byte-exactly (``docs/trace-formats.md`` specifies the
whole format): a ``*_line`` function returns one line without its newline; prompts, paths and blocks end
with every newline. The spawn and join lines fill in the grammar every task shares
(:mod:`reasonbench.tasks.spawn_grammar`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reasonbench.tasks import spawn_grammar

NO_SOLUTION = "No solution found."
SUB_SEARCH_FAILED = "No solution found in sub search"
TOKEN_BUDGET = "Token Budget"
SUB_CALL_BUDGET = "Sub Call Budget"

# The fixed pieces the line writers below join around numbers, node ids and steps.
CURRENT_STATE = "Current State: "
OPERATIONS = ", Operations: "
EXPLORING = "Exploring Operation: "
RESULTING = ", Resulting Numbers: "
GENERATED = "Generated Node #"
OPERATION = " Operation: "
NODE = "Node #"
MOVING = "Moving to " + NODE
EQUAL = f" equal: {spawn_grammar.GOAL_REACHED}"
UNEQUAL = f" unequal: {spawn_grammar.NO_SOLUTION}"
SUB_START = "Start Sub Search at level "
SUB_EXIT = "Exit Sub Search at level "

PHRASES = (
    CURRENT_STATE,
    OPERATIONS,
    EXPLORING,
    RESULTING,
    GENERATED,
    OPERATION,
    MOVING,
    EQUAL,
    UNEQUAL,
    SUB_SEARCH_FAILED,
    NO_SOLUTION,
    SUB_START,
    SUB_EXIT,
    *spawn_grammar.PHRASES,
    spawn_grammar.JOIN_AT + NODE,
    TOKEN_BUDGET + ": ",
    SUB_CALL_BUDGET + ": ",
)
"""The fixed phrases of Countdown traces, each one token of the trace tokenizer. Their order is the order of
its token ids: the shipped models depend on it, so append, never reorder."""


@dataclass(frozen=True)
class NodeState:
    """A search node as the traces show it: its id, the target, the numbers left and the steps so far."""

    node_id: str
    target: int
    nums: tuple[int, ...]
    operations: tuple[str, ...]


@dataclass(frozen=True)
class ChildOutcome:
    """How one child ended: ``summary`` is its summary path (quoted in the join block when ``solved``)."""

    index: int
    level: int
    node_id: str
    solved: bool
    summary: str = ""


def format_nums(nums: Sequence[int]) -> str:
    """``[4, 9, 3]`` (a Python list repr)."""
    return "[" + ", ".join(str(n) for n in nums) + "]"


def format_ops(ops: Sequence[str]) -> str:
    """``['9-3=6', '4*6=24']`` (a Python list repr of step strings)."""
    return "[" + ", ".join(f"'{s}'" for s in ops) + "]"


def state_line(target: int, nums: Sequence[int], ops: Sequence[str]) -> str:
    return f"{CURRENT_STATE}{target}:{format_nums(nums)}{OPERATIONS}{format_ops(ops)}"


def explore_line(step: str, nums: Sequence[int]) -> str:
    return f"{EXPLORING}{step}{RESULTING}{format_nums(nums)}"


def generated_line(node_id: str, target: int, nums: Sequence[int], step: str) -> str:
    return f"{GENERATED}{node_id}: {target}:{format_nums(nums)}{OPERATION}{step}"


def move_line(node_id: str) -> str:
    return f"{MOVING}{node_id}"


def outcome_line(value: int, target: int) -> str:
    """``24,24 equal: Goal Reached`` or ``10,24 unequal: No Solution``."""
    return f"{value},{target}{EQUAL if value == target else UNEQUAL}"


def sub_search_start_line(level: int, node_id: str) -> str:
    return f"{SUB_START}{level}: {move_line(node_id)}"


def sub_search_exit_line(level: int) -> str:
    return f"{SUB_EXIT}{level}"


def spawn_line(index: int, level: int, node_id: str) -> str:
    """``<Start Sub Search {index} at level {level}> Moving to Node #{node_id}``."""
    return spawn_grammar.spawn_line(index, level, move_line(node_id))


def join_result_line(index: int, level: int, node_id: str, solved: bool) -> str:
    """``<Goal Reached in Sub Search {index} at level {level} at Node #{node_id}>`` (or ``No Solution``)."""
    return spawn_grammar.join_result_line(index, level, f"{NODE}{node_id}", solved)


def join_block(outcomes: Sequence[ChildOutcome]) -> str:
    """The join block: each child's result line, a solved child's summary path right after its own."""
    body = []
    for o in outcomes:
        body.append(join_result_line(o.index, o.level, o.node_id, o.solved) + "\n")
        if o.solved and o.summary:
            body.append(o.summary if o.summary.endswith("\n") else o.summary + "\n")
    return spawn_grammar.join_block("".join(body))


def state_prompt(node: NodeState) -> str:
    """``Moving to Node #{id}`` and the node's ``Current State`` line: how an APR search starts."""
    return move_line(node.node_id) + "\n" + state_line(node.target, node.nums, node.operations) + "\n"


def with_token_budget(text: str, budget: int) -> str:
    """SoS+ budget conditioning: ``Token Budget: {b} `` before the prompt."""
    return f"{TOKEN_BUDGET}: {budget} {text}"


def with_sub_call_budget(text: str, budget: int) -> str:
    """APR budget conditioning: ``Sub Call Budget: {k} `` before the prompt."""
    return f"{SUB_CALL_BUDGET}: {budget} {text}"


def summary_path(path: Sequence[NodeState], goal: NodeState) -> str:
    """The summary lines for ``path`` (start node .. the goal's parent) followed by the goal line.

    Each path node gives ``Moving to Node``, its ``Current State`` and the ``Exploring Operation`` to the
    next node of the path (the goal for the last one); then ``{goal},{target} equal: Goal Reached``.
    """
    if not path:
        raise ValueError("a summary path needs at least the goal's parent")
    out: list[str] = []
    nexts = [*path[1:], goal]
    for node, nxt in zip(path, nexts, strict=True):
        out.append(move_line(node.node_id) + "\n")
        out.append(state_line(node.target, node.nums, node.operations) + "\n")
        out.append(explore_line(nxt.operations[-1], nxt.nums) + "\n")
    out.append(outcome_line(goal.nums[0], goal.target) + "\n")
    return "".join(out)
