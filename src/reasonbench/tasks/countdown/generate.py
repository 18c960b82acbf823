"""Seeded Countdown instance generator: identical output on every machine for the same seed and knobs.

Draw *i* of a split uses its own ``random.Random(f"{seed}:{i}")`` (string seeds hash with SHA-512 in
CPython, so they are stable across machines and do not overlap the way ``seed + i`` does). A draw samples
the numbers, computes every value an exhaustive search can reach with them, and picks the target uniformly
among the reachable values inside the target range; numbers with no reachable target are redrawn. A split
walks draws 0, 1, 2, ... and keeps the first occurrence of each distinct instance (same multiset of numbers
and same target), so every instance is solvable and none repeats.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import partial

from reasonbench.tasks.countdown.rules import DEFAULT_RULES, Rules
from reasonbench.tasks.countdown.solver import reachable
from reasonbench.tasks.draws import first_distinct

# A draw that cannot find reachable targets after this many tries signals impossible knobs.
_MAX_REDRAWS = 10_000


@dataclass(frozen=True)
class CountdownConfig:
    """Knobs of a Countdown split.

    Attributes:
        n_numbers: how many numbers are given (3-6).
        min_value, max_value: inclusive range of each given number.
        min_target, max_target: inclusive range of the target.
        rules: operations and usage rules (default: APR's, every number exactly once).
        seed: the split's seed; draws are ``Random(f"{seed}:{i}")``.
    """

    n_numbers: int = 4
    min_value: int = 1
    max_value: int = 99
    min_target: int = 10
    max_target: int = 100
    rules: Rules = DEFAULT_RULES
    seed: str = "cd4"

    def __post_init__(self) -> None:
        if not 2 <= self.n_numbers <= 6:
            raise ValueError(f"n_numbers must be in 2..6, got {self.n_numbers}")
        if not 0 <= self.min_value <= self.max_value <= 10_000:
            raise ValueError(
                f"need 0 <= min_value <= max_value <= 10000, got {self.min_value}..{self.max_value}"
            )
        if not 0 <= self.min_target <= self.max_target <= 1_000_000:
            raise ValueError(f"need 0 <= min_target <= max_target, got {self.min_target}..{self.max_target}")


@dataclass(frozen=True)
class Instance:
    """One Countdown puzzle: reach ``target`` from ``nums``."""

    target: int
    nums: tuple[int, ...]

    @property
    def key(self) -> tuple[tuple[int, ...], int]:
        """Identity for de-duplication: the multiset of numbers and the target."""
        return tuple(sorted(self.nums)), self.target


def draw(config: CountdownConfig, i: int) -> Instance:
    """Draw number ``i`` of a split (before de-duplication)."""
    rng = random.Random(f"{config.seed}:{i}")
    for _ in range(_MAX_REDRAWS):
        nums = tuple(rng.randint(config.min_value, config.max_value) for _ in range(config.n_numbers))
        values = reachable(tuple(sorted(nums)), config.rules)
        targets = sorted(v for v in values if config.min_target <= v <= config.max_target)
        if targets:
            return Instance(target=rng.choice(targets), nums=nums)
    raise ValueError(f"no solvable instance found for {config}")


def generate(config: CountdownConfig, count: int, workers: int = 1) -> list[Instance]:
    """The first ``count`` distinct instances of a split.

    ``workers`` processes draw the instances (the result does not depend on how many). Raises
    ``ValueError`` when the knobs admit fewer distinct instances than asked for within a generous number
    of draws.
    """
    budget = max(1000, 50 * count)
    out = first_distinct(partial(draw, config), lambda inst: inst.key, count, budget, workers)
    if len(out) < count:
        raise ValueError(f"only {len(out)} distinct instances in {budget} draws; widen the ranges")
    return out
