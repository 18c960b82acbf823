"""The strategy plugin API: a strategy is a short async program over the metered engine.

    @strategy("cot", params=CoTParams)
    async def cot(problem: Problem, params: CoTParams, ctx: Context) -> Attempt: ...

It sees the problem, its frozen parameters and a :class:`Context` (the task's prompt/answer conventions via
a profile, and the :class:`~reasonbench.meter.Meter` through which every engine call goes). It never
imports a backend and never sees whether an answer is correct, except through the ``oracle`` scorer of
best-of-N, which is labelled as the upper bound it is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reasonbench.engine.types import Sample
from reasonbench.meter import Meter, Thread
from reasonbench.profiles import Profile
from reasonbench.registry import Registry
from reasonbench.tasks.base import Problem, Task, Verdict

Finish = Literal["answered", "truncated", "budget", "error", "aborted"]
"""Why a thread or attempt stopped; ``aborted`` marks a candidate its own strategy stopped early (ffs,
short-m, deepconf): it is charged, and it counts as a sample without an answer."""


@dataclass(frozen=True)
class Candidate:
    """One sampled answer of a multi-sample strategy (kept so maj@k and best-of-k need no re-generation)."""

    answer: str | None
    normalized: str | None
    score: float | None = None
    finish: Finish = "answered"


@dataclass(frozen=True)
class Attempt:
    """What a strategy settled on for one problem, and why it stopped."""

    answer: str | None
    finish: Finish
    trace: str = ""
    candidates: tuple[Candidate, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What a strategy may use besides the engine: the task's conventions and the meter."""

    task: Task
    profile: Profile
    meter: Meter
    seed: int = 0
    _verdicts: dict[tuple[str, str], Verdict] = field(default_factory=dict, repr=False)

    def verdict(self, problem: Problem, answer: str) -> Verdict:
        """The task's verdict on ``answer``, computed once per answer: voting, the oracle scorer and the
        runner's row all ask for it (a strategy reads ``correct`` only as the labelled oracle)."""
        key = (problem.id, answer)
        if key not in self._verdicts:
            self._verdicts[key] = self.task.verify(problem, answer)
        return self._verdicts[key]

    def normalize(self, problem: Problem, answer: str | None) -> str | None:
        """The answer's normal form for voting (``None`` if it does not parse); correctness stays hidden."""
        return None if answer is None else self.verdict(problem, answer).normalized


StrategyFn = Callable[[Problem, Any, Context], Awaitable[Attempt]]


@dataclass(frozen=True)
class StrategySpec:
    """A registered strategy: its name, parameter dataclass and program."""

    name: str
    params: type
    run: StrategyFn

    def make_params(self, **knobs: Any) -> Any:
        """Build the parameters from ``knobs``; unknown names are rejected by the dataclass."""
        return self.params(**knobs)


STRATEGIES: Registry[StrategySpec] = Registry("strategy", "reasonbench.strategies")

MAX_SAMPLES = 1024
"""The most samples a multi-sample strategy draws for one problem."""

Bound = int | float | str | None
"""A range end for :func:`check_range`: a number, another field's name, or ``None`` (unbounded)."""


def check_range(
    params: Any,
    name: str,
    low: Bound = None,
    high: Bound = None,
    *,
    open_low: bool = False,
    open_high: bool = False,
) -> None:
    """Reject ``params.<name>`` outside ``low..high`` with a ``ValueError`` that names the field and the
    range, e.g. ``window must be in 1..n=4, got 9``.

    A bound given as a string is another field of ``params``; ``open_low``/``open_high`` exclude that end.
    ``None`` as the value is not checked (an optional knob that is off).
    """
    value = getattr(params, name)
    if value is None:
        return
    lo = getattr(params, low) if isinstance(low, str) else low
    hi = getattr(params, high) if isinstance(high, str) else high
    above = lo is None or (value > lo if open_low else value >= lo)
    below = hi is None or (value < hi if open_high else value <= hi)
    if above and below:
        return

    def show(bound: Bound, resolved: Any) -> str:
        return f"{bound}={resolved}" if isinstance(bound, str) else str(bound)

    if hi is None:
        rule = f"{'>' if open_low else '>='} {show(low, lo)}"
    elif lo is None:
        rule = f"{'<' if open_high else '<='} {show(high, hi)}"
    elif not (open_low or open_high):
        rule = f"in {show(low, lo)}..{show(high, hi)}"
    else:
        rule = f"in {'(' if open_low else '['}{show(low, lo)}, {show(high, hi)}{')' if open_high else ']'}"
    raise ValueError(f"{name} must be {rule}, got {value!r}")


def check_sampling(params: Any) -> None:
    """The checks the sampling knobs of every strategy share, for those of them ``params`` has:
    ``max_tokens >= 1``, ``temperature >= 0`` and ``top_p`` in ``(0, 1]``."""
    for name, low, high, open_low in (
        ("max_tokens", 1, None, False),
        ("temperature", 0, None, False),
        ("top_p", 0, 1, True),
    ):
        if hasattr(params, name):
            check_range(params, name, low, high, open_low=open_low)


def check_choice(params: Any, name: str, choices: Sequence[str]) -> None:
    """Reject ``params.<name>`` not among ``choices`` with a ``ValueError`` naming the field and them."""
    value = getattr(params, name)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def strategy(name: str, params: type) -> Callable[[StrategyFn], StrategyFn]:
    """Register the decorated coroutine function as strategy ``name`` with parameter dataclass ``params``."""
    if not dataclasses.is_dataclass(params):
        raise TypeError(f"strategy {name!r}: params must be a dataclass, got {params!r}")

    def register(fn: StrategyFn) -> StrategyFn:
        spec = StrategySpec(name, params, fn)
        STRATEGIES.register(name, lambda: spec)
        return fn

    return register


def resolve(name: str) -> StrategySpec:
    """A registered strategy, or one defined in a file: ``path/to/file.py:Name`` imports the file (its
    ``@strategy`` decorator registers it) and returns the strategy registered as ``Name``."""
    path, sep, attr = name.rpartition(":")
    if sep and path.endswith(".py"):
        import importlib.util
        from pathlib import Path

        from reasonbench.errors import UserError

        file = Path(path)
        if not file.exists():
            raise UserError(f"no strategy file {file}")
        module_name = f"reasonbench_plugin_{file.stem}"
        mod_spec = importlib.util.spec_from_file_location(module_name, file)
        if mod_spec is None or mod_spec.loader is None:
            raise UserError(f"cannot import {file}")
        if not STRATEGIES.registered(attr):  # the file registers on import; import it once
            module = importlib.util.module_from_spec(mod_spec)
            sys.modules[module_name] = module  # dataclasses look their module up while the file executes
            mod_spec.loader.exec_module(module)
        return STRATEGIES.get(attr)
    return STRATEGIES.get(name)


def config_id(name: str, params: Any) -> str:
    """Stable id of a configuration: hash of the canonical JSON of (name, params)."""
    blob = json.dumps({"strategy": name, "params": dataclasses.asdict(params)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def config_label(name: str, params: Any) -> str:
    """Readable label: ``sc n=8 temperature=1.0`` (non-default knobs only)."""
    defaults = params.__class__()
    knobs = [
        f"{f.name}={getattr(params, f.name)}"
        for f in dataclasses.fields(params)
        if getattr(params, f.name) != getattr(defaults, f.name)
    ]
    return " ".join([name, *knobs])


def derive_seed(seed: int, index: int) -> int:
    """The seed of the ``index``-th separate request of a problem run with ``seed`` (index 0 keeps it):
    separate requests with one seed would draw the same sample."""
    return seed if index == 0 else zlib.crc32(f"{seed}:{index}".encode()) & 0x7FFFFFFF


def finish_of(thread: Thread, sample: Sample | None, answer: str | None) -> Finish:
    """Why a thread stopped: a budget cut it, it ran out of room, or it finished (answer or not)."""
    if thread.cut_by in ("tokens", "latency"):
        return "budget"
    if thread.cut_by == "window" or (
        sample is not None and sample.finish_reason == "length" and answer is None
    ):
        return "truncated"
    if sample is not None and sample.finish_reason in ("abort", "error"):
        return "error"
    return "answered"
