"""The strict Countdown verifier: an adversarial table, the public-verifier bugs, and properties."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonbench.tasks.countdown.generate import CountdownConfig, generate
from reasonbench.tasks.countdown.rules import Rules
from reasonbench.tasks.countdown.solver import solve
from reasonbench.tasks.countdown.verify import verify_answer

N, T = [4, 9, 3], 24  # (9-3)*4 = 24 is the only solution

ACCEPTED = [
    "(9-3)*4",
    "(9-3)*4 = 24",
    "4 * (9 - 3)=24",
    "((9)-3)*4",
    "9-3=6\n4*6=24",
    "9 - 3 = 6\n6 * 4 = 24",
    "Step 1: 9 - 3 = 6.\nStep 2: 4 * 6 = 24.\nSo the answer is 24.",
    "The answer is (9-3)*4.",
    "Answer: (9−3)×4",
    "(9–3)·4 = 24",
    "<answer>(9-3)*4</answer>",
    "I think... <answer>9-3=6\n4*6=24</answer>",
    "Current State: 24:[4, 9, 3], Operations: []\n"
    "Exploring Operation: 9-3=6, Resulting Numbers: [4, 6]\n"
    "Generated Node #0,0: 24:[4, 6] Operation: 9-3=6\n"
    "Moving to Node #0,0\n"
    "Current State: 24:[4, 6], Operations: ['9-3=6']\n"
    "Exploring Operation: 4*6=24, Resulting Numbers: [24]\n"
    "24,24 equal: Goal Reached\n",
]


@pytest.mark.parametrize("answer", ACCEPTED)
def test_accepted_forms(answer: str) -> None:
    verdict = verify_answer(N, T, answer)
    assert verdict.correct, verdict.reason
    assert verdict.reason == "ok"


REJECTED = [
    # (nums, target, answer, keyword the reason must contain)
    (N, T, "(9-3)*4*4", "more often"),
    (N, T, "(9-3)*(4+0)", "unknown"),
    (N, T, "93-4-65", "unknown"),  # digit concatenation of 9 and 3
    (N, T, "9 3 4", "no arithmetic"),
    (N, T, "(9-3)4", "concatenation"),
    (N, T, "4**2+9-3", "exponent"),
    (N, T, "4^2+9-3+2", "exponent"),
    (N, T, "(3-9)*4", "negative"),
    ([4, 8, 3], T, "8/3*4+3", "inexact"),
    ([4, 8, 0], T, "8/0+4", "zero"),
    (N, T, "(9-3)*4 = 25", "does not match"),
    (N, T, "9*3-4", "not the target"),
    (N, T, "9-3", "not every number"),
    (N, T, "-4+9*3+1", "unary"),
    (N, T, "1.5*16", "decimal"),
    (N, T, "(9-3*4", "unbalanced"),
    (N, T, "(9-3))*4", "unbalanced"),
    (N, T, "(9-3)*4 = 24 = 24", "more than one"),
    (N, T, "9-3=6\n4*6=25", "wrong"),
    (N, T, "9-3=6\n4*7=28", "unknown"),
    (N, T, "9-3=6\n6*4=24\n9-3=6", "more often"),
    (N, T, "(9-3)*4 and also 9*3-4", "ambiguous"),
    (N, T, "", "empty"),
    (N, T, "   \n ", "empty"),
    (N, T, "I don't know", "no arithmetic"),
    (N, T, "9" * 40 + "-3", "absurd"),
    (N, T, "(" * 200 + "9" + ")" * 200, "absurd"),
    (N, T, "x" * 5000, "absurd"),
    # Public-verifier bug 1: a reused number slipped through when ints were compared with strings.
    ([25, 4, 1], 100, "25*4*1*1", "more often"),
    # Public-verifier bug 2: `**` was accepted.
    ([2, 5, 4], 100, "(5*2)**2", "exponent"),
]


@pytest.mark.parametrize("nums,target,answer,keyword", REJECTED)
def test_rejected_with_reason(nums, target, answer, keyword) -> None:
    verdict = verify_answer(nums, target, answer)
    assert not verdict.correct
    assert keyword in verdict.reason, verdict.reason


def test_at_most_once_variant_accepts_unused_numbers() -> None:
    assert not verify_answer([5, 7, 90], 12, "5+7").correct
    assert verify_answer([5, 7, 90], 12, "5+7", Rules(use_all=False)).correct
    assert not verify_answer([5, 7, 90], 12, "5+7+5", Rules(use_all=False)).correct


def test_negative_variant_allows_negative_intermediates() -> None:
    assert not verify_answer([3, 9, 4], 24, "(3-9)*4+48").correct
    assert (
        verify_answer([3, 9, 2], 12, "(3-9)*2*(0-1)", Rules(allow_negative=True)).correct is False
    )  # 0, 1 unknown
    assert verify_answer([3, 9, 2], -12, "(3-9)*2", Rules(allow_negative=True)).correct


def test_operation_subset_variant() -> None:
    assert not verify_answer(N, T, "(9-3)*4", Rules(ops=("+", "*"))).correct


def test_equivalent_answers_share_a_normal_form() -> None:
    forms = ["(9-3)*4", "4*(9-3)", "9-3=6\n4*6=24", "9-3=6\n6*4=24"]
    normals = {verify_answer(N, T, f).normalized for f in forms}
    assert len(normals) == 1 and None not in normals
    assert (
        verify_answer([1, 2, 3], 6, "(1+2)+3").normalized == verify_answer([1, 2, 3], 6, "3+(2+1)").normalized
    )


def test_wrong_but_parsed_answer_still_has_a_normal_form() -> None:
    verdict = verify_answer(N, T, "9*3-4")
    assert not verdict.correct and verdict.normalized is not None


def _expression(steps: list[str], nums: list[int]) -> str:
    """Fold a step list into one fully parenthesised expression."""
    pool: list[tuple[int, str]] = [(n, str(n)) for n in nums]
    for step in steps:
        lhs, rhs = step.split("=")
        op = next(c for c in "+-*/" if c in lhs[1:])
        a, b = (int(x) for x in lhs.split(op, 1))
        ia = next(i for i, (v, _) in enumerate(pool) if v == a)
        ea = pool.pop(ia)[1]
        ib = next(i for i, (v, _) in enumerate(pool) if v == b)
        eb = pool.pop(ib)[1]
        pool.append((int(rhs), f"({ea}{op}{eb})"))
    return pool[0][1]


INSTANCES = generate(CountdownConfig(n_numbers=3, max_value=30, seed="verify-tests"), 40) + generate(
    CountdownConfig(n_numbers=4, max_value=30, seed="verify-tests"), 40
)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(INSTANCES))
def test_solver_answers_verify_in_both_forms(inst) -> None:
    steps = solve(inst.nums, inst.target)
    as_steps = verify_answer(inst.nums, inst.target, "\n".join(steps))
    as_expr = verify_answer(inst.nums, inst.target, _expression(steps, list(inst.nums)))
    assert as_steps.correct and as_expr.correct
    assert as_steps.normalized == as_expr.normalized


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(INSTANCES), st.integers(0, 10_000))
def test_perturbed_answers_fail(inst, seed: int) -> None:
    rng = random.Random(seed)
    steps = solve(inst.nums, inst.target)
    i = rng.randrange(len(steps))
    lhs, rhs = steps[i].split("=")
    if rng.random() < 0.5:
        steps[i] = f"{lhs}={int(rhs) + rng.randint(1, 9)}"  # a wrong stated result
    else:
        unknown = max(inst.nums) + 1000
        op = next(c for c in "+-*/" if c in lhs[1:])
        steps[i] = f"{unknown}{op}{lhs.split(op, 1)[1]}={rhs}"  # an operand that was never given
    assert not verify_answer(inst.nums, inst.target, "\n".join(steps)).correct


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    verdict = verify_answer(N, T, text)
    assert isinstance(verdict.reason, str) and verdict.reason


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ACCEPTED),
    st.lists(st.tuples(st.integers(0, 400), st.sampled_from("()+-*/=^.9 \n0x")), max_size=6),
)
def test_never_raises_on_mutated_answers(answer: str, edits) -> None:
    chars = list(answer)
    for pos, ch in edits:
        chars.insert(min(pos, len(chars)), ch)
    verdict = verify_answer(N, T, "".join(chars))
    assert isinstance(verdict.correct, bool)
