"""Reasoning strategies: short async programs over the metered engine, registered by name."""

from reasonbench.strategies import apr, backtrack, bon, cot, sc  # noqa: F401  (registration)
from reasonbench.strategies.base import STRATEGIES, Attempt, Candidate, Context, strategy

__all__ = ["STRATEGIES", "Attempt", "Candidate", "Context", "strategy"]
