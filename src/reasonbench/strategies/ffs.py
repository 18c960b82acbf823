"""First Finish Search (Agarwal et al. 2025, arXiv 2505.18149): n samples in flight, the first to finish wins.

Shorter traces are more often correct on reasoning tasks, and on a batched engine the first of n parallel
samples to finish costs the latency of the shortest. The rest are aborted the moment a winner is known and
charged exactly the tokens they decoded. Variant ``first = "answer"``: the first sample whose answer parses
wins (a finished sample without an answer does not stop the race).
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonbench.strategies.base import (
    MAX_SAMPLES,
    Attempt,
    Context,
    check_choice,
    check_range,
    check_sampling,
    strategy,
)
from reasonbench.strategies.race import Race, finished_on_its_own
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class FFSParams:
    n: int = 8
    """Samples in flight."""
    max_tokens: int = 4096
    """Each sample's decode allowance."""
    first: str = "finish"
    """``finish``: the first sample the model ends wins; ``answer``: the first with a parseable answer."""
    temperature: float = 1.0
    """Sampling temperature of every sample (0 is greedy, which makes the samples identical)."""
    top_p: float = 1.0
    """Nucleus sampling: the smallest set of tokens whose probability reaches ``top_p`` (1 = all)."""

    def __post_init__(self) -> None:
        check_range(self, "n", 1, MAX_SAMPLES)
        check_choice(self, "first", ("finish", "answer"))
        check_sampling(self)


@strategy("ffs", params=FFSParams)
async def ffs(problem: Problem, params: FFSParams, ctx: Context) -> Attempt:
    """Race n samples; stop them all when the first finishes (or answers); its answer is the answer."""
    race = Race(problem, ctx, params.n, params.max_tokens, params.temperature, params.top_p)
    winner = None
    async for r in race.finished():
        if finished_on_its_own(r) and (params.first == "finish" or r.candidate.normalized is not None):
            winner = r
            break
    await race.stop()
    info = {"aborted": sum(c.finish == "aborted" for c in race.candidates)}
    if winner is None:
        last = race.order[-1]
        return Attempt(None, last.candidate.finish, race.text(last), tuple(race.candidates), info)
    info["winner"] = winner.index
    return Attempt(
        winner.candidate.answer, winner.candidate.finish, race.text(winner), tuple(race.candidates), info
    )
