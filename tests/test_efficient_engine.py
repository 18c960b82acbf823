"""The efficient-reasoning strategies on the real engine with the shipped direct model: each runs, stops
where its rule says, and the meter charges exactly what vLLM itself counted as decoded."""

from __future__ import annotations

import asyncio

import pytest

from reasonbench.budget import Budget
from reasonbench.engine import open_engine
from reasonbench.meter import Meter
from reasonbench.profiles import get_profile
from reasonbench.strategies import STRATEGIES, Context
from reasonbench.tasks import get_task

pytestmark = pytest.mark.slow

TASK = get_task("countdown")
PROBLEMS = TASK.generate("cd3", 3)


@pytest.fixture(scope="module")
def engine():
    # Statistics on: the charge is compared with vLLM's own decoded-token counter.
    eng = open_engine(
        "vllm", "countdown-direct", max_model_len=512, dtype="bfloat16", seed=0, timing_stats=True
    )
    asyncio.run(eng.warmup())
    yield eng
    asyncio.run(eng.close())


def _generated(engine) -> float:
    """vLLM's own count of decoded tokens (its Prometheus counter)."""
    return next(m.value for m in engine._engine.get_metrics() if m.name == "vllm:generation_tokens")


def run(engine, name: str, problem, budget: Budget | None = None, **knobs):
    spec = STRATEGIES.get(name)
    meter = Meter(engine, budget or Budget())
    ctx = Context(TASK, get_profile("trace"), meter, seed=0)
    before = _generated(engine)
    attempt = asyncio.run(spec.run(problem, spec.make_params(**knobs), ctx))
    return attempt, meter.finish(), _generated(engine) - before


def test_ffs_charges_aborted_samples_exactly_what_vllm_decoded(engine) -> None:
    for p in PROBLEMS:
        attempt, usage, decoded = run(engine, "ffs", p, n=4, max_tokens=200)
        assert usage.decoded_tokens == decoded
        assert attempt.finish == "answered" and len(attempt.candidates) == 4


def test_short_m_votes_among_m_finished_samples(engine) -> None:
    attempt, usage, decoded = run(engine, "short-m", PROBLEMS[0], k=4, m=2, max_tokens=200)
    assert attempt.info["finished"] == 2 and len(attempt.candidates) == 4
    assert usage.decoded_tokens == decoded


def test_esc_draws_whole_windows(engine) -> None:
    attempt, usage, decoded = run(engine, "esc", PROBLEMS[1], n=6, window=3, max_tokens=200)
    assert len(attempt.candidates) == 3 * attempt.info["windows"]
    assert usage.decoded_tokens == decoded


def test_deepconf_online_sets_a_threshold_from_warmup_and_votes(engine) -> None:
    attempt, usage, decoded = run(engine, "deepconf", PROBLEMS[2], n=5, warmup=3, group=8, max_tokens=200)
    assert attempt.info["threshold"] > 0 and len(attempt.candidates) == 5
    assert all(c.score is not None for c in attempt.candidates)
    assert usage.decoded_tokens == decoded


def test_delethink_never_exceeds_prompt_plus_chunk(engine) -> None:
    p = PROBLEMS[0]
    attempt, usage, _ = run(engine, "delethink", p, chunk=32, carry=8, max_chunks=4)
    assert usage.max_context <= engine.count_tokens(TASK.prompt(p)) + 32
    assert attempt.info["chunks"] >= 2


def test_sc_under_a_token_budget_buys_complete_samples(engine) -> None:
    attempt, usage, _ = run(engine, "sc", PROBLEMS[0], Budget(tokens=600), n=16)
    assert usage.tokens <= 600
    assert attempt.info["complete"] >= 3
