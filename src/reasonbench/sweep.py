"""Sweep presets: several strategies x configurations x budgets, from a TOML file.

    task = "countdown"
    split = "cd3"                                   # optional: the task's default split
    n_problems = 100
    budgets = ["1k", "2k", "4k"]
    engine = { max_model_len = 4096 }               # optional: engine options, as `run` takes them
    [[strategy]]
    name = "sc"
    params = { n = [2, 4, 8], temperature = 1.0 }   # a list is a grid axis

Every combination of list-valued parameters is one configuration; duplicates are rejected. A preset reads
into the same :class:`~reasonbench.experiment.Experiment` that ``reasonbench run`` builds from its options,
so both get the same configuration (:func:`reasonbench.experiment.build`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from reasonbench.errors import UserError
from reasonbench.experiment import Experiment, StrategyGrid, build
from reasonbench.runner import RunConfig

_TOP = {
    "task",
    "split",
    "n_problems",
    "budgets",
    "seeds",
    "model",
    "backend",
    "profile",
    "concurrency",
    "engine",
    "strategy",
}
_ENTRY = {"name", "params", "model"}


def read_preset(path: Path, **overrides: Any) -> Experiment:
    """The experiment a preset file describes (``overrides`` that are not ``None`` win over the file; a
    ``model`` override serves every strategy)."""
    if not path.exists():
        raise UserError(f"no preset file {path}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: {exc}") from exc
    unknown = sorted(set(raw) - _TOP)
    if unknown:
        raise UserError(f"{path}: unknown keys {unknown}")
    entries = raw.pop("strategy", [])
    if not entries:
        raise UserError(f"{path}: no [[strategy]] entries")
    if any("name" not in e or not set(e) <= _ENTRY for e in entries):
        raise UserError(f"{path}: every [[strategy]] needs a name and takes only name, params, model")
    forced = overrides.get("model")
    strategies = tuple(
        StrategyGrid(e["name"], e.get("params", {}), None if forced else e.get("model")) for e in entries
    )
    fields: dict[str, Any] = {**raw, **{k: v for k, v in overrides.items() if v is not None}}
    for key, kind in (("budgets", list), ("seeds", list), ("n_problems", int), ("concurrency", int)):
        if key in fields and not isinstance(fields[key], kind):
            raise UserError(f"{path}: {key} must be a {kind.__name__}, got {fields[key]!r}")
    fields.update({k: tuple(fields[k]) for k in ("budgets", "seeds") if k in fields})
    return Experiment(strategies=strategies, name=path.stem, **fields)


def load_preset(path: Path, **overrides: Any) -> list[RunConfig]:
    """The runs a preset file describes, one per model (see :func:`read_preset`)."""
    return build(read_preset(path, **overrides))
