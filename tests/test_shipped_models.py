"""The models shipped in the package: small, documented, and used by default with real accuracy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reasonbench.models import default_model, shipped_models

SHIPPED = shipped_models()


def test_shipped_models_fit_the_size_limit() -> None:
    total = sum(f.stat().st_size for d in SHIPPED.values() for f in d.iterdir() if f.is_file())
    # 60 MB, read strictly: three Countdown models, the 4x4 Sudoku model and three 6x6 ones.
    assert total <= 60_000_000


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_model_has_a_card_with_measured_accuracy(name: str) -> None:
    d = SHIPPED[name]
    card = (d / "README.md").read_text()
    assert "## Learning curve" in card and "## Accuracy" in card and "Measured on the frozen" in card
    for f in ("config.json", "model.safetensors", "tokenizer.json"):
        assert (d / f).exists()
    assert json.loads((d / "config.json").read_text())["model_type"] == "llama"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_tokenizer_starts_prompts_with_bos(name: str) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(SHIPPED[name])
    assert tok("Current State: 24:[4, 9, 3], Operations: []\n").input_ids[0] == tok.bos_token_id


def test_the_serial_search_model_is_shipped_and_serves_backtrack() -> None:
    assert "countdown-sos" in SHIPPED
    assert default_model("countdown", "cd3", "backtrack") == "countdown-sos"


def test_defaults_prefer_the_fitting_model_and_fall_back(monkeypatch, tmp_path) -> None:
    import reasonbench.models as models

    def shipping(*names: str) -> None:
        monkeypatch.setattr(models, "shipped_models", lambda: {n: tmp_path / n for n in names})

    shipping("countdown-sos", "countdown-direct", "countdown-apr")
    assert default_model("countdown", "cd3", "cot") == "countdown-direct"
    assert default_model("countdown", "cd4", "sc") == "countdown-direct"
    assert default_model("countdown", "cd3", "apr") == "countdown-apr"
    shipping("countdown-sos")
    assert default_model("countdown", "cd3", "bon") == "countdown-sos"  # sampling search traces instead
    assert default_model("countdown", "cd3", "apr") is None  # no other model writes spawn blocks
    assert default_model("sudoku", "sudoku4", "cot") is None
    shipping("sudoku-dfs", "sudoku4-dfs")
    assert default_model("sudoku", "sudoku6_14givens", "cot") == "sudoku-dfs"  # no direct model: search
    assert default_model("sudoku", "sudoku4", "sc") == "sudoku4-dfs"
    assert default_model("sudoku", "sudoku6_14givens", "apr") is None
    shipping("sudoku-direct", "sudoku-dfs", "sudoku-apr", "sudoku4-dfs")
    assert default_model("sudoku", "sudoku6_14givens", "sc") == "sudoku-direct"
    assert default_model("sudoku", "sudoku6_14givens", "backtrack") == "sudoku-dfs"
    assert default_model("sudoku", "sudoku6_14givens", "apr") == "sudoku-apr"
    assert default_model("sudoku", "sudoku4", "cot") == "sudoku4-dfs"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "split", "strategy", "budget", "model", "n", "at_least"),
    [
        # Greedy decoding: the committed reference runs solve 7 of these 20 (results/cpu-demo, 2k; an
        # untrained model solves none), 20 of 20 (results/sudoku4-dfs), 10 of 20
        # (results/sudoku6/sudoku-dfs, 2k), 19 of 100 (results/sudoku6/sudoku-direct: a direct chain
        # guesses, and a uniform guesser solves ~2 of 100) and 15 of 20 (results/sudoku6/sudoku-apr, 2k);
        # a few flips are allowed for batch-dependent numerics.
        ("countdown", "cd4", "backtrack", "2k", "countdown-sos", 20, 5),
        ("sudoku", "sudoku4", "cot", "512", "sudoku4-dfs", 20, 18),
        ("sudoku", "sudoku6_14givens", "backtrack", "2k", "sudoku-dfs", 20, 8),
        ("sudoku", "sudoku6_14givens", "cot", "1k", "sudoku-direct", 100, 15),
        ("sudoku", "sudoku6_14givens", "apr", "2k", "sudoku-apr", 20, 13),
    ],
)
def test_run_without_model_uses_the_shipped_model_that_fits(
    tmp_path, task: str, split: str, strategy: str, budget: str, model: str, n: int, at_least: int
) -> None:
    from reasonbench.results import read_rows

    out = tmp_path / "res"
    args = ["run", "--task", task, "--split", split, "--strategy", strategy, "-n", str(n), "-b", budget]
    proc = subprocess.run(
        [sys.executable, "-m", "reasonbench", *args, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((out / "manifest.json").read_text())["model"] == model
    df = read_rows(out)
    assert df["correct"].sum() >= at_least, df[["answer", "finish", "reason"]].to_string()
