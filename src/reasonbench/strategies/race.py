"""Samples that race: n samples of one prompt as separate controlled requests, reported as each finishes.

The early-stopping strategies (ffs, short-m, deepconf) need to know when each sample ends and to stop the
others: one request with ``n`` only returns when all are done, so each sample is its own request (with its
own seed and thread), and the engine shares their prompt through the prefix cache. ``stop()`` aborts those
still running; the meter charges them exactly what the engine decoded before the abort.

Under a token budget each request reserves its whole allowance when it starts, so concurrent samples are
admitted first come, first served: the budget buys as many complete samples as fit, never n stubs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from reasonbench.engine.types import Control, GenRequest, Sample, Watch
from reasonbench.meter import BudgetExhausted, Thread
from reasonbench.strategies.base import Candidate, Context, Finish, derive_seed, finish_of
from reasonbench.tasks.base import Problem


@dataclass
class Runner:
    """One racing sample: its thread, its handle, and (once done) its sample and candidate."""

    index: int
    thread: Thread
    control: Control
    sample: Sample | None = None
    candidate: Candidate | None = None
    failed: Finish | None = None


class Race:
    """``n`` racing samples of ``problem``'s prompt; iterate :meth:`finished`, then :meth:`stop` the rest."""

    def __init__(
        self,
        problem: Problem,
        ctx: Context,
        n: int,
        max_tokens: int,
        temperature: float,
        top_p: float = 1.0,
        top_logprobs: int = 0,
        watch: Callable[[int], Watch | None] | None = None,
        first_seed: int = 0,
    ) -> None:
        """Start the samples: ``watch(i)`` gives sample ``i`` its per-token watch; sample ``i`` uses seed
        ``derive_seed(ctx.seed, first_seed + i)``."""
        self.problem = problem
        self.ctx = ctx
        self.prompt = ctx.profile.prompt(ctx.task, problem)
        self.runners = [
            Runner(i, ctx.meter.thread(), Control(watch=watch(i) if watch else None)) for i in range(n)
        ]
        self.order: list[Runner] = []
        """Runners in the order they ended (aborted ones last, after :meth:`stop`)."""
        self._tasks = {}
        for r in self.runners:
            request = GenRequest(
                prompt=self.prompt,
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=top_p,
                stop=ctx.profile.stop,
                seed=derive_seed(ctx.seed, first_seed + r.index),
                logprobs=top_logprobs > 0,
                top_logprobs=top_logprobs,
            )
            self._tasks[asyncio.ensure_future(self._run(r, request))] = r

    async def _run(self, r: Runner, request: GenRequest) -> None:
        try:
            result = await self.ctx.meter.generate(r.thread, request, r.control)
        except BudgetExhausted:
            r.failed = finish_of(r.thread, None, None)
            r.candidate = Candidate(None, None, None, r.failed)
            return
        if result.error or not result.samples:
            r.failed = "error"
            r.candidate = Candidate(None, None, None, "error")
            return
        s = r.sample = result.samples[0]
        if s.finish_reason == "abort":
            r.candidate = Candidate(None, None, None, "aborted")
            return
        answer = self.ctx.profile.extract(self.ctx.task, self.prompt, s.text)
        normalized = self.ctx.normalize(self.problem, answer)
        r.candidate = Candidate(answer, normalized, s.mean_logprob, finish_of(r.thread, s, answer))

    async def finished(self) -> AsyncIterator[Runner]:
        """Each runner as it ends (finished, cut by a budget, aborted by its watch, or failed)."""
        pending = set(self._tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(done, key=lambda t: self._tasks[t].index):
                if task.exception() is not None:
                    # A bug inside a runner surfaces here, not silently, and takes its siblings with it:
                    # left running, they would decode on uncharged and fail again unobserved.
                    for other in pending:
                        other.cancel()
                    await asyncio.gather(*pending, return_exceptions=True)
                    task.result()
                runner = self._tasks[task]
                self.order.append(runner)
                yield runner

    async def stop(self) -> None:
        """Abort every runner still going and wait until each is charged."""
        for r in self.runners:
            r.control.abort.set()
        await asyncio.gather(*self._tasks)
        seen = {r.index for r in self.order}
        self.order += [r for r in self.runners if r.index not in seen]

    def text(self, r: Runner) -> str:
        return self.prompt + (r.sample.text if r.sample else "")

    @property
    def candidates(self) -> list[Candidate]:
        """Every runner's candidate in the order they ended (call after :meth:`stop`)."""
        return [r.candidate for r in self.order if r.candidate is not None]


def finished_on_its_own(r: Runner) -> bool:
    """The model ended the sample itself (not a length cap, a budget, an abort or an error)."""
    return r.sample is not None and r.sample.finish_reason == "stop" and r.failed is None
