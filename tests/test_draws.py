"""Walking a split's draws: the first distinct items in draw order, whatever the number of workers."""

from __future__ import annotations

import pytest

from reasonbench.tasks import get_task
from reasonbench.tasks.draws import first_distinct


def _mod7(i: int) -> int:
    return (i * 3) % 7  # draws 0..6 are distinct, then they repeat


def _fails_from_20(i: int) -> int:
    if i >= 20:
        raise ValueError(f"draw {i} failed")
    return i


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_draw_fails_the_split_only_when_it_is_reached(workers: int) -> None:
    # Draws 0..19 are enough for 10 items: the failures the workers meet while drawing ahead are not.
    assert first_distinct(_fails_from_20, lambda x: x, 10, 100, workers) == list(range(10))
    with pytest.raises(ValueError, match="draw 20 failed"):
        first_distinct(_fails_from_20, lambda x: x, 30, 100, workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_first_distinct_keeps_the_first_occurrence_in_draw_order(workers: int) -> None:
    assert first_distinct(_mod7, lambda x: x, 5, 100, workers) == [0, 3, 6, 2, 5]
    # Only 7 distinct values exist: asking for more returns what the budget holds, in order.
    assert first_distinct(_mod7, lambda x: x, 10, 100, workers) == [0, 3, 6, 2, 5, 1, 4]
    assert first_distinct(_mod7, lambda x: x % 2, 5, 100, workers) == [0, 3]
    assert first_distinct(_mod7, lambda x: x, 0, 100, workers) == []


@pytest.mark.parametrize(("task", "split"), [("sudoku", "sudoku6_14givens"), ("countdown", "cd4")])
def test_a_split_drawn_by_two_workers_is_the_split_drawn_by_one(task: str, split: str) -> None:
    t = get_task(task)
    one = t.generate(split, 40, seed="train")
    two = t.generate(split, 40, seed="train", workers=2)
    assert [p.data for p in two] == [p.data for p in one]
    assert len({str(p.data) for p in one}) == 40
