"""Quiet by default: a run prints our progress and summary, while vLLM's logs go to the results' log file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run(model: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    args = ["run", "--strategy", "cot", "--model", str(model), "-n", "2", "-b", "256", "-P", "max_tokens=8"]
    return subprocess.run(
        [sys.executable, "-m", "reasonbench", *args, "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_run_shows_no_engine_logs_and_keeps_them_in_the_log_file(tmp_path: Path, tiny_model_dir) -> None:
    proc = run(tiny_model_dir, tmp_path / "res")
    assert proc.returncode == 0, proc.stderr[-2000:]
    screen = proc.stdout + proc.stderr
    assert "accuracy" in proc.stderr  # the summary stays
    for noise in ("INFO", "WARNING", "Warning", "FutureWarning", "Loading safetensors"):
        assert noise not in screen, screen
    log = (tmp_path / "res" / "reasonbench.log").read_text()
    assert "INFO vllm" in log


def test_verbose_shows_the_engine_logs(tmp_path: Path, tiny_model_dir) -> None:
    proc = run(tiny_model_dir, tmp_path / "res", "--verbose")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "INFO" in proc.stderr
