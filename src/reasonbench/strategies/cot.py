"""Chain of thought: one serial sample; for the shipped trace models the search trace is the chain."""

from __future__ import annotations

from dataclasses import dataclass

from reasonbench.engine.types import GenRequest
from reasonbench.meter import BudgetExhausted
from reasonbench.strategies.base import Attempt, Context, check_sampling, finish_of, strategy
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class CoTParams:
    max_tokens: int = 4096
    """Longest chain to decode (the budget may cut it shorter)."""
    temperature: float = 0.0
    """0 is greedy."""

    def __post_init__(self) -> None:
        check_sampling(self)


async def serial(
    problem: Problem, ctx: Context, max_tokens: int, temperature: float, prefix: str = ""
) -> Attempt:
    """One thread from the profile's prompt to the end of the model's output."""
    prompt = ctx.profile.prompt(ctx.task, problem, prefix)
    thread = ctx.meter.thread()
    request = GenRequest(
        prompt=prompt,
        max_tokens=max_tokens,
        temperature=temperature,
        stop=ctx.profile.stop,
        seed=ctx.seed if temperature > 0 else None,
    )
    try:
        result = await ctx.meter.generate(thread, request)
    except BudgetExhausted:
        return Attempt(None, finish_of(thread, None, None))
    if result.error or not result.samples:
        return Attempt(None, "error", info={"error": result.error})
    sample = result.samples[0]
    answer = ctx.profile.extract(ctx.task, prompt, sample.text)
    return Attempt(answer, finish_of(thread, sample, answer), trace=prompt + sample.text)


@strategy("cot", params=CoTParams)
async def cot(problem: Problem, params: CoTParams, ctx: Context) -> Attempt:
    """Decode once and read the answer."""
    return await serial(problem, ctx, params.max_tokens, params.temperature)
