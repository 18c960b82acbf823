"""Countdown rules, exhaustive solver and seeded generator."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonbench.tasks.countdown.generate import CountdownConfig, generate
from reasonbench.tasks.countdown.rules import DEFAULT_RULES, Rules, apply, combine
from reasonbench.tasks.countdown.solver import all_solutions, reachable, solve


def _replay(nums: list[int], steps: list[str], rules: Rules = DEFAULT_RULES) -> list[int]:
    """Apply step strings to a multiset of numbers; fail the test on any illegal step."""
    pool = list(nums)
    for step in steps:
        lhs, rhs = step.split("=")
        op = next(c for c in "+-*/" if c in lhs[1:])
        a, b = lhs.split(op, 1)
        pool.remove(int(a))
        pool.remove(int(b))
        assert apply(int(a), op, int(b), rules) == int(rhs)
        pool.append(int(rhs))
    return pool


def test_apply_forbids_negative_and_inexact_results() -> None:
    assert apply(3, "-", 9) is None
    assert apply(7, "/", 2) is None
    assert apply(8, "/", 0) is None
    assert apply(3, "-", 9, Rules(allow_negative=True)) == -6
    assert apply(8, "/", 2) == 4


def test_combine_lists_larger_minus_smaller_and_exact_division_only() -> None:
    texts = [t for _, t in combine(3, 9)]
    assert texts == ["3+9=12", "3*9=27", "9-3=6", "9/3=3"]
    assert [t for _, t in combine(4, 6)] == ["4+6=10", "4*6=24", "6-4=2"]


def test_solve_finds_known_solution() -> None:
    steps = solve(24, [4, 9, 3])
    assert steps is not None
    assert _replay([4, 9, 3], steps) == [24]


def test_solve_returns_none_for_unsolvable_instance() -> None:
    # 1, 1, 1 can reach at most 3 using every number once.
    assert solve(50, [1, 1, 1]) is None


def test_all_solutions_are_distinct_and_valid() -> None:
    sols = all_solutions(10, [1, 2, 3, 4])
    assert len(sols) > 3
    assert len({tuple(s) for s in sols}) == len(sols)
    for s in sols:
        assert _replay([1, 2, 3, 4], s) == [10]


def test_at_most_once_rule_allows_unused_numbers() -> None:
    assert solve(12, [5, 7, 90]) is None
    steps = solve(12, [5, 7, 90], Rules(use_all=False))
    assert steps is not None
    assert 12 in _replay([5, 7, 90], steps)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=2, max_size=4), st.integers(0, 200))
def test_solver_agrees_with_reachable(nums: list[int], target: int) -> None:
    values = reachable(tuple(sorted(nums)))
    steps = solve(target, nums)
    assert (steps is not None) == (target in values)
    if steps is not None:
        assert _replay(nums, steps) == [target]


def test_generator_is_reproducible_and_seed_sensitive() -> None:
    cfg = CountdownConfig(n_numbers=3, max_value=30, seed="t")
    assert generate(cfg, 50) == generate(cfg, 50)
    assert generate(cfg, 50) != generate(dataclasses.replace(cfg, seed="u"), 50)


def test_generator_instances_are_solvable_distinct_and_in_range() -> None:
    cfg = CountdownConfig()  # cd4: 4 numbers 1..99, target 10..100
    insts = generate(cfg, 200)
    assert len({i.key for i in insts}) == 200
    for inst in insts:
        assert len(inst.nums) == 4 and all(1 <= n <= 99 for n in inst.nums)
        assert 10 <= inst.target <= 100
        steps = solve(inst.target, inst.nums)
        assert steps is not None and _replay(list(inst.nums), steps) == [inst.target]


def test_generator_prefix_is_stable() -> None:
    # Asking for more problems must not change the first ones (frozen sets grow safely).
    cfg = CountdownConfig(seed="prefix")
    assert generate(cfg, 30) == generate(cfg, 60)[:30]


@pytest.mark.parametrize("field,value", [("n_numbers", 1), ("n_numbers", 7), ("max_value", -1)])
def test_bad_config_names_the_field(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=field):
        CountdownConfig(**{field: value})


def test_generator_fails_clearly_when_range_is_too_small() -> None:
    cfg = CountdownConfig(n_numbers=2, min_value=1, max_value=2, min_target=1, max_target=4, seed="x")
    with pytest.raises(ValueError, match="distinct"):
        generate(cfg, 100)


def test_solver_handles_six_numbers() -> None:
    rng = random.Random(1)
    nums = [rng.randint(1, 20) for _ in range(6)]
    values = reachable(tuple(sorted(nums)))
    target = sorted(values)[len(values) // 2]
    steps = solve(target, nums)
    assert steps is not None and _replay(nums, steps) == [target]
