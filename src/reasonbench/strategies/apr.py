"""APR spawn/join (Pan et al. 2025, "Learning Adaptive Parallel Reasoning with Language Models").

The parent decodes until it writes a spawn block (``spawn()``); the runtime parses the requested
sub-searches, runs the children concurrently, each from only its own start state (one engine, batched), and
when all have finished (``join()``) replaces the spawn block in the parent's context with their outcomes;
the parent then resumes. Repeat until the parent stops.

Beyond the reference runtime: children may spawn too (up to ``max_depth`` levels), spawns are capped per
block and per problem, each child has its own token allowance, and a child that fails, runs out of budget
or emits garbage (a malformed spawn block, a node that does not exist) is joined as "no solution" and
recorded. A malformed spawn block in the root ends the attempt as a wrong answer, never a crash; a budget
that runs out mid-thread ends it too, with the root's text so far kept as its trace.

The task supplies the grammar through a :class:`SpawnProtocol` (``task.spawn_protocol()``) and the
sub-call budget prefix (``task.budget_prefix``). The answer is read through the prompt profile like every
strategy's; only the ``trace`` profile can run APR (another profile's rows are errors that say so): the
spawn/join grammar is what a model learns from the task's traces, and an instruction model has no spawn
block to stop at.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from reasonbench.engine.types import GenRequest, Sample
from reasonbench.meter import BudgetExhausted, Thread
from reasonbench.strategies.base import Attempt, Context, check_range, check_sampling, finish_of, strategy
from reasonbench.tasks.base import ChildRequest, Problem, SpawnProtocol
from reasonbench.tasks.spawn_grammar import MalformedSpawn


@dataclass(frozen=True)
class APRParams:
    max_tokens: int = 4096
    """The root thread's decode allowance (all its segments together)."""
    child_max_tokens: int = 2048
    """Each child's decode allowance (the per-child token budget)."""
    max_children: int = 10
    """Children run per spawn block; the rest are joined as "no solution" (recorded as capped). 10 is the
    widest parent beam the shipped Countdown APR model was trained on."""
    max_total_children: int = 64
    """Children run per problem."""
    max_depth: int = 1
    """Levels of children: 1 = the reference runtime (children may not spawn)."""
    sub_call_budget: int | None = None
    """Prefix the root prompt with the task's sub-call budget prefix (for models trained with it)."""
    temperature: float = 0.0
    """Sampling temperature of every thread, root and children; 0 is greedy."""

    def __post_init__(self) -> None:
        check_sampling(self)
        for name in (
            "child_max_tokens",
            "max_children",
            "max_total_children",
            "max_depth",
            "sub_call_budget",
        ):
            check_range(self, name, 1)


class ThreadCut(BudgetExhausted):
    """A budget ran out mid-thread; ``context`` is the thread's text so far (kept as the attempt's trace,
    so a cut run still shows, and can be audited for, what the parent had written)."""

    def __init__(self, exc: BudgetExhausted, context: str) -> None:
        super().__init__(exc.limit)
        self.context = context


class SpawnFailed(Exception):
    """A thread cannot go on: it wrote a spawn block the runtime cannot serve, or the engine failed it."""

    context: str = ""
    """The thread's text up to the bad block (kept as the attempt's trace)."""


@dataclass
class _Run:
    """Book-keeping of one problem's spawn tree."""

    params: APRParams
    ctx: Context
    proto: SpawnProtocol
    children: int = 0
    spawns: int = 0
    capped: int = 0
    deepest: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    requested: list[int] = field(default_factory=list)
    """Children each spawn block asked for, capped ones included: APR's choice of how wide to search."""

    async def decode(
        self, prompt: str, thread: Thread, allowance: int, depth: int
    ) -> tuple[str, Sample | None]:
        """Decode ``thread`` from ``prompt``, serving its spawn blocks, until it stops; its final context."""
        context, last = prompt, None
        while allowance > 0:
            request = GenRequest(
                prompt=context,
                max_tokens=allowance,
                temperature=self.params.temperature,
                stop=(self.proto.spawn_close,),
                seed=self.ctx.seed if self.params.temperature > 0 else None,
            )
            try:
                result = await self.ctx.meter.generate(thread, request)
            except BudgetExhausted as exc:
                raise ThreadCut(exc, context) from exc
            if result.error or not result.samples:
                raise SpawnFailed(result.error or "engine returned no sample")
            last = result.samples[0]
            context += last.text
            allowance -= len(last.token_ids)
            if last.stop_str != self.proto.spawn_close:
                break
            try:
                context = await self.spawn_and_join(context, thread, depth)
            except SpawnFailed as exc:
                exc.context = exc.context or context
                raise
        return context, last

    async def spawn_and_join(self, context: str, parent: Thread, depth: int) -> str:
        """``spawn()``: run the requested children concurrently; ``join()``: fold their outcomes in."""
        requests = self.proto.spawn_requests(context)
        if isinstance(requests, MalformedSpawn):
            raise SpawnFailed(requests.reason)
        if depth >= self.params.max_depth:
            raise SpawnFailed(f"spawn at depth {depth} exceeds max_depth {self.params.max_depth}")
        self.spawns += 1
        self.requested.append(len(requests))
        room = max(0, min(self.params.max_children, self.params.max_total_children - self.children))
        run, capped = requests[:room], requests[room:]
        self.children += len(run)
        self.capped += len(capped)
        self.deepest = max(self.deepest, depth + 1)
        threads = [self.ctx.meter.thread(parent=parent) for _ in run]
        for r, t in zip(run, threads, strict=True):
            t.notes.update(index=r.index, state=_state(r))
        if capped:  # never run, so no thread of their own: the parent remembers them for `show`
            parent.notes.setdefault("capped", []).extend(
                {"index": r.index, "state": _state(r)} for r in capped
            )
        # A child requested twice would repeat its sibling's search (exactly so under greedy decoding): the
        # repeat is not run, it is joined as "no solution" and recorded, and the rest of the block runs.
        first: dict[str, int] = {}
        repeats: dict[int, int] = {}
        for r in run:
            if r.prompt is not None and first.setdefault(r.prompt, r.index) != r.index:
                repeats[r.index] = first[r.prompt]
        children = [
            asyncio.ensure_future(self.child(r, t, depth + 1, repeats.get(r.index)))
            for r, t in zip(run, threads, strict=True)
        ]
        try:
            outcomes = await asyncio.gather(*children)
        except BaseException:
            # A bug in one child (a failure the runtime does not record) ends the attempt, and takes its
            # siblings with it: left running, they would decode on uncharged after the row is written.
            for c in children:
                c.cancel()
            await asyncio.gather(*children, return_exceptions=True)
            raise
        outcomes += [self.proto.outcome(r, None) for r in capped]
        self.ctx.meter.join(parent, threads)
        return self.proto.join(context, outcomes)

    async def child(
        self, request: ChildRequest, thread: Thread, depth: int, repeat_of: int | None = None
    ) -> Any:
        """One child to completion; any failure is joined as "no solution" and recorded."""
        why = "unknown start state" if request.prompt is None else None
        if repeat_of is not None:
            why = f"repeats sub search {repeat_of}"
        if why is not None:
            self.failures.append({"depth": depth, "index": request.index, "reason": why})
            thread.notes.update(outcome="bad spawn", why=why)
            return self.proto.outcome(request, None)
        try:
            final, _ = await self.decode(request.prompt, thread, self.params.child_max_tokens, depth)
        except BudgetExhausted as exc:
            self.failures.append({"depth": depth, "index": request.index, "reason": f"{exc.limit} budget"})
            thread.notes.update(outcome="budget", why=f"{exc.limit} budget")
            return self.proto.outcome(request, None)
        except SpawnFailed as exc:
            self.failures.append({"depth": depth, "index": request.index, "reason": f"bad spawn: {exc}"})
            thread.notes.update(outcome="bad spawn", why=str(exc)[:200])
            return self.proto.outcome(request, None)
        outcome = self.proto.outcome(request, final)
        if self.proto.solved(outcome):
            thread.notes["outcome"] = "solved"
        elif thread.cut_by is not None:
            thread.notes.update(outcome="budget", why=f"{thread.cut_by} budget")
        else:
            thread.notes["outcome"] = "no solution"
        return outcome


@strategy("apr", params=APRParams)
async def apr(problem: Problem, params: APRParams, ctx: Context) -> Attempt:
    """Run the root thread with the spawn/join runtime and read its answer."""
    if ctx.profile.name != "trace":
        # An instruction model was never taught the spawn block the runtime stops at: every row says so.
        why = f"apr needs a model trained on spawn/join traces (--profile trace), not {ctx.profile.name!r}"
        return Attempt(None, "error", info={"error": why})
    proto = ctx.task.spawn_protocol(problem)
    prefix = (
        "" if params.sub_call_budget is None else ctx.task.budget_prefix("sub_calls", params.sub_call_budget)
    )
    prompt = prefix + proto.parent_prompt(problem)
    run = _Run(params, ctx, proto)
    root = ctx.meter.thread()
    try:
        context, last = await run.decode(prompt, root, params.max_tokens, depth=0)
    except BudgetExhausted as exc:
        trace = exc.context if isinstance(exc, ThreadCut) else None
        return Attempt(None, finish_of(root, None, None), trace=trace, info=_info(run))
    except SpawnFailed as exc:
        run.failures.append({"depth": 0, "index": 0, "reason": f"bad spawn: {exc}"})
        return Attempt(None, "error", trace=exc.context, info=_info(run))
    answer = ctx.profile.extract(ctx.task, prompt, context[len(prompt) :])
    return Attempt(answer, finish_of(root, last, answer), trace=context, info=_info(run))


def _state(request: ChildRequest) -> str | None:
    """A child's start state for display: its prompt, bounded (model text is untrusted)."""
    return None if request.prompt is None else request.prompt[:300]


def _info(run: _Run) -> dict[str, Any]:
    return {
        "spawns": run.spawns,
        "children": run.children,
        "children_per_spawn": run.requested,
        "capped": run.capped,
        "depth": run.deepest,
        "failed_children": len([f for f in run.failures if f["depth"] > 0]),
        "failures": run.failures,
    }
