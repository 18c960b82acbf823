"""Tasks: puzzles with seeded generators, exhaustive solvers, strict verifiers and trace formats."""

from __future__ import annotations

from reasonbench.errors import UserError
from reasonbench.registry import Registry
from reasonbench.tasks.base import Problem, Task, Verdict

TASKS: Registry[Task] = Registry("task", "reasonbench.tasks")


def get_task(name: str) -> Task:
    """The task registered as ``name`` (``countdown``, ``sudoku`` or a plugin)."""
    return TASKS.get(name)


def resolve_split(task: Task, split: str | None) -> str:
    """``split`` checked against ``task``'s splits, or the task's default split when ``None``.

    A plugin task that names no default uses its first split.
    """
    if split is None:
        return getattr(task, "default_split", None) or task.splits()[0]
    if split not in task.splits():
        raise UserError(f"unknown {task.name} split {split!r}; choose from: {', '.join(task.splits())}")
    return split


def _countdown() -> Task:
    from reasonbench.tasks.countdown.task import CountdownTask

    return CountdownTask()


def _sudoku() -> Task:
    from reasonbench.tasks.sudoku.task import SudokuTask

    return SudokuTask()


TASKS.register("countdown", _countdown)
TASKS.register("sudoku", _sudoku)

__all__ = ["TASKS", "Problem", "Task", "Verdict", "get_task", "resolve_split"]
