"""Countdown search-trace writers (SoS DFS/BFS, SoS+, APR, direct) and their hostile-input parsers."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasonbench.tasks.countdown.generate import CountdownConfig, Instance, generate
from reasonbench.tasks.countdown.rules import apply
from reasonbench.tasks.countdown.solver import solve
from reasonbench.tasks.countdown.spawn import child_states, find_spawn_block, outcome_from_child
from reasonbench.tasks.countdown.trace_grammar import (
    ChildOutcome,
    NodeState,
    join_block,
    state_line,
    state_prompt,
    summary_path,
    with_sub_call_budget,
    with_token_budget,
)
from reasonbench.tasks.countdown.trace_parsers import (
    MAX_INT_DIGITS,
    MAX_LINE_CHARS,
    MAX_LINES,
    ExploreEvent,
    GeneratedEvent,
    JoinBlock,
    OutcomeEvent,
    SpawnBlock,
    SpawnChild,
    StateEvent,
    SubSearchExitEvent,
    SubSearchStartEvent,
    extract_answer,
    parse_trace,
    summary_from_trace,
)
from reasonbench.tasks.countdown.trace_writers import (
    AprTraces,
    SearchTrace,
    apr,
    apr_examples,
    bfs_search,
    dfs_search,
    direct_trace,
    first_solved,
    mult_heuristic,
    sos_plus_search,
    sum_heuristic,
)
from reasonbench.tasks.spawn_grammar import MalformedSpawn, replace_spawn_with_join

INSTANCES: list[Instance] = [
    *generate(CountdownConfig(n_numbers=3, seed="traces-3"), 15),
    *generate(CountdownConfig(n_numbers=4, seed="traces-4"), 15),
    *generate(CountdownConfig(n_numbers=3, max_value=12, min_target=10, max_target=60, seed="traces-3s"), 10),
    *generate(CountdownConfig(n_numbers=4, max_value=25, seed="traces-4s"), 10),
]
SMALL = [i for i in INSTANCES if len(i.nums) == 3]

instances = st.sampled_from(INSTANCES)
seeds = st.integers(0, 2**32 - 1)
heuristics = st.sampled_from([sum_heuristic, mult_heuristic])
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Writer = Callable[[Instance, random.Random], SearchTrace]
WRITERS: dict[str, Writer] = {
    "dfs-threshold": lambda i, r: dfs_search(i.target, i.nums, None, sum_heuristic, threshold=i.target),
    "dfs-shuffled-ties": lambda i, r: dfs_search(i.target, i.nums, r, mult_heuristic),
    "bfs-1": lambda i, r: bfs_search(i.target, i.nums, r, 1, sum_heuristic),
    "bfs-3": lambda i, r: bfs_search(i.target, i.nums, r, 3, mult_heuristic),
    "bfs-5": lambda i, r: bfs_search(i.target, i.nums, r, 5, sum_heuristic),
    "sos-plus-2": lambda i, r: sos_plus_search(i.target, i.nums, r, 2, 0.5, mult_heuristic),
    "sos-plus-3": lambda i, r: sos_plus_search(i.target, i.nums, r, 3, 0.9, sum_heuristic),
}

_STEP = re.compile(r"(-?\d+)([+\-*/])(-?\d+)=(-?\d+)")


def _replay(nums: tuple[int, ...] | list[int], steps: list[str]) -> list[int]:
    """Apply step strings to a multiset of numbers; fail the test on any illegal step."""
    pool = list(nums)
    for step in steps:
        m = _STEP.fullmatch(step)
        assert m is not None, step
        a, op, b, r = int(m[1]), m[2], int(m[3]), int(m[4])
        assert apply(a, op, b) == r, step
        pool.remove(a)
        pool.remove(b)
        pool.append(r)
    return pool


def _solves(inst: Instance, answer: str | None) -> bool:
    return answer is not None and _replay(inst.nums, answer.split("\n")) == [inst.target]


def _apr_with_spawn(max_depth: int = 1, nested: bool = False) -> AprTraces:
    """The first (instance, seed) whose APR run spawns (and, if ``nested``, spawns at level 2)."""
    for inst in INSTANCES:
        for seed in range(20):
            t = apr(inst.target, inst.nums, random.Random(seed), 3, 2, 0.9, sum_heuristic, max_depth)
            if t.spawns and (not nested or any(c.spawns for c in t.children)):
                return t
    raise AssertionError("no spawning APR run found")


def _all_searches(t: AprTraces) -> list[AprTraces]:
    return [t, *(s for c in t.children for s in _all_searches(c))]


# ---------------------------------------------------------------------------------------------------------
# Golden lines, written from the format specification
# ---------------------------------------------------------------------------------------------------------


def test_current_state_line_is_target_colon_list_repr_and_operations_list_repr() -> None:
    assert state_line(24, [4, 9, 3], []) == "Current State: 24:[4, 9, 3], Operations: []"
    assert state_line(24, [4, 6], ["9-3=6"]) == "Current State: 24:[4, 6], Operations: ['9-3=6']"


def test_dfs_that_succeeds_at_once_is_state_exploring_goal() -> None:
    # Successors of [4, 6] by sum heuristic: 4*6=24 (0), 4+6=10 (14), 6-4=2 (22); the best is explored first.
    assert dfs_search(24, [4, 6]).text == (
        "Current State: 24:[4, 6], Operations: []\n"
        "Exploring Operation: 4*6=24, Resulting Numbers: [24]\n"
        "24,24 equal: Goal Reached\n"
    )


def test_dfs_returns_to_the_parent_between_failed_successors_and_ends_no_solution() -> None:
    # [1, 1] -> 1+1=2 (h 3), 1*1=1 (h 4), 1/1=1 (h 4, after * by generation order), 1-1=0 (h 5).
    back = "Moving to Node #0\nCurrent State: 5:[1, 1], Operations: []\n"
    assert dfs_search(5, [1, 1]).text == (
        "Current State: 5:[1, 1], Operations: []\n"
        "Exploring Operation: 1+1=2, Resulting Numbers: [2]\n2,5 unequal: No Solution\n"
        + back
        + "Exploring Operation: 1*1=1, Resulting Numbers: [1]\n1,5 unequal: No Solution\n"
        + back
        + "Exploring Operation: 1/1=1, Resulting Numbers: [1]\n1,5 unequal: No Solution\n"
        + back
        + "Exploring Operation: 1-1=0, Resulting Numbers: [0]\n0,5 unequal: No Solution\n"
        "No solution found.\n"
    )


def test_direct_trace_is_prompt_then_summary_path_from_the_root() -> None:
    assert direct_trace(24, [4, 9, 3], ["9-3=6", "4*6=24"]) == (
        "Current State: 24:[4, 9, 3], Operations: []\n"
        "Moving to Node #0\n"
        "Current State: 24:[4, 9, 3], Operations: []\n"
        "Exploring Operation: 9-3=6, Resulting Numbers: [4, 6]\n"
        "Moving to Node #0,0\n"
        "Current State: 24:[4, 6], Operations: ['9-3=6']\n"
        "Exploring Operation: 4*6=24, Resulting Numbers: [24]\n"
        "24,24 equal: Goal Reached\n"
    )


def test_summary_path_writes_move_state_exploring_per_path_node_then_goal() -> None:
    child = NodeState("0,1", 24, (4, 6), ("9-3=6",))
    goal = NodeState("0,1,0", 24, (24,), ("9-3=6", "4*6=24"))
    assert summary_path([child], goal) == (
        "Moving to Node #0,1\n"
        "Current State: 24:[4, 6], Operations: ['9-3=6']\n"
        "Exploring Operation: 4*6=24, Resulting Numbers: [24]\n"
        "24,24 equal: Goal Reached\n"
    )


def test_child_prompt_is_moving_line_then_the_nodes_state() -> None:
    node = NodeState("0,1", 24, (4, 6), ("9-3=6",))
    assert state_prompt(node) == "Moving to Node #0,1\nCurrent State: 24:[4, 6], Operations: ['9-3=6']\n"


def test_join_block_lists_each_child_and_quotes_successful_summaries() -> None:
    summary = (
        "Moving to Node #0,1\nCurrent State: 24:[4, 6], Operations: ['9-3=6']\n"
        "Exploring Operation: 4*6=24, Resulting Numbers: [24]\n24,24 equal: Goal Reached\n"
    )
    outcomes = [ChildOutcome(0, 1, "0,0", False), ChildOutcome(1, 1, "0,1", True, summary)]
    assert join_block(outcomes) == (
        "<Sub Searches>\n"
        "<No Solution in Sub Search 0 at level 1 at Node #0,0>\n"
        "<Goal Reached in Sub Search 1 at level 1 at Node #0,1>\n" + summary + "<End Sub Searches>\n"
    )


def test_budget_prefixes_end_with_a_space_and_no_newline() -> None:
    assert with_token_budget("Current State: 24:[4, 9, 3], Operations: []\n", 512) == (
        "Token Budget: 512 Current State: 24:[4, 9, 3], Operations: []\n"
    )
    assert with_sub_call_budget("Moving to Node #0\n", 3) == "Sub Call Budget: 3 Moving to Node #0\n"


def test_sos_plus_sub_search_lines_follow_the_grammar() -> None:
    texts = [
        sos_plus_search(i.target, i.nums, random.Random(s), 2, 1.0).text for i in SMALL for s in range(3)
    ]
    starts = [ln for t in texts for ln in t.splitlines() if ln.startswith("Start Sub Search")]
    exits = [ln for t in texts for ln in t.splitlines() if ln.startswith("Exit Sub Search")]
    assert starts and exits
    assert all(
        re.fullmatch(r"Start Sub Search at level [1-9]: Moving to Node #0(,\d+)+", ln) for ln in starts
    )
    assert all(re.fullmatch(r"Exit Sub Search at level [1-9]", ln) for ln in exits)


def test_heuristics_match_their_reference_definitions() -> None:
    assert sum_heuristic(24, [24]) == 0
    assert sum_heuristic(24, [4, 9, 3]) == (20 + 15 + 21) / 3
    # Distance to the nearest factor >= 2 of 24 (2, 3, 4, 6, 8, 12, 24): 4->0, 9->1, 3->0, 17->5.
    assert mult_heuristic(24, [4, 9, 3]) == 1
    assert mult_heuristic(24, [17]) == 5


# ---------------------------------------------------------------------------------------------------------
# Writers round-trip through the parser
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WRITERS))
@FAST
@given(inst=instances, seed=seeds)
def test_parsed_nodes_and_explorations_equal_the_writers_search(name: str, inst: Instance, seed: int) -> None:
    trace = WRITERS[name](inst, random.Random(seed))
    parsed = parse_trace(trace.text)
    assert parsed.malformed_lines == 0
    assert parsed.nodes == trace.nodes
    assert sum(isinstance(e, ExploreEvent) for e in parsed.events) == trace.explored
    assert len(trace.nodes) == 1 + sum(isinstance(e, GeneratedEvent) for e in parsed.events)


@pytest.mark.parametrize("name", sorted(WRITERS))
@FAST
@given(inst=instances, seed=seeds)
def test_solved_trace_answer_is_the_solution_and_verifies(name: str, inst: Instance, seed: int) -> None:
    trace = WRITERS[name](inst, random.Random(seed))
    answer = extract_answer(trace.text)
    if trace.solved:
        assert trace.solution is not None
        assert answer == "\n".join(trace.solution)
        assert _solves(inst, answer)
    else:
        assert answer is None
        assert trace.text.endswith("No solution found.\n")


@FAST
@given(inst=instances, seed=seeds, beam=st.integers(1, 4), heuristic=heuristics)
def test_solved_sos_plus_reaches_the_goal_twice_with_a_summary_from_the_root(
    inst: Instance, seed: int, beam: int, heuristic: Callable[..., float]
) -> None:
    trace = sos_plus_search(inst.target, inst.nums, random.Random(seed), beam, 0.7, heuristic)
    if trace.solved:
        assert trace.text.count("equal: Goal Reached") == 2
        summary = summary_from_trace(trace.text)
        assert summary is not None
        assert summary.startswith(f"Moving to Node #0\nCurrent State: {inst.target}:")


@FAST
@given(inst=instances, seed=seeds, beam=st.integers(1, 4))
def test_sos_plus_sub_searches_are_balanced_and_levelled(inst: Instance, seed: int, beam: int) -> None:
    trace = sos_plus_search(inst.target, inst.nums, random.Random(seed), beam, 0.8, sum_heuristic)
    stack: list[int] = []
    for event in parse_trace(trace.text).events:
        if isinstance(event, SubSearchStartEvent):
            assert event.level == len(stack) + 1
            stack.append(event.level)
        elif isinstance(event, SubSearchExitEvent):
            assert stack.pop() == event.level
    assert stack == []


@FAST
@given(inst=instances)
def test_direct_trace_parses_to_the_given_steps(inst: Instance) -> None:
    steps = solve(inst.target, inst.nums)
    assert steps is not None
    text = direct_trace(inst.target, inst.nums, steps)
    assert parse_trace(text).answer_steps == steps
    assert parse_trace(text).malformed_lines == 0


@pytest.mark.parametrize(
    "steps", [["9-3=6", "4*6=25"], ["9-4=5", "5*3=15"], ["9-3=6"], ["3-9=-6", "4*6=24"], ["nine"]]
)
def test_direct_trace_rejects_steps_that_do_not_solve(steps: list[str]) -> None:
    with pytest.raises(ValueError):
        direct_trace(24, [4, 9, 3], steps)


@FAST
@given(inst=instances, seed=seeds)
def test_writers_are_deterministic_given_the_rng_seed(inst: Instance, seed: int) -> None:
    for write in WRITERS.values():
        assert write(inst, random.Random(seed)).text == write(inst, random.Random(seed)).text
    one = apr(inst.target, inst.nums, random.Random(seed), 3)
    two = apr(inst.target, inst.nums, random.Random(seed), 3)
    assert apr_examples(one) == apr_examples(two)


def test_bfs_uses_only_the_rng_it_is_given() -> None:
    inst = INSTANCES[20]
    random.seed(1)
    first = bfs_search(inst.target, inst.nums, random.Random(7), 3)
    random.seed(2)
    assert bfs_search(inst.target, inst.nums, random.Random(7), 3) == first


def test_first_solved_returns_a_solved_trace_or_none() -> None:
    inst = INSTANCES[20]
    found = first_solved(lambda r: bfs_search(inst.target, inst.nums, r, 1, sum_heuristic), random.Random(0))
    assert found is None or found.solved
    never = first_solved(lambda r: bfs_search(1, [50, 60], r, 2), random.Random(0), max_tries=3)
    assert never is None


def test_budget_prefix_is_parsed_and_leaves_the_answer_alone() -> None:
    text = direct_trace(24, [4, 9, 3], ["9-3=6", "4*6=24"])
    parsed = parse_trace(with_token_budget(text, 700))
    assert parsed.token_budget == 700
    assert parsed.answer_steps == ["9-3=6", "4*6=24"]
    assert parsed.malformed_lines == 0
    assert parse_trace(with_sub_call_budget("Moving to Node #0\n", 4)).sub_call_budget == 4


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_generated_ids_number_each_nodes_children_consecutively(name: str) -> None:
    for inst in INSTANCES[::3]:
        trace = WRITERS[name](inst, random.Random(5))
        by_parent: dict[str, list[int]] = {}
        for node_id in trace.nodes:
            if node_id != "0":
                parent, _, last = node_id.rpartition(",")
                assert parent in trace.nodes
                by_parent.setdefault(parent, []).append(int(last))
        assert all(sorted(v) == list(range(len(v))) for v in by_parent.values())


# ---------------------------------------------------------------------------------------------------------
# APR
# ---------------------------------------------------------------------------------------------------------


def test_apr_first_main_call_ends_with_a_calling_block() -> None:
    t = _apr_with_spawn()
    assert t.main_calls[0].startswith("Moving to Node #0\nCurrent State: ")
    assert t.main_calls[0].endswith("<End Calling Sub Searches>\n")
    assert "\n<Calling Sub Searches>\n<Start Sub Search 0 at level 1> Moving to Node #0," in t.main_calls[0]


def test_find_spawn_block_gives_the_spawned_children() -> None:
    t = _apr_with_spawn()
    block = find_spawn_block(t.main_calls[0])
    assert isinstance(block, SpawnBlock)
    assert block.level == 1
    assert [c.node_id for c in block.children] == [c.start.node_id for c in t.spawns[0]]
    assert [c.index for c in block.children] == list(range(len(t.spawns[0])))


@FAST
@given(inst=instances, seed=seeds, max_depth=st.integers(1, 2))
def test_child_states_equal_the_childrens_start_states(inst: Instance, seed: int, max_depth: int) -> None:
    t = apr(inst.target, inst.nums, random.Random(seed), 3, 2, 0.9, sum_heuristic, max_depth)
    for search in _all_searches(t):
        for call, spawn in zip(search.main_calls, search.spawns, strict=False):
            block = find_spawn_block(call)
            assert isinstance(block, SpawnBlock)
            assert block.level == search.level + 1
            assert child_states(call, block) == [c.start for c in spawn]


@FAST
@given(inst=instances, seed=seeds, max_depth=st.integers(1, 2))
def test_join_replaces_the_spawn_block_byte_for_byte(inst: Instance, seed: int, max_depth: int) -> None:
    t = apr(inst.target, inst.nums, random.Random(seed), 3, 2, 0.9, mult_heuristic, max_depth)
    for search in _all_searches(t):
        assert len(search.main_calls) == len(search.spawns) + 1
        for i, spawn in enumerate(search.spawns):
            block = find_spawn_block(search.main_calls[i])
            assert isinstance(block, SpawnBlock)
            pairs = zip(block.children, spawn, strict=True)
            outcomes = [outcome_from_child(c, child.main_calls[-1]) for c, child in pairs]
            assert [o.solved for o in outcomes] == [child.solved for child in spawn]
            context = replace_spawn_with_join(search.main_calls[i], join_block(outcomes))
            assert search.main_calls[i + 1].startswith(context)


@FAST
@given(inst=instances, seed=seeds, max_depth=st.integers(0, 2))
def test_every_apr_example_starts_with_its_searchs_prompt(inst: Instance, seed: int, max_depth: int) -> None:
    t = apr(inst.target, inst.nums, random.Random(seed), 2, 3, 0.9, sum_heuristic, max_depth)
    for search in _all_searches(t):
        for call in search.main_calls:
            assert call.startswith(state_prompt(search.start))
            assert parse_trace(call).root == search.start


@FAST
@given(inst=instances, seed=seeds, max_depth=st.integers(0, 2))
def test_apr_parent_answer_verifies_and_failures_end_no_solution(
    inst: Instance, seed: int, max_depth: int
) -> None:
    t = apr(inst.target, inst.nums, random.Random(seed), 3, 2, 0.9, mult_heuristic, max_depth)
    final = t.main_calls[-1]
    if t.solved:
        assert t.solution is not None
        assert extract_answer(final) == "\n".join(t.solution)
        assert _solves(inst, extract_answer(final))
    else:
        assert final.endswith("No solution found.\n")
        assert extract_answer(final) is None


@FAST
@given(inst=instances, seed=seeds)
def test_apr_sub_calls_count_every_spawned_child(inst: Instance, seed: int) -> None:
    t = apr(inst.target, inst.nums, random.Random(seed), 3, 2, 0.9, sum_heuristic, 2)
    spawned = sum(len(block) for s in _all_searches(t) for block in s.spawns)
    assert t.sub_calls == spawned == len(_all_searches(t)) - 1
    assert len(apr_examples(t)) == sum(len(s.main_calls) for s in _all_searches(t))


def test_apr_max_depth_zero_never_spawns() -> None:
    for inst in INSTANCES[:10]:
        t = apr(inst.target, inst.nums, random.Random(0), 3, 3, 1.0, sum_heuristic, 0)
        assert t.spawns == () and len(t.main_calls) == 1
        assert "Sub Search" not in t.main_calls[0]


def test_apr_reference_depth_children_never_spawn() -> None:
    for inst in INSTANCES:
        t = apr(inst.target, inst.nums, random.Random(3), 3, 3, 1.0, sum_heuristic)
        assert all(not c.spawns for c in t.children)


def test_apr_nesting_depth_two_yields_level_two_blocks_that_round_trip() -> None:
    t = _apr_with_spawn(max_depth=2, nested=True)
    child = next(c for c in t.children if c.spawns)
    block = find_spawn_block(child.main_calls[0])
    assert isinstance(block, SpawnBlock) and block.level == 2
    assert all(
        f"> Moving to Node #{child.start.node_id}," in line
        for line in child.main_calls[0].splitlines()
        if line.startswith("<Start Sub Search")
    )
    assert child_states(child.main_calls[0], block) == [g.start for g in child.spawns[0]]
    outcomes = [
        outcome_from_child(c, g.main_calls[-1]) for c, g in zip(block.children, child.spawns[0], strict=True)
    ]
    joined = replace_spawn_with_join(child.main_calls[0], join_block(outcomes))
    assert child.main_calls[1].startswith(joined)
    assert "at level 2 at Node #" in joined


def test_apr_examples_with_budget_prefix_each_search_with_its_own_sub_calls() -> None:
    t = _apr_with_spawn()
    texts = apr_examples(t, with_budget=True)
    assert texts[0].startswith(f"Sub Call Budget: {t.sub_calls} Moving to Node #0\n")
    assert texts[len(t.main_calls)].startswith("Sub Call Budget: 0 Moving to Node #0,")


def test_join_block_event_records_each_childs_result() -> None:
    t = _apr_with_spawn()
    joins = [e for e in parse_trace(t.main_calls[1]).events if isinstance(e, JoinBlock)]
    assert len(joins) == 1
    assert [(r.index, r.node_id, r.solved) for r in joins[0].results] == [
        (i, c.start.node_id, c.solved) for i, c in enumerate(t.spawns[0])
    ]


# ---------------------------------------------------------------------------------------------------------
# Hostile input
# ---------------------------------------------------------------------------------------------------------


def _run_all_parsers(text: str) -> None:
    parsed = parse_trace(text)
    assert parsed.malformed_lines >= 0
    extract_answer(text)
    summary_from_trace(text)
    block = find_spawn_block(text)
    if isinstance(block, SpawnBlock):
        child_states(text, block)
    replace_spawn_with_join(text, join_block([ChildOutcome(0, 1, "0,0", False)]))


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_parsers_never_raise_on_arbitrary_text(text: str) -> None:
    _run_all_parsers(text)


_GRAMMARISH = st.lists(
    st.sampled_from(
        [
            "Current State: 24:[4, 9, 3], Operations: []",
            "Current State: 24:[], Operations: ['9-3=6']",
            "Exploring Operation: 9-3=6, Resulting Numbers: [4, 6]",
            "Generated Node #0,0: 24:[4, 6] Operation: 9-3=6",
            "Generated Node #0: 24:[4, 6] Operation: 9-3=6",
            "Moving to Node #0,0",
            "24,24 equal: Goal Reached",
            "24,24 unequal: No Solution",
            "<Calling Sub Searches>",
            "<Start Sub Search 0 at level 1> Moving to Node #0,0",
            "<End Calling Sub Searches>",
            "<Sub Searches>",
            "<Goal Reached in Sub Search 0 at level 1 at Node #0,0>",
            "<End Sub Searches>",
            "Token Budget: 12 Current State: 24:[4, 9, 3], Operations: []",
            "Exit Sub Search at level 1",
            "No solution found.",
            "",
        ]
    )
    | st.text(max_size=40),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(lines=_GRAMMARISH)
def test_parsers_never_raise_on_grammar_like_line_soup(lines: list[str]) -> None:
    _run_all_parsers("\n".join(lines))


def _valid_texts() -> list[str]:
    inst = INSTANCES[16]
    t = _apr_with_spawn(max_depth=2, nested=True)
    return [
        sos_plus_search(inst.target, inst.nums, random.Random(1), 2, 0.9).text,
        dfs_search(SMALL[0].target, SMALL[0].nums, None, sum_heuristic, SMALL[0].target).text,
        *apr_examples(t)[:3],
    ]


_VALID = _valid_texts()


def test_parsers_never_raise_on_any_truncated_prefix_of_valid_traces() -> None:
    for text in _VALID:
        for cut in range(0, len(text) + 1, 3):
            _run_all_parsers(text[:cut])


@pytest.mark.parametrize("name", ["sos-plus-2", "dfs-threshold", "bfs-3"])
def test_every_line_prefix_of_a_trace_claims_nothing_or_a_correct_answer(name: str) -> None:
    for inst in INSTANCES[::5]:
        text = WRITERS[name](inst, random.Random(0)).text
        lines = text.splitlines(keepends=True)
        for k in range(len(lines) + 1):
            answer = extract_answer("".join(lines[:k]))
            assert answer is None or _solves(inst, answer)


@settings(max_examples=200, deadline=None)
@given(
    which=st.integers(0, 4),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["delete", "duplicate", "swap", "garble", "insert"]),
            st.integers(0, 10**6),
            st.text(max_size=20),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_parsers_never_raise_on_random_line_mutations(which: int, edits: list[tuple[str, int, str]]) -> None:
    lines = _VALID[which % len(_VALID)].split("\n")
    for kind, pos, junk in edits:
        i = pos % len(lines)
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = (i + 1) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "garble":
            cut = pos % (len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + junk + lines[i][cut + 1 :]
        else:
            lines.insert(i, junk)
    _run_all_parsers("\n".join(lines))


def test_overlong_lines_and_huge_numbers_are_malformed() -> None:
    long_state = "Current State: 24:[" + ", ".join(["1"] * MAX_LINE_CHARS) + "], Operations: []"
    huge = "Current State: 24:[" + "9" * (MAX_INT_DIGITS + 1) + "], Operations: []"
    parsed = parse_trace(f"{long_state}\n{huge}\n")
    assert parsed.malformed_lines == 2
    assert parsed.events == ()


def test_numbers_in_other_scripts_are_not_read_as_numbers() -> None:
    # int() reads "\u0662\u0664" as 24; the grammar's numbers are ASCII digits.
    parsed = parse_trace("Current State: \u0662\u0664:[4, 9, 3], Operations: []\n")
    assert parsed.malformed_lines == 1 and parsed.events == ()
    assert parse_trace("Current State: 24:[4, 9, 3], Operations: []\n").events


def test_end_of_text_marker_after_the_goal_line_is_ignored() -> None:
    text = direct_trace(24, [4, 9, 3], ["9-3=6", "4*6=24"]).rstrip("\n") + "<|endoftext|>"
    assert extract_answer(text) == "9-3=6\n4*6=24"


def test_generated_node_with_unknown_parent_is_not_a_node() -> None:
    text = "Current State: 24:[4, 9, 3], Operations: []\nGenerated Node #0,5,1: 24:[4, 6] Operation: 9-3=6\n"
    parsed = parse_trace(text)
    assert set(parsed.nodes) == {"0"}
    assert isinstance(parsed.events[1], GeneratedEvent)


def test_answer_needs_an_exploring_step_after_the_last_state() -> None:
    assert extract_answer("Current State: 24:[24], Operations: []\n24,24 equal: Goal Reached\n") is None
    assert extract_answer("24,24 equal: Goal Reached\n") is None


_OPEN = "<Calling Sub Searches>\n"
_CLOSE = "<End Calling Sub Searches>\n"


def _spawn(index: int, level: int, node_id: str) -> str:
    return f"<Start Sub Search {index} at level {level}> Moving to Node #{node_id}\n"


_SPAWN_OK = _spawn(0, 1, "0,0") + _spawn(1, 1, "0,1")


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(_OPEN + _SPAWN_OK, id="unterminated"),
        pytest.param(_OPEN + _CLOSE, id="empty"),
        pytest.param(_OPEN + "<Start Sub Search 0 at level 1> Moving to Node 0,0\n" + _CLOSE, id="no-hash"),
        pytest.param(_OPEN + _spawn(1, 1, "0,0") + _CLOSE, id="index-not-from-0"),
        pytest.param(_OPEN + _spawn(0, 1, "0,0") + _spawn(1, 2, "0,1") + _CLOSE, id="mixed-levels"),
        pytest.param(_OPEN + _spawn(0, 0, "0,0") + _CLOSE, id="level-0"),
        pytest.param(
            _OPEN + _SPAWN_OK + "Exploring Operation: 9-3=6, Resulting Numbers: [4, 6]\n", id="other-line"
        ),
    ],
)
def test_malformed_spawn_block_yields_bad_spawn(block: str) -> None:
    prefix = "Moving to Node #0\nCurrent State: 24:[4, 9, 3], Operations: []\n"
    result = find_spawn_block(prefix + block)
    assert isinstance(result, MalformedSpawn)
    assert result.reason


def test_find_spawn_block_reads_the_last_block_only() -> None:
    first = _OPEN + _spawn(0, 1, "0,7") + _CLOSE
    last = _OPEN + _SPAWN_OK + _CLOSE
    block = find_spawn_block(first + "Moving to Node #0\n" + last)
    assert block == SpawnBlock((SpawnChild(0, 1, "0,0"), SpawnChild(1, 1, "0,1")))
    assert find_spawn_block("Current State: 24:[4, 9, 3], Operations: []\n") is None


def test_child_states_are_none_for_nodes_the_parent_never_generated() -> None:
    text = (
        "Moving to Node #0\nCurrent State: 24:[4, 9, 3], Operations: []\n"
        "Exploring Operation: 9-3=6, Resulting Numbers: [4, 6]\n"
        "Generated Node #0,0: 24:[4, 6] Operation: 9-3=6\n" + _OPEN + _SPAWN_OK + _CLOSE
    )
    block = find_spawn_block(text)
    assert isinstance(block, SpawnBlock)
    assert child_states(text, block) == [NodeState("0,0", 24, (4, 6), ("9-3=6",)), None]


def test_child_that_claims_a_goal_without_a_summary_is_not_solved() -> None:
    child = SpawnChild(0, 1, "0,1")
    text = (
        "Moving to Node #0,1\nCurrent State: 24:[4, 6], Operations: ['9-3=6']\n"
        "Exploring Operation: 4*6=24, Resulting Numbers: [24]\n24,24 equal: Goal Reached\n"
    )
    assert outcome_from_child(child, text) == ChildOutcome(0, 1, "0,1", False, "")


def test_replace_spawn_with_join_without_a_block_appends_on_a_new_line() -> None:
    join = join_block([ChildOutcome(0, 1, "0,0", False)])
    assert replace_spawn_with_join("Moving to Node #0", join) == "Moving to Node #0\n" + join


def test_outcome_event_records_goal_and_failure() -> None:
    events = parse_trace("24,24 equal: Goal Reached\n10,24 unequal: No Solution\n").events
    assert events == (OutcomeEvent(24, 24, True), OutcomeEvent(10, 24, False))
    state = parse_trace("Current State: 24:[4, 6], Operations: ['9-3=6']\n").events
    assert state == (StateEvent(24, (4, 6), ("9-3=6",)),)


def test_calling_marker_inside_a_line_is_not_a_block() -> None:
    text = "Moving to Node #0 <Calling Sub Searches>\n" + _SPAWN_OK + _CLOSE
    assert find_spawn_block(text) is None
    assert replace_spawn_with_join(text, "J\n") == text + "J\n"


def test_input_beyond_the_line_bound_is_truncated_not_parsed() -> None:
    parsed = parse_trace("Moving to Node #0\n" * (MAX_LINES + 10))
    assert parsed.truncated
    assert len(parsed.events) == MAX_LINES


def test_sos_plus_defaults_to_the_reference_promising_threshold() -> None:
    inst = INSTANCES[0]
    default = sos_plus_search(inst.target, inst.nums, random.Random(3), beam_size=3)
    assert default == sos_plus_search(inst.target, inst.nums, random.Random(3), 3, 0.5, sum_heuristic)


@FAST
@given(inst=instances, seed=seeds)
def test_strict_verifier_accepts_every_solved_writers_answer(inst: Instance, seed: int) -> None:
    verify = pytest.importorskip("reasonbench.tasks.countdown.verify")
    for write in WRITERS.values():
        trace = write(inst, random.Random(seed))
        answer = extract_answer(trace.text)
        if trace.solved:
            assert answer is not None
            assert verify.verify_answer(inst.target, list(inst.nums), answer)
