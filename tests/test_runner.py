"""The runner: rows stream to Parquet that pandas and DuckDB read, re-runs resume, kill -9 loses nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fakes import FakeEngine
from reasonbench.budget import Budget
from reasonbench.errors import UserError
from reasonbench.results import MANIFEST, read_rows
from reasonbench.runner import RunConfig, StrategyConfig, run_async
from reasonbench.strategies.apr import APRParams
from reasonbench.strategies.cot import CoTParams
from reasonbench.sweep import load_preset
from reasonbench.tasks import get_task

TASK = get_task("countdown")
TESTS = Path(__file__).resolve().parent


def solving_script(prompt: str, i: int) -> str:
    """Answers every Countdown prompt with its reference trace (a perfect model)."""
    problem = TASK.parse_problem(prompt.split("Current State: ", 1)[1].split(", Operations")[0])
    trace = TASK.trace(problem, "sos", seed=0)
    return (
        trace[len(TASK.prompt(problem)) :] if trace.startswith(prompt[-len(TASK.prompt(problem)) :]) else ""
    )


def config(n: int = 5, **kw) -> RunConfig:
    # The fake engine counts characters as tokens, so traces are long: give cot room.
    base = dict(
        task="countdown",
        split="cd3",
        strategies=(
            StrategyConfig("cot", CoTParams(max_tokens=50_000)),
            StrategyConfig("apr", APRParams(max_tokens=256)),
        ),
        budgets=(Budget(context=60_000), Budget(tokens=60)),
        n_problems=n,
        model="fake",
        concurrency=4,
    )
    base.update(kw)
    return RunConfig(**base)


def test_rows_land_in_parquet_that_pandas_and_duckdb_read(tmp_path: Path) -> None:
    written = asyncio.run(run_async(FakeEngine(solving_script), config(), tmp_path))
    assert written == 5 * 2 * 2
    df = read_rows(tmp_path)
    assert len(df) == 20
    cot_big = df[(df.strategy == "cot") & (df.budget != "tok60")]
    assert cot_big.correct.all() and (cot_big.finish == "answered").all()
    assert (df[df.budget == "tok60"].tokens <= 60).all()
    import duckdb

    con = duckdb.connect()
    n, acc = con.execute(
        f"select count(*), avg(correct::int) from read_parquet('{tmp_path}/*.parquet')"
    ).fetchone()
    assert n == 20 and 0 < acc < 1
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["config_hash"] == config().config_hash()
    assert "versions" in manifest and "git_commit" in manifest


def test_a_finished_run_is_one_compressed_file_with_the_manifest_once(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    asyncio.run(run_async(FakeEngine(solving_script), config(n=3), tmp_path, flush_rows=1))
    (rows,) = tmp_path.glob("*.parquet")
    meta = pq.read_metadata(rows)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert json.loads(meta.metadata[b"reasonbench.manifest"]) == manifest
    assert rows.read_bytes().count(manifest["config_hash"].encode()) == 1
    trace = meta.schema.names.index("trace")
    assert meta.row_group(0).column(trace).compression == "ZSTD"


def test_rerun_resumes_without_repeating_rows(tmp_path: Path) -> None:
    asyncio.run(run_async(FakeEngine(solving_script), config(n=3), tmp_path))
    engine = FakeEngine(solving_script)
    assert asyncio.run(run_async(engine, config(n=3), tmp_path)) == 0
    assert engine.requests == []
    df = read_rows(tmp_path)
    assert len(df) == len(df.drop_duplicates(["problem_id", "config_id", "budget", "seed"])) == 12


def test_results_of_another_configuration_are_refused(tmp_path: Path) -> None:
    asyncio.run(run_async(FakeEngine(solving_script), config(n=2), tmp_path))
    with pytest.raises(UserError, match="another configuration"):
        asyncio.run(run_async(FakeEngine(solving_script), config(n=2, seeds=(1,)), tmp_path))


def test_a_crashing_strategy_costs_one_row_not_the_run(tmp_path: Path) -> None:
    def script(prompt: str, i: int) -> str:
        raise RuntimeError("engine fell over")

    asyncio.run(run_async(FakeEngine(script), config(n=2), tmp_path))
    df = read_rows(tmp_path)
    assert len(df) == 8 and not df.correct.any()
    # Every call that reached the engine crashed; a problem whose prompt alone exceeds the token budget
    # never reached it and is a budget stop.
    assert set(df.finish) <= {"error", "budget"}
    errors = df[df.finish == "error"]
    assert len(errors) >= 6 and errors["info"].str.contains("engine fell over").all()


KILL_SCRIPT = """
import asyncio, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from fakes import FakeEngine
from test_runner import config, solving_script
from reasonbench.runner import run_async
engine = FakeEngine(solving_script, seconds_per_token=0.0004)
asyncio.run(run_async(engine, config(n=12), Path({out!r}), flush_rows=1))
"""


def test_kill_minus_nine_mid_run_then_resume_loses_and_repeats_nothing(tmp_path: Path) -> None:
    out = tmp_path / "res"
    code = KILL_SCRIPT.format(tests=str(TESTS), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=TESTS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("part-*.parquet"))) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(read_rows(out))
    assert 0 < partial < 12 * 2 * 2, "the kill should land mid-run"
    asyncio.run(run_async(FakeEngine(solving_script), config(n=12), out))
    df = read_rows(out)
    keys = df[["problem_id", "config_id", "budget", "seed"]]
    assert len(df) == 12 * 2 * 2
    assert not keys.duplicated().any()


def test_budget_parsing() -> None:
    assert Budget.parse("4k") == Budget(context=4096)
    assert Budget.parse("tokens:20k,latency:5s") == Budget(tokens=20480, latency=5.0)
    assert Budget.parse("ctx:2048,tok:1k").label == "ctx2k+tok1k"
    assert Budget.parse("latency:500ms").latency == pytest.approx(0.5)
    for bad in ("", "4q", "tokens:-3", "speed:4", "4k,context:2k", "ctx4k+ctx2k", "tok", "lat5q"):
        with pytest.raises(UserError):
            Budget.parse(bad)


@given(
    context=st.none() | st.integers(1, 1 << 20),
    tokens=st.none() | st.integers(1, 1 << 22),
    latency_ms=st.none() | st.integers(1, 10**6),
)
def test_a_budget_label_parses_back_to_the_budget(
    context: int | None, tokens: int | None, latency_ms: int | None
) -> None:
    # Cards and tables print labels (``ctx4k+tok1k``); the command they print must run the same budget.
    latency = None if latency_ms is None else latency_ms / 1000
    budget = Budget(context=context, tokens=tokens, latency=latency)
    assume(budget != Budget())
    assert Budget.parse(budget.label) == budget


def test_preset_expands_parameter_grids(tmp_path: Path) -> None:
    preset = tmp_path / "p.toml"
    preset.write_text(
        'task = "countdown"\nsplit = "cd3"\nn_problems = 7\nbudgets = ["1k", "tokens:2k"]\n'
        '[[strategy]]\nname = "sc"\nparams = { n = [2, 4], temperature = 0.7 }\n'
        '[[strategy]]\nname = "cot"\n'
    )
    (cfg,) = load_preset(preset, model="some-model")
    assert [s.label for s in cfg.strategies] == ["sc n=2 temperature=0.7", "sc n=4 temperature=0.7", "cot"]
    assert cfg.n_problems == 7 and len(cfg.budgets) == 2 and cfg.model == "some-model"
    preset.write_text('[[strategy]]\nname = "sc"\nparams = { n = 0 }\n')
    with pytest.raises(UserError, match="n must be"):
        load_preset(preset)


def test_out_of_tree_plugin_loads_from_a_file(tmp_path: Path) -> None:
    from reasonbench.experiment import strategy_configs

    plugin = Path(__file__).resolve().parents[1] / "strategies" / "example_plugin.py"
    (cfg,) = strategy_configs(f"{plugin}:retry", {"retries": 2, "max_tokens": 50_000})
    assert cfg.name == "retry"
    written = asyncio.run(run_async(FakeEngine(solving_script), config(n=2, strategies=(cfg,)), tmp_path))
    assert written == 4 and read_rows(tmp_path).correct.any()


def test_preset_groups_strategies_by_model(tmp_path: Path) -> None:
    preset = tmp_path / "p.toml"
    preset.write_text(
        'model = "m1"\n[[strategy]]\nname = "cot"\n[[strategy]]\nname = "sc"\nmodel = "m2"\n'
        '[[strategy]]\nname = "bon"\n'
    )
    runs = load_preset(preset)
    assert {r.model: [s.name for s in r.strategies] for r in runs} == {"m1": ["cot", "bon"], "m2": ["sc"]}
    (one,) = load_preset(preset, model="m3")  # an explicit --model serves every strategy
    assert [s.name for s in one.strategies] == ["cot", "sc", "bon"]


@pytest.mark.parametrize("preset", sorted((TESTS.parent / "strategies").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_presets_load_every_strategy_and_budget_they_name(preset: Path) -> None:
    import tomllib

    raw = tomllib.loads(preset.read_text())
    (cfg,) = load_preset(preset, model="any")  # one --model serves every strategy
    assert {s.name for s in cfg.strategies} == {entry["name"] for entry in raw["strategy"]}
    assert [b.label for b in cfg.budgets] == [Budget.parse(b).label for b in raw["budgets"]]


def test_each_candidate_carries_its_own_verdict(tmp_path: Path) -> None:
    from reasonbench.strategies.sc import SCParams

    def half_right(prompt: str, i: int) -> str:  # even samples: the solving trace; odd: a false claim
        return (
            solving_script(prompt, i)
            if i % 2 == 0
            else "Exploring Operation: 1+1=2\n2,2 equal: Goal Reached\n"
        )

    sc = StrategyConfig("sc", SCParams(n=4, max_tokens=50_000))
    cfg = config(n=3, strategies=(sc,), budgets=(Budget(),))
    asyncio.run(run_async(FakeEngine(half_right), cfg, tmp_path))
    rows = read_rows(tmp_path)
    assert len(rows) == 3
    for text in rows.candidates:
        assert [c["correct"] for c in json.loads(text)] == [True, False, True, False]


def test_shards_split_the_problems_and_merge_in_one_directory(tmp_path: Path) -> None:
    from reasonbench.runner import prepare

    def left(shard: RunConfig) -> tuple[int, int]:
        pending = prepare(shard, tmp_path / "shared", "fake")
        return pending.total, pending.n_done

    whole = config(n=5)
    shards = [dataclasses.replace(whole, shard=(i, 2)) for i in range(2)]
    assert {s.config_hash() for s in shards} == {whole.config_hash()}
    assert left(shards[0]) == (3 * 2 * 2, 0)
    for s in shards:
        asyncio.run(run_async(FakeEngine(solving_script), s, tmp_path / "shared"))
    asyncio.run(run_async(FakeEngine(solving_script), whole, tmp_path / "whole"))
    merged, alone = read_rows(tmp_path / "shared"), read_rows(tmp_path / "whole")
    key = ["problem_id", "config_id", "budget", "seed"]
    assert not merged.duplicated(key).any()
    assert sorted(map(tuple, merged[key].to_numpy())) == sorted(map(tuple, alone[key].to_numpy()))
    assert left(shards[1]) == (2 * 2 * 2, 2 * 2 * 2)
    with pytest.raises(ValueError):
        dataclasses.replace(whole, shard=(2, 2))


def test_bad_shard_is_a_one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reasonbench", "run", "--strategy", "cot", "--model", "x", "--shard", "3/2"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--shard" in proc.stderr
