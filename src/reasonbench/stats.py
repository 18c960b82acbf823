"""The statistics behind every reported number: intervals, pass@k, maj@k, best-of-k, frontiers, tests.

Pure functions over plain numbers (no pandas, no results layout), so each can be checked by hand.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

CI_LEVEL = 0.95
N_BOOTSTRAP = 2000


def bootstrap_ci(
    outcomes: Sequence[float], level: float = CI_LEVEL, n_boot: int = N_BOOTSTRAP, seed: int = 0
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the mean of ``outcomes`` (0/1 for accuracy), seeded.

    An empty sample has no interval: ``(nan, nan)``.
    """
    x = np.asarray(outcomes, dtype=float)
    if x.size == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): the chance that ``k`` of ``n`` samples, ``c`` correct, hold one.

    ``1 - C(n-c, k) / C(n, k)``, computed as a product so large ``n`` does not overflow.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1 - k / i for i in range(n - c + 1, n + 1))


def best_of_k(scores: Sequence[float], correct: Sequence[bool], k: int) -> float:
    """Expected correctness of the highest-scoring of ``k`` samples drawn without replacement from ``n``.

    Exact: sorted by score, the top of a random ``k``-subset falls in a group of tied scores spanning
    sorted positions ``a..b`` with probability ``(C(b+1, k) - C(a, k)) / C(n, k)``; within a tie the pick
    is uniform, so the group contributes its mean correctness.
    """
    n = len(scores)
    if n != len(correct) or not 1 <= k <= n:
        raise ValueError(f"need len(scores) == len(correct) and 1 <= k <= n, got {n}, {len(correct)}, k={k}")
    order = sorted(range(n), key=lambda i: scores[i])
    total, a = 0.0, 0
    for _, group in itertools.groupby(order, key=lambda i: scores[i]):
        members = list(group)
        b = a + len(members) - 1
        p = (math.comb(b + 1, k) - math.comb(a, k)) / math.comb(n, k)
        total += p * sum(bool(correct[i]) for i in members) / len(members)
        a = b + 1
    return total


def majority_index(answers: Sequence[Hashable | None]) -> int | None:
    """The vote's winner: the index of the first answer of the most frequent non-``None`` answer (a tie
    goes to the answer given earliest); ``None`` when no answer votes. Self-consistency votes by this rule
    and maj@k scores by it."""
    votes = Counter(a for a in answers if a is not None)
    if not votes:
        return None
    top = max(votes.values())
    return next(i for i, a in enumerate(answers) if a is not None and votes[a] == top)


def majority_correct(answers: Sequence[Hashable | None], correct: Sequence[bool]) -> bool:
    """Whether a vote over ``answers`` (:func:`majority_index`) picks a correct one; no valid answer is
    wrong."""
    winner = majority_index(answers)
    return winner is not None and bool(correct[winner])


def maj_at_k(
    answers: Sequence[Hashable | None],
    correct: Sequence[bool],
    k: int,
    max_subsets: int = 2000,
    seed: int = 0,
) -> float:
    """Expected majority-vote correctness over ``k``-subsets of the ``n`` samples (order kept).

    Exact (every subset) when there are at most ``max_subsets`` of them, else a seeded sample of that many.
    """
    n = len(answers)
    if n != len(correct) or not 1 <= k <= n:
        raise ValueError(f"need len(answers) == len(correct) and 1 <= k <= n, got {n}, {len(correct)}, k={k}")
    if math.comb(n, k) <= max_subsets:
        subsets: list[tuple[int, ...]] = list(itertools.combinations(range(n), k))
    else:
        rng = random.Random(seed)
        subsets = [tuple(sorted(rng.sample(range(n), k))) for _ in range(max_subsets)]
    hits = sum(majority_correct([answers[i] for i in s], [correct[i] for i in s]) for s in subsets)
    return hits / len(subsets)


@dataclass(frozen=True)
class Point:
    """One configuration's result: its measured usage (the x of a budget curve) and accuracy."""

    usage: float
    accuracy: float
    lo: float
    hi: float
    label: str = ""
    n: int = 0


def frontier(points: Sequence[Point]) -> list[Point]:
    """The budget frontier: for each budget ``B``, the best accuracy among points with usage ``<= B``.

    Returned as the points where that best accuracy rises, by increasing usage (each keeps its own
    interval); a point that needs more budget for no more accuracy is dropped. ``nan`` usage is ignored.
    """
    best: list[Point] = []
    for p in sorted((p for p in points if not math.isnan(p.usage)), key=lambda p: (p.usage, -p.accuracy)):
        if not best or p.accuracy > best[-1].accuracy:
            best.append(p)
    return best


def best_within(points: Sequence[Point], budget: float) -> Point | None:
    """The most accurate point whose usage is within ``budget`` (``None`` if none fits)."""
    fits = [p for p in points if p.usage <= budget]
    return max(fits, key=lambda p: p.accuracy) if fits else None


@dataclass(frozen=True)
class Comparison:
    """A candidate accuracy against a baseline's: the difference and a one-sided p-value for a drop."""

    baseline: float
    candidate: float
    n_baseline: int
    n_candidate: int
    p_drop: float

    @property
    def delta(self) -> float:
        return self.candidate - self.baseline


def compare_accuracy(correct_base: int, n_base: int, correct_new: int, n_new: int) -> Comparison:
    """Two-proportion z-test (pooled) that the candidate's accuracy is lower than the baseline's.

    One-sided p-value; 1.0 when the candidate is not lower or the pooled variance is zero (identical
    all-right or all-wrong runs cannot show a drop).
    """
    if n_base < 1 or n_new < 1:
        raise ValueError("both runs need at least one row")
    p1, p2 = correct_base / n_base, correct_new / n_new
    pooled = (correct_base + correct_new) / (n_base + n_new)
    var = pooled * (1 - pooled) * (1 / n_base + 1 / n_new)
    if p2 >= p1 or var == 0:
        p = 1.0
    else:
        z = (p1 - p2) / math.sqrt(var)
        p = 0.5 * math.erfc(z / math.sqrt(2))
    return Comparison(p1, p2, n_base, n_new, p)
