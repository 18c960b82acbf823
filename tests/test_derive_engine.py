"""Derived budgets on the real engine: rows cut from a 256-token run equal rows run at smaller windows."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from reasonbench.budget import Budget
from reasonbench.results import read_rows
from reasonbench.runner import RunConfig, StrategyConfig, run_async
from reasonbench.strategies.backtrack import BacktrackParams
from reasonbench.strategies.sc import SCParams

pytestmark = pytest.mark.slow

COMPARED = ["answer", "correct", "finish", "decoded_tokens", "prompt_tokens", "tokens", "max_context"]


def test_rows_derived_on_the_real_engine_equal_rows_run_directly(tmp_path: Path) -> None:
    from reasonbench.engine import open_engine

    # Without prefix caching both runs count the same uncached prompt tokens.
    engine = open_engine("vllm", "countdown-direct", engine_args={"enable_prefix_caching": False})
    config = RunConfig(
        task="countdown",
        split="cd4",
        strategies=(
            StrategyConfig("backtrack", BacktrackParams(max_tokens=512)),
            StrategyConfig("sc", SCParams(n=2, max_tokens=512, temperature=1.0)),
        ),
        # The solution-path model's cd4 threads run to ~190 tokens of context: 256 holds them, 192 cuts
        # some, 128 all (short threads keep the test fast; derivation does not care what a thread says).
        budgets=(Budget(context=256), Budget(context=192), Budget(context=128)),
        n_problems=4,
        model="countdown-direct",
    )

    def run(cfg: RunConfig, out: Path) -> pd.DataFrame:
        asyncio.run(run_async(engine, cfg, out))
        return read_rows(out).sort_values(["budget", "config_id", "problem_id"]).reset_index(drop=True)

    try:
        derived = run(config, tmp_path / "derived")
        direct = run(dataclasses.replace(config, derive=False), tmp_path / "direct")
    finally:
        asyncio.run(engine.close())
    small = derived[derived.budget != "ctx256"]
    assert (small.derived_from == "ctx256").all()
    assert set(small.finish) >= {"answered", "truncated"}
    pd.testing.assert_frame_equal(derived[COMPARED], direct[COMPARED])
    assert (derived.candidates == direct.candidates).all()
