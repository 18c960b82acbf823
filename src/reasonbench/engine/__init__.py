"""The engine layer: one async generation interface over in-process vLLM and OpenAI-compatible servers."""

from reasonbench.engine.base import BACKENDS, Engine, open_engine
from reasonbench.engine.types import Control, FinishReason, GenRequest, GenResult, ModelInfo, Sample, Timing

__all__ = [
    "BACKENDS",
    "Control",
    "Engine",
    "FinishReason",
    "GenRequest",
    "GenResult",
    "ModelInfo",
    "Sample",
    "Timing",
    "open_engine",
]
