"""The frozen test sets regenerate byte for byte from the commands recorded beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasonbench.frozen import FROZEN, freeze, load_problems, read_checksums, sha256, tasks_dir
from reasonbench.tasks import get_task

REPO_TASKS = Path(__file__).resolve().parents[1] / "tasks"


@pytest.mark.parametrize("fs", FROZEN, ids=lambda fs: fs.relpath)
def test_regeneration_matches_committed_checksum(fs) -> None:
    committed = read_checksums(REPO_TASKS)
    assert fs.relpath in committed, f"{fs.relpath} missing from tasks/SHA256SUMS"
    assert sha256((REPO_TASKS / fs.relpath).read_text()) == committed[fs.relpath]
    assert sha256(fs.render()) == committed[fs.relpath]


def test_every_frozen_command_is_documented() -> None:
    readme = (REPO_TASKS / "README.md").read_text()
    for fs in FROZEN:
        assert fs.command in readme


@pytest.mark.parametrize("fs", FROZEN, ids=lambda fs: fs.relpath)
def test_frozen_problems_have_reference_answers_that_verify(fs) -> None:
    task = get_task(fs.task)
    for p in load_problems(fs.task, fs.split, 20):
        answer = task.reference_answer(p)
        assert answer is not None
        assert task.verify(p, answer).correct


def test_tampered_file_is_refused(tmp_path: Path) -> None:
    fs = next(f for f in FROZEN if f.split == "cd3")
    freeze([fs], tmp_path)
    path = tmp_path / fs.relpath
    path.write_text(path.read_text().replace('"target":', '"target": ', 1))
    from reasonbench.errors import UserError

    with pytest.raises(UserError, match="checksum"):
        load_problems(fs.task, fs.split, 5, root=tmp_path)


def test_load_beyond_the_file_regenerates_the_same_prefix(tmp_path: Path) -> None:
    fs = next(f for f in FROZEN if f.split == "cd3")
    freeze([fs], tmp_path)
    more = load_problems(fs.task, fs.split, fs.count + 5, root=tmp_path)
    assert [p.to_json() for p in more[: fs.count]] == [
        p.to_json() for p in load_problems(fs.task, fs.split, fs.count, root=tmp_path)
    ]


def test_tasks_dir_is_the_checkout() -> None:
    assert tasks_dir().resolve() == REPO_TASKS.resolve()
