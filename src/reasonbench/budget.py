"""Budgets: what a problem may spend, parsed from the command line.

Three kinds (docs/design.md, "Budgets"), each optional, any combination:

* ``context``: the largest context (prompt + generated) of any single thread, in tokens. ``--budget 4k``
  means a 4096-token window (APR's headline setting).
* ``tokens``: all tokens decoded by all threads of a problem plus prompt tokens not served from the prefix
  cache: ``tokens:20k``.
* ``latency``: wall-clock seconds for the problem: ``latency:5s`` (also ``500ms``, ``2m``).

Combine with commas: ``4k,tokens:20k,latency:5s``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasonbench.errors import UserError

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([kKmM]?)$")
_TIME = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)?$")
# A label's part (``ctx4k``, ``tok20k``, ``lat5s``): the kind glued to its value, no colon.
_LABEL_PART = re.compile(r"^(ctx|tok|lat)(\d.*)$")


def parse_tokens(text: str) -> int:
    """A token count as users write it: ``4096``, ``4k``, ``1.5M``."""
    m = _SIZE.match(text.strip())
    if not m:
        raise UserError(f"cannot read a token count from {text!r} (e.g. 4096, 4k, 1.5M)")
    scale = {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2).lower()]
    value = int(float(m.group(1)) * scale)
    if value < 1:
        raise UserError(f"a token budget must be at least 1, got {text!r}")
    return value


def _seconds(text: str) -> float:
    m = _TIME.match(text.strip())
    if not m:
        raise UserError(f"cannot read a duration from {text!r} (e.g. 5s, 500ms, 2m)")
    value = float(m.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[m.group(2)]
    if value <= 0:
        raise UserError(f"a latency budget must be positive, got {text!r}")
    return value


def _short(n: int) -> str:
    return f"{n // 1024}k" if n % 1024 == 0 else str(n)


@dataclass(frozen=True)
class Budget:
    """Limits for one problem; ``None`` means unlimited."""

    context: int | None = None
    tokens: int | None = None
    latency: float | None = None

    @classmethod
    def parse(cls, text: str) -> Budget:
        """``"4k"``, ``"context:4k"``, ``"tokens:20k"``, ``"latency:5s"`` or a comma-separated mix; a
        :attr:`label` (``ctx4k+tok20k``) too, so a budget copied from a results table runs again."""
        fields: dict[str, int | float] = {}
        for part in (p.strip() for p in re.split(r"[,+]", text)):
            if not part:
                continue
            kind, sep, value = part.partition(":")
            if not sep:
                glued = _LABEL_PART.match(part)
                kind, value = glued.groups() if glued else ("context", part)
            kind = {"ctx": "context", "tok": "tokens", "lat": "latency", "time": "latency"}.get(
                kind.strip(), kind.strip()
            )
            if kind in fields:
                raise UserError(f"budget {text!r} names {kind} twice")
            if kind in ("context", "tokens"):
                fields[kind] = parse_tokens(value)
            elif kind == "latency":
                fields[kind] = _seconds(value)
            else:
                raise UserError(f"unknown budget kind {kind!r} in {text!r}; use context, tokens or latency")
        if not fields:
            raise UserError(f"empty budget {text!r}")
        return cls(**fields)  # type: ignore[arg-type]

    @property
    def label(self) -> str:
        """Canonical text, e.g. ``ctx4k``, ``tok20k``, ``ctx4k+lat5s``; ``none`` when unlimited."""
        parts = []
        if self.context is not None:
            parts.append(f"ctx{_short(self.context)}")
        if self.tokens is not None:
            parts.append(f"tok{_short(self.tokens)}")
        if self.latency is not None:
            parts.append(f"lat{self.latency:g}s")
        return "+".join(parts) or "none"
