"""Frozen evaluation splits: package data (``reasonbench/splits/``, also ``tasks/`` in a checkout) with
SHA-256 checksums and the command that made them.

The files are a guard: every split is a pure function of its knobs and seed, so a fresh checkout can
regenerate it byte for byte (``reasonbench tasks freeze``) and a test proves that it does. Loading reads the
file and checks its checksum, so a hand-edited split cannot silently change results; a registered split
whose file or checksum is missing (an incomplete install) is an error, never a silent regeneration.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from reasonbench.errors import UserError
from reasonbench.tasks import get_task
from reasonbench.tasks.base import Problem

CHECKSUMS = "SHA256SUMS"


@dataclass(frozen=True)
class FrozenSplit:
    """One evaluation split kept as a file: the first ``count`` problems of ``task``/``split``."""

    task: str
    split: str
    count: int

    @property
    def relpath(self) -> str:
        return f"{self.task}/{self.split}-val.jsonl"

    @property
    def command(self) -> str:
        """The exact command that regenerates the file."""
        return f"reasonbench tasks freeze --task {self.task} --split {self.split} --count {self.count}"

    def render(self) -> str:
        """The file's content: one canonical JSON problem per line."""
        problems = get_task(self.task).generate(self.split, self.count)
        return "".join(p.to_json() + "\n" for p in problems)


FROZEN: tuple[FrozenSplit, ...] = (
    FrozenSplit("countdown", "cd4", 1000),
    FrozenSplit("countdown", "cd3", 500),
    FrozenSplit("sudoku", "sudoku4", 500),
    FrozenSplit("sudoku", "sudoku6", 200),
    FrozenSplit("sudoku", "sudoku6_search", 500),
    FrozenSplit("sudoku", "sudoku6_14givens", 500),
    FrozenSplit("sudoku", "sudoku9", 200),
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


SPLITS_DIR = Path(__file__).resolve().parent / "splits"
"""The frozen files shipped in the package (the checkout's top-level ``tasks/`` links here)."""


def tasks_dir() -> Path:
    """Where the frozen files live: ``$REASONBENCH_TASKS_DIR`` or the package's :data:`SPLITS_DIR`."""
    env = os.environ.get("REASONBENCH_TASKS_DIR")
    return Path(env) if env else SPLITS_DIR


def read_checksums(root: Path) -> dict[str, str]:
    """``relpath -> sha256`` from ``SHA256SUMS`` (the ``sha256sum`` format, so ``sha256sum -c`` works)."""
    path = root / CHECKSUMS
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        digest, _, rel = line.partition("  ")
        if rel:
            out[rel] = digest
    return out


def freeze(splits: list[FrozenSplit], root: Path) -> dict[str, str]:
    """Write the files of ``splits`` under ``root`` and update ``SHA256SUMS``; return their checksums."""
    sums = read_checksums(root)
    for fs in splits:
        text = fs.render()
        path = root / fs.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        sums[fs.relpath] = sha256(text)
    (root / CHECKSUMS).write_text("".join(f"{d}  {r}\n" for r, d in sorted(sums.items())))
    return sums


def find(task: str, split: str) -> FrozenSplit | None:
    """The frozen split of ``task``/``split``, if there is one."""
    return next((fs for fs in FROZEN if fs.task == task and fs.split == split), None)


def load_problems(task: str, split: str, count: int | None = None, root: Path | None = None) -> list[Problem]:
    """The first ``count`` problems of a split: a frozen split from its file (checksum verified), any other
    split regenerated. Beyond a frozen file's count the split is regenerated, which gives the same first
    problems."""
    fs = find(task, split)
    if fs is None:
        return get_task(task).generate(split, count if count is not None else 100)
    root = root or tasks_dir()
    path = root / fs.relpath
    expected = read_checksums(root).get(fs.relpath)
    if not path.exists() or expected is None:
        what = "file" if not path.exists() else f"checksum in {CHECKSUMS}"
        raise UserError(f"the frozen split {fs.relpath} has no {what} under {root}; regenerate: {fs.command}")
    text = path.read_text()
    if sha256(text) != expected:
        raise UserError(f"{path} does not match its checksum in {CHECKSUMS}; regenerate: {fs.command}")
    problems = [Problem.from_json(line) for line in text.splitlines() if line]
    if count is None or count <= len(problems):
        return problems[:count]
    return get_task(task).generate(split, count)
