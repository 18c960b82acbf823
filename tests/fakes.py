"""A scripted engine for orchestration tests: one token per character, decisions made by a script.

A request with a :class:`Control` decodes one token per tick (``seconds_per_token``, or one event-loop turn),
so aborts land mid-sample; ``decoded`` counts every token the fake decoded, aborted or not (the engine's own
count that the meter's charge is compared with)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from reasonbench.engine.types import Control, GenRequest, GenResult, ModelInfo, Sample, Timing

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
        top: Callable[[str], tuple[float, ...]] | None = None,
    ) -> None:
        self.script = script
        self.model = ModelInfo(name="fake", path="-", max_model_len=window)
        self.seconds_per_token = seconds_per_token
        self.logprob = logprob
        self.top = top
        """``character -> top log-probabilities at the step that wrote it`` (default: one peaked step)."""
        self.requests: list[GenRequest] = []
        self.decoded = 0

    def count_tokens(self, text: str) -> int:
        return len(text)

    def decode(self, token_ids) -> str:
        return "".join(map(chr, token_ids))

    def _top(self, request: GenRequest, text: str) -> tuple[tuple[float, ...], ...] | None:
        if not request.top_logprobs:
            return None
        return tuple(
            (self.top(c) if self.top else (-0.01,) + (-5.0,) * 4)[: request.top_logprobs] for c in text
        )

    async def _controlled(self, request: GenRequest, prompt: str, control: Control, t0: float) -> GenResult:
        assert request.n == 1, "a controlled request must have n == 1"
        full = self._sample(request, prompt, 0)
        text, reason, stop_str = full.text, full.finish_reason, full.stop_str
        top = self._top(request, text)
        done = 0
        for k, c in enumerate(text):
            if control.abort.is_set():
                break
            await asyncio.sleep(self.seconds_per_token)
            if control.abort.is_set():
                break
            done, self.decoded = done + 1, self.decoded + 1
            if control.watch is not None and control.watch(ord(c), top[k] if top else ()):
                break
        if done < len(text):
            text, reason, stop_str = text[:done], "abort", None
        sample = Sample(
            text,
            tuple(ord(c) for c in text),
            reason,  # type: ignore[arg-type]
            stop_str,
            full.logprobs[:done] if full.logprobs else None,
            top[:done] if top else None,
        )
        ids = tuple(ord(c) for c in prompt)
        return GenResult((sample,), len(prompt), 0, Timing(t0, t0, time.monotonic()), prompt_ids=ids)

    def _sample(self, request: GenRequest, prompt: str, i: int) -> Sample:
        full = self.script(prompt, i)
        text, reason, stop_str = full, "stop", None
        cut = min((full.find(s) + len(s) for s in request.stop if s in full), default=None)
        if cut is not None:
            text, stop_str = full[:cut], next(s for s in request.stop if full[:cut].endswith(s))
        if len(text) > request.max_tokens:
            text, reason, stop_str = text[: request.max_tokens], "length", None
        lp = self.logprob(text) if self.logprob else -1.0
        sample = Sample(
            text,
            tuple(ord(c) for c in text),
            reason,  # type: ignore[arg-type]
            stop_str,
            tuple([lp] * len(text)) if request.logprobs else None,
            self._top(request, text),
        )
        return sample

    async def generate(self, request: GenRequest, control: Control | None = None) -> GenResult:
        self.requests.append(request)
        prompt = request.prompt if request.prompt is not None else "".join(map(chr, request.prompt_ids or ()))
        t0 = time.monotonic()
        if len(prompt) >= self.model.max_model_len:
            return GenResult((), len(prompt), 0, Timing(t0, None, time.monotonic()), error="prompt too long")
        if control is not None:
            return await self._controlled(request, prompt, control, t0)
        samples = [self._sample(request, prompt, i) for i in range(request.n)]
        self.decoded += sum(len(s.token_ids) for s in samples)
        if self.seconds_per_token:
            await asyncio.sleep(self.seconds_per_token * max(len(s.text) for s in samples))
        else:
            await asyncio.sleep(0)
        ids = tuple(ord(c) for c in prompt)
        return GenResult(tuple(samples), len(prompt), 0, Timing(t0, t0, time.monotonic()), prompt_ids=ids)

    async def close(self) -> None:
        pass


class BrokenEngine(FakeEngine):
    """A :class:`FakeEngine` whose request number ``broken_at`` (0-based) raises, as a bug in an engine
    would: neither a result with an error nor a budget cut, an exception the strategy does not expect."""

    def __init__(self, script: Script, broken_at: int, **kwargs) -> None:
        super().__init__(script, **kwargs)
        self.broken_at = broken_at

    async def generate(self, request: GenRequest, control: Control | None = None) -> GenResult:
        if len(self.requests) == self.broken_at:
            self.requests.append(request)
            raise RuntimeError("engine bug")
        return await super().generate(request, control)


def replay(texts: list[str]) -> Script:
    """A script that continues any prompt that is a prefix of one of ``texts`` with the rest of it."""

    def script(prompt: str, _: int) -> str:
        best = None
        for t in texts:
            if t.startswith(prompt) and len(t) > len(prompt) and (best is None or len(t) < len(best)):
                best = t
        return "" if best is None else best[len(prompt) :]

    return script
