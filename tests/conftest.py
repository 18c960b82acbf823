"""Shared fixtures: a tiny random-init Llama in HF format that the real vLLM engine can load."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The in-process engine is the fast one on 2 cores; a small KV cache keeps tests light.
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random model directory, built once per test session."""
    from reasonbench.models.random_init import build_random_llama

    return build_random_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(autouse=True, scope="module")
def _collect_engines_between_modules():
    """Collect a module's dead engines before the next module builds its own.

    An unreferenced in-process vLLM engine tears down the process-wide parallel state when it is garbage
    collected; if that happens while the next engine is being built, the new one fails ("pipeline model
    parallel group is not initialized").
    """
    import gc

    gc.collect()
    yield
    gc.collect()
