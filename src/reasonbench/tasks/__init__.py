"""Tasks: puzzles with seeded generators, exhaustive solvers, strict verifiers and trace formats."""

from __future__ import annotations

from reasonbench.registry import Registry
from reasonbench.tasks.base import Problem, Task, Verdict

TASKS: Registry[Task] = Registry("task", "reasonbench.tasks")


def get_task(name: str) -> Task:
    """The task registered as ``name`` (``countdown``, ``sudoku`` or a plugin)."""
    return TASKS.get(name)


def _countdown() -> Task:
    from reasonbench.tasks.countdown.task import CountdownTask

    return CountdownTask()


def _sudoku() -> Task:
    from reasonbench.tasks.sudoku.task import SudokuTask

    return SudokuTask()


TASKS.register("countdown", _countdown)
TASKS.register("sudoku", _sudoku)

__all__ = ["TASKS", "Problem", "Task", "Verdict", "get_task"]
