"""Best-of-N: sample n chains and keep the one a scorer likes best.

Scorers: ``logprob`` (mean token log-probability of the sample), ``oracle`` (the task's verifier: an upper
bound no deployable system has, labelled as such in results), or a reward model registered with
:func:`scorer` (an async function ``(problem, prompt_and_text, ctx) -> float``), from this process or from
a package through the entry-point group ``reasonbench.scorers`` (naming the decorated function).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from reasonbench.registry import Registry
from reasonbench.strategies.base import (
    MAX_SAMPLES,
    Attempt,
    Candidate,
    Context,
    check_choice,
    check_range,
    check_sampling,
    strategy,
)
from reasonbench.strategies.sc import sample_candidates
from reasonbench.tasks.base import Problem

Scorer = Callable[[Problem, str, Context], Awaitable[float]]
SCORERS: Registry[Scorer] = Registry("scorer", "reasonbench.scorers")
"""Reward-model scorers by name: the hook for process/outcome reward models."""
BUILTIN_SCORERS = ("logprob", "oracle")


def scorer(name: str) -> Callable[[Scorer], Scorer]:
    """Register the decorated async function as the best-of-N scorer ``name`` (``-P scorer=name``)."""
    if name in BUILTIN_SCORERS:
        raise ValueError(f"scorer {name!r} is built in")

    def register(fn: Scorer) -> Scorer:
        SCORERS.register(name, lambda: fn)
        return fn

    return register


@dataclass(frozen=True)
class BoNParams:
    n: int = 8
    """Samples to draw (under a token budget: at most this many, as many complete ones as it buys)."""
    max_tokens: int = 4096
    """Each sample's decode allowance."""
    temperature: float = 1.0
    """Sampling temperature of every sample."""
    scorer: str = "logprob"
    """``logprob``, ``oracle`` (upper bound: uses the verifier) or a registered reward-model scorer."""

    def __post_init__(self) -> None:
        check_range(self, "n", 1, MAX_SAMPLES)
        check_sampling(self)
        check_choice(self, "scorer", (*BUILTIN_SCORERS, *SCORERS.names()))


@strategy("bon", params=BoNParams)
async def bon(problem: Problem, params: BoNParams, ctx: Context) -> Attempt:
    """Sample n times (in waves under a token budget), score each answer, keep the best (ties go to the
    earliest sample)."""
    draw = await sample_candidates(
        problem,
        ctx,
        params.n,
        params.max_tokens,
        params.temperature,
        1.0,
        logprobs=params.scorer == "logprob",
    )
    if draw.failed is not None:
        return Attempt(None, draw.failed)
    candidates, texts = draw.candidates, draw.texts
    scored: list[Candidate] = []
    for c, text in zip(candidates, texts, strict=True):
        if params.scorer == "oracle":
            score = float(c.answer is not None and ctx.verdict(problem, c.answer).correct)
        elif params.scorer == "logprob":
            score = c.score if c.score is not None else float("-inf")
        else:
            score = await SCORERS.get(params.scorer)(problem, text, ctx)
        scored.append(Candidate(c.answer, c.normalized, score, c.finish))

    # Answers that parse beat those that do not; then the score decides (a missing or nan score is the
    # lowest; 0.0 is a score like any other: the logprob scorer's best).
    def rank(i: int) -> tuple[bool, float, int]:
        score = scored[i].score
        return (
            scored[i].normalized is not None,
            float("-inf") if score is None or math.isnan(score) else score,
            -i,
        )

    best = max(range(len(scored)), key=rank)
    chosen = scored[best]
    return Attempt(
        chosen.answer,
        chosen.finish,
        trace=texts[best],
        candidates=tuple(scored),
        info={"scorer": params.scorer, "upper_bound": params.scorer == "oracle", "chosen": best, **draw.info},
    )
