"""A client for a running OpenAI-compatible completions server (``vllm serve``, SGLang, a router).

Raw prompts (text or token ids), ``n``, stop strings and usage go through the official ``openai`` client,
which brings timeouts and retries with exponential backoff on 429 and 5xx. vLLM's extra fields are asked for
when the server understands them: ``return_token_ids`` (exact token accounting from the engine's own ids),
``include_stop_str_in_output``, ``top_k``. Servers that ignore them still work; counts then come from
``usage``. A semaphore caps the requests in flight.

A request with a :class:`~reasonbench.engine.types.Control` streams: tokens are folded in as chunks arrive
and the watch sees each; an abort closes the stream (vLLM aborts a request whose client disconnects). The
aborted sample holds the tokens received before the abort: exact for the client; a remote server may have
decoded a few more tokens that were still in the pipe, which no client can see.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from reasonbench.engine.types import Control, FinishReason, GenRequest, GenResult, ModelInfo, Sample, Timing
from reasonbench.errors import UserError


class OpenAIEngine:
    """:class:`~reasonbench.engine.base.Engine` over an OpenAI-compatible ``/v1/completions`` endpoint."""

    backend = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str = "http://127.0.0.1:8000/v1",
        api_key: str = "EMPTY",
        max_concurrency: int = 64,
        timeout: float = 600.0,
        max_retries: int = 4,
        max_model_len: int | None = None,
        vllm_extras: bool = True,
    ) -> None:
        import httpx
        import openai

        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, timeout=10.0, headers={"Authorization": f"Bearer {api_key}"}
        )
        served = self._served_models()
        if model not in served:
            raise UserError(
                f"server {self.base_url} does not serve {model!r}; it serves: {', '.join(served)}"
            )
        window = max_model_len or int(served[model].get("max_model_len") or 0) or 2048
        self.model = ModelInfo(name=model, path=self.base_url, max_model_len=window)
        self._client_kwargs = {
            "base_url": self.base_url,
            "api_key": api_key,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self._max_concurrency = max_concurrency
        self._session: tuple[asyncio.AbstractEventLoop, openai.AsyncOpenAI, asyncio.Semaphore] | None = None
        self._extras = vllm_extras

    def _client(self) -> tuple[Any, asyncio.Semaphore]:
        """The async client and concurrency slots of the running event loop (both bind to one loop)."""
        import openai

        loop = asyncio.get_running_loop()
        if self._session is None or self._session[0] is not loop:
            self._session = (
                loop,
                openai.AsyncOpenAI(**self._client_kwargs),
                asyncio.Semaphore(self._max_concurrency),
            )
        return self._session[1], self._session[2]

    def _served_models(self) -> dict[str, dict[str, Any]]:
        import httpx

        try:
            resp = self._http.get("/models")
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise UserError(f"cannot reach an OpenAI-compatible server at {self.base_url}: {exc}") from exc
        return {m["id"]: m for m in resp.json().get("data", [])}

    def count_tokens(self, text: str) -> int:
        """Asks the server's ``/tokenize`` (vLLM); servers without it get a 4-characters-per-token guess."""
        root = self.base_url.removesuffix("/v1")
        try:
            resp = self._http.post(
                f"{root}/tokenize",
                json={"model": self.model.name, "prompt": text, "add_special_tokens": True},
            )
            resp.raise_for_status()
            return int(resp.json()["count"])
        except Exception:
            return max(1, len(text) // 4)

    async def generate(self, request: GenRequest, control: Control | None = None) -> GenResult:
        import openai

        if control is not None and request.n != 1:
            raise ValueError(f"a controlled request must have n == 1, got n={request.n}")
        submitted = time.monotonic()
        prompt: Any = list(request.prompt_ids) if request.prompt_ids is not None else request.prompt
        extra: dict[str, Any] = {}
        if self._extras:
            extra = {
                "return_token_ids": True,
                "include_stop_str_in_output": True,
                "skip_special_tokens": True,
            }
            if request.ignore_eos:
                extra["ignore_eos"] = True
            if request.top_k > 0:
                extra["top_k"] = request.top_k
            if request.top_logprobs:
                # Top log-probabilities are keyed by token text, and distinct tokens may share a text:
                # keyed by id, none collapses.
                extra["return_tokens_as_token_ids"] = True
        client, slots = self._client()
        args: dict[str, Any] = {
            "model": self.model.name,
            "prompt": prompt,
            "max_tokens": request.max_tokens,
            "n": request.n,
            "stop": list(request.stop) or None,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            "logprobs": request.top_logprobs or (0 if request.logprobs else None),
            "extra_body": extra or None,
        }
        async with slots:
            try:
                if control is not None:
                    return await self._streamed(client, args, request, control, submitted)
                resp = await client.completions.create(**args)
            except openai.BadRequestError as exc:
                # A refused request (e.g. the prompt exceeds the window) is an outcome, not a crash.
                return GenResult(
                    samples=(),
                    prompt_tokens=0,
                    cached_tokens=0,
                    timing=Timing(submitted, None, time.monotonic()),
                    error=f"server refused the request: {str(exc)[:200]}",
                )
            except openai.APIConnectionError as exc:
                raise UserError(f"lost the server at {self.base_url}: {exc}") from exc
        finished = time.monotonic()
        return self._result(resp, request, submitted, finished)

    async def _streamed(
        self, client: Any, args: dict[str, Any], request: GenRequest, control: Control, submitted: float
    ) -> GenResult:
        """One controlled request as a stream, folded chunk by chunk until it ends or is aborted."""
        stream = await client.completions.create(**args, stream=True, stream_options={"include_usage": True})
        text: list[str] = []
        ids: list[int] = []
        sampled: list[float] = []
        best: list[tuple[float, ...]] = []
        state: dict[str, Any] = {"finish": "abort", "stop": None, "usage": None, "prompt_ids": None}
        first: list[float] = []

        async def fold() -> None:
            async for chunk in stream:
                if chunk.usage is not None:
                    state["usage"] = chunk.usage
                for choice in chunk.choices:
                    extra = choice.model_extra or {}
                    if state["prompt_ids"] is None and extra.get("prompt_token_ids"):
                        state["prompt_ids"] = tuple(extra["prompt_token_ids"])
                    new = [int(t) for t in extra.get("token_ids") or ()]
                    if not first and (new or choice.text):
                        first.append(time.monotonic())
                    lps, tops = _choice_logprobs(choice, request.top_logprobs)
                    text.append(choice.text)
                    ids.extend(new)
                    sampled.extend(lps or ())
                    best.extend(tops or ())
                    if choice.finish_reason is not None:
                        state["finish"] = "length" if choice.finish_reason == "length" else "stop"
                        stop = extra.get("stop_reason")
                        state["stop"] = stop if isinstance(stop, str) else None
                    elif control.watch is not None:
                        steps = tops or [()] * len(new)
                        if any(control.watch(t, top) for t, top in zip(new, steps, strict=False)):
                            return

        reader = asyncio.ensure_future(fold())
        aborted = asyncio.ensure_future(control.abort.wait())
        try:
            await asyncio.wait({reader, aborted}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            aborted.cancel()
            if not reader.done():
                reader.cancel()
            await stream.close()  # the server sees the disconnect and aborts the request
        if reader.done() and not reader.cancelled() and reader.exception() is not None:
            raise reader.exception()  # type: ignore[misc]
        usage = state["usage"]
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        prompt_ids = state["prompt_ids"]
        sample = Sample(
            text="".join(text),
            token_ids=tuple(ids),
            finish_reason=state["finish"],
            stop_str=state["stop"],
            logprobs=tuple(sampled) if sampled else None,
            top_logprobs=tuple(best) if best else None,
        )
        return GenResult(
            samples=(sample,),
            prompt_tokens=len(prompt_ids) if prompt_ids else int(getattr(usage, "prompt_tokens", 0) or 0),
            cached_tokens=int(getattr(details, "cached_tokens", 0) or 0),
            timing=Timing(submitted, first[0] if first else None, time.monotonic()),
            prompt_ids=prompt_ids,
        )

    def _result(self, resp: Any, request: GenRequest, submitted: float, finished: float) -> GenResult:
        samples = []
        for choice in sorted(resp.choices, key=lambda c: c.index):
            extra = choice.model_extra or {}
            token_ids = tuple(extra.get("token_ids") or ())
            reason: FinishReason = "length" if choice.finish_reason == "length" else "stop"
            stop_reason = extra.get("stop_reason")
            logprobs, best = _choice_logprobs(choice, request.top_logprobs)
            samples.append(
                Sample(
                    text=choice.text,
                    token_ids=token_ids,
                    finish_reason=reason,
                    stop_str=stop_reason if isinstance(stop_reason, str) else None,
                    logprobs=logprobs,
                    top_logprobs=best,
                )
            )
        usage = resp.usage
        prompt_tokens = int(usage.prompt_tokens) if usage else 0
        first_extra = resp.choices[0].model_extra or {} if resp.choices else {}
        if first_extra.get("prompt_token_ids"):
            prompt_tokens = len(first_extra["prompt_token_ids"])
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        cached = int(getattr(details, "cached_tokens", 0) or 0)
        ids = first_extra.get("prompt_token_ids")
        return GenResult(
            samples=tuple(samples),
            prompt_tokens=prompt_tokens,
            cached_tokens=cached,
            timing=Timing(submitted, None, finished),
            prompt_ids=tuple(ids) if ids else None,
        )

    async def close(self) -> None:
        if self._session is not None and self._session[0] is asyncio.get_running_loop():
            await self._session[1].close()
        self._session = None
        self._http.close()


def _choice_logprobs(
    choice: Any, top: int
) -> tuple[tuple[float, ...] | None, tuple[tuple[float, ...], ...] | None]:
    """A choice's sampled-token log-probabilities and, if ``top``, each step's ``top`` best."""
    lp = choice.logprobs
    if lp is None or not lp.token_logprobs:
        return None, None
    sampled = tuple(float(x) for x in lp.token_logprobs if x is not None)
    if not top or not lp.top_logprobs:
        return sampled, None
    best = tuple(
        tuple(sorted((float(v) for v in (d or {}).values()), reverse=True)[:top]) for d in lp.top_logprobs
    )
    return sampled, best
