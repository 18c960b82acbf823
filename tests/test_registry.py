"""Registries: names are unique, lookups load plugins lazily, a plugin that registers itself is kept."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from reasonbench import registry
from reasonbench.errors import UserError
from reasonbench.registry import Registry


def test_registered_reports_names_without_loading_plugins(monkeypatch) -> None:
    reg: Registry[int] = Registry("thing", "reasonbench.test-things")
    monkeypatch.setattr(registry, "entry_points", lambda group: pytest.fail("plugins were loaded"))
    reg.register("a", lambda: 1)
    assert reg.registered("a") and not reg.registered("b")


def test_a_second_registration_of_a_name_is_an_error() -> None:
    reg: Registry[int] = Registry("thing", "reasonbench.test-things")
    reg.register("a", lambda: 1)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", lambda: 2)


@dataclass
class _EntryPoint:
    name: str
    load_fn: object

    def load(self):
        return self.load_fn()


def test_a_plugin_whose_import_registers_it_loads_without_a_warning(monkeypatch, caplog) -> None:
    reg: Registry[str] = Registry("thing", "reasonbench.test-things")

    def import_module():  # what importing a module with a registering decorator does
        reg.register("plugged", lambda: "from the decorator")
        return object()

    monkeypatch.setattr(registry, "entry_points", lambda group: [_EntryPoint("plugged", import_module)])
    with caplog.at_level(logging.WARNING, logger="reasonbench.registry"):
        assert reg.get("plugged") == "from the decorator"
    assert caplog.records == []


def test_a_broken_plugin_warns_and_the_rest_still_work(monkeypatch, caplog) -> None:
    reg: Registry[str] = Registry("thing", "reasonbench.test-things")
    reg.register("builtin", lambda: "ok")

    def broken():
        raise ImportError("no module named missing_dependency")

    monkeypatch.setattr(registry, "entry_points", lambda group: [_EntryPoint("broken", broken)])
    with caplog.at_level(logging.WARNING, logger="reasonbench.registry"):
        assert reg.names() == ["builtin"]
    assert "missing_dependency" in caplog.text
    with pytest.raises(UserError, match="choose from: builtin"):
        reg.get("broken")
