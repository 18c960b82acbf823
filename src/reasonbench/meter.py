"""The meter: every engine call of one problem goes through it, so usage is counted from the engine's own
token ids and the budget is enforced while generating, not after.

Before a call it sizes ``max_tokens`` from what is left: the thread's context window (the budget's
``context`` and the model's own window), the problem's token budget (minus tokens reserved by calls still
in flight, so concurrent threads can never overspend together), and the wall-clock deadline, which aborts
the request in the engine when it passes. After the call it charges what the engine reports.

Threads form a tree (APR's children are threads whose parent waits for them). The critical path is the
longest chain of dependent decodes: a thread's own decoded tokens plus, at every join, the longest of its
children's critical paths; it does not depend on the hardware.

Each thread also keeps when its calls ran (seconds since the problem started: submitted, first token,
finished) and which children each of its joins waited for, so :meth:`Meter.timeline` can hand the runner a
compact record from which a timeline is drawn later without re-running.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from reasonbench.budget import Budget
from reasonbench.engine.base import Engine
from reasonbench.engine.types import Control, GenRequest, GenResult

Limit = Literal["window", "tokens", "latency"]


class BudgetExhausted(Exception):
    """No generation is possible any more for this thread: ``limit`` says which budget ran out."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(f"{limit} budget exhausted")
        self.limit: Limit = limit


@dataclass
class Thread:
    """One chain of decodes (a sample, a parent, a child)."""

    id: int
    parent: Thread | None = None
    critical_path: int = 0
    """Decoded tokens on this thread's longest dependent chain so far (children included after a join)."""
    context: int = 0
    """The thread's latest context size (prompt + generated) in tokens."""
    cut_by: Limit | None = None
    """Set when the thread's last call was cut short by a budget rather than by the request itself."""
    calls: list[tuple[float, float | None, float, int]] = field(default_factory=list)
    """Each engine call: submitted, first token, finished (seconds since the problem started) and the
    tokens it added to this thread's critical path (its longest sample)."""
    joins: list[tuple[int, ...]] = field(default_factory=list)
    """The ids of the children each join waited for, in order."""
    notes: dict[str, Any] = field(default_factory=dict)
    """What the strategy says about the thread for display (start state, outcome); never accounting."""


@dataclass
class Usage:
    """What one problem spent."""

    decoded_tokens: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    max_context: int = 0
    critical_path: int = 0
    flops: float = 0.0
    threads: int = 0
    engine_calls: int = 0
    latency_s: float = 0.0

    @property
    def tokens(self) -> int:
        """The token budget's measure: decoded plus uncached prompt tokens."""
        return self.decoded_tokens + self.prompt_tokens - self.cached_tokens


@dataclass
class Meter:
    """Counts and limits the engine calls of one problem."""

    engine: Engine
    budget: Budget = field(default_factory=Budget)
    clock: object = time.monotonic
    usage: Usage = field(default_factory=Usage)

    def __post_init__(self) -> None:
        self._ids = itertools.count()
        self._reserved = 0
        self._start = self.clock()  # type: ignore[operator]
        self._roots: list[Thread] = []
        self._threads: list[Thread] = []

    # -- threads ---------------------------------------------------------------------------------------------

    def thread(self, parent: Thread | None = None) -> Thread:
        """A new thread (a root when ``parent`` is None)."""
        t = Thread(id=next(self._ids), parent=parent)
        self.usage.threads += 1
        self._threads.append(t)
        if parent is None:
            self._roots.append(t)
        return t

    def join(self, parent: Thread, children: list[Thread]) -> None:
        """The parent waited for ``children``: its critical path grows by the longest of theirs."""
        if children:
            parent.critical_path += max(c.critical_path for c in children)
            parent.joins.append(tuple(c.id for c in children))
        self._update_critical_path()

    def _update_critical_path(self) -> None:
        self.usage.critical_path = max((t.critical_path for t in self._roots), default=0)

    # -- budget ----------------------------------------------------------------------------------------------

    @property
    def window(self) -> int:
        """The context window a thread may fill: the budget's and the model's, whichever is smaller."""
        model = self.engine.model.max_model_len
        return min(model, self.budget.context) if self.budget.context else model

    def elapsed(self) -> float:
        return self.clock() - self._start  # type: ignore[operator]

    def tokens_left(self) -> int | None:
        if self.budget.tokens is None:
            return None
        return self.budget.tokens - self.usage.tokens - self._reserved

    async def generate(
        self, thread: Thread, request: GenRequest, control: Control | None = None
    ) -> GenResult:
        """Run ``request`` for ``thread`` within the budget; raises :class:`BudgetExhausted` when it cannot
        run at all. A call cut short by a budget sets ``thread.cut_by``.

        With a ``control`` the caller may abort the request; the tokens it decoded are charged all the same
        (and when the latency deadline passes, the deadline aborts it the same way, charged, then raises)."""
        if request.prompt_ids is not None:
            prompt_tokens = len(request.prompt_ids)
        else:
            prompt_tokens = self.engine.count_tokens(request.prompt or "")
        want = request.max_tokens
        room = self.window - prompt_tokens
        if room < 1:
            thread.cut_by = "window"
            raise BudgetExhausted("window")
        limit: Limit | None = "window" if room < want else None
        per_sample = min(want, room)
        left = self.tokens_left()
        if left is not None:
            # The prompt is charged in full until the engine says how much of it was cached.
            affordable = (left - prompt_tokens) // request.n
            if affordable < 1:
                thread.cut_by = "tokens"
                raise BudgetExhausted("tokens")
            if affordable < per_sample:
                per_sample, limit = affordable, "tokens"
        timeout = None
        if self.budget.latency is not None:
            timeout = self.budget.latency - self.elapsed()
            if timeout <= 0:
                thread.cut_by = "latency"
                raise BudgetExhausted("latency")
        reservation = prompt_tokens + per_sample * request.n
        self._reserved += reservation
        submitted = self.elapsed()
        if control is not None:
            return await self._controlled(
                thread,
                replace(request, max_tokens=per_sample),
                control,
                limit,
                timeout,
                reservation,
                prompt_tokens,
                submitted,
            )
        try:
            call = self.engine.generate(replace(request, max_tokens=per_sample))
            result = await (asyncio.wait_for(call, timeout) if timeout is not None else call)
        except TimeoutError:
            thread.cut_by = "latency"
            thread.calls.append((submitted, None, self.elapsed(), 0))
            raise BudgetExhausted("latency") from None
        finally:
            self._reserved -= reservation
        self._charge(thread, result, prompt_tokens)
        self._record_call(thread, result, submitted)
        cut = result.samples and any(s.finish_reason == "length" for s in result.samples)
        thread.cut_by = limit if cut and limit is not None else None
        return result

    async def _controlled(
        self,
        thread: Thread,
        request: GenRequest,
        control: Control,
        limit: Limit | None,
        timeout: float | None,
        reservation: int,
        prompt_tokens: int,
        submitted: float,
    ) -> GenResult:
        """A controlled call: the deadline aborts it through ``control``, so even a cut call is charged."""
        expired: list[bool] = []

        def deadline() -> None:
            expired.append(True)
            control.abort.set()

        timer = None if timeout is None else asyncio.get_running_loop().call_later(timeout, deadline)
        try:
            result = await self.engine.generate(request, control)
        finally:
            self._reserved -= reservation
            if timer is not None:
                timer.cancel()
        self._charge(thread, result, prompt_tokens)
        self._record_call(thread, result, submitted)
        if expired:
            thread.cut_by = "latency"
            raise BudgetExhausted("latency")
        cut = result.samples and any(s.finish_reason == "length" for s in result.samples)
        thread.cut_by = limit if cut and limit is not None else None
        return result

    def _record_call(self, thread: Thread, result: GenResult, submitted: float) -> None:
        """The call's place on the timeline, with the engine's own first-token stamp moved onto this
        meter's clock."""
        ttft = result.timing.time_to_first_token
        first = None if ttft is None or not result.samples else submitted + max(0.0, ttft)
        thread.calls.append(
            (submitted, first, self.elapsed(), max((len(x.token_ids) for x in result.samples), default=0))
        )

    def _charge(self, thread: Thread, result: GenResult, prompt_tokens: int) -> None:
        u = self.usage
        u.engine_calls += 1
        u.prompt_tokens += result.prompt_tokens or prompt_tokens
        u.cached_tokens += result.cached_tokens
        u.decoded_tokens += result.decoded_tokens
        u.flops += result.flops
        longest = max((len(s.token_ids) for s in result.samples), default=0)
        thread.critical_path += longest
        thread.context = (result.prompt_tokens or prompt_tokens) + longest
        u.max_context = max(u.max_context, thread.context)
        self._update_critical_path()

    def timeline(self) -> list[dict[str, Any]]:
        """Every thread as a compact record: ``id``, ``parent`` (id or None), ``calls`` (``[submitted,
        first token, finished, tokens]``, seconds since the problem started, to 0.1 ms), ``joins`` (child
        ids per join), ``cp`` (its critical path) and the strategy's ``notes`` when it left any."""

        def ms(t: float | None) -> float | None:
            return None if t is None else round(t, 4)

        records = []
        for t in self._threads:
            rec: dict[str, Any] = {
                "id": t.id,
                "parent": None if t.parent is None else t.parent.id,
                "calls": [[ms(a), ms(b), ms(c), n] for a, b, c, n in t.calls],
                "joins": [list(j) for j in t.joins],
                "cp": t.critical_path,
            }
            if t.notes:
                rec["notes"] = t.notes
            records.append(rec)
        return records

    def finish(self) -> Usage:
        """Stop the clock; the usage of the whole problem."""
        self.usage.latency_s = self.elapsed()
        return self.usage
