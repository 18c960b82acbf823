"""The command line: help, data on stdout, one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reasonbench.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exc.value.code), captured.out, captured.err


def test_help_lists_the_task_commands(capsys) -> None:
    code, out, _ = run(capsys, "tasks", "--help")
    assert code == 0
    for cmd in ("generate", "show", "solve", "verify", "freeze"):
        assert cmd in out


@pytest.mark.parametrize(
    "argv",
    [
        ("tasks", "nope"),
        ("tasks", "generate", "countdown", "--split", "cd9"),
        ("tasks", "generate", "chess", "--split", "cd4"),
        ("tasks", "generate", "countdown", "--split", "cd4", "--count", "-3"),
        ("tasks", "solve", "countdown", "--problem", "twenty four"),
        ("tasks", "show", "countdown", "--split", "cd3", "--trace", "nonsense"),
        ("tasks", "solve", "sudoku", "--problem", "12x"),
        ("run", "--task", "sudoku", "--split", "sudoku4", "--strategy", "apr"),  # no shipped model fits
        ("run", "--strategy", "cot", "--model", "m", "--budget", "4q"),
        ("report", "no/such/results"),
        ("plot", "no/such/results", "-o", "fig.gif"),
        ("regress", "no/such/results", "--baseline", "no/such/baseline"),
        ("compare", "no/such/results", "-a", "apr", "-b", "backtrack"),
        ("compare", "no/such/results", "-a", "apr@", "-b", "backtrack"),  # refused before reading
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, argv) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("reasonbench: error:")
    assert "Traceback" not in err


def test_resuming_into_results_of_another_configuration_is_refused_before_the_engine_opens(
    capsys, tmp_path
) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"config_hash": "0123456789abcdef"}))
    argv = ("run", "--task", "countdown", "--split", "cd3", "--strategy", "cot", "-n", "2")
    code, _, err = run(capsys, *argv, "--model", "countdown-direct", "--out", str(tmp_path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "another configuration" in err and "opening" not in err


def test_generate_prints_jsonl_that_parses(capsys) -> None:
    code, out, _ = run(capsys, "tasks", "generate", "countdown", "--split", "cd3", "-n", "5")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 5
    assert all(len(r["nums"]) == 3 and r["split"] == "cd3" for r in rows)


def test_solve_then_verify_roundtrip(capsys) -> None:
    code, out, _ = run(capsys, "tasks", "solve", "countdown", "--problem", "4 9 3 -> 24")
    assert code == 0
    code, out, _ = run(capsys, "tasks", "verify", "countdown", "--problem", "24:[4, 9, 3]", "--answer", out)
    assert code == 0 and "correct" in out


def test_verify_wrong_answer_exits_1_with_reason(capsys) -> None:
    code, out, _ = run(
        capsys, "tasks", "verify", "countdown", "--problem", "24:[4, 9, 3]", "--answer", "9*3-4"
    )
    assert code == 1
    assert "wrong" in out


def test_solve_unsolvable_exits_1(capsys) -> None:
    code, _, err = run(capsys, "tasks", "solve", "countdown", "--problem", "50:[1, 1, 1]")
    assert code == 1 and "no solution" in err


def test_console_script_runs_in_a_subprocess() -> None:
    # The installed entry point, not just the function: what a user types.
    proc = subprocess.run(
        [sys.executable, "-m", "reasonbench", "tasks", "generate", "countdown", "--split", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "unknown countdown split" in proc.stderr


def test_help_joins_the_docstrings_hard_line_breaks(capsys, monkeypatch) -> None:
    # Docstrings are wrapped for the source; help rewraps them to the terminal, so a sentence the source
    # breaks across lines reads on one line of a wide terminal, while an indented example keeps its lines.
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERMINAL_WIDTH", "200")
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0 and "(from scratch, or warm-started); checkpoints resume exactly." in out
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "checkpoints resume exactly." in out


def test_help_prose_keeps_paragraphs_and_examples() -> None:
    from reasonbench.cli import _prose

    text = "First line\nwraps here.\n\nSecond\nparagraph.\n\n    reasonbench run\n    --strategy cot\n"
    example = "    reasonbench run\n    --strategy cot"
    assert _prose(text) == f"First line wraps here.\n\nSecond paragraph.\n\n{example}"
