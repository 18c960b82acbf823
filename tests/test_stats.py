"""The statistics behind every reported number, checked against hand values and brute-force enumeration."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonbench.stats import (
    Point,
    best_of_k,
    best_within,
    bootstrap_ci,
    compare_accuracy,
    maj_at_k,
    majority_correct,
    pass_at_k,
)
from reasonbench.stats import frontier as stats_frontier

# ---------------------------------------------------------------------------------------------------------
# Brute-force references, written independently of the code under test.


def brute_pass_at_k(n: int, c: int, k: int) -> Fraction:
    """Fraction of the k-subsets of n samples (the first c correct) that hold a correct one."""
    subsets = list(itertools.combinations(range(n), k))
    hits = sum(any(i < c for i in s) for s in subsets)
    return Fraction(hits, len(subsets))


def brute_best_of_k(scores: list[float], correct: list[bool], k: int) -> Fraction:
    """Average over every k-subset of the chance that a uniformly random pick among its top scorers is
    correct (random tie-breaking, averaged exactly)."""
    total = Fraction(0)
    subsets = list(itertools.combinations(range(len(scores)), k))
    for s in subsets:
        top = max(scores[i] for i in s)
        tied = [i for i in s if scores[i] == top]
        total += Fraction(sum(correct[i] for i in tied), len(tied))
    return total / len(subsets)


def brute_vote(answers: list, correct: list[bool]) -> bool:
    """Plurality of the non-None answers; among tied answers, the one that appears first wins."""
    counts: dict = {}
    for a in answers:
        if a is not None:
            counts[a] = counts.get(a, 0) + 1
    if not counts:
        return False
    best = max(counts.values())
    for a, ok in zip(answers, correct, strict=True):
        if a is not None and counts[a] == best:
            return ok
    raise AssertionError("unreachable")


def brute_maj_at_k(answers: list, correct: list[bool], k: int) -> Fraction:
    subsets = list(itertools.combinations(range(len(answers)), k))
    hits = sum(brute_vote([answers[i] for i in s], [correct[i] for i in s]) for s in subsets)
    return Fraction(hits, len(subsets))


# ---------------------------------------------------------------------------------------------------------
# pass@k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 0.4),  # c / n
        (5, 2, 2, 1 - 3 / 10),  # 1 - C(3,2)/C(5,2)
        (5, 2, 3, 1 - 1 / 10),  # 1 - C(3,3)/C(5,3)
        (5, 0, 1, 0.0),
        (5, 0, 5, 0.0),  # no correct sample: never passes
        (5, 2, 4, 1.0),  # n - c = 3 < 4: every 4-subset holds a correct one
        (5, 5, 1, 1.0),
        (1, 1, 1, 1.0),
        (1, 0, 1, 0.0),
        (10, 1, 10, 1.0),
        (10, 3, 2, 1 - 21 / 45),  # 1 - C(7,2)/C(10,2)
    ],
)
def test_pass_at_k_hand_cases(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_matches_subset_enumeration(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    assert pass_at_k(n, c, k) == pytest.approx(float(brute_pass_at_k(n, c, k)), abs=1e-12)


def test_pass_at_k_large_n_is_exact_and_does_not_overflow() -> None:
    expected = 1 - Fraction(math.comb(600, 30), math.comb(1000, 30))
    got = pass_at_k(1000, 400, 30)
    assert got == pytest.approx(float(expected), rel=1e-9)
    big = pass_at_k(100_000, 3, 1)
    assert big == pytest.approx(3 / 100_000, rel=1e-9)


@pytest.mark.parametrize(
    ("n", "c", "k"), [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6), (0, 0, 1), (3, 1, -1)]
)
def test_pass_at_k_rejects_invalid_input(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 30).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n - 1))))
def test_pass_at_k_grows_with_k(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    assert pass_at_k(n, c, k) <= pass_at_k(n, c, k + 1) + 1e-12


# ---------------------------------------------------------------------------------------------------------
# bootstrap


@pytest.mark.parametrize("value", [0.0, 1.0, 0.25])
def test_bootstrap_of_a_constant_sample_is_a_point(value: float) -> None:
    lo, hi = bootstrap_ci([value] * 17)
    assert lo == pytest.approx(value) and hi == pytest.approx(value)


def test_bootstrap_of_an_empty_sample_is_nan() -> None:
    lo, hi = bootstrap_ci([])
    assert math.isnan(lo) and math.isnan(hi)


def test_bootstrap_contains_the_mean_and_narrows_with_more_data() -> None:
    small = [1, 0, 0, 1, 0, 1, 0, 0, 1, 0] * 2  # 20 outcomes, mean 0.4
    big = small * 50  # 1000 outcomes, same mean
    lo_s, hi_s = bootstrap_ci(small)
    lo_b, hi_b = bootstrap_ci(big)
    assert lo_s < 0.4 < hi_s
    assert lo_b < 0.4 < hi_b
    assert lo_s >= 0.0 and hi_s <= 1.0
    assert (hi_b - lo_b) < (hi_s - lo_s) / 3  # width ~ 1/sqrt(n): sqrt(50) ~ 7 times narrower


def test_bootstrap_width_matches_the_normal_approximation() -> None:
    # p = 0.5, n = 400: standard error 0.025, a 95% interval about 2 * 1.96 * 0.025 = 0.098 wide.
    lo, hi = bootstrap_ci([0, 1] * 200)
    assert 0.08 < hi - lo < 0.12
    assert lo == pytest.approx(0.5 - 0.049, abs=0.012)
    assert hi == pytest.approx(0.5 + 0.049, abs=0.012)


def test_bootstrap_level_orders_the_widths() -> None:
    x = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1]
    lo50, hi50 = bootstrap_ci(x, level=0.5)
    lo99, hi99 = bootstrap_ci(x, level=0.99)
    assert lo99 <= lo50 < hi50 <= hi99
    assert hi99 - lo99 > hi50 - lo50


def test_bootstrap_is_reproducible_by_seed() -> None:
    x = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0]
    assert bootstrap_ci(x, seed=3) == bootstrap_ci(x, seed=3)
    assert bootstrap_ci(np.array(x), seed=3) == bootstrap_ci(list(x), seed=3)
    # Another seed draws other resamples (a mixed sample: the intervals differ at least a little).
    draws = {bootstrap_ci(x, seed=s, n_boot=200) for s in range(5)}
    assert len(draws) > 1


# ---------------------------------------------------------------------------------------------------------
# best-of-k


def test_best_of_k_hand_case_with_a_tie() -> None:
    scores, correct = [1.0, 1.0, 0.0], [True, False, True]
    # k=1: mean correctness 2/3. k=2: {0,1} tie -> 1/2, {0,2} -> 1, {1,2} -> 0: mean 1/2. k=3: tie -> 1/2.
    assert best_of_k(scores, correct, 1) == pytest.approx(2 / 3)
    assert best_of_k(scores, correct, 2) == pytest.approx(1 / 2)
    assert best_of_k(scores, correct, 3) == pytest.approx(1 / 2)


def test_best_of_k_distinct_scores_hand_case() -> None:
    scores, correct = [0.9, 0.1, 0.5], [True, True, False]
    # k=2: {0,1} -> 0 (T), {0,2} -> 0 (T), {1,2} -> 2 (F): 2/3.
    assert best_of_k(scores, correct, 2) == pytest.approx(2 / 3)
    assert best_of_k(scores, correct, 3) == 1.0


distinct_samples = st.integers(1, 9).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(-100, 100, allow_nan=False), min_size=n, max_size=n, unique=True),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(distinct_samples)
def test_best_of_k_extremes_with_distinct_scores(sample: tuple[list[float], list[bool]]) -> None:
    scores, correct = sample
    n = len(scores)
    top = max(range(n), key=lambda i: scores[i])
    assert best_of_k(scores, correct, n) == pytest.approx(float(correct[top]))
    assert best_of_k(scores, correct, 1) == pytest.approx(sum(correct) / n)


tied_samples = st.integers(1, 8).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 3).map(float), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.integers(1, n),
    )
)


@settings(max_examples=300, deadline=None)
@given(tied_samples)
def test_best_of_k_matches_enumeration_with_random_tie_breaking(
    sample: tuple[list[float], list[bool], int],
) -> None:
    scores, correct, k = sample
    assert best_of_k(scores, correct, k) == pytest.approx(float(brute_best_of_k(scores, correct, k)))


def test_best_of_k_handles_minus_infinity_scores() -> None:
    # Unscored samples (the analysis maps None to -inf) lose to any scored one.
    scores, correct = [-math.inf, 0.2, -math.inf], [True, False, True]
    assert best_of_k(scores, correct, 3) == 0.0
    assert best_of_k(scores, correct, 2) == pytest.approx(float(brute_best_of_k(scores, correct, 2)))


@pytest.mark.parametrize(
    ("scores", "correct", "k"),
    [([1.0, 2.0], [True], 1), ([1.0, 2.0], [True, False], 0), ([1.0, 2.0], [True, False], 3), ([], [], 1)],
)
def test_best_of_k_rejects_invalid_input(scores, correct, k) -> None:
    with pytest.raises(ValueError):
        best_of_k(scores, correct, k)


# ---------------------------------------------------------------------------------------------------------
# majority vote and maj@k


@pytest.mark.parametrize(
    ("answers", "correct", "expected"),
    [
        (["a", "b", "a"], [True, False, True], True),
        (["a", "b", "b"], [True, False, False], False),
        (["b", "a"], [False, True], False),  # a tie goes to the earliest answer
        (["a", "b"], [True, False], True),
        (["a", "b", "b", "a"], [True, False, False, True], True),  # 2-2 tie, "a" came first
        ([None, None, "a"], [False, False, True], True),  # None is not a vote
        ([None, None, None], [True, True, True], False),  # no valid answer is wrong
        ([], [], False),
    ],
)
def test_majority_correct_hand_cases(answers, correct, expected) -> None:
    assert majority_correct(answers, correct) is expected


answer_samples = st.integers(1, 8).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.integers(1, n),
    )
)


@settings(max_examples=300, deadline=None)
@given(answer_samples)
def test_maj_at_k_exact_matches_enumeration(sample) -> None:
    answers, correct, k = sample
    assert maj_at_k(answers, correct, k) == pytest.approx(float(brute_maj_at_k(answers, correct, k)))


@settings(max_examples=100, deadline=None)
@given(answer_samples)
def test_maj_at_1_counts_a_missing_answer_as_wrong(sample) -> None:
    answers, correct, _ = sample
    expected = sum(a is not None and ok for a, ok in zip(answers, correct, strict=True)) / len(answers)
    assert maj_at_k(answers, correct, 1) == pytest.approx(expected)


def test_maj_at_k_hand_case() -> None:
    answers = ["x", "x", "y", None]
    correct = [True, True, False, False]
    # k=2 subsets: {0,1} x T, {0,2} x/y tie -> x T, {0,3} x T, {1,2} x T, {1,3} x T, {2,3} y F -> 5/6.
    assert maj_at_k(answers, correct, 2) == pytest.approx(5 / 6)
    # k=4: x has two votes -> right.
    assert maj_at_k(answers, correct, 4) == 1.0


def test_maj_at_k_sampled_mode_is_close_to_exact() -> None:
    rng = np.random.default_rng(7)
    n, k = 16, 7  # C(16, 7) = 11440 subsets
    answers = [str(a) for a in rng.choice(["1", "2", "3"], size=n, p=[0.45, 0.35, 0.2])]
    answers[3] = None
    correct = [a == "1" for a in answers]
    exact = maj_at_k(answers, correct, k, max_subsets=10**6)
    assert exact == pytest.approx(float(brute_maj_at_k(answers, correct, k)))
    sampled = maj_at_k(answers, correct, k, max_subsets=2000, seed=1)
    assert abs(sampled - exact) < 0.05  # standard error <= sqrt(0.25 / 2000) ~ 0.011
    assert sampled == maj_at_k(answers, correct, k, max_subsets=2000, seed=1)  # seeded


def test_maj_at_k_samples_when_there_are_too_many_subsets() -> None:
    answers = ["a", "b", "a", "b", "a", "b"]
    correct = [True, False, True, False, True, False]
    # A single sampled subset: the estimate is that subset's verdict, 0 or 1.
    assert maj_at_k(answers, correct, 3, max_subsets=1) in (0.0, 1.0)
    # Exact: the 3-subsets whose vote picks "a": more a than b, or a 1-1 tie... with k=3 no tie is
    # possible between two answers (3 = 2 + 1 or 3 + 0), so "a" wins exactly when it has >= 2 votes:
    # C(3,2) * C(3,1) + C(3,3) = 10 of C(6,3) = 20.
    assert maj_at_k(answers, correct, 3) == pytest.approx(10 / 20)


@pytest.mark.parametrize(
    ("answers", "correct", "k"),
    [(["a"], [True, False], 1), (["a", "b"], [True, False], 0), (["a"], [True], 2)],
)
def test_maj_at_k_rejects_invalid_input(answers, correct, k) -> None:
    with pytest.raises(ValueError):
        maj_at_k(answers, correct, k)


# ---------------------------------------------------------------------------------------------------------
# frontiers


def P(usage: float, accuracy: float, label: str = "") -> Point:
    return Point(usage, accuracy, accuracy - 0.1, accuracy + 0.1, label=label or f"{usage}:{accuracy}", n=10)


def test_frontier_is_a_staircase_without_dominated_points() -> None:
    pts = [
        P(300, 0.5, "more budget, same accuracy"),
        P(200, 0.5, "b"),
        P(150, 0.2, "dominated"),
        P(250, 0.7, "c"),
        P(math.nan, 0.99, "no usage"),
        P(100, 0.3, "a"),
        P(200, 0.4, "same usage, lower"),
        P(400, 0.6, "worse than c"),
    ]
    got = stats_frontier(pts)
    assert [p.label for p in got] == ["a", "b", "c"]
    assert [(p.usage, p.accuracy) for p in got] == [(100, 0.3), (200, 0.5), (250, 0.7)]
    assert got[1].lo == pytest.approx(0.4) and got[1].hi == pytest.approx(0.6)  # keeps its own interval


def test_frontier_of_nothing_is_empty() -> None:
    assert stats_frontier([]) == []
    assert stats_frontier([P(math.nan, 0.5)]) == []


point_lists = st.lists(
    st.tuples(
        st.sampled_from([math.nan, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0]), st.sampled_from([0.0, 0.2, 0.5, 0.8])
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(point_lists)
def test_frontier_gives_the_best_accuracy_within_every_budget(pairs) -> None:
    pts = [P(u, a, label=str(i)) for i, (u, a) in enumerate(pairs)]
    got = stats_frontier(pts)
    assert all(p in pts for p in got)
    assert all(a.usage < b.usage and a.accuracy < b.accuracy for a, b in itertools.pairwise(got))
    for budget in [0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 8.0, 13.0, 100.0]:
        within = [p.accuracy for p in pts if not math.isnan(p.usage) and p.usage <= budget]
        on_frontier = [p.accuracy for p in got if p.usage <= budget]
        assert (max(within) if within else None) == (max(on_frontier) if on_frontier else None)


def test_best_within() -> None:
    pts = [P(100, 0.3, "a"), P(200, 0.5, "b"), P(250, 0.7, "c"), P(math.nan, 0.99, "nan"), P(150, 0.1, "d")]
    assert best_within(pts, 50) is None
    assert best_within(pts, 100).label == "a"
    assert best_within(pts, 220).label == "b"
    assert best_within(pts, 250).label == "c"  # the budget is inclusive
    assert best_within(pts, 1e9).label == "c"  # a point without usage never fits
    assert best_within([], 10) is None


# ---------------------------------------------------------------------------------------------------------
# comparing two runs


def test_identical_runs_show_no_drop() -> None:
    c = compare_accuracy(80, 100, 80, 100)
    assert c.p_drop == 1.0
    assert c.delta == 0.0
    assert (c.baseline, c.candidate, c.n_baseline, c.n_candidate) == (0.8, 0.8, 100, 100)


def test_an_improvement_is_not_a_drop() -> None:
    c = compare_accuracy(40, 100, 80, 100)
    assert c.p_drop == 1.0
    assert c.delta == pytest.approx(0.4)


def test_a_big_drop_on_many_problems_is_significant() -> None:
    c = compare_accuracy(800, 1000, 400, 1000)
    assert c.delta == pytest.approx(-0.4)
    assert c.p_drop < 1e-20


def test_p_value_matches_the_pooled_z_test_by_hand() -> None:
    # 60/100 -> 50/100: pooled 0.55, se = sqrt(0.55 * 0.45 * (1/100 + 1/100)), z = 0.1 / se.
    se = math.sqrt(0.55 * 0.45 * 0.02)
    expected = NormalDist().cdf(-0.1 / se)
    c = compare_accuracy(60, 100, 50, 100)
    assert c.p_drop == pytest.approx(expected, rel=1e-9)
    assert 0.07 < c.p_drop < 0.085  # z ~ 1.42
    # Unequal sizes: 45/50 -> 120/200.
    p1, p2, pooled = 0.9, 0.6, 165 / 250
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / 50 + 1 / 200))
    assert compare_accuracy(45, 50, 120, 200).p_drop == pytest.approx(NormalDist().cdf(-z), rel=1e-9)


def test_the_same_drop_is_more_significant_on_more_problems() -> None:
    ps = [compare_accuracy(8 * m, 10 * m, 7 * m, 10 * m).p_drop for m in (1, 10, 100)]
    assert ps[0] > ps[1] > ps[2]
    assert ps[0] > 0.05 and ps[2] < 0.001


def test_zero_pooled_variance_cannot_show_a_drop() -> None:
    assert compare_accuracy(10, 10, 10, 10).p_drop == 1.0
    assert compare_accuracy(0, 10, 0, 10).p_drop == 1.0
    # All right against all wrong does have variance: a clear drop.
    assert compare_accuracy(10, 10, 0, 10).p_drop < 1e-4


@pytest.mark.parametrize("args", [(0, 0, 1, 1), (1, 1, 0, 0)])
def test_compare_accuracy_needs_rows(args) -> None:
    with pytest.raises(ValueError):
        compare_accuracy(*args)


def test_brute_force_references_agree_with_hand_values() -> None:
    # The references themselves, on the hand cases above (so a broken reference cannot pass silently).
    assert brute_pass_at_k(5, 2, 2) == Fraction(7, 10)
    assert brute_best_of_k([1.0, 1.0, 0.0], [True, False, True], 2) == Fraction(1, 2)
    assert brute_maj_at_k(["x", "x", "y", None], [True, True, False, False], 2) == Fraction(5, 6)
    assert brute_vote(["b", "a"], [False, True]) is False
