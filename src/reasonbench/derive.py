"""One generation, many budgets (docs/design.md): rows for smaller budgets derived from a larger run.

Greedy and seeded decoding do not depend on ``max_tokens``: a thread run at a 4k window holds, in its first
1k tokens, exactly what a 1k run would have written. So every row records its engine calls (each call's
request key, the ``max_tokens`` it was sent with, prompt and cached counts, and every sample's token ids,
finish reason, matched stop string and log-probabilities when asked for), and a smaller budget is derived by
running the strategy again against :class:`Replay`, an engine that serves the recorded calls cut to the
``max_tokens`` the meter now allows. The strategy re-reads its answer from the cut text, the meter recounts
usage, the verifier re-checks: the row is the one a direct run would have written.

Replay refuses (and the runner runs the budget directly) whenever it cannot be exact: a request it has not
seen (a multi-thread run whose cut thread changed what came next, e.g. an APR child cut before it answered),
a sample it would have to extend rather than cut, unseeded sampling, a cut sample whose log-probabilities
were not recorded, an engine abort, an abortable request (the racing samples of ffs, short-m and deepconf),
and, under a token budget, calls that overlap in time (concurrent
threads reserve tokens in an order that depends on timing).

What a derived row does not measure: ``latency_s`` is the source row's latency scaled by the ratio of
critical paths (an estimate; latency budgets are never derived), and ``cached_tokens`` are those of the
source run (a direct run's prefix-cache hits depend on what else was in the cache).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from reasonbench.budget import Budget
from reasonbench.engine.flops import request_flops
from reasonbench.engine.types import Control, GenRequest, GenResult, ModelInfo, Sample, Timing


def request_key(request: GenRequest) -> str:
    """What identifies a request apart from its ``max_tokens``: prompt and sampling settings."""
    fields = dataclasses.asdict(request)
    fields.pop("max_tokens")
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:20]


def _call_record(request: GenRequest, result: GenResult) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "key": request_key(request),
        "max_tokens": request.max_tokens,
        "prompt_tokens": result.prompt_tokens,
        "cached_tokens": result.cached_tokens,
        "samples": [
            {"token_ids": list(s.token_ids), "finish": s.finish_reason, "stop": s.stop_str}
            | ({"logprobs": list(s.logprobs)} if s.logprobs is not None else {})
            for s in result.samples
        ],
    }
    if result.error:
        rec["error"] = result.error
    return rec


class Recorder:
    """Wraps an engine and keeps a record of every call made through it (for the row's ``calls``)."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.backend: str = engine.backend
        self.model: ModelInfo = engine.model
        self.calls: list[dict[str, Any]] = []

    def count_tokens(self, text: str) -> int:
        return self._engine.count_tokens(text)

    async def generate(self, request: GenRequest, control: Control | None = None) -> GenResult:
        result = await self._engine.generate(request, control)
        self.calls.append(_call_record(request, result))
        return result

    async def close(self) -> None:
        """The wrapped engine is shared: closing a recorder leaves it open."""

    def dump(self) -> str:
        """The calls as compact JSON text."""
        return json.dumps(self.calls, separators=(",", ":"))


class Replay:
    """An engine that serves a recorded run's calls, cut to each request's ``max_tokens``.

    ``missed`` is set (with ``why``) when a request cannot be served exactly; the request then gets an
    error result, and the attempt must be discarded.
    """

    backend = "replay"

    def __init__(self, engine: Any, calls: Iterable[dict[str, Any]], budget: Budget) -> None:
        self._engine = engine
        self.model: ModelInfo = engine.model
        self._calls: dict[str, deque[dict[str, Any]]] = {}
        for call in calls:
            self._calls.setdefault(call["key"], deque()).append(call)
        self._forbid_overlap = budget.tokens is not None
        self._in_flight = 0
        self.missed = False
        self.why = ""

    def count_tokens(self, text: str) -> int:
        return self._engine.count_tokens(text)

    async def close(self) -> None:
        """Nothing to release."""

    def _miss(self, why: str, prompt_tokens: int = 0) -> GenResult:
        self.missed, self.why = True, self.why or why
        now = time.monotonic()
        return GenResult((), prompt_tokens, 0, Timing(now, None, now), error=f"not derivable: {why}")

    async def generate(self, request: GenRequest, control: Control | None = None) -> GenResult:
        self._in_flight += 1
        try:
            if control is not None:
                # When a racing sample is aborted depends on when the others finished in real time,
                # which a replay does not reproduce.
                return self._miss("an abortable request")
            if self._forbid_overlap and self._in_flight > 1:
                return self._miss("concurrent calls under a token budget")
            result = self._serve(request)
            # Let concurrent callers reach the engine as they would on a real one.
            await asyncio.sleep(0)
            return result
        finally:
            self._in_flight -= 1

    def _serve(self, request: GenRequest) -> GenResult:
        if request.temperature > 0 and request.seed is None:
            return self._miss("unseeded sampling")
        queue = self._calls.get(request_key(request))
        if not queue:
            return self._miss("a request the source run never made")
        call = queue.popleft()
        now = time.monotonic()
        prompt_tokens, cached = call["prompt_tokens"], call["cached_tokens"]
        if call.get("error"):
            return GenResult((), prompt_tokens, cached, Timing(now, None, now), error=call["error"])
        m = request.max_tokens
        samples = []
        for s in call["samples"]:
            ids, finish, stop, logprobs = s["token_ids"], s["finish"], s.get("stop"), s.get("logprobs")
            if finish not in ("stop", "length"):
                return self._miss(f"a sample ended with {finish}", prompt_tokens)
            if len(ids) > m:
                ids, finish, stop = ids[:m], "length", None
                logprobs = logprobs[:m] if logprobs is not None else None
            elif finish == "length" and len(ids) < m:
                return self._miss("a sample would have to be extended", prompt_tokens)
            if request.logprobs and logprobs is None:
                return self._miss("log-probabilities were not recorded", prompt_tokens)
            text = self._engine.decode(ids)
            if stop is not None and stop in text:  # the engine's text ends at the stop string
                text = text[: text.index(stop) + len(stop)]
            samples.append(
                Sample(
                    text,
                    tuple(ids),
                    finish,
                    stop,
                    tuple(logprobs) if request.logprobs and logprobs is not None else None,
                )
            )
        mi = self.model
        flops = request_flops(
            mi.n_params, mi.n_layers, mi.d_model, prompt_tokens, cached, [len(s.token_ids) for s in samples]
        )
        return GenResult(tuple(samples), prompt_tokens, cached, Timing(now, now, now), flops=flops)


def covers(big: Budget, small: Budget) -> bool:
    """Whether a run under ``big`` allowed every thread at least what ``small`` allows (``None`` is
    unlimited). Latency budgets are never derived: a derived row has no wall-clock of its own."""
    if big == small or big.latency is not None or small.latency is not None:
        return False

    def at_least(a: int | None, b: int | None) -> bool:
        return a is None or (b is not None and a >= b)

    return at_least(big.context, small.context) and at_least(big.tokens, small.tokens)


def derivation_sources(budgets: Iterable[Budget]) -> dict[str, Budget | None]:
    """For each budget (by label), the budget whose run it is derived from, or ``None`` to run it.

    Budgets no other covers are run; every other one is derived from the first run budget covering it.
    """
    budgets = list(budgets)
    roots = [b for b in budgets if not any(covers(o, b) for o in budgets)]
    return {b.label: None if b in roots else next(r for r in roots if covers(r, b)) for b in budgets}


def scaled_latency(source_latency: float, source_critical: int, critical: int) -> float:
    """A derived row's wall-clock estimate: the source's, scaled by the share of its critical path."""
    if source_critical <= 0:
        return source_latency
    return source_latency * min(1.0, critical / source_critical)
