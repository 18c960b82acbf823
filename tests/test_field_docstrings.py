"""Every knob a user sets, every field of a run's configuration and every field at the engine boundary says
what it means: a string literal right after the field, the convention vLLM's SamplingParams follows."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import textwrap
from dataclasses import dataclass

import pytest

from reasonbench.engine import types as engine_types
from reasonbench.runner import RunConfig, StrategyConfig
from reasonbench.strategies import STRATEGIES


def undocumented(cls: type) -> list[str]:
    """The fields of dataclass ``cls`` (inherited ones included) with no string literal right after them."""
    documented: dict[type, set[str]] = {}
    missing = []
    for f in dataclasses.fields(cls):
        owner = next(c for c in cls.__mro__ if f.name in vars(c).get("__annotations__", {}))
        if owner not in documented:
            body = ast.parse(textwrap.dedent(inspect.getsource(owner))).body[0].body
            documented[owner] = {
                a.target.id
                for a, b in itertools.pairwise(body)
                if isinstance(a, ast.AnnAssign)
                and isinstance(a.target, ast.Name)
                and isinstance(b, ast.Expr)
                and isinstance(b.value, ast.Constant)
                and isinstance(b.value.value, str)
            }
        if f.name not in documented[owner]:
            missing.append(f"{owner.__qualname__}.{f.name}")
    return missing


@dataclass(frozen=True)
class _Half:
    said: int = 1
    """A documented field."""
    unsaid: int = 2
    # a comment is not a docstring
    also_unsaid: int = 3


@dataclass(frozen=True)
class _Child(_Half):
    extra: int = 4
    """Documented in the subclass."""


def test_the_check_names_every_field_without_a_docstring_inherited_ones_included() -> None:
    assert undocumented(_Child) == ["_Half.unsaid", "_Half.also_unsaid"]


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_every_strategy_parameter_has_a_docstring(name: str) -> None:
    assert undocumented(STRATEGIES.get(name).params) == []


ENGINE_TYPES = [
    obj
    for obj in vars(engine_types).values()
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__ == engine_types.__name__
]


@pytest.mark.parametrize("cls", ENGINE_TYPES, ids=lambda c: c.__name__)
def test_every_field_at_the_engine_boundary_has_a_docstring(cls: type) -> None:
    assert undocumented(cls) == []


@pytest.mark.parametrize("cls", [RunConfig, StrategyConfig], ids=lambda c: c.__name__)
def test_every_field_of_a_runs_configuration_has_a_docstring(cls: type) -> None:
    assert undocumented(cls) == []
