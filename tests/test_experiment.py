"""One configuration builder: `run` options and the equivalent preset build the same runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reasonbench import session
from reasonbench.cli import main
from reasonbench.errors import UserError
from reasonbench.experiment import Experiment, StrategyGrid, build, engine_options
from reasonbench.sweep import load_preset


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    return int(exc.value.code), capsys.readouterr().err


@pytest.fixture
def built_by_run(monkeypatch):
    """The runs `reasonbench run ARGS` would execute, captured instead of executed."""

    def runs(capsys, *argv: str) -> list:
        seen: list[Experiment] = []
        monkeypatch.setattr(session, "run", lambda experiment, *a, **kw: seen.append(experiment))
        code, err = cli(capsys, "run", *argv)
        assert code == 0, err
        (experiment,) = seen
        return build(experiment)

    return runs


def preset(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text)
    return path


def test_run_and_the_equivalent_preset_build_equal_configurations(capsys, built_by_run, tmp_path) -> None:
    args = ("--strategy", "sc", "-P", "n=4", "-P", "max_tokens=64", "--split", "cd3", "-n", "7")
    (by_run,) = built_by_run(capsys, *args, "-b", "1k", "-b", "tokens:2k", "--model", "m")
    (by_sweep,) = load_preset(
        preset(
            tmp_path,
            'split = "cd3"\nn_problems = 7\nbudgets = ["1k", "tokens:2k"]\nmodel = "m"\n'
            '[[strategy]]\nname = "sc"\nparams = { n = 4, max_tokens = 64 }\n',
        )
    )
    assert by_run == by_sweep
    assert by_run.config_hash() == by_sweep.config_hash()


def test_a_preset_and_run_give_one_default_dtype(capsys, built_by_run, tmp_path) -> None:
    (by_run,) = built_by_run(capsys, "--strategy", "cot", "--model", "m")
    (by_sweep,) = load_preset(preset(tmp_path, 'model = "m"\n[[strategy]]\nname = "cot"\n'))
    assert by_run.engine_options["dtype"] == by_sweep.engine_options["dtype"] != "auto"


def test_engine_args_nest_alike_from_the_command_line_and_a_preset(capsys, built_by_run, tmp_path) -> None:
    (by_run,) = built_by_run(
        capsys,
        *("--strategy", "cot", "--model", "m", "--max-model-len", "512", "--dtype", "float32"),
        *("--engine-arg", "swap_space=2", "--engine-arg", "block-size=32"),
    )
    (by_sweep,) = load_preset(
        preset(
            tmp_path,
            'model = "m"\nengine = { block_size = 32, max_model_len = 512, dtype = "float32", '
            'engine_args = { swap_space = 2 } }\n[[strategy]]\nname = "cot"\n',
        )
    )
    assert by_run.engine_options == by_sweep.engine_options
    assert by_run.engine_options["engine_args"] == {"block_size": 32, "swap_space": 2}
    assert by_run.config_hash() == by_sweep.config_hash()


def test_a_grid_axis_is_the_same_from_param_and_from_a_preset(capsys, built_by_run, tmp_path) -> None:
    (by_run,) = built_by_run(capsys, "--strategy", "sc", "-P", "n=[2,4]", "--model", "m")
    (by_sweep,) = load_preset(
        preset(tmp_path, 'model = "m"\n[[strategy]]\nname = "sc"\nparams = { n = [2, 4] }\n')
    )
    assert [s.label for s in by_run.strategies] == ["sc n=2", "sc n=4"]
    assert by_run.config_hash() == by_sweep.config_hash()


def test_a_malformed_param_names_param_and_exits_2(capsys) -> None:
    code, err = cli(capsys, "run", "--strategy", "cot", "--model", "m", "-P", "max_tokens")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--param expects key=value" in err and "--engine-arg" not in err


def test_a_malformed_engine_arg_names_engine_arg(capsys) -> None:
    code, err = cli(capsys, "run", "--strategy", "cot", "--model", "m", "--engine-arg", "=3")
    assert code == 2 and "--engine-arg expects key=value" in err


def test_an_option_the_openai_backend_does_not_take_is_a_user_error() -> None:
    with pytest.raises(UserError, match="'dtype' does not apply to the openai backend"):
        engine_options("openai", {"dtype": "half"})


def test_an_unknown_backend_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown backend 'tgi'"):
        build(Experiment((StrategyGrid("cot"),), model="m", backend="tgi"))


def test_the_same_configuration_twice_is_refused(capsys) -> None:
    code, err = cli(capsys, "run", "--strategy", "cot", "--strategy", "cot", "--model", "m")
    assert code == 2 and "appears twice" in err


def test_strategies_without_a_model_run_on_the_shipped_model_each_fits(tmp_path) -> None:
    runs = build(Experiment((StrategyGrid("cot"), StrategyGrid("apr")), split="cd3"))
    assert {r.model: [s.name for s in r.strategies] for r in runs} == {
        "countdown-direct": ["cot"],
        "countdown-apr": ["apr"],
    }
    assert session.directories(runs, tmp_path) == [tmp_path / "countdown-direct", tmp_path / "countdown-apr"]


def test_the_default_results_directory_is_named_by_the_run_or_the_preset(tmp_path) -> None:
    run = Experiment((StrategyGrid("cot"), StrategyGrid("sc")), task="sudoku")
    assert run.default_out() == Path("results/sudoku-sudoku6_14givens-cot-sc")
    assert Experiment((StrategyGrid("cot"),), name="cpu-demo").default_out() == Path("results/cpu-demo")


def test_a_latency_run_has_its_own_default_directory_though_it_shares_the_config_hash() -> None:
    batch = Experiment((StrategyGrid("cot"),), split="cd3", model="m")
    latency = dataclasses.replace(batch, concurrency=1)
    assert batch.default_out() == Path("results/countdown-cd3-cot")
    assert latency.default_out() == Path("results/countdown-cd3-cot-latency")
    named = Experiment((StrategyGrid("cot"),), name="cpu-demo", concurrency=1)
    assert named.default_out() == Path("results/cpu-demo-latency")
    # The hash is what a resumed run checks a directory against: the directory alone keeps the two apart.
    assert build(latency)[0].config_hash() == build(batch)[0].config_hash()


def test_one_configuration_on_two_models_is_one_run_on_each() -> None:
    runs = build(
        Experiment(
            (StrategyGrid("sc", {"n": 4}, "model-a"), StrategyGrid("sc", {"n": 4}, "model-b")), split="cd3"
        )
    )
    assert [(r.model, [s.label for s in r.strategies]) for r in runs] == [
        ("model-a", ["sc n=4"]),
        ("model-b", ["sc n=4"]),
    ]
    assert runs[0].config_hash() != runs[1].config_hash()


def test_the_same_configuration_twice_on_one_model_is_refused() -> None:
    twice = (StrategyGrid("sc", {"n": 4}, "model-a"), StrategyGrid("sc", {"n": 4}, "model-a"))
    with pytest.raises(UserError, match="twice on model model-a"):
        build(Experiment(twice, split="cd3"))


def test_two_models_of_one_name_get_directories_of_their_own(tmp_path) -> None:
    grids = (StrategyGrid("cot", {}, "a/countdown-sos"), StrategyGrid("cot", {}, "b/countdown-sos"))
    dirs = session.directories(build(Experiment(grids, split="cd3")), tmp_path)
    assert len(set(dirs)) == 2
    assert all(d.parent == tmp_path and d.name.startswith("countdown-sos-") for d in dirs)
