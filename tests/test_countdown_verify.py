"""The strict Countdown verifier: an adversarial table, the public-verifier bugs, parsing, and properties."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutations import apply_edits, edit_lists
from reasonbench.tasks.countdown.rules import DEFAULT_RULES, Rules
from reasonbench.tasks.countdown.solver import reachable, solve
from reasonbench.tasks.countdown.verify import (
    MAX_ANSWER_CHARS,
    MAX_DEPTH,
    MAX_NUMBER_DIGITS,
    MAX_STEPS,
    AnswerError,
    BinOp,
    Num,
    Step,
    parse_expression,
    parse_steps,
    verify_answer,
)

N, T = [4, 9, 3], 24  # (9-3)*4 = 24 is the only solution
SOLUTION_NORMAL_FORM = "(9-3)*4"  # the documented form: no outer parentheses, '*' operands sorted
NEG = Rules(allow_negative=True)
SUBSET = Rules(use_all=False)

TRACE = (
    "Current State: 24:[4, 9, 3], Operations: []\n"
    "Exploring Operation: 9-3=6, Resulting Numbers: [4, 6]\n"
    "Generated Node #0,0: 24:[4, 6] Operation: 9-3=6\n"
    "Moving to Node #0,0\n"
    "Current State: 24:[4, 6], Operations: ['9-3=6']\n"
    "Exploring Operation: 4*6=24, Resulting Numbers: [24]\n"
    "24,24 equal: Goal Reached\n"
)

# Answers to N -> T under the default rules; all are the same computation.
ACCEPTED_SOLUTION = [
    "(9-3)*4",
    "(9-3)*4 = 24",
    "4 * (9 - 3)=24",
    "((9)-3)*4",
    "(((((9-3)))))*4",
    "9-3=6\n4*6=24",
    "9 - 3 = 6\n6 * 4 = 24",
    "Step 1: 9 - 3 = 6.\nStep 2: 4 * 6 = 24.\nSo the answer is 24.",
    "1. 9-3=6\n2. 4*6=24",
    "- 9 - 3 = 6\n- 4 * 6 = 24",
    "The answer is (9-3)*4.",
    "I used 4, 9 and 3: (9-3)*4",
    "Answer: (9−3)×4",  # U+2212 minus, multiplication sign
    "(9–3)·4 = 24",  # en dash
    "**Answer:** (9-3)*4",  # Markdown bold is not an exponent
    "$(9-3) \\times 4 = 24$",
    "<answer>(9-3)*4</answer>",
    "Put it in <answer></answer>. <answer>9-3=6\n4*6=24</answer>",
    "(9-3)*4\n\nso (9-3)*4 it is",  # the same expression twice is not ambiguous
    TRACE,
    "9-3=6, 4*6=24",  # a step list on one line, as public data sets store solutions
    "9 - 3 = 6; 6 * 4 = 24",
    "9-3=6\r4*6=24",  # old Mac line ends
    "9-3=6\r\n4*6=24",
    "9-3=6\u20284*6=24",  # Unicode line separator
]


@pytest.mark.parametrize("answer", ACCEPTED_SOLUTION)
def test_accepted_forms(answer: str) -> None:
    verdict = verify_answer(T, N, answer)
    assert verdict.correct, verdict.reason
    assert verdict.reason == "ok"
    assert verdict.normalized == SOLUTION_NORMAL_FORM


ACCEPTED_VARIANTS = [
    # (nums, target, answer, rules)
    ([5, 7, 90], 12, "5+7", SUBSET),
    ([5, 7, 90], 12, "5+7=12", SUBSET),
    ([5, 7, 90], 90, "90", SUBSET),  # nothing to compute: the target is given
    ([3, 9, 4], -24, "(3-9)*4", NEG),
    ([3, 9, 4], -24, "(3-9)*4 = -24", NEG),
    ([3, 9, 4], -24, "3-9=-6\n-6*4=-24", NEG),
    ([25, 4, 1], 100, "25*4*1", DEFAULT_RULES),
    ([2, 2, 6], 24, "(2+2)*6", DEFAULT_RULES),  # a repeated given number may be used as often as given
    ([6, 9, 3, 4], 60, "9-3=6\n6+4=10\n10*6=60", DEFAULT_RULES),  # 6 both given and computed
    ([8, 2, 1], 4, "8/2*1", DEFAULT_RULES),
    ([1, 2, 3], 6, "1+2+3", Rules(ops=("+",))),
]


@pytest.mark.parametrize("nums,target,answer,rules", ACCEPTED_VARIANTS)
def test_accepted_variants(nums: list[int], target: int, answer: str, rules: Rules) -> None:
    verdict = verify_answer(target, nums, answer, rules)
    assert verdict.correct, verdict.reason


REJECTED = [
    # (nums, target, answer, rules, keyword the reason must contain)
    (N, T, "", DEFAULT_RULES, "empty"),
    (N, T, "   \n ", DEFAULT_RULES, "empty"),
    (N, T, "<answer> </answer>", DEFAULT_RULES, "empty"),
    (N, T, "I don't know", DEFAULT_RULES, "no arithmetic"),
    (N, T, "@@@ ### !!!", DEFAULT_RULES, "no arithmetic"),
    (N, T, "(٩-٣)*٤", DEFAULT_RULES, "no arithmetic"),  # only ASCII digits are numbers
    (N, T, "(9-3)*4*4", DEFAULT_RULES, "more often"),
    (N, T, "9-3=6\n6*4=24\n9-3=6", DEFAULT_RULES, "more often"),
    (N, T, "(9-3)*(4+0)", DEFAULT_RULES, "unknown"),
    (N, T, "9-3=6\n4*7=28", DEFAULT_RULES, "unknown"),
    (N, T, "93-4-65", DEFAULT_RULES, "unknown"),  # digit concatenation: 93 is not given
    (N, T, "9 3*4", DEFAULT_RULES, "no operator"),  # adjacent numbers
    (N, T, "9 3 4", DEFAULT_RULES, "no operator"),
    (N, T, "(9-3)4", DEFAULT_RULES, "no operator"),  # implicit multiplication
    (N, T, "4(9-3)", DEFAULT_RULES, "no operator"),
    ([4, 8, 3], T, "8/3*4+3", DEFAULT_RULES, "inexact"),
    ([1, 2, 48], T, "48*(1/2)", DEFAULT_RULES, "inexact"),  # a fraction is just an inexact division
    ([4, 8, 0], T, "8/0+4", DEFAULT_RULES, "zero"),
    (N, T, "(3-9)*4", DEFAULT_RULES, "negative"),
    ([3, 9, 4], -24, "3-9=-6\n-6*4=-24", DEFAULT_RULES, "negative"),
    (N, T, "-4+9*3+1", DEFAULT_RULES, "unary"),
    (N, T, "(-3+9)*4", DEFAULT_RULES, "unary"),
    (N, T, "1.5*16", DEFAULT_RULES, "decimal"),
    (N, T, "9-3=6\n4*6=24.0", DEFAULT_RULES, "decimal"),
    (N, T, "(09-3)*4", DEFAULT_RULES, "leading zero"),
    (N, T, "4**2+9-3", DEFAULT_RULES, "exponent"),
    (N, T, "4^2+9-3", DEFAULT_RULES, "exponent"),
    (N, T, "4 ** 2 = 16\n16+9-3=22", DEFAULT_RULES, "exponent"),
    (N, T, "4***2", DEFAULT_RULES, "exponent"),
    (N, T, "(9-3)*4 = 25", DEFAULT_RULES, "does not match"),
    (N, T, "9-3=6\n4*6=25", DEFAULT_RULES, "does not match"),
    (N, T, "9*3-4", DEFAULT_RULES, "target"),
    (N, T, "9*3-4 = 23", DEFAULT_RULES, "target"),
    (N, T, "9*3=27\n27-4=23", DEFAULT_RULES, "target"),
    (N, T, "9-3", DEFAULT_RULES, "not every number"),
    ([4, 9, 3, 1], T, "9-3=6\n6*4=24", DEFAULT_RULES, "not every number"),
    ([5, 7, 90], 12, "5+7+5", SUBSET, "more often"),
    (N, T, "(9-3)*4", Rules(ops=("+", "*")), "not allowed"),
    ([40, 30, 2], 2400, "40*30*2", Rules(max_value=1000), "bound"),
    (N, T, "(9-3*4", DEFAULT_RULES, "unbalanced"),
    (N, T, "(9-3))*4", DEFAULT_RULES, "unbalanced"),
    (N, T, "(9-3)*4 = 24 = 24", DEFAULT_RULES, "more than one"),
    (N, T, "24 = (9-3)*4", DEFAULT_RULES, "right-hand side"),
    (N, T, "(9-3)*4 or maybe 9*3-4", DEFAULT_RULES, "ambiguous"),
    (N, T, "9-3=6, 4*6=25", DEFAULT_RULES, "does not match"),
    (N, T, "9-3=6; 6*4=24, 9-3=6", DEFAULT_RULES, "more often"),
    (N, T, "9-3=6, then 4*6=24", DEFAULT_RULES, "ambiguous"),  # prose between steps: not a step list
    (N, T, "<answer>(9-3)*4</answer> no wait <answer>9*3-4</answer>", DEFAULT_RULES, "ambiguous"),
    (N, T, "9-3=6 and 4*6=24\n24=24", DEFAULT_RULES, "several steps"),
    (N, T, "9-3=6\n(9-3)*4=24", DEFAULT_RULES, "not a step"),
    (N, T, "9-3=6\nStep 2: 1+4*6=24", DEFAULT_RULES, "extra arithmetic"),
    (N, T, "9" * (MAX_NUMBER_DIGITS + 1) + "-3", DEFAULT_RULES, "absurd"),
    (N, T, "(" * (MAX_DEPTH + 5) + "9" + ")" * (MAX_DEPTH + 5), DEFAULT_RULES, "absurd"),
    (N, T, "+".join(["1"] * (MAX_STEPS + 2)), DEFAULT_RULES, "absurd"),
    (N, T, "\n".join(["1+1=2"] * (MAX_STEPS + 1)), DEFAULT_RULES, "absurd"),
    (N, T, "x" * (MAX_ANSWER_CHARS + 1), DEFAULT_RULES, "absurd"),
    # Trace summary paths: only the Exploring Operation lines count, and they must be right.
    (N, T, TRACE.replace("4*6=24, Resulting", "4*6=25, Resulting"), DEFAULT_RULES, "does not match"),
    (N, T, TRACE.replace("9-3=6, Resulting", "9-3 6, Resulting"), DEFAULT_RULES, "trace line"),
    (N, T, TRACE.replace(", Resulting Numbers: [24]", ""), DEFAULT_RULES, "malformed trace"),
    # Public-verifier bug 1: ints were compared with strings, so a reused number slipped through.
    ([1, 5, 20], 100, "5*20*1*1", DEFAULT_RULES, "more often"),
    ([1, 5, 20], 100, "(20+5)*(5-1)", DEFAULT_RULES, "more often"),
    # Public-verifier bug 2: `**` was accepted.
    ([2, 10, 1], 100, "10**2*1", DEFAULT_RULES, "exponent"),
    ([2, 10, 1], 100, "10^2*1", DEFAULT_RULES, "exponent"),
]


@pytest.mark.parametrize("nums,target,answer,rules,keyword", REJECTED)
def test_rejected_with_reason(nums: list[int], target: int, answer: str, rules: Rules, keyword: str) -> None:
    verdict = verify_answer(target, nums, answer, rules)
    assert not verdict.correct
    assert keyword in verdict.reason, verdict.reason


def test_trace_ignores_the_equations_of_state_and_node_lines() -> None:
    # A Generated Node line with a bogus equation does not count as a step.
    noisy = TRACE.replace("Generated Node #0,0: 24:[4, 6] Operation: 9-3=6", "Generated Node #0,0: 9*9=81")
    assert verify_answer(T, N, noisy).correct
    assert parse_steps(TRACE) == [Step(9, "-", 3, 6), Step(4, "*", 6, 24)]


def test_variants_change_the_verdict() -> None:
    assert not verify_answer(12, [5, 7, 90], "5+7").correct  # default: every number exactly once
    assert verify_answer(12, [5, 7, 90], "5+7", SUBSET).correct
    assert not verify_answer(-24, [3, 9, 4], "(3-9)*4").correct
    assert verify_answer(-24, [3, 9, 4], "(3-9)*4", NEG).correct
    # Even with negatives allowed, a leading minus is unary and refused.
    assert "unary" in verify_answer(24, [3, 9, 4], "-3+9*4-9", NEG).reason


def test_parse_expression_precedence_and_associativity() -> None:
    assert parse_expression("9-3*4") == BinOp("-", Num(9), BinOp("*", Num(3), Num(4)))
    assert parse_expression("9-3-2") == BinOp("-", BinOp("-", Num(9), Num(3)), Num(2))
    assert parse_expression("8/4/2") == BinOp("/", BinOp("/", Num(8), Num(4)), Num(2))
    assert parse_expression("The answer is (9-3)*4 = 24.") == BinOp("*", BinOp("-", Num(9), Num(3)), Num(4))


@pytest.mark.parametrize("text", ["", "hello", "4**2", "(9-3", "-4", "9 3", "1+", "(9-3)*4 or 9*3-4"])
def test_parse_expression_raises_answer_error(text: str) -> None:
    with pytest.raises(AnswerError):
        parse_expression(text)
    assert issubclass(AnswerError, ValueError)


@pytest.mark.parametrize("text", ["", "no steps here", "9-3=6\nfoo=bar", "9^2=81\n81-1=80"])
def test_parse_steps_raises_answer_error(text: str) -> None:
    with pytest.raises(AnswerError):
        parse_steps(text)


def test_normalized_only_when_parsed_and_kept_for_wrong_answers() -> None:
    assert verify_answer(T, N, "garbage").normalized is None
    assert verify_answer(T, N, "4**2+8").normalized is None
    wrong = [verify_answer(T, N, a) for a in ("9*3-4", "(9-3)*4*4", "9-3=6\n4*7=28", "8/3*4")]
    assert all(not v.correct and v.normalized is not None for v in wrong)


def test_commutative_forms_share_a_normal_form() -> None:
    same = ["(1+2)+3", "3+(2+1)", "1+2=3\n3+3=6", "2+3+1"]
    assert len({verify_answer(6, [1, 2, 3], a).normalized for a in same}) == 1
    assert verify_answer(T, N, "9-3").normalized != verify_answer(T, N, "3-9", NEG).normalized


@pytest.mark.parametrize(
    "wrong",
    [
        "(9-3)*4 = 25",  # a false claim about the right computation
        "9-3=7\n4*7=28",
        "1+1=2\n9-3=6\n4*6=24",  # a dangling extra step
        "9-3=6\n4*6=24\n1+1=2",
    ],
)
def test_wrong_answers_never_share_the_normal_form_of_a_right_one(wrong: str) -> None:
    # Majority voting returns one answer per normal form, so equal forms must mean equal verdicts.
    verdict = verify_answer(T, N, wrong)
    assert not verdict.correct
    assert verdict.normalized is not None
    assert verdict.normalized != SOLUTION_NORMAL_FORM


# -- properties ----------------------------------------------------------------------------------------------


@st.composite
def solved_instances(draw: st.DrawFn) -> tuple[list[int], int, list[str]]:
    """Random 3-4 numbers in 1..30, a target the solver reaches, and the solver's steps."""
    nums = draw(st.lists(st.integers(1, 30), min_size=3, max_size=4))
    target = draw(st.sampled_from(sorted(reachable(tuple(sorted(nums))))))
    steps = solve(target, nums)
    assert steps is not None
    return nums, target, steps


def _split(step: str) -> tuple[int, str, int, int]:
    lhs, rhs = step.split("=")
    op = next(c for c in "+-*/" if c in lhs[1:])
    a, b = lhs[: lhs.index(op, 1)], lhs[lhs.index(op, 1) + 1 :]
    return int(a), op, int(b), int(rhs)


GLYPHS = {"+": ["+"], "-": ["-", "−", "–"], "*": ["*", "×", "·"], "/": ["/", "÷"]}


def _expression(
    steps: list[str], nums: list[int], rng: random.Random | None = None, swap_leaf: int | None = None
) -> str:
    """Fold a step list into one fully parenthesised expression.

    An operand that is both an earlier result and a given number is read as the latest earlier result (the
    verifier's documented convention). With ``rng``, spacing and operator glyphs vary. With ``swap_leaf``,
    the leaf of that index (in order of use) is replaced by a number neither given nor computed.
    """
    results: dict[int, list[str]] = {}
    leaves = 0
    unknown = max([*nums, *(abs(_split(s)[3]) for s in steps)]) + 1

    def operand(n: int) -> str:
        nonlocal leaves
        if results.get(n):
            return results[n].pop()
        leaves += 1
        return str(unknown if leaves - 1 == swap_leaf else n)

    for step in steps:
        a, op, b, c = _split(step)
        ea, eb = operand(a), operand(b)
        if rng is None:
            text = f"({ea}{op}{eb})"
        else:
            pad = rng.choice(["", " ", "  "])
            text = f"({ea}{pad}{rng.choice(GLYPHS[op])}{pad}{eb})"
        results.setdefault(c, []).append(text)
    (final,) = [e for exprs in results.values() for e in exprs]
    return final


fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(solved_instances(), st.randoms(use_true_random=False))
def test_solver_answers_verify_in_every_form_with_one_normal_form(instance, rng: random.Random) -> None:
    nums, target, steps = instance
    as_steps = verify_answer(target, nums, "\n".join(steps))
    as_expr = verify_answer(target, nums, _expression(steps, nums))
    wrapped = f"Answer: <answer>{_expression(steps, nums, rng)} = {target}</answer>."
    as_pretty = verify_answer(target, nums, wrapped)
    for verdict in (as_steps, as_expr, as_pretty):
        assert verdict.correct, verdict.reason
    assert as_steps.normalized == as_expr.normalized == as_pretty.normalized


@fast
@given(solved_instances(), st.randoms(use_true_random=False))
def test_perturbed_step_lists_fail(instance, rng: random.Random) -> None:
    nums, target, steps = instance
    i = rng.randrange(len(steps))
    a, op, b, c = _split(steps[i])
    if rng.random() < 0.5:
        steps[i] = f"{a}{op}{b}={c + rng.randint(1, 9)}"
        keyword = "does not match"
    else:
        unknown = max([*nums, *(abs(_split(s)[3]) for s in steps)]) + rng.randint(1, 50)
        steps[i] = f"{unknown}{op}{b}={c}" if rng.random() < 0.5 else f"{a}{op}{unknown}={c}"
        keyword = "unknown"
    verdict = verify_answer(target, nums, "\n".join(steps))
    assert not verdict.correct
    assert keyword in verdict.reason, verdict.reason
    assert verdict.normalized is not None


@fast
@given(solved_instances(), st.data())
def test_expression_with_an_unknown_number_fails(instance, data: st.DataObject) -> None:
    nums, target, steps = instance
    leaf = data.draw(st.integers(0, len(steps)))  # n steps combine n + 1 leaves
    verdict = verify_answer(target, nums, _expression(steps, nums, swap_leaf=leaf))
    assert not verdict.correct
    assert "unknown" in verdict.reason, verdict.reason


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    verdict = verify_answer(T, N, text)
    assert isinstance(verdict.correct, bool) and verdict.reason


MUTATION_CHARS = "()+-*/=^.,9 0\n×−<>x:*"


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ACCEPTED_SOLUTION),
    edit_lists(st.sampled_from(MUTATION_CHARS), max_size=5),
)
def test_mutated_answers_never_raise_and_keep_forms_honest(answer: str, edits) -> None:
    mutant = apply_edits(answer, edits)
    verdict = verify_answer(T, N, mutant)
    assert isinstance(verdict.correct, bool) and verdict.reason
    # A mutant that votes with the right answer must be right (see the normal-form contract).
    if verdict.normalized == SOLUTION_NORMAL_FORM:
        assert verdict.correct, (mutant, verdict)
