"""Countdown arithmetic: the rule set and the one-step moves every other module builds on.

The default rules are the Stream-of-Search / APR setting:

* operations ``+``, ``*``, ``-`` (larger minus smaller, so never negative) and ``/`` (exact division only);
* every given number is used exactly once, so a solution combines all of them into the target.

Variants are parameters of :class:`Rules` (each number *at most* once, negative intermediates allowed, a
subset of operations), so a verifier or solver for another rule set is the same code with other knobs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Op = Literal["+", "-", "*", "/"]
ALL_OPS: tuple[Op, ...] = ("+", "-", "*", "/")

STEP_PATTERN = r"(-?[0-9]+) *([-+*/]) *(-?[0-9]+) *= *(-?[0-9]+)"
"""A step ``a op b = c`` as text: left operand, operation, right operand, stated result (four groups).
:func:`combine` writes it without spaces (``9-3=6``); people and models may add some. Every reader of a
step (the verifier, the trace parsers, the direct-trace writer) uses this pattern."""
STEP = re.compile(STEP_PATTERN)

# Bounds that keep hostile input cheap: no intermediate above this magnitude is ever computed.
MAX_ABS_VALUE = 10**12


@dataclass(frozen=True)
class Rules:
    """A Countdown rule set.

    Attributes:
        ops: the allowed operations.
        use_all: ``True``: every given number must be used exactly once (the APR setting). ``False``: each
            number at most once (the TV-show setting).
        allow_negative: allow intermediate results below zero (``3-9=-6``). The default forbids them: a step
            is written larger-minus-smaller.
        max_value: reject any intermediate whose magnitude exceeds this (absurd sizes are wrong answers).
    """

    ops: tuple[Op, ...] = ALL_OPS
    use_all: bool = True
    allow_negative: bool = False
    max_value: int = MAX_ABS_VALUE

    def __post_init__(self) -> None:
        bad = [op for op in self.ops if op not in ALL_OPS]
        if bad or not self.ops:
            raise ValueError(f"ops must be a non-empty subset of {ALL_OPS}, got {self.ops!r}")
        if self.max_value < 1:
            raise ValueError(f"max_value must be >= 1, got {self.max_value}")


DEFAULT_RULES = Rules()


def apply(a: int, op: str, b: int, rules: Rules = DEFAULT_RULES) -> int | None:
    """Exact result of ``a op b`` under ``rules``, or ``None`` if the step is not allowed."""
    if op not in rules.ops:
        return None
    if op == "+":
        result = a + b
    elif op == "*":
        result = a * b
    elif op == "-":
        result = a - b
        if result < 0 and not rules.allow_negative:
            return None
    elif op == "/":
        if b == 0 or a % b != 0:
            return None
        result = a // b
    else:
        return None
    if abs(result) > rules.max_value:
        return None
    return result


def combine(a: int, b: int, rules: Rules = DEFAULT_RULES) -> list[tuple[int, str]]:
    """All results of combining the unordered pair ``a, b``, as ``(result, "x op y=z")``.

    The order and the text are those of the search traces: ``a+b``, ``a*b``, then larger-minus-smaller and
    larger-divided-by-smaller (only when exact; division by zero never). With ``allow_negative`` the
    reversed subtraction is added too.
    """
    hi, lo = (a, b) if a > b else (b, a)
    out: list[tuple[int, str]] = []
    candidates: list[tuple[int, str, int]] = [(a, "+", b), (a, "*", b), (hi, "-", lo)]
    if rules.allow_negative and hi != lo:
        candidates.append((lo, "-", hi))
    candidates.append((hi, "/", lo))
    for x, op, y in candidates:
        r = apply(x, op, y, rules)
        if r is not None:
            out.append((r, f"{x}{op}{y}={r}"))
    return out
