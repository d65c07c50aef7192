"""Which stores exist and how to open them: one registry of kinds, imported lazily.

A kind ("local", "openbao") names the class that implements it as
"module:attribute", so a store nobody uses is never imported: `%load_ext`
pays for none of them, and an optional store's dependencies (hvac) are
needed only by whoever configures it. A configured store is a name, a kind
and its options; the local vault is always configured, under the name
"local", and is the default. Which others exist is `config.py`'s to say.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Mapping, NamedTuple

from ..errors import ConfigError, InvalidSecretError, NbSecretsError, SecretNotFoundError
from ..rules import NAME_PATTERN, check_name
from ..suggestions import close_matches
from .base import LOCAL, SecretStore
from ..display import shown_path
from .config import ADDR_VARIABLES, TEAM, TEAM_KIND, config_path, file_stores, first_set, team_options

KINDS: dict[str, str] = {
    "local": "nbsecrets.core.store.local:LocalStore",
    TEAM_KIND: "nbsecrets.adapters.team.store:TeamStore",
}
"""Every kind of store, as the "module:attribute" of a class with `from_config(config)`.

Named, not imported: the team store is an adapter over hvac, loaded when a
store of its kind is first opened."""

MISCONFIGURED = "misconfigured"
"""The kind of a store whose config.toml table is wrong: opening it is the ConfigError."""


class StoreConfig(NamedTuple):
    """A store as configured: its name, its kind, and the options its kind reads (never a token)."""

    name: str
    kind: str
    options: Mapping[str, Any]

    def cache_key(self) -> tuple[Any, ...]:
        return (self.name, self.kind, tuple(sorted((key, repr(value)) for key, value in self.options.items())))


def register_kind(kind: str, target: str) -> None:
    """Add a kind of store: `target` is "module:attribute", imported when a store of that kind is opened."""
    module, _, attribute = target.partition(":")
    if not module or not attribute:
        raise InvalidSecretError(f"A store kind is given as 'module:attribute', not {target!r}.")
    KINDS[kind] = target


def configured_stores() -> dict[str, StoreConfig]:
    """Every store that can be named, by name, the local vault first; read anew each time, so a
    changed NBSECRETS_HOME, BAO_ADDR or config file counts. ConfigError when the config file is wrong."""
    stores = {LOCAL: _local_config()}
    if first_set(ADDR_VARIABLES):
        stores[TEAM] = StoreConfig(TEAM, TEAM_KIND, team_options())
    for name, table in sorted(file_stores().items()):
        if name == LOCAL or not NAME_PATTERN.fullmatch(name) or name in stores:
            continue  # never a store: `report_stores` shows why (the environment's team store wins)
        if isinstance(table, ConfigError):  # named, so using it says what is wrong with it
            stores[name] = StoreConfig(name, MISCONFIGURED, {"problem": str(table)})
        else:
            stores[name] = StoreConfig(name, table["kind"], team_options(table))
    return stores


def unused_tables() -> list[str]:
    """What is wrong with each config.toml table that is no store (for `nbsecrets stores`)."""
    problems = []
    for name, table in sorted(file_stores().items()):
        if isinstance(table, ConfigError) and (name == LOCAL or not NAME_PATTERN.fullmatch(name)):
            problems.append(str(table))
        elif name == TEAM and first_set(ADDR_VARIABLES):
            problems.append(
                f"{shown_path(config_path())} [stores.team] is not used: the team store is the one "
                f"{first_set(ADDR_VARIABLES)[0]} names. Give this table another name."  # type: ignore[index]
            )
    return problems


def _local_config() -> StoreConfig:
    from .local import default_home

    return StoreConfig(LOCAL, "local", {"home": str(default_home())})


_open: dict[tuple[Any, ...], SecretStore] = {}
_lock = threading.Lock()


def get_store(name: str | None = None) -> SecretStore:
    """The store called `name` (default: the local vault), one object per configuration in a process."""
    name = LOCAL if name is None else name
    if not isinstance(name, str):
        raise InvalidSecretError(
            f"get_store() takes a store's name such as 'local', not a {type(name).__name__}; "
            "a vault in a folder of your choice is nbsecrets.LocalStore(folder)."
        )
    check_name(name, what="store name")
    # The local vault does not depend on the config file: a mistake there never stops local secrets.
    stores = {LOCAL: _local_config()} if name == LOCAL else configured_stores()
    config = stores.get(name)
    if config is None:
        how = (
            f" The team store exists once {', '.join(ADDR_VARIABLES)} (the first set) holds the server's address."
            if name == TEAM
            else ""
        )
        raise SecretNotFoundError(
            f"No store named {name!r}; the stores configured here are: {', '.join(sorted(stores))}.{how}",
            name=name,
            suggestions=close_matches(name, stores),
        )
    if config.kind == MISCONFIGURED:
        raise ConfigError(config.options["problem"])
    key = config.cache_key()
    with _lock:
        store = _open.get(key)
        if store is None:
            store = _open[key] = _kind_class(config.kind).from_config(config)
        return store


class StoreReport(NamedTuple):
    """One configured store as `nbsecrets stores` shows it: where it is, whether it answers, and how.
    Nothing in it is a token or a value."""

    name: str
    kind: str
    where: str
    answers: bool
    detail: str


def report_stores() -> list[StoreReport]:
    """Every configured store, each asked whether it can be used now; one that cannot says why."""
    reports = []
    try:
        configs = configured_stores()
        problems = unused_tables()
    except ConfigError as problem:  # the file as a whole: the local vault is still there
        configs, problems = {LOCAL: _local_config()}, [str(problem)]
    reports.extend(StoreReport("config.toml", "-", shown_path(config_path()), False, problem) for problem in problems)
    for config in configs.values():
        where = str(config.options.get("home") or config.options.get("addr") or "no address")
        try:
            where, answers, detail = get_store(config.name).describe()
        except NbSecretsError as exc:
            answers, detail = False, str(exc)
        except Exception as exc:  # a store that breaks in a way nobody foresaw still leaves the others listed
            answers, detail = False, f"failed ({type(exc).__name__})"
        reports.append(StoreReport(config.name, config.kind, where, answers, detail))
    return sorted(reports, key=lambda report: report.name != LOCAL)


def _kind_class(kind: str) -> Any:
    target = KINDS.get(kind)
    if target is None:
        raise InvalidSecretError(f"Unknown kind of store {kind!r}; known kinds: {', '.join(sorted(KINDS))}.")
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)
