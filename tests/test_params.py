"""Strategy parameters: one range check names the field and its range, in every built-in strategy."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reasonbench.strategies import STRATEGIES, check_choice, check_range


@dataclass(frozen=True)
class Knobs:
    n: int = 4
    window: int = 2
    keep: float = 50.0
    budget: int | None = None
    mode: str = "online"


@pytest.mark.parametrize(
    ("field", "value", "args", "kw", "message"),
    [
        ("n", 0, (1, 1024), {}, "n must be in 1..1024, got 0"),
        ("n", 0, (1,), {}, "n must be >= 1, got 0"),
        ("n", 9, (None, 8), {}, "n must be <= 8, got 9"),
        ("window", 5, (1, "n"), {}, "window must be in 1..n=4, got 5"),
        ("keep", 0.0, (0, 100), {"open_low": True}, r"keep must be in \(0, 100\], got 0.0"),
        ("window", 4, (0, "n"), {"open_high": True}, r"window must be in \[0, n=4\), got 4"),
    ],
)
def test_a_value_out_of_range_names_the_field_and_the_range(field, value, args, kw, message) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        check_range(Knobs(**{field: value}), field, *args, **kw)


@pytest.mark.parametrize(
    ("field", "value", "args", "kw"),
    [
        ("n", 1, (1, 1024), {}),
        ("n", 1024, (1, 1024), {}),
        ("window", 4, (1, "n"), {}),
        ("keep", 100.0, (0, 100), {"open_low": True}),
        ("budget", None, (1,), {}),  # an optional knob that is off
    ],
)
def test_a_value_in_range_passes(field, value, args, kw) -> None:
    check_range(Knobs(**{field: value}), field, *args, **kw)


def test_a_value_outside_the_choices_names_them() -> None:
    with pytest.raises(ValueError, match="mode must be one of online, offline; got 'later'"):
        check_choice(Knobs(mode="later"), "mode", ("online", "offline"))


@pytest.mark.parametrize(
    ("name", "knobs", "field"),
    [
        ("cot", {"temperature": -0.5}, "temperature"),
        ("sc", {"n": 0}, "n"),
        ("sc", {"top_p": 0.0}, "top_p"),
        ("bon", {"n": 2000}, "n"),
        ("bon", {"scorer": "no-such-scorer"}, "scorer"),
        ("backtrack", {"token_budget": 0}, "token_budget"),
        ("apr", {"max_depth": 0}, "max_depth"),
        ("apr", {"sub_call_budget": -1}, "sub_call_budget"),
        ("ffs", {"first": "never"}, "first"),
        ("short-m", {"k": 3, "m": 4}, "m"),
        ("esc", {"n": 4, "window": 5}, "window"),
        ("deepconf", {"keep": 0}, "keep"),
        ("deepconf", {"n": 4, "warmup": 5}, "warmup"),
        ("delethink", {"chunk": 64, "carry": 64}, "carry"),
    ],
)
def test_every_strategy_rejects_a_bad_knob_by_name(name: str, knobs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field} must be"):
        STRATEGIES.get(name).make_params(**knobs)


@pytest.mark.parametrize(
    "name", ["cot", "sc", "bon", "backtrack", "apr", "ffs", "short-m", "esc", "deepconf", "delethink"]
)
def test_every_strategy_accepts_its_defaults(name: str) -> None:
    STRATEGIES.get(name).make_params()
