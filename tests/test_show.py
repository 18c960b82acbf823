"""Seeing inside a run: the thread tree and timeline of a row, `reasonbench show`, `plot --timeline`, and
latency labelled with how it was measured."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from fakes import FakeEngine, replay
from reasonbench import analysis, show, timeline
from reasonbench.budget import Budget
from reasonbench.cli import main
from reasonbench.errors import UserError
from reasonbench.results import read_rows
from reasonbench.runner import RunConfig, StrategyConfig, run_async
from reasonbench.strategies.apr import APRParams
from reasonbench.strategies.cot import CoTParams
from reasonbench.strategies.sc import SCParams
from reasonbench.tasks import get_task
from reasonbench.tasks.countdown import traces
from reasonbench.threads import ThreadNode, critical_ids, thread_tree

TASK = get_task("countdown")
REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "results" / "cd3-demo"
GARBAGE = "<Calling Sub Searches>\nnot a line\n<End Calling Sub Searches>\n"


def _nested_case():
    """A cd4 problem whose APR trace (two levels) spawns grandchildren among the first two children."""
    problems = TASK.generate("cd4", 40)
    for k in range(400):
        p = problems[k % len(problems)]
        t = traces.apr(p.data["target"], p.data["nums"], random.Random(k), beam_size=3, max_depth=2)
        if t.solved and len(t.spawns[0]) >= 3 and any(c.spawns for c in t.spawns[0][:2]):
            return p, t
    raise AssertionError("no nested APR trace found")


PROBLEM, TRACES = _nested_case()


def _script(texts: list[str]):
    """Replays the writer's traces, but grandchild 0 of every spawn writes a malformed spawn block."""
    inner = replay(texts)

    def script(prompt: str, i: int) -> str:
        first = prompt.split("\n", 1)[0]
        if first.startswith("Moving to Node #") and first.count(",") == 2 and first.endswith(",0"):
            return GARBAGE
        return inner(prompt, i)

    return script


def _run(tmp: Path, strategies, script, problems, concurrency: int = 1, seconds_per_token: float = 2e-5):
    config = RunConfig(
        task="countdown",
        split=problems[0].split,
        strategies=tuple(strategies),
        budgets=(Budget(),),
        n_problems=100,
        model="fake",
        concurrency=concurrency,
    )
    engine = FakeEngine(script, seconds_per_token=seconds_per_token)
    asyncio.run(run_async(engine, config, tmp, problems=problems))
    return tmp


@pytest.fixture(scope="module")
def nested_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An APR run, two levels deep, at most two children per spawn, one grandchild garbage per spawn."""
    apr = StrategyConfig("apr", APRParams(max_depth=2, max_children=2))
    return _run(tmp_path_factory.mktemp("nested"), [apr], _script(traces.apr_examples(TRACES)), [PROBLEM])


@pytest.fixture(scope="module")
def nested_row(nested_dir: Path) -> dict:
    return analysis.load([nested_dir]).rows.iloc[0].to_dict()


def _nodes(row: dict) -> list[tuple[int, ThreadNode]]:
    return [(d, n) for root in thread_tree(row) for d, n in root.walk()]


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    captured = capsys.readouterr()
    return int(exc.value.code), captured.out, captured.err


def assert_one_line_error(code: int, err: str) -> None:
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("reasonbench: error:")


# ---------------------------------------------------------------------------------------------------------
# The thread tree of a nested APR run


def test_grandchildren_hang_under_the_child_that_spawned_them(nested_row: dict) -> None:
    nodes = _nodes(nested_row)
    assert max(d for d, _ in nodes) == 2
    for _, child in nodes:
        for grandchild in child.children:
            if grandchild.state and child.state:
                # A grandchild's node id extends its parent's: "Node #0,1" -> "Node #0,1,0".
                parent_id = child.state.split("\n", 1)[0].removeprefix("Moving to Node #")
                assert grandchild.state.startswith(f"Moving to Node #{parent_id},")


def test_children_over_max_children_are_capped_leaves_that_never_ran(nested_row: dict) -> None:
    capped = [n for _, n in _nodes(nested_row) if n.outcome == "capped"]
    info = json.loads(nested_row["info"])
    assert len(capped) == info["capped"] > 0
    assert all(n.id is None and not n.calls and not n.children for n in capped)


def test_a_child_that_writes_a_malformed_spawn_is_a_failed_bad_spawn(nested_row: dict) -> None:
    failed = [(d, n) for d, n in _nodes(nested_row) if n.outcome == "bad spawn"]
    assert failed and all(d == 2 for d, _ in failed)
    assert all(
        n.state.startswith("Moving to Node #") and n.state.split("\n")[0].endswith(",0") for _, n in failed
    )
    assert len(failed) == json.loads(nested_row["info"])["failed_children"]


def test_critical_parts_sum_to_the_rows_critical_path_along_one_chain(nested_row: dict) -> None:
    nodes = _nodes(nested_row)
    assert sum(n.critical or 0 for _, n in nodes) == nested_row["critical_path"]

    def chain(node: ThreadNode) -> int:
        on = [c for c in node.children if c.critical]
        assert len(on) <= 1 or node.id is not None
        return 1 + sum(chain(c) for c in on)

    root = thread_tree(nested_row)[0]
    assert root.critical == root.tokens
    assert chain(root) == sum(1 for _, n in nodes if n.critical)


def test_critical_ids_follow_the_longest_child_at_each_join() -> None:
    records = [
        {"id": 0, "parent": None, "joins": [[1, 2], [3]], "cp": 100},
        {"id": 1, "parent": 0, "joins": [], "cp": 10},
        {"id": 2, "parent": 0, "joins": [], "cp": 30},
        {"id": 3, "parent": 0, "joins": [[4, 5]], "cp": 20},
        {"id": 4, "parent": 3, "joins": [], "cp": 5},
        {"id": 5, "parent": 3, "joins": [], "cp": 5},
    ]
    assert critical_ids(records) == {0, 2, 3, 4}  # a tie goes to the earlier child


def test_every_thread_ran_inside_the_problems_wall_clock(nested_row: dict) -> None:
    ran = [n for _, n in _nodes(nested_row) if n.calls]
    assert len(ran) == nested_row["threads"]
    for n in ran:
        for c in n.calls:
            assert 0 <= c.start <= (c.first_token or c.start) <= c.end <= nested_row["latency_s"] + 1e-3
    for _, parent in _nodes(nested_row):
        for child in parent.children:
            if child.calls:  # a child starts once its parent's spawning call has returned
                assert child.start >= parent.calls[0].end - 1e-3


def test_old_rows_rebuild_one_level_from_join_blocks_and_info() -> None:
    trace = (
        "Moving to Node #0\nCurrent State: 24:[4, 9, 3], Operations: []\n<Sub Searches>\n"
        "<No Solution in Sub Search 0 at level 1 at Node #0,0>\n"
        "<Goal Reached in Sub Search 1 at level 1 at Node #0,1>\n"
        "<No Solution in Sub Search 2 at level 1 at Node #0,2>\n"
        "<No Solution in Sub Search 3 at level 1 at Node #0,3>\n<End Sub Searches>\n"
    )
    row = {
        "correct": True,
        "finish": "answered",
        "trace": trace,
        "params": json.dumps({"max_children": 3, "max_total_children": 64}),
        "info": json.dumps({"capped": 1, "failures": [{"depth": 1, "index": 0, "reason": "window budget"}]}),
    }
    (root,) = thread_tree(row)
    assert root.outcome == "solved"
    assert [(c.state, c.outcome) for c in root.children] == [
        ("Node #0,0", "budget"),
        ("Node #0,1", "solved"),
        ("Node #0,2", "no solution"),
        ("Node #0,3", "capped"),
    ]
    assert all(c.tokens is None and c.critical is None for c in root.children)


# ---------------------------------------------------------------------------------------------------------
# reasonbench show


def test_show_prints_verdict_tree_and_marked_trace(capsys, nested_dir: Path) -> None:
    code, out, _ = cli(capsys, "show", nested_dir, "--problem", PROBLEM.id)
    assert code == 0
    assert "correct" in out or "wrong" in out
    assert "★ root" in out and "capped" in out and "bad spawn" in out
    assert "◀ <Sub Searches>" in out and "one at a time" in out


def test_show_json_marks_the_chosen_candidate(capsys, tmp_path: Path) -> None:
    p = TASK.generate("cd3", 1)[0]
    good = TASK.trace(p, "sos", seed=0)[len(TASK.prompt(p)) :]
    answers = {0: "nothing", 1: good, 2: good}  # sample 0 has no answer; 1 and 2 agree
    run = _run(
        tmp_path,
        [StrategyConfig("sc", SCParams(n=3))],
        lambda prompt, i: answers[i],
        [p],
        seconds_per_token=0,
    )
    code, out, _ = cli(capsys, "show", run, "--format", "json")
    assert code == 0
    (v,) = json.loads(out)
    assert [c["chosen"] for c in v["candidates"]] == [False, True, False]
    assert v["verdict"]["correct"] and v["usage"]["latency_measured"] == "one at a time"


def test_show_lists_the_rows_when_several_match(capsys, tmp_path: Path) -> None:
    p = TASK.generate("cd3", 1)[0]
    configs = [StrategyConfig("cot", CoTParams(max_tokens=m)) for m in (50, 60)]
    run = _run(tmp_path, configs, lambda prompt, i: "x", [p], seconds_per_token=0)
    code, out, _ = cli(capsys, "show", run)
    assert code == 0 and "2 rows match" in out
    assert "cot max_tokens=50" in out and "cot max_tokens=60" in out


def test_show_of_an_unknown_configuration_is_a_one_line_error(capsys, nested_dir: Path) -> None:
    code, _, err = cli(capsys, "show", nested_dir, "--config", "nope")
    assert_one_line_error(code, err)
    assert "apr max_children=2 max_depth=2" in err


def test_show_reads_the_committed_reference_results(capsys) -> None:
    code, out, _ = cli(capsys, "show", DEMO, "-i", "3", "-c", "apr", "-b", "1k", "--format", "json")
    assert code == 0
    (v,) = json.loads(out)
    assert not v["timeline"]  # written before the runner recorded timing: rebuilt from the trace
    (root,) = v["threads"]
    assert len(root["children"]) == json.loads(json.dumps(v["info"]))["children"] > 0
    assert v["usage"]["latency_measured"] == "64 in flight"


def test_budget_filter_accepts_the_short_form(nested_dir: Path) -> None:
    rows = analysis.load([nested_dir]).rows
    assert len(show.select(rows, budget="none")) == 1
    with pytest.raises(UserError, match="choose from: none"):
        show.select(rows, budget="1k")


def test_trace_blocks_find_spawn_and_join_blocks() -> None:
    text = (
        "a\n<Calling Sub Searches>\nx\n<End Calling Sub Searches>\nb\n<Sub Searches>\ny\n<End Sub Searches>\n"
    )
    assert show.trace_blocks(text) == [
        {"kind": "spawn", "first": 1, "last": 3},
        {"kind": "join", "first": 5, "last": 7},
    ]


# ---------------------------------------------------------------------------------------------------------
# plot --timeline


def test_timeline_png_is_written(capsys, nested_dir: Path, tmp_path: Path) -> None:
    png = tmp_path / "t.png"
    code, _, err = cli(capsys, "plot", nested_dir, "--timeline", "--problem", PROBLEM.id, "-o", png)
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_stacks_two_configurations_on_one_time_axis(tmp_path: Path) -> None:
    texts = traces.apr_examples(TRACES)
    configs = [
        StrategyConfig("apr", APRParams(max_depth=2)),
        StrategyConfig("apr", APRParams(max_depth=2, max_children=2)),
    ]
    rows = read_rows(_run(tmp_path, configs, replay(texts), [PROBLEM]))
    fig = timeline.figure([timeline.panel(r.to_dict()) for _, r in rows.iterrows()])
    bars = [ax for ax in fig.axes if ax.get_yticks().size]
    assert len(bars) == 2 and bars[0].get_shared_x_axes().joined(bars[0], bars[1])
    # One bar row per thread that ran or was capped.
    assert [len(ax.get_yticks()) for ax in bars] == [len(_nodes(r.to_dict())) for _, r in rows.iterrows()]


def test_timeline_of_rows_without_timing_is_a_one_line_error(capsys, tmp_path: Path) -> None:
    code, _, err = cli(
        capsys, "plot", DEMO, "--timeline", "-i", "3", "-c", "apr", "-b", "1k", "-o", tmp_path / "x.png"
    )
    assert_one_line_error(code, err)
    assert "no per-thread timing" in err


def test_timeline_of_several_matching_rows_is_a_one_line_error(capsys, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "plot", DEMO, "--timeline", "-i", "3", "-c", "apr", "-o", tmp_path / "x.png")
    assert_one_line_error(code, err)
    assert "ctx512" in err and "--budget" in err


# ---------------------------------------------------------------------------------------------------------
# Latency honesty


def test_a_latency_run_records_one_problem_in_flight(nested_row: dict) -> None:
    assert nested_row["in_flight"] == 1


def test_a_batch_run_records_how_many_problems_shared_the_engine(tmp_path: Path) -> None:
    problems = TASK.generate("cd3", 8)
    run = _run(
        tmp_path, [StrategyConfig("cot", CoTParams())], lambda prompt, i: "x" * 200, problems, concurrency=4
    )
    in_flight = read_rows(run)["in_flight"]
    assert in_flight.max() == 4 and in_flight.min() >= 1


@pytest.mark.parametrize(
    "value,label", [(1, "one at a time"), (64, "64 in flight"), (float("nan"), "in flight unknown")]
)
def test_in_flight_label(value, label) -> None:
    assert analysis.in_flight_label(value) == label


def test_latency_view_keeps_only_latency_mode_rows_when_there_are_any() -> None:
    import pandas as pd

    rows = pd.DataFrame({"in_flight": [64.0, 1.0, 64.0, 1.0], "latency_s": [9.0, 2.0, 8.0, 2.5]})
    picked, how = analysis.latency_view(rows)
    assert list(picked["latency_s"]) == [2.0, 2.5] and how == "one at a time"


def test_latency_view_says_it_shows_batch_latency_otherwise() -> None:
    import pandas as pd

    rows = pd.DataFrame({"in_flight": [64.0, 32.0], "latency_s": [9.0, 8.0]})
    picked, how = analysis.latency_view(rows)
    assert len(picked) == 2 and how == "batch: 64 in flight"


def test_rows_written_without_in_flight_get_the_runs_concurrency() -> None:
    rows = analysis.load([DEMO]).rows
    assert set(rows["in_flight"]) == {64}


def test_default_plot_labels_its_latency_axis_with_how_latency_was_measured(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from reasonbench import plot

    rows = analysis.load([DEMO]).rows
    summary = analysis.summarize(rows)
    fig = plot.figure(summary, ["tokens", "latency"], (summary, analysis.latency_view(rows)[1]))
    assert fig.axes[1].get_xlabel().endswith("batch: 64 in flight")
    assert "flight" not in fig.axes[0].get_xlabel()
    plt.close(fig)


def test_report_says_how_latency_was_measured(capsys) -> None:
    code, out, _ = cli(capsys, "report", DEMO, "--format", "json")
    assert code == 0
    assert {r["in_flight"] for r in json.loads(out)} == {64}


# ---------------------------------------------------------------------------------------------------------
# On the real engine


@pytest.mark.slow
def test_a_real_apr_run_records_timing_that_show_and_the_timeline_read(capsys, tmp_path: Path) -> None:
    from reasonbench.engine import open_engine

    config = RunConfig(
        task="countdown",
        split="cd4",
        strategies=(StrategyConfig("apr", APRParams()),),
        budgets=(Budget(context=2048),),
        n_problems=1,  # the shipped model spawns 10 children on cd4-00000 and solves it at 2k
        model="countdown-apr",
        concurrency=1,
    )
    engine = open_engine("vllm", "countdown-apr", timing_stats=True)  # as latency mode

    async def go() -> None:
        await engine.warmup()
        await run_async(engine, config, tmp_path / "run")
        await engine.close()

    asyncio.run(go())
    rows = analysis.load([tmp_path / "run"]).rows
    assert (rows["in_flight"] == 1).all()
    assert (rows["threads"] > 1).any()  # the shipped model spawns on these problems
    for _, r in rows.iterrows():
        nodes = _nodes(r.to_dict())
        ran = [n for _, n in nodes if n.calls]
        assert len(ran) == r["threads"]
        assert sum(n.critical or 0 for _, n in nodes) == r["critical_path"]
        for n in ran:  # vLLM's own first-token stamps fall inside each call
            assert all(c.start <= c.first_token <= c.end <= r["latency_s"] + 1e-3 for c in n.calls)
    spawned = rows[rows["threads"] > 1].iloc[0]
    png = tmp_path / "t.png"
    code, _, err = cli(capsys, "plot", tmp_path / "run", "--timeline", "-p", spawned["problem_id"], "-o", png)
    assert code == 0, err
    assert png.stat().st_size > 0
