"""Value objects at the engine boundary: what a strategy asks for and what it gets back.

They mirror vLLM's ``SamplingParams`` and ``RequestOutput`` closely enough that a backend is a thin adapter,
and they carry the accounting (token ids, cached prompt tokens, timestamps) that the budget meter reads:
counts come from the engine's own token ids, never from re-tokenizing text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

FinishReason = Literal["stop", "length", "abort", "error"]
MAX_TOP_LOGPROBS = 20


@dataclass(frozen=True)
class GenRequest:
    """One generation request (one thread's next decode).

    Exactly one of ``prompt`` and ``prompt_ids`` is given.
    """

    prompt: str | None = None
    """Prompt text; the backend tokenizes it with the model's tokenizer (no special tokens added)."""
    prompt_ids: tuple[int, ...] | None = None
    """Prompt token ids, used as they are."""
    max_tokens: int = 256
    """Most tokens to decode for each sample (>= 1)."""
    stop: tuple[str, ...] = ()
    """Stop strings; the one that matched is reported and kept at the end of the text."""
    temperature: float = 0.0
    """0 is greedy."""
    top_p: float = 1.0
    """Nucleus sampling mass in (0, 1]."""
    top_k: int = 0
    """Sample from the k most likely tokens; 0 turns it off."""
    n: int = 1
    """Samples drawn from the one prompt (the engine forks them; the prompt is charged once)."""
    seed: int | None = None
    """Per-request seed for reproducible sampling; ``None`` uses the engine's generator."""
    logprobs: bool = False
    """Report the log-probability of every sampled token."""
    top_logprobs: int = 0
    """Also report, at every step, the log-probabilities of the ``top_logprobs`` most likely tokens
    (0 = off; at most :data:`MAX_TOP_LOGPROBS`, vLLM's default server limit)."""
    ignore_eos: bool = False
    """Decode past end-of-sequence up to ``max_tokens`` (benchmarks: a fixed amount of work)."""

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.prompt_ids is None):
            raise ValueError("give exactly one of prompt and prompt_ids")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0 (0 = off), got {self.top_k}")
        if not 0 <= self.top_logprobs <= MAX_TOP_LOGPROBS:
            raise ValueError(f"top_logprobs must be in 0..{MAX_TOP_LOGPROBS}, got {self.top_logprobs}")


@dataclass(frozen=True)
class Sample:
    """One decoded continuation."""

    text: str
    """The decoded text, as the engine detokenized ``token_ids``."""
    token_ids: tuple[int, ...]
    """Every token decoded for this sample: what the meter charges."""
    finish_reason: FinishReason
    """``stop`` (end of text or a stop string), ``length`` (``max_tokens`` or the window), ``abort``
    (a :class:`Control` ended it) or ``error``."""
    stop_str: str | None = None
    """The stop string that ended the sample (included at the end of ``text``), if any."""
    logprobs: tuple[float, ...] | None = None
    """Log-probability of each sampled token, when requested."""
    top_logprobs: tuple[tuple[float, ...], ...] | None = None
    """Per sampled token, the log-probabilities of the most likely tokens at that step (best first), when
    ``GenRequest.top_logprobs`` asked for them."""

    @property
    def mean_logprob(self) -> float | None:
        if not self.logprobs:
            return None
        return sum(self.logprobs) / len(self.logprobs)


@dataclass(frozen=True)
class Timing:
    """Monotonic timestamps (``time.monotonic()`` seconds) of one request."""

    submitted: float
    """When the request reached the engine."""
    first_token: float | None
    """When its first token was decoded; ``None`` where the backend does not report it."""
    finished: float
    """When its last sample finished (or was aborted)."""

    @property
    def latency(self) -> float:
        return self.finished - self.submitted

    @property
    def time_to_first_token(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.submitted


@dataclass(frozen=True)
class GenResult:
    """What the engine did for one request: its samples and the accounting the meter needs."""

    samples: tuple[Sample, ...]
    """The request's ``n`` samples (empty when ``error`` says why)."""
    prompt_tokens: int
    """Prompt length in tokens, counted once for all ``n`` samples."""
    cached_tokens: int
    """Prompt tokens served from the prefix cache (not recomputed)."""
    timing: Timing
    """When the request was submitted, started decoding and finished."""
    error: str | None = None
    """Why the engine refused the request (e.g. the prompt exceeds the context window); samples are empty."""
    flops: float = 0.0
    """Estimated forward-pass FLOPs of this request (see ``engine.flops``)."""
    prompt_ids: tuple[int, ...] | None = None
    """The prompt as the engine tokenized it, when the backend reports it (so a strategy can build the
    next prompt from token ids, e.g. a Markovian chunk's carried tail)."""

    @property
    def decoded_tokens(self) -> int:
        return sum(len(s.token_ids) for s in self.samples)

    @property
    def uncached_prompt_tokens(self) -> int:
        return self.prompt_tokens - self.cached_tokens


Watch = Callable[[int, tuple[float, ...]], bool]
"""``(token_id, top_logprobs_of_that_step) -> stop?``: called once per decoded token, in order."""


@dataclass
class Control:
    """Live control of one in-flight request with ``n == 1`` (the handle for early stopping).

    Set ``abort`` to end the request now, or give ``watch`` to end it from its own tokens. Either way the
    engine returns the sample as decoded so far with ``finish_reason == "abort"``: its ``token_ids`` are
    every token the engine decoded for it before the abort, so the meter charges aborted work exactly.
    A controlled request streams its tokens back as they are decoded (for separate samples that finish at
    different times, send separate requests: they share the prompt through the prefix cache).
    """

    abort: asyncio.Event = field(default_factory=asyncio.Event)
    """Set it to abort the request between two engine steps."""
    watch: Watch | None = None
    """Called on every decoded token; returning true aborts the request (see :data:`Watch`)."""


@dataclass(frozen=True)
class ModelInfo:
    """What strategies and the meter may know about the model behind an engine."""

    name: str
    """The name rows record the model under (a shipped model's name, or the directory's)."""
    path: str
    """The model directory, or a remote backend's base URL."""
    max_model_len: int
    """The context window the engine runs with, in tokens (prompt plus generated)."""
    n_params: int = 0
    """Non-embedding parameters (for the FLOPs estimate)."""
    n_layers: int = 0
    """Transformer layers (for the FLOPs estimate's attention term)."""
    d_model: int = 0
    """Hidden width (for the FLOPs estimate's attention term)."""
    kv_width: int = 0
    """Key (or value) entries one layer caches per token: key-value heads x head dimension."""
