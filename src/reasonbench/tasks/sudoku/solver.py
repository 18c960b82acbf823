"""Fast pure-Python Sudoku solver: candidate bitmasks, singles propagation, and MRV depth-first search.

Each cell holds a bitmask of its candidates (bit ``v-1`` for value ``v``); a cell with one bit is solved.
Propagation repeats two rules until neither applies: a solved cell removes its value from its peers
(naked single) and a value that fits only one cell of a row, column or box goes there (hidden single).
When propagation stalls, the search branches on the unsolved cell with the fewest candidates (MRV).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from reasonbench.tasks.sudoku.shape import Geometry, check_grid_string, geometry


def _initial(puzzle: str, geo: Geometry) -> tuple[list[int], list[int]] | None:
    """Candidate masks of ``puzzle`` and the cells that are already naked singles, or ``None`` on a clash.

    Givens get their own bit and are already "propagated": candidates of empty cells are computed from
    the used-value masks of their row, column and box. Only empty cells that start as singles need
    propagating.
    """
    n = geo.shape.size
    full = geo.shape.full_mask
    row_used, col_used, box_used = [0] * n, [0] * n, [0] * n
    cand = [0] * (n * n)
    row_of, col_of, box_of = geo.row_of, geo.col_of, geo.box_of
    empties = []
    for i, ch in enumerate(puzzle):
        if ch == "0":
            empties.append(i)
            continue
        bit = 1 << (ord(ch) - 49)
        r, c, b = row_of[i], col_of[i], box_of[i]
        if (row_used[r] | col_used[c] | box_used[b]) & bit:
            return None
        row_used[r] |= bit
        col_used[c] |= bit
        box_used[b] |= bit
        cand[i] = bit
    stack = []
    for i in empties:
        m = full & ~(row_used[row_of[i]] | col_used[col_of[i]] | box_used[box_of[i]])
        if not m:
            return None
        cand[i] = m
        if not m & (m - 1):
            stack.append(i)
    return cand, stack


def _eliminate(cand: list[int], stack: list[int], peers: tuple[tuple[int, ...], ...]) -> bool:
    """Naked singles: remove each newly solved cell's value from its peers; False on a contradiction.

    Every cell enters ``stack`` exactly once, at the moment its mask drops to a single bit.
    """
    while stack:
        i = stack.pop()
        bit = cand[i]
        for p in peers[i]:
            m = cand[p]
            if m & bit:
                m ^= bit
                if not m:
                    return False
                cand[p] = m
                if not m & (m - 1):
                    stack.append(p)
    return True


def _propagate(cand: list[int], stack: list[int], geo: Geometry, hidden: bool = True) -> bool:
    """Apply naked (and, if ``hidden``, hidden) singles to a fixpoint; False on a contradiction."""
    full = geo.shape.full_mask
    peers = geo.peers
    while True:
        if not _eliminate(cand, stack, peers):
            return False
        if not hidden:
            return True
        for unit in geo.units:
            once = twice = solved = 0
            for i in unit:
                m = cand[i]
                twice |= once & m
                once |= m
                if not m & (m - 1):
                    solved |= m
            if once != full:
                return False  # some value has no place left in this unit
            lonely = once & ~twice & ~solved
            while lonely:
                bit = lonely & -lonely
                lonely ^= bit
                for i in unit:
                    if cand[i] & bit:
                        cand[i] = bit
                        stack.append(i)
                        break
                else:
                    return False  # its only cell was just given another lonely value of this unit
        if not stack:
            return True


def _search(
    cand: list[int], stack: list[int], geo: Geometry, rng: random.Random | None
) -> Iterator[list[int]]:
    """Yield every completion of ``cand`` (depth first; values ascending unless ``rng`` shuffles them)."""
    if not _propagate(cand, stack, geo):
        return
    best, best_count = -1, 99
    for i, m in enumerate(cand):
        if m & (m - 1):
            k = m.bit_count()
            if k < best_count:
                best, best_count = i, k
                if k == 2:
                    break  # nothing beats two candidates on an unsolved cell
    if best < 0:
        yield cand
        return
    m = cand[best]
    bits = []
    while m:
        bit = m & -m
        bits.append(bit)
        m ^= bit
    if rng is not None:
        rng.shuffle(bits)
    for bit in bits:
        child = cand.copy()
        child[best] = bit
        yield from _search(child, [best], geo, rng)


def _to_string(cand: list[int]) -> str:
    return "".join(chr(48 + m.bit_length()) for m in cand)


def _solutions(puzzle: str, size: int, rng: random.Random | None = None) -> Iterator[list[int]]:
    geo = geometry(size)
    start = _initial(puzzle, geo)
    if start is None:
        return iter(())
    return _search(start[0], start[1], geo, rng)


def solve(puzzle: str, size: int) -> str | None:
    """The first solution of ``puzzle`` (canonical grid string) in search order, or ``None`` if none exists.

    Raises ``ValueError`` if ``puzzle`` is not a canonical grid string of ``size``.
    """
    check_grid_string(puzzle, size)
    first = next(_solutions(puzzle, size), None)
    return None if first is None else _to_string(first)


def count_solutions(puzzle: str, size: int, limit: int = 2) -> int:
    """Number of solutions of ``puzzle``, counting no further than ``limit`` (2 answers "is it unique?")."""
    check_grid_string(puzzle, size)
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    count = 0
    for _ in _solutions(puzzle, size):
        count += 1
        if count >= limit:
            break
    return count


def solve_excluding(puzzle: str, size: int, cell: int, value: int) -> str | None:
    """A solution of ``puzzle`` whose cell index ``cell`` does not hold ``value``, or ``None``.

    The generator's uniqueness test: removing the clue ``value`` at ``cell`` from a puzzle with a unique
    solution keeps it unique exactly when no solution puts anything else there. The cell must be empty in
    ``puzzle``. Faster than counting to two because the known solution is ruled out up front.
    """
    geo = geometry(size)
    start = _initial(puzzle, geo)
    if start is None:
        return None
    cand, stack = start
    m = cand[cell] & ~(1 << (value - 1))
    if not m:
        return None
    if not m & (m - 1) and cell not in stack:
        stack.append(cell)  # a new single must be propagated like any other
    cand[cell] = m
    first = next(_search(cand, stack, geo, None), None)
    return None if first is None else _to_string(first)


def random_solution(size: int, rng: random.Random) -> str:
    """A random complete grid: the empty grid solved with a shuffled value order at every branch."""
    first = next(_solutions("0" * (size * size), size, rng))
    return _to_string(first)


def fills_by_naked_singles(puzzle: str, size: int) -> bool:
    """True when repeatedly placing naked singles (cells with one candidate) alone completes ``puzzle``.

    This is the propagation of the DFS trace: a puzzle for which this is False needs at least one guess
    in that trace. Such a fill is always the unique solution.
    """
    geo = geometry(size)
    start = _initial(puzzle, geo)
    if start is None:
        return False
    cand, stack = start
    if not _propagate(cand, stack, geo, hidden=False):
        return False
    return all(not m & (m - 1) for m in cand)
