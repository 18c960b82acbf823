"""The strict Countdown verifier: parse the answer (never evaluate it as code) and say why it is wrong.

An answer is model output, i.e. hostile text. It is read by a small tokenizer and a recursive-descent parser
(no ``eval``, no ``ast``), every size is bounded (see the ``MAX_*`` constants), and :func:`verify_answer`
never raises: a malformed answer is a wrong answer with a reason.

Clean-up before reading
-----------------------
* The content of ``<answer>...</answer>`` is read when such tags exist (several tags with different
  contents are ambiguous and rejected).
* ``×`` ``∗`` ``·`` ``⋅`` and LaTeX ``\\times`` ``\\cdot`` read as ``*``; ``÷`` ``∕`` and ``\\div`` as ``/``;
  ``−`` (U+2212) ``–`` ``—`` as ``-``. ``$`` signs and Markdown bold (``**Answer:**``) are dropped; a ``**``
  *between two operands* (``4**2``) is kept, so it is rejected as an exponent.
* Only ASCII digits are numbers (``int()`` would also accept ``٣``; here it is just prose).

Accepted forms
--------------
1. **One expression** over non-negative integers with ``+ - * /`` and parentheses, usual precedence,
   left-associative, optionally followed by ``= n``: ``(9-3)*4``, ``4 * (9 - 3)=24``,
   ``Answer: (9-3)*4.``, ``The answer is (9-3)*4.`` Prose around it is ignored when it holds exactly one
   arithmetic run (a line segment of digits, operators, parentheses and ``=``); runs that hold an operator
   win over bare numbers (``I used 4, 9 and 3: (9-3)*4``), identical duplicates count once, anything else
   is ambiguous. A stated ``= n`` must equal the computed value (and so the target).
2. **A step list** (chosen when two or more lines contain ``=``): every line with ``=`` must hold exactly one
   step ``a op b = c`` (prose around it is fine: ``Step 1: 9 - 3 = 6.``, ``1. 9-3=6``, ``- 9-3=6``; more
   arithmetic next to it is not); lines without ``=`` are ignored. Operands and results may carry a sign
   (``3-9=-6`` then ``-6*4=-24``), which only matters when negative numbers are allowed.
3. **A search trace's summary path** (chosen when the text holds ``Exploring Operation:``): the steps are
   read from the ``Exploring Operation: <step>, Resulting Numbers: [...]`` lines only, every such line must
   be well formed, and ``Current State`` / ``Generated Node`` lines (which repeat equations) are ignored.

Checks, in order of evaluation (left to right; the first failure is the reason)
--------------------------------------------------------------------------------
* Each number is taken from a multiset of integers (never strings): the given numbers plus, in a step list,
  the earlier results. A number not given and not an earlier result is *unknown* (so digit concatenation
  such as ``93`` from ``9`` and ``3`` is an unknown number); one available fewer times than used is used
  *more often than given*.
* Each binary operation is a step checked by :func:`reasonbench.tasks.countdown.rules.apply`: the operation
  must be in ``Rules.ops``, division must be exact and not by zero, results below zero need
  ``Rules.allow_negative``, and magnitudes above ``Rules.max_value`` are rejected.
* A step's stated result must equal its exact value.
* ``Rules.use_all=True`` (default): every given number is used exactly once and a step list leaves no
  unused result behind. ``use_all=False``: each number at most once.
* The final value (the value of the expression, the last step's result) must equal the target.

Rejected as malformed: exponents (``**``, ``^``), unary minus or plus (``-4+28``, ``(-3+9)*4``), decimal
points (``1.5``), numbers with a leading zero (``09``), two operands with no operator between them
(``9 3``, ``(9-3)4``), unbalanced parentheses, more than one ``=``, a right-hand side that is not a single
number, and answers beyond the ``MAX_*`` bounds. A fraction such as ``1/2`` is simply a division and
fails as inexact.

Normal form (for majority voting)
---------------------------------
``normalized`` is set whenever the answer parsed, right or wrong. It renders the computation as an
expression whose ``+`` and ``*`` chains are flattened and their operands sorted, so ``(9-3)*4``,
``4*(9-3) = 24`` and the step list ``9-3=6 / 4*6=24`` all give ``(9-3)*4``. Anything that can make an
answer wrong but is not visible in that expression is kept in the form as well: a stated result that the
arithmetic does not confirm is shown as ``[9-3=7]``, and step results never used later are appended after
``" ; "``. So two answers with the same normal form get the same verdict (up to the magnitude bound, which
re-association can change), and a vote can never pick a wrong answer as the representative of a right one.
When a value is both a given number and an earlier result, a step list is read as using the latest earlier
result; this only affects the normal form, never the verdict.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from reasonbench.tasks.base import Verdict
from reasonbench.tasks.countdown.rules import DEFAULT_RULES, STEP, STEP_PATTERN, Rules, apply

MAX_ANSWER_CHARS = 4_000
"""Longer answers are rejected unread (a Countdown answer is a few dozen characters)."""
MAX_NUMBER_DIGITS = 12
"""Longer numbers are rejected before ``int()`` (``Rules.max_value`` is 10**12 by default)."""
MAX_TOKENS = 256
"""Tokens of one expression; a six-number expression needs about 25."""
MAX_DEPTH = 32
"""Parenthesis nesting; keeps the recursive-descent parser far from Python's recursion limit."""
MAX_STEPS = 64
"""Steps of a step list, and binary operations of an expression (each one is a step)."""

_TRACE_MARK = "Exploring Operation:"

_REPLACEMENTS = (("\\times", "*"), ("\\cdot", "*"), ("\\div", "/"), ("$", " "))
_UNICODE = str.maketrans(
    {"×": "*", "∗": "*", "·": "*", "⋅": "*", "÷": "/", "∕": "/", "−": "-", "–": "-", "—": "-"}
)
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_HSPACE = re.compile(r"[^\S\n]")
_BOLD = re.compile(r"(?<!\*)\*\*(?!\*)")
_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=[0-9])")  # "GPT-4": a hyphen, not a minus
_DECIMAL = re.compile(r"[0-9]\.[0-9]")
_RUN = re.compile(r"[0-9 +\-*/()=^]+")
_TOKEN = re.compile(r" *(?:([0-9]+)|(\*\*|[-+*/()=^]))")
# The look-behind lets a match start only at the first digit of a number (linear time on digit runs).
_STEP_IN_LINE = re.compile(r"(?<![0-9])" + STEP_PATTERN)
_STEP_SEPARATOR = re.compile(r"(?<=[0-9]) *[,;] *(?=-?[0-9])")
_TRACE_STEP = re.compile(re.escape(_TRACE_MARK) + r"([^,\n]*), Resulting Numbers:")
_BULLETS = frozenset("-*+•")


class AnswerError(ValueError):
    """The answer cannot be read or is wrong; the message is the reason a verdict reports."""


@dataclass(frozen=True)
class Num:
    """A number leaf of an expression."""

    value: int


@dataclass(frozen=True)
class BinOp:
    """A binary operation ``left op right`` (``op`` is one of ``+ - * /``)."""

    op: str
    left: Expr
    right: Expr


Expr = Num | BinOp


@dataclass(frozen=True)
class Step:
    """One step ``left op right = result`` of a step list (``result`` is the stated one)."""

    left: int
    op: str
    right: int
    result: int


@dataclass(frozen=True)
class _Claim:
    """Normal-form node only: a computation whose stated result the arithmetic does not confirm."""

    expr: Expr | _Claim
    stated: int


_Node = Num | BinOp | _Claim


# -- clean-up ------------------------------------------------------------------------------------------------


def _prepare(text: str) -> str:
    """Bound the size, pick the ``<answer>`` content, and map operator spellings to ASCII."""
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(f"answer longer than {MAX_ANSWER_CHARS} characters (absurd size)")
    tagged = _ANSWER_TAG.findall(text)
    if tagged:
        contents = {t.strip() for t in tagged} - {""}
        if len(contents) > 1:
            raise AnswerError(f"several different <answer> tags ({len(contents)}): ambiguous")
        if not contents:
            raise AnswerError("empty <answer> tag")
        text = contents.pop()
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    # Every line break str.splitlines knows (\r, \x85, \u2028, ...) separates steps; other spaces are spaces.
    text = _HSPACE.sub(" ", "\n".join(text.translate(_UNICODE).splitlines()))
    text = _HYPHEN.sub(" ", text)
    return _BOLD.sub(lambda m: _bold_or_power(text, m.start(), m.end()), text)


def _bold_or_power(text: str, start: int, end: int) -> str:
    """``**`` between two operands is an exponent (kept, to be rejected by name); elsewhere it is Markdown."""
    i = start - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    j = end
    while j < len(text) and text[j] == " ":
        j += 1
    between = i >= 0 and j < len(text) and text[i] in "0123456789)" and text[j] in "0123456789("
    return "**" if between else " "


def _int(digits: str) -> int:
    sign, body = ("-", digits[1:]) if digits.startswith("-") else ("", digits)
    if len(body) > MAX_NUMBER_DIGITS:
        raise AnswerError(f"number with more than {MAX_NUMBER_DIGITS} digits (absurd size)")
    if len(body) > 1 and body[0] == "0":
        raise AnswerError(f"number {digits} has a leading zero")
    return int(sign + body)


# -- step lists ----------------------------------------------------------------------------------------------


def _step_lines(text: str) -> list[str]:
    """The lines with '=', a line of several steps separated by commas or semicolons split into one per step
    (public data sets store solutions as ``61-42=19, 66-19=47``)."""
    out: list[str] = []
    for line in text.splitlines():
        if "=" not in line:
            continue
        parts = _STEP_SEPARATOR.split(line)
        if len(parts) > 1 and all(len(_STEP_IN_LINE.findall(p)) == 1 for p in parts):
            out.extend(parts)
        else:
            out.append(line)
    return out


def _is_step_list(text: str) -> bool:
    # One step is read as an expression: a one-step answer '9-3=6' means the same either way.
    return _TRACE_MARK in text or len(_step_lines(text)) >= 2


def _step_from_line(line: str) -> Step:
    shown = repr(line.strip()[:60])
    if "**" in line or "^" in line:
        raise AnswerError(f"exponent (** or ^) is not an allowed operation: {shown}")
    if _DECIMAL.search(line):
        raise AnswerError(f"decimal numbers are not allowed: {shown}")
    found = list(_STEP_IN_LINE.finditer(line))
    if not found:
        raise AnswerError(f"line {shown} is not a step of the form 'a op b = c'")
    if len(found) > 1:
        raise AnswerError(f"line {shown} holds several steps; write one step per line")
    m = found[0]
    before, after = line[: m.start()].strip(), line[m.end() :].strip()
    # Prose around a step is fine; arithmetic next to it means the step is not what the line computes.
    if before and before not in _BULLETS and before[-1] in "0123456789(+-*/=^":
        raise AnswerError(f"line {shown} has extra arithmetic before its step")
    if after and after[0] in "0123456789(+-*/=^":
        raise AnswerError(f"line {shown} has extra arithmetic after its step")
    return Step(_int(m.group(1)), m.group(2), _int(m.group(3)), _int(m.group(4)))


def _trace_step(line: str) -> Step:
    shown = repr(line.strip()[:60])
    m = _TRACE_STEP.search(line)
    if m is None:
        raise AnswerError(f"malformed trace line {shown}")
    body = m.group(1)
    if "**" in body or "^" in body:
        raise AnswerError(f"exponent (** or ^) is not an allowed operation: {shown}")
    step = STEP.fullmatch(body.strip(" "))
    if step is None:
        raise AnswerError(f"trace line {shown} does not explore one step 'a op b = c'")
    return Step(_int(step.group(1)), step.group(2), _int(step.group(3)), _int(step.group(4)))


def _steps(text: str) -> list[Step]:
    if _TRACE_MARK in text:
        lines, read = [ln for ln in text.splitlines() if _TRACE_MARK in ln], _trace_step
    else:
        lines, read = _step_lines(text), _step_from_line
    if len(lines) > MAX_STEPS:
        raise AnswerError(f"more than {MAX_STEPS} steps (absurd size)")
    steps = [read(line) for line in lines]
    if not steps:
        raise AnswerError("no steps found")
    return steps


def parse_steps(text: str) -> list[Step]:
    """The steps of a step list, or of a search trace's summary path (``Exploring Operation:`` lines).

    Raises :class:`AnswerError` when a line with ``=`` (or an ``Exploring Operation`` line) is not exactly
    one step, when there are no steps, or beyond the size bounds. Only syntax is checked here.
    """
    return _steps(_prepare(text))


# -- expressions ---------------------------------------------------------------------------------------------


def _candidate_run(text: str) -> str:
    """The one arithmetic run in ``text``; prose around it is ignored, several different runs are not."""
    if _DECIMAL.search(text):
        raise AnswerError("decimal numbers are not allowed")
    runs = [r.strip() for line in text.splitlines() for r in _RUN.findall(line)]
    runs = [r for r in runs if any(c.isdigit() for c in r)]
    if not runs:
        raise AnswerError("no arithmetic expression found")
    with_ops = [r for r in runs if any(c in "+-*/^" for c in r)]
    candidates = {"".join(r.split()): r for r in (with_ops or runs)}
    if len(candidates) > 1:
        raise AnswerError(f"several candidate expressions ({len(candidates)}): ambiguous")
    return next(iter(candidates.values()))


def _tokens(run: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(run):
        m = _TOKEN.match(run, pos)
        if m is None:  # only trailing spaces can be left: the run holds nothing else
            break
        out.append(m.group(1) or m.group(2))
        pos = m.end()
        if len(out) > MAX_TOKENS:
            raise AnswerError(f"more than {MAX_TOKENS} tokens (absurd size)")
    if "**" in out or "^" in out:
        raise AnswerError("exponent (** or ^) is not an allowed operation")
    if sum(t in ("+", "-", "*", "/") for t in out) > MAX_STEPS:
        raise AnswerError(f"more than {MAX_STEPS} operations (absurd size)")
    return out


class _Parser:
    """claim := expr ['=' ['-'] NUMBER] ; expr := term (('+'|'-') term)* ;
    term := atom (('*'|'/') atom)* ; atom := NUMBER | '(' expr ')'"""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def claim(self) -> tuple[Expr, int | None]:
        tree = self.expr(0)
        stated = None
        if self.peek() == "=":
            self.take()
            sign = self.take() if self.peek() == "-" else ""
            tok = self.peek()
            if tok is None or not tok.isdigit():
                raise AnswerError("the right-hand side of '=' must be a single number")
            stated = _int(sign + self.take())
        tok = self.peek()
        if tok == "=":
            raise AnswerError("more than one '='")
        if tok == ")":
            raise AnswerError("unbalanced parentheses: ')' without '('")
        if tok is not None:
            raise AnswerError(f"unexpected {tok!r} after the expression")
        return tree, stated

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
            # '9 3' or '(9-3)4': implicit multiplication and digit concatenation are both refused.
            raise AnswerError("two operands with no operator between them (digit concatenation?)")
        return node

    def atom(self, depth: int) -> Expr:
        tok = self.peek()
        if tok is None:
            raise AnswerError("expression ends too early")
        if tok == "(":
            if depth >= MAX_DEPTH:
                raise AnswerError(f"parentheses nested deeper than {MAX_DEPTH} (absurd size)")
            self.take()
            node = self.expr(depth + 1)
            if self.peek() != ")":
                raise AnswerError("unbalanced parentheses: '(' without ')'")
            self.take()
            return node
        if tok in ("-", "+"):
            raise AnswerError(f"unary {'minus' if tok == '-' else 'plus'} is not allowed")
        if tok.isdigit():
            return Num(_int(self.take()))
        raise AnswerError(f"unexpected {tok!r} where a number or '(' belongs")


def _claim(text: str) -> tuple[Expr, int | None]:
    return _Parser(_tokens(_candidate_run(text))).claim()


def parse_claim(text: str) -> tuple[Expr, int | None]:
    """The one expression in ``text`` and its stated value (``... = 24``), or ``None`` when none is stated.

    Raises :class:`AnswerError` on malformed or ambiguous text. Only syntax is checked here.
    """
    return _claim(_prepare(text))


def parse_expression(text: str) -> Expr:
    """The one expression in ``text`` (prose, tags and a trailing ``= n`` allowed; see :func:`parse_claim`).

    Raises :class:`AnswerError` on malformed or ambiguous text. Only syntax is checked here.
    """
    return parse_claim(text)[0]


# -- normal form ---------------------------------------------------------------------------------------------


def _render(node: _Node, top: bool = False) -> str:
    if isinstance(node, Num):
        return str(node.value)
    if isinstance(node, _Claim):
        return f"[{_render(node.expr, top=True)}={node.stated}]"
    if node.op in ("+", "*"):
        parts: list[str] = []
        stack: list[_Node] = [node]
        while stack:  # flatten the chain of this operator (iteratively: chains can be long)
            n = stack.pop()
            if isinstance(n, BinOp) and n.op == node.op:
                stack += [n.left, n.right]
            else:
                parts.append(_render(n))
        body = node.op.join(sorted(parts))
    else:
        body = f"{_render(node.left)}{node.op}{_render(node.right)}"
    return body if top else f"({body})"


def canonical(expr: Expr) -> str:
    """The normal form of an expression: ``+``/``*`` chains flattened and sorted, ``(9-3)*4``."""
    return _render(expr, top=True)


def _claimed(tree: _Node, stated: int | None, value: int | None) -> _Node:
    return tree if stated is None or stated == value else _Claim(tree, stated)


def _steps_normal_form(steps: list[Step], rules: Rules) -> str:
    """The computation of a step list as one normal form; dangling results and unconfirmed claims show."""
    results: dict[int, list[_Node]] = {}
    roots: list[_Node] = []
    for s in steps:
        operands: list[Expr] = []
        for n in (s.left, s.right):
            earlier = results.get(n)
            if earlier:
                tree = earlier.pop()
                roots.remove(tree)
                operands.append(cast(Expr, tree))  # a _Claim inside a BinOp is only ever rendered
            else:
                operands.append(Num(n))
        node = _claimed(BinOp(s.op, *operands), s.result, apply(s.left, s.op, s.right, rules))
        results.setdefault(s.result, []).append(node)
        roots.append(node)
    final, dangling = roots[-1], sorted(_render(r, top=True) for r in roots[:-1])
    return " ; ".join([_render(final, top=True), *dangling])


# -- checking ------------------------------------------------------------------------------------------------


def _why_not(a: int, op: str, b: int, rules: Rules) -> str:
    """The reason :func:`apply` refused ``a op b``."""
    if op not in rules.ops:
        return f"operation {op!r} is not allowed by the rules"
    if op == "/":
        return "division by zero" if b == 0 else f"inexact division {a}/{b}"
    if op == "-" and a - b < 0 and not rules.allow_negative:
        return f"negative result {a}-{b}={a - b} is not allowed"
    return f"result of {a}{op}{b} exceeds the magnitude bound {rules.max_value}"


def _take(pool: Counter[int], given: Counter[int], n: int, rules: Rules) -> None:
    if n < 0 and not rules.allow_negative:
        raise AnswerError(f"negative number {n} is not allowed")
    if pool[n] > 0:
        pool[n] -= 1
    elif n in given:
        raise AnswerError(f"number {n} used more often than given")
    else:
        raise AnswerError(f"unknown number {n}: not given and not an earlier result")


def _step(a: int, op: str, b: int, rules: Rules) -> int:
    value = apply(a, op, b, rules)
    if value is None:
        raise AnswerError(_why_not(a, op, b, rules))
    return value


def _evaluate(tree: Expr, given: Counter[int], pool: Counter[int], rules: Rules) -> int:
    if isinstance(tree, Num):
        _take(pool, given, tree.value, rules)
        return tree.value
    a = _evaluate(tree.left, given, pool, rules)
    b = _evaluate(tree.right, given, pool, rules)
    return _step(a, tree.op, b, rules)


def _check_usage(pool: Counter[int], rules: Rules) -> None:
    if rules.use_all:
        left = sorted(pool.elements())
        if left:
            raise AnswerError(f"not every number is used: {left} left over")


def _check_steps(steps: list[Step], given: Counter[int], rules: Rules) -> int:
    pool = Counter(given)
    value = 0
    for s in steps:
        _take(pool, given, s.left, rules)
        _take(pool, given, s.right, rules)
        value = _step(s.left, s.op, s.right, rules)
        if value != s.result:
            raise AnswerError(
                f"step {s.left}{s.op}{s.right}={s.result}: stated result {s.result} does not match the "
                f"computed value {value}"
            )
        pool[value] += 1
    pool[value] -= 1  # the final result is the answer; anything else left was never used
    _check_usage(pool, rules)
    return value


def _check_expression(tree: Expr, stated: int | None, given: Counter[int], rules: Rules) -> int:
    pool = Counter(given)
    value = _evaluate(tree, given, pool, rules)
    if stated is not None and stated != value:
        raise AnswerError(f"stated result {stated} does not match the computed value {value}")
    _check_usage(pool, rules)
    return value


def _unchecked_value(tree: Expr, rules: Rules) -> int | None:
    """The value of ``tree`` under ``rules`` ignoring number usage, or ``None`` if a step is refused."""
    if isinstance(tree, Num):
        return tree.value
    a, b = _unchecked_value(tree.left, rules), _unchecked_value(tree.right, rules)
    return None if a is None or b is None else apply(a, tree.op, b, rules)


def verify_answer(target: int, nums: Sequence[int], answer: str, rules: Rules = DEFAULT_RULES) -> Verdict:
    """Strictly judge ``answer`` for the instance ``nums`` -> ``target`` under ``rules``; never raises.

    The accepted forms, the checks and the normal form are described in the module docstring. The verdict's
    ``reason`` is ``"ok"`` or the first problem found; ``normalized`` is set whenever the answer parsed.
    """
    if not isinstance(answer, str) or not answer.strip():
        return Verdict(False, "empty answer")
    given = Counter(int(n) for n in nums)
    normalized: str | None = None
    try:
        text = _prepare(answer)
        if _is_step_list(text):
            steps = _steps(text)
            normalized = _steps_normal_form(steps, rules)
            value = _check_steps(steps, given, rules)
        else:
            tree, stated = _claim(text)
            normalized = _render(_claimed(tree, stated, _unchecked_value(tree, rules)), top=True)
            value = _check_expression(tree, stated, given, rules)
        if value != target:
            raise AnswerError(f"result {value} is not the target {target}")
    except AnswerError as exc:
        return Verdict(False, str(exc), normalized)
    return Verdict(True, "ok", normalized)
