"""The 6x6 Sudoku recipes: small enough to ship together, and their documents fit the training window."""

from __future__ import annotations

import pytest

from reasonbench.ceiling import shipped_token_counter
from reasonbench.tasks import get_task
from reasonbench.train.recipe import load_recipe

SIX = ("sudoku-dfs", "sudoku-direct", "sudoku-apr")


def test_the_three_6x6_sudoku_models_together_fit_25_mb_in_bf16() -> None:
    from reasonbench.train.model import build_model, count_params
    from reasonbench.train.tokenizer import build_tokenizer

    tok = build_tokenizer()
    params = [count_params(build_model(load_recipe(name), tok)) for name in SIX]
    assert 2 * sum(params) <= 25_000_000
    assert len(set(params)) == 1  # one shape: the comparison is between trace formats, not model sizes


@pytest.mark.parametrize("name", SIX)
def test_nearly_every_document_of_a_6x6_recipe_fits_its_training_window(name: str) -> None:
    recipe = load_recipe(name)
    task, count = get_task(recipe.task), shipped_token_counter()
    problems = task.generate(recipe.split, 40, seed=recipe.data_seed)
    lengths = [count(d.text) for p in problems for d in task.training_documents(p, recipe.trace)]
    assert sum(n > recipe.seq_len for n in lengths) <= 0.03 * len(lengths)
    assert recipe.positions >= max(recipe.eval_windows or (recipe.positions,))


def test_the_4x4_recipe_still_trains_the_shipped_4x4_model() -> None:
    import json

    from reasonbench.models import shipped_models

    recipe = load_recipe("sudoku4-dfs")
    config = json.loads((shipped_models()["sudoku4-dfs"] / "config.json").read_text())
    assert (recipe.split, recipe.trace) == ("sudoku4", "dfs")
    assert (recipe.layers, recipe.width) == (config["num_hidden_layers"], config["hidden_size"])
