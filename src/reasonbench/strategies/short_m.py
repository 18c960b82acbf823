"""short-m@k (Hassid et al. 2025, arXiv 2505.17813): k samples in flight; once m have finished, abort the
rest and vote among those m.

The m shortest chains are the first m to finish on a batched engine; the vote breaks ties by the shortest
chain. Aborted samples are charged exactly what they decoded. If fewer than m finish on their own (length
caps, budgets), the vote is over those that did.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reasonbench.strategies.base import MAX_SAMPLES, Attempt, Context, check_range, check_sampling, strategy
from reasonbench.strategies.race import Race, Runner, finished_on_its_own
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class ShortMParams:
    k: int = 8
    """Samples in flight."""
    m: int = 3
    """Finished samples to wait for (1 <= m <= k); m = 1 is first-finish search."""
    max_tokens: int = 4096
    """Each sample's decode allowance."""
    temperature: float = 1.0
    """Sampling temperature of every sample (0 is greedy, which makes the samples identical)."""
    top_p: float = 1.0
    """Nucleus sampling: the smallest set of tokens whose probability reaches ``top_p`` (1 = all)."""

    def __post_init__(self) -> None:
        check_range(self, "k", 1, MAX_SAMPLES)
        check_range(self, "m", 1, "k")
        check_sampling(self)


def shortest_majority(runners: list[Runner]) -> Runner | None:
    """The most frequent parsed answer among ``runners``; ties go to the answer with the shortest chain."""
    voters = [r for r in runners if r.candidate is not None and r.candidate.normalized is not None]
    if not voters:
        return None
    votes = Counter(r.candidate.normalized for r in voters)  # type: ignore[union-attr]
    top = max(votes.values())
    tied = [r for r in voters if votes[r.candidate.normalized] == top]  # type: ignore[union-attr]
    return min(tied, key=lambda r: (len(r.sample.token_ids) if r.sample else 0, r.index))


@strategy("short-m", params=ShortMParams)
async def short_m(problem: Problem, params: ShortMParams, ctx: Context) -> Attempt:
    """Race k samples; when m have finished, stop the rest and vote among the m."""
    race = Race(problem, ctx, params.k, params.max_tokens, params.temperature, params.top_p)
    done: list[Runner] = []
    async for r in race.finished():
        if finished_on_its_own(r):
            done.append(r)
            if len(done) == params.m:
                break
    await race.stop()
    info = {"finished": len(done), "aborted": sum(c.finish == "aborted" for c in race.candidates)}
    winner = shortest_majority(done)
    if winner is None:
        last = done[0] if done else race.order[-1]
        return Attempt(None, last.candidate.finish, race.text(last), tuple(race.candidates), info)
    info["votes"] = sum(r.candidate.normalized == winner.candidate.normalized for r in done)
    return Attempt(winner.candidate.answer, "answered", race.text(winner), tuple(race.candidates), info)
