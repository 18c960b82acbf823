"""Where bfloat16 is native: the fact both the engine's default dtype and the trainer's autocast follow."""

from __future__ import annotations

import pytest

from reasonbench.hardware import bf16_is_native


@pytest.mark.parametrize(
    ("cuda", "machine", "flags", "native"),
    [
        (False, "x86_64", {"avx2", "fma"}, False),
        (False, "AMD64", {"avx2", "avx512f"}, False),  # AVX-512 without its bf16 extension still emulates
        (False, "x86_64", {"avx512_bf16"}, True),
        (False, "x86_64", {"amx_bf16"}, True),
        (True, "x86_64", {"avx2"}, True),
        (False, "aarch64", set(), True),
        (False, "x86_64", None, True),
    ],
)
def test_bf16_is_native_only_with_bf16_instructions_on_x86(cuda, machine, flags, native) -> None:
    assert bf16_is_native(cuda=cuda, machine=machine, cpu_flags=flags) is native
