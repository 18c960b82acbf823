"""Derived budgets: rows of smaller budgets cut from the run at the largest equal rows run directly."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from fakes import FakeEngine, replay
from reasonbench.budget import Budget
from reasonbench.derive import Replay, derivation_sources, request_key
from reasonbench.engine.types import GenRequest
from reasonbench.results import MANIFEST, ResultWriter, read_rows
from reasonbench.runner import RunConfig, StrategyConfig, run_async
from reasonbench.strategies.apr import APRParams
from reasonbench.strategies.backtrack import BacktrackParams
from reasonbench.strategies.ffs import FFSParams
from reasonbench.strategies.sc import SCParams
from reasonbench.strategies.short_m import ShortMParams
from reasonbench.tasks import get_task
from reasonbench.tasks.countdown import traces

TASK = get_task("countdown")
PROBLEMS = TASK.generate("cd3", 8)
COMPARED = ["answer", "correct", "finish", "decoded_tokens", "prompt_tokens", "tokens", "max_context"]


def sos(prompt: str, i: int) -> str:
    """A perfect serial searcher (one token per character, so traces run to a few hundred tokens)."""
    problem = TASK.parse_problem(prompt.split("Current State: ", 1)[1].split(", Operations")[0])
    return TASK.trace(problem, "sos", seed=i)[len(TASK.prompt(problem)) :]


def config(strategies, budgets, **kw) -> RunConfig:
    base = dict(
        task="countdown",
        split="cd3",
        strategies=tuple(strategies),
        budgets=tuple(budgets),
        n_problems=len(PROBLEMS),
        model="fake",
        concurrency=4,
    )
    return RunConfig(**(base | kw))


def run(engine, cfg: RunConfig, out: Path) -> pd.DataFrame:
    asyncio.run(run_async(engine, cfg, out, problems=PROBLEMS))
    return read_rows(out).sort_values(["budget", "config_id", "problem_id"]).reset_index(drop=True)


def lengths() -> list[int]:
    return sorted(len(sos(TASK.prompt(p), 0)) + len(TASK.prompt(p)) for p in PROBLEMS)


def windows() -> list[Budget]:
    """A window every trace fits, one that cuts about half of them, and one that cuts them all."""
    n = lengths()
    return [Budget(context=n[-1] + 10), Budget(context=n[len(n) // 2]), Budget(context=n[0] - 5)]


SERIAL = [
    StrategyConfig("backtrack", BacktrackParams(max_tokens=50_000)),
    StrategyConfig("sc", SCParams(n=3, max_tokens=50_000, temperature=1.0)),
]


def test_derived_rows_equal_rows_run_directly(tmp_path: Path) -> None:
    derived = run(FakeEngine(sos), config(SERIAL, windows()), tmp_path / "derived")
    direct = run(FakeEngine(sos), config(SERIAL, windows(), derive=False), tmp_path / "direct")
    assert set(derived.finish) == {"answered", "truncated"}  # some windows cut, some do not
    pd.testing.assert_frame_equal(derived[COMPARED], direct[COMPARED])
    assert (derived.candidates == direct.candidates).all()


def test_only_the_largest_window_reaches_the_engine(tmp_path: Path) -> None:
    engine = FakeEngine(sos)
    rows = run(engine, config(SERIAL, windows()), tmp_path)
    assert len(engine.requests) == len(PROBLEMS) * len(SERIAL)
    big, *small = (b.label for b in windows())
    assert rows[rows.budget == big].derived_from.isna().all()
    assert (rows[rows.budget.isin(small)].derived_from == big).all()


def test_a_token_budget_is_derived_from_a_larger_one(tmp_path: Path) -> None:
    budgets = [Budget(tokens=lengths()[-1] + 10), Budget(tokens=lengths()[3])]
    engine = FakeEngine(sos)
    derived = run(engine, config(SERIAL[:1], budgets), tmp_path / "derived")
    direct = run(FakeEngine(sos), config(SERIAL[:1], budgets, derive=False), tmp_path / "direct")
    assert len(engine.requests) == len(PROBLEMS)
    pd.testing.assert_frame_equal(derived[COMPARED], direct[COMPARED])


def apr_engine() -> FakeEngine:
    texts = []
    for k, p in enumerate(PROBLEMS):
        t = traces.apr(p.data["target"], p.data["nums"], random.Random(k), beam_size=3)
        texts += traces.apr_examples(t)
    return FakeEngine(replay(texts))


def test_apr_rows_derived_at_smaller_windows_equal_rows_run_directly(tmp_path: Path) -> None:
    apr = [StrategyConfig("apr", APRParams(max_tokens=50_000, child_max_tokens=50_000))]
    big = run(apr_engine(), config(apr, [Budget(context=100_000)]), tmp_path / "big")
    contexts = sorted(big.max_context)
    budgets = [Budget(context=100_000), Budget(context=contexts[4]), Budget(context=contexts[0] - 1)]
    derived = run(apr_engine(), config(apr, budgets), tmp_path / "derived")
    direct = run(apr_engine(), config(apr, budgets, derive=False), tmp_path / "direct")
    pd.testing.assert_frame_equal(derived[COMPARED], direct[COMPARED])
    assert derived[derived.budget != "ctx100000"].derived_from.notna().any()


def test_a_run_whose_later_calls_depend_on_a_cut_thread_runs_again(tmp_path: Path) -> None:
    from reasonbench.experiment import strategy_configs

    plugin = Path(__file__).resolve().parents[1] / "strategies" / "example_plugin.py"
    retry = strategy_configs(f"{plugin}:retry", {"retries": 1, "max_tokens": 50_000})
    budgets = windows()[:2]
    derived = run(FakeEngine(sos), config(retry, budgets), tmp_path / "derived")
    direct = run(FakeEngine(sos), config(retry, budgets, derive=False), tmp_path / "direct")
    pd.testing.assert_frame_equal(derived[COMPARED], direct[COMPARED])
    small = derived[derived.budget == budgets[1].label]
    # Cut before its answer, the greedy attempt is retried: a call the source run never made.
    retried = small.engine_calls == 2
    assert retried.any() and small[retried].derived_from.isna().all()
    assert (small[~retried].derived_from == budgets[0].label).all()


def test_racing_samples_run_through_the_runner_and_every_budget_runs_them_afresh(tmp_path: Path) -> None:
    racing = [
        StrategyConfig("ffs", FFSParams(n=3, max_tokens=50_000, temperature=1.0)),
        StrategyConfig("short-m", ShortMParams(k=3, m=2, max_tokens=50_000, temperature=1.0)),
    ]
    engine = FakeEngine(sos)
    rows = run(engine, config(racing, windows()[:2]), tmp_path)
    assert set(rows.finish) <= {"answered", "truncated"}  # the runner's engine wrapper takes controls
    assert rows.derived_from.isna().all()  # when a race is aborted is not in the recorded calls
    assert len(engine.requests) == len(PROBLEMS) * 3 * len(racing) * 2


def test_apr_under_a_token_budget_is_never_derived(tmp_path: Path) -> None:
    apr = [StrategyConfig("apr", APRParams(max_tokens=50_000, child_max_tokens=50_000))]
    rows = run(apr_engine(), config(apr, [Budget(tokens=100_000), Budget(tokens=90_000)]), tmp_path)
    spawned = rows[(rows.budget == "tok90000") & (rows.threads > 1)]
    assert len(spawned) and spawned.derived_from.isna().all()


def test_a_resumed_run_derives_from_source_rows_already_written(tmp_path: Path) -> None:
    cfg = config(SERIAL[:1], windows())
    full = run(FakeEngine(sos), cfg, tmp_path / "full")
    # What an interrupted run leaves: the largest window's rows only.
    part = tmp_path / "part"
    writer = ResultWriter(part, json.loads((tmp_path / "full" / MANIFEST).read_text()))
    for r in pq.read_table(tmp_path / "full" / "rows.parquet").to_pylist():
        if r["derived_from"] is None:
            writer.add(r)
    writer.flush()
    engine = FakeEngine(sos)
    resumed = run(engine, cfg, part)
    assert engine.requests == []
    pd.testing.assert_frame_equal(resumed[COMPARED], full[COMPARED])


def test_budgets_derive_from_the_largest_budget_that_covers_them() -> None:
    b = Budget.parse
    sources = derivation_sources([b("1k"), b("4k"), b("2k,tokens:8k"), b("tokens:8k"), b("latency:5s")])
    assert sources == {
        "ctx1k": b("4k"),
        "ctx4k": None,
        "ctx2k+tok8k": b("4k"),  # the first budget run that covers it
        "tok8k": None,
        "lat5s": None,  # latency is never derived
    }


def replay_of(recorded: FakeEngine, request: GenRequest) -> Replay:
    from reasonbench.derive import Recorder

    recorder = Recorder(recorded)
    asyncio.run(recorder.generate(request))
    return Replay(recorded, recorder.calls, Budget())


def serve(replayed: Replay, request: GenRequest):
    return asyncio.run(replayed.generate(request))


def test_replay_cuts_a_sample_where_the_smaller_window_ends() -> None:
    engine = FakeEngine(lambda prompt, i: "abcdef")
    request = GenRequest(prompt="p", max_tokens=100)
    result = serve(replay_of(engine, request), dataclasses.replace(request, max_tokens=4))
    (s,) = result.samples
    assert (s.text, s.finish_reason, len(s.token_ids)) == ("abcd", "length", 4)


@pytest.mark.parametrize(
    "recorded,asked",
    [
        (GenRequest(prompt="p", max_tokens=3), GenRequest(prompt="p", max_tokens=5)),  # would extend a cut
        (GenRequest(prompt="p", max_tokens=9), GenRequest(prompt="q", max_tokens=5)),  # never asked
        (
            GenRequest(prompt="p", max_tokens=9, temperature=1.0),
            GenRequest(prompt="p", max_tokens=5, temperature=1.0),
        ),  # unseeded sampling
    ],
)
def test_replay_refuses_what_it_cannot_serve_exactly(recorded: GenRequest, asked: GenRequest) -> None:
    replayed = replay_of(FakeEngine(lambda prompt, i: "abcdef"), recorded)
    result = serve(replayed, asked)
    assert replayed.missed and result.error and not result.samples


def test_request_key_ignores_only_max_tokens() -> None:
    a = GenRequest(prompt="p", max_tokens=5)
    assert request_key(a) == request_key(dataclasses.replace(a, max_tokens=7))
    assert request_key(a) != request_key(dataclasses.replace(a, seed=1))
