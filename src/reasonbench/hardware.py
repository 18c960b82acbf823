"""Facts about the machine that decide how fast numbers are computed, read once per process.

On an x86 CPU without bf16 instructions (AVX2 only) PyTorch and vLLM's CPU backend emulate bfloat16, so
float32 is the fast dtype there both for decoding (``python bench/cpu_dtype.py``) and for training
(``python bench/train_speed.py``); everywhere else bfloat16 is.
"""

from __future__ import annotations

import functools
import platform

BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
"""x86 CPU flags (``/proc/cpuinfo`` names) of native bfloat16 arithmetic."""


def bf16_is_native(*, cuda: bool, machine: str, cpu_flags: set[str] | frozenset[str] | None) -> bool:
    """Whether bfloat16 runs at full speed on this hardware (``cpu_flags`` None: unknown, assumed native)."""
    x86 = machine.lower() in ("x86_64", "amd64")
    return cuda or not x86 or cpu_flags is None or bool(cpu_flags & BF16_CPU_FLAGS)


def cpu_flags() -> frozenset[str] | None:
    """The CPU's flags from ``/proc/cpuinfo``, or None where that file cannot be read."""
    try:
        with open("/proc/cpuinfo") as f:
            return frozenset(word for line in f if line.startswith("flags") for word in line.split())
    except OSError:
        return None


@functools.cache
def bf16_is_native_here(device: str = "cpu") -> bool:
    """:func:`bf16_is_native` for this process's machine, computing on ``device`` ("cpu" or "cuda")."""
    return bf16_is_native(cuda=device.startswith("cuda"), machine=platform.machine(), cpu_flags=cpu_flags())
