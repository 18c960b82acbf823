"""Exhaustive Countdown solver: every way of combining the numbers, with memoised dead ends.

Like every Countdown function it takes ``(target, nums)``, the order of the trace's ``{target}:[{nums}]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from itertools import combinations

from reasonbench.tasks.countdown.rules import DEFAULT_RULES, Rules, combine


def successors(nums: tuple[int, ...], rules: Rules = DEFAULT_RULES) -> Iterator[tuple[tuple[int, ...], str]]:
    """Each state reachable in one step: the remaining numbers plus the new result, and the step text.

    Equal numbers make some index pairs the same move; they are skipped so that no solution repeats.
    """
    seen: set[tuple[int, int]] = set()
    for i, j in combinations(range(len(nums)), 2):
        pair = (min(nums[i], nums[j]), max(nums[i], nums[j]))
        if pair in seen:
            continue
        seen.add(pair)
        rest = tuple(n for k, n in enumerate(nums) if k != i and k != j)
        for result, step in combine(nums[i], nums[j], rules):
            yield (*rest, result), step


def _is_goal(nums: tuple[int, ...], target: int, rules: Rules) -> bool:
    return (len(nums) == 1 or not rules.use_all) and target in nums


def iter_solutions(
    target: int, nums: list[int] | tuple[int, ...], rules: Rules = DEFAULT_RULES
) -> Iterator[list[str]]:
    """Yield every solution as a step list (``["9-3=6", "4*6=24"]``), depth first.

    Under ``use_all=False`` a solution may stop as soon as the target appears among the numbers; the
    empty list is a solution when the target is one of the given numbers.
    """
    dead: set[tuple[int, ...]] = set()

    def search(state: tuple[int, ...]) -> Iterator[list[str]]:
        key = tuple(sorted(state))
        if key in dead:
            return
        found = False
        if _is_goal(state, target, rules):
            found = True
            yield []
            if rules.use_all:
                return
        for child, step in successors(state, rules):
            for rest in search(child):
                found = True
                yield [step, *rest]
        if not found:
            dead.add(key)

    yield from search(tuple(nums))


def solve(target: int, nums: list[int] | tuple[int, ...], rules: Rules = DEFAULT_RULES) -> list[str] | None:
    """The first solution found (a step list), or ``None`` if the instance is unsolvable."""
    return next(iter_solutions(target, nums, rules), None)


def all_solutions(
    target: int, nums: list[int] | tuple[int, ...], rules: Rules = DEFAULT_RULES
) -> list[list[str]]:
    """Every solution (step lists; the same arithmetic in another order counts separately)."""
    return list(iter_solutions(target, nums, rules))


@lru_cache(maxsize=65536)
def reachable(nums: tuple[int, ...], rules: Rules = DEFAULT_RULES) -> frozenset[int]:
    """Every value a solution can end on: with ``use_all``, the values that use all the numbers.

    ``nums`` must be sorted (it is the cache key).
    """
    if len(nums) == 1:
        return frozenset(nums)
    out: set[int] = set() if rules.use_all else set(nums)
    for child, _ in successors(nums, rules):
        out |= reachable(tuple(sorted(child)), rules)
    return frozenset(out)
