"""A client for a running OpenAI-compatible completions server (``vllm serve``, SGLang, a router).

Raw prompts (text or token ids), ``n``, stop strings and usage go through the official ``openai`` client,
which brings timeouts and retries with exponential backoff on 429 and 5xx. vLLM's extra fields are asked for
when the server understands them: ``return_token_ids`` (exact token accounting from the engine's own ids),
``include_stop_str_in_output``, ``top_k``. Servers that ignore them still work; counts then come from
``usage``. A semaphore caps the requests in flight.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from reasonbench.engine.types import FinishReason, GenRequest, GenResult, ModelInfo, Sample, Timing
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

    async def generate(self, request: GenRequest) -> GenResult:
        import openai

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
        client, slots = self._client()
        async with slots:
            try:
                resp = await client.completions.create(
                    model=self.model.name,
                    prompt=prompt,
                    max_tokens=request.max_tokens,
                    n=request.n,
                    stop=list(request.stop) or None,
                    temperature=request.temperature,
                    top_p=request.top_p,
                    seed=request.seed,
                    logprobs=0 if request.logprobs else None,
                    extra_body=extra or None,
                )
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

    def _result(self, resp: Any, request: GenRequest, submitted: float, finished: float) -> GenResult:
        samples = []
        for choice in sorted(resp.choices, key=lambda c: c.index):
            extra = choice.model_extra or {}
            token_ids = tuple(extra.get("token_ids") or ())
            reason: FinishReason = "length" if choice.finish_reason == "length" else "stop"
            stop_reason = extra.get("stop_reason")
            logprobs = None
            if choice.logprobs is not None and choice.logprobs.token_logprobs:
                logprobs = tuple(float(x) for x in choice.logprobs.token_logprobs if x is not None)
            samples.append(
                Sample(
                    text=choice.text,
                    token_ids=token_ids,
                    finish_reason=reason,
                    stop_str=stop_reason if isinstance(stop_reason, str) else None,
                    logprobs=logprobs,
                )
            )
        usage = resp.usage
        prompt_tokens = int(usage.prompt_tokens) if usage else 0
        first_extra = resp.choices[0].model_extra or {} if resp.choices else {}
        if first_extra.get("prompt_token_ids"):
            prompt_tokens = len(first_extra["prompt_token_ids"])
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        cached = int(getattr(details, "cached_tokens", 0) or 0)
        return GenResult(
            samples=tuple(samples),
            prompt_tokens=prompt_tokens,
            cached_tokens=cached,
            timing=Timing(submitted, None, finished),
        )

    async def close(self) -> None:
        if self._session is not None and self._session[0] is asyncio.get_running_loop():
            await self._session[1].close()
        self._session = None
        self._http.close()
