"""Prompt profiles: how a model family is prompted and where its answer is in its output.

* ``trace``: models trained on our search traces (the shipped models, APR's published checkpoints). The
  prompt is the task's own trace prompt; the answer is what the task's trace parser extracts.
* ``instruct``: general instruction-following models (on GPUs). The prompt states the puzzle in words (the
  task's ``instruct_prompt``) and asks for the final answer inside ``<answer></answer>`` tags; the answer is
  the content of the last such pair.
"""

from __future__ import annotations

from dataclasses import dataclass

from reasonbench.errors import UserError
from reasonbench.tasks.answer_tags import last_tagged
from reasonbench.tasks.base import Problem, Task

# An answer is a short final statement; a longer tagged region is not one.
MAX_ANSWER_CHARS = 4000


@dataclass(frozen=True)
class Profile:
    """Prompt construction and answer extraction for one model family."""

    name: str
    stop: tuple[str, ...] = ()

    def prompt(self, task: Task, problem: Problem, prefix: str = "") -> str:
        """The prompt for ``problem``; ``prefix`` (budget conditioning) goes first."""
        if self.name == "trace":
            return prefix + task.prompt(problem)
        return (
            prefix + task.instruct_prompt(problem) + "\nThink step by step, then give only the final answer "
            "inside <answer></answer> tags.\n"
        )

    def extract(self, task: Task, prompt: str, text: str) -> str | None:
        """The answer in a model's output ``text`` (which continued ``prompt``), or ``None``."""
        if self.name == "trace":
            return task.extract_answer(prompt + text)
        found = last_tagged(text)
        if found is None or len(found) > MAX_ANSWER_CHARS:
            return None
        return found.strip() or None  # empty tags are no answer


PROFILES = {"trace": Profile("trace"), "instruct": Profile("instruct", stop=("</answer>",))}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise UserError(f"unknown profile {name!r}; choose from: {', '.join(PROFILES)}")
    return PROFILES[name]
