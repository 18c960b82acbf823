"""Derived budgets on the real engine: rows cut from a 384-token run equal rows run at smaller windows."""

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
    engine = open_engine(
        "vllm", "countdown-sos", dtype="bfloat16", engine_args={"enable_prefix_caching": False}
    )
    config = RunConfig(
        task="countdown",
        split="cd3",
        strategies=(
            StrategyConfig("backtrack", BacktrackParams(max_tokens=1024)),
            StrategyConfig("sc", SCParams(n=2, max_tokens=1024, temperature=1.0)),
        ),
        # cd3 search traces run to ~340 tokens: 384 holds most, 256 cuts many, 128 nearly all.
        budgets=(Budget(context=384), Budget(context=256), Budget(context=128)),
        n_problems=4,
        model="countdown-sos",
    )

    def run(cfg: RunConfig, out: Path) -> pd.DataFrame:
        asyncio.run(run_async(engine, cfg, out))
        return read_rows(out).sort_values(["budget", "config_id", "problem_id"]).reset_index(drop=True)

    try:
        derived = run(config, tmp_path / "derived")
        direct = run(dataclasses.replace(config, derive=False), tmp_path / "direct")
    finally:
        asyncio.run(engine.close())
    small = derived[derived.budget != "ctx384"]
    assert (small.derived_from == "ctx384").all()
    assert set(small.finish) >= {"answered", "truncated"}
    pd.testing.assert_frame_equal(derived[COMPARED], direct[COMPARED])
    assert (derived.candidates == direct.candidates).all()
