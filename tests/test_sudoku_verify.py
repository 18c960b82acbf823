"""Sudoku verifier: lenient about layout, strict about the rules; never raises on model text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonbench.tasks.sudoku.verify import verify_answer

# 4x4, boxes 2x2. SOLVED is one of several completions of PUZZLE; ANOTHER is a different one.
ROWS = ["1234", "3412", "2143", "4321"]
SOLVED = "".join(ROWS)
PUZZLE = "".join(["1000", "0010", "0100", "0001"])
ANOTHER = "".join(["1243", "3412", "2134", "4321"])

# Blanking the four cells of a "deadly rectangle" leaves two completions: SOLVED, and SOLVED with 1 <-> 2
# swapped in those cells.
TWO_WAY = "".join(["0034", "3412", "0043", "4321"])
OTHER = "".join(["2134", "3412", "1243", "4321"])

# 6x6, boxes of 2 rows x 3 columns.
SOLVED_6 = "".join(["123456", "456123", "231564", "564231", "312645", "645312"])


@pytest.mark.parametrize(
    "answer",
    [
        SOLVED,
        "\n".join(ROWS),
        "\n".join(ROWS) + "\n",
        "\n".join(" ".join(row) for row in ROWS),
        "12|34\n34|12\n--+--\n21|43\n43|21",
        "| 1 2 | 3 4 |\n| 3 4 | 1 2 |\n+-----+-----+\n| 2 1 | 4 3 |\n| 4 3 | 2 1 |",
        "1,2,3,4\n3,4,1,2\n2,1,4,3\n4,3,2,1",
        "[[1, 2, 3, 4], [3, 4, 1, 2], [2, 1, 4, 3], [4, 3, 2, 1]]",
        "Here is the solution:\n" + "\n".join(ROWS) + "\nI checked every row.",
        "The answer is " + SOLVED + ".",
        "<answer>\n" + "\n".join(ROWS) + "\n</answer>",
        "<ANSWER>" + SOLVED + "</ANSWER> and then 1111222233334444 as a distraction",
        "Puzzle:\n1000\n0010\n0100\n0001\nsolution:\n" + "\n".join(ROWS) + "\n",
        "\n".join(["1000", "0010", "0100", "0001", "", *ROWS]),  # puzzle echoed right above the answer
        "  1234  \r\n  3412\r\n2143\r\n4321  ",
    ],
)
def test_common_layouts_of_the_right_grid_are_accepted(answer: str) -> None:
    verdict = verify_answer(PUZZLE, 4, answer)
    assert verdict.correct, verdict.reason
    assert verdict.reason == "ok"
    assert verdict.normalized == SOLVED


@pytest.mark.parametrize(
    ("answer", "reason_part"),
    [
        ("2134\n3412\n1243\n4321", "given at (0, 0) changed"),
        ("1234\n3412\n2143\n4312", "given at (3, 3) changed from 1 to 2"),
        ("1234\n3412\n2143\n3421", "duplicate 3 in column 0"),
        ("1234\n3421\n2143\n4312", "given at (1, 2) changed"),
        ("1234\n3412\n2143", "expected 4 rows"),
        ("1234\n3412\n21433\n4321", "row 2 has 5 cells"),
        ("12341234", "found 8 cells"),
        ("1234\n3412\n2a43\n4321", "invalid character 'a' at (2, 1)"),
        ("1234\n3412\n2153\n4321", "digit 5 out of range"),
        ("1234\n3412\n2.43\n4321", "empty cell"),
        ("1234\n3412\n2043\n4301", "2 empty cell(s), first at (2, 1)"),
        ("no idea", "no grid found"),
        ("", "no grid found"),
        ("<answer>I give up</answer>\n" + "\n".join(ROWS), "no grid found in <answer>"),
    ],
)
def test_wrong_answers_are_rejected_with_a_reason(answer: str, reason_part: str) -> None:
    verdict = verify_answer(PUZZLE, 4, answer)
    assert not verdict.correct
    assert reason_part in verdict.reason


def test_duplicate_in_a_column_is_named() -> None:
    verdict = verify_answer("0" * 16, 4, "1234\n3412\n2143\n4312")
    assert not verdict.correct and "duplicate 1 in column 2" in verdict.reason


def test_any_valid_completion_keeping_the_givens_is_accepted() -> None:
    assert verify_answer(PUZZLE, 4, ANOTHER).correct


def test_duplicate_in_a_row_is_named() -> None:
    # Every column and box of this grid is fine only if rows are not checked first; row 0 holds 1 twice.
    verdict = verify_answer("0" * 16, 4, "1134\n3412\n2143\n4321")
    assert not verdict.correct and "in row 0" in verdict.reason


def test_duplicate_in_a_box_is_named() -> None:
    # Rows and columns are permutations (a Latin square) but box 0 holds 1 and 2 twice.
    verdict = verify_answer("0" * 16, 4, "1234\n2341\n3412\n4123")
    assert not verdict.correct and "in box 0" in verdict.reason


def test_a_puzzle_with_two_solutions_accepts_both_completions() -> None:
    assert verify_answer(TWO_WAY, 4, SOLVED).correct
    assert verify_answer(TWO_WAY, 4, OTHER).correct


def test_a_wrong_answer_still_reports_its_normalized_grid() -> None:
    verdict = verify_answer(PUZZLE, 4, "2134\n3412\n1243\n4321")
    assert verdict.normalized == "2134341212434321"


def test_empty_marks_normalize_to_zero() -> None:
    assert verify_answer(PUZZLE, 4, "1234\n34_2\n2143\n4321").normalized == "1234340221434321"


def test_a_6x6_grid_with_2x3_boxes_is_accepted() -> None:
    puzzle = SOLVED_6[:10] + "0" * 26
    assert verify_answer(puzzle, 6, "\n".join(SOLVED_6[r * 6 : r * 6 + 6] for r in range(6))).correct


def test_a_6x6_latin_square_with_bad_boxes_is_rejected() -> None:
    cyclic = "".join("".join(str((r + c) % 6 + 1) for c in range(6)) for r in range(6))
    verdict = verify_answer("0" * 36, 6, cyclic)
    assert not verdict.correct and "box" in verdict.reason


def test_an_overlong_answer_is_rejected_without_scanning() -> None:
    verdict = verify_answer(PUZZLE, 4, "1" * 300_000)
    assert not verdict.correct and "longer" in verdict.reason


def test_a_non_string_answer_is_rejected() -> None:
    assert not verify_answer(PUZZLE, 4, None).correct  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_verifier_never_raises_on_arbitrary_text(text: str) -> None:
    verdict = verify_answer(PUZZLE, 4, text)
    assert isinstance(verdict.reason, str)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 .|-+,\n\r\t<>/answerAb[]", max_size=300))
def test_verifier_never_raises_on_grid_like_text(text: str) -> None:
    verdict = verify_answer(PUZZLE, 4, text)
    assert verdict.correct == (verdict.normalized == SOLVED and verdict.reason == "ok")
