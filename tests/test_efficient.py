"""The efficient-reasoning strategies' control loops on a scripted engine: aborts and their exact charge,
window stops, confidence thresholds, chunk resets, and what sampling under a token budget buys."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

import pytest

from fakes import BrokenEngine, FakeEngine
from reasonbench.budget import Budget
from reasonbench.engine.types import Control, GenRequest, Sample
from reasonbench.meter import BudgetExhausted, Meter
from reasonbench.profiles import get_profile
from reasonbench.strategies import STRATEGIES, Candidate, Context
from reasonbench.strategies.deepconf import stop_below, trace_confidence, weighted_vote
from reasonbench.tasks import get_task

TASK = get_task("countdown")
PROBLEM = next(q for q in TASK.generate("cd3", 30) if len(TASK.reference_answer(q).splitlines()) == 2)
RIGHT = TASK.reference_answer(PROBLEM)
WRONG = "1+1=2\n2*2=4"
PROMPT = get_profile("instruct").prompt(TASK, PROBLEM)


def ans(answer: str, pad: int = 0, filler: str = ".") -> str:
    """A sample that thinks for ``pad`` tokens, then answers."""
    return filler * pad + f"<answer>{answer}</answer>"


def in_order(texts: list[str]) -> Callable[[str, int], str]:
    """A script that gives the k-th request (or the k-th sample of one request) the k-th text."""
    calls = iter(texts)
    return lambda prompt, i: next(calls)


def run(name: str, engine: FakeEngine, budget: Budget | None = None, **knobs):
    spec = STRATEGIES.get(name)
    meter = Meter(engine, budget or Budget())
    ctx = Context(TASK, get_profile("instruct"), meter, seed=0)
    attempt = asyncio.run(spec.run(PROBLEM, spec.make_params(**knobs), ctx))
    return attempt, meter.finish()


# -- first finish search ---------------------------------------------------------------------------------


def test_ffs_answers_with_the_first_sample_to_finish_and_aborts_the_rest_at_that_moment() -> None:
    texts = [ans(WRONG, 300), ans(RIGHT, 5), ans(WRONG, 300)]
    attempt, _ = run("ffs", FakeEngine(in_order(texts), seconds_per_token=0.001), n=3)
    assert attempt.answer == RIGHT and attempt.info["winner"] == 1
    aborted = [c for c in attempt.candidates if c.finish == "aborted"]
    assert len(aborted) == 2 and all(c.answer is None for c in aborted)
    assert attempt.candidates[0].answer == RIGHT  # candidates in the order the samples ended


def test_ffs_aborted_samples_stop_long_before_their_end() -> None:
    texts = [ans(WRONG, 300), ans(RIGHT, 5), ans(WRONG, 300)]
    _, usage = run("ffs", FakeEngine(in_order(texts), seconds_per_token=0.001), n=3)
    assert usage.decoded_tokens < 3 * len(texts[1]) + 20  # not the 600+ tokens of the long samples


def test_a_sample_that_fails_with_a_bug_ends_the_race_and_its_siblings() -> None:
    left: list[asyncio.Task] = []

    async def main() -> None:
        spec = STRATEGIES.get("ffs")
        texts = [ans(WRONG, 300), ans(RIGHT, 300), ans(WRONG, 300)]
        meter = Meter(BrokenEngine(in_order(texts), 1, seconds_per_token=0.001), Budget())
        ctx = Context(TASK, get_profile("instruct"), meter, seed=0)
        with pytest.raises(RuntimeError, match="engine bug"):
            await spec.run(PROBLEM, spec.make_params(n=3), ctx)
        left.extend(t for t in asyncio.all_tasks() if t is not asyncio.current_task())

    asyncio.run(main())
    assert left == []  # the other samples were stopped, not left decoding


def test_aborted_samples_are_charged_exactly_what_the_engine_decoded() -> None:
    texts = [ans(WRONG, 200), ans(RIGHT, 40), ans(WRONG, 120), ans(WRONG, 90)]
    engine = FakeEngine(in_order(texts), seconds_per_token=0.0005)
    attempt, usage = run("ffs", engine, n=4)
    assert sum(c.finish == "aborted" for c in attempt.candidates) == 3
    assert usage.decoded_tokens == engine.decoded
    assert usage.decoded_tokens > len(texts[1])  # the aborted ones are charged too


def test_ffs_answer_variant_passes_over_a_finished_sample_without_an_answer() -> None:
    texts = ["no answer here", ans(RIGHT, 30), ans(WRONG, 300)]
    attempt, _ = run("ffs", FakeEngine(in_order(texts), seconds_per_token=0.001), n=3, first="answer")
    assert attempt.answer == RIGHT
    attempt, _ = run("ffs", FakeEngine(in_order(texts), seconds_per_token=0.001), n=3, first="finish")
    assert attempt.answer is None


def test_ffs_answer_variant_passes_over_empty_tags_and_garbage_in_tags() -> None:
    texts = ["<answer> </answer>", "<answer>no idea</answer>", ans(RIGHT, 30)]
    attempt, _ = run("ffs", FakeEngine(in_order(texts), seconds_per_token=0.001), n=3, first="answer")
    assert attempt.answer == RIGHT


def test_bon_by_logprob_ranks_a_certain_sample_first() -> None:
    # A mean log-probability of 0.0 is the most confident sample there is, not a missing score.
    engine = FakeEngine(in_order([ans(WRONG), ans(RIGHT)]), logprob=lambda t: 0.0 if RIGHT in t else -0.5)
    attempt, _ = run("bon", engine, n=2, scorer="logprob")
    assert attempt.answer == RIGHT


# -- short-m@k -------------------------------------------------------------------------------------------


def test_short_m_votes_among_the_first_m_to_finish() -> None:
    # The two shortest say RIGHT; the slow majority (three WRONG) is aborted before it finishes.
    texts = [ans(WRONG, 200), ans(RIGHT, 10), ans(WRONG, 200), ans(RIGHT, 20), ans(WRONG, 200)]
    attempt, _ = run("short-m", FakeEngine(in_order(texts), seconds_per_token=0.001), k=5, m=2)
    assert attempt.answer == RIGHT and attempt.info["votes"] == 2
    assert attempt.info["finished"] == 2 and attempt.info["aborted"] == 3


def test_short_m_breaks_a_tie_by_the_shortest_chain() -> None:
    texts = [ans(WRONG, 30), ans(RIGHT, 10), ans(WRONG, 300)]
    attempt, _ = run("short-m", FakeEngine(in_order(texts), seconds_per_token=0.001), k=3, m=2)
    assert attempt.answer == RIGHT


# -- early-stopping self-consistency ---------------------------------------------------------------------


def test_esc_stops_after_the_first_window_that_agrees() -> None:
    engine = FakeEngine(in_order([ans(RIGHT)] * 4 + [ans(WRONG)] * 8))
    attempt, _ = run("esc", engine, n=12, window=4)
    assert attempt.answer == RIGHT and attempt.info["agreed"]
    assert len(engine.requests) == 1 and len(attempt.candidates) == 4


def test_esc_draws_windows_until_n_when_none_agrees() -> None:
    texts = [ans(RIGHT), ans(WRONG)] * 6
    engine = FakeEngine(in_order(texts))
    attempt, _ = run("esc", engine, n=12, window=4)
    assert not attempt.info["agreed"] and attempt.info["windows"] == 3
    assert len(attempt.candidates) == 12


def test_esc_stops_when_the_budget_cannot_fund_another_window() -> None:
    texts = [ans(RIGHT), ans(WRONG)] * 6
    per_window = len(PROMPT) + 2 * len(texts[0])
    attempt, usage = run(
        "esc", FakeEngine(in_order(texts)), Budget(tokens=2 * per_window + 5), n=12, window=2
    )
    assert attempt.info["windows"] == 2 and usage.tokens <= 2 * per_window + 5


# -- DeepConf --------------------------------------------------------------------------------------------

SURE, UNSURE = (-0.01, -6.0, -6.0, -6.0, -6.0), (-1.6, -1.6, -1.6, -1.6, -1.6)


def top_of(c: str) -> tuple[float, ...]:
    """'?' is written at a flat step (confidence 1.6), anything else at a peaked one (confidence ~4.8)."""
    return UNSURE if c == "?" else SURE


def test_deepconf_online_stops_a_trace_once_its_window_confidence_falls_below_the_threshold() -> None:
    warm = [ans(RIGHT, 20)] * 3
    late = [ans(RIGHT, 20), ans(WRONG, 60, filler="?"), ans(WRONG, 60, filler="?")]
    engine = FakeEngine(in_order(warm + late), top=top_of, seconds_per_token=0.0005)
    attempt, _ = run("deepconf", engine, n=6, warmup=3, group=8, keep=90.0)
    doubtful = [c for c in attempt.candidates if c.finish == "aborted"]
    assert len(doubtful) == 2 and attempt.info["stopped"] == 2
    assert all(c.score < attempt.info["threshold"] for c in doubtful)
    assert attempt.answer == RIGHT
    assert engine.decoded < sum(map(len, warm + late)) - 2 * 40  # stopped ~a window in, not at the end


def test_deepconf_offline_keeps_the_most_confident_traces() -> None:
    texts = [ans(WRONG, 20, filler="?")] * 3 + [ans(RIGHT, 20)] * 2
    engine = FakeEngine(in_order(texts), top=top_of)
    attempt, _ = run("deepconf", engine, n=5, mode="offline", keep=40.0, group=8)
    assert attempt.answer == RIGHT and attempt.info["kept"] == 2  # the unsure majority is filtered out


def test_trace_confidence_is_the_lowest_sliding_window_mean() -> None:
    from reasonbench.engine.types import Sample

    tops = (SURE,) * 10 + (UNSURE,) * 4 + (SURE,) * 10
    sample = Sample("x" * 24, tuple(range(24)), "stop", top_logprobs=tops)
    sure, unsure = -sum(SURE) / 5, -sum(UNSURE) / 5
    assert trace_confidence(sample, 4) == pytest.approx(unsure)
    assert trace_confidence(sample, 8) == pytest.approx((4 * unsure + 4 * sure) / 8)


def test_stop_below_waits_for_a_full_window() -> None:
    watch = stop_below(threshold=3.0, group=3)
    assert [watch(0, UNSURE) for _ in range(3)] == [False, False, True]


def test_confidence_stays_finite_when_the_engine_reports_inf_or_nan() -> None:
    sample = Sample("ab", (1, 2), "stop", top_logprobs=((-math.inf, -0.1), (math.nan, -0.2)))
    conf = trace_confidence(sample, group=2)
    assert math.isfinite(conf) and conf > 1.0  # the -inf step reads as a very peaked one
    watch = stop_below(threshold=1.0, group=1)
    assert watch(0, (-math.inf,)) is False and watch(0, (-5.0,)) is False and watch(0, (-0.1,)) is True


def test_weighted_vote_counts_a_nan_or_inf_score_as_no_weight() -> None:
    cands = [Candidate("a", "a", math.nan), Candidate("b", "b", 1.0), Candidate("c", "c", math.inf)]
    assert weighted_vote(cands).normalized == "b"


def test_weighted_vote_lets_a_confident_minority_win() -> None:
    cands = [Candidate("a", "a", 1.0), Candidate("a", "a", 1.0), Candidate("b", "b", 5.0)]
    assert weighted_vote(cands).normalized == "b"


# -- Delethink -------------------------------------------------------------------------------------------


def test_delethink_resets_the_context_to_the_prompt_and_the_carried_tail() -> None:
    body = "".join(chr(ord("a") + i % 26) for i in range(70)) + f"<answer>{RIGHT}</answer>"
    engine = FakeEngine(lambda prompt, i: body)
    attempt, usage = run("delethink", engine, chunk=40, carry=10, max_chunks=5)
    first, second = engine.requests[0], engine.requests[1]
    assert first.max_tokens == 40 and second.max_tokens == 30
    assert second.prompt_ids == tuple(ord(c) for c in PROMPT + body[30:40])
    assert usage.max_context <= len(PROMPT) + 40
    assert attempt.info["chunks"] >= 2


def test_delethink_stops_after_max_chunks() -> None:
    engine = FakeEngine(lambda prompt, i: "z" * 500)
    attempt, usage = run("delethink", engine, chunk=20, carry=5, max_chunks=3)
    assert len(engine.requests) == 3 and attempt.finish == "truncated"
    assert usage.decoded_tokens == 20 + 15 + 15


# -- sampling under a token budget -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sc", "bon"])
def test_sampling_under_a_token_budget_buys_complete_samples(name: str) -> None:
    sample = ans(RIGHT, 60)
    budget = len(PROMPT) * 3 + 5 * len(sample)  # about five complete samples, far fewer than 16
    attempt, usage = run(name, FakeEngine(lambda prompt, i: sample), Budget(tokens=budget), n=16)
    assert usage.tokens <= budget
    assert attempt.info["complete"] >= 3 and attempt.info["waves"] >= 2
    assert attempt.info["samples"] == len(attempt.candidates) < 16
    assert attempt.answer == RIGHT


def test_sampling_without_a_token_budget_is_one_request_of_n() -> None:
    engine = FakeEngine(lambda prompt, i: ans(RIGHT))
    attempt, _ = run("sc", engine, n=8)
    assert len(engine.requests) == 1 and engine.requests[0].n == 8 and attempt.info["waves"] == 1


# -- the meter and controlled requests -------------------------------------------------------------------


def test_latency_deadline_charges_a_controlled_request_for_what_it_decoded() -> None:
    engine = FakeEngine(lambda prompt, i: "y" * 1000, seconds_per_token=0.001)
    meter = Meter(engine, Budget(latency=0.05))

    async def go():
        with pytest.raises(BudgetExhausted):
            await meter.generate(meter.thread(), GenRequest(prompt="p", max_tokens=1000), Control())

    asyncio.run(go())
    assert 0 < meter.usage.decoded_tokens == engine.decoded < 1000
