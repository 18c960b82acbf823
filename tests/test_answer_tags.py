"""Reading an instruction model's answer tags: the last complete pair, bounded, in one pass."""

from __future__ import annotations

import pytest

from reasonbench.profiles import MAX_ANSWER_CHARS, get_profile
from reasonbench.tasks import get_task
from reasonbench.tasks.answer_tags import last_tagged


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I think <answer>12</answer>", "12"),
        ("<answer>A</answer> then again <ANSWER>B</Answer>", "B"),
        ("<answer>draft <answer>X</answer>", "X"),  # the open draft is not part of the answer
        ("<answer>X</answer> trailing <answer>unclosed", "X"),
        ("</answer><answer>", None),
        ("no tags at all", None),
        ("<answer>" * 100_000, None),
    ],
)
def test_last_tagged_is_the_last_complete_pair(text: str, expected: str | None) -> None:
    assert last_tagged(text) == expected


def test_the_instruct_profile_strips_the_answer_and_refuses_empty_or_overlong_ones() -> None:
    task = get_task("countdown")
    profile = get_profile("instruct")
    assert profile.extract(task, "", "so <answer>\n 9-3=6\n4*6=24 \n</answer>") == "9-3=6\n4*6=24"
    assert profile.extract(task, "", "<answer>  </answer>") is None
    assert profile.extract(task, "", "<answer>" + "1" * (MAX_ANSWER_CHARS + 1) + "</answer>") is None
