"""The result row: one definition from which the Parquet schema, the writer's checks and the docs follow.

A row is one (problem, strategy configuration, budget, seed). :class:`Row` names every column, its type and
its meaning; the Arrow schema is derived from the field annotations, so a column cannot be added in one place
and forgotten in another. Rows travel as plain dicts of these fields (what ``on_row`` callbacks, derivation
and pandas read); :func:`check_row` is the gate that refuses a dict that is not exactly a row. Nested data
(params, candidates, info, calls, timeline) is JSON text so that every Parquet reader sees plain columns.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

ROW_KEY = ("problem_id", "config_id", "budget", "seed")
"""The columns that identify a row: a resumed run skips the keys already written."""


@dataclass(frozen=True, slots=True)
class Row:
    """One result row; the field order is the column order."""

    task: str
    split: str
    problem_id: str
    problem_index: int
    strategy: str
    config_id: str
    """Hash of the strategy's name and parameters."""
    config_label: str
    """Readable ``name k=v`` text (non-default knobs only)."""
    params: str
    """The strategy's parameters as JSON."""
    budget: str
    """The budget's label, e.g. ``ctx4k`` or ``ctx8k+tok20k``."""
    budget_context: int | None
    budget_tokens: int | None
    budget_latency_s: float | None
    seed: int
    correct: bool
    answer: str | None
    """The answer the strategy settled on (``None``: none parsed)."""
    reason: str
    """The verifier's reason for its verdict."""
    finish: str
    """answered / truncated / budget / error."""
    decoded_tokens: int
    prompt_tokens: int
    cached_tokens: int
    """Prompt tokens served from the prefix cache."""
    tokens: int
    """The token budget's measure: decoded plus uncached prompt tokens."""
    max_context: int
    """The largest context (prompt + generated) of any one thread."""
    critical_path: int
    """Tokens decoded on the longest chain of dependent calls."""
    flops: float
    threads: int
    engine_calls: int
    latency_s: float
    """Wall-clock of the problem (a derived row: the source's, scaled by the share of its critical path)."""
    candidates: str
    """JSON list of the samples of a multi-sample strategy, each with its answer, score and verdict."""
    info: str
    """Strategy-specific details as JSON."""
    trace: str
    """The output text (long traces are cut in the middle)."""
    calls: str | None
    """JSON list of every engine call with its samples' token ids: what derivation replays (``None`` in
    rows written before calls were recorded; such a row is never a derivation source)."""
    derived_from: str | None
    """The budget label of the row this one was derived from (``None``: run directly)."""
    model: str
    backend: str
    in_flight: int | None
    """The most problems that shared the engine while this one ran (1 in latency mode)."""
    timeline: str | None
    """JSON per thread: parent, each call's submitted / first-token / finished time, joins, outcome."""

    def as_dict(self) -> dict[str, Any]:
        """The row as the plain dict that travels to the writer and to ``on_row`` callbacks."""
        return {name: getattr(self, name) for name in COLUMNS}


COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Row))
"""Every column, in order."""


@cache
def _column_types() -> dict[str, tuple[type, bool]]:
    """``column -> (Python type, may be None)`` from :class:`Row`'s annotations."""
    out = {}
    for name, hint in typing.get_type_hints(Row).items():
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        (base,) = (a for a in args if a is not type(None))
        out[name] = (base, type(None) in args)
    return out


REQUIRED: frozenset[str] = frozenset(c for c, (_, optional) in _column_types().items() if not optional)
"""The columns that may not be ``None``."""


@cache
def arrow_schema():
    """The Parquet (Arrow) schema of a row. Every field is nullable in Arrow so that files written before a
    column existed read with that column null; :func:`check_row` enforces :data:`REQUIRED` instead."""
    import pyarrow as pa

    arrow = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
    return pa.schema([pa.field(name, arrow[base]) for name, (base, _) in _column_types().items()])


def check_row(row: Mapping[str, Any]) -> None:
    """Refuse a dict that is not exactly a row: unknown or missing columns, or ``None`` in a required one
    (a typo in a column name fails here, loudly, instead of writing a column of nulls)."""
    keys = row.keys()
    unknown = sorted(keys - set(COLUMNS))
    missing = sorted(set(COLUMNS) - keys)
    if unknown or missing:
        raise ValueError(f"not a result row: unknown columns {unknown}, missing columns {missing}")
    empty = sorted(c for c in REQUIRED if row[c] is None)
    if empty:
        raise ValueError(f"not a result row: required columns are None: {empty}")


def row_key(row: Mapping[str, Any]) -> tuple:
    """The row's :data:`ROW_KEY` values."""
    return tuple(row[k] for k in ROW_KEY)
