"""The OpenAI-compatible backend against a real ``vllm serve`` started on loopback by the test."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reasonbench.engine import GenRequest, open_engine
from reasonbench.errors import UserError

pytestmark = pytest.mark.slow

PROMPTS = ["Current State: 24:[4, 9, 3], Operations: []\n", "Moving to Node #0,1\n", "abc"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "VLLM_CPU_KVCACHE_SPACE": "1"}
    cmd = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(tiny_model_dir),
        "--served-model-name",
        "tiny",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dtype",
        "bfloat16",
        "--max-model-len",
        "256",
        "--enforce-eager",
        "--seed",
        "0",
        "--enable-prompt-tokens-details",
    ]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 240
    import httpx

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"vllm serve exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail(f"vllm serve did not start in 240 s:\n{log.read_text()[-3000:]}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _greedy(engine, prompts):
    async def go():
        return await asyncio.gather(*(engine.generate(GenRequest(prompt=p, max_tokens=16)) for p in prompts))

    return asyncio.run(go())


def test_openai_backend_matches_in_process_greedy(server, tiny_model_dir) -> None:
    remote = open_engine("openai", "tiny", base_url=server)
    local = open_engine("vllm", str(tiny_model_dir), max_model_len=256, dtype="bfloat16", seed=0)
    try:
        r_remote = _greedy(remote, PROMPTS)
        r_local = _greedy(local, PROMPTS)
    finally:
        asyncio.run(remote.close())
        asyncio.run(local.close())
    for a, b in zip(r_remote, r_local, strict=True):
        assert a.prompt_tokens == b.prompt_tokens
        assert a.samples[0].token_ids == b.samples[0].token_ids
        assert a.samples[0].text == b.samples[0].text
        assert a.samples[0].finish_reason == b.samples[0].finish_reason


def test_openai_backend_n_samples_stop_and_usage(server) -> None:
    remote = open_engine("openai", "tiny", base_url=server, max_concurrency=2)

    async def go():
        return await asyncio.gather(
            remote.generate(GenRequest(prompt=PROMPTS[0], max_tokens=10, n=3, temperature=1.0, seed=1)),
            *(remote.generate(GenRequest(prompt=p, max_tokens=5)) for p in PROMPTS),
        )

    try:
        first, *rest = asyncio.run(go())
        assert len(first.samples) == 3
        assert all(1 <= len(s.token_ids) <= 10 for s in first.samples)
        assert first.prompt_tokens == remote.count_tokens(PROMPTS[0])
        assert len(rest) == 3 and all(r.error is None for r in rest)
        (too_long,) = asyncio.run(_one(remote, GenRequest(prompt="7" * 400, max_tokens=4)))
        assert too_long.error is not None and too_long.samples == ()
    finally:
        asyncio.run(remote.close())


async def _one(engine, req):
    return [await engine.generate(req)]


def test_openai_backend_streams_a_controlled_request_and_aborts_it(server) -> None:
    from reasonbench.engine import Control

    remote = open_engine("openai", "tiny", base_url=server)
    seen: list[tuple[float, ...]] = []

    def watch(token: int, top: tuple[float, ...]) -> bool:
        seen.append(top)
        return len(seen) == 5

    request = GenRequest(
        prompt=PROMPTS[0], max_tokens=100, temperature=1.0, seed=2, ignore_eos=True, top_logprobs=3
    )
    try:
        (res,) = asyncio.run(_controlled(remote, request, Control(watch=watch)))
        (plain,) = asyncio.run(_one(remote, GenRequest(prompt=PROMPTS[0], max_tokens=4)))
        prompt_tokens = remote.count_tokens(PROMPTS[0])
    finally:
        asyncio.run(remote.close())
    sample = res.samples[0]
    # The server streams whole chunks: under load one chunk can carry several tokens, and the tokens after
    # the one the watch stopped at arrived (and were decoded) all the same, so the sample keeps them.
    assert sample.finish_reason == "abort" and len(seen) == 5
    assert 5 <= len(sample.token_ids) < 100
    assert len(sample.top_logprobs) == len(sample.token_ids)
    assert all(len(t) == 3 for t in sample.top_logprobs)
    assert tuple(sample.top_logprobs[:5]) == tuple(seen)
    assert res.prompt_tokens == prompt_tokens == len(res.prompt_ids)
    assert plain.decoded_tokens == 4  # the server goes on after the client hung up


async def _controlled(engine, req, control):
    return [await engine.generate(req, control)]


def test_unreachable_server_is_a_one_line_error() -> None:
    port = _free_port()  # nothing listens here
    with pytest.raises(UserError) as exc:
        open_engine("openai", "tiny", base_url=f"http://127.0.0.1:{port}/v1")
    assert "cannot reach" in str(exc.value) and "\n" not in str(exc.value)


def test_unknown_served_model_is_a_clear_error(server) -> None:
    with pytest.raises(UserError, match="does not serve"):
        open_engine("openai", "other-model", base_url=server)
