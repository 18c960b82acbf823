"""A session: checks once, runs each model's share on its own engine, resumes; answers are verified once."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from fakes import FakeEngine
from reasonbench.budget import Budget
from reasonbench.results import read_rows
from reasonbench.runner import RunConfig, StrategyConfig, run_async
from reasonbench.strategies.bon import BoNParams
from reasonbench.strategies.sc import SCParams
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
