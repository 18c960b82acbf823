"""`reasonbench compare`: the paired difference of two configurations on the problems both ran. Every
expected number is worked out by hand from the rows built here."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonbench import analysis, paired
from reasonbench.errors import UserError
from reasonbench.paired import Side
from test_analysis import BUDGETS, assert_one_line_error, cli, row, write_run


def _rows(strategy: str, budget: str, solved: dict[str, bool], seed: int = 0, **kw) -> list[dict]:
    bc, bt, bl = BUDGETS[budget]
    return [
        row(
            problem_id=pid,
            problem_index=int(pid[1:]),
            strategy=strategy,
            config_id=kw.get("config_id", f"{strategy}-0"),
            config_label=kw.get("label", strategy),
            budget=budget,
            budget_context=bc,
            budget_tokens=bt,
            budget_latency_s=bl,
            correct=ok,
            tokens=kw.get("tokens", 100),
            seed=seed,
            model=kw.get("model", "tiny-cd"),
        )
        for pid, ok in solved.items()
    ]


# A solves p1, p2, p3 of p1..p5; B ran p1..p4 and solves p2, p4. On the shared p1..p4: A 3/4, B 2/4, A
# alone solves p1 and p3, B alone p4. p5, which only A ran, does not count.
A_SOLVED = {"p1": True, "p2": True, "p3": True, "p4": False, "p5": True}
B_SOLVED = {"p1": False, "p2": True, "p3": False, "p4": True}


@pytest.fixture
def rows() -> pd.DataFrame:
    data = _rows("apr", "ctx4k", A_SOLVED, tokens=800) + _rows("backtrack", "ctx4k", B_SOLVED, tokens=300)
    data += _rows("backtrack", "ctx2k", {"p1": False, "p2": False, "p3": False, "p4": False}, tokens=200)
    return analysis.annotate(pd.DataFrame(data))


def test_the_difference_counts_only_problems_both_ran(rows: pd.DataFrame) -> None:
    (result,) = paired.compare(rows, Side("apr"), Side("backtrack"))
    assert (result.budget_a, result.budget_b, result.n) == ("ctx4k", "ctx4k", 4)
    assert (result.accuracy_a, result.accuracy_b, result.difference) == (0.75, 0.5, 0.25)
    assert (result.only_a, result.only_b) == (2, 1)
    assert (result.tokens_a, result.tokens_b) == (800, 300)
    # Per-problem differences are +1, 0, +1, -1: resampled, the mean lies within [-1, +1], around +0.25.
    assert -1 <= result.ci_lo < 0.25 < result.ci_hi <= 1


def test_a_side_may_name_its_own_budget(rows: pd.DataFrame) -> None:
    (result,) = paired.compare(rows, Side("apr", "4k"), Side("backtrack", "ctx2k"))
    assert (result.budget_a, result.budget_b) == ("ctx4k", "ctx2k")
    assert (result.accuracy_b, result.difference, result.only_a, result.only_b) == (0.0, 0.75, 3, 0)
    # Every problem where the two differ favours A: the interval stays above zero.
    assert result.ci_lo > 0


def test_one_budget_given_applies_to_both_sides(rows: pd.DataFrame) -> None:
    (result,) = paired.compare(rows, Side("apr", "4k"), Side("backtrack"))
    assert result.budget_b == "ctx4k"


def test_without_budgets_every_shared_budget_is_compared_smallest_first(rows: pd.DataFrame) -> None:
    # cot ran at 4k, 1k and 2k (in that order); backtrack at 4k and 2k: the shared ones, smallest first.
    cot = _rows("cot", "ctx4k", B_SOLVED) + _rows("cot", "ctx1k", B_SOLVED) + _rows("cot", "ctx2k", B_SOLVED)
    both = paired.compare(
        pd.concat([rows, analysis.annotate(pd.DataFrame(cot))]), Side("cot"), Side("backtrack")
    )
    assert [(r.budget_a, r.difference) for r in both] == [("ctx2k", 0.5), ("ctx4k", 0.0)]


def test_a_configuration_against_itself_at_one_budget_is_refused(rows: pd.DataFrame) -> None:
    with pytest.raises(UserError, match="nothing to compare"):
        paired.compare(rows, Side("backtrack", "4k"), Side("backtrack"))
    (result,) = paired.compare(rows, Side("backtrack", "4k"), Side("backtrack", "2k"))  # two budgets: fine
    assert result.difference == 0.5


def test_two_runs_of_one_configuration_read_together_are_refused(rows: pd.DataFrame) -> None:
    twice = pd.concat([rows, rows[rows["strategy"] == "apr"]])
    with pytest.raises(UserError, match="holds a problem twice"):
        paired.compare(twice, Side("apr"), Side("backtrack"))


def test_batch_rows_count_where_a_latency_run_repeats_them(rows: pd.DataFrame) -> None:
    # The fixture's rows are one-at-a-time (latency mode); a batch run of apr that solves nothing is what
    # accuracy is read from, as in the report.
    batch = _rows("apr", "ctx4k", dict.fromkeys(A_SOLVED, False))
    mixed = pd.concat([rows, analysis.annotate(pd.DataFrame(batch).assign(in_flight=8, mode="batch"))])
    (result,) = paired.compare(mixed, Side("apr"), Side("backtrack"))
    assert (result.accuracy_a, result.only_a, result.only_b) == (0.0, 0, 2)


def test_seeds_average_into_one_score_per_problem() -> None:
    data = _rows("sc", "ctx4k", {"p1": True, "p2": False}, seed=0)
    data += _rows("sc", "ctx4k", {"p1": False, "p2": False}, seed=1)
    data += _rows("cot", "ctx4k", {"p1": False, "p2": False})
    (result,) = paired.compare(analysis.annotate(pd.DataFrame(data)), Side("sc"), Side("cot"))
    # p1 is solved on one seed of two: 0.5; p2 never. Mean 0.25, all of it the difference; no problem is
    # solved on every seed, so none counts as solved by sc alone.
    assert (result.n, result.accuracy_a, result.difference, result.only_a) == (2, 0.25, 0.25, 0)


def test_a_strategy_on_two_models_is_named_with_its_model() -> None:
    data = _rows("sc", "ctx4k", {"p1": True}, model="direct")
    data += _rows("sc", "ctx4k", {"p1": False}, model="sos")
    rows = analysis.annotate(pd.DataFrame(data))
    with pytest.raises(UserError, match=r"several models.*sc · direct"):
        paired.compare(rows, Side("sc"), Side("sc · sos"))
    (result,) = paired.compare(rows, Side("sc · direct"), Side("sc · sos"))
    assert (result.a, result.b, result.difference) == ("sc · direct", "sc · sos", 1.0)


@pytest.mark.parametrize(
    ("a", "b", "said"),
    [
        (Side("nope"), Side("apr"), "no configuration 'nope'; choose from: apr, backtrack"),
        (Side("apr", "9k"), Side("backtrack"), "no budget '9k'; choose from: ctx4k"),
        (Side("apr", "garbage"), Side("backtrack"), "no budget 'garbage'"),
    ],
)
def test_what_is_not_there_is_a_user_error_naming_what_is(rows, a: Side, b: Side, said: str) -> None:
    with pytest.raises(UserError, match=said):
        paired.compare(rows, a, b)


def test_sides_without_a_shared_budget_or_problem_are_user_errors() -> None:
    data = _rows("apr", "ctx4k", {"p1": True}) + _rows("cot", "ctx1k", {"p1": True})
    data += _rows("bon", "ctx4k", {"p9": True})
    rows = analysis.annotate(pd.DataFrame(data))
    with pytest.raises(UserError, match="share no budget"):
        paired.compare(rows, Side("apr"), Side("cot"))
    with pytest.raises(UserError, match="share no problem"):
        paired.compare(rows, Side("apr"), Side("bon"))


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("apr", Side("apr")),
        ("apr@4k", Side("apr", "4k")),
        (" sc n=4 · countdown-sos @ ctx2k ", Side("sc n=4 · countdown-sos", "ctx2k")),
    ],
)
def test_a_side_parses_from_config_at_budget(text: str, side: Side) -> None:
    assert Side.parse(text) == side


@pytest.mark.parametrize("text", ["@4k", "apr@", " @ "])
def test_a_side_with_an_empty_part_is_refused(text: str) -> None:
    with pytest.raises(UserError, match="CONFIG@BUDGET"):
        Side.parse(text)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=40))
def test_the_difference_is_the_discordant_balance_and_lies_in_its_interval(pairs) -> None:
    a = {f"p{i}": x for i, (x, _) in enumerate(pairs)}
    b = {f"p{i}": y for i, (_, y) in enumerate(pairs)}
    rows = analysis.annotate(pd.DataFrame(_rows("apr", "ctx4k", a) + _rows("cot", "ctx4k", b)))
    (result,) = paired.compare(rows, Side("apr"), Side("cot"))
    assert result.difference == pytest.approx((result.only_a - result.only_b) / len(pairs))
    assert result.ci_lo - 1e-12 <= result.difference <= result.ci_hi + 1e-12


def test_the_command_prints_markdown_and_json_and_fails_in_one_line(tmp_path: Path, capsys) -> None:
    run = write_run(tmp_path / "r", _rows("apr", "ctx4k", A_SOLVED) + _rows("backtrack", "ctx4k", B_SOLVED))
    code, out, _ = cli(capsys, "compare", run, "-a", "apr", "-b", "backtrack@4k", "--format", "markdown")
    assert code == 0
    assert "| apr @ ctx4k | backtrack @ ctx4k | 4 | 75.0% | 50.0% | +25.0 [" in out
    code, out, _ = cli(capsys, "compare", run, "-a", "apr", "-b", "backtrack", "--format", "json")
    assert code == 0 and json.loads(out)[0]["only_a"] == 2
    code, out, _ = cli(capsys, "compare", run, "-a", "apr", "-b", "backtrack")
    assert code == 0 and "only A / only B" in out
    code, _, err = cli(capsys, "compare", run, "-a", "sc", "-b", "backtrack")
    assert_one_line_error(code, err)
    code, _, err = cli(capsys, "compare", run, "-a", "apr", "-b", "backtrack", "--format", "xml")
    assert_one_line_error(code, err)
