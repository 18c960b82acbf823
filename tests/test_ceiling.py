"""The symbolic ceiling: trace specs, search shapes measured like the runtime measures threads, the CLI."""

from __future__ import annotations

import asyncio
import json
import math
import random

import pytest

from fakes import FakeEngine, replay
from reasonbench.budget import Budget
from reasonbench.ceiling import SearchShape, Spread, ceiling
from reasonbench.cli import main
from reasonbench.errors import UserError
from reasonbench.meter import Meter
from reasonbench.profiles import get_profile
from reasonbench.strategies.apr import APRParams, apr
from reasonbench.strategies.base import Context
from reasonbench.tasks import get_task
from reasonbench.tasks.countdown.trace_spec import parse_trace_spec

TASK = get_task("countdown")


@pytest.mark.parametrize(
    "spec",
    ["apr:beam=0", "apr:beam=5-2", "apr:width=3", "apr:beam", "sos:beam=3", "apr:threshold=2", "bogus"],
)
def test_a_bad_trace_spec_is_a_user_error(spec: str) -> None:
    with pytest.raises(UserError):
        parse_trace_spec(spec)


def test_a_beam_range_is_drawn_per_problem_inside_the_range() -> None:
    spec = parse_trace_spec("apr:beam=2-10,child_beam=5")
    rng = random.Random(0)
    drawn = {spec.draw("beam", rng) for _ in range(300)}
    assert drawn == set(range(2, 11))
    assert spec.draw("child_beam", rng) == 5
    assert str(spec) == "apr:beam=2-10,child_beam=5"
    assert str(parse_trace_spec("apr")) == "apr"


def test_apr_children_per_spawn_follow_the_drawn_beam() -> None:
    counts = set()
    for p in TASK.generate("cd4", 30, seed="spec-test"):
        for doc in TASK.training_documents(p, "apr:beam=2-6,child_beam=3,threshold=1", seed=p.index):
            if doc.text.rstrip().endswith("<End Calling Sub Searches>"):
                counts.add(doc.text.count("<Start Sub Search "))
    assert len(counts) >= 3 and counts <= set(range(2, 7))


def _run_documents(problem, kind: str):
    """Replay the writer's own threads through the APR runtime; return the meter's usage."""
    texts = [d.text for d in TASK.training_documents(problem, kind, seed=problem.index)]
    bare = [t.split(" ", 4)[4] if t.startswith("Sub Call Budget: ") else t for t in texts]
    meter = Meter(FakeEngine(replay(bare)), Budget())
    ctx = Context(TASK, get_profile("trace"), meter, seed=0)
    attempt = asyncio.run(apr(problem, APRParams(max_tokens=100_000, child_max_tokens=100_000), ctx))
    return attempt, meter.usage


def test_an_apr_shape_measures_threads_as_the_runtime_meter_does() -> None:
    # One token per character on both sides: the shape's contexts and critical path are the meter's.
    kind = "apr:beam=3,child_beam=3,threshold=1"
    checked = 0
    for p in TASK.generate("cd3", 25, seed="shape-test"):
        docs = TASK.training_documents(p, kind, seed=p.index)
        shape = TASK.search_shape(p, kind, len, seed=p.index)
        if docs[0].text.startswith("Sub Call Budget: ") or not shape.solved:
            # The shape is the unconditioned search; documents retry an unsolved one with other draws.
            continue
        attempt, usage = _run_documents(p, kind)
        assert shape.solved == (attempt.answer is not None and TASK.verify(p, attempt.answer).correct)
        assert shape.max_context == usage.max_context
        assert shape.critical_path == usage.critical_path
        assert shape.threads == usage.threads
        checked += 1
    assert checked >= 6


def test_a_serial_shape_needs_its_whole_trace_as_window() -> None:
    p = TASK.generate("cd4", 1, seed="serial")[0]
    shape = TASK.search_shape(p, "sos", len, seed=0)
    text = TASK.trace(p, "sos", seed=0)
    assert shape.solved and shape.window_needed == shape.max_context == len(text)
    assert shape.decoded == len(text) - len(TASK.prompt(p)) == shape.critical_path


def test_the_ceiling_counts_problems_whose_solution_fits_each_window() -> None:
    shapes = [
        SearchShape(True, 300, 300, 1, 250, 250),
        SearchShape(True, 900, 1200, 4, 2000, 1000),  # a failed child overflowed 1k; the solution fits
        SearchShape(False, math.inf, 700, 3, 1500, 800),
    ]
    c = ceiling("t", shapes, [512, 1024, 2048])
    assert c.within == {512: 1 / 3, 1024: 2 / 3, 2048: 2 / 3}
    assert c.solved == 2 / 3 and c.context_median == 700 and c.threads_mean == pytest.approx(8 / 3)


def test_ceiling_command_prints_one_row_per_trace_and_rejects_bad_specs(capsys) -> None:
    argv = ["tasks", "ceiling", "-s", "cd3", "-n", "20", "-t", "sos", "-t", "apr", "-f", "markdown"]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("| sos", "| apr"))]
    assert len(rows) == 2 and all(line.count("%") == 5 for line in rows)  # four windows and "solved"
    with pytest.raises(SystemExit) as exc:
        main(["tasks", "ceiling", "-s", "cd3", "-n", "5", "-t", "apr:beam=zero"])
    assert exc.value.code == 2
    assert "beam must be" in capsys.readouterr().err


SUDOKU = get_task("sudoku")


def test_a_sudoku_spawn_shape_measures_threads_as_the_runtime_meter_does() -> None:
    # Every sudoku6_search puzzle spawns; replayed through the APR runtime, one token per character.
    for p in SUDOKU.generate("sudoku6_search", 6, seed="shape-test"):
        docs = SUDOKU.training_documents(p, "spawn")
        shape = SUDOKU.search_shape(p, "spawn", len)
        meter = Meter(FakeEngine(replay([d.text for d in docs])), Budget())
        ctx = Context(SUDOKU, get_profile("trace"), meter, seed=0)
        attempt = asyncio.run(apr(p, APRParams(max_tokens=100_000, child_max_tokens=100_000), ctx))
        assert shape.solved and SUDOKU.verify(p, attempt.answer or "").correct
        assert shape.max_context == meter.usage.max_context
        assert shape.critical_path == meter.usage.critical_path
        assert shape.threads == meter.usage.threads == 1 + shape.counts["children"]


def test_a_sudoku_spawn_search_fits_a_window_its_serial_search_does_not() -> None:
    # The point of spawn/join: the longest thread of the search is shorter than the serial trace.
    shapes = [
        (SUDOKU.search_shape(p, "dfs", len), SUDOKU.search_shape(p, "spawn", len))
        for p in SUDOKU.generate("sudoku6_search", 20, seed="window-test")
    ]
    assert all(spawn.window_needed <= spawn.max_context for _, spawn in shapes)
    assert sum(spawn.window_needed < dfs.window_needed for dfs, spawn in shapes) >= 15


def test_sudoku_dfs_guess_lines_exceed_the_guesses_needed_only_after_dead_ends() -> None:
    for p in SUDOKU.generate("sudoku6_search", 30, seed="count-test"):
        counts = SUDOKU.search_shape(p, "dfs", len).counts
        assert counts["guesses"] >= 2  # the split's knob
        assert counts["guess lines"] >= counts["guesses"]
        if counts["dead ends"] == 0:
            assert counts["guess lines"] == counts["guesses"]  # every guess was right


def test_a_sudoku_direct_shape_is_one_thread_that_decodes_its_trace() -> None:
    p = SUDOKU.generate("sudoku6_search", 1, seed="direct")[0]
    shape = SUDOKU.search_shape(p, "direct", len)
    text = SUDOKU.prompt(p) + SUDOKU.trace(p, "direct")
    assert shape.solved and shape.threads == 1 and shape.window_needed == shape.max_context == len(text)
    assert shape.decoded == shape.critical_path == len(text) - len(SUDOKU.prompt(p))


def test_an_unknown_sudoku_trace_has_no_shape() -> None:
    with pytest.raises(UserError, match="unknown sudoku trace kind"):
        SUDOKU.search_shape(SUDOKU.generate("sudoku4", 1)[0], "apr", len)


def test_a_spread_summarises_a_count_and_buckets_its_tail() -> None:
    s = Spread.of([2, 2, 3, 5, 7, 9])
    assert (s.median, s.max, s.histogram) == (4.0, 9, {2: 2, 3: 1, 5: 1, 7: 1, 9: 1})
    assert s.shares(3) == "2: 33%, 3: 17%, 5+: 50%"


def test_ceiling_collects_the_counts_of_the_shapes_that_have_them() -> None:
    shapes = [
        SearchShape(True, 300, 300, 1, 250, 250, {"guesses": 2}),
        SearchShape(True, 300, 300, 1, 250, 250, {"guesses": 4, "dead ends": 1}),
    ]
    c = ceiling("t", shapes, [512])
    assert c.counts["guesses"].mean == 3 and c.counts["dead ends"].histogram == {1: 1}


def test_sudoku_ceiling_command_reports_windows_and_counts_per_puzzle(capsys) -> None:
    argv = ["tasks", "ceiling", "sudoku", "-n", "12", "-t", "dfs", "-t", "direct", "-t", "spawn"]
    with pytest.raises(SystemExit) as exc:
        main([*argv, "-w", "512", "-w", "1k", "-f", "markdown"])
    assert exc.value.code == 0
    windows, counts = (table.splitlines()[2:] for table in capsys.readouterr().out.strip().split("\n\n"))
    assert [ln.split(" | ")[0] for ln in windows] == ["| dfs", "| direct", "| spawn"]
    assert all(ln.count("%") == 3 for ln in windows)  # two windows and "solved"
    assert any(ln.startswith("| spawn | children | 2.00 |") for ln in counts)
    assert sum(ln.startswith(("| dfs | guesses", "| spawn | guesses")) for ln in counts) == 2


def test_sudoku_ceiling_json_holds_each_counts_histogram(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["tasks", "ceiling", "sudoku", "-n", "8", "-t", "dfs", "-f", "json"])
    assert exc.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["problems"] == 8 and sum(data["counts"]["guesses"]["histogram"].values()) == 8
