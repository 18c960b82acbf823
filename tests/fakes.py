"""A scripted engine for orchestration tests: one token per character, decisions made by a script."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from reasonbench.engine.types import GenRequest, GenResult, ModelInfo, Sample, Timing

Script = Callable[[str, int], str]
"""``(prompt, sample_index) -> the model's whole continuation`` (it ends with EOS)."""


class FakeEngine:
    """Implements the engine interface over a script; counts one token per character."""

    backend = "fake"

    def __init__(
        self,
        script: Script,
        window: int = 100_000,
        seconds_per_token: float = 0.0,
        logprob: Callable[[str], float] | None = None,
    ) -> None:
        self.script = script
        self.model = ModelInfo(name="fake", path="-", max_model_len=window)
        self.seconds_per_token = seconds_per_token
        self.logprob = logprob
        self.requests: list[GenRequest] = []

    def count_tokens(self, text: str) -> int:
        return len(text)

    def decode(self, token_ids) -> str:
        return "".join(map(chr, token_ids))

    async def generate(self, request: GenRequest) -> GenResult:
        self.requests.append(request)
        prompt = request.prompt if request.prompt is not None else "".join(map(chr, request.prompt_ids or ()))
        t0 = time.monotonic()
        if len(prompt) >= self.model.max_model_len:
            return GenResult((), len(prompt), 0, Timing(t0, None, time.monotonic()), error="prompt too long")
        samples = []
        for i in range(request.n):
            full = self.script(prompt, i)
            text, reason, stop_str = full, "stop", None
            cut = min((full.find(s) + len(s) for s in request.stop if s in full), default=None)
            if cut is not None:
                text, stop_str = full[:cut], next(s for s in request.stop if full[:cut].endswith(s))
            if len(text) > request.max_tokens:
                text, reason, stop_str = text[: request.max_tokens], "length", None
            lp = self.logprob(text) if self.logprob else -1.0
            samples.append(
                Sample(
                    text,
                    tuple(ord(c) for c in text),
                    reason,
                    stop_str,
                    tuple([lp] * len(text)) if request.logprobs else None,
                )
            )
        if self.seconds_per_token:
            await asyncio.sleep(self.seconds_per_token * max(len(s.text) for s in samples))
        else:
            await asyncio.sleep(0)
        return GenResult(tuple(samples), len(prompt), 0, Timing(t0, t0, time.monotonic()))

    async def close(self) -> None:
        pass


def replay(texts: list[str]) -> Script:
    """A script that continues any prompt that is a prefix of one of ``texts`` with the rest of it."""

    def script(prompt: str, _: int) -> str:
        best = None
        for t in texts:
            if t.startswith(prompt) and len(t) > len(prompt) and (best is None or len(t) < len(best)):
                best = t
        return "" if best is None else best[len(prompt) :]

    return script
