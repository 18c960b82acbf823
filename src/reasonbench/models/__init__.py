"""Models shipped inside the package (HF-format directories), found by name."""

from __future__ import annotations

from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent


def shipped_models() -> dict[str, Path]:
    """``name -> directory`` of every model shipped in the package."""
    return {p.name: p for p in sorted(SHIPPED_DIR.iterdir()) if p.is_dir() and (p / "config.json").exists()}


# Which shipped model serves which (task, strategy): the trace format the strategy prompts with.
_DEFAULTS = {
    ("countdown", "cot"): "countdown-sos",
    ("countdown", "backtrack"): "countdown-sos",
    ("countdown", "apr"): "countdown-apr",
    ("countdown", "sc"): "countdown-direct",
    ("countdown", "bon"): "countdown-direct",
    ("sudoku", "cot"): "sudoku-dfs",
    ("sudoku", "backtrack"): "sudoku-dfs",
    ("sudoku", "sc"): "sudoku-direct",
    ("sudoku", "bon"): "sudoku-direct",
}


def default_model(task: str, strategy: str) -> str | None:
    """The shipped model for ``task`` run by ``strategy``, if it is shipped."""
    name = _DEFAULTS.get((task, strategy))
    return name if name is not None and name in shipped_models() else None
