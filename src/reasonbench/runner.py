"""The runner: problems x strategy configurations x budgets x seeds on one shared engine, streamed to
Parquet as they finish.

Many problems are in flight at once (``concurrency``) so the engine's batches stay full; a latency run
(``concurrency=1``) solves one problem at a time so that each problem's wall-clock is its own. Every
problem gets its own :class:`~reasonbench.meter.Meter`; the row records what it spent and why it stopped.
Budgets that a larger one covers are derived from its rows where that is exact (:mod:`reasonbench.derive`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonbench.budget import Budget
from reasonbench.derive import Recorder, Replay, derivation_sources, scaled_latency
from reasonbench.engine.base import Engine
from reasonbench.meter import Meter
from reasonbench.profiles import get_profile
from reasonbench.results import ResultWriter, done_keys, read_columns, row_key, run_manifest
from reasonbench.rows import Row
from reasonbench.strategies import Attempt, Context
from reasonbench.strategies.base import config_id, config_label, resolve
from reasonbench.tasks import get_task
from reasonbench.tasks.base import Problem

DEFAULT_CONCURRENCY = 256
"""Problems in flight by default: as many sequences as vLLM batches by default (``max_num_seqs`` 256 for
offline use), so the scheduler is never short of work while problems wait on each other's threads."""

TRACE_CHARS = 32_000
"""Traces longer than this are stored cut (head and tail), to keep result files small."""


@dataclass(frozen=True)
class StrategyConfig:
    """One strategy with its parameters."""

    name: str
    """The registered name of the strategy."""
    params: Any
    """An instance of the strategy's parameter dataclass."""

    @property
    def id(self) -> str:
        return config_id(self.name, self.params)

    @property
    def label(self) -> str:
        return config_label(self.name, self.params)


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run's rows (the config hash covers all but ``concurrency``, ``shard``
    and ``derive``)."""

    task: str
    """A registered task (``countdown``, ``sudoku``)."""
    split: str
    """The task's split, resolved: never the default's ``None``."""
    strategies: tuple[StrategyConfig, ...]
    """The strategy configurations that share this run's engine."""
    budgets: tuple[Budget, ...]
    """The budgets every configuration runs under."""
    n_problems: int
    """The first ``n_problems`` problems of the split (its frozen val set when there is one)."""
    seeds: tuple[int, ...] = (0,)
    """Seeds; each problem runs once per seed."""
    model: str = ""
    """What the engine loads: a model directory, a shipped model's name or a hub id; ``openai``: the name
    the server serves the model under."""
    backend: str = "vllm"
    """``vllm`` (in-process) or ``openai`` (a running server)."""
    profile: str = "trace"
    """Prompt profile: ``trace`` or ``instruct``."""
    engine_options: dict[str, Any] = field(default_factory=dict)
    """The engine's options in their canonical form (:func:`~reasonbench.experiment.engine_options`)."""
    concurrency: int = DEFAULT_CONCURRENCY
    """Problems in flight at once; 1 is latency mode, where each problem's wall-clock is its own. Not in
    the config hash: a latency run gets its own default directory instead
    (:meth:`~reasonbench.experiment.Experiment.default_out`)."""
    shard: tuple[int, int] = (0, 1)
    """``(i, N)``: run only problems ``i, i+N, i+2N, ...``. Not in the config hash, so the shards of one
    run share a results directory (or merge by copying their row files together)."""
    derive: bool = True
    """Derive the rows of smaller budgets from the run at the largest (``reasonbench.derive``) where that
    is exact; off runs every budget. Not in the config hash: derived rows equal directly run ones."""

    def __post_init__(self) -> None:
        i, n = self.shard
        if not 0 <= i < n:
            raise ValueError(f"shard must be i/N with 0 <= i < N, got {i}/{n}")

    def shard_of(self, problems: list[Problem]) -> list[Problem]:
        """This shard's share of ``problems`` (a deterministic stride)."""
        return problems[self.shard[0] :: self.shard[1]]

    def config_hash(self) -> str:
        blob = {
            "task": self.task,
            "split": self.split,
            "n_problems": self.n_problems,
            "seeds": list(self.seeds),
            "model": self.model,
            "backend": self.backend,
            "profile": self.profile,
            "strategies": sorted(s.id for s in self.strategies),
            "budgets": sorted(b.label for b in self.budgets),
            "engine_options": {k: str(v) for k, v in sorted(self.engine_options.items())},
        }
        return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:16]


def _cut(text: str) -> str:
    if len(text) <= TRACE_CHARS:
        return text
    half = TRACE_CHARS // 2
    return text[:half] + f"\n...[{len(text) - TRACE_CHARS} characters cut]...\n" + text[-half:]


def make_row(
    config: RunConfig,
    problem: Problem,
    sc: StrategyConfig,
    budget: Budget,
    seed: int,
    attempt: Attempt,
    usage,
    verdict,
    model_name: str,
    candidates_correct: list[bool] | None = None,
    timeline: list[dict[str, Any]] | None = None,
    calls: str = "[]",
    derived_from: str | None = None,
) -> dict[str, Any]:
    """One result row (:class:`~reasonbench.rows.Row`, as the dict the writer takes). Each candidate
    carries its own verdict (``correct``), so maj@k, pass@k and best-of-k are computed from the row without
    re-running the verifier. ``timeline`` is the meter's per-thread record
    (:meth:`~reasonbench.meter.Meter.timeline`); ``in_flight`` is filled in by the runner that knows how
    many problems shared the engine."""
    flags = candidates_correct or [False] * len(attempt.candidates)
    return Row(
        task=problem.task,
        split=problem.split,
        problem_id=problem.id,
        problem_index=problem.index,
        strategy=sc.name,
        config_id=sc.id,
        config_label=sc.label,
        params=json.dumps(dataclasses.asdict(sc.params), sort_keys=True),
        budget=budget.label,
        budget_context=budget.context,
        budget_tokens=budget.tokens,
        budget_latency_s=budget.latency,
        seed=seed,
        correct=bool(verdict.correct),
        answer=attempt.answer,
        reason=verdict.reason,
        finish=attempt.finish,
        decoded_tokens=usage.decoded_tokens,
        prompt_tokens=usage.prompt_tokens,
        cached_tokens=usage.cached_tokens,
        tokens=usage.tokens,
        max_context=usage.max_context,
        critical_path=usage.critical_path,
        flops=usage.flops,
        threads=usage.threads,
        engine_calls=usage.engine_calls,
        latency_s=usage.latency_s,
        candidates=json.dumps(
            [dataclasses.asdict(c) | {"correct": ok} for c, ok in zip(attempt.candidates, flags, strict=True)]
        ),
        info=json.dumps(attempt.info, default=str),
        trace=_cut(attempt.trace),
        calls=calls,
        derived_from=derived_from,
        model=model_name,
        backend=config.backend,
        in_flight=None,
        timeline=None if timeline is None else json.dumps(timeline, separators=(",", ":"), default=str),
    ).as_dict()


async def solve_one(
    engine: Engine,
    config: RunConfig,
    problem: Problem,
    sc: StrategyConfig,
    budget: Budget,
    seed: int,
    source: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Run one strategy configuration on one problem under one budget; a crash becomes an ``error`` row.

    With ``source`` (the row of a budget that covers this one) the row is derived from the source's
    recorded engine calls instead, or ``None`` is returned when that cannot be exact.
    """
    from reasonbench.tasks.base import Verdict

    task = get_task(config.task)
    replay = Replay(engine, json.loads(source["calls"]), budget) if source is not None else None
    recorder = Recorder(replay if replay is not None else engine)
    meter = Meter(recorder, budget)
    ctx = Context(task, get_profile(config.profile), meter, seed=seed)
    spec = resolve(sc.name)
    try:
        attempt = await spec.run(problem, sc.params, ctx)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a strategy bug must cost one row, not the run
        attempt = Attempt(None, "error", info={"exception": f"{type(exc).__name__}: {exc}"[:500]})
    if replay is not None and replay.missed:
        return None
    usage = meter.finish()
    if source is not None:
        usage.latency_s = scaled_latency(source["latency_s"], source["critical_path"], usage.critical_path)
    # The context has verified every answer the strategy normalised already: each is checked once.
    verdict = (
        ctx.verdict(problem, attempt.answer) if attempt.answer is not None else Verdict(False, "no answer")
    )
    candidates_correct = [
        c.answer is not None and ctx.verdict(problem, c.answer).correct for c in attempt.candidates
    ]
    return make_row(
        config,
        problem,
        sc,
        budget,
        seed,
        attempt,
        usage,
        verdict,
        engine.model.name,
        candidates_correct,
        # A derived row's clock is the replay's, not the engine's: it has no timeline of its own.
        timeline=meter.timeline() if source is None else None,
        calls=recorder.dump(),
        derived_from=None if source is None else source["budget"],
    )


class _Load:
    """How many problems share the engine, and the most that did while each one ran (its latency's
    context: 1 in a latency run)."""

    def __init__(self) -> None:
        self._peaks: dict[int, int] = {}
        self._ids = itertools.count()

    def enter(self) -> int:
        """Start a problem; its key for :meth:`leave`."""
        key = next(self._ids)
        self._peaks[key] = 0
        for k in self._peaks:
            self._peaks[k] = max(self._peaks[k], len(self._peaks))
        return key

    def leave(self, key: int) -> int:
        """End a problem; the most problems in flight while it ran (itself included)."""
        return self._peaks.pop(key)


@dataclass
class Pending:
    """A run's results directory and the work left in it, worked out once (:func:`prepare`) before any
    engine opens."""

    config: RunConfig
    out: Path
    writer: ResultWriter
    problems: list[Problem]
    """This shard's problems."""
    done: set[tuple]
    """Keys of the rows already in ``out``."""

    @property
    def total(self) -> int:
        """Rows this shard of the run has when it is complete."""
        c = self.config
        return len(self.problems) * len(c.strategies) * len(c.budgets) * len(c.seeds)

    @property
    def n_done(self) -> int:
        """Rows of this shard already in ``out``."""
        ids = {p.id for p in self.problems}
        return sum(key[0] in ids for key in self.done)


def prepare(
    config: RunConfig,
    out: Path,
    model_name: str,
    problems: list[Problem] | None = None,
    flush_rows: int = 32,
) -> Pending:
    """Claim ``out`` for ``config`` and find what is left to do.

    The writer refuses a directory that holds another configuration's rows (and writes the manifest
    otherwise); the problems and the rows already written are read here, once. ``model_name`` is what the
    rows and manifest call the model (the engine's :attr:`~reasonbench.engine.types.ModelInfo.name`).
    Rows are flushed to a new part file every ``flush_rows`` rows (and every few seconds): a ``kill -9``
    loses at most that many rows, which a re-run then redoes.
    """
    from reasonbench.frozen import load_problems

    writer = ResultWriter(out, run_manifest(config, model_name), shard=config.shard, flush_rows=flush_rows)
    if problems is None:
        problems = load_problems(config.task, config.split, config.n_problems)
    return Pending(config, out, writer, config.shard_of(problems), done_keys(out))


async def execute(
    engine: Engine, pending: Pending, on_row: Callable[[dict[str, Any]], None] | None = None
) -> int:
    """Run every job of ``pending`` not yet done; returns the number of rows written now. A run that
    finishes compacts its shard's parts into one file."""
    config, writer, done = pending.config, pending.writer, pending.done
    # Modules load now, not on the engine's thread while the first requests wait (nor in their latency).
    get_task(config.task)
    for sc in config.strategies:
        resolve(sc.name)
    # Each (problem, configuration, seed) runs its root budgets; the budgets they cover follow, derived.
    sources = derivation_sources(config.budgets)
    derive = config.derive and callable(getattr(engine, "decode", None))
    roots = [b for b in config.budgets if not derive or sources[b.label] is None]
    covered = {r.label: [b for b in config.budgets if derive and sources[b.label] == r] for r in roots}
    problems = pending.problems
    jobs = [(p, sc, r, s) for s in config.seeds for r in roots for sc in config.strategies for p in problems]
    jobs = [
        j for j in jobs if any(_key(j[0], j[1], b, j[3]) not in done for b in [j[2], *covered[j[2].label]])
    ]
    # Source rows written by an earlier (interrupted) run, for the derivations still to do.
    stored = _stored_sources(pending.out, [_key(*j) for j in jobs if _key(*j) in done])
    slots = asyncio.Semaphore(config.concurrency)
    load = _Load()
    written = 0

    def emit(row: dict[str, Any]) -> None:
        nonlocal written
        assert row_key(row) not in done
        writer.add(row)
        written += 1
        if on_row is not None:
            on_row(row)

    async def direct(p: Problem, sc: StrategyConfig, b: Budget, s: int) -> dict[str, Any]:
        async with slots:
            key = load.enter()
            try:
                row = await solve_one(engine, config, p, sc, b, s)
            finally:
                in_flight = load.leave(key)
        assert row is not None
        row["in_flight"] = in_flight
        return row

    async def job(p: Problem, sc: StrategyConfig, root: Budget, s: int) -> None:
        key = _key(p, sc, root, s)
        if key in done:
            source = stored.get(key)
        else:
            source = await direct(p, sc, root, s)
            emit(source)
        for b in covered[root.label]:
            if _key(p, sc, b, s) in done:
                continue
            row = None
            if source is not None and source.get("calls"):
                row = await solve_one(engine, config, p, sc, b, s, source=source)
                if row is not None:
                    row["in_flight"] = source.get("in_flight")
            emit(row if row is not None else await direct(p, sc, b, s))

    try:
        await asyncio.gather(*(job(*j) for j in jobs))
    finally:
        writer.flush()
    writer.compact()
    return written


async def run_async(
    engine: Engine,
    config: RunConfig,
    out: Path,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    problems: list[Problem] | None = None,
    flush_rows: int = 32,
) -> int:
    """:func:`prepare` then :func:`execute` on an engine that is already open; returns the number of rows
    written now."""
    pending = prepare(config, out, engine.model.name, problems, flush_rows)
    return await execute(engine, pending, on_row)


def _key(p: Problem, sc: StrategyConfig, b: Budget, seed: int) -> tuple:
    return (p.id, sc.id, b.label, seed)


def _stored_sources(out: Path, keys: list[tuple]) -> dict[tuple, dict[str, Any]]:
    """The rows with ``keys`` already in ``out``, with what a derivation needs of them."""
    if not keys:
        return {}
    wanted = set(keys)
    columns = ["calls", "latency_s", "critical_path"]
    rows = read_columns(out, columns)
    return {row_key(r): r for r in rows if row_key(r) in wanted}
