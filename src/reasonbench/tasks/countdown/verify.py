"""The strict Countdown verifier: parse the answer, never evaluate it, and say why it is wrong.

Accepted forms (after light clean-up: ``<answer>`` tags, Unicode ``×`` ``÷`` ``−`` ``–``, surrounding prose):

1. **One expression** over integers with ``+ - * /`` and parentheses, optionally ``= value``:
   ``(9-3)*4``, ``4 * (9 - 3) = 24``, ``The answer is (9-3)*4.`` Usual precedence, left-associative.
2. **A step list**, one step per line, ``a op b = c`` (prose around a step is ignored:
   ``Step 1: 9 - 3 = 6.``). Operands are given numbers or earlier results, each consumed once.
3. **A search trace's summary path**: when the text holds ``Exploring Operation: <step>, Resulting Numbers:``
   lines, the steps are read from those lines only (``Current State`` and ``Generated Node`` lines repeat
   equations and are ignored).

Every operation is checked with :func:`reasonbench.tasks.countdown.rules.apply` under a :class:`Rules`
(default: APR's): exact division only, no negative intermediate results, bounded magnitudes. The numbers used
form a multiset compared with the given one (as integers, never strings): a number used more often than
given, or not given at all (digit concatenation such as ``93`` from ``9`` and ``3`` is just that), is
wrong. With ``Rules.use_all`` every given number must be used exactly once; with ``use_all=False`` at most
once. The final value must equal the target, and a stated result (``= 24`` or a step's ``= c``) must equal
the computed one.

Rejected outright: exponents (``**``, ``^``), decimals and fractions that are not exact steps, unary minus,
two numbers with no operator between them, several competing expressions, and absurd sizes (see the
``MAX_*`` bounds). :func:`verify_answer` never raises; a malformed answer is a wrong answer with a reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from reasonbench.tasks.base import Verdict
from reasonbench.tasks.countdown.rules import DEFAULT_RULES, Rules, apply

MAX_ANSWER_CHARS = 4_000
"""Longer answers are not read (a Countdown answer is a few dozen characters)."""
MAX_NUMBER_DIGITS = 12
MAX_TOKENS = 256
MAX_DEPTH = 32
"""Parenthesis nesting bound: keeps the recursive-descent parser's stack small."""
MAX_STEPS = 64

_UNICODE = str.maketrans({"×": "*", "÷": "/", "−": "-", "–": "-", "—": "-", "⋅": "*", "·": "*"})
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_TRACE_STEP = re.compile(r"Exploring Operation: ([^,\n]{1,80}), Resulting Numbers:")
_STEP = re.compile(r"(?<![\d.])(\d{1,13})\s*([+\-*/])\s*(\d{1,13})\s*=\s*(\d{1,13})(?![\d.]\d)")
# A run of arithmetic characters inside prose; `^` and `.` are kept so that they can be rejected by name.
_ARITH_RUN = re.compile(r"[\d\s+\-*/()=^.]*\d[\d\s+\-*/()=^.]*")
_TOKEN = re.compile(r"\s*(?:(\d+)|(\*\*|[-+*/()^=]))")


class AnswerError(ValueError):
    """The answer text cannot be read; the message is the reason a verdict reports."""


@dataclass(frozen=True)
class Num:
    value: int


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


Expr = Num | BinOp


@dataclass(frozen=True)
class Step:
    """One line ``left op right = result`` of a step list."""

    left: int
    op: str
    right: int
    result: int


# -- reading -------------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(f"answer longer than {MAX_ANSWER_CHARS} characters (absurd size)")
    tags = _ANSWER_TAG.findall(text)
    if tags:
        text = tags[-1]
    return text.translate(_UNICODE)


def _int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_DIGITS:
        raise AnswerError(f"number with more than {MAX_NUMBER_DIGITS} digits (absurd size)")
    return int(digits)


def parse_steps(text: str) -> list[Step]:
    """Steps from a step list or a trace summary path; raises :class:`AnswerError` when there are none."""
    text = _clean(text)
    if "Exploring Operation:" in text:
        lines = _TRACE_STEP.findall(text)
    else:  # prose lines without '=' ("So the answer is 24.") are not steps
        lines = [ln for ln in text.splitlines() if "=" in ln]
    steps = []
    for line in lines:
        found = _STEP.findall(line)
        if len(found) != 1 or "**" in line or "^" in line:
            raise AnswerError(f"not one step 'a op b = c' per line: {line.strip()[:60]!r}")
        a, op, b, c = found[0]
        steps.append(Step(_int(a), op, _int(b), _int(c)))
        if len(steps) > MAX_STEPS:
            raise AnswerError(f"more than {MAX_STEPS} steps (absurd size)")
    if not steps:
        raise AnswerError("no steps found")
    return steps


def _tokens(text: str) -> list[str]:
    if "**" in text or "^" in text:
        raise AnswerError("exponent (** or ^) is not an allowed operation")
    if re.search(r"\d\s*[.,]\s*\d", text):
        raise AnswerError("decimal numbers are not allowed")
    out: list[str] = []
    pos = 0
    text = text.rstrip(" .,")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos:].strip() == "":
                break
            raise AnswerError(f"unexpected character {text[pos:].strip()[0]!r}")
        out.append(m.group(1) or m.group(2))
        pos = m.end()
        if len(out) > MAX_TOKENS:
            raise AnswerError(f"more than {MAX_TOKENS} tokens (absurd size)")
    return out


class _Parser:
    """expr := term (('+'|'-') term)* ; term := atom (('*'|'/') atom)* ; atom := NUMBER | '(' expr ')'"""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expr(self, depth: int) -> Expr:
        node = self.term(depth)
        while self.peek() in ("+", "-"):
            op = self.take()
            node = BinOp(op, node, self.term(depth))
        return node

    def term(self, depth: int) -> Expr:
        node = self.atom(depth)
        while self.peek() in ("*", "/"):
            op = self.take()
            node = BinOp(op, node, self.atom(depth))
        nxt = self.peek()
        if nxt is not None and (nxt.isdigit() or nxt == "("):
            raise AnswerError("two operands with no operator between them (digit concatenation)")
        return node

    def atom(self, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise AnswerError(f"parentheses nested deeper than {MAX_DEPTH} (absurd size)")
        tok = self.peek()
        if tok is None:
            raise AnswerError("expression ends too early")
        if tok == "(":
            self.take()
            node = self.expr(depth + 1)
            if self.peek() != ")":
                raise AnswerError("unbalanced parentheses")
            self.take()
            return node
        if tok == "-" or tok == "+":
            raise AnswerError("unary minus/plus is not allowed")
        if tok.isdigit():
            self.take()
            return Num(_int(tok))
        raise AnswerError(f"unexpected {tok!r}")


def parse_expression(text: str) -> tuple[Expr, int | None]:
    """An expression and its stated value (``... = 24``), from text that holds exactly one expression."""
    text = _clean(text)
    runs = [r.strip() for r in _ARITH_RUN.findall(text) if re.search(r"[-+*/^()]", r)]
    if not runs:
        raise AnswerError("no arithmetic expression found")
    if len(runs) > 1:
        raise AnswerError(f"several expressions found ({len(runs)}); which one is the answer is ambiguous")
    lhs, eq, rhs = runs[0].partition("=")
    if "=" in rhs:
        raise AnswerError("more than one '=' in the expression")
    parser = _Parser(_tokens(lhs))
    tree = parser.expr(0)
    if parser.peek() is not None:
        tok = parser.peek()
        raise AnswerError(
            "unbalanced parentheses" if tok == ")" else f"unexpected {tok!r} after the expression"
        )
    stated = None
    if eq:
        rhs_tokens = _tokens(rhs)
        if len(rhs_tokens) != 1 or not rhs_tokens[0].isdigit():
            raise AnswerError("the right-hand side of '=' must be a single number")
        stated = _int(rhs_tokens[0])
    return tree, stated


# -- checking ------------------------------------------------------------------------------------------------


def _why_not(a: int, op: str, b: int, rules: Rules) -> str:
    if op not in rules.ops:
        return f"operation {op!r} is not allowed"
    if op == "/":
        return "division by zero" if b == 0 else f"inexact division {a}/{b}"
    if op == "-" and a - b < 0 and not rules.allow_negative:
        return f"negative result {a}-{b}={a - b}"
    return f"result of {a}{op}{b} exceeds {rules.max_value} (absurd size)"


def _take(pool: Counter[int], given: Counter[int], n: int) -> None:
    if pool[n] > 0:
        pool[n] -= 1
        return
    if n in given:
        raise AnswerError(f"number {n} used more often than given")
    raise AnswerError(f"unknown number {n}: not given and not an earlier result")


def _canonical(tree: Expr) -> str:
    """Normal form: +/* chains flattened and their operands sorted, so one answer written differently
    votes as one."""
    if isinstance(tree, Num):
        return str(tree.value)
    if tree.op in "+*":
        parts: list[str] = []

        def flatten(node: Expr) -> None:
            if isinstance(node, BinOp) and node.op == tree.op:
                flatten(node.left)
                flatten(node.right)
            else:
                parts.append(_canonical(node))

        flatten(tree)
        return "(" + tree.op.join(sorted(parts)) + ")"
    return f"({_canonical(tree.left)}{tree.op}{_canonical(tree.right)})"


def _evaluate(tree: Expr, given: Counter[int], pool: Counter[int], rules: Rules) -> int:
    if isinstance(tree, Num):
        _take(pool, given, tree.value)
        return tree.value
    a = _evaluate(tree.left, given, pool, rules)
    b = _evaluate(tree.right, given, pool, rules)
    value = apply(a, tree.op, b, rules)
    if value is None:
        raise AnswerError(_why_not(a, tree.op, b, rules))
    return value


def _check_steps(steps: list[Step], given: Counter[int], rules: Rules) -> tuple[int, Expr]:
    pool: Counter[int] = Counter(given)
    trees: dict[int, list[Expr]] = {n: [Num(n)] * c for n, c in given.items()}
    value = 0
    tree: Expr = Num(0)
    for s in steps:
        _take(pool, given, s.left)
        _take(pool, given, s.right)
        value_or_none = apply(s.left, s.op, s.right, rules)
        if value_or_none is None:
            raise AnswerError(_why_not(s.left, s.op, s.right, rules))
        value = value_or_none
        if value != s.result:
            raise AnswerError(f"step {s.left}{s.op}{s.right}={s.result} is wrong: it makes {value}")
        tree = BinOp(s.op, trees[s.left].pop(0), trees[s.right].pop(0))
        trees.setdefault(value, []).append(tree)
        pool[value] += 1
    # What is left besides the final value was never used: given numbers or dangling results.
    pool[value] -= 1
    _check_usage(pool, rules)
    return value, tree


def _check_usage(pool: Counter[int], rules: Rules) -> None:
    if not rules.use_all:
        return
    unused = [n for n, c in pool.items() for _ in range(c) if c > 0]
    if unused:
        raise AnswerError(f"not every number is used: {sorted(unused)} left over")


def verify_answer(nums: Sequence[int], target: int, answer: str, rules: Rules = DEFAULT_RULES) -> Verdict:
    """Judge ``answer`` for the instance (``nums``, ``target``) under ``rules``; never raises."""
    if not isinstance(answer, str) or not answer.strip():
        return Verdict(False, "empty answer")
    given = Counter(int(n) for n in nums)
    tree: Expr | None = None
    try:
        text = _clean(answer)
        stepwise = "Exploring Operation:" in text or _looks_like_steps(text)
        if stepwise:
            value, tree = _check_steps(parse_steps(text), given, rules)
            stated = None
        else:
            tree, stated = parse_expression(text)
            pool: Counter[int] = Counter(given)
            value = _evaluate(tree, given, pool, rules)
            _check_usage(pool, rules)
    except AnswerError as exc:
        # A parsed but wrong expression still has a normal form, so wrong answers can be counted in votes.
        return Verdict(False, str(exc), None if tree is None else _canonical(tree))
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps the parser far from the limit
        return Verdict(False, "expression too deep (absurd size)")
    normalized = _canonical(tree)
    if stated is not None and stated != value:
        return Verdict(False, f"stated result {stated} does not match the computed value {value}", normalized)
    if value != target:
        return Verdict(False, f"result {value} is not the target {target}", normalized)
    return Verdict(True, "ok", normalized)


def _looks_like_steps(text: str) -> bool:
    """Two or more lines with ``=`` make a step list; a single line is read as an expression (a one-step
    answer ``9-3=6`` means the same either way)."""
    return sum(1 for ln in text.splitlines() if "=" in ln) >= 2
