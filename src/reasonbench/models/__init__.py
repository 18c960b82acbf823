"""Models shipped inside the package (HF-format directories), found by name."""

from __future__ import annotations

from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent


def shipped_models() -> dict[str, Path]:
    """``name -> directory`` of every model shipped in the package."""
    return {p.name: p for p in sorted(SHIPPED_DIR.iterdir()) if p.is_dir() and (p / "config.json").exists()}


# Which shipped models serve which (task, strategy), best first: the trace format the strategy prompts
# with. Chain-of-thought and the sampling strategies prefer the solution-only model (a chain without
# search, as in "To Backtrack or Not") and fall back to the search-trace model; backtrack is the search.
_DEFAULTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("countdown", "cot"): ("countdown-direct", "countdown-sos"),
    ("countdown", "backtrack"): ("countdown-sos",),
    ("countdown", "apr"): ("countdown-apr",),
    ("countdown", "sc"): ("countdown-direct", "countdown-sos"),
    ("countdown", "bon"): ("countdown-direct", "countdown-sos"),
    ("countdown", "ffs"): ("countdown-direct", "countdown-sos"),
    ("countdown", "short-m"): ("countdown-direct", "countdown-sos"),
    ("countdown", "esc"): ("countdown-direct", "countdown-sos"),
    ("countdown", "deepconf"): ("countdown-direct", "countdown-sos"),
    # Delethink chunks a long chain: the serial search is the chain worth chunking.
    ("countdown", "delethink"): ("countdown-sos", "countdown-direct"),
    ("sudoku", "cot"): ("sudoku-direct", "sudoku-dfs"),
    ("sudoku", "backtrack"): ("sudoku-dfs",),
    ("sudoku", "sc"): ("sudoku-direct", "sudoku-dfs"),
    ("sudoku", "bon"): ("sudoku-direct", "sudoku-dfs"),
    ("sudoku", "ffs"): ("sudoku-direct", "sudoku-dfs"),
    ("sudoku", "short-m"): ("sudoku-direct", "sudoku-dfs"),
    ("sudoku", "esc"): ("sudoku-direct", "sudoku-dfs"),
    ("sudoku", "deepconf"): ("sudoku-direct", "sudoku-dfs"),
    ("sudoku", "delethink"): ("sudoku-dfs", "sudoku-direct"),
}


def default_model(task: str, strategy: str) -> str | None:
    """The first shipped model that serves ``task`` run by ``strategy``, if any is shipped."""
    shipped = shipped_models()
    return next((n for n in _DEFAULTS.get((task, strategy), ()) if n in shipped), None)
