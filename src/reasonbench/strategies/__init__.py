"""Reasoning strategies: short async programs over the metered engine, registered by name."""

from reasonbench.strategies import (  # noqa: F401  (registration)
    apr,
    backtrack,
    bon,
    cot,
    deepconf,
    delethink,
    esc,
    ffs,
    sc,
    short_m,
)
from reasonbench.strategies.base import (
    STRATEGIES,
    Attempt,
    Candidate,
    Context,
    check_choice,
    check_range,
    check_sampling,
    strategy,
)

__all__ = [
    "STRATEGIES",
    "Attempt",
    "Candidate",
    "Context",
    "check_choice",
    "check_range",
    "check_sampling",
    "strategy",
]
