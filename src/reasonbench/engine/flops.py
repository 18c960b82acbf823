"""The one FLOPs estimate used everywhere (forward passes only).

Per processed token at context position ``t`` (Kaplan et al. 2020, eq. 2.2):

    C(t) = 2 * N + 2 * n_layers * d_model * t

where ``N`` is the number of non-embedding parameters: ``2N`` for the matrix multiplies and
``2 * n_layers * d_model * t`` for attending over ``t`` earlier positions. A request processes its uncached
prompt tokens (positions ``cached .. prompt-1``) and its decoded tokens (positions ``prompt .. prompt+d-1``),
each sample separately; cached prompt positions cost nothing.
"""

from __future__ import annotations


def _attention_positions(start: int, stop: int) -> int:
    """Sum of positions ``start .. stop-1``."""
    return (stop - start) * (start + stop - 1) // 2 if stop > start else 0


def request_flops(
    n_params: int,
    n_layers: int,
    d_model: int,
    prompt_tokens: int,
    cached_tokens: int,
    decoded_per_sample: list[int],
) -> float:
    """Forward FLOPs of one request: its uncached prompt once, then every sample's decoded tokens."""
    processed = prompt_tokens - cached_tokens + sum(decoded_per_sample)
    attention = _attention_positions(cached_tokens, prompt_tokens)
    for d in decoded_per_sample:
        attention += _attention_positions(prompt_tokens, prompt_tokens + d)
    return float(2 * n_params * processed + 2 * n_layers * d_model * attention)
