"""`reasonbench plot --timeline`: one problem's threads as a Gantt chart on the wall-clock axis.

One bar row per thread in tree order (children under their parent): each engine call is a bar, its prefill
(submitted to first token) paler than its decode; a dotted line spans the time a thread waited between its
calls (an APR parent waiting for its children). Colour says how the thread ended; threads on the critical
path are outlined and starred. ``--compare`` stacks two configurations' charts on one time axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonbench.analysis import in_flight_label
from reasonbench.errors import UserError
from reasonbench.plot import SUFFIXES
from reasonbench.threads import ThreadNode, has_timeline, short_state, thread_tree

COLOURS = {
    "solved": "#2ca02c",
    "no solution": "#7f7f7f",
    "budget": "#ff7f0e",
    "bad spawn": "#d62728",
    "error": "#d62728",
    "capped": "#bcbd22",
}
ROOT_COLOUR = "#1f77b4"


@dataclass(frozen=True)
class Panel:
    """One row's chart: its title and its thread trees."""

    title: str
    roots: list[ThreadNode]


def panel(row: dict[str, Any]) -> Panel:
    """The chart of one result row; a row without per-thread timing is a one-line error."""
    where = f"{row['config_label']} @ {row['budget']} on {row['problem_id']}"
    if not has_timeline(row):
        raise UserError(
            f"{where}: the row has no per-thread timing (written before the runner recorded it); "
            "re-run the configuration to draw its timeline"
        )
    verdict = "correct" if row.get("correct") else "wrong"
    title = (
        f"{row['config_label']} @ {row['budget']} · {row['problem_id']} · {verdict}\n"
        f"{row['latency_s']:.2f} s ({in_flight_label(row.get('in_flight'))}) · "
        f"critical path {int(row['critical_path']):,} of {int(row['decoded_tokens']):,} tokens"
    )
    return Panel(title, thread_tree(row))


def _labels(p: Panel) -> list[str]:
    """One y label per bar row: indented by depth, starred on the critical path, with the start state."""
    labels = []
    for root in p.roots:
        for depth, node in root.walk():
            star = "★ " if node.critical else ""
            state = "" if not node.state else f"  {short_state(node.state.splitlines()[0], 28)}"
            labels.append(f"{'  ' * depth}{star}{node.label}{state}")
    return labels


def _draw(ax, p: Panel, width: int) -> None:
    """Draw ``p`` on ``ax``; ``width`` is the longest label of the figure (in characters)."""
    from matplotlib.patches import Rectangle

    nodes = [(d, n) for root in p.roots for d, n in root.walk()]
    rows = {id(n): i for i, (_, n) in enumerate(nodes)}
    labels = _labels(p)
    for y, (depth, node) in enumerate(nodes):
        colour = ROOT_COLOUR if depth == 0 else COLOURS.get(node.outcome, "#7f7f7f")
        edge = dict(edgecolor="black", linewidth=1.6) if node.critical else dict(edgecolor="none")
        for call in node.calls:
            first = call.first_token if call.first_token is not None else call.start
            ax.add_patch(Rectangle((call.start, y - 0.3), first - call.start, 0.6, color=colour, alpha=0.35))
            ax.add_patch(Rectangle((first, y - 0.3), call.end - first, 0.6, facecolor=colour, **edge))
        for a, b in zip(node.calls, node.calls[1:], strict=False):
            ax.plot([a.end, b.start], [y, y], color=colour, linestyle=":", linewidth=1.2)
        if not node.calls:
            ax.text(0, y, f"  {node.outcome} (not run)", va="center", fontsize=7, color="#555555")
        for child in node.children:
            if child.start is not None:
                ax.plot([child.start, child.start], [y + 0.3, rows[id(child)] - 0.3], color="#cccccc", lw=0.6)
    ax.set_yticks(range(len(nodes)), labels, fontsize=7, family="monospace")
    # Left-aligned, so that the indentation shows the tree, and aligned across panels; a 7 pt monospace
    # character is ~4.2 pt wide.
    ax.tick_params(axis="y", pad=4.4 * width + 8)
    for tick in ax.get_yticklabels():
        tick.set_horizontalalignment("left")
    ax.set_ylim(len(nodes) - 0.4, -0.6)
    ax.set_title(p.title, fontsize=8.5, loc="left")
    ax.grid(True, axis="x", alpha=0.3)


def figure(panels: list[Panel]):
    """A matplotlib figure: the panels stacked on one wall-clock axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    heights = [max(2, sum(1 for r in p.roots for _ in r.walk())) for p in panels]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(9, 1.1 + 0.22 * sum(heights) + 0.5 * len(panels)),
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    width = max(len(label) for p in panels for label in _labels(p))
    for ax, p in zip(axes[:, 0], panels, strict=True):
        _draw(ax, p, width)
    end = max((n.end or 0.0) for p in panels for r in p.roots for _, n in r.walk())
    axes[-1, 0].set_xlim(0, max(end, 1e-3) * 1.02)
    axes[-1, 0].set_xlabel("seconds since the problem started")
    handles = [Patch(color=ROOT_COLOUR, label="root")]
    handles += [Patch(color=c, label=k) for k, c in COLOURS.items() if k != "error"]
    handles += [
        Patch(facecolor="white", edgecolor="black", linewidth=1.6, label="★ critical path"),
        Patch(color="#999999", alpha=0.35, label="prefill (to first token)"),
        Line2D([0], [0], color="#555555", linestyle=":", label="waiting for children"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def save(rows: list[dict[str, Any]], path: Path) -> Path:
    """Draw the timelines of ``rows`` (one panel each, top to bottom) and write them; the extension picks
    the format."""
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(f"cannot write {path.name}: use one of {', '.join(SUFFIXES)}")
    panels = [panel(r) for r in rows]  # a row without timing fails before anything is drawn
    import matplotlib.pyplot as plt

    fig = figure(panels)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
