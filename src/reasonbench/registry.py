"""Name → object registries that reject duplicates and load plugins lazily from entry points."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from reasonbench.errors import UserError

T = TypeVar("T")
log = logging.getLogger(__name__)


class Registry(Generic[T]):
    """A registry of named factories (tasks, strategies, engines).

    Built-ins register on import; third-party packages add entries through the entry-point ``group``,
    loaded the first time a name is looked up. A plugin that fails to load only logs a warning, so one
    broken package cannot take the command line down.
    """

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._items: dict[str, Callable[[], T]] = {}
        self._plugins_loaded = False

    def register(self, name: str, factory: Callable[[], T]) -> None:
        """Add ``factory`` under ``name``; a second registration of the same name is an error."""
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = factory

    def registered(self, name: str) -> bool:
        """Whether ``name`` is registered already, without loading plugins (a file that registers on
        import asks this to import itself once)."""
        return name in self._items

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.group):
            if ep.name in self._items:
                continue
            try:
                loaded = ep.load()
            except Exception as exc:  # a broken plugin must not break the CLI
                log.warning("could not load %s plugin %r: %s", self.kind, ep.name, exc)
                continue
            # Importing the plugin may have registered it already (its decorator ran): keep that one.
            if not self.registered(ep.name):
                self.register(ep.name, loaded)

    def get(self, name: str) -> T:
        """The object registered as ``name``; an unknown name is a :class:`UserError` listing the choices."""
        if name not in self._items:
            self._load_plugins()
        if name not in self._items:
            raise UserError(f"unknown {self.kind} {name!r}; choose from: {', '.join(self.names())}")
        return self._items[name]()

    def names(self) -> list[str]:
        """Every registered name, plugins included, sorted."""
        self._load_plugins()
        return sorted(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
