"""Backtracking search (Stream-of-Search / SoS+): one serial search trace that explores, fails, backtracks
and reports the path it found; optionally conditioned on a token budget (the task's ``budget_prefix``) as
APR's SoS+ models were."""

from __future__ import annotations

from dataclasses import dataclass

from reasonbench.strategies.base import Attempt, Context, check_range, check_sampling, strategy
from reasonbench.strategies.cot import serial
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class BacktrackParams:
    max_tokens: int = 4096
    """Longest search trace to decode."""
    token_budget: int | None = None
    """Prefix the prompt with the task's token-budget prefix (for models trained with it)."""
    temperature: float = 0.0
    """Sampling temperature; 0 is greedy (a trace model's default: its search is the exploration)."""

    def __post_init__(self) -> None:
        check_sampling(self)
        check_range(self, "token_budget", 1)


@strategy("backtrack", params=BacktrackParams)
async def backtrack(problem: Problem, params: BacktrackParams, ctx: Context) -> Attempt:
    """Search serially, backtracking in the trace, until the goal or the end of the budget."""
    prefix = "" if params.token_budget is None else ctx.task.budget_prefix("tokens", params.token_budget)
    return await serial(problem, ctx, params.max_tokens, params.temperature, prefix)
