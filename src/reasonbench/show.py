"""`reasonbench show`: one problem's result row in full — verdict, usage, thread tree, candidates, trace.

:func:`select` narrows a results table to the rows of one problem (and configuration, budget, seed);
:func:`view` turns one row into plain data (what ``--format json`` prints); :func:`render` draws that view
with rich: the thread tree of a multi-thread strategy, the candidates of a multi-sample one (the chosen one
marked), and the trace with its spawn and join blocks marked in the margin.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from reasonbench.analysis import budget_label, config_rows, in_flight_label
from reasonbench.errors import UserError
from reasonbench.tasks.spawn_grammar import (
    CALL_CLOSE,
    CALL_OPEN,
    GOAL_REACHED,
    JOIN_CLOSE,
    JOIN_OPEN,
    NO_SOLUTION,
)
from reasonbench.threads import ThreadNode, has_timeline, load_json, short_state, thread_tree

# Sudoku's spawn/join grammar uses the very same four markers as Countdown's.
_MARKS = {CALL_OPEN: ("spawn", CALL_CLOSE), JOIN_OPEN: ("join", JOIN_CLOSE)}
OUTCOME_STYLE = {
    "solved": "green",
    "no solution": "red",
    "capped": "yellow",
    "budget": "magenta",
    "bad spawn": "bold red",
    "error": "bold red",
}
USAGE_FIELDS = (
    "decoded_tokens",
    "prompt_tokens",
    "cached_tokens",
    "tokens",
    "max_context",
    "critical_path",
    "threads",
    "engine_calls",
    "latency_s",
    "flops",
)


def _distinct(rows: pd.DataFrame, column: str) -> str:
    return ", ".join(str(v) for v in sorted(rows[column].dropna().unique(), key=str))


def select(
    rows: pd.DataFrame,
    problem: str | None = None,
    index: int | None = None,
    config: str | None = None,
    budget: str | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """The rows of one problem (by id, by index, or the first one) narrowed by configuration (label or id),
    budget (``1k`` matches ``ctx1k``) and seed; a filter that leaves nothing is a one-line error naming
    what there is."""
    if problem is not None and index is not None:
        raise UserError("give --problem or --index, not both")
    if problem is not None:
        picked = rows[rows["problem_id"] == problem]
        if picked.empty:
            raise UserError(f"no rows for problem {problem!r} (ids look like {rows['problem_id'].iloc[0]})")
    else:
        index = int(rows["problem_index"].min()) if index is None else index
        picked = rows[rows["problem_index"] == index]
        if picked.empty:
            lo, hi = int(rows["problem_index"].min()), int(rows["problem_index"].max())
            raise UserError(f"no rows for problem index {index} (the results hold {lo}..{hi})")
    if config is not None:
        picked = config_rows(picked, config)
    if budget is not None:
        picked = picked[picked["budget"] == budget_label(picked, budget)]
    if seed is not None:
        narrowed = picked[picked["seed"] == seed]
        if narrowed.empty:
            raise UserError(f"no seed {seed}; choose from: {_distinct(picked, 'seed')}")
        picked = narrowed
    return picked


def _plain(value: Any) -> Any:
    """A pandas/numpy scalar as plain JSON data (NaN becomes None)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def candidates(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A multi-sample row's candidates, each with ``chosen``: the strategy's pick as recorded in ``info``,
    or (rows written before it was) the first candidate giving the row's answer."""
    cands = load_json(row.get("candidates"), [])
    if not isinstance(cands, list) or not cands:
        return []
    info = load_json(row.get("info"), {})
    chosen = info.get("chosen") if isinstance(info, dict) else None
    if not isinstance(chosen, int) and row.get("answer") is not None:
        chosen = next((i for i, c in enumerate(cands) if c.get("answer") == row.get("answer")), None)
    return [{"index": i, **c, "chosen": i == chosen} for i, c in enumerate(cands)]


def trace_blocks(text: str) -> list[dict[str, Any]]:
    """The spawn and join blocks of a trace: ``kind`` and first/last line numbers (0-based, inclusive); a
    block left open runs to the last line."""
    blocks: list[dict[str, Any]] = []
    open_block: dict[str, Any] | None = None
    close = ""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if open_block is None and stripped in _MARKS:
            kind, close = _MARKS[stripped]
            open_block = {"kind": kind, "first": i, "last": len(lines) - 1}
            blocks.append(open_block)
        elif open_block is not None and stripped == close:
            open_block["last"] = i
            open_block = None
    return blocks


def _problem(row: dict[str, Any]) -> dict[str, Any]:
    """The problem's prompt and reference answer, when its split can be loaded here."""
    from reasonbench.frozen import load_problems
    from reasonbench.tasks import get_task

    out: dict[str, Any] = {
        "id": row["problem_id"],
        "task": row["task"],
        "split": row["split"],
        "index": _plain(row["problem_index"]),
    }
    try:
        task = get_task(row["task"])
        index = int(row["problem_index"])
        problem = load_problems(row["task"], row["split"], index + 1)[index]
    except (UserError, KeyError, ValueError, IndexError):
        return out
    if problem.id == row["problem_id"]:
        out["prompt"] = task.prompt(problem)
        out["reference"] = task.reference_answer(problem)
    return out


def view(row: dict[str, Any]) -> dict[str, Any]:
    """Everything ``show`` prints about one row, as plain data."""
    usage = {k: _plain(row.get(k)) for k in USAGE_FIELDS}
    usage["in_flight"] = _plain(row.get("in_flight"))
    usage["latency_measured"] = in_flight_label(usage["in_flight"])
    trace = str(row.get("trace") or "")
    return {
        "problem": _problem(row),
        "strategy": row["strategy"],
        "config": row["config_label"],
        "config_id": row["config_id"],
        "budget": row["budget"],
        "seed": _plain(row["seed"]),
        "model": row.get("model"),
        "verdict": {
            "correct": bool(row["correct"]),
            "reason": row.get("reason"),
            "answer": _plain(row.get("answer")),
            "finish": row.get("finish"),
        },
        "usage": usage,
        "timeline": has_timeline(row),
        "threads": [t.to_json() for t in thread_tree(row)],
        "candidates": candidates(row),
        "info": load_json(row.get("info"), {}),
        "trace": trace,
        "trace_blocks": trace_blocks(trace),
    }


# ---------------------------------------------------------------------------------------------------------
# rich rendering


def _one_line(text: str | None, width: int = 70) -> str:
    flat = " | ".join(part.strip() for part in (text or "").splitlines() if part.strip())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _node_label(node: ThreadNode) -> Text:
    text = Text()
    if node.critical:
        text.append("★ ", style="bold yellow")
    text.append(node.label, style="bold")
    if node.state:
        text.append(f"  {short_state(node.state, 56)}", style="dim")
    text.append("  ")
    text.append(node.outcome, style=OUTCOME_STYLE.get(node.outcome, ""))
    if node.why and node.why != "not run":
        text.append(f" ({node.why})", style="dim")
    elif node.why:
        text.append(" (not run)", style="dim")
    if node.tokens is not None:
        text.append(f"  {node.tokens:,} tok")
    if node.critical:
        text.append(f"  critical {node.critical:,}", style="yellow")
    if node.start is not None and node.end is not None:
        text.append(f"  {node.start:.2f}-{node.end:.2f} s", style="cyan")
    return text


def tree(roots: list[ThreadNode], title: str = "threads") -> Tree:
    """The thread tree as a rich Tree (★ marks the critical path)."""
    top = Tree(Text(title, style="bold"))

    def add(parent: Tree, node: ThreadNode) -> None:
        branch = parent.add(_node_label(node))
        for child in node.children:
            add(branch, child)

    for root in roots:
        add(top, root)
    return top


def marked_trace(text: str) -> Text:
    """The trace with a margin: ``▶`` beside spawn blocks, ``◀`` beside join blocks, children's verdicts
    coloured."""
    lines = text.splitlines()
    kinds: dict[int, str] = {}
    for block in trace_blocks(text):
        for i in range(block["first"], block["last"] + 1):
            kinds[i] = block["kind"]
    out = Text()
    for i, line in enumerate(lines):
        kind = kinds.get(i)
        if kind == "spawn":
            out.append("▶ ", style="bold yellow")
            out.append(line, style="yellow")
        elif kind == "join":
            out.append("◀ ", style="bold cyan")
            style = "green" if f"<{GOAL_REACHED}" in line else "red" if f"<{NO_SOLUTION}" in line else "cyan"
            out.append(line, style=style)
        else:
            out.append("  " + line)
        out.append("\n")
    return out


def _usage_table(usage: dict[str, Any]) -> Table:
    t = Table(title="usage", title_justify="left")
    heads = [
        "decoded",
        "prompt",
        "cached",
        "tokens",
        "max ctx",
        "crit. path",
        "threads",
        "calls",
        "latency s",
    ]
    for h in [*heads, "measured"]:
        t.add_column(h, justify="right", no_wrap=True)

    def n(key: str, fmt: str = "{:,.0f}") -> str:
        v = usage.get(key)
        return "-" if v is None else fmt.format(v)

    t.add_row(*(n(k) for k in USAGE_FIELDS[:8]), n("latency_s", "{:.2f}"), usage["latency_measured"])
    return t


def _candidates_table(cands: list[dict[str, Any]]) -> Table:
    t = Table(title="candidates", title_justify="left")
    for h in ("", "#", "answer", "score", "finish", "verdict"):
        t.add_column(h, justify="right" if h in ("#", "score") else "left")
    for c in cands:
        score = c.get("score")
        t.add_row(
            Text("▶", style="bold") if c["chosen"] else "",
            str(c["index"]),
            _one_line(c.get("answer"), 50) or "(none)",
            "-" if score is None else f"{score:.3f}",
            str(c.get("finish", "")),
            Text("correct", style="green") if c.get("correct") else Text("wrong", style="red"),
        )
    return t


def render(row: dict[str, Any], trace: bool = True) -> RenderableType:
    """One row as rich renderables (what :func:`view` holds, drawn)."""
    v = view(row)
    p, verdict = v["problem"], v["verdict"]
    parts: list[RenderableType] = []
    head = Text()
    head.append(f"{p['id']}", style="bold")
    head.append(f"  {p['task']} / {p['split']}  ·  {v['config']} @ {v['budget']}  ·  seed {v['seed']}")
    head.append(f"  ·  {v['model']}", style="dim")
    parts.append(head)
    if p.get("prompt"):
        parts.append(Text("problem: ", style="dim") + Text(_one_line(p["prompt"], 120)))
        parts.append(Text("reference: ", style="dim") + Text(_one_line(p.get("reference") or "none", 120)))
    ok = verdict["correct"]
    line = Text("correct" if ok else "wrong", style="bold green" if ok else "bold red")
    line.append(f": {verdict['reason']}  (finish: {verdict['finish']})")
    parts.append(line)
    parts.append(Text("answer: ", style="dim") + Text(_one_line(verdict["answer"], 120) or "(none)"))
    parts.append(_usage_table(v["usage"]))
    roots = thread_tree(row)
    if len(roots) > 1 or any(r.children for r in roots):
        title = "threads" if v["timeline"] else "threads (rebuilt from the trace: no per-thread record)"
        parts.append(tree(roots, title))
    if v["candidates"]:
        parts.append(_candidates_table(v["candidates"]))
    if trace and v["trace"]:
        parts.append(Text(f"trace ({len(v['trace'].splitlines())} lines; ▶ spawn, ◀ join):", style="dim"))
        parts.append(marked_trace(v["trace"]))
    return Group(*parts)


def listing(rows: pd.DataFrame) -> Table:
    """Several matching rows, one line each, to pick from."""
    t = Table(title=f"{len(rows)} rows match; pick one with --config / --budget / --seed")
    for h in ("configuration", "budget", "seed", "verdict", "tokens", "max ctx", "threads", "latency s"):
        t.add_column(h, justify="left" if h in ("configuration", "budget", "verdict") else "right")
    for r in rows.sort_values(["config_label", "budget_context", "budget", "seed"]).itertuples(index=False):
        t.add_row(
            r.config_label,
            r.budget,
            str(r.seed),
            Text("correct", style="green") if r.correct else Text("wrong", style="red"),
            f"{r.tokens:,}",
            f"{r.max_context:,}",
            str(r.threads),
            f"{r.latency_s:.2f}",
        )
    return t
