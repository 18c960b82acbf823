"""The sub-call budget probe: where it cuts the reference parent, and what it reads off a model there."""

from __future__ import annotations

import pytest

from reasonbench.frozen import load_problems
from reasonbench.tasks import get_task
from reasonbench.tasks.spawn_grammar import CALL_OPEN
from reasonbench.train.prefix_probe import CONDITIONS, decision, prefix_for, probe
from reasonbench.train.recipe import load_recipe

COUNTDOWN = get_task("countdown")
RECIPE = load_recipe("countdown-apr-cd4")


def test_the_cut_is_where_the_reference_parent_opens_its_first_block_without_any_prefix() -> None:
    problems = load_problems("countdown", "cd4", 12)
    prefixed = 0
    for problem in problems:
        parent = COUNTDOWN.training_documents(problem, RECIPE.trace)[0].text
        prefixed += parent.startswith("Sub Call Budget:")
        point = decision(COUNTDOWN, problem, RECIPE.trace)
        assert point is not None
        assert point.text.startswith(COUNTDOWN.spawn_protocol(problem).parent_prompt(problem))
        assert CALL_OPEN not in point.text and parent.endswith(point.text + parent[parent.index(CALL_OPEN) :])
        block = parent[parent.index(CALL_OPEN) :]
        assert point.k == block.count("<Start Sub Search ") >= 1
    assert 0 < prefixed < len(problems)  # the recipe prefixes about half its parents; the cut drops them


def test_each_column_has_its_prefix() -> None:
    assert prefix_for(COUNTDOWN, "none", 7) == ""
    assert prefix_for(COUNTDOWN, "true k", 7) == COUNTDOWN.budget_prefix("sub_calls", 7)
    assert prefix_for(COUNTDOWN, "k=10", 7) == COUNTDOWN.budget_prefix("sub_calls", 10)
    assert prefix_for(COUNTDOWN, "k=2", 7) != prefix_for(COUNTDOWN, "k=10", 7)


@pytest.mark.slow
def test_the_probe_reads_one_probability_per_problem_and_column(tmp_path) -> None:
    from reasonbench.models.random_init import build_random_llama

    model = build_random_llama(tmp_path / "m", layers=1, width=64, max_len=4096)
    result = probe(str(model), "countdown", "cd4", RECIPE.trace, 3)
    assert set(result) == set(CONDITIONS)
    assert all(len(v) == 3 and all(0.0 < p < 1.0 for p in v) for v in result.values())
    assert len({tuple(v) for v in result.values()}) > 1  # the prefix is part of what the model reads
