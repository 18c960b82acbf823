"""What strategies, profiles and training ask of a task: budget prefixes, instruct prompts, problem keys, the
spawn protocol, and the spawn/join grammar both tasks share."""

from __future__ import annotations

import asyncio
import re

import pytest

from fakes import FakeEngine
from reasonbench.budget import Budget
from reasonbench.errors import UserError
from reasonbench.meter import Meter
from reasonbench.profiles import get_profile
from reasonbench.strategies import STRATEGIES, Context
from reasonbench.tasks import get_task
from reasonbench.tasks.base import Problem
from reasonbench.tasks.countdown.trace_parsers import parse_trace
from reasonbench.tasks.spawn_grammar import (
    MalformedSpawn,
    calling_lines,
    join_result_line,
    join_result_pattern,
    replace_spawn_with_join,
    spawn_line,
    spawn_line_pattern,
)

COUNTDOWN, SUDOKU = get_task("countdown"), get_task("sudoku")
CD = COUNTDOWN.generate("cd3", 3)
SU = SUDOKU.generate("sudoku4", 2)


def _run(task, name: str, problem: Problem, engine: FakeEngine, profile: str = "trace", **knobs):
    spec = STRATEGIES.get(name)
    ctx = Context(task, get_profile(profile), Meter(engine, Budget()), seed=0)
    return asyncio.run(spec.run(problem, spec.make_params(**knobs), ctx))


def test_countdown_budget_prefixes_are_what_its_trace_parser_reads() -> None:
    prompt = COUNTDOWN.prompt(CD[0])
    assert parse_trace(COUNTDOWN.budget_prefix("tokens", 512) + prompt).token_budget == 512
    assert parse_trace(COUNTDOWN.budget_prefix("sub_calls", 3) + prompt).sub_call_budget == 3


@pytest.mark.parametrize("kind", ["tokens", "sub_calls"])
def test_sudoku_has_no_budget_prefix(kind: str) -> None:
    with pytest.raises(UserError, match="budget"):
        SUDOKU.budget_prefix(kind, 100)


def test_backtrack_conditions_on_the_tasks_own_token_prefix() -> None:
    engine = FakeEngine(lambda prompt, i: "")
    _run(COUNTDOWN, "backtrack", CD[1], engine, token_budget=300)
    assert parse_trace(engine.requests[0].prompt).token_budget == 300


def test_apr_conditions_its_root_on_the_tasks_sub_call_prefix() -> None:
    engine = FakeEngine(lambda prompt, i: "No solution found.\n")
    _run(COUNTDOWN, "apr", CD[1], engine, sub_call_budget=4)
    assert parse_trace(engine.requests[0].prompt).sub_call_budget == 4


def test_apr_under_the_instruct_profile_is_an_error_row_that_says_why_and_calls_no_engine() -> None:
    engine = FakeEngine(lambda prompt, i: "")
    attempt = _run(COUNTDOWN, "apr", CD[0], engine, profile="instruct")
    assert attempt.finish == "error" and "--profile trace" in attempt.info["error"]
    assert engine.requests == []


def test_the_instruct_prompt_states_the_countdown_numbers_and_target() -> None:
    p = Problem("countdown", "custom", 0, {"target": 87, "nums": [13, 41, 59]})
    prompt = get_profile("instruct").prompt(COUNTDOWN, p)
    assert all(str(n) in prompt for n in (13, 41, 59, 87)) and "<answer>" in prompt


def test_the_instruct_prompt_shows_the_sudoku_grid() -> None:
    prompt = get_profile("instruct").prompt(SUDOKU, SU[0])
    puzzle = SU[0].data["puzzle"]
    assert all(puzzle[r * 4 : r * 4 + 4] in prompt for r in range(4))


def test_the_instruct_prompt_shows_a_6x6_grid_although_our_models_read_filled_cell_lines() -> None:
    problem = SUDOKU.generate("sudoku6_search", 1)[0]
    puzzle = problem.data["puzzle"]
    instruct = get_profile("instruct").prompt(SUDOKU, problem)
    assert all(puzzle[r * 6 : r * 6 + 6] in instruct for r in range(6))
    own = SUDOKU.prompt(problem)
    assert not any(puzzle[r * 6 : r * 6 + 6] in own for r in range(6))
    assert own.count(" = ") == sum(ch != "0" for ch in puzzle)


def test_countdown_problem_key_ignores_the_order_of_the_numbers_and_the_index() -> None:
    a = Problem("countdown", "cd3", 4, {"target": 24, "nums": [4, 9, 3]})
    b = Problem("countdown", "custom", 0, {"target": 24, "nums": [3, 4, 9]})
    c = Problem("countdown", "cd3", 4, {"target": 25, "nums": [4, 9, 3]})
    assert COUNTDOWN.problem_key(a) == COUNTDOWN.problem_key(b) != COUNTDOWN.problem_key(c)


def test_sudoku_problem_keys_tell_puzzles_apart() -> None:
    assert SUDOKU.problem_key(SU[0]) != SUDOKU.problem_key(SU[1])
    assert SUDOKU.problem_key(SUDOKU.parse_problem(SU[0].data["puzzle"])) == SUDOKU.problem_key(SU[0])


COUNTDOWN_BLOCK = (
    "<Calling Sub Searches>\n<Start Sub Search 0 at level 1> Moving to Node #0,0\n<End Calling Sub Searches>"
)
SUDOKU_BLOCK = (
    "<Calling Sub Searches>\n<Start Sub Search 0 at level 1> Place (0, 1) = 2\n<End Calling Sub Searches>"
)


@pytest.mark.parametrize(
    ("task", "block"), [(COUNTDOWN, COUNTDOWN_BLOCK), (SUDOKU, SUDOKU_BLOCK)], ids=["countdown", "sudoku"]
)
@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda b: b.rsplit("\n", 1)[0], "unterminated"),
        (lambda b: b.replace("Sub Search 0 at", "Sub Search 1 at"), "indices"),
        (lambda b: b.replace("level 1", "level 0"), "level"),
        (lambda b: b.replace("<Start", "<Strat"), "malformed line 1"),
        (lambda b: b.split("\n")[0] + "\n" + b.split("\n")[-1], "empty"),
        (lambda b: "no block here", "no calling block"),
    ],
)
def test_both_tasks_say_why_a_spawn_block_cannot_run(task, block, damage, reason) -> None:
    problem = CD[0] if task is COUNTDOWN else SU[0]
    proto = task.spawn_protocol(problem)
    requests = proto.spawn_requests(proto.parent_prompt(problem) + damage(block))
    assert isinstance(requests, MalformedSpawn) and reason in requests.reason


def test_a_calling_block_over_its_child_limit_is_malformed() -> None:
    block = "<Calling Sub Searches>\n" + "x\n" * 3 + "<End Calling Sub Searches>\n"
    found = calling_lines(block, lambda line: line, max_children=2, max_line_chars=100)
    assert isinstance(found, MalformedSpawn) and "more than 2" in found.reason


def test_a_join_replaces_only_the_last_calling_block() -> None:
    first = "<Calling Sub Searches>\nA\n<End Calling Sub Searches>\n"
    text = "head\n" + first + "middle\n<Calling Sub Searches>\nB\n<End Calling Sub Searches>"
    assert replace_spawn_with_join(text, "JOIN\n") == "head\n" + first + "middle\nJOIN\n"


@pytest.mark.parametrize("loose", [False, True], ids=["strict", "loose"])
def test_the_shared_line_patterns_read_what_the_shared_writers_write(loose: bool) -> None:
    spawn = re.fullmatch(spawn_line_pattern(r"Cell (\d+)", loose=loose), spawn_line(3, 2, "Cell 7"))
    written = join_result_line(3, 2, "Cell 7", solved=False)
    join = re.fullmatch(join_result_pattern(r"Cell (\d+)", loose=loose), written)
    assert spawn is not None and spawn.groups() == ("3", "2", "7")
    assert join is not None and join.groups() == ("No Solution", "3", "2", "7")


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (spawn_line_pattern, "<Start Sub Search  3 at level 2 >Cell 7"),
        (join_result_pattern, "<Goal Reached in Sub Search 3at level 2  at Cell 7>"),
    ],
    ids=["spawn", "join"],
)
def test_only_the_loose_line_patterns_accept_other_spacing(make, line: str) -> None:
    assert re.fullmatch(make("Cell 7", loose=True), line)
    assert not re.fullmatch(make("Cell 7"), line)


@pytest.mark.slow
def test_the_shipped_apr_model_runs_under_a_sub_call_budget_prefix_on_the_real_engine() -> None:
    from reasonbench.engine import open_engine

    spec = STRATEGIES.get("apr")
    engine = open_engine("vllm", "countdown-apr")

    async def go() -> list:
        await engine.warmup()
        out = []
        for p in CD[:2]:
            meter = Meter(engine, Budget(context=1024))
            ctx = Context(COUNTDOWN, get_profile("trace"), meter, seed=0)
            out.append((await spec.run(p, spec.make_params(sub_call_budget=8), ctx), meter.finish()))
        await engine.close()
        return out

    for attempt, usage in asyncio.run(go()):
        assert attempt.finish != "error", attempt.info
        assert parse_trace(attempt.trace).sub_call_budget == 8  # the root read the task's prefix
        assert usage.threads == 1 + attempt.info["children"]
