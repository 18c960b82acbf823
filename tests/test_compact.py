"""Compaction: a finished run is one Parquet file per shard; resumes and kills mid-compaction lose nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fakes import FakeEngine
from reasonbench.results import read_rows
from reasonbench.runner import run_async
from test_runner import config, solving_script

TESTS = Path(__file__).resolve().parent
KEY = ["problem_id", "config_id", "budget", "seed"]


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != "manifest.json")


def test_parts_are_compacted_into_one_file_that_pandas_and_duckdb_read(tmp_path: Path) -> None:
    asyncio.run(run_async(FakeEngine(solving_script), config(n=4), tmp_path, flush_rows=1))
    assert files(tmp_path) == ["rows.parquet"]
    import duckdb

    (n,) = duckdb.connect().execute(f"select count(*) from read_parquet('{tmp_path}/*.parquet')").fetchone()
    assert n == len(pd.read_parquet(tmp_path / "rows.parquet")) == len(read_rows(tmp_path)) == 4 * 2 * 2
    assert len(read_rows(str(tmp_path))) == n  # the README reads a results directory by its name


def test_a_resumed_run_folds_its_new_rows_into_the_compacted_file(tmp_path: Path) -> None:
    from reasonbench.frozen import load_problems

    problems = load_problems("countdown", "cd3", 5)
    asyncio.run(run_async(FakeEngine(solving_script), config(n=5), tmp_path, problems=problems[:2]))
    assert len(read_rows(tmp_path)) == 2 * 4
    assert asyncio.run(run_async(FakeEngine(solving_script), config(n=5), tmp_path, flush_rows=1)) == 3 * 4
    assert files(tmp_path) == ["rows.parquet"]
    df = read_rows(tmp_path)
    assert len(df) == 5 * 4 and not df.duplicated(KEY).any()


def test_each_shard_compacts_into_its_own_file(tmp_path: Path) -> None:
    for i in range(2):
        asyncio.run(
            run_async(FakeEngine(solving_script), dataclasses.replace(config(n=5), shard=(i, 2)), tmp_path)
        )
    assert files(tmp_path) == ["rows-0of2.parquet", "rows-1of2.parquet"]
    df = read_rows(tmp_path)
    assert len(df) == 5 * 4 and not df.duplicated(KEY).any()


KILL_IN_COMPACTION = """
import asyncio, os, signal, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
import reasonbench.results as results
from fakes import FakeEngine
from test_runner import config, solving_script
from reasonbench.runner import run_async

real_replace = os.replace

def replace(src, dst):
    if Path(dst).name == "rows.parquet":  # the compacted file: die {when} it lands
        if {when!r} == "after":
            real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)

results.os.replace = replace
asyncio.run(run_async(FakeEngine(solving_script), config(n=4), Path({out!r}), flush_rows=2))
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_kill_minus_nine_during_compaction_loses_and_repeats_nothing(tmp_path: Path, when: str) -> None:
    out = tmp_path / "res"
    code = KILL_IN_COMPACTION.format(tests=str(TESTS), out=str(out), when=when)
    proc = subprocess.run([sys.executable, "-c", code], cwd=TESTS, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert any(name.startswith("part-") for name in files(out))  # killed with parts still there
    df = read_rows(out)
    assert len(df) == 4 * 2 * 2 and not df.duplicated(KEY).any()
    engine = FakeEngine(solving_script)
    assert asyncio.run(run_async(engine, config(n=4), out)) == 0
    assert engine.requests == [] and files(out) == ["rows.parquet"]
    assert len(read_rows(out)) == 4 * 2 * 2


def test_a_leftover_temporary_file_is_not_read_as_rows(tmp_path: Path) -> None:
    asyncio.run(run_async(FakeEngine(solving_script), config(n=2), tmp_path))
    (tmp_path / "rows.parquet.tmp").write_bytes(b"half a file")
    assert len(read_rows(tmp_path)) == 2 * 4
    asyncio.run(run_async(FakeEngine(solving_script), config(n=2), tmp_path))
    assert files(tmp_path) == ["rows.parquet"]
    assert os.path.getsize(tmp_path / "rows.parquet") > 0


def test_read_rows_of_a_multi_model_sweep_reads_every_model_directory(tmp_path: Path) -> None:
    asyncio.run(run_async(FakeEngine(solving_script), config(n=3), tmp_path / "model-a"))
    asyncio.run(run_async(FakeEngine(solving_script), config(n=2), tmp_path / "model-b"))
    (tmp_path / "notes").mkdir()  # not a results directory: ignored
    df = read_rows(tmp_path)
    assert len(df) == len(read_rows(tmp_path / "model-a")) + len(read_rows(tmp_path / "model-b")) == 5 * 4
    assert read_rows(tmp_path / "notes").empty
