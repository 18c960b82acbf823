"""The vLLM backend changes no process-wide state: hub offline mode holds only while an engine loads."""

from __future__ import annotations

import pytest
from huggingface_hub import constants

from reasonbench.engine.vllm_backend import hub_offline


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
