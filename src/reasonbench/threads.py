"""One problem's threads, read back from its result row: the spawn tree, the critical path, the timeline.

Rows written since the meter records timing hold a ``timeline`` column (one compact record per thread:
parent, calls with their timestamps, joins, critical path, and what the strategy noted — start state and
outcome). Older rows have none; for them the tree is rebuilt from what the row does hold: the root's trace
(each join block lists its children's outcomes) and the strategy's ``info`` (failed and capped children).
That tree has one level, no token counts and no times.

Outcomes of a child: ``solved``, ``no solution``, ``capped`` (never run: over ``max_children`` or
``max_total_children``), ``budget`` (a budget stopped it) or ``bad spawn`` (it, or its parent's request
for it, was malformed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reasonbench.tasks.spawn_grammar import GOAL_REACHED, JOIN_CLOSE, JOIN_OPEN, join_result_pattern

OUTCOMES = ("solved", "no solution", "capped", "budget", "bad spawn")

# A join block's outcome line, the same grammar for every task that spawns: the tail names the child's
# start (``Node #0,3`` in Countdown, ``Place (1, 2) = 3`` in Sudoku). Bounded: model text is untrusted.
_JOIN_LINE = re.compile(join_result_pattern(r"([^>\n]{1,200})"))


@dataclass(frozen=True)
class Call:
    """One engine call of a thread (seconds since the problem started)."""

    start: float
    first_token: float | None
    end: float
    tokens: int


@dataclass(frozen=True)
class ThreadNode:
    """One thread of a problem (or a capped child that never ran) with its children."""

    id: int | None
    """The meter's thread id; ``None`` for a capped child or a tree rebuilt from an old row."""
    label: str
    """``root``, ``sample``, or ``sub search i`` for a child."""
    state: str | None
    """Where the thread started (a child's prompt), when known."""
    outcome: str
    why: str | None = None
    tokens: int | None = None
    """Tokens the thread decoded on its own chain (its longest sample per call); ``None`` when unknown."""
    critical: int | None = None
    """Its part of the problem's critical path: ``tokens`` on the longest chain, 0 off it."""
    calls: tuple[Call, ...] = ()
    children: tuple[ThreadNode, ...] = ()

    @property
    def start(self) -> float | None:
        return self.calls[0].start if self.calls else None

    @property
    def end(self) -> float | None:
        return self.calls[-1].end if self.calls else None

    def walk(self, depth: int = 0):
        """``(depth, node)`` for this node and its descendants, depth first."""
        yield depth, self
        for c in self.children:
            yield from c.walk(depth + 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "state": self.state,
            "outcome": self.outcome,
            "why": self.why,
            "tokens": self.tokens,
            "critical": self.critical,
            "calls": [[c.start, c.first_token, c.end, c.tokens] for c in self.calls],
            "children": [c.to_json() for c in self.children],
        }


def load_json(text: Any, default: Any) -> Any:
    """A row's JSON column as data; ``default`` for a missing or unreadable value (old rows, nulls)."""
    if not isinstance(text, str) or not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def short_state(state: str | None, width: int = 60) -> str:
    """A start state on one line, at most ``width`` characters (``Moving to`` dropped: every child's
    prompt starts with where it moves to)."""
    flat = " | ".join(part.strip() for part in (state or "").splitlines() if part.strip())
    flat = flat.removeprefix("Moving to ")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def has_timeline(row: dict[str, Any]) -> bool:
    """Whether the row carries the meter's per-thread record."""
    return bool(load_json(row.get("timeline"), None))


def root_outcome(row: dict[str, Any]) -> str:
    """The root's outcome from the row's verdict."""
    if row.get("correct"):
        return "solved"
    return {"budget": "budget", "error": "bad spawn" if _root_bad_spawn(row) else "error"}.get(
        str(row.get("finish")), "no solution"
    )


def _root_bad_spawn(row: dict[str, Any]) -> bool:
    info = load_json(row.get("info"), {})
    failures = info.get("failures", []) if isinstance(info, dict) else []
    return any(f.get("depth") == 0 and "bad spawn" in str(f.get("reason")) for f in failures)


def thread_tree(row: dict[str, Any]) -> list[ThreadNode]:
    """The row's threads as trees (one per root thread), from its timeline or, for older rows, rebuilt."""
    records = load_json(row.get("timeline"), None)
    if records:
        return _from_timeline(row, records)
    return _rebuilt(row)


def critical_ids(records: list[dict[str, Any]]) -> set[int]:
    """Ids of the threads on the critical path: the root with the longest chain, then at each of a thread's
    joins the child with the longest chain (the earliest on a tie), as the meter counted it."""
    by_id = {r["id"]: r for r in records}
    roots = [r for r in records if r.get("parent") is None]
    if not roots:
        return set()
    on: set[int] = set()
    stack = [max(roots, key=lambda r: (r.get("cp", 0), -r["id"]))]
    while stack:
        r = stack.pop()
        on.add(r["id"])
        for join in r.get("joins", []):
            kids = [by_id[i] for i in join if i in by_id]
            if kids:
                stack.append(max(kids, key=lambda k: (k.get("cp", 0), -k["id"])))
    return on


def _from_timeline(row: dict[str, Any], records: list[dict[str, Any]]) -> list[ThreadNode]:
    on = critical_ids(records)
    kids: dict[int | None, list[dict[str, Any]]] = {}
    for r in records:
        kids.setdefault(r.get("parent"), []).append(r)
    roots = kids.get(None, [])

    def node(r: dict[str, Any]) -> ThreadNode:
        notes = r.get("notes") or {}
        calls = tuple(Call(*c) for c in r.get("calls", []))
        tokens = sum(c.tokens for c in calls)
        children = [node(k) for k in kids.get(r["id"], [])]
        children += [
            ThreadNode(None, f"sub search {c.get('index')}", c.get("state"), "capped", "not run")
            for c in notes.get("capped", [])
        ]
        if r.get("parent") is None:
            label = "root" if len(roots) == 1 else f"sample {r['id']}"
            outcome = root_outcome(row)
        else:
            label = f"sub search {notes.get('index', '?')}"
            outcome = notes.get("outcome", "no solution")
        return ThreadNode(
            r["id"],
            label,
            notes.get("state"),
            outcome,
            notes.get("why"),
            tokens,
            tokens if r["id"] in on else 0,
            calls,
            tuple(children),
        )

    return [node(r) for r in roots]


def _rebuilt(row: dict[str, Any]) -> list[ThreadNode]:
    """One level of children from the root's join blocks, with failures and caps from ``info``."""
    info = load_json(row.get("info"), {})
    info = info if isinstance(info, dict) else {}
    params = load_json(row.get("params"), {})
    trace = str(row.get("trace") or "")
    blocks: list[list[tuple[bool, int, str]]] = []
    current: list[tuple[bool, int, str]] | None = None
    for line in trace.splitlines():
        if line.strip() == JOIN_OPEN:
            current = []
            blocks.append(current)
        elif line.strip() == JOIN_CLOSE:
            current = None
        elif current is not None and (m := _JOIN_LINE.fullmatch(line.strip())) and m.group(3) == "1":
            current.append((m.group(1) == GOAL_REACHED, int(m.group(2)), m.group(4)))
    # Capped children were joined after the ones that ran, in the order the runtime used.
    max_children = int(params.get("max_children", 10**9)) if isinstance(params, dict) else 10**9
    max_total = int(params.get("max_total_children", 10**9)) if isinstance(params, dict) else 10**9
    failures = [f for f in info.get("failures", []) if isinstance(f, dict) and f.get("depth") == 1]
    children: list[ThreadNode] = []
    ran = 0
    for block in blocks:
        room = max(0, min(max_children, max_total - ran))
        for pos, (solved, index, where) in enumerate(block):
            label = f"sub search {index}"
            if pos >= room:
                children.append(ThreadNode(None, label, where, "capped", "not run"))
                continue
            why, outcome = None, "solved" if solved else "no solution"
            hit = next((f for f in failures if f.get("index") == index), None) if not solved else None
            if hit is not None:
                failures.remove(hit)
                why = str(hit.get("reason", ""))[:200]
                outcome = "budget" if why.endswith("budget") else "bad spawn"
            children.append(ThreadNode(None, label, where, outcome, why))
        ran += min(room, len(block))
    return [ThreadNode(None, "root", None, root_outcome(row), None, children=tuple(children))]
