"""Early-stopping self-consistency (Li et al. 2024, arXiv 2401.10480): sample in windows, stop as soon as
one window agrees.

Windows of w samples (one request each) are drawn one after another, up to ``n`` samples in all; sampling
stops when every answer of the latest window parses and all are the same, or when the token budget cannot
fund another window at the longest sample seen so far. The answer is the majority over all samples drawn
(self-consistency's vote), so when the first window agrees ESC costs w samples instead of n.
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonbench.strategies.base import (
    MAX_SAMPLES,
    Attempt,
    Candidate,
    Context,
    check_range,
    check_sampling,
    strategy,
)
from reasonbench.strategies.sc import sample_candidates, voted
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class ESCParams:
    n: int = 16
    """Most samples to draw (self-consistency's n)."""
    window: int = 4
    """Samples per window (1 <= window <= n)."""
    max_tokens: int = 4096
    """Each sample's decode allowance."""
    temperature: float = 1.0
    """Sampling temperature of every sample (0 is greedy, which makes the samples identical)."""
    top_p: float = 1.0
    """Nucleus sampling: the smallest set of tokens whose probability reaches ``top_p`` (1 = all)."""

    def __post_init__(self) -> None:
        check_range(self, "n", 1, MAX_SAMPLES)
        check_range(self, "window", 1, "n")
        check_sampling(self)


def agrees(window: list[Candidate]) -> bool:
    """Every answer of the window parses and all have one normal form."""
    forms = {c.normalized for c in window}
    return len(forms) == 1 and None not in forms


@strategy("esc", params=ESCParams)
async def esc(problem: Problem, params: ESCParams, ctx: Context) -> Attempt:
    """Draw windows until one agrees (or n samples, or the budget, run out); vote over all."""
    thread = ctx.meter.thread()
    prompt_tokens = ctx.meter.engine.count_tokens(ctx.profile.prompt(ctx.task, problem))
    candidates: list[Candidate] = []
    texts: list[str] = []
    longest = 0
    windows, agreed, failed = 0, False, None
    while len(candidates) < params.n:
        size = min(params.window, params.n - len(candidates))
        left = ctx.meter.tokens_left()
        if windows and left is not None and left - prompt_tokens < size * longest:
            break  # the budget cannot fund another window of samples as long as those seen
        draw = await sample_candidates(
            problem,
            ctx,
            size,
            params.max_tokens,
            params.temperature,
            params.top_p,
            wave=windows,
            thread=thread,
        )
        if draw.failed is not None:
            failed = draw.failed
            break
        windows += 1
        candidates += draw.candidates
        texts += draw.texts
        longest = max([longest, *(len(s.token_ids) for s in draw.samples)])
        if agrees(draw.candidates):
            agreed = True
            break
    if not candidates:
        return Attempt(None, failed or "error")
    info = {"windows": windows, "samples": len(candidates), "agreed": agreed}
    return voted(candidates, texts, info)
