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


def _run(directory: Path, name: str, init_from: str, steps: list[dict]) -> Path:
    directory.mkdir()
    recipe = Recipe(name=name, task="countdown", split="cd3", trace="sos", n_problems=10, init_from=init_from)
    (directory / "recipe.json").write_text(json.dumps(dataclasses.asdict(recipe)))
    (directory / "train_log.jsonl").write_text("".join(json.dumps(s) + "\n" for s in steps))
    return directory


def test_a_card_of_a_model_trained_on_keeps_the_earlier_runs_journal(tmp_path) -> None:
    first = _run(
        tmp_path / "first",
        "first",
        "",
        [
            {"step": 100, "tokens_seen": 2e6, "loss": 0.9, "elapsed_s": 600.0},
            {"step": 200, "tokens_seen": 4e6, "loss": 0.5, "elapsed_s": 1200.0, "eval": {"accuracy": 0.25}},
        ],
    )
    second = _run(
        tmp_path / "second",
        "second",
        "runs/train/first/model",
        [{"step": 100, "tokens_seen": 3e6, "loss": 0.4, "elapsed_s": 1800.0, "eval": {"accuracy": 0.5}}],
    )
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps({"vocab_size": 200}))
    card = write_card(second, model_dir, earlier=[first]).read_text()
    flat = " ".join(card.split())
    # The origin is the first run's (from scratch), not the second's warm start from the first.
    assert "trained from scratch by reasonbench's recipes `first` then `second`" in flat
    assert "| steps | 200 + 100 |" in card
    assert "| tokens seen | 7.0M |" in card
    assert "| wall-clock | 50 min of" in card
    curve = card[card.index("## Learning curve") : card.index("## Accuracy")]
    assert "| run | step | tokens seen (all runs) |" in curve
    # The second run's tokens continue from the first's last record.
    assert "| `first` | 200 | 4.0M | 0.5000 | 25.0% |" in curve
    assert "| `second` | 100 | 7.0M | 0.4000 | 50.0% |" in curve
    # Without earlier runs the card is a single run's, with no run column.
    alone = write_card(second, model_dir).read_text()
    assert "| run |" not in alone and "| tokens seen | 3.0M |" in alone


def test_two_runs_of_one_recipe_are_told_apart_by_their_directories(tmp_path) -> None:
    step = {"step": 100, "tokens_seen": 2e6, "loss": 0.9, "elapsed_s": 600.0, "eval": {"accuracy": 0.25}}
    first = _run(tmp_path / "dfs-scan", "dfs", "", [step])
    second = _run(tmp_path / "dfs-cellfirst", "dfs", "runs/train/dfs-scan/model", [step])
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps({"vocab_size": 200}))
    card = write_card(second, model_dir, earlier=[first]).read_text()
    assert "reasonbench's runs `dfs-scan` then `dfs-cellfirst`" in " ".join(card.split())
    curve = card[card.index("## Learning curve") : card.index("## Accuracy")]
    assert "| `dfs-scan` | 100 | 2.0M |" in curve and "| `dfs-cellfirst` | 100 | 4.0M |" in curve


def test_a_resumed_runs_repeated_steps_make_one_curve_row_each_the_later_record(tmp_path) -> None:
    # Killed after step 200 and resumed from its step-100 checkpoint: steps 101-200 are logged twice.
    first_pass = [{"step": s, "tokens_seen": s * 1e4, "loss": 0.9, "elapsed_s": s} for s in range(1, 201)]
    resumed = [{"step": s, "tokens_seen": s * 1e4, "loss": 0.3, "elapsed_s": s} for s in range(101, 301)]
    card = _card(tmp_path, "countdown", "cd3", "sos", steps=tuple(first_pass + resumed))
    curve = card[card.index("## Learning curve") : card.index("## Accuracy")]
    assert [
        line.split(" | ")[0] for line in curve.splitlines() if line.startswith("| ") and "0." in line
    ] == [
        "| 100",
        "| 200",
        "| 300",
    ]
    assert "| 200 | 2.0M | 0.3000 |" in curve


def test_a_resumed_run_not_yet_past_its_abandoned_steps_ends_where_it_stands(tmp_path) -> None:
    # Killed after step 250, resumed from its step-100 checkpoint, now at step 180: steps 181-250 belong to
    # the abandoned pass and are neither in the curve nor in the totals.
    first_pass = [{"step": s, "tokens_seen": s * 1e4, "loss": 0.9, "elapsed_s": s} for s in range(1, 251)]
    resumed = [{"step": s, "tokens_seen": s * 1e4, "loss": 0.3, "elapsed_s": s} for s in range(101, 181)]
    card = _card(tmp_path, "countdown", "cd3", "sos", steps=tuple(first_pass + resumed))
    assert "| steps | 180 |" in card and "| tokens seen | 1.8M |" in card
    curve = card[card.index("## Learning curve") : card.index("## Accuracy")]
    assert "| 200 |" not in curve and "| 100 | 1.0M | 0.9000 |" in curve
