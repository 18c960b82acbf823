"""Seeded Sudoku generator: reproducible, unique solutions, exact givens, guesses needed, validation."""

from __future__ import annotations

import pytest

from reasonbench.tasks.sudoku.generate import SPLITS, SudokuConfig, generate
from reasonbench.tasks.sudoku.solver import count_solutions, fills_by_naked_singles
from reasonbench.tasks.sudoku.trace_writers import solution_guesses


def _givens(puzzle: str) -> int:
    return sum(ch != "0" for ch in puzzle)


def test_same_seed_gives_the_same_puzzles() -> None:
    config = SudokuConfig(size=6, givens=10, seed="alpha")
    assert generate(config, 15) == generate(SudokuConfig(size=6, givens=10, seed="alpha"), 15)


def test_different_seeds_give_different_puzzles() -> None:
    a = generate(SudokuConfig(size=6, givens=10, seed="alpha"), 15)
    b = generate(SudokuConfig(size=6, givens=10, seed="beta"), 15)
    assert set(a).isdisjoint(b)


def test_a_longer_split_extends_a_shorter_one() -> None:
    config = SudokuConfig(size=4, givens=5, seed="prefix")
    assert generate(config, 30)[:10] == generate(config, 10)


@pytest.mark.parametrize(("size", "givens"), [(4, 4), (4, 7), (6, 9), (6, 14), (9, 24), (9, 35)])
def test_every_puzzle_has_exactly_the_configured_givens_and_one_solution(size: int, givens: int) -> None:
    puzzles = generate(SudokuConfig(size=size, givens=givens, seed="u"), 8)
    assert all(len(p) == size * size for p in puzzles)
    assert all(_givens(p) == givens for p in puzzles)
    assert all(count_solutions(p, size) == 1 for p in puzzles)


def test_generated_puzzles_are_distinct() -> None:
    puzzles = generate(SudokuConfig(size=4, givens=4, seed="d"), 300)
    assert len(set(puzzles)) == 300


def test_one_guess_needed_gives_puzzles_naked_singles_cannot_finish() -> None:
    puzzles = generate(SudokuConfig(size=6, givens=10, min_guesses=1, seed="g"), 10)
    assert not any(fills_by_naked_singles(p, 6) for p in puzzles)
    assert all(count_solutions(p, 6) == 1 for p in puzzles)


def test_no_guess_allowed_gives_puzzles_naked_singles_finish() -> None:
    puzzles = generate(SudokuConfig(size=9, givens=30, max_guesses=0, seed="g"), 10)
    assert all(fills_by_naked_singles(p, 9) for p in puzzles)


def test_min_guesses_gives_puzzles_whose_solution_path_guesses_that_often() -> None:
    puzzles = generate(SudokuConfig(size=6, givens=10, min_guesses=2, seed="g"), 8)
    assert all(solution_guesses(p, 6) >= 2 for p in puzzles)  # type: ignore[operator]
    assert all(count_solutions(p, 6) == 1 for p in puzzles)


def test_a_guess_range_keeps_the_guesses_inside_it() -> None:
    puzzles = generate(SudokuConfig(size=6, givens=10, min_guesses=1, max_guesses=1, seed="g"), 8)
    assert [solution_guesses(p, 6) for p in puzzles] == [1] * 8


def test_an_impossible_guess_count_raises_instead_of_looping() -> None:
    # Naked singles solve every uniquely solvable 4x4 puzzle, so a guess can never be required.
    with pytest.raises(ValueError, match="givens=6"):
        generate(SudokuConfig(size=4, givens=6, min_guesses=1, seed="x"), 1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"size": 5}, "size"),
        ({"size": 4, "givens": 3}, "givens"),
        ({"size": 4, "givens": 17}, "givens"),
        ({"size": 9, "givens": 16}, "givens"),
        ({"size": 9, "givens": True}, "givens"),
        ({"min_guesses": -1}, "min_guesses"),
        ({"min_guesses": True}, "min_guesses"),
        ({"min_guesses": 2, "max_guesses": 1}, "max_guesses"),
        ({"size": 4, "max_guesses": 17}, "max_guesses"),
        ({"seed": ""}, "seed"),
    ],
)
def test_bad_config_raises_value_error_naming_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        SudokuConfig(**kwargs)


def test_unset_givens_take_a_per_size_default_within_range() -> None:
    for size, low in ((4, 4), (6, 8), (9, 17)):
        givens = SudokuConfig(size=size).givens
        assert isinstance(givens, int) and low <= givens <= size * size


def test_negative_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="count"):
        generate(SudokuConfig(size=4), -1)


@pytest.mark.parametrize("split", sorted(SPLITS))
def test_every_named_split_generates_unique_puzzles_of_its_config(split: str) -> None:
    config = SPLITS[split]
    puzzles = generate(config, 5)
    assert all(_givens(p) == config.givens and count_solutions(p, config.size) == 1 for p in puzzles)
    guesses = [solution_guesses(p, config.size) for p in puzzles]
    assert all(g is not None and g >= config.min_guesses for g in guesses)
    if config.max_guesses is not None:
        assert all(g is not None and g <= config.max_guesses for g in guesses)
