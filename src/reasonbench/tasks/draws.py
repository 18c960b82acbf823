"""Walking a split's numbered draws: draw *i* is seeded by *i* alone, so draws can run in any process.

Both tasks build a split the same way: draws 0, 1, 2, ... each from its own ``Random(f"{seed}:{i}")``,
keeping the first occurrence of each distinct item. Because no draw depends on another, a pool of worker
processes can compute them; the items are still taken in draw order, so the split is the same whatever
the number of workers.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Hashable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# Draws handed to a worker at a time: large enough to amortise the pickling, small enough that a split
# which stops early wastes little work.
_CHUNK = 64


def first_distinct(
    draw: Callable[[int], T], key: Callable[[T], Hashable], count: int, budget: int, workers: int = 1
) -> list[T]:
    """The first ``count`` draws with distinct keys among draws ``0 .. budget - 1`` (fewer if they run out).

    ``draw`` must be picklable (a module-level function or a ``functools.partial`` of one) when
    ``workers > 1``.
    """
    out: list[T] = []
    seen: set[Hashable] = set()
    if count <= 0:
        return out
    with closing(_draws(draw, budget, workers)) as items:
        for item in items:
            k = key(item)
            if k not in seen:
                seen.add(k)
                out.append(item)
                if len(out) == count:
                    break
    return out


@dataclass(frozen=True)
class _Failed:
    error: Exception


@dataclass(frozen=True)
class _Guarded:
    """``draw`` returning its exception instead of raising it: a pool fails a whole chunk on one raise,
    and a draw the caller never reaches (it had enough items before) must not fail the split."""

    draw: Callable[[int], object]

    def __call__(self, i: int) -> object:
        try:
            return self.draw(i)
        except Exception as e:  # re-raised in draw order, if the caller gets that far
            return _Failed(e)


def _draws(draw: Callable[[int], T], budget: int, workers: int) -> Iterator[T]:
    if workers <= 1:
        yield from (draw(i) for i in range(budget))
        return
    # fork: draws are pure Python, and spawn would re-import a caller's script. Leaving the block (the
    # caller has enough) terminates the workers still drawing ahead.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for item in pool.imap(_Guarded(draw), range(budget), chunksize=_CHUNK):
            if isinstance(item, _Failed):
                raise item.error
            yield item
