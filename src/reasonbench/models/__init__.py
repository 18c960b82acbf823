"""Models shipped inside the package (HF-format directories), found by name."""

from __future__ import annotations

from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent


def shipped_models() -> dict[str, Path]:
    """``name -> directory`` of every model shipped in the package."""
    return {p.name: p for p in sorted(SHIPPED_DIR.iterdir()) if p.is_dir() and (p / "config.json").exists()}
