"""Sweep presets: several strategies x configurations x budgets in one engine, from a TOML file.

    task = "countdown"
    split = "cd3"                                   # optional: the task's default split
    n_problems = 100
    budgets = ["1k", "2k", "4k"]
    [[strategy]]
    name = "sc"
    params = { n = [2, 4, 8], temperature = 1.0 }   # a list is a grid axis

Every combination of list-valued parameters is one configuration; duplicates are rejected.
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path
from typing import Any

from reasonbench.budget import Budget
from reasonbench.errors import UserError
from reasonbench.runner import DEFAULT_CONCURRENCY, RunConfig, StrategyConfig
from reasonbench.strategies.base import resolve
from reasonbench.tasks import get_task, resolve_split

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


def strategy_configs(name: str, params: dict[str, Any]) -> list[StrategyConfig]:
    """Expand list-valued parameters into a grid of configurations of strategy ``name``."""
    spec = resolve(name)
    axes = {k: (v if isinstance(v, list) else [v]) for k, v in params.items()}
    out = []
    for combo in itertools.product(*axes.values()) if axes else [()]:
        knobs = dict(zip(axes, combo, strict=True))
        try:
            out.append(StrategyConfig(spec.name, spec.make_params(**knobs)))
        except (TypeError, ValueError) as exc:
            raise UserError(f"strategy {name}: {exc}") from exc
    return out


def load_preset(path: Path, **overrides: Any) -> list[RunConfig]:
    """The runs a preset file describes, one per model (``overrides`` win over the file).

    A strategy's model is its entry's ``model``, else the preset's, else the shipped model that fits the
    task and strategy; strategies that share a model share one run (one engine).
    """
    if not path.exists():
        raise UserError(f"no preset file {path}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: {exc}") from exc
    unknown = sorted(set(raw) - _TOP)
    if unknown:
        raise UserError(f"{path}: unknown keys {unknown}")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    task = raw.get("task", "countdown")
    split = resolve_split(get_task(task), raw.get("split"))
    configs: list[tuple[StrategyConfig, str | None]] = []
    for entry in raw.get("strategy", []):
        if "name" not in entry or not set(entry) <= {"name", "params", "model"}:
            raise UserError(f"{path}: every [[strategy]] needs a name and takes only name, params, model")
        model = overrides.get("model") or entry.get("model") or raw.get("model")
        configs += [(c, model) for c in strategy_configs(entry["name"], entry.get("params", {}))]
    if not configs:
        raise UserError(f"{path}: no [[strategy]] entries")
    ids = [c.id for c, _ in configs]
    if len(set(ids)) != len(ids):
        raise UserError(f"{path}: the same strategy configuration appears twice")
    return [
        RunConfig(
            task=task,
            split=split,
            strategies=tuple(group),
            budgets=tuple(Budget.parse(b) for b in raw.get("budgets", ["4k"])),
            n_problems=int(raw.get("n_problems", 100)),
            seeds=tuple(raw.get("seeds", [0])),
            model=model,
            backend=raw.get("backend", "vllm"),
            profile=raw.get("profile", "trace"),
            engine_options=dict(raw.get("engine", {})),
            concurrency=int(raw.get("concurrency", DEFAULT_CONCURRENCY)),
        )
        for model, group in group_by_model(task, split, configs).items()
    ]


def group_by_model(
    task: str, split: str, configs: list[tuple[StrategyConfig, str | None]]
) -> dict[str, list[StrategyConfig]]:
    """Configurations by the model that runs them: the one named with it, else the shipped model that
    fits the task, split and strategy. Strategies that share a model share one run (one engine)."""
    from reasonbench.models import require_default_model

    groups: dict[str, list[StrategyConfig]] = {}
    for config, model in configs:
        name = model or require_default_model(task, split, config.name)
        groups.setdefault(name, []).append(config)
    return groups
