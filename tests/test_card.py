"""Model cards: the accuracy section of a card written from result rows (no engine, no training run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reasonbench.train.card import _measured
from test_analysis import group, write_run

STRATEGIES = [{"name": "apr", "label": "apr", "params": {}}]
MANIFEST = {"budgets": ["ctx1k"], "n_problems": 4, "strategies": STRATEGIES}


def apr_rows(asked: list[Any]) -> list[dict[str, Any]]:
    """One APR row per entry of ``asked`` (what its info records as ``children_per_spawn``, or raw info
    text when the entry is a string)."""
    rows = group(len(asked), 1, strategy="apr", config_id="apr-0", label="apr", budget="ctx1k")
    for r, a in zip(rows, asked, strict=True):
        r["info"] = a if isinstance(a, str) else json.dumps({"spawns": len(a), "children_per_spawn": a})
    return rows


def children_table(card: str) -> dict[str, str]:
    """The children-per-spawn table of a card section: first cell -> second cell."""
    lines = card.split("| children per spawn block |", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    return {c[0]: c[1] for c in cells}


def test_an_apr_card_shows_the_share_of_spawn_blocks_per_children_count(tmp_path: Path) -> None:
    # 8 spawn blocks over four problems: 3 children twice, 5 children five times, 8 once.
    results = write_run(tmp_path / "r", apr_rows([[3, 5], [5, 5, 5], [3, 8, 5], []]), **MANIFEST)
    table = children_table(_measured(results))
    assert table == {
        "3": "25%",
        "5": "62%",
        "8": "12%",
        "mean": f"{(2 * 3 + 5 * 5 + 8) / 8:.2f}",
        "spawn blocks": "8",
    }


def test_garbage_in_an_apr_rows_info_is_skipped_not_fatal(tmp_path: Path) -> None:
    rows = apr_rows([[4], "not json", "[1, 2]", [4, "x", -1, 10**9, True]])
    table = children_table(_measured(write_run(tmp_path / "r", rows, **MANIFEST)))
    assert table == {"4": "100%", "mean": "4.00", "spawn blocks": "2"}


def test_a_card_without_apr_rows_has_no_children_table(tmp_path: Path) -> None:
    manifest = {**MANIFEST, "strategies": [{"name": "cot", "label": "cot", "params": {}}]}
    card = _measured(write_run(tmp_path / "r", group(3, 1, budget="ctx1k"), **manifest))
    assert "children per spawn" not in card and "| cot | ctx1k | 3 |" in card
