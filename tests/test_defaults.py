"""Task-aware defaults: each task names its split, and the default model fits the task, split and strategy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import reasonbench.models as models
from reasonbench.cli import main
from reasonbench.errors import UserError
from reasonbench.models import default_model, require_default_model, slots
from reasonbench.strategies import STRATEGIES
from reasonbench.sweep import load_preset
from reasonbench.tasks import TASKS, get_task, resolve_split
from reasonbench.train.recipe import load_recipe

PRESETS = sorted((Path(__file__).resolve().parents[1] / "strategies").glob("*.toml"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exc.value.code), captured.out, captured.err


@pytest.fixture
def all_shipped(monkeypatch, tmp_path) -> None:
    """Pretend every default model is shipped (most are still to be trained)."""
    monkeypatch.setattr(models, "shipped_models", lambda: {s.name: tmp_path / s.name for s in slots()})


@pytest.mark.parametrize("name", TASKS.names())
def test_every_task_names_a_default_split_it_can_generate(name: str) -> None:
    task = get_task(name)
    split = resolve_split(task, None)
    assert split in task.splits()
    assert len(task.generate(split, 2)) == 2


def test_a_named_split_is_checked_against_the_tasks_splits() -> None:
    task = get_task("sudoku")
    assert resolve_split(task, "sudoku4") == "sudoku4"
    with pytest.raises(UserError, match="unknown sudoku split 'cd3'; choose from: sudoku4"):
        resolve_split(task, "cd3")


def test_sudoku_defaults_to_the_6x6_split_where_search_matters(capsys) -> None:
    code, out, _ = run(capsys, "tasks", "generate", "sudoku", "-n", "2")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {(r["split"], r["size"]) for r in rows} == {("sudoku6_14givens", 6)}


def test_tasks_show_needs_no_split(capsys) -> None:
    code, out, _ = run(capsys, "tasks", "show", "sudoku", "-i", "3")
    assert code == 0 and out.startswith("Puzzle:\n")
    lines = out.splitlines()
    givens = [line for line in lines if line.startswith("(")]  # a 6x6 prompt lists its filled cells
    assert givens and all(re.fullmatch(r"\([0-5], [0-5]\) = [1-6]", g) for g in givens)
    solution = [line for line in lines if line.isdigit()]  # and the reference answer is a 6x6 grid
    assert len(solution) == 6 and {len(row) for row in solution} == {6}


def test_run_without_split_or_model_names_the_recipe_that_would_train_the_missing_model(
    capsys, monkeypatch, tmp_path
) -> None:
    # As on a checkout where only the 4x4 model is shipped for Sudoku: nothing fits the 6x6 default.
    monkeypatch.setattr(models, "shipped_models", lambda: {"sudoku4-dfs": tmp_path})
    code, _, err = run(capsys, "run", "--task", "sudoku", "--strategy", "cot", "-n", "2")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "sudoku6_14givens" in err and "`reasonbench train --recipe sudoku-direct`" in err


def test_a_preset_without_a_split_runs_the_tasks_default_split(tmp_path) -> None:
    preset = tmp_path / "p.toml"
    preset.write_text('task = "sudoku"\nmodel = "m"\n[[strategy]]\nname = "cot"\n')
    (config,) = load_preset(preset)
    assert config.split == "sudoku6_14givens"


def test_a_preset_with_an_unknown_split_is_a_user_error(tmp_path) -> None:
    preset = tmp_path / "p.toml"
    preset.write_text('task = "sudoku"\nsplit = "cd3"\nmodel = "m"\n[[strategy]]\nname = "cot"\n')
    with pytest.raises(UserError, match="unknown sudoku split"):
        load_preset(preset)


@pytest.mark.parametrize("task", TASKS.names())
@pytest.mark.parametrize("strategy", STRATEGIES.names())
def test_a_default_model_covers_every_strategy_on_every_task(all_shipped, task: str, strategy: str) -> None:
    assert default_model(task, resolve_split(get_task(task), None), strategy) is not None


def test_a_4x4_model_is_never_the_default_on_6x6(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(models, "shipped_models", lambda: {"sudoku4-dfs": tmp_path})
    assert default_model("sudoku", "sudoku4", "backtrack") == "sudoku4-dfs"
    assert default_model("sudoku", "sudoku6_14givens", "backtrack") is None
    with pytest.raises(UserError, match="--recipe sudoku-dfs"):
        require_default_model("sudoku", "sudoku6_14givens", "backtrack")


def test_a_split_no_model_fits_says_so_without_a_recipe() -> None:
    with pytest.raises(UserError, match="no shipped model fits task sudoku split sudoku9") as exc:
        require_default_model("sudoku", "sudoku9", "cot")
    assert "recipe" not in str(exc.value)


@pytest.mark.parametrize("slot", slots(), ids=lambda s: s.name)
def test_every_default_model_has_a_recipe_for_its_task_and_splits(slot) -> None:
    recipe = load_recipe(slot.recipe)
    assert recipe.task == slot.task
    assert not slot.splits or recipe.split in slot.splits


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.name)
def test_every_preset_loads_with_its_default_models(all_shipped, path: Path) -> None:
    assert load_preset(path)


def test_the_sudoku_preset_runs_each_strategy_on_the_model_trained_for_it(all_shipped) -> None:
    runs = load_preset(Path(__file__).resolve().parents[1] / "strategies" / "sudoku.toml")
    by_model = {r.model: {s.name for s in r.strategies} for r in runs}
    assert by_model == {
        "sudoku-direct": {"cot", "sc", "bon"},
        "sudoku-dfs": {"backtrack"},
        "sudoku-apr": {"apr"},
    }
    assert {r.split for r in runs} == {"sudoku6_14givens"} and all(r.n_problems >= 500 for r in runs)
