"""Self-consistency (Wang et al. 2023): sample n chains, answer with the most frequent normalised answer.

Without a token budget the n samples are one engine request with ``n`` (the prompt is charged once). Under a
token budget the samples are bought in waves (see :func:`sample_candidates`), so that the budget buys
complete samples rather than n stubs. Every sample's answer is kept so maj@k for every k <= n is computed
later from the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reasonbench.engine.types import GenRequest, Sample
from reasonbench.meter import BudgetExhausted, Thread
from reasonbench.stats import majority_index
from reasonbench.strategies.base import (
    MAX_SAMPLES,
    Attempt,
    Candidate,
    Context,
    Finish,
    check_range,
    check_sampling,
    derive_seed,
    finish_of,
    strategy,
)
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class SCParams:
    n: int = 8
    """Samples to draw (under a token budget: at most this many, as many complete ones as it buys)."""
    max_tokens: int = 4096
    """Each sample's decode allowance."""
    temperature: float = 1.0
    """Sampling temperature of every sample."""
    top_p: float = 1.0
    """Nucleus sampling: the smallest set of tokens whose probability reaches ``top_p`` (1 = all)."""

    def __post_init__(self) -> None:
        check_range(self, "n", 1, MAX_SAMPLES)
        check_sampling(self)


@dataclass
class Draw:
    """Samples drawn for one problem: their candidates, prompt + text, raw samples, and the waves bought."""

    candidates: list[Candidate] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    failed: Finish | None = None
    """Why nothing at all was drawn, if so."""
    waves: int = 0

    @property
    def info(self) -> dict[str, int]:
        """What the budget bought: samples drawn, how many finished on their own, in how many waves."""
        complete = sum(s.finish_reason == "stop" for s in self.samples)
        return {"samples": len(self.samples), "complete": complete, "waves": self.waves}


async def sample_candidates(
    problem: Problem,
    ctx: Context,
    n: int,
    max_tokens: int,
    temperature: float,
    top_p: float,
    logprobs: bool = False,
    top_logprobs: int = 0,
    wave: int | None = None,
    thread: Thread | None = None,
) -> Draw:
    """Draw up to ``n`` samples of the profile's prompt on one thread.

    The token-budget rule: a wave of samples is one request with ``n``; the first wave is as large as the
    budget can fund at ``max_tokens`` per sample (at least one); each later wave as large as it can fund at
    the longest sample seen so far, and no wave is drawn once the budget cannot fund one sample that long.
    Without a token budget there is one wave of ``n``. ``wave`` draws exactly one request of ``n`` samples
    (early-stopping strategies size their own windows, on their own ``thread``). Each wave has its own seed.
    """
    prompt = ctx.profile.prompt(ctx.task, problem)
    thread = thread or ctx.meter.thread()
    draw = Draw()
    prompt_tokens = ctx.meter.engine.count_tokens(prompt)
    longest: int | None = None
    while len(draw.samples) < n:
        size = n - len(draw.samples)
        left = ctx.meter.tokens_left()
        if left is not None and wave is None:
            room = left - prompt_tokens
            if longest is not None and room < longest:
                break
            size = min(size, max(1, room // (longest or max_tokens)))
        request = GenRequest(
            prompt=prompt,
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            n=size,
            stop=ctx.profile.stop,
            seed=derive_seed(ctx.seed, draw.waves if wave is None else wave),
            logprobs=logprobs,
            top_logprobs=top_logprobs,
        )
        try:
            result = await ctx.meter.generate(thread, request)
        except BudgetExhausted:
            if not draw.samples:
                draw.failed = finish_of(thread, None, None)
            break
        if result.error or not result.samples:
            if not draw.samples:
                draw.failed = "error"
            break
        draw.waves += 1
        for s in result.samples:
            answer = ctx.profile.extract(ctx.task, prompt, s.text)
            draw.candidates.append(
                Candidate(
                    answer, ctx.normalize(problem, answer), s.mean_logprob, finish_of(thread, s, answer)
                )
            )
            draw.texts.append(prompt + s.text)
            draw.samples.append(s)
        longest = max([longest or 0, *(len(s.token_ids) for s in result.samples)])
        if wave is not None:
            break
    return draw


def majority(candidates: list[Candidate]) -> Candidate | None:
    """The first candidate whose normal form got the most votes (:func:`~reasonbench.stats.majority_index`:
    ties go to the earliest); unparsed answers do not vote."""
    winner = majority_index([c.normalized for c in candidates])
    return None if winner is None else candidates[winner]


def voted(candidates: list[Candidate], texts: list[str], info: dict) -> Attempt:
    """The majority's attempt over ``candidates`` (the first one's finish when none parses)."""
    winner = majority(candidates)
    if winner is None:
        return Attempt(None, candidates[0].finish, trace=texts[0], candidates=tuple(candidates), info=info)
    i = candidates.index(winner)
    votes = sum(c.normalized == winner.normalized for c in candidates)
    return Attempt(
        winner.answer,
        "answered",
        trace=texts[i],
        candidates=tuple(candidates),
        info={**info, "votes": votes, "chosen": i},
    )


@strategy("sc", params=SCParams)
async def sc(problem: Problem, params: SCParams, ctx: Context) -> Attempt:
    """Sample n times (in waves under a token budget) and vote."""
    draw = await sample_candidates(
        problem, ctx, params.n, params.max_tokens, params.temperature, params.top_p
    )
    if draw.failed is not None:
        return Attempt(None, draw.failed)
    return voted(draw.candidates, draw.texts, draw.info)
