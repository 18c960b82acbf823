"""Best-of-N: sample n chains and keep the one a scorer likes best.

Scorers: ``logprob`` (mean token log-probability of the sample), ``oracle`` (the task's verifier: an upper
bound no deployable system has, labelled as such in results), or a reward model registered in
:data:`SCORERS` (an async function ``(problem, prompt_and_text, ctx) -> float``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from reasonbench.strategies.base import Attempt, Candidate, Context, strategy
from reasonbench.strategies.sc import sample_candidates
from reasonbench.tasks.base import Problem

Scorer = Callable[[Problem, str, Context], Awaitable[float]]
SCORERS: dict[str, Scorer] = {}
"""Reward-model scorers by name: the hook for process/outcome reward models."""


@dataclass(frozen=True)
class BoNParams:
    n: int = 8
    """Samples to draw (under a token budget: at most this many, as many complete ones as it buys)."""
    max_tokens: int = 4096
    temperature: float = 1.0
    scorer: str = "logprob"
    """``logprob``, ``oracle`` (upper bound: uses the verifier) or a name in ``SCORERS``."""

    def __post_init__(self) -> None:
        if not 1 <= self.n <= 1024:
            raise ValueError(f"n must be in 1..1024, got {self.n}")
        if self.scorer not in ("logprob", "oracle") and self.scorer not in SCORERS:
            raise ValueError(
                f"scorer must be logprob, oracle or one of {sorted(SCORERS)}, got {self.scorer!r}"
            )


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
            score = await SCORERS[params.scorer](problem, text, ctx)
        scored.append(Candidate(c.answer, c.normalized, score, c.finish))
    # Answers that parse beat those that do not; then the score decides.
    best = max(
        range(len(scored)), key=lambda i: (scored[i].answer is not None, scored[i].score or float("-inf"), -i)
    )
    chosen = scored[best]
    return Attempt(
        chosen.answer,
        chosen.finish,
        trace=texts[best],
        candidates=tuple(scored),
        info={"scorer": params.scorer, "upper_bound": params.scorer == "oracle", "chosen": best, **draw.info},
    )
