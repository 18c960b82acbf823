"""The frozen test sets ship in the package and regenerate byte for byte from the commands beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasonbench.errors import UserError
from reasonbench.frozen import (
    CHECKSUMS,
    FROZEN,
    SPLITS_DIR,
    freeze,
    load_problems,
    read_checksums,
    sha256,
    tasks_dir,
)
from reasonbench.tasks import get_task

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("fs", FROZEN, ids=lambda fs: fs.relpath)
def test_regeneration_matches_committed_checksum(fs) -> None:
    committed = read_checksums(SPLITS_DIR)
    assert fs.relpath in committed, f"{fs.relpath} missing from tasks/SHA256SUMS"
    assert sha256((SPLITS_DIR / fs.relpath).read_text()) == committed[fs.relpath]
    assert sha256(fs.render()) == committed[fs.relpath]


def test_every_frozen_command_is_documented() -> None:
    readme = (SPLITS_DIR / "README.md").read_text()
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
    with pytest.raises(UserError, match="checksum"):
        load_problems(fs.task, fs.split, 5, root=tmp_path)


def test_load_beyond_the_file_regenerates_the_same_prefix(tmp_path: Path) -> None:
    fs = next(f for f in FROZEN if f.split == "cd3")
    freeze([fs], tmp_path)
    more = load_problems(fs.task, fs.split, fs.count + 5, root=tmp_path)
    assert [p.to_json() for p in more[: fs.count]] == [
        p.to_json() for p in load_problems(fs.task, fs.split, fs.count, root=tmp_path)
    ]


def test_a_missing_frozen_file_is_an_error_not_a_regeneration(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"cd3-val\.jsonl has no file"):
        load_problems("countdown", "cd3", 5, root=tmp_path)


def test_a_frozen_file_without_its_checksum_is_refused(tmp_path: Path) -> None:
    fs = next(f for f in FROZEN if f.split == "cd3")
    freeze([fs], tmp_path)
    (tmp_path / CHECKSUMS).write_text("")
    with pytest.raises(UserError, match="no checksum"):
        load_problems(fs.task, fs.split, 5, root=tmp_path)


def test_frozen_sets_are_read_from_the_package_and_the_checkout_links_to_them() -> None:
    assert tasks_dir() == SPLITS_DIR
    assert SPLITS_DIR.parent == Path(__import__("reasonbench").__file__).resolve().parent
    assert (REPO / "tasks").resolve() == SPLITS_DIR


def test_package_data_covers_every_frozen_file() -> None:
    import tomllib

    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = SPLITS_DIR.parent
    shipped = {
        p.relative_to(SPLITS_DIR).as_posix()
        for pat in patterns["reasonbench"]
        for p in package.glob(pat)
        if p.is_relative_to(SPLITS_DIR)
    }
    assert {fs.relpath for fs in FROZEN} | {CHECKSUMS, "README.md"} <= shipped
