"""Models shipped inside the package (HF-format directories), found by name, and which of them runs what."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reasonbench.errors import UserError

SHIPPED_DIR = Path(__file__).resolve().parent


def shipped_models() -> dict[str, Path]:
    """``name -> directory`` of every model shipped in the package."""
    return {p.name: p for p in sorted(SHIPPED_DIR.iterdir()) if p.is_dir() and (p / "config.json").exists()}


@dataclass(frozen=True)
class ModelSlot:
    """A default model: what it writes, where it fits, and the recipe that trains it (shipped or not)."""

    name: str
    """The shipped model's directory name."""
    task: str
    writes: tuple[str, ...]
    """Trace roles the model writes: ``direct`` (the solution path), ``search`` (a serial search with
    backtracking) or ``spawn`` (spawn/join threads)."""
    recipe: str
    """``reasonbench train --recipe NAME`` trains it."""
    splits: tuple[str, ...] = ()
    """Splits it fits (empty: every split of its task). A 4x4 Sudoku model cannot fill a 6x6 grid, while a
    Countdown model trained on three numbers still searches four."""


def _sudoku_splits(size: int) -> tuple[str, ...]:
    from reasonbench.tasks.sudoku.generate import SPLITS

    return tuple(name for name, config in SPLITS.items() if config.size == size)


def slots() -> tuple[ModelSlot, ...]:
    """Every default model, shipped or still to be trained, best first within a role."""
    six = _sudoku_splits(6)
    return (
        ModelSlot("countdown-direct", "countdown", ("direct",), "countdown-direct-cd4"),
        ModelSlot("countdown-sos", "countdown", ("search",), "countdown-sos-cd4"),
        ModelSlot("countdown-apr", "countdown", ("spawn",), "countdown-apr-cd4"),
        ModelSlot("sudoku-direct", "sudoku", ("direct",), "sudoku-direct", six),
        ModelSlot("sudoku-dfs", "sudoku", ("search",), "sudoku-dfs", six),
        ModelSlot("sudoku-apr", "sudoku", ("spawn",), "sudoku-apr", six),
        # On 4x4 naked singles finish every puzzle: the DFS trace never guesses and is the direct trace.
        ModelSlot("sudoku4-dfs", "sudoku", ("direct", "search"), "sudoku4-dfs", _sudoku_splits(4)),
    )


# The trace roles a strategy prompts for, best first. Chain-of-thought and the sampling strategies prefer
# the solution-only model (a chain without search, as in "To Backtrack or Not") and fall back to the
# search-trace model; backtrack is the search; apr needs a model that writes spawn blocks.
STRATEGY_ROLES: dict[str, tuple[str, ...]] = {
    "cot": ("direct", "search"),
    "sc": ("direct", "search"),
    "bon": ("direct", "search"),
    "backtrack": ("search",),
    "apr": ("spawn",),
    "ffs": ("direct", "search"),
    "short-m": ("direct", "search"),
    "esc": ("direct", "search"),
    "deepconf": ("direct", "search"),
    # Delethink chunks a long chain: the serial search is the chain worth chunking.
    "delethink": ("search", "direct"),
}


def _candidates(task: str, split: str, strategy: str) -> list[ModelSlot]:
    fits = [s for s in slots() if s.task == task and (not s.splits or split in s.splits)]
    return [s for role in STRATEGY_ROLES.get(strategy, ()) for s in fits if role in s.writes]


def default_model(task: str, split: str, strategy: str) -> str | None:
    """The first shipped model that runs ``strategy`` on ``task``'s ``split``, if one is shipped."""
    shipped = shipped_models()
    return next((s.name for s in _candidates(task, split, strategy) if s.name in shipped), None)


def require_default_model(task: str, split: str, strategy: str) -> str:
    """:func:`default_model`, or a one-line :class:`UserError` naming the recipe that would train one."""
    name = default_model(task, split, strategy)
    if name is not None:
        return name
    wanted = _candidates(task, split, strategy)
    where = f"task {task} split {split} with strategy {strategy}"
    if not wanted:
        raise UserError(f"no shipped model fits {where}; name one with --model")
    raise UserError(
        f"no shipped model fits {where} yet: train {wanted[0].name} with "
        f"`reasonbench train --recipe {wanted[0].recipe}`, or name a model with --model"
    )
