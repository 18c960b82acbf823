"""Self-consistency (Wang et al. 2023): sample n chains, answer with the most frequent normalised answer.

The n samples are one engine request with ``n`` (the prompt is charged once); every sample's answer is kept
so maj@k for every k <= n is computed later from the same samples.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reasonbench.engine.types import GenRequest
from reasonbench.meter import BudgetExhausted
from reasonbench.strategies.base import Attempt, Candidate, Context, finish_of, strategy
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class SCParams:
    n: int = 8
    """Samples to draw."""
    max_tokens: int = 4096
    temperature: float = 1.0
    top_p: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.n <= 1024:
            raise ValueError(f"n must be in 1..1024, got {self.n}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")


async def sample_candidates(
    problem: Problem,
    ctx: Context,
    n: int,
    max_tokens: int,
    temperature: float,
    top_p: float,
    logprobs: bool = False,
) -> tuple[list[Candidate], list[str], str | None]:
    """Draw ``n`` samples in one request; their candidates, texts, and why nothing was drawn (if so)."""
    prompt = ctx.profile.prompt(ctx.task, problem)
    thread = ctx.meter.thread()
    request = GenRequest(
        prompt=prompt,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        n=n,
        stop=ctx.profile.stop,
        seed=ctx.seed,
        logprobs=logprobs,
    )
    try:
        result = await ctx.meter.generate(thread, request)
    except BudgetExhausted:
        return [], [], finish_of(thread, None, None)
    if result.error or not result.samples:
        return [], [], "error"
    candidates, texts = [], []
    for s in result.samples:
        answer = ctx.profile.extract(ctx.task, prompt, s.text)
        candidates.append(
            Candidate(answer, ctx.normalize(problem, answer), s.mean_logprob, finish_of(thread, s, answer))
        )
        texts.append(prompt + s.text)
    return candidates, texts, None


def majority(candidates: list[Candidate]) -> Candidate | None:
    """The first candidate whose normal form got the most votes (ties go to the earliest); unparsed
    answers do not vote."""
    votes = Counter(c.normalized for c in candidates if c.normalized is not None)
    if not votes:
        return None
    top = max(votes.values())
    return next(c for c in candidates if c.normalized is not None and votes[c.normalized] == top)


@strategy("sc", params=SCParams)
async def sc(problem: Problem, params: SCParams, ctx: Context) -> Attempt:
    """Sample n times and vote."""
    candidates, texts, failed = await sample_candidates(
        problem, ctx, params.n, params.max_tokens, params.temperature, params.top_p
    )
    if failed is not None:
        return Attempt(None, failed)  # type: ignore[arg-type]
    winner = majority(candidates)
    if winner is None:
        return Attempt(None, candidates[0].finish, trace=texts[0], candidates=tuple(candidates))
    i = candidates.index(winner)
    return Attempt(
        winner.answer,
        "answered",
        trace=texts[i],
        candidates=tuple(candidates),
        info={"votes": sum(c.normalized == winner.normalized for c in candidates), "chosen": i},
    )
