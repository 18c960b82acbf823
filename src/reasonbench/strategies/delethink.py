"""Delethink / Markovian thinking (Aghajohari et al. 2025, arXiv 2510.06557): think in chunks of bounded
context, carrying only a short textual state from one chunk to the next.

The first chunk decodes up to ``chunk`` tokens from the prompt. At every boundary the context is reset to
the prompt plus the last ``carry`` tokens of the previous chunk, and the next chunk decodes up to
``chunk - carry`` new tokens, so no context ever exceeds prompt + ``chunk`` tokens (by construction, and the
``max_context`` column shows it). At most ``max_chunks`` chunks; the answer is read from the prompt followed
by everything the chunks wrote. Models not trained for it see a reset as a jump in their own trace: on our
search-trace models this measures what a Markovian state costs a search.
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonbench.engine.types import GenRequest
from reasonbench.meter import BudgetExhausted
from reasonbench.strategies.base import Attempt, Context, check_range, check_sampling, finish_of, strategy
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class DelethinkParams:
    chunk: int = 256
    """C: the most tokens a chunk's context holds beyond the prompt."""
    carry: int = 64
    """m: tokens of the previous chunk carried into the next (0 <= carry < chunk)."""
    max_chunks: int = 8
    """I: chunks at most (the thinking budget is about chunk + (I - 1) * (chunk - carry) tokens)."""
    temperature: float = 0.0
    """0 is greedy."""

    def __post_init__(self) -> None:
        check_range(self, "chunk", 1)
        check_range(self, "carry", 0, "chunk", open_high=True)
        check_range(self, "max_chunks", 1)
        check_sampling(self)


@strategy("delethink", params=DelethinkParams)
async def delethink(problem: Problem, params: DelethinkParams, ctx: Context) -> Attempt:
    """Decode chunk by chunk, resetting the context to the prompt and the carried tail at each boundary."""
    prompt = ctx.profile.prompt(ctx.task, problem)
    thread = ctx.meter.thread()
    written, last, prompt_ids, carried = "", None, None, ()
    chunks = 0
    while chunks < params.max_chunks:
        base = {"prompt": prompt} if prompt_ids is None else {"prompt_ids": prompt_ids + carried}
        request = GenRequest(
            **base,  # type: ignore[arg-type]
            max_tokens=params.chunk if chunks == 0 else params.chunk - params.carry,
            temperature=params.temperature,
            stop=ctx.profile.stop,
            seed=ctx.seed + chunks if params.temperature > 0 else None,
        )
        try:
            result = await ctx.meter.generate(thread, request)
        except BudgetExhausted:
            answer = ctx.profile.extract(ctx.task, prompt, written) if written else None
            return Attempt(answer, finish_of(thread, None, answer), prompt + written, info={"chunks": chunks})
        if result.error or not result.samples:
            return Attempt(None, "error", prompt + written, info={"chunks": chunks, "error": result.error})
        if prompt_ids is None:
            if result.prompt_ids is None:
                return Attempt(None, "error", info={"error": "the engine does not report prompt token ids"})
            prompt_ids = result.prompt_ids
        last = result.samples[0]
        chunks += 1
        written += last.text
        if last.finish_reason != "length" or thread.cut_by is not None:
            break
        carried = (carried + last.token_ids)[-params.carry :] if params.carry else ()
    answer = ctx.profile.extract(ctx.task, prompt, written)
    finish = finish_of(thread, last, answer)
    return Attempt(answer, finish, prompt + written, info={"chunks": chunks, "resets": chunks - 1})
