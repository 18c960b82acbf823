"""The result row: one definition; the writer refuses anything else; old result files still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasonbench.results import MANIFEST, ResultWriter, read_rows
from reasonbench.rows import COLUMNS, REQUIRED, Row

REPO = Path(__file__).resolve().parents[1]


def a_row(**kw) -> dict:
    base = dict(
        task="countdown",
        split="cd3",
        problem_id="cd3-7",
        problem_index=7,
        strategy="cot",
        config_id="abc",
        config_label="cot",
        params="{}",
        budget="ctx1k",
        budget_context=1024,
        budget_tokens=None,
        budget_latency_s=None,
        seed=3,
        correct=True,
        answer="(9-3)*4 = 24",
        reason="ok",
        finish="answered",
        decoded_tokens=40,
        prompt_tokens=12,
        cached_tokens=5,
        tokens=47,
        max_context=52,
        critical_path=40,
        flops=1.5e6,
        threads=1,
        engine_calls=1,
        latency_s=0.25,
        candidates="[]",
        info="{}",
        trace="Current State: 24:[4, 9, 3]",
        calls="[]",
        derived_from=None,
        model="m",
        backend="vllm",
        in_flight=2,
        timeline=None,
    )
    return Row(**{**base, **kw}).as_dict()


def writer(directory: Path) -> ResultWriter:
    return ResultWriter(directory, manifest={"config_hash": "h"})


def test_a_row_reads_back_as_written(tmp_path: Path) -> None:
    w = writer(tmp_path)
    original = a_row()
    w.add(original)
    w.flush()
    (back,) = read_rows(tmp_path).to_dict("records")
    assert {k: (None if v != v else v) for k, v in back.items()} == original  # NaN is how pandas says None


def test_a_misspelt_column_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    w = writer(tmp_path)
    row = a_row()
    row["in_fligth"] = row.pop("in_flight")
    with pytest.raises(ValueError, match="in_fligth"):
        w.add(row)
    w.flush()
    assert read_rows(tmp_path).empty


def test_a_row_missing_a_column_is_refused(tmp_path: Path) -> None:
    row = a_row()
    del row["timeline"]
    with pytest.raises(ValueError, match="missing columns \\['timeline'\\]"):
        writer(tmp_path).add(row)


def test_none_in_a_required_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="decoded_tokens"):
        writer(tmp_path).add(a_row(decoded_tokens=None))


def test_a_row_with_an_unknown_field_cannot_be_built() -> None:
    with pytest.raises(TypeError, match="budget_contxt"):
        a_row(budget_contxt=5)


def _reference_runs() -> list[Path]:
    return sorted(p.parent for p in (REPO / "results").rglob(MANIFEST))


@pytest.mark.parametrize("run", _reference_runs(), ids=lambda p: str(p.relative_to(REPO)))
def test_committed_reference_runs_read_as_rows(run: Path) -> None:
    df = read_rows(run)
    assert list(df.columns) == list(COLUMNS) and len(df) > 0
    # Files that predate a column read it as null; a required column is never null.
    assert [c for c in REQUIRED if df[c].isna().any()] == []
    assert not df.duplicated(["problem_id", "config_id", "budget", "seed"]).any()


def test_the_reference_runs_are_found() -> None:
    assert len(_reference_runs()) >= 3


def test_every_column_is_documented_in_the_design() -> None:
    design = (REPO / "docs" / "design.md").read_text()
    section = design.split("## Results", 1)[1].split("\n## ", 1)[0]
    assert [c for c in COLUMNS if f"`{c}`" not in section] == []


def test_the_manifest_names_the_configuration(tmp_path: Path) -> None:
    from reasonbench.budget import Budget
    from reasonbench.results import run_manifest
    from reasonbench.runner import RunConfig, StrategyConfig
    from reasonbench.strategies.cot import CoTParams

    config = RunConfig(
        "countdown", "cd3", (StrategyConfig("cot", CoTParams(max_tokens=9)),), (Budget(context=512),), 4
    )
    manifest = run_manifest(config, "tiny")
    assert manifest["config_hash"] == config.config_hash()
    assert manifest["model_name"] == "tiny" and manifest["budgets"] == ["ctx512"]
    assert manifest["strategies"][0]["params"] == {"max_tokens": 9, "temperature": 0.0}
    json.dumps(manifest)  # it is written as JSON
