"""DeepConf (Fu et al. 2025, arXiv 2508.15260): stop low-confidence traces early, vote weighted by confidence.

Token confidence is minus the mean log-probability of the step's top-k candidate tokens (high when the model
is sure); a trace's group confidence is the mean over a sliding window of ``group`` tokens, and its
confidence the lowest group confidence along it (the whole trace when it is shorter than a window).

* ``online``: ``warmup`` traces are drawn in full; the threshold is the ``100 - keep`` percentile of their
  confidences. The other ``n - warmup`` traces race, and each is aborted (charged what it decoded) as soon
  as its current window's confidence falls below the threshold. The vote is over the warm-up traces at or
  above the threshold and the traces that were never stopped.
* ``offline``: all n traces are drawn in full and the ``keep`` percent most confident vote.

The vote weights each answer by the summed confidence of the traces giving it.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict, deque
from dataclasses import dataclass

import numpy as np

from reasonbench.engine.types import MAX_TOP_LOGPROBS, Sample, Watch
from reasonbench.strategies.base import (
    MAX_SAMPLES,
    Attempt,
    Candidate,
    Context,
    check_choice,
    check_range,
    check_sampling,
    strategy,
)
from reasonbench.strategies.race import Race
from reasonbench.strategies.sc import sample_candidates
from reasonbench.tasks.base import Problem


@dataclass(frozen=True)
class DeepConfParams:
    n: int = 16
    """Traces in all (warm-up included)."""
    warmup: int = 4
    """Online mode: traces drawn in full to set the threshold (1 <= warmup <= n)."""
    keep: float = 90.0
    """Percent of traces kept: 90 is DeepConf-high (a lenient threshold), 10 DeepConf-low."""
    group: int = 16
    """Sliding-window length in tokens for group confidence."""
    top_logprobs: int = 5
    """k: candidate tokens per step whose log-probabilities define token confidence."""
    mode: str = "online"
    """``online`` (stop traces early) or ``offline`` (draw all, filter after)."""
    max_tokens: int = 4096
    """Each trace's decode allowance."""
    temperature: float = 1.0
    """Sampling temperature of every sample (0 is greedy, which makes the samples identical)."""
    top_p: float = 1.0
    """Nucleus sampling: the smallest set of tokens whose probability reaches ``top_p`` (1 = all)."""

    def __post_init__(self) -> None:
        check_range(self, "n", 1, MAX_SAMPLES)
        check_range(self, "warmup", 1, "n")
        check_range(self, "keep", 0, 100, open_low=True)
        check_range(self, "group", 1)
        check_range(self, "top_logprobs", 1, MAX_TOP_LOGPROBS)
        check_choice(self, "mode", ("online", "offline"))
        check_sampling(self)


# A log-probability below this counts as this: an engine may report -inf for a token it masked, and one
# infinite confidence would turn every window sum after it into inf - inf = nan.
LOGPROB_FLOOR = -100.0


def token_confidence(top: tuple[float, ...]) -> float:
    """Minus the mean log-probability of a step's top-k tokens (0 for a step without any); ``-inf`` counts
    as :data:`LOGPROB_FLOOR` and a ``nan`` is left out."""
    finite = [max(lp, LOGPROB_FLOOR) for lp in top if not math.isnan(lp)]
    return -sum(finite) / len(finite) if finite else 0.0


def trace_confidence(sample: Sample | None, group: int) -> float:
    """The lowest sliding-window mean of token confidence along ``sample`` (0 for an empty trace)."""
    confs = [token_confidence(t) for t in (sample.top_logprobs or ())] if sample else []
    if not confs:
        return 0.0
    if len(confs) <= group:
        return sum(confs) / len(confs)
    window = sum(confs[:group])
    lowest = window
    for i in range(group, len(confs)):
        window += confs[i] - confs[i - group]
        lowest = min(lowest, window)
    return lowest / group


def stop_below(threshold: float, group: int) -> Watch:
    """A watch that stops a trace once a full window's mean confidence falls below ``threshold``."""
    window: deque[float] = deque(maxlen=group)
    total = [0.0]

    def watch(_token: int, top: tuple[float, ...]) -> bool:
        if len(window) == group:
            total[0] -= window[0]
        c = token_confidence(top)
        window.append(c)
        total[0] += c
        return len(window) == group and total[0] / group < threshold

    return watch


def weighted_vote(candidates: list[Candidate]) -> Candidate | None:
    """The answer with the largest summed confidence (ties: the earliest); the most confident trace giving
    it is returned."""
    weight: dict[str, float] = defaultdict(float)
    for c in candidates:
        if c.normalized is not None:
            weight[c.normalized] += c.score if c.score is not None and math.isfinite(c.score) else 0.0
    if not weight:
        return None
    top = max(weight.values())
    best = next(c.normalized for c in candidates if c.normalized is not None and weight[c.normalized] == top)
    return max((c for c in candidates if c.normalized == best), key=lambda c: c.score or 0.0)


@strategy("deepconf", params=DeepConfParams)
async def deepconf(problem: Problem, params: DeepConfParams, ctx: Context) -> Attempt:
    """Warm up, set the confidence threshold, stop traces that fall below it, vote weighted by confidence."""
    first = params.warmup if params.mode == "online" else params.n
    draw = await sample_candidates(
        problem,
        ctx,
        first,
        params.max_tokens,
        params.temperature,
        params.top_p,
        top_logprobs=params.top_logprobs,
    )
    if draw.failed is not None:
        return Attempt(None, draw.failed)
    confs = [trace_confidence(s, params.group) for s in draw.samples]
    scored = [dataclasses.replace(c, score=v) for c, v in zip(draw.candidates, confs, strict=True)]
    texts = list(draw.texts)
    if params.mode == "offline":
        kept_n = max(1, math.ceil(len(scored) * params.keep / 100))
        kept = sorted(scored, key=lambda c: -(c.score or 0.0))[:kept_n]
        threshold = min(c.score or 0.0 for c in kept)
    else:
        threshold = float(np.percentile(confs, 100 - params.keep))
        kept = [c for c in scored if (c.score or 0.0) >= threshold]
        rest = params.n - len(draw.samples)
        if rest > 0:
            race = Race(
                problem,
                ctx,
                rest,
                params.max_tokens,
                params.temperature,
                params.top_p,
                top_logprobs=params.top_logprobs,
                watch=lambda _: stop_below(threshold, params.group),
                first_seed=len(draw.samples) + 1,
            )
            async for _ in race.finished():
                pass
            await race.stop()
            for r in race.order:
                c = dataclasses.replace(r.candidate, score=trace_confidence(r.sample, params.group))
                scored.append(c)
                texts.append(race.text(r))
                if c.finish != "aborted":
                    kept.append(c)
    info = {
        "threshold": threshold,
        "kept": len(kept),
        "stopped": sum(c.finish == "aborted" for c in scored),
        **draw.info,
    }
    winner = weighted_vote(kept)
    if winner is None:
        return Attempt(None, scored[0].finish, trace=texts[0], candidates=tuple(scored), info=info)
    i = next(j for j, c in enumerate(scored) if c is winner)
    return Attempt(winner.answer, "answered", trace=texts[i], candidates=tuple(scored), info=info)
