"""Prompt profiles: how a model family is prompted and where its answer is in its output.

* ``trace``: models trained on our search traces (the shipped models, APR's published checkpoints). The
  prompt is the task's own trace prompt; the answer is what the task's trace parser extracts.
* ``instruct``: general instruction-following models (on GPUs). The prompt states the puzzle and asks for
  the final answer inside ``<answer></answer>`` tags; the answer is the content of the last such pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasonbench.errors import UserError
from reasonbench.tasks.base import Problem, Task

_ANSWER = re.compile(r"<answer>(.{0,4000}?)</answer>", re.DOTALL | re.IGNORECASE)

_INSTRUCTIONS = {
    "countdown": (
        "Using the numbers {nums}, each exactly once, and the operations + - * / (no negative or fractional "
        "intermediate results), make {target}."
    ),
    "sudoku": "Solve this Sudoku puzzle (0 marks an empty cell):\n{grid}",
}


@dataclass(frozen=True)
class Profile:
    """Prompt construction and answer extraction for one model family."""

    name: str
    stop: tuple[str, ...] = ()

    def prompt(self, task: Task, problem: Problem, prefix: str = "") -> str:
        """The prompt for ``problem``; ``prefix`` (budget conditioning) goes first."""
        if self.name == "trace":
            return prefix + task.prompt(problem)
        template = _INSTRUCTIONS.get(task.name)
        if template is None:
            raise UserError(f"the instruct profile has no template for task {task.name!r}")
        d = problem.data
        body = template.format(nums=d.get("nums"), target=d.get("target"), grid=task.prompt(problem))
        return (
            prefix + body + "\nThink step by step, then give only the final answer inside "
            "<answer></answer> tags.\n"
        )

    def extract(self, task: Task, prompt: str, text: str) -> str | None:
        """The answer in a model's output ``text`` (which continued ``prompt``), or ``None``."""
        if self.name == "trace":
            return task.extract_answer(prompt + text)
        found = _ANSWER.findall(text)
        return found[-1].strip() if found else None


PROFILES = {"trace": Profile("trace"), "instruct": Profile("instruct", stop=("</answer>",))}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise UserError(f"unknown profile {name!r}; choose from: {', '.join(PROFILES)}")
    return PROFILES[name]
