"""Trace specs: a trace format's name and the knobs of the search that writes it, as one short string.

``apr`` is APR's spawn/join with the default beams; ``apr:beam=3,child_beam=5`` names them;
``apr:beam=2-6`` draws the parent's beam per problem (from the problem's own seeded rng), which makes the
number of children per spawn vary with the problem, as in APR's own data. Recipes, ``tasks show`` and
``tasks ceiling`` all take this form, so the traces a model trains on are the ones its ceiling measures.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from reasonbench.errors import UserError

KINDS = ("sos", "sos-bfs", "sos+", "apr", "direct")
"""Countdown trace formats (specified in ``docs/trace-formats.md``)."""

_DEFAULTS: dict[str, dict[str, tuple[int, int] | float]] = {
    "sos": {},
    "sos-bfs": {"beam": (3, 3)},
    "sos+": {"beam": (3, 3), "threshold": 0.5},
    # Beam 8 covers ~98% of cd3 problems (the shipped cd3 model's traces).
    "apr": {"beam": (8, 8), "child_beam": (0, 0), "depth": (1, 1), "threshold": 0.9},
    "direct": {},
}
_FLOAT_KNOBS = {"threshold"}
_RANGE = re.compile(r"^(\d{1,2})(?:-(\d{1,2}))?$")


@dataclass(frozen=True)
class TraceSpec:
    """A trace format and its search knobs. Integer knobs are inclusive ranges drawn per problem."""

    kind: str
    knobs: tuple[tuple[str, tuple[int, int] | float], ...] = ()

    def get(self, name: str) -> tuple[int, int] | float:
        return dict(self.knobs)[name]

    def draw(self, name: str, rng: random.Random) -> int:
        """Knob ``name`` for one problem: fixed, or drawn uniformly from its range by ``rng``."""
        lo, hi = self.get(name)  # type: ignore[misc]
        return lo if lo == hi else rng.randint(lo, hi)

    def __str__(self) -> str:
        given = [(k, v) for k, v in self.knobs if _DEFAULTS[self.kind][k] != v]
        if not given:
            return self.kind
        text = ",".join(
            f"{k}={v}" if isinstance(v, float) else f"{k}={v[0]}" + (f"-{v[1]}" if v[1] != v[0] else "")
            for k, v in given
        )
        return f"{self.kind}:{text}"


def parse_trace_spec(spec: str) -> TraceSpec:
    """``kind`` or ``kind:knob=value,...``; unknown kinds or knobs and bad values are a ``UserError``."""
    kind, _, rest = spec.strip().partition(":")
    if kind not in _DEFAULTS:
        raise UserError(f"unknown countdown trace kind {kind!r}; choose from: {', '.join(KINDS)}")
    knobs = dict(_DEFAULTS[kind])
    for item in filter(None, (x.strip() for x in rest.split(","))):
        name, eq, value = item.partition("=")
        if not eq or name not in knobs:
            raise UserError(
                f"trace {kind!r} has knobs {', '.join(knobs) or 'none'}; cannot read {item!r} in {spec!r}"
            )
        if name in _FLOAT_KNOBS:
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if not 0.0 <= number <= 1.0:
                raise UserError(f"{name} must be a probability in [0, 1], got {value!r}")
            knobs[name] = number
            continue
        m = _RANGE.match(value)
        lo, hi = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (-1, -1)
        if not 0 <= lo <= hi or (name != "depth" and lo < 1):
            raise UserError(f"{name} must be a number or a range like 2-6, got {value!r}")
        knobs[name] = (lo, hi)
    return TraceSpec(kind, tuple(knobs.items()))
