"""Countdown search-trace writers: the texts Stream-of-Search (SoS), SoS+ and APR models are trained on.

The searches (SoS DFS and BFS, SoS+, APR, direct) and the texts they write are specified in
``docs/trace-formats.md``; every line comes from :mod:`~reasonbench.tasks.countdown.trace_grammar`. They
are byte-compatible with the public Stream-of-Search / APR data so that published checkpoints can be
prompted and scored. Every writer is deterministic given the ``random.Random`` passed in (no global random
state). Like every Countdown function, the writers take ``(target, nums)``.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, TypeVar

from reasonbench.tasks import spawn_grammar
from reasonbench.tasks.countdown.rules import DEFAULT_RULES, STEP, Rules, apply, combine
from reasonbench.tasks.countdown.trace_grammar import (
    NO_SOLUTION,
    SUB_SEARCH_FAILED,
    ChildOutcome,
    NodeState,
    explore_line,
    generated_line,
    join_block,
    move_line,
    outcome_line,
    spawn_line,
    state_line,
    sub_search_exit_line,
    sub_search_start_line,
    summary_path,
    with_sub_call_budget,
)

Heuristic = Callable[[int, Sequence[int]], float]
"""``(target, nums) -> score``: lower is more promising."""


# ---------------------------------------------------------------------------------------------------------
# Heuristics (the reference definitions)
# ---------------------------------------------------------------------------------------------------------


def sum_heuristic(target: int, nums: Sequence[int]) -> float:
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


def mult_heuristic(target: int, nums: Sequence[int]) -> float:
    """Sum over the numbers of the distance to the nearest factor ``>= 2`` of the target."""
    factors = _factors(target)
    return sum(min(abs(n - f) for f in factors) for n in nums)


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
                out.append(_Successor(self.heuristic(self.target, new), new, (*node.state.operations, step)))
        return out

    def child(self, parent: _Node, index: int, succ: _Successor) -> _Node:
        state = NodeState(f"{parent.id},{index}", self.target, succ.nums, succ.ops)
        return _Node(state, succ.h, parent)

    def explore(self, out: list[str], node: _Node) -> None:
        self.explored += 1
        out.append(explore_line(node.state.operations[-1], node.state.nums) + "\n")

    def generate(self, out: list[str], node: _Node, nodes: dict[str, NodeState]) -> None:
        nodes.setdefault(node.id, node.state)
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

    def draw(self) -> float:
        """The next draw of the rng (the beam searches need one)."""
        assert self.rng is not None
        return self.rng.random()


def _root(search: _Search, nums: Sequence[int]) -> _Node:
    if len(nums) < 2:
        raise ValueError(f"need at least two numbers, got {list(nums)}")
    if not search.rules.use_all:
        raise ValueError("the trace formats implement the use-every-number rules only")
    state = NodeState("0", search.target, tuple(int(n) for n in nums), ())
    search.nodes[state.node_id] = state
    return _Node(state, search.heuristic(search.target, state.nums), None)


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
            search.generate(out, child, search.nodes)
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
    """Stream-of-Search depth-first search.

    ``rng`` only breaks heuristic ties at random; ``None`` keeps generation order (the reference).
    """
    search = _Search(target, heuristic, rules, rng)
    out: list[str] = []
    goal = _dfs(search, out, _root(search, nums), threshold)
    if goal is None:
        out.append(NO_SOLUTION + "\n")
    return _finish(search, out, goal)


# ---------------------------------------------------------------------------------------------------------
# The beam loop of SoS BFS, SoS+ and APR
# ---------------------------------------------------------------------------------------------------------

Branch = Callable[[list[_Node]], tuple[bool, "_Node | None"]]
"""What a beam search does with a node's generated successors instead of pushing them: ``(False, None)``
pushes them after all; ``(True, goal)`` took them (a serial sub-search, a spawn) and found ``goal`` or
``None``."""


def _beam_loop(
    search: _Search,
    out: list[str],
    nodes: dict[str, NodeState],
    start: _Node,
    beam_size: int,
    branch: Branch | None = None,
    summary_from: _Node | None = None,
) -> _Node | None:
    """Best-first beam search from ``start``, written to ``out``; the goal node, or ``None`` after the
    ``No solution found.`` line.

    Pops up to ``beam_size`` open nodes of lowest heuristic; expands each to its ``beam_size`` best
    successors (shuffled); hands the generated ones to ``branch`` or pushes them. A goal found here is
    followed by its summary path from ``summary_from`` (if given); one that ``branch`` returns is not.
    """
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
                        if summary_from is not None:
                            search.summary(out, summary_from, child)
                        return child
                else:
                    search.generate(out, child, nodes)
                    generated.append(child)
            generated.sort(key=lambda n: n.h)
            taken, goal = branch(generated) if branch is not None else (False, None)
            if goal is not None:
                return goal
            if not taken:
                for child in generated:
                    search.push(heap, child)
            if b < len(batch) - 1:
                out.append(move_line(batch[b + 1].id) + "\n")
        if heap:
            out.append(move_line(heap[0][2].id) + "\n")
    out.append(NO_SOLUTION + "\n")
    return None


def _sos_plus(
    search: _Search, out: list[str], start: _Node, root: _Node, beam: int, level: int, p: float
) -> _Node | None:
    """SoS+ from ``start``: after an expansion, with probability ``p``, sub-search the new nodes serially."""

    def sub_searches(generated: list[_Node]) -> tuple[bool, _Node | None]:
        if not (generated and search.draw() < p):
            return False, None
        for child in generated:
            out.append(sub_search_start_line(level + 1, child.id) + "\n")
            goal = _sos_plus(search, out, child, root, beam, level + 1, p)
            out.append(sub_search_exit_line(level + 1) + "\n")
            if goal is not None:
                return True, goal
            out.append(SUB_SEARCH_FAILED + "\n")
        return True, None

    return _beam_loop(search, out, search.nodes, start, beam, sub_searches, summary_from=root)


def bfs_search(
    target: int,
    nums: Sequence[int],
    rng: random.Random,
    beam_size: int,
    heuristic: Heuristic = sum_heuristic,
    rules: Rules = DEFAULT_RULES,
) -> SearchTrace:
    """Stream-of-Search best-first beam search: :func:`sos_plus_search` that never sub-searches."""
    return sos_plus_search(target, nums, rng, beam_size, None, heuristic, rules)


def sos_plus_search(
    target: int,
    nums: Sequence[int],
    rng: random.Random,
    beam_size: int,
    promising_threshold: float | None = 0.5,
    heuristic: Heuristic = sum_heuristic,
    rules: Rules = DEFAULT_RULES,
) -> SearchTrace:
    """SoS+: the beam search with serial sub-searches (probability ``promising_threshold``) and the summary
    path; ``promising_threshold=None`` is plain SoS BFS (no sub-searches, no summary path)."""
    _check_beam(beam_size)
    search = _Search(target, heuristic, rules, rng)
    out: list[str] = []
    root = _root(search, nums)
    if promising_threshold is None:
        goal = _beam_loop(search, out, search.nodes, root, beam_size)
    else:
        goal = _sos_plus(search, out, root, root, beam_size, 0, promising_threshold)
    return _finish(search, out, goal)


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
            plus the join block and continues the search. Every one starts with ``state_prompt`` of
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
    nodes: dict[str, NodeState] = {start.id: start.state}
    main_calls: list[str] = []
    spawns: list[tuple[AprTraces, ...]] = []
    out: list[str] = [move_line(start.id) + "\n"]

    def spawn(generated: list[_Node]) -> tuple[bool, _Node | None]:
        if not (level < knobs.max_depth and len(generated) > 1 and search.draw() < knobs.promising_threshold):
            return False, None
        results = [_apr(search, child, level + 1, knobs) for child in generated]
        spawns.append(tuple(r[0] for r in results))
        before = "".join(out)
        lines = (spawn_line(i, level + 1, c.id) for i, c in enumerate(generated))
        main_calls.append(before + spawn_grammar.calling_block(lines))
        outcomes = [
            ChildOutcome(i, level + 1, c.id, t.solved, t.summary or "")
            for i, (c, (t, _)) in enumerate(zip(generated, results, strict=True))
        ]
        out[:] = [before, join_block(outcomes)]
        for _, child_goal in results:
            if child_goal is not None:
                out.append(outcome_line(child_goal.state.nums[0], search.target) + "\n")
                return True, child_goal
        return True, None

    beam = knobs.beam_size if level == 0 else knobs.sub_call_beam_size
    goal = _beam_loop(search, out, nodes, start, beam, spawn)
    summary = None
    if goal is not None:
        summary = summary_path(_path_from(start, goal), goal.state)
        out.append(summary)
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
        m = STEP.fullmatch(step)
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
        path.append(NodeState(prev.node_id + ",0", target, (*rest, r), (*prev.operations, f"{a}{op}{b}={r}")))
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
