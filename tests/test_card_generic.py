"""The model card writer knows no task: what it says about the data and the ceiling comes from the task."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from reasonbench.train.card import write_card
from reasonbench.train.recipe import Recipe


def _card(
    tmp_path: Path, task: str, split: str, trace: str, init_from: str = "", steps: tuple[dict, ...] = ()
) -> str:
    run_dir, model_dir = tmp_path / "run", tmp_path / "model"
    run_dir.mkdir()
    model_dir.mkdir()
    recipe = Recipe(
        name="probe", task=task, split=split, trace=trace, n_problems=10, eval_problems=5, init_from=init_from
    )
    (run_dir / "recipe.json").write_text(json.dumps(dataclasses.asdict(recipe)))
    steps = steps or ({"step": 100, "tokens_seen": 1e6, "loss": 0.5, "elapsed_s": 60.0},)
    (run_dir / "train_log.jsonl").write_text("".join(json.dumps(s) + "\n" for s in steps))
    (model_dir / "config.json").write_text(json.dumps({"vocab_size": 200}))
    return write_card(run_dir, model_dir).read_text()


@pytest.mark.parametrize(
    ("task", "split", "trace"), [("countdown", "cd3", "sos"), ("sudoku", "sudoku4", "dfs")]
)
def test_every_tasks_card_carries_the_symbolic_ceiling_of_its_traces(tmp_path, task, split, trace) -> None:
    card = _card(tmp_path, task, split, trace)
    assert "## Symbolic ceiling" in card
    assert f"reasonbench tasks ceiling {task} --split {split} --trace '{trace}' -n 5" in card


@pytest.mark.parametrize(
    ("task", "split", "trace"), [("countdown", "cd3", "apr"), ("sudoku", "sudoku6_guess", "spawn")]
)
def test_a_card_counts_the_documents_a_spawn_trace_makes_per_problem(tmp_path, task, split, trace) -> None:
    assert "documents of their own" in _card(tmp_path, task, split, trace)


def test_a_serial_trace_is_one_document_per_problem(tmp_path) -> None:
    assert "excluded), one trace each" in _card(tmp_path, "sudoku", "sudoku4", "dfs")


@pytest.mark.parametrize(
    ("init_from", "said"),
    [
        ("", "trained from scratch"),
        ("countdown-sos", "from the weights of `countdown-sos`"),
        (
            "runs/train/countdown-sos/model",
            "from the weights the `countdown-sos` recipe trained",
        ),  # an export
    ],
)
def test_a_card_names_the_model_it_was_warm_started_from(tmp_path, init_from: str, said: str) -> None:
    assert said in " ".join(_card(tmp_path, "sudoku", "sudoku4", "dfs", init_from).split())


def test_a_shipped_card_is_titled_by_the_model_and_names_the_recipe_that_trained_it(tmp_path) -> None:
    run_card = _card(tmp_path, "sudoku", "sudoku4", "dfs")
    assert run_card.startswith("# probe\n")
    shipped = tmp_path / "sudoku-dfs"
    (tmp_path / "model").rename(shipped)
    card = write_card(tmp_path / "run", shipped).read_text()
    assert card.startswith("# sudoku-dfs\n")
    assert "by reasonbench's recipe `probe`" in " ".join(card.split())


@pytest.mark.parametrize(
    ("modes", "said"),
    [
        ((None, None), "no GPU, bf16 autocast |"),  # a log from before the trainer chose per machine
        (("off", "off"), "no GPU, float32 |"),
        (("bfloat16", "off"), "no GPU, bf16 autocast then float32 |"),  # resumed on an AVX2-only host
    ],
)
def test_a_card_says_how_its_steps_computed(tmp_path, modes, said: str) -> None:
    steps = tuple(
        {"step": i + 1, "tokens_seen": 1e3 * (i + 1), "loss": 0.5, "elapsed_s": 1.0}
        | ({"autocast": m} if m else {})
        for i, m in enumerate(modes)
    )
    assert said in _card(tmp_path, "sudoku", "sudoku4", "dfs", steps=steps)
