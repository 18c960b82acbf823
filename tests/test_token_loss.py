"""The per-role token loss: roles read off a trace line, and a trained model has learnt its values."""

from __future__ import annotations

from reasonbench.train.token_loss import line_roles, token_loss


def test_a_placement_line_numbers_its_row_column_and_value() -> None:
    roles = line_roles("(3, 5) = 2\n")
    assert roles[1] == "( digit 1" and roles[4] == "( digit 2" and roles[9] == "( digit 3"
    assert roles[0] == "( opening"
    assert roles[2] == roles[-1] == "( syntax"


def test_the_first_character_of_a_line_is_the_decision_of_its_kind() -> None:
    assert line_roles("nocand: (2, 4)\n")[0] == "nocand: ( opening"
    assert line_roles("guess: (0, 3) [1, 2] = 1\n")[0] == "guess: ( opening"
    assert line_roles("4213\n")[0] == "digits digit 1"  # a grid row opens with a value, not a kind
    assert line_roles("\n") == ["blank syntax"]


def test_a_cell_first_line_takes_its_kind_from_its_list_and_its_separators_are_the_count_decisions() -> None:
    guess = line_roles("(1, 0) [2, 5] = 2\n")
    assert guess[8] == "cell-first guess digit 3" and guess[11] == "cell-first guess digit 4"
    assert guess[9] == guess[12] == "cell-first guess list"  # "," then "]": one more candidate, then none
    assert guess[10] == "cell-first guess syntax"  # the space after the comma decides nothing
    assert line_roles("(4, 4) []\n")[8] == "cell-first dead end list"
    assert line_roles("(0, 3) [2] = 2\n")[9] == "cell-first place list"


def test_guess_lines_grid_rows_and_digitless_lines_get_their_own_kinds() -> None:
    guess = line_roles("guess: (0, 3) [1, 2] = 1\n")
    assert guess[8] == "guess: ( digit 1" and guess[-2] == "guess: ( digit 5"
    assert set(line_roles("4213\n")[:4]) == {
        "digits digit 1",
        "digits digit 2",
        "digits digit 3",
        "digits digit 4",
    }
    assert set(line_roles("solution:\n")[1:]) == {"solution: syntax"}


def test_the_shipped_4x4_model_has_learnt_the_values_it_places() -> None:
    from reasonbench.models import shipped_models

    stats = token_loss(str(shipped_models()["sudoku4-dfs"]), "sudoku", "sudoku4", "dfs", 10)
    values = stats["( digit 3"]
    assert values.tokens >= 10 * 8  # every puzzle places its 12 empty cells
    assert values.hits / values.tokens >= 0.9  # the card's 99.5% greedy accuracy needs it
    assert "( syntax" in stats and stats["( syntax"].hits == stats["( syntax"].tokens
