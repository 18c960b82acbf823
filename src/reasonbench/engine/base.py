"""The engine interface strategies program against, and the factory that opens a backend by name.

Strategies receive an object satisfying :class:`Engine`; they never import a backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from reasonbench.engine.types import Control, GenRequest, GenResult, ModelInfo
from reasonbench.errors import UserError


@runtime_checkable
class Engine(Protocol):
    """An asynchronous, concurrently shared text-generation engine."""

    backend: str
    model: ModelInfo

    async def generate(self, request: GenRequest, control: Control | None = None) -> GenResult:
        """Run ``request``; many callers may await concurrently (the backend batches them).

        Cancelling the awaiting task aborts the request. A request the engine refuses (a prompt longer than
        the context window) returns a result with ``error`` set, never raises. With a ``control`` (only for
        ``n == 1``), the request can be aborted and still return what it decoded (see :class:`Control`).
        """
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` occupies as a prompt, special tokens included (to size ``max_tokens`` against a
        context window)."""
        ...

    async def close(self) -> None:
        """Abort in-flight work and release the engine."""
        ...


BACKENDS = ("vllm", "openai")


def open_engine(backend: str, model: str | Path, **options: Any) -> Engine:
    """Open ``backend`` (``vllm`` in-process, or ``openai`` for a running server) on ``model`` (a spec, or
    for vllm a model directory already resolved)."""
    if backend == "vllm":
        from reasonbench.engine.vllm_backend import VLLMEngine

        return VLLMEngine(model, **options)
    if backend == "openai":
        from reasonbench.engine.openai_backend import OpenAIEngine

        return OpenAIEngine(model, **options)
    raise UserError(f"unknown backend {backend!r}; choose from: {', '.join(BACKENDS)}")
