"""The analysis layer on synthetic results directories: summaries, curves, report formats, plots, regress
and the ``report``/``plot``/``regress`` commands. Every expected number is worked out by hand below."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import pytest

from reasonbench import analysis, plot, regress, report
from reasonbench.cli import main
from reasonbench.errors import UserError
from reasonbench.results import ResultWriter, run_mode
from reasonbench.rows import COLUMNS, Row

matplotlib.use("Agg")

# ---------------------------------------------------------------------------------------------------------
# Building results directories

MODEL = "tiny-cd"
DEFAULTS: dict[str, Any] = {
    "task": "countdown",
    "split": "cd3",
    "problem_id": "cd3-0",
    "problem_index": 0,
    "strategy": "cot",
    "config_id": "cot-0",
    "config_label": "cot",
    "params": "{}",
    "budget": "ctx4k",
    "budget_context": 4096,
    "budget_tokens": None,
    "budget_latency_s": None,
    "seed": 0,
    "correct": False,
    "answer": None,
    "reason": "",
    "finish": "stop",
    "decoded_tokens": 0,
    "prompt_tokens": 0,
    "cached_tokens": 0,
    "tokens": 0,
    "max_context": 0,
    "critical_path": 0,
    "flops": 0.0,
    "threads": 1,
    "engine_calls": 1,
    "latency_s": 0.0,
    "candidates": "[]",
    "info": "{}",
    "trace": "",
    "calls": "[]",
    "derived_from": None,
    "model": MODEL,
    "backend": "fake",
    "in_flight": 1,
    "timeline": None,
}
# label -> (budget_context, budget_tokens, budget_latency_s)
BUDGETS: dict[str, tuple[int | None, int | None, float | None]] = {
    "ctx1k": (1024, None, None),
    "ctx2k": (2048, None, None),
    "ctx4k": (4096, None, None),
    "ctx8k": (8192, None, None),
    "tok10k": (None, 10240, None),
    "tok20k": (None, 20480, None),
    "ctx8k+tok20k": (8192, 20480, None),
    "lat1s": (None, None, 1.0),
    "lat5s": (None, None, 5.0),
}


def row(**kw: Any) -> dict[str, Any]:
    """A full result row: the defaults overridden by ``kw`` (``Row`` refuses unknown or missing columns)."""
    return Row(**{**DEFAULTS, **kw}).as_dict()


def group(
    n: int,
    n_correct: int,
    *,
    strategy: str = "cot",
    config_id: str | None = None,
    label: str | None = None,
    budget: str = "ctx4k",
    tokens: int = 100,
    context: int = 50,
    **kw: Any,
) -> list[dict[str, Any]]:
    """``n`` rows of one configuration x budget, the first ``n_correct`` right.

    Row ``i`` spends ``tokens + i`` tokens and ``context + 2 i`` context, so the means are
    ``tokens + (n - 1) / 2`` and ``context + (n - 1)``.
    """
    bc, bt, bl = BUDGETS[budget]
    return [
        row(
            problem_id=f"cd3-{i}",
            problem_index=i,
            strategy=strategy,
            config_id=config_id or f"{strategy}-0",
            config_label=label or strategy,
            budget=budget,
            budget_context=bc,
            budget_tokens=bt,
            budget_latency_s=bl,
            correct=i < n_correct,
            answer="x",
            tokens=tokens + i,
            decoded_tokens=tokens + i,
            max_context=context + 2 * i,
            critical_path=tokens + i,
            latency_s=0.5,
            **kw,
        )
        for i in range(n)
    ]


def write_run(directory: Path, rows: list[dict[str, Any]], **manifest: Any) -> Path:
    meta = {"config_hash": "x", "task": "countdown", "split": "cd3", "model": MODEL, **manifest}
    writer = ResultWriter(directory, manifest=meta)
    for r in rows:
        writer.add(r)
    writer.flush()
    return directory


def cand(answer: str | None, correct: bool, score: float | None) -> dict[str, Any]:
    return {"answer": answer, "normalized": answer, "score": score, "finish": "stop", "correct": correct}


# The self-consistency group: two problems with three candidates each (hand-worked in test_sample_curves).
SC_CANDIDATES = [
    [cand("a", True, 0.9), cand("a", True, 0.1), cand("b", False, 0.5)],
    [cand(None, False, None), cand("x", True, -0.2), cand("y", False, -0.5)],
]


def standard_rows() -> list[dict[str, Any]]:
    """cot at four context budgets (written out of order) and one sc configuration with candidates."""
    rows = []
    rows += group(10, 8, budget="ctx4k", tokens=900, context=700)
    rows += group(10, 7, budget="ctx8k", tokens=1200, context=900)  # more budget, less accuracy: dominated
    ctx1k = group(10, 3, budget="ctx1k", tokens=200, context=100)
    for i, finish in [(5, "truncated"), (6, "truncated"), (7, "budget"), (8, "error")]:
        ctx1k[i]["finish"] = finish
    rows += ctx1k
    rows += group(10, 5, budget="ctx2k", tokens=500, context=300)
    sc = group(2, 1, strategy="sc", config_id="sc-n3", label="sc n=3", budget="ctx2k", tokens=1500, threads=3)
    for r, cands in zip(sc, SC_CANDIDATES, strict=True):
        r["candidates"] = json.dumps(cands)
        # Of its 1500 + i tokens, 30 are the (uncached) prompt: 60 prompt tokens, 30 served from the cache.
        r.update(decoded_tokens=r["tokens"] - 30, prompt_tokens=60, cached_tokens=30)
    rows += sc
    return rows


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tmp_path_factory.mktemp("run") / "results", standard_rows())


@pytest.fixture(scope="module")
def summary(run_dir: Path) -> pd.DataFrame:
    return analysis.summarize(analysis.load([run_dir]).rows)


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    captured = capsys.readouterr()
    return int(exc.value.code), captured.out, captured.err


def assert_one_line_error(code: int, err: str) -> None:
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("reasonbench: error:")
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------------------
# load / expand


def test_load_reads_rows_and_manifest(run_dir: Path) -> None:
    loaded = analysis.load([run_dir])
    assert len(loaded.rows) == 42
    assert loaded.manifests == [{"config_hash": "x", "task": "countdown", "split": "cd3", "model": MODEL}]
    assert int(loaded.rows["correct"].sum()) == 8 + 7 + 3 + 5 + 1


def test_expand_finds_the_runs_of_a_multi_model_sweep(tmp_path: Path) -> None:
    root = tmp_path / "sweep"
    b = write_run(root / "model-b", group(3, 1, budget="ctx1k"), model="model-b")
    a = write_run(root / "model-a", group(4, 4, budget="ctx1k"), model="model-a")
    (root / "logs").mkdir()  # not a results directory: skipped
    (root / "logs" / "x.txt").write_text("hi")
    assert analysis.expand([root]) == [a, b]
    assert analysis.expand([a]) == [a]  # a results directory is itself
    assert analysis.expand([a, root]) == [a, a, b]
    missing = tmp_path / "nope"
    assert analysis.expand([missing]) == [missing]  # left for load to refuse
    loaded = analysis.load([root])
    assert len(loaded.rows) == 7 and len(loaded.manifests) == 2
    assert sorted(m["model"] for m in loaded.manifests) == ["model-a", "model-b"]


def test_load_refuses_what_is_not_a_results_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for bad in (empty, a_file, tmp_path / "missing"):
        with pytest.raises(UserError, match="not a results directory"):
            analysis.load([bad])
    no_rows = tmp_path / "no-rows"
    ResultWriter(no_rows, manifest={"config_hash": "x"})  # a manifest, no part files yet
    with pytest.raises(UserError, match="no result rows"):
        analysis.load([no_rows])


# ---------------------------------------------------------------------------------------------------------
# summarize


def test_summarize_counts_accuracy_and_usage_per_group(summary: pd.DataFrame) -> None:
    assert len(summary) == 5
    by = summary.set_index(["strategy", "budget"])
    #                 n, correct, accuracy, tokens mean, context mean
    expected = {
        ("cot", "ctx1k"): (10, 3, 0.3, 204.5, 109.0),
        ("cot", "ctx2k"): (10, 5, 0.5, 504.5, 309.0),
        ("cot", "ctx4k"): (10, 8, 0.8, 904.5, 709.0),
        ("cot", "ctx8k"): (10, 7, 0.7, 1204.5, 909.0),
        ("sc", "ctx2k"): (2, 1, 0.5, 1500.5, 51.0),
    }
    for key, (n, correct, acc, tokens, context) in expected.items():
        g = by.loc[key]
        assert (g["n"], g["correct"]) == (n, correct), key
        assert g["accuracy"] == pytest.approx(acc)
        assert g["tokens"] == pytest.approx(tokens)
        assert g["max_context"] == pytest.approx(context)
        assert g["critical_path"] == pytest.approx(tokens)
        assert g["latency_s"] == pytest.approx(0.5)
        assert g["ci_lo"] <= acc <= g["ci_hi"]
        assert 0.0 <= g["ci_lo"] < g["ci_hi"] <= 1.0
        assert g["model"] == MODEL and g["task"] == "countdown" and g["split"] == "cd3"
    assert by.loc[("sc", "ctx2k"), "threads"] == pytest.approx(3.0)
    assert by.loc[("cot", "ctx1k"), "truncated"] == 3  # "truncated" twice and "budget" once
    assert by.loc[("cot", "ctx1k"), "errors"] == 1
    assert by.loc[("cot", "ctx4k"), "truncated"] == 0 and by.loc[("cot", "ctx4k"), "errors"] == 0


def test_summarize_interval_of_an_all_right_group_is_a_point(tmp_path: Path) -> None:
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", group(6, 6))]).rows)
    assert (s.loc[0, "accuracy"], s.loc[0, "ci_lo"], s.loc[0, "ci_hi"]) == (1.0, 1.0, 1.0)


def test_summarize_interval_narrows_with_more_problems(tmp_path: Path) -> None:
    small = analysis.summarize(analysis.load([write_run(tmp_path / "s", group(10, 5))]).rows)
    big = analysis.summarize(analysis.load([write_run(tmp_path / "b", group(400, 200))]).rows)
    assert (big.loc[0, "ci_hi"] - big.loc[0, "ci_lo"]) < (small.loc[0, "ci_hi"] - small.loc[0, "ci_lo"]) / 3


def test_summarize_orders_budgets_by_size(summary: pd.DataFrame) -> None:
    assert list(zip(summary["strategy"], summary["budget"], strict=True)) == [
        ("cot", "ctx1k"),
        ("cot", "ctx2k"),
        ("cot", "ctx4k"),
        ("cot", "ctx8k"),
        ("sc", "ctx2k"),
    ]


def test_summarize_orders_token_latency_and_mixed_budgets(tmp_path: Path) -> None:
    rows = []
    for budget in ("tok20k", "lat5s", "tok10k", "ctx8k+tok20k", "lat1s", "ctx4k"):
        rows += group(2, 1, budget=budget)
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", rows)]).rows)
    # context first (unlimited last), then tokens, then latency
    assert list(s["budget"]) == ["ctx4k", "ctx8k+tok20k", "tok10k", "tok20k", "lat1s", "lat5s"]


def test_summarize_keeps_models_apart(tmp_path: Path) -> None:
    root = tmp_path / "sweep"
    write_run(root / "a", group(4, 1, budget="ctx1k") + group(4, 2, budget="ctx2k"))
    write_run(root / "b", [{**r, "model": "other"} for r in group(4, 3, budget="ctx1k")])
    s = analysis.summarize(analysis.load([root]).rows)
    got = {(r.model, r.budget): (r.n, r.correct) for r in s.itertuples()}
    assert got == {(MODEL, "ctx1k"): (4, 1), (MODEL, "ctx2k"): (4, 2), ("other", "ctx1k"): (4, 3)}


def test_summarize_of_no_rows_is_empty() -> None:
    assert analysis.summarize(pd.DataFrame(columns=list(COLUMNS))).empty


# ---------------------------------------------------------------------------------------------------------
# points and frontiers


def test_points_use_the_mean_usage_of_the_chosen_kind(summary: pd.DataFrame) -> None:
    pts = analysis.points(summary, "context")
    assert sorted(pts) == ["cot", "sc"]
    assert [(p.usage, p.accuracy, p.n) for p in pts["cot"]] == [
        (109.0, 0.3, 10),
        (309.0, 0.5, 10),
        (709.0, 0.8, 10),
        (909.0, 0.7, 10),
    ]
    assert [p.label for p in pts["cot"]] == ["cot @ ctx1k", "cot @ ctx2k", "cot @ ctx4k", "cot @ ctx8k"]
    assert pts["sc"][0].label == "sc n=3 @ ctx2k"
    lat = analysis.points(summary, "latency")
    assert all(p.usage == pytest.approx(0.5) for ps in lat.values() for p in ps)


def test_frontiers_drop_the_dominated_budget(summary: pd.DataFrame) -> None:
    fr = analysis.frontiers(summary, "tokens")
    assert [(p.usage, p.accuracy) for p in fr["cot"]] == [(204.5, 0.3), (504.5, 0.5), (904.5, 0.8)]
    assert [(p.usage, p.accuracy) for p in fr["sc"]] == [(1500.5, 0.5)]
    assert [p.accuracy for p in analysis.frontiers(summary, "critical-path")["cot"]] == [0.3, 0.5, 0.8]


def test_unknown_budget_kind_is_a_user_error(summary: pd.DataFrame) -> None:
    with pytest.raises(UserError, match="unknown budget kind"):
        analysis.points(summary, "flops")


# ---------------------------------------------------------------------------------------------------------
# sample curves


def test_sample_curves_match_hand_enumeration(run_dir: Path) -> None:
    curves = analysis.sample_curves(analysis.load([run_dir]).rows)
    # cot rows keep no candidates ("[]"), so only sc has curves.
    assert set(curves["strategy"]) == {"sc"}
    assert list(curves["k"]) == [1, 2, 3]
    assert list(curves["problems"]) == [2, 2, 2]
    # Problem 1: answers a a b, right T T F, scores .9 .1 .5.
    #   maj@k: 2/3, 1, 1     pass@k: 2/3, 1, 1     best-of-k: 2/3, 2/3 ({1,2} picks b), 1
    # Problem 2: answers - x y, right F T F, scores - -.2 -.5 (no score ranks below any negative score).
    #   maj@k: 1/3, 2/3 ({1,2}: the x/y tie goes to x), 1     pass@k: 1/3, 2/3, 1
    #   best-of-k: 1/3, 2/3 ({0,1} picks x, {0,2} picks y, {1,2} picks x), 1
    expected = {
        1: (1 / 2, 1 / 2, 1 / 2),
        2: (5 / 6, 5 / 6, 2 / 3),
        3: (1.0, 1.0, 1.0),
    }
    for r in curves.itertuples():
        maj, pas, best = expected[r.k]
        assert r.maj_at_k == pytest.approx(maj), r.k
        assert r.pass_at_k == pytest.approx(pas), r.k
        assert r.best_of_k == pytest.approx(best), r.k
        assert r.config_label == "sc n=3" and r.budget == "ctx2k"
        # k of 3 samples: the 30 uncached prompt tokens plus k/3 of 1470 and 1471 decoded tokens.
        assert r.tokens == pytest.approx(30 + 1470.5 * r.k / 3), r.k


def test_sample_curves_skip_rows_with_fewer_than_two_candidates(tmp_path: Path) -> None:
    rows = group(3, 1)
    rows[0]["candidates"] = json.dumps([cand("a", True, 1.0)])
    rows[1]["candidates"] = ""
    assert analysis.sample_curves(analysis.load([write_run(tmp_path / "r", rows)]).rows).empty


# ---------------------------------------------------------------------------------------------------------
# report formats


def test_markdown_parses_back_to_the_same_numbers(summary: pd.DataFrame) -> None:
    text = report.markdown(summary)
    back = report.parse_markdown(text)
    assert len(back) == len(summary)
    assert list(back["configuration"]) == list(summary["config_label"])
    assert list(back["budget"]) == list(summary["budget"])
    assert list(back["n"]) == list(summary["n"])
    for col in ("accuracy", "ci_lo", "ci_hi"):
        assert back[col].to_numpy() == pytest.approx(summary[col].to_numpy(), abs=5e-5)
    for col in ("tokens", "max_context", "critical_path"):
        assert back[col].to_numpy() == pytest.approx(summary[col].to_numpy(), abs=0.05)
    assert back["latency_s"].to_numpy() == pytest.approx(summary["latency_s"].to_numpy(), abs=5e-4)
    assert back["threads"].to_numpy() == pytest.approx(summary["threads"].to_numpy(), abs=5e-3)
    assert back.loc[0, "accuracy"] == pytest.approx(0.3)  # cot @ ctx1k, 3 of 10


def test_markdown_keeps_four_decimals_of_accuracy(tmp_path: Path) -> None:
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", group(3, 1, tokens=7))]).rows)
    back = report.parse_markdown(report.markdown(s))
    assert back.loc[0, "accuracy"] == pytest.approx(1 / 3, abs=5e-5)
    assert back.loc[0, "tokens"] == pytest.approx(8.0)  # mean of 7, 8, 9
    assert back.loc[0, "n"] == 3


def test_markdown_survives_a_pipe_in_a_label(summary: pd.DataFrame) -> None:
    s = summary.copy()
    s.loc[0, "config_label"] = "cot|greedy"
    back = report.parse_markdown(report.markdown(s))
    assert len(back.columns) == 15 and back.loc[0, "configuration"] == "cot/greedy"
    assert back.loc[0, "n"] == 10


def test_csv_parses_back_to_the_same_numbers(summary: pd.DataFrame) -> None:
    back = pd.read_csv(io.StringIO(report.render(summary, "csv")))
    assert list(back.columns) == report.COLUMNS
    assert list(back["budget"]) == list(summary["budget"])
    for col in ("n", "truncated", "errors"):
        assert list(back[col]) == list(summary[col])
    for col in ("accuracy", "ci_lo", "ci_hi", "tokens", "max_context", "latency_s", "threads"):
        assert back[col].to_numpy() == pytest.approx(summary[col].to_numpy(), rel=1e-12)


def test_json_parses_back_to_the_same_numbers(summary: pd.DataFrame) -> None:
    records = json.loads(report.render(summary, "json"))
    assert len(records) == len(summary)
    assert all(list(r) == report.COLUMNS for r in records)
    for rec, (_, s) in zip(records, summary.iterrows(), strict=True):
        assert rec["budget"] == s["budget"] and rec["strategy"] == s["strategy"]
        assert rec["n"] == s["n"] and rec["errors"] == s["errors"]
        for col in ("accuracy", "ci_lo", "ci_hi", "tokens"):
            assert rec[col] == pytest.approx(s[col], rel=1e-12)
    first = records[0]
    assert (first["config_label"], first["budget"], first["accuracy"], first["tokens"]) == (
        "cot",
        "ctx1k",
        0.3,
        204.5,
    )


def test_render_refuses_an_unknown_format(summary: pd.DataFrame) -> None:
    with pytest.raises(ValueError):
        report.render(summary, "xml")


def test_rich_tables_one_per_task_and_split(tmp_path: Path) -> None:
    rows = group(4, 2, budget="ctx1k") + group(4, 1, budget="ctx2k")
    rows += [{**r, "split": "cd4"} for r in group(3, 3, budget="ctx1k")]
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", rows)]).rows)
    tables = report.rich_tables(s)
    assert [t.row_count for t in tables] == [2, 1]
    assert "countdown / cd3" in str(tables[0].title) and MODEL in str(tables[0].title)
    assert "countdown / cd4" in str(tables[1].title)
    assert list(tables[0].columns[3].cells) == ["50.0% [0.0%, 100.0%]", "25.0% [0.0%, 75.0%]"]


# ---------------------------------------------------------------------------------------------------------
# plot


def test_figure_has_one_frontier_line_per_strategy(summary: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    fig = plot.figure(summary, ["tokens", "context"])
    try:
        axes = fig.axes
        assert len(axes) == 2
        for ax, word in zip(axes, ("tokens", "context"), strict=True):
            assert ax.get_xscale() == "log"
            assert ax.xaxis.get_transform().base == 2
            assert word in ax.get_xlabel()
            assert ax.get_ylabel() == "accuracy"
            # error-bar caps are unlabelled lines; the labelled ones are the frontiers
            labelled = [ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")]
            assert sorted(labelled) == ["cot", "sc"]
            assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["cot", "sc"]
        cot = next(line for line in axes[0].get_lines() if line.get_label() == "cot")
        assert list(cot.get_xdata()) == [204.5, 504.5, 904.5]  # the frontier, ctx8k dropped
        assert list(cot.get_ydata()) == [0.3, 0.5, 0.8]
        title = fig._suptitle.get_text()
        for part in (MODEL, "countdown", "cd3", "n=2-10"):
            assert part in title
    finally:
        plt.close(fig)


def test_title_with_one_problem_count(tmp_path: Path) -> None:
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", group(7, 3))]).rows)
    assert plot.title(s) == f"{MODEL} · countdown / cd3 · n=7 per point"


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_save_writes_each_format(summary: pd.DataFrame, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / "figs" / f"curve{suffix}"
    assert plot.save(summary, ["tokens"], path) == path
    data = path.read_bytes()
    assert len(data) > 500
    magic = {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}[suffix]
    assert data.startswith(magic)


def test_save_refuses_an_unknown_extension_or_kind(summary: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"\.png"):
        plot.save(summary, ["tokens"], tmp_path / "curve.gif")
    assert not (tmp_path / "curve.gif").exists()
    with pytest.raises(UserError, match="unknown budget kind"):
        plot.save(summary, ["flops"], tmp_path / "curve.png")


# ---------------------------------------------------------------------------------------------------------
# regress


def regress_rows(cot_correct: int, sc_correct: int = 60, n: int = 100) -> list[dict[str, Any]]:
    rows = group(n, cot_correct, budget="ctx4k")
    rows += group(n, sc_correct, strategy="sc", config_id="sc-n3", label="sc n=3", budget="ctx4k")
    return rows


@pytest.fixture(scope="module")
def baseline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tmp_path_factory.mktemp("base") / "results", regress_rows(80))


def _load(p: Path) -> analysis.Results:
    return analysis.load([p])


def test_an_identical_run_passes(baseline_dir: Path, tmp_path: Path) -> None:
    cand_dir = write_run(tmp_path / "cand", regress_rows(80))
    lines = regress.compare(_load(baseline_dir), _load(cand_dir), tolerance=0.05, alpha=0.05)
    assert [(ln.config, ln.budget) for ln in lines] == [("cot", "ctx4k"), ("sc n=3", "ctx4k")]
    assert not any(ln.regressed for ln in lines)
    assert all(ln.comparison.delta == 0 and ln.comparison.p_drop == 1.0 for ln in lines)
    text = regress.markdown(lines, 0.05, 0.05)
    assert "REGRESSION" not in text and "No regression" in text


def test_an_injected_drop_is_flagged(baseline_dir: Path, tmp_path: Path) -> None:
    cand_dir = write_run(tmp_path / "cand", regress_rows(40))
    lines = regress.compare(_load(baseline_dir), _load(cand_dir), tolerance=0.05, alpha=0.05)
    got = {ln.config: ln for ln in lines}
    assert got["cot"].regressed and not got["sc n=3"].regressed
    c = got["cot"].comparison
    assert (c.baseline, c.candidate, c.n_baseline, c.n_candidate) == (0.8, 0.4, 100, 100)
    assert c.p_drop < 1e-6
    text = regress.markdown(lines, 0.05, 0.05)
    assert text.count("REGRESSION") == 1
    assert "**1 regression(s)**" in text
    cot_line = next(line for line in text.splitlines() if line.startswith("| cot |"))
    assert "80.0% (n=100)" in cot_line and "40.0% (n=100)" in cot_line and "-40.0%" in cot_line


def test_drops_within_tolerance_or_noise_pass(baseline_dir: Path, tmp_path: Path) -> None:
    small = write_run(tmp_path / "small", regress_rows(77))  # -3 points: within the 5-point tolerance
    lines = regress.compare(_load(baseline_dir), _load(small), tolerance=0.05, alpha=0.05)
    assert not any(ln.regressed for ln in lines)
    # -7 points is beyond the tolerance but p ~ 0.12 on 100 problems: noise, not a regression.
    noisy = write_run(tmp_path / "noisy", regress_rows(73))
    lines = regress.compare(_load(baseline_dir), _load(noisy), tolerance=0.05, alpha=0.05)
    assert not any(ln.regressed for ln in lines)
    # The same -7 points with a lax alpha is flagged.
    lines = regress.compare(_load(baseline_dir), _load(noisy), tolerance=0.05, alpha=0.2)
    assert [ln.config for ln in lines if ln.regressed] == ["cot"]
    # A significant drop within a wide tolerance is not.
    big = write_run(tmp_path / "big", regress_rows(40))
    lines = regress.compare(_load(baseline_dir), _load(big), tolerance=0.5, alpha=0.05)
    assert not any(ln.regressed for ln in lines)


def _refused(tmp_path: Path, rows: list[dict[str, Any]], **manifest: Any) -> Path:
    return write_run(tmp_path / "cand", rows, **manifest)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: [{**r, "split": "cd4"} for r in rows], "task/split"),
        (lambda rows: [{**r, "task": "sudoku"} for r in rows], "task/split"),
        (lambda rows: [*rows, *group(5, 1, config_id="cot-other", label="cot t=1")], "configuration"),
        (lambda rows: [r for r in rows if r["strategy"] != "sc"], "configuration"),
        (lambda rows: [{**r, "budget": "ctx2k", "budget_context": 2048} for r in rows], "budgets"),
    ],
    ids=["split", "task", "extra-config", "missing-config", "budget"],
)
def test_runs_of_another_shape_are_refused(baseline_dir: Path, tmp_path: Path, change, message) -> None:
    cand_dir = _refused(tmp_path, change(regress_rows(80)))
    with pytest.raises(UserError, match=message):
        regress.compare(_load(baseline_dir), _load(cand_dir), tolerance=0.05, alpha=0.05)


def test_a_run_missing_one_config_budget_pair_is_refused(tmp_path: Path) -> None:
    base_rows = group(10, 5, budget="ctx1k") + group(10, 5, budget="ctx2k")
    base_rows += group(10, 5, strategy="sc", budget="ctx1k") + group(10, 5, strategy="sc", budget="ctx2k")
    base = write_run(tmp_path / "base", base_rows)
    cand = write_run(
        tmp_path / "cand", [r for r in base_rows if (r["strategy"], r["budget"]) != ("sc", "ctx2k")]
    )
    with pytest.raises(UserError):
        regress.compare(_load(base), _load(cand), tolerance=0.05, alpha=0.05)


# ---------------------------------------------------------------------------------------------------------
# one strategy on two models; latency-mode and batch rows of one configuration


def two_model_rows() -> list[dict[str, Any]]:
    """sc n=3 on two models (8 of 10 right on "serial", 4 of 10 on MODEL) and cot on MODEL only."""
    sc = dict(strategy="sc", config_id="sc-n3", label="sc n=3", budget="ctx2k")
    rows = group(10, 4, tokens=300, **sc)
    rows += [{**r, "model": "serial"} for r in group(10, 8, tokens=900, **sc)]
    rows += group(10, 5, budget="ctx2k")
    return rows


def latency_and_batch_rows() -> list[dict[str, Any]]:
    """cot @ ctx2k run twice on the same 10 problems: a batch pass (16 in flight, 3 s each) and a
    latency-mode pass (alone, 1 s each); 6 of 10 right in both."""
    batch = [{**r, "in_flight": 16, "latency_s": 3.0} for r in group(10, 6, budget="ctx2k")]
    alone = [{**r, "in_flight": 1, "latency_s": 1.0} for r in group(10, 6, budget="ctx2k")]
    return batch + alone


def test_a_strategy_on_two_models_is_two_lines_named_by_model(tmp_path: Path) -> None:
    rows = analysis.load([write_run(tmp_path / "r", two_model_rows())]).rows
    fr = analysis.frontiers(analysis.summarize(rows), "tokens")
    assert sorted(fr) == ["cot", "sc · serial", f"sc · {MODEL}"]
    assert [(p.accuracy, p.n) for p in fr["sc · serial"]] == [(0.8, 10)]
    assert [(p.accuracy, p.n) for p in fr[f"sc · {MODEL}"]] == [(0.4, 10)]


def test_a_strategy_on_one_model_keeps_its_own_name_beside_one_on_two(tmp_path: Path) -> None:
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", two_model_rows())]).rows)
    assert set(s.loc[s["strategy"] == "cot", "line"]) == {"cot"}


def test_plot_colours_a_strategy_alike_and_styles_each_model_apart(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", two_model_rows())]).rows)
    fig = plot.figure(s, ["tokens"])
    try:
        lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")}
        assert sorted(lines) == ["cot", "sc · serial", f"sc · {MODEL}"]
        on_serial, on_model = lines["sc · serial"], lines[f"sc · {MODEL}"]
        assert on_serial.get_color() == on_model.get_color() == plot.COLOURS["sc"]
        assert on_serial.get_linestyle() != on_model.get_linestyle()
        assert on_serial.get_marker() != on_model.get_marker()
        # cot ran on MODEL only: drawn in MODEL's style, in its own colour
        assert lines["cot"].get_marker() == on_model.get_marker()
        assert lines["cot"].get_color() != on_model.get_color()
    finally:
        plt.close(fig)


def test_report_names_the_model_of_a_strategy_that_ran_on_several(tmp_path: Path) -> None:
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", two_model_rows())]).rows)
    (table,) = report.rich_tables(s)
    assert sorted(table.columns[0].cells) == ["cot", "sc n=3 · serial", f"sc n=3 · {MODEL}"]


def test_regress_compares_each_model_of_a_configuration_apart(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", two_model_rows())
    # The serial model's sc drops from 8 to 0 of 10 while MODEL's rises from 4 to 10: merged, the two
    # would hide the drop (12 of 20 before, 10 of 20 after).
    worse = [
        {**r, "correct": False}
        if r["model"] == "serial"
        else {**r, "correct": True}
        if r["strategy"] == "sc"
        else r
        for r in two_model_rows()
    ]
    lines = regress.compare(_load(base), _load(write_run(tmp_path / "cand", worse)), 0.05, 0.05)
    got = {ln.config: ln for ln in lines}
    assert sorted(got) == ["cot", "sc n=3 · serial", f"sc n=3 · {MODEL}"]
    assert got["sc n=3 · serial"].regressed and not got[f"sc n=3 · {MODEL}"].regressed
    assert got["sc n=3 · serial"].comparison.n_baseline == 10


def test_regress_refuses_runs_on_other_models(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", group(10, 5))
    cand = write_run(tmp_path / "cand", [{**r, "model": "other"} for r in group(10, 5)])
    with pytest.raises(UserError, match="models"):
        regress.compare(_load(base), _load(cand), 0.05, 0.05)


def test_latency_mode_rows_are_their_own_group(tmp_path: Path) -> None:
    # The manifest predates ``concurrency``: each row's mode is read from its own ``in_flight``.
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", latency_and_batch_rows())]).rows)
    got = {r.mode: (r.n, r.latency_s) for r in s.itertuples()}
    assert got == {"batch": (10, 3.0), "latency": (10, 1.0)}


def resumed_batch_rows() -> list[dict[str, Any]]:
    """The batch pass of :func:`latency_and_batch_rows`, resumed for its last problem, which ran alone."""
    return [{**r, "in_flight": 16 if i < 9 else 1, "latency_s": 3.0} for i, r in enumerate(group(10, 6))]


def test_the_mode_is_each_runs_own_not_each_rows(tmp_path: Path) -> None:
    alone = [{**r, "in_flight": 1, "latency_s": 1.0} for r in group(10, 6)]
    batch_dir = write_run(tmp_path / "batch", resumed_batch_rows(), concurrency=16)
    latency_dir = write_run(tmp_path / "latency", alone, concurrency=1)
    s = analysis.summarize(analysis.load([batch_dir, latency_dir]).rows)
    got = {r.mode: (r.n, r.latency_s) for r in s.itertuples()}
    assert got == {"batch": (10, 3.0), "latency": (10, 1.0)}


def test_a_batch_run_with_one_row_solved_alone_shows_batch_latency(tmp_path: Path) -> None:
    rows = analysis.load([write_run(tmp_path / "r", resumed_batch_rows(), concurrency=16)]).rows
    picked, how = analysis.latency_view(rows)
    assert len(picked) == 10 and how == "batch: 16 in flight"


def test_rows_without_in_flight_count_as_batch(tmp_path: Path) -> None:
    rows = [{**r, "in_flight": None} for r in group(3, 1)]
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", rows)]).rows)
    assert list(s["mode"]) == ["batch"]


def test_batch_first_drops_latency_rows_only_where_batch_rows_measure_the_group(tmp_path: Path) -> None:
    rows = latency_and_batch_rows()
    rows += [{**r, "in_flight": 1} for r in group(4, 2, strategy="apr", config_id="apr-0", label="apr")]
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", rows)]).rows)
    kept = analysis.batch_first(s)
    assert sorted(zip(kept["strategy"], kept["mode"], strict=True)) == [("apr", "latency"), ("cot", "batch")]


def test_plot_latency_panel_uses_latency_rows_and_the_others_batch_rows(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", latency_and_batch_rows())]).rows)
    fig = plot.figure(s, ["critical-path", "latency"])
    try:
        path_ax, latency_ax = fig.axes
        (on_path,) = [ln for ln in path_ax.get_lines() if ln.get_label() == "cot"]
        (on_latency,) = [ln for ln in latency_ax.get_lines() if ln.get_label() == "cot"]
        assert list(on_path.get_xdata()) == [104.5]  # one point: the batch group, not both
        assert list(on_latency.get_xdata()) == [1.0]  # the latency-mode group's wall-clock
        assert latency_ax.get_xlabel().endswith("one at a time")
    finally:
        plt.close(fig)


def test_report_shows_the_mode_when_both_are_present(tmp_path: Path) -> None:
    s = analysis.summarize(analysis.load([write_run(tmp_path / "r", latency_and_batch_rows())]).rows)
    (table,) = report.rich_tables(s)
    assert [c.header for c in table.columns][:3] == ["configuration", "budget", "mode"]
    assert list(table.columns[2].cells) == ["batch", "latency"]
    back = report.parse_markdown(report.markdown(s))
    assert list(back["mode"]) == ["batch", "latency"] and list(back["n"]) == [10, 10]


def test_report_leaves_the_mode_out_when_there_is_one(summary: pd.DataFrame) -> None:
    (table,) = report.rich_tables(summary)
    assert "mode" not in [c.header for c in table.columns]
    assert "mode" not in report.parse_markdown(report.markdown(summary)).columns


def test_regress_counts_batch_rows_once_when_a_latency_pass_repeats_them(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", group(10, 6, budget="ctx2k"))
    cand = write_run(tmp_path / "cand", latency_and_batch_rows())
    (line,) = regress.compare(_load(base), _load(cand), 0.05, 0.05)
    assert (line.comparison.n_candidate, line.comparison.candidate) == (10, 0.6)


# ---------------------------------------------------------------------------------------------------------
# the commands


@pytest.mark.parametrize("fmt", ["markdown", "csv", "json"])
def test_report_command_prints_parsable_output(
    capsys, run_dir: Path, summary: pd.DataFrame, fmt: str
) -> None:
    code, out, _ = cli(capsys, "report", run_dir, "--format", fmt)
    assert code == 0
    if fmt == "markdown":
        back = report.parse_markdown(out)
        accuracy, budgets = list(back["accuracy"]), list(back["budget"])
    elif fmt == "csv":
        back = pd.read_csv(io.StringIO(out))
        accuracy, budgets = list(back["accuracy"]), list(back["budget"])
    else:
        records = json.loads(out)
        accuracy, budgets = [r["accuracy"] for r in records], [r["budget"] for r in records]
    assert budgets == ["ctx1k", "ctx2k", "ctx4k", "ctx8k", "ctx2k"]
    assert accuracy == pytest.approx([0.3, 0.5, 0.8, 0.7, 0.5])


def test_report_command_rich_shows_tables_and_sample_curves(capsys, run_dir: Path) -> None:
    code, out, _ = cli(capsys, "report", run_dir)
    assert code == 0
    assert "countdown / cd3" in out and "30.0%" in out and "sc n=3" in out
    assert "maj@k" in out and "83.3%" in out  # pass@2 = 5/6
    code, out, _ = cli(capsys, "report", run_dir, "--no-samples")
    assert code == 0 and "maj@k" not in out


def test_report_command_reads_a_sweep_directory(capsys, tmp_path: Path) -> None:
    root = tmp_path / "sweep"
    write_run(root / "a", group(4, 1, budget="ctx1k"))
    write_run(root / "b", [{**r, "model": "other"} for r in group(5, 5, budget="ctx1k")])
    code, out, _ = cli(capsys, "report", root, "--format", "json")
    assert code == 0
    got = sorted((r["model"], r["n"], r["accuracy"]) for r in json.loads(out))
    assert got == [("other", 5, 1.0), (MODEL, 4, 0.25)]


def test_report_command_refuses_bad_input(capsys, run_dir: Path, tmp_path: Path) -> None:
    code, out, err = cli(capsys, "report", run_dir, "--format", "xml")
    assert_one_line_error(code, err)
    assert "unknown format" in err and out == ""
    code, _, err = cli(capsys, "report", tmp_path)
    assert_one_line_error(code, err)
    assert "not a results directory" in err
    code, _, err = cli(capsys, "report", tmp_path / "missing", "--format", "csv")
    assert_one_line_error(code, err)


def test_plot_votes_draws_maj_at_k_along_the_tokens_samples_cost(run_dir: Path) -> None:
    import matplotlib.pyplot as plt

    loaded = analysis.load([run_dir])
    summary = analysis.summarize(loaded.rows)
    fig = plot.figure(summary, ["tokens", "context"], votes=analysis.sample_curves(loaded.rows))
    try:
        tokens_panel, context_panel = fig.axes
        (curve,) = [ln for ln in tokens_panel.get_lines() if "maj@k" in ln.get_label()]
        assert curve.get_label() == "sc maj@k (sc n=3 @ ctx2k, k=1..3)"
        assert curve.get_color() == plot.COLOURS["sc"]
        # maj@k is 1/2, 5/6, 1 at 30 + 1470.5 k / 3 tokens (test_sample_curves_match_hand_enumeration);
        # k = 3 is the configuration itself, at its own mean tokens (1500.5).
        assert list(curve.get_ydata()) == pytest.approx([1 / 2, 5 / 6, 1.0])
        assert list(curve.get_xdata()) == pytest.approx([30 + 1470.5 * k / 3 for k in (1, 2, 3)])
        assert curve.get_xdata()[-1] == pytest.approx(1500.5)
        assert not [ln for ln in context_panel.get_lines() if "maj@k" in ln.get_label()]
    finally:
        plt.close(fig)


def test_plot_votes_draw_the_batch_rows_and_only_the_k_every_problem_reached(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    rows = standard_rows()
    # The sc rows again, timed alone (latency mode: the batch rows count), and a third sc problem whose
    # draw a budget cut to two samples: k = 3 would average one problem fewer than k = 1 and 2.
    timed = [{**r, "in_flight": 1, "latency_s": 9.0} for r in rows if r["strategy"] == "sc"]
    batch = [{**r, "in_flight": 8} for r in rows if r["strategy"] == "sc"]
    short = {**batch[0], "problem_id": "cd3-9", "problem_index": 9}
    short["candidates"] = json.dumps(SC_CANDIDATES[0][:2])
    loaded = analysis.load([write_run(tmp_path / "r", [*batch, short, *timed])])
    fig = plot.figure(analysis.summarize(loaded.rows), ["tokens"], votes=analysis.sample_curves(loaded.rows))
    try:
        (curve,) = [ln for ln in fig.axes[0].get_lines() if "maj@k" in ln.get_label()]
        assert len(curve.get_xdata()) == 2 and curve.get_label().endswith("k=1..2)")
    finally:
        plt.close(fig)


def test_plot_votes_needs_sampled_results_and_the_tokens_panel(capsys, run_dir: Path, tmp_path: Path) -> None:
    greedy = write_run(tmp_path / "greedy", group(4, 2))
    code, _, err = cli(capsys, "plot", greedy, "--votes", "-o", tmp_path / "fig.png")
    assert_one_line_error(code, err)
    assert "--votes" in err and not (tmp_path / "fig.png").exists()
    code, _, err = cli(capsys, "plot", run_dir, "--votes", "--x", "context", "-o", tmp_path / "fig.png")
    assert_one_line_error(code, err)
    assert "--x tokens" in err and not (tmp_path / "fig.png").exists()


def test_plot_command_writes_the_figure(capsys, run_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "out" / "fig.svg"
    code, _, err = cli(capsys, "plot", run_dir, "--x", "tokens", "--x", "context", "-o", path)
    assert code == 0
    assert path.stat().st_size > 500 and "wrote" in err
    code, _, err = cli(capsys, "plot", run_dir, "--x", "tokens", "-o", tmp_path / "fig.gif")
    assert_one_line_error(code, err)
    code, _, err = cli(capsys, "plot", run_dir, "--x", "flops", "-o", tmp_path / "fig.png")
    assert_one_line_error(code, err)
    assert not (tmp_path / "fig.png").exists()


def test_regress_command_exit_codes(capsys, baseline_dir: Path, tmp_path: Path) -> None:
    same = write_run(tmp_path / "same", regress_rows(80))
    code, out, _ = cli(capsys, "regress", same, "--baseline", baseline_dir)
    assert code == 0 and "No regression" in out and "REGRESSION" not in out

    worse = write_run(tmp_path / "worse", regress_rows(40))
    code, out, _ = cli(capsys, "regress", worse, "--baseline", baseline_dir)
    assert code == 1 and "REGRESSION" in out
    code, out, _ = cli(capsys, "regress", worse, "--baseline", baseline_dir, "--tolerance", "0.5")
    assert code == 0

    other_split = write_run(tmp_path / "split", [{**r, "split": "cd4"} for r in regress_rows(80)])
    code, out, err = cli(capsys, "regress", other_split, "--baseline", baseline_dir)
    assert_one_line_error(code, err)
    assert "task/split" in err and out == ""

    other_budget = write_run(
        tmp_path / "budget", [{**r, "budget": "ctx2k", "budget_context": 2048} for r in regress_rows(80)]
    )
    code, _, err = cli(capsys, "regress", other_budget, "--baseline", baseline_dir)
    assert_one_line_error(code, err)

    code, _, err = cli(capsys, "regress", same, "--baseline", tmp_path / "missing")
    assert_one_line_error(code, err)


def test_console_script_report_json(run_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reasonbench", "report", str(run_dir), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    assert [r["n"] for r in records] == [10, 10, 10, 10, 2]
    assert not any(math.isnan(r["ci_lo"]) for r in records)


@pytest.mark.parametrize(
    ("concurrency", "mode"),
    [
        (1, "latency"),
        (2, "batch"),
        (256, "batch"),
        (0, None),
        (-1, None),
        (True, None),
        ("1", None),
        (None, None),
        (1.0, None),
    ],
)
def test_a_runs_mode_is_read_only_from_a_positive_integer_concurrency(
    concurrency: Any, mode: str | None
) -> None:
    assert run_mode(concurrency) == mode


def test_the_batch_latency_label_spans_the_widths_the_lines_ran_at(tmp_path: Path) -> None:
    wide = [{**r, "in_flight": 64} for r in group(4, 2, strategy="sc")]
    narrow = [{**r, "in_flight": 16} for r in group(4, 2, strategy="cot")]
    rows = analysis.load([write_run(tmp_path / "r", wide + narrow, concurrency=64)]).rows
    assert analysis.latency_view(rows)[1] == "batch: 16-64 in flight"
    assert analysis.latency_view(analysis.summarize(rows))[1] == "batch: 16-64 in flight"
    only_wide = analysis.load([write_run(tmp_path / "w", wide, concurrency=64)]).rows
    assert analysis.latency_view(only_wide)[1] == "batch: 64 in flight"
