"""The spawn/join grammar every task shares: the block markers, the spawn and join lines, and block surgery.

A parent thread spawns with a calling block and the runtime replaces it, once the children have finished,
with a join block (``docs/trace-formats.md`` has both tasks' examples):

    <Calling Sub Searches>
    <Start Sub Search {i} at level {L}> {start}
    <End Calling Sub Searches>

    <Sub Searches>
    <{Goal Reached|No Solution} in Sub Search {i} at level {L} at {where}>
    ...what the task quotes from a solved child...
    <End Sub Searches>

A task fills in ``{start}`` (Countdown: ``Moving to Node #0,1``; Sudoku: ``Place (r, c) = v``) and
``{where}`` (``Node #0,1``; ``Place (r, c) = v``), parses those parts and decides what a join quotes. Writers
here return one line without its newline, blocks with every newline; readers build their regexes with
:func:`spawn_line_pattern` and :func:`join_result_pattern`, so the words are spelled here only. Reading a
block (:func:`calling_lines`) never raises: model output is hostile input, and a block the runtime cannot
run is a :class:`MalformedSpawn` value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

CALL_OPEN = "<Calling Sub Searches>"
CALL_CLOSE = "<End Calling Sub Searches>"
"""The line that ends a calling block; a parent's decoding stops on it."""
JOIN_OPEN = "<Sub Searches>"
JOIN_CLOSE = "<End Sub Searches>"
MARKERS = frozenset({CALL_OPEN, CALL_CLOSE, JOIN_OPEN, JOIN_CLOSE})

GOAL_REACHED = "Goal Reached"
NO_SOLUTION = "No Solution"

# The fixed pieces of the spawn and join lines (the writers below join them around numbers and places).
SPAWN_HEAD = "<Start Sub Search "
AT_LEVEL = " at level "
JOIN_AT = " at "
"""What comes between a join line's level and its place."""


def _join_head(verdict: str) -> str:
    return f"<{verdict} in Sub Search "


PHRASES = (
    CALL_OPEN,
    CALL_CLOSE,
    SPAWN_HEAD,
    JOIN_OPEN,
    JOIN_CLOSE,
    _join_head(NO_SOLUTION),
    _join_head(GOAL_REACHED),
    AT_LEVEL,
)
"""The fixed phrases of the spawn/join grammar, each one token of the trace tokenizer (in this order)."""


@dataclass(frozen=True)
class MalformedSpawn:
    """A calling block the runtime must not run, and why (a wrong answer, never an exception)."""

    reason: str


def spawn_line(index: int, level: int, start: str) -> str:
    """``<Start Sub Search {index} at level {level}> {start}``."""
    return f"{SPAWN_HEAD}{index}{AT_LEVEL}{level}> {start}"


def join_result_line(index: int, level: int, where: str, solved: bool) -> str:
    """``<Goal Reached in Sub Search {index} at level {level} at {where}>`` (or ``<No Solution ...>``)."""
    head = _join_head(GOAL_REACHED if solved else NO_SOLUTION)
    return f"{head}{index}{AT_LEVEL}{level}{JOIN_AT}{where}>"


INDEX_PATTERN = r"\d{1,4}"
"""A sub search's index as a reader accepts it (bounded: model text is untrusted)."""
LEVEL_PATTERN = r"\d{1,3}"
"""A sub search's level as a reader accepts it."""


def _gaps(loose: bool) -> tuple[str, str]:
    # (a written space, the nothing before ">"): strict readers want the bytes the writers emit; loose
    # ones take any run of whitespace, none included, in either place.
    return (r"\s*", r"\s*") if loose else (" ", "")


def _numbered(gap: str) -> str:
    # "Sub Search {index} at level {level}" with the two numbers as groups (the writers' words: a test
    # reads every writer's line with these patterns).
    return rf"Sub Search{gap}({INDEX_PATTERN}){gap}at level{gap}({LEVEL_PATTERN})"


def spawn_line_pattern(start: str, *, loose: bool = False) -> str:
    """Regex source for a :func:`spawn_line` whose start matches ``start`` (a task's pattern).

    Groups: 1 the index, 2 the level, then ``start``'s own. ``loose`` accepts any whitespace (none
    included) around the numbers and before ``start``; otherwise the spacing is the writer's.
    """
    gap, pad = _gaps(loose)
    return rf"<Start {_numbered(gap)}{pad}>{gap}{start}"


def join_result_pattern(where: str, *, loose: bool = False) -> str:
    """Regex source for a :func:`join_result_line` whose place matches ``where`` (a task's pattern).

    Groups: 1 the verdict (:data:`GOAL_REACHED` or :data:`NO_SOLUTION`), 2 the index, 3 the level, then
    ``where``'s own. ``loose`` as in :func:`spawn_line_pattern`.
    """
    gap, _ = _gaps(loose)
    verdict = f"({re.escape(GOAL_REACHED)}|{re.escape(NO_SOLUTION)})"
    return rf"<{verdict} in {_numbered(gap)}{gap}at {where}>"


def calling_block(lines: Iterable[str]) -> str:
    """The open marker, the given spawn lines, the close marker (each with its newline)."""
    return CALL_OPEN + "\n" + "".join(line + "\n" for line in lines) + CALL_CLOSE + "\n"


def join_block(body: str) -> str:
    """``body`` (result lines and what they quote, newline-terminated) between the join markers."""
    return JOIN_OPEN + "\n" + body + JOIN_CLOSE + "\n"


_CALL_OPEN_RE = re.compile(rf"^[ \t]*{re.escape(CALL_OPEN)}[ \t\r]*$", re.MULTILINE)


def last_call_open(text: str) -> int | None:
    """Offset of the last line that is the open marker (up to surrounding blanks), or ``None``."""
    last = None
    for m in _CALL_OPEN_RE.finditer(text):
        last = m.start()
    return last


def replace_spawn_with_join(text: str, join: str) -> str:
    """The parent's context after a join: the text before its last calling block, then ``join``.

    Without a calling block, ``join`` is appended (on a new line).
    """
    pos = last_call_open(text)
    if pos is None:
        return text + join if not text or text.endswith("\n") else text + "\n" + join
    return text[:pos] + join


def calling_lines(
    text: str,
    read: Callable[[str], T | None],
    max_children: int,
    max_line_chars: int,
    clean: Callable[[str], str] = str.strip,
) -> list[T] | MalformedSpawn | None:
    """The spawn lines of the LAST calling block of ``text``, each cleaned by ``clean`` and read by ``read``
    (the task's parser of one spawn line: ``None`` when it is not one).

    ``None`` without a block. :class:`MalformedSpawn` when the block has a line longer than
    ``max_line_chars``, a line ``read`` rejects, more than ``max_children`` lines, no closing line (the
    parent was cut off) or no line at all. Blank lines inside the block and text after its closing line
    are ignored; only a bounded window after the open marker is read.
    """
    if not isinstance(text, str):
        return None
    pos = last_call_open(text)
    if pos is None:
        return None
    window = text[pos : pos + (max_children + 2) * (max_line_chars + 1)]
    items: list[T] = []
    for raw in window.split("\n")[1:]:
        if len(raw) > max_line_chars:
            return MalformedSpawn(f"overlong line {len(items) + 1} in the calling block")
        line = clean(raw)
        if not line:
            continue
        if line == CALL_CLOSE:
            return items or MalformedSpawn("empty calling block")
        if len(items) == max_children:
            return MalformedSpawn(f"more than {max_children} sub searches")
        item = read(line)
        if item is None:
            return MalformedSpawn(f"malformed line {len(items) + 1} in the calling block")
        items.append(item)
    return MalformedSpawn("unterminated calling block")


def check_numbering(indices: Sequence[int], levels: Sequence[int]) -> MalformedSpawn | None:
    """Why spawn lines numbered ``indices`` at ``levels`` cannot run: indices must be ``0, 1, ...`` in
    order and the children must share one level ``>= 1``; ``None`` when they can."""
    if list(indices) != list(range(len(indices))):
        return MalformedSpawn("sub search indices must be 0, 1, ... in order")
    if len(set(levels)) != 1 or levels[0] < 1:
        return MalformedSpawn("sub searches must share one level >= 1")
    return None
