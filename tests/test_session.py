"""A session: checks once, runs each model's share on its own engine, resumes; answers are verified once."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from fakes import FakeEngine
from reasonbench import analysis, session
from reasonbench.budget import Budget
from reasonbench.experiment import Experiment, StrategyGrid
from reasonbench.results import read_rows
from reasonbench.runner import RunConfig, StrategyConfig, run_async
from reasonbench.strategies.bon import BoNParams
from reasonbench.strategies.sc import SCParams
from reasonbench.sweep import read_preset
from reasonbench.tasks import get_task
from test_runner import solving_script


def half_right(prompt: str, i: int) -> str:
    """Even samples: the solving trace; odd ones: a false claim (a second answer to verify)."""
    wrong = "Exploring Operation: 1+1=2\n2,2 equal: Goal Reached\n"
    return solving_script(prompt, i) if i % 2 == 0 else wrong


@pytest.mark.parametrize("strategy", [SCParams(n=4, max_tokens=50_000), BoNParams(n=4, scorer="oracle")])
def test_each_answer_is_verified_once(monkeypatch, tmp_path: Path, strategy) -> None:
    cls = type(get_task("countdown"))  # the registry makes a new task object each time: count on the class
    calls: Counter = Counter()
    verify = cls.verify

    def counting(self, problem, answer):
        calls[problem.id, answer] += 1
        return verify(self, problem, answer)

    monkeypatch.setattr(cls, "verify", counting)
    name = "sc" if isinstance(strategy, SCParams) else "bon"
    config = RunConfig(
        "countdown", "cd3", (StrategyConfig(name, strategy),), (Budget(),), 2, model="fake", concurrency=2
    )
    asyncio.run(run_async(FakeEngine(half_right), config, tmp_path))
    assert len(read_rows(tmp_path)) == 2
    assert calls and set(calls.values()) == {1}, calls


def reasonbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reasonbench", *args], capture_output=True, text=True, timeout=900
    )


@pytest.mark.slow
def test_a_run_then_the_equivalent_sweep_into_one_directory_has_nothing_left_to_do(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    out = tmp_path / "res"
    first = reasonbench(
        *("run", "--strategy", "cot", "-P", "max_tokens=8", "--split", "cd3", "-n", "2", "-b", "256"),
        *("--model", str(tiny_model_dir), "--out", str(out)),
    )
    assert first.returncode == 0, first.stderr[-2000:]
    rows = read_rows(out)
    assert len(rows) == 2
    preset = tmp_path / "same.toml"
    preset.write_text(
        f'split = "cd3"\nn_problems = 2\nbudgets = ["256"]\nmodel = "{tiny_model_dir}"\n'
        '[[strategy]]\nname = "cot"\nparams = { max_tokens = 8 }\n'
    )
    second = reasonbench("sweep", "--preset", str(preset), "--out", str(out))
    assert second.returncode == 0, second.stderr[-2000:]
    assert "resuming" in second.stderr and "2 of 2 rows already there" in second.stderr
    assert "opening" not in second.stderr  # no engine: nothing left to run
    assert "accuracy" in second.stderr  # report's table of what the directory holds
    assert read_rows(out).sort_values("problem_id").equals(rows.sort_values("problem_id"))


@pytest.mark.slow
def test_a_sweep_of_one_configuration_on_two_models_runs_and_resumes_on_the_real_engine(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    # The tiny model under two names: two models as far as the sweep, the rows and the analysis can tell.
    models = [tmp_path / "tiny-a", tmp_path / "tiny-b"]
    for m in models:
        m.symlink_to(tiny_model_dir, target_is_directory=True)
    entry = '[[strategy]]\nname = "cot"\nparams = {{ max_tokens = 8 }}\nmodel = "{}"\n'
    preset = tmp_path / "two.toml"
    preset.write_text(
        'split = "cd3"\nn_problems = 2\nbudgets = ["256"]\n' + "".join(entry.format(m) for m in models)
    )
    out = tmp_path / "res"
    first = reasonbench("sweep", "--preset", str(preset), "--out", str(out))
    assert first.returncode == 0, first.stderr[-2000:]
    for name in ("tiny-a", "tiny-b"):
        rows = read_rows(out / name)
        assert len(rows) == 2 and set(rows["model"]) == {name}
    second = reasonbench("sweep", "--preset", str(preset), "--out", str(out))
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.stderr.count("2 of 2 rows already there") == 2
    assert "opening" not in second.stderr
    report = reasonbench("report", str(out), "--no-samples")
    assert report.returncode == 0, report.stderr[-2000:]
    assert "cot max_tokens=8 · tiny-a" in report.stdout and "cot max_tokens=8 · tiny-b" in report.stdout


QUIET = Console(file=io.StringIO())
TWO_MODELS = """split = "cd3"
n_problems = 3
budgets = ["60000"]
[[strategy]]
name = "cot"
params = { max_tokens = 50000 }
model = "model-a"
[[strategy]]
name = "cot"
params = { max_tokens = 50000 }
model = "model-b"
"""


@pytest.fixture
def fake_engines(monkeypatch) -> list[str]:
    """Sessions open a FakeEngine named after the model instead of vLLM; the models they opened, in order."""
    import reasonbench.engine
    import reasonbench.engine.models
    from reasonbench.engine.types import ModelInfo

    opened: list[str] = []

    def open_fake(backend: str, model: str, **options) -> FakeEngine:
        opened.append(model)
        engine = FakeEngine(solving_script)
        engine.model = ModelInfo(name=model, path="-", max_model_len=100_000)
        return engine

    monkeypatch.setattr(reasonbench.engine.models, "resolve_model", lambda spec: None)
    monkeypatch.setattr(reasonbench.engine, "open_engine", open_fake)
    return opened


def test_a_configuration_on_two_models_runs_once_on_each_into_its_own_directory(
    tmp_path: Path, fake_engines: list[str]
) -> None:
    preset = tmp_path / "two.toml"
    preset.write_text(TWO_MODELS)
    dirs = session.run(read_preset(preset), tmp_path / "out", console=QUIET)
    assert dirs == [tmp_path / "out" / "model-a", tmp_path / "out" / "model-b"]
    assert fake_engines == ["model-a", "model-b"]
    a, b = (read_rows(d) for d in dirs)
    assert (len(a), len(b)) == (3, 3)
    assert set(a["model"]) == {"model-a"} and set(b["model"]) == {"model-b"}
    hashes = {json.loads((d / "manifest.json").read_text())["config_hash"] for d in dirs}
    assert len(hashes) == 2


def test_a_configuration_on_two_models_resumes_on_each(tmp_path: Path, fake_engines: list[str]) -> None:
    preset = tmp_path / "two.toml"
    preset.write_text(TWO_MODELS)
    out = tmp_path / "out"
    # A first pass that stopped after one problem on each model (shards share the run's directory).
    dirs = session.run(read_preset(preset, shard=(0, 3)), out, console=QUIET)
    assert [len(read_rows(d)) for d in dirs] == [1, 1]
    fake_engines.clear()
    session.run(read_preset(preset), out, console=QUIET)
    assert fake_engines == ["model-a", "model-b"]
    for d, model in zip(dirs, ("model-a", "model-b"), strict=True):
        rows = read_rows(d)
        assert sorted(rows["problem_index"]) == [0, 1, 2], d  # each problem once: resumed, not repeated
        assert set(rows["model"]) == {model}
    fake_engines.clear()
    session.run(read_preset(preset), out, console=QUIET)
    assert fake_engines == []  # both complete: no engine opens


def test_a_latency_run_after_a_batch_run_times_its_problems_in_its_own_directory(
    monkeypatch, tmp_path: Path, fake_engines: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the default results directories are relative
    cot = StrategyGrid("cot", {"max_tokens": 50_000})
    batch = Experiment((cot,), split="cd3", n_problems=3, budgets=("60000",), model="model-a", concurrency=4)
    (batch_dir,) = session.run(batch, console=QUIET)
    (latency_dir,) = session.run(dataclasses.replace(batch, concurrency=1), console=QUIET)
    assert latency_dir != batch_dir
    assert fake_engines == ["model-a", "model-a"]  # the latency run ran: it did not resume the batch run
    assert len(read_rows(batch_dir)) == len(read_rows(latency_dir)) == 3
    assert set(read_rows(latency_dir)["in_flight"]) == {1}
    summary = analysis.summarize(analysis.load([batch_dir, latency_dir]).rows)
    assert sorted(zip(summary["mode"], summary["n"], strict=True)) == [("batch", 3), ("latency", 3)]


def test_a_latency_run_is_refused_a_directory_that_holds_the_batch_run(
    tmp_path: Path, fake_engines: list[str]
) -> None:
    from reasonbench.errors import UserError

    cot = StrategyGrid("cot", {"max_tokens": 50_000})
    batch = Experiment((cot,), split="cd3", n_problems=3, budgets=("60000",), model="model-a", concurrency=4)
    out = tmp_path / "res"
    session.run(batch, out, console=QUIET)
    with pytest.raises(UserError, match="holds a batch run"):
        session.run(dataclasses.replace(batch, concurrency=1), out, console=QUIET)
    session.run(dataclasses.replace(batch, concurrency=8), out, console=QUIET)  # same mode: resumes
    assert len(read_rows(out)) == 3
