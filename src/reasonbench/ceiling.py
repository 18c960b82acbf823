"""Symbolic ceilings: how much of a split the search behind a trace format solves inside each window.

A model trained to imitate a trace writer approaches the accuracy of the symbolic search that wrote the
traces, within the context window it is given. Before training, the shape of those searches tells what a
comparison can show: a serial trace that overflows a 1k window cannot be imitated inside it, however good
the model. For every problem a task describes the search as a :class:`SearchShape` (the thread contexts,
tokens decoded, critical path, and the smallest window in which the search still reaches the goal); this
module turns a split's shapes into a :class:`Ceiling` table.

Tokens are counted by the shipped trace tokenizer, with the ``<s>`` every prompt starts with.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reasonbench.tasks.base import Problem

TokenCounter = Callable[[str], int]
"""Tokens of a text as the model sees it."""


@dataclass(frozen=True)
class SearchShape:
    """One symbolic search written in a trace format, measured in tokens."""

    solved: bool
    """Whether the search reached the goal at all (no window)."""
    window_needed: float
    """The smallest context window in which it still does: the largest context among the threads the
    solution passes through (``inf`` when unsolved). A failed child that overflows changes nothing: it would
    report no solution either way."""
    max_context: int
    """Largest context (prompt + generated) of any thread."""
    threads: int
    decoded: int
    """Tokens decoded by all threads."""
    critical_path: int
    """Tokens on the longest chain of dependent decodes (a parent's own tokens + its slowest child)."""
    counts: Mapping[str, int] = field(default_factory=dict)
    """Task-specific counts of this search (Sudoku: guesses, dead ends, children per spawn)."""


@dataclass(frozen=True)
class Spread:
    """The distribution of one count over a split's problems."""

    mean: float
    median: float
    p90: float
    max: int
    histogram: dict[int, int]
    """Value → problems with that value, ascending."""

    @classmethod
    def of(cls, values: Sequence[int]) -> Spread:
        return cls(
            mean=statistics.fmean(values),
            median=statistics.median(values),
            p90=_percentile(values, 0.9),
            max=max(values),
            histogram=dict(sorted(Counter(values).items())),
        )

    def shares(self, buckets: int = 5) -> str:
        """The histogram as shares of problems: ``2: 53%, 3: 26%, 4+: 21%`` (at most ``buckets`` terms)."""
        total = sum(self.histogram.values())
        items = list(self.histogram.items())
        head, tail = items[: buckets - 1], items[buckets - 1 :]
        terms = [f"{v}: {n / total:.0%}" for v, n in head]
        if len(tail) == 1:
            terms.append(f"{tail[0][0]}: {tail[0][1] / total:.0%}")
        elif tail:
            terms.append(f"{tail[0][0]}+: {sum(n for _, n in tail) / total:.0%}")
        return ", ".join(terms)


@dataclass(frozen=True)
class Ceiling:
    """A split's ceiling for one trace format: solved fraction per window and the searches' sizes."""

    trace: str
    problems: int
    solved: float
    """Fraction solved with no window."""
    within: dict[int, float]
    """Window → fraction solved inside it."""
    context_median: float
    context_p90: float
    decoded_median: float
    critical_path_median: float
    threads_mean: float
    counts: dict[str, Spread] = field(default_factory=dict)
    """The distribution of each count the task reports (problems that lack it are left out)."""


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return float(ordered[k])


def ceiling(trace: str, shapes: Sequence[SearchShape], windows: Sequence[int]) -> Ceiling:
    """Aggregate ``shapes`` (one per problem) into the fraction solved inside each of ``windows``."""
    n = len(shapes)
    if n == 0:
        raise ValueError("no problems")
    return Ceiling(
        trace=trace,
        problems=n,
        solved=sum(s.solved for s in shapes) / n,
        within={w: sum(s.window_needed <= w for s in shapes) / n for w in windows},
        context_median=statistics.median(s.max_context for s in shapes),
        context_p90=_percentile([s.max_context for s in shapes], 0.9),
        decoded_median=statistics.median(s.decoded for s in shapes),
        critical_path_median=statistics.median(s.critical_path for s in shapes),
        threads_mean=statistics.fmean(s.threads for s in shapes),
        counts={
            name: Spread.of([s.counts[name] for s in shapes if name in s.counts])
            for name in dict.fromkeys(name for s in shapes for name in s.counts)
        },
    )


def shipped_token_counter() -> TokenCounter:
    """Token counts by the shipped trace tokenizer, ``<s>`` included."""
    from reasonbench.train.tokenizer import build_tokenizer

    tok = build_tokenizer()

    def count(text: str) -> int:
        return 1 + len(tok(text, add_special_tokens=False)["input_ids"])

    return count


def _shape_of(args: tuple[str, Problem, str]) -> SearchShape:
    from reasonbench.tasks import get_task

    task_name, problem, trace = args
    global _COUNTER
    if _COUNTER is None:
        _COUNTER = shipped_token_counter()
    return get_task(task_name).search_shape(problem, trace, _COUNTER, seed=problem.index)


_COUNTER: TokenCounter | None = None
"""One tokenizer per worker process (building it takes ~50 ms; a ceiling asks for it thousands of times)."""


def measure_ceiling(
    task_name: str, split: str, trace: str, n: int, windows: Sequence[int], workers: int = 0
) -> Ceiling:
    """The ceiling of ``trace`` on the first ``n`` problems of ``split`` (the frozen val set when there is
    one). Searches are written in ``workers`` processes (0 = one per core), each seeded by its problem's
    index, as training documents are."""
    import multiprocessing
    import os

    from reasonbench.errors import UserError
    from reasonbench.frozen import load_problems
    from reasonbench.tasks import get_task

    task = get_task(task_name)
    if not hasattr(task, "search_shape"):
        raise UserError(f"task {task_name!r} cannot measure search ceilings")
    problems = load_problems(task_name, split, n)
    task.search_shape(problems[0], trace, lambda text: len(text))  # a bad trace spec fails here, once
    jobs = [(task_name, p, trace) for p in problems]
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(jobs) > 50:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            shapes = pool.map(_shape_of, jobs, chunksize=16)
    else:
        shapes = [_shape_of(j) for j in jobs]
    return ceiling(trace, shapes, windows)
