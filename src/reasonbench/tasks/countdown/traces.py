"""Countdown search-trace writers: the texts Stream-of-Search (SoS), SoS+ and APR models are trained on.

The formats — line grammar, node ids, summary paths, the spawn and join blocks, budget prefixes, and how each
search (SoS DFS and BFS, SoS+, APR) writes them, with examples — are specified in ``docs/trace-formats.md``.
They are byte-compatible with the public Stream-of-Search / APR data so that published checkpoints can be
prompted and scored. This is our own implementation: every writer is deterministic given the
``random.Random`` passed in (no global random state).
"""

from __future__ import annotations

import heapq
import itertools
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, TypeVar

from reasonbench.tasks.countdown.rules import DEFAULT_RULES, Rules, apply, combine

Heuristic = Callable[[Sequence[int], int], float]


# ---------------------------------------------------------------------------------------------------------
# Heuristics (the reference definitions)
# ---------------------------------------------------------------------------------------------------------


def sum_heuristic(nums: Sequence[int], target: int) -> float:
    """Mean distance of the numbers to the target (the distance itself for one number)."""
    if len(nums) == 1:
        return abs(nums[0] - target)
    return sum(abs(n - target) for n in nums) / len(nums)


@lru_cache(maxsize=4096)
def _factors(target: int) -> tuple[int, ...]:
    """The divisors ``2..target`` of ``target``; ``(target,)`` when there are none (target below 2)."""
    t = abs(target)
    small = [d for d in range(2, int(t**0.5) + 1) if t % d == 0]
    found = set(small) | {t // d for d in small}
    if t >= 2:
        found.add(t)
    return tuple(sorted(found)) or (target,)


def mult_heuristic(nums: Sequence[int], target: int) -> float:
    """Sum over the numbers of the distance to the nearest factor ``>= 2`` of the target."""
    factors = _factors(target)
    return sum(min(abs(n - f) for f in factors) for n in nums)


# ---------------------------------------------------------------------------------------------------------
# Nodes and line formatting
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeState:
    """A search node as the traces show it: its id, the target, the numbers left and the steps so far."""

    node_id: str
    target: int
    nums: tuple[int, ...]
    operations: tuple[str, ...]


def format_nums(nums: Sequence[int]) -> str:
    """``[4, 9, 3]`` (a Python list repr)."""
    return "[" + ", ".join(str(n) for n in nums) + "]"


def format_ops(ops: Sequence[str]) -> str:
    """``['9-3=6', '4*6=24']`` (a Python list repr of step strings)."""
    return "[" + ", ".join(f"'{s}'" for s in ops) + "]"


def state_line(target: int, nums: Sequence[int], ops: Sequence[str]) -> str:
    return f"Current State: {target}:{format_nums(nums)}, Operations: {format_ops(ops)}"


def explore_line(step: str, nums: Sequence[int]) -> str:
    return f"Exploring Operation: {step}, Resulting Numbers: {format_nums(nums)}"


def generated_line(node_id: str, target: int, nums: Sequence[int], step: str) -> str:
    return f"Generated Node #{node_id}: {target}:{format_nums(nums)} Operation: {step}"


def move_line(node_id: str) -> str:
    return f"Moving to Node #{node_id}"


def outcome_line(value: int, target: int) -> str:
    """``24,24 equal: Goal Reached`` or ``10,24 unequal: No Solution`` (as every ``*_line``: no newline)."""
    verdict = "equal: Goal Reached" if value == target else "unequal: No Solution"
    return f"{value},{target} {verdict}"


# Fixed lines (like every ``*_line`` function here: without the trailing newline).
NO_SOLUTION = "No solution found."
SUB_SEARCH_FAILED = "No solution found in sub search"
CALL_OPEN = "<Calling Sub Searches>"
CALL_CLOSE = "<End Calling Sub Searches>"
JOIN_OPEN = "<Sub Searches>"
JOIN_CLOSE = "<End Sub Searches>"


def sub_search_start_line(level: int, node_id: str) -> str:
    return f"Start Sub Search at level {level}: Moving to Node #{node_id}"


def sub_search_exit_line(level: int) -> str:
    return f"Exit Sub Search at level {level}"


def spawn_line(index: int, level: int, node_id: str) -> str:
    return f"<Start Sub Search {index} at level {level}> Moving to Node #{node_id}"


def join_result_line(index: int, level: int, node_id: str, solved: bool) -> str:
    verdict = "Goal Reached" if solved else "No Solution"
    return f"<{verdict} in Sub Search {index} at level {level} at Node #{node_id}>"


def state_prompt(node: NodeState) -> str:
    """``Moving to Node #{id}`` and the node's ``Current State`` line: how an APR search starts."""
    return move_line(node.node_id) + "\n" + state_line(node.target, node.nums, node.operations) + "\n"


def with_token_budget(text: str, budget: int) -> str:
    """SoS+ budget conditioning: ``Token Budget: {b} `` before the prompt."""
    return f"Token Budget: {budget} {text}"


def with_sub_call_budget(text: str, budget: int) -> str:
    """APR budget conditioning: ``Sub Call Budget: {k} `` before the prompt."""
    return f"Sub Call Budget: {budget} {text}"


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


# ---------------------------------------------------------------------------------------------------------
# Search machinery
# ---------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    state: NodeState
    h: float
    parent: _Node | None

    @property
    def id(self) -> str:
        return self.state.node_id


def _path_from(start: _Node, goal: _Node) -> list[NodeState]:
    """Node states from ``start`` to the goal's parent, inclusive."""
    path: list[NodeState] = []
    node = goal.parent
    while node is not None:
        path.append(node.state)
        if node is start:
            break
        node = node.parent
    else:
        raise ValueError("start is not an ancestor of the goal")
    return path[::-1]


def _summary(start: _Node, goal: _Node) -> str:
    return summary_path(_path_from(start, goal), goal.state)


@dataclass(frozen=True)
class _Successor:
    h: float
    nums: tuple[int, ...]
    ops: tuple[str, ...]


@dataclass
class _Search:
    """Shared state of one writer run: knobs, rng, the open-set counter, and what was generated."""

    target: int
    heuristic: Heuristic
    rules: Rules
    rng: random.Random | None
    nodes: dict[str, NodeState] = field(default_factory=dict)
    explored: int = 0
    seq: itertools.count[int] = field(default_factory=itertools.count)

    def successors(self, node: _Node) -> list[_Successor]:
        """Every one-step successor in generation order (pairs ``i < j``, then :func:`combine` order)."""
        nums = node.state.nums
        out: list[_Successor] = []
        for i, j in itertools.combinations(range(len(nums)), 2):
            rest = tuple(n for k, n in enumerate(nums) if k != i and k != j)
            for result, step in combine(nums[i], nums[j], self.rules):
                new = (*rest, result)
                out.append(_Successor(self.heuristic(new, self.target), new, (*node.state.operations, step)))
        return out

    def child(self, parent: _Node, index: int, succ: _Successor) -> _Node:
        state = NodeState(f"{parent.id},{index}", self.target, succ.nums, succ.ops)
        return _Node(state, succ.h, parent)

    def explore(self, out: list[str], node: _Node) -> None:
        self.explored += 1
        out.append(explore_line(node.state.operations[-1], node.state.nums) + "\n")

    def generate(self, out: list[str], node: _Node) -> None:
        self.nodes.setdefault(node.id, node.state)
        out.append(generated_line(node.id, self.target, node.state.nums, node.state.operations[-1]) + "\n")

    def state(self, out: list[str], node: _Node) -> None:
        out.append(state_line(self.target, node.state.nums, node.state.operations) + "\n")

    def summary(self, out: list[str], start: _Node, goal: _Node) -> None:
        path = _path_from(start, goal)
        self.explored += len(path)
        out.append(summary_path(path, goal.state))

    def push(self, heap: list[tuple[float, int, _Node]], node: _Node) -> None:
        heapq.heappush(heap, (node.h, next(self.seq), node))

    def beam(self, node: _Node, beam_size: int) -> list[_Successor]:
        """The ``beam_size`` best successors (stable sort by heuristic), shuffled with the rng."""
        kept = sorted(self.successors(node), key=lambda s: s.h)[:beam_size]
        if self.rng is not None:
            self.rng.shuffle(kept)
        return kept


def _root(search: _Search, nums: Sequence[int]) -> _Node:
    if len(nums) < 2:
        raise ValueError(f"need at least two numbers, got {list(nums)}")
    if not search.rules.use_all:
        raise ValueError("the trace formats implement the use-every-number rules only")
    state = NodeState("0", search.target, tuple(int(n) for n in nums), ())
    search.nodes[state.node_id] = state
    return _Node(state, search.heuristic(state.nums, search.target), None)


def _check_beam(beam_size: int, name: str = "beam_size") -> None:
    if beam_size < 1:
        raise ValueError(f"{name} must be >= 1, got {beam_size}")


@dataclass(frozen=True)
class SearchTrace:
    """One SoS / SoS+ trace and the search it records.

    Attributes:
        text: the trace.
        solved: whether the search reached the target.
        goal: the goal node (its ``operations`` are the solution) or ``None``.
        nodes: the root and every node written as a ``Generated Node`` line, by id.
        explored: how many ``Exploring Operation`` lines the trace has (summary path included).
    """

    text: str
    solved: bool
    goal: NodeState | None
    nodes: Mapping[str, NodeState] = field(hash=False)
    explored: int

    @property
    def solution(self) -> tuple[str, ...] | None:
        return None if self.goal is None else self.goal.operations


def _finish(search: _Search, out: list[str], goal: _Node | None) -> SearchTrace:
    return SearchTrace(
        text="".join(out),
        solved=goal is not None,
        goal=None if goal is None else goal.state,
        nodes=dict(search.nodes),
        explored=search.explored,
    )


# ---------------------------------------------------------------------------------------------------------
# SoS DFS
# ---------------------------------------------------------------------------------------------------------


def _dfs(search: _Search, out: list[str], node: _Node, threshold: float | None) -> _Node | None:
    search.state(out, node)
    succs = search.successors(node)
    if threshold is not None:
        succs = [s for s in succs if s.h <= threshold]
    if search.rng is not None:
        search.rng.shuffle(succs)  # random tie-break; the stable sort below keeps generation order otherwise
    succs.sort(key=lambda s: s.h)
    for g, succ in enumerate(succs):
        child = search.child(node, g, succ)
        search.explore(out, child)
        if len(succ.nums) == 1:
            out.append(outcome_line(succ.nums[0], search.target) + "\n")
            if succ.nums[0] == search.target:
                return child
        else:
            search.generate(out, child)
            out.append(move_line(child.id) + "\n")
            goal = _dfs(search, out, child, threshold)
            if goal is not None:
                return goal
        if g < len(succs) - 1:
            out.append(move_line(node.id) + "\n")
            search.state(out, node)
    return None


def dfs_search(
    target: int,
    nums: Sequence[int],
    rng: random.Random | None = None,
    heuristic: Heuristic = sum_heuristic,
    threshold: float | None = None,
    rules: Rules = DEFAULT_RULES,
) -> SearchTrace:
    """Stream-of-Search depth-first search (see the module docstring).

    ``rng`` only breaks heuristic ties at random; ``None`` keeps generation order (the reference).
    """
    search = _Search(target, heuristic, rules, rng)
    out: list[str] = []
    goal = _dfs(search, out, _root(search, nums), threshold)
    if goal is None:
        out.append(NO_SOLUTION + "\n")
    return _finish(search, out, goal)


def sos_dfs(
    target: int,
    nums: Sequence[int],
    rng: random.Random | None = None,
    heuristic: Heuristic = sum_heuristic,
    threshold: float | None = None,
    rules: Rules = DEFAULT_RULES,
) -> str:
    """The text of :func:`dfs_search`."""
    return dfs_search(target, nums, rng, heuristic, threshold, rules).text


# ---------------------------------------------------------------------------------------------------------
# SoS BFS and SoS+ (one loop; SoS+ adds serial sub-searches and the summary path)
# ---------------------------------------------------------------------------------------------------------


def _best_first(
    search: _Search,
    out: list[str],
    start: _Node,
    root: _Node,
    beam_size: int,
    level: int,
    promising_threshold: float | None,
) -> _Node | None:
    """The beam loop. ``promising_threshold=None`` is plain SoS BFS (no sub-searches, no summary)."""
    heap: list[tuple[float, int, _Node]] = []
    search.push(heap, start)
    while heap:
        batch = [heapq.heappop(heap)[2] for _ in range(min(beam_size, len(heap)))]
        for b, node in enumerate(batch):
            search.state(out, node)
            generated: list[_Node] = []
            for succ in search.beam(node, beam_size):
                child = search.child(node, len(generated), succ)
                search.explore(out, child)
                if len(succ.nums) == 1:
                    out.append(outcome_line(succ.nums[0], search.target) + "\n")
                    if succ.nums[0] == search.target:
                        if promising_threshold is not None:
                            search.summary(out, root, child)
                        return child
                else:
                    search.generate(out, child)
                    generated.append(child)
            generated.sort(key=lambda n: n.h)
            assert search.rng is not None
            if promising_threshold is not None and generated and search.rng.random() < promising_threshold:
                for child in generated:
                    out.append(sub_search_start_line(level + 1, child.id) + "\n")
                    goal = _best_first(search, out, child, root, beam_size, level + 1, promising_threshold)
                    out.append(sub_search_exit_line(level + 1) + "\n")
                    if goal is not None:
                        return goal
                    out.append(SUB_SEARCH_FAILED + "\n")
            else:
                for child in generated:
                    search.push(heap, child)
            if b < len(batch) - 1:
                out.append(move_line(batch[b + 1].id) + "\n")
        if heap:
            out.append(move_line(heap[0][2].id) + "\n")
    out.append(NO_SOLUTION + "\n")
    return None


def bfs_search(
    target: int,
    nums: Sequence[int],
    rng: random.Random,
    beam_size: int,
    heuristic: Heuristic = sum_heuristic,
    rules: Rules = DEFAULT_RULES,
) -> SearchTrace:
    """Stream-of-Search best-first beam search (see the module docstring)."""
    _check_beam(beam_size)
    search = _Search(target, heuristic, rules, rng)
    out: list[str] = []
    root = _root(search, nums)
    goal = _best_first(search, out, root, root, beam_size, 0, None)
    return _finish(search, out, goal)


def sos_bfs(
    target: int,
    nums: Sequence[int],
    rng: random.Random,
    beam_size: int,
    heuristic: Heuristic = sum_heuristic,
    rules: Rules = DEFAULT_RULES,
) -> str:
    """The text of :func:`bfs_search`."""
    return bfs_search(target, nums, rng, beam_size, heuristic, rules).text


def sos_plus_search(
    target: int,
    nums: Sequence[int],
    rng: random.Random,
    beam_size: int,
    promising_threshold: float = 0.5,
    heuristic: Heuristic = sum_heuristic,
    rules: Rules = DEFAULT_RULES,
) -> SearchTrace:
    """SoS+: the beam search with serial sub-searches and the summary path (see the module docstring)."""
    _check_beam(beam_size)
    search = _Search(target, heuristic, rules, rng)
    out: list[str] = []
    root = _root(search, nums)
    goal = _best_first(search, out, root, root, beam_size, 0, promising_threshold)
    return _finish(search, out, goal)


def sos_plus(
    target: int,
    nums: Sequence[int],
    rng: random.Random,
    beam_size: int,
    promising_threshold: float = 0.5,
    heuristic: Heuristic = sum_heuristic,
    rules: Rules = DEFAULT_RULES,
) -> str:
    """The text of :func:`sos_plus_search`."""
    return sos_plus_search(target, nums, rng, beam_size, promising_threshold, heuristic, rules).text


# ---------------------------------------------------------------------------------------------------------
# APR
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AprTraces:
    """One APR search (the root's or a child's) and everything it spawned.

    Attributes:
        start: the node the search started at (the root ``0`` for the parent).
        level: 0 for the root search, ``L`` for a child spawned at level ``L``.
        main_calls: the search's training texts. ``main_calls[i]`` for ``i < len(spawns)`` ends with the
            spawn block of ``spawns[i]``; ``main_calls[i + 1]`` starts with the context before that block
            plus the join block and continues the search. Every one starts with :func:`state_prompt` of
            ``start``.
        spawns: the children of each spawn, in spawn order (each an :class:`AprTraces`, recursively).
        solved: whether this search (itself or through a child) reached the target.
        goal: the goal node (its ``operations`` are the whole solution from the root) or ``None``.
        summary: the summary path from ``start`` to the goal (what a parent's join block quotes), or ``None``.
        nodes: ``start`` and every node this search wrote as a ``Generated Node`` line, by id.
    """

    start: NodeState
    level: int
    main_calls: tuple[str, ...]
    spawns: tuple[tuple[AprTraces, ...], ...]
    solved: bool
    goal: NodeState | None
    summary: str | None
    nodes: Mapping[str, NodeState] = field(hash=False)

    @property
    def children(self) -> tuple[AprTraces, ...]:
        """Every direct child, spawn after spawn."""
        return tuple(c for spawn in self.spawns for c in spawn)

    @property
    def sub_calls(self) -> int:
        """Total children spawned, recursively (the ``Sub Call Budget`` this search used)."""
        return sum(1 + c.sub_calls for c in self.children)

    @property
    def solution(self) -> tuple[str, ...] | None:
        return None if self.goal is None else self.goal.operations


@dataclass(frozen=True)
class _AprKnobs:
    beam_size: int
    sub_call_beam_size: int
    promising_threshold: float
    max_depth: int


def _apr(search: _Search, start: _Node, level: int, knobs: _AprKnobs) -> tuple[AprTraces, _Node | None]:
    assert search.rng is not None
    beam_size = knobs.beam_size if level == 0 else knobs.sub_call_beam_size
    nodes: dict[str, NodeState] = {start.id: start.state}
    main_calls: list[str] = []
    spawns: list[tuple[AprTraces, ...]] = []
    out: list[str] = [move_line(start.id) + "\n"]

    def done(goal: _Node | None, summary: str | None) -> tuple[AprTraces, _Node | None]:
        if goal is None:
            out.append(NO_SOLUTION + "\n")
        main_calls.append("".join(out))
        traces = AprTraces(
            start=start.state,
            level=level,
            main_calls=tuple(main_calls),
            spawns=tuple(spawns),
            solved=goal is not None,
            goal=None if goal is None else goal.state,
            summary=summary,
            nodes=nodes,
        )
        return traces, goal

    heap: list[tuple[float, int, _Node]] = []
    search.push(heap, start)
    while heap:
        batch = [heapq.heappop(heap)[2] for _ in range(min(beam_size, len(heap)))]
        for b, node in enumerate(batch):
            search.state(out, node)
            generated: list[_Node] = []
            for succ in search.beam(node, beam_size):
                child = search.child(node, len(generated), succ)
                search.explore(out, child)
                if len(succ.nums) == 1:
                    out.append(outcome_line(succ.nums[0], search.target) + "\n")
                    if succ.nums[0] == search.target:
                        summary = _summary(start, child)
                        out.append(summary)
                        return done(child, summary)
                else:
                    search.generate(out, child)
                    nodes[child.id] = child.state
                    generated.append(child)
            generated.sort(key=lambda n: n.h)
            spawn = (
                level < knobs.max_depth
                and len(generated) > 1
                and search.rng.random() < knobs.promising_threshold
            )
            if spawn:
                results = [_apr(search, child, level + 1, knobs) for child in generated]
                spawns.append(tuple(r[0] for r in results))
                before = "".join(out)
                calling = [
                    CALL_OPEN,
                    *(spawn_line(i, level + 1, c.id) for i, c in enumerate(generated)),
                    CALL_CLOSE,
                ]
                main_calls.append(before + "".join(line + "\n" for line in calling))
                out = [before, JOIN_OPEN + "\n"]
                for i, (child_traces, _) in enumerate(results):
                    out.append(join_result_line(i, level + 1, generated[i].id, child_traces.solved) + "\n")
                    if child_traces.summary is not None:
                        out.append(child_traces.summary)
                out.append(JOIN_CLOSE + "\n")
                for _, child_goal in results:
                    if child_goal is not None:
                        out.append(outcome_line(child_goal.state.nums[0], search.target) + "\n")
                        summary = _summary(start, child_goal)
                        out.append(summary)
                        return done(child_goal, summary)
            else:
                for child in generated:
                    search.push(heap, child)
            if b < len(batch) - 1:
                out.append(move_line(batch[b + 1].id) + "\n")
        if heap:
            out.append(move_line(heap[0][2].id) + "\n")
    return done(None, None)


def apr(
    target: int,
    nums: Sequence[int],
    rng: random.Random,
    beam_size: int,
    sub_call_beam_size: int | None = None,
    promising_threshold: float = 0.9,
    heuristic: Heuristic = sum_heuristic,
    max_depth: int = 1,
    rules: Rules = DEFAULT_RULES,
) -> AprTraces:
    """Adaptive Parallel Reasoning traces: the parent's main calls and its children's, recursively.

    ``sub_call_beam_size`` defaults to ``beam_size``. Children spawned at level ``L`` may spawn again while
    ``L < max_depth`` (``max_depth=1``: only the root spawns, the reference behaviour; ``0``: never).
    """
    _check_beam(beam_size)
    sub_beam = beam_size if sub_call_beam_size is None else sub_call_beam_size
    _check_beam(sub_beam, "sub_call_beam_size")
    if max_depth < 0:
        raise ValueError(f"max_depth must be >= 0, got {max_depth}")
    search = _Search(target, heuristic, rules, rng)
    knobs = _AprKnobs(beam_size, sub_beam, promising_threshold, max_depth)
    traces, _ = _apr(search, _root(search, nums), 0, knobs)
    return traces


def apr_examples(traces: AprTraces, with_budget: bool = False) -> list[str]:
    """Every training text of an APR run: the search's main calls, then each child's, depth first.

    With ``with_budget`` each search's texts start with ``Sub Call Budget: {k} `` where ``k`` is that
    search's :attr:`AprTraces.sub_calls`.
    """
    texts = list(traces.main_calls)
    if with_budget:
        texts = [with_sub_call_budget(t, traces.sub_calls) for t in texts]
    for child in traces.children:
        texts.extend(apr_examples(child, with_budget))
    return texts


# ---------------------------------------------------------------------------------------------------------
# Direct traces and sampling helpers
# ---------------------------------------------------------------------------------------------------------

_STEP_RE = re.compile(r"(-?\d+)([+\-*/])(-?\d+)=(-?\d+)")


def direct_trace(target: int, nums: Sequence[int], steps: Sequence[str], rules: Rules = DEFAULT_RULES) -> str:
    """The solution-only trace of a "direct" model.

    The prompt ``Current State: {target}:{nums}, Operations: []`` followed by the summary path from the
    root along ``steps``, each step's node being the first child of the previous one (``0``, ``0,0``,
    ``0,0,0`` ...); the numbers left after a step are the others in order followed by the result, as in the
    searches. Raises ``ValueError`` if a step is not legal or the steps do not end on the target.
    """
    pool = [int(n) for n in nums]
    path: list[NodeState] = [NodeState("0", target, tuple(pool), ())]
    for step in steps:
        m = _STEP_RE.fullmatch(step)
        if m is None:
            raise ValueError(f"not a step: {step!r}")
        a, op, b, r = int(m[1]), m[2], int(m[3]), int(m[4])
        if apply(a, op, b, rules) != r:
            raise ValueError(f"wrong arithmetic: {step!r}")
        rest = list(path[-1].nums)
        for operand in (a, b):
            if operand not in rest:
                raise ValueError(f"{operand} is not available for {step!r}")
            rest.remove(operand)
        prev = path[-1]
        path.append(NodeState(prev.node_id + ",0", target, (*rest, r), (*prev.operations, step)))
    goal = path[-1]
    if len(path) < 2 or goal.nums != (target,):
        raise ValueError(f"steps {list(steps)} do not end on the target {target}")
    return state_line(target, pool, ()) + "\n" + summary_path(path[:-1], goal)


class _Solvable(Protocol):
    @property
    def solved(self) -> bool: ...


T = TypeVar("T", bound=_Solvable)


def first_solved(write: Callable[[random.Random], T], rng: random.Random, max_tries: int = 32) -> T | None:
    """Call ``write(rng)`` until a result is solved (the rng advances between tries); ``None`` if none is.

    For training data that should end in success, e.g.
    ``first_solved(lambda r: sos_plus_search(24, [4, 9, 3], r, 2, 0.5), random.Random(0))``.
    """
    for _ in range(max_tries):
        result = write(rng)
        if result.solved:
            return result
    return None
