"""SudokuTask: the contract the runner relies on (splits, problems, prompt, verify, reference, extraction)."""

from __future__ import annotations

import pytest

from reasonbench.errors import UserError
from reasonbench.tasks.base import Problem
from reasonbench.tasks.sudoku.task import SudokuTask

TASK = SudokuTask()


def test_task_is_named_sudoku_and_offers_the_three_sizes() -> None:
    assert TASK.name == "sudoku"
    assert {"sudoku4", "sudoku6", "sudoku9"} <= set(TASK.splits())


@pytest.mark.parametrize(("split", "size"), [("sudoku4", 4), ("sudoku6", 6), ("sudoku9", 9)])
def test_generate_returns_indexed_problems_of_the_split(split: str, size: int) -> None:
    problems = TASK.generate(split, 3)
    assert [p.index for p in problems] == [0, 1, 2]
    assert all(p.task == "sudoku" and p.split == split and p.data["size"] == size for p in problems)
    assert all(len(p.data["puzzle"]) == size * size for p in problems)


def test_generate_is_reproducible_and_a_seed_overrides_the_split_seed() -> None:
    assert TASK.generate("sudoku6", 4) == TASK.generate("sudoku6", 4)
    assert TASK.generate("sudoku6", 4, seed=1) == TASK.generate("sudoku6", 4, seed=1)
    assert TASK.generate("sudoku6", 4, seed=1) != TASK.generate("sudoku6", 4)


def test_problems_survive_a_json_round_trip() -> None:
    problem = TASK.generate("sudoku4", 1)[0]
    assert Problem.from_json(problem.to_json()) == problem
    assert Problem.from_json(problem.to_json()).data == problem.data


def test_unknown_split_is_a_user_error() -> None:
    with pytest.raises(UserError, match="sudoku5"):
        TASK.generate("sudoku5", 1)


@pytest.mark.parametrize("split", ["sudoku4", "sudoku6", "sudoku9"])
def test_reference_answer_verifies(split: str) -> None:
    for problem in TASK.generate(split, 3):
        answer = TASK.reference_answer(problem)
        assert answer is not None
        assert TASK.verify(problem, answer).correct


def test_reference_answer_is_none_for_an_unsolvable_puzzle() -> None:
    problem = Problem("sudoku", "custom", 0, {"size": 4, "puzzle": "1200000300000004"})
    assert TASK.reference_answer(problem) is None


def test_prompt_shows_the_grid_rows() -> None:
    problem = TASK.generate("sudoku4", 1)[0]
    puzzle = problem.data["puzzle"]
    assert TASK.prompt(problem) == "Puzzle:\n" + "".join(puzzle[r * 4 : r * 4 + 4] + "\n" for r in range(4))


@pytest.mark.parametrize(
    "kind",
    [
        "dfs",
        "direct",
        "spawn",
        "dfs:order=shuffled",
        "direct:order=shuffled",
        "spawn:order=shuffled",
        "dfs:search=static",
        "direct:search=static",
        "spawn:search=static",
        "dfs:search=static,lines=cell-first",
        "spawn:search=static,lines=cell-first",
        "dfs:lines=cell-first",
    ],
)
def test_the_answer_extracted_from_each_reference_trace_verifies(kind: str) -> None:
    for problem in TASK.generate("sudoku6_guess", 3):
        answer = TASK.extract_answer(TASK.trace(problem, kind))
        assert answer is not None
        assert TASK.verify(problem, answer).correct


def test_unknown_trace_kind_is_a_user_error() -> None:
    with pytest.raises(UserError, match="kind"):
        TASK.trace(TASK.generate("sudoku4", 1)[0], "bfs")


@pytest.mark.parametrize(
    "spec", ["dfs:order=random", "dfs:beam=3", "spawn:order", "dfs:search=mrv", "dfs:lines=grid"]
)
def test_a_bad_trace_knob_is_a_user_error_naming_the_knobs(spec: str) -> None:
    with pytest.raises(
        UserError, match=r"order=row-major\|shuffled, search=scan\|static and lines=kind-first\|cell-first"
    ):
        TASK.trace(TASK.generate("sudoku6_search", 1)[0], spec)


def test_the_static_search_takes_no_shuffled_order() -> None:
    with pytest.raises(UserError, match="no choice to shuffle"):
        TASK.trace(TASK.generate("sudoku6_search", 1)[0], "dfs:search=static,order=shuffled")


def test_a_direct_trace_has_no_cell_first_form() -> None:
    with pytest.raises(UserError, match="no guesses or dead ends"):
        TASK.trace(TASK.generate("sudoku6_14givens", 1)[0], "direct:search=static,lines=cell-first")


def test_cell_first_lines_measure_the_same_search_as_kind_first_ones() -> None:
    from reasonbench.ceiling import shipped_token_counter

    count = shipped_token_counter()
    for p in TASK.generate("sudoku6_14givens", 6):
        kind_first = TASK.search_shape(p, "dfs:search=static", count)
        cell_first = TASK.search_shape(p, "dfs:search=static,lines=cell-first", count)
        assert cell_first.counts == kind_first.counts and cell_first.counts["dead ends"] > 0
        assert cell_first.solved and cell_first.decoded > kind_first.decoded  # the candidates cost tokens


def test_the_static_search_is_a_different_trace_of_the_same_answer_and_scan_is_the_plain_kind() -> None:
    problems = TASK.generate("sudoku6_search", 8)
    assert [TASK.trace(p, "dfs") for p in problems] == [TASK.trace(p, "dfs:search=scan") for p in problems]
    for p in problems:
        static, scan = TASK.trace(p, "dfs:search=static"), TASK.trace(p, "dfs")
        assert static != scan
        assert TASK.extract_answer(static) == TASK.extract_answer(scan)


def test_the_shuffled_order_is_drawn_per_seed_and_row_major_is_the_plain_kind() -> None:
    problems = TASK.generate("sudoku6_search", 8)
    plain = [TASK.trace(p, "dfs", seed=3) for p in problems]
    assert plain == [TASK.trace(p, "dfs:order=row-major", seed=5) for p in problems]
    shuffled = [TASK.trace(p, "dfs:order=shuffled", seed=3) for p in problems]
    assert shuffled == [TASK.trace(p, "dfs:order=shuffled", seed=3) for p in problems]
    assert shuffled != [TASK.trace(p, "dfs:order=shuffled", seed=4) for p in problems]
    assert shuffled != plain


def test_extract_answer_reads_the_size_from_the_block() -> None:
    text = "(0, 0) = 1\nsolution:\n123456\n456123\n231564\n564231\n312645\n645312\n"
    assert TASK.extract_answer(text) == "123456\n456123\n231564\n564231\n312645\n645312"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no solution\n",
        "(0, 0) = 1\nsolution:\n1234\n3412\n21",  # truncated block
        "solution:\n12345\n",  # no such size
        "solution:\n1234\n3412\n2143\n4321\nsolution:\n1234\n",  # the last word is incomplete
        "solution:",
    ],
)
def test_extract_answer_gives_none_without_a_complete_final_block(text: str) -> None:
    assert TASK.extract_answer(text) is None


def test_extract_answer_never_raises_on_non_text() -> None:
    assert TASK.extract_answer(None) is None  # type: ignore[arg-type]
