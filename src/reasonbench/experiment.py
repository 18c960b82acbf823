"""One way to describe an experiment and build its runs, whichever door it came in by.

``reasonbench run`` (its options), ``reasonbench sweep`` (a TOML preset, :mod:`reasonbench.sweep`) and library
code all describe what to run as an :class:`Experiment`; :func:`build` turns it into the
:class:`~reasonbench.runner.RunConfig` of each engine. The same experiment therefore gets the same
configuration — the same engine options with the same defaults and nesting, the same config hash — so a
``run`` and the equivalent one-strategy preset share (and resume) one results directory.
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonbench.budget import Budget
from reasonbench.engine.vllm_backend import default_dtype
from reasonbench.errors import UserError
from reasonbench.results import LATENCY, run_mode
from reasonbench.runner import DEFAULT_CONCURRENCY, RunConfig, StrategyConfig
from reasonbench.strategies.base import resolve
from reasonbench.tasks import get_task, resolve_split

_VLLM_DEFAULTS = {"tensor_parallel_size": 1, "data_parallel_size": 1}
# Keywords of a backend's constructor that are not engine options a user sets.
_NOT_OPTIONS = {"engine_args", "name"}


@dataclass(frozen=True)
class StrategyGrid:
    """One strategy with its parameters; a list-valued parameter is a grid axis (one configuration per
    value, crossed with the other axes)."""

    name: str
    """A registered strategy, or ``path/to/file.py:Name``."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments of the strategy's parameter dataclass."""
    model: str | None = None
    """The model that runs this strategy; ``None``: the experiment's, else the shipped one that fits."""


@dataclass(frozen=True)
class Experiment:
    """What to run, before any default is filled in: the common form of ``run`` options and presets."""

    strategies: tuple[StrategyGrid, ...]
    """The strategies and their parameter grids."""
    task: str = "countdown"
    """Task name."""
    split: str | None = None
    """Split; ``None``: the task's default."""
    budgets: tuple[str, ...] = ("4k",)
    """Budget specs (``4k``, ``tokens:20k``, ``latency:5s``, a comma mix)."""
    n_problems: int = 100
    """Problems from the split (its frozen val set when there is one)."""
    seeds: tuple[int, ...] = (0,)
    """Seeds; each problem runs once per seed."""
    model: str | None = None
    """Model for every strategy that names none; ``None``: the shipped model that fits each strategy."""
    backend: str = "vllm"
    """``vllm`` (in-process) or ``openai`` (a running server)."""
    profile: str = "trace"
    """Prompt profile: ``trace`` or ``instruct``."""
    engine: Mapping[str, Any] = field(default_factory=dict)
    """Engine options (see :func:`engine_options`)."""
    concurrency: int = DEFAULT_CONCURRENCY
    """Problems in flight at once (1: a latency run)."""
    shard: tuple[int, int] = (0, 1)
    """``(i, N)``: only problems ``i, i+N, ...``."""
    derive: bool = True
    """Derive smaller budgets from the largest where that is exact."""
    name: str | None = None
    """Names the default results directory ``results/<name>``; ``None``: ``<task>-<split>-<strategies>``."""

    def __post_init__(self) -> None:
        if not self.strategies:
            raise UserError("an experiment needs at least one strategy")
        if self.n_problems < 1:
            raise UserError(f"n_problems must be at least 1, got {self.n_problems}")
        if self.concurrency < 1:
            raise UserError(f"concurrency must be at least 1, got {self.concurrency}")
        if not self.seeds:
            raise UserError("an experiment needs at least one seed")
        i, n = self.shard
        if not 0 <= i < n:
            raise UserError(f"--shard must be i/N with 0 <= i < N, got {i}/{n}")

    def default_out(self) -> Path:
        """Where the results go unless the user says otherwise: ``results/<name>``, with ``-latency``
        after it for a run of one problem at a time."""
        if self.name is not None:
            name = self.name
        else:
            split = resolve_split(get_task(self.task), self.split)
            name = f"{self.task}-{split}-{'-'.join(s.name for s in self.strategies)}"
        # The config hash leaves concurrency out (the committed references' hashes stay as they are): in the
        # batch run's directory a latency run would find the rows it should time already there, or add its
        # own among the batch rows.
        return Path("results") / (f"{name}-{LATENCY}" if run_mode(self.concurrency) == LATENCY else name)


def parse_key_values(pairs: list[str], flag: str) -> dict[str, Any]:
    """``["key=value", ...]`` given with ``flag`` → keyword arguments; values read as JSON when they parse
    (numbers, booleans, lists), else as text; ``-`` in a key reads as ``_``."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{flag} expects key=value, got {pair!r}")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        out[key.strip().replace("-", "_")] = value
    return out


def strategy_configs(name: str, params: Mapping[str, Any]) -> list[StrategyConfig]:
    """Expand list-valued parameters into a grid of configurations of strategy ``name``."""
    spec = resolve(name)
    axes = {k: (v if isinstance(v, list) else [v]) for k, v in params.items()}
    out = []
    for combo in itertools.product(*axes.values()) if axes else [()]:
        knobs = dict(zip(axes, combo, strict=True))
        try:
            out.append(StrategyConfig(spec.name, spec.make_params(**knobs)))
        except (TypeError, ValueError) as exc:
            raise UserError(f"strategy {name}: {exc}") from exc
    return out


def _keywords(backend: str) -> set[str]:
    """The engine options ``backend``'s constructor takes by name (its own signature says which)."""
    if backend == "vllm":
        from reasonbench.engine.vllm_backend import VLLMEngine as cls  # imports vLLM only when it opens
    elif backend == "openai":
        from reasonbench.engine.openai_backend import OpenAIEngine as cls  # type: ignore[assignment]
    else:
        from reasonbench.engine import BACKENDS

        raise UserError(f"unknown backend {backend!r}; choose from: {', '.join(BACKENDS)}")
    params = inspect.signature(cls.__init__).parameters.values()
    return {p.name for p in params if p.kind is p.KEYWORD_ONLY} - _NOT_OPTIONS


def engine_options(backend: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """A run's engine options in their one canonical form.

    Options the backend's constructor names stay at the top level, with the defaults filled in (vLLM: the
    machine's :func:`~reasonbench.engine.vllm_backend.default_dtype`, no tensor or data parallelism); any
    other vLLM ``EngineArgs`` key goes into ``engine_args``, sorted, wherever it was given (top level or
    nested). ``None`` means "not set". The openai backend passes nothing through: an option it does not
    take is a one-line error.
    """
    named = _keywords(backend)
    given = {k.replace("-", "_"): v for k, v in options.items() if v is not None}
    extra = dict(given.pop("engine_args", None) or {})
    out: dict[str, Any] = {"dtype": default_dtype(), **_VLLM_DEFAULTS} if backend == "vllm" else {}
    for key, value in given.items():
        if key in named:
            out[key] = value
        elif backend == "vllm":
            extra[key] = value
        else:
            raise UserError(f"engine option {key!r} does not apply to the {backend} backend")
    if extra:
        out["engine_args"] = dict(sorted(extra.items()))
    return dict(sorted(out.items()))


def build(experiment: Experiment) -> list[RunConfig]:
    """The runs of ``experiment``, one per model (strategies that share a model share one engine).

    A strategy's model is its own, else the experiment's, else the shipped model that fits the task, split
    and strategy. Every default is filled in here, so equal experiments give equal configurations.
    """
    from reasonbench.models import require_default_model

    task = experiment.task
    split = resolve_split(get_task(task), experiment.split)
    budgets = tuple(Budget.parse(b) for b in experiment.budgets)
    engine = engine_options(experiment.backend, experiment.engine)
    groups: dict[str, list[StrategyConfig]] = {}
    for grid in experiment.strategies:
        configs = strategy_configs(grid.name, grid.params)
        model = grid.model or experiment.model
        for config in configs:
            name = model or require_default_model(task, split, config.name)
            groups.setdefault(name, []).append(config)
    # The same configuration on two models is two runs (sc on the direct and on the serial model); only
    # a repeat on one model would write two rows under one key.
    for model, group in groups.items():
        ids = [c.id for c in group]
        if len(set(ids)) != len(ids):
            raise UserError(f"the same strategy configuration appears twice on model {model}")
    return [
        RunConfig(
            task=task,
            split=split,
            strategies=tuple(group),
            budgets=budgets,
            n_problems=experiment.n_problems,
            seeds=tuple(experiment.seeds),
            model=model,
            backend=experiment.backend,
            profile=experiment.profile,
            engine_options=engine,
            concurrency=experiment.concurrency,
            shard=experiment.shard,
            derive=experiment.derive,
        )
        for model, group in groups.items()
    ]
