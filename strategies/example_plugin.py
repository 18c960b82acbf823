"""An out-of-tree strategy: greedy first, then sampled retries until an answer parses.

Use it without installing anything:

    reasonbench run --strategy strategies/example_plugin.py:retry -P retries=2 ...

or ship it in a package that declares the entry point ``[project.entry-points."reasonbench.strategies"]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonbench.strategies import Attempt, Context, check_range, check_sampling, strategy
from reasonbench.strategies.cot import serial
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class RetryParams:
    retries: int = 2
    """Sampled attempts after the greedy one."""
    max_tokens: int = 4096
    temperature: float = 0.8

    def __post_init__(self) -> None:
        check_range(self, "retries", 0)  # ValueError: "retries must be >= 0, got -1"
        check_sampling(self)  # max_tokens >= 1, temperature >= 0


@strategy("retry", params=RetryParams)
async def retry(problem: Problem, params: RetryParams, ctx: Context) -> Attempt:
    """Greedy once; while no answer parses and budget remains, sample again."""
    attempt = await serial(problem, ctx, params.max_tokens, 0.0)
    for _ in range(params.retries):
        if attempt.answer is not None or attempt.finish == "budget":
            break
        attempt = await serial(problem, ctx, params.max_tokens, params.temperature)
    return attempt
