"""Which stores exist and how they are opened: `get_store(name)` and the registry of kinds.

A kind names its class as "module:attribute" so a store nobody uses is never
imported (`%load_ext` pays for none, and an optional store's dependencies are
needed only by whoever configures it); a process opens one object per
configured store, so every adapter shares its cache and its lock.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from process_state import forget_process_state

import nbsecrets
from nbsecrets.core.errors import InvalidSecretError, SecretNotFoundError
from nbsecrets.core.store import LOCAL, SecretStore, StoreConfig, configured_stores, get_store, kinds, register_kind
from nbsecrets.core.store.local import LocalStore

FAKE_KIND = '''
"""A store kind for the tests: records that it was imported and what it was opened with."""

IMPORTED = True
OPENED = []


class FakeStore:
    def __init__(self, name, options):
        self.name = name
        self.options = dict(options)

    @classmethod
    def from_config(cls, config):
        OPENED.append(config)
        return cls(config.name, config.options)
'''


@pytest.fixture
def isolated_kinds(monkeypatch: pytest.MonkeyPatch):
    """The kinds registry and the open stores as a fresh process has them, restored afterwards."""
    monkeypatch.setattr(kinds, "KINDS", dict(kinds.KINDS))
    monkeypatch.setattr(kinds, "_open", {})
    yield
    forget_process_state()


def test_the_default_store_is_the_local_vault(nbsecrets_home: Path) -> None:
    store = get_store()
    assert isinstance(store, LocalStore) and isinstance(store, SecretStore)
    assert store.name == LOCAL == "local"
    assert store.home == nbsecrets_home
    assert get_store("local") is store  # one object per configuration per process
    assert get_store(None) is store
    assert nbsecrets.get_store() is store


def test_the_local_store_follows_nbsecrets_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Configuration is read anew on each call: a changed NBSECRETS_HOME opens the vault there."""
    first = get_store()
    first.create("in-first", {"TOKEN": "sk-test-first-home"})
    monkeypatch.setenv("NBSECRETS_HOME", str(tmp_path / "elsewhere"))
    second = get_store()
    assert second is not first and second.home == tmp_path / "elsewhere"
    assert not second.exists("in-first")
    assert configured_stores()[LOCAL] == StoreConfig(LOCAL, "local", {"home": str(tmp_path / "elsewhere")})
    monkeypatch.setenv("NBSECRETS_HOME", str(first.home))
    assert get_store() is first and get_store().exists("in-first")


def test_forgetting_process_state_opens_a_new_object_on_the_same_vault() -> None:
    """What a test means by "another process": not the same object, the same storage."""
    first = get_store()
    first.create("shared", {"TOKEN": "sk-test-shared"})
    forget_process_state()
    second = get_store()
    assert second is not first and second.get("shared") == {"TOKEN": "sk-test-shared"}


@pytest.mark.parametrize("name, suggested", [("locl", ["local"]), ("Local", ["local"]), ("team", [])])
def test_an_unknown_store_names_the_configured_ones(name: str, suggested: list[str]) -> None:
    with pytest.raises(SecretNotFoundError) as raised:
        get_store(name)
    message = str(raised.value)
    assert f"No store named {name!r}" in message and "the stores configured here are: local" in message
    assert raised.value.name == name and raised.value.suggestions == suggested
    assert ("Did you mean: 'local'?" in message) == bool(suggested)


def test_a_kind_is_imported_only_when_a_store_of_it_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_kinds
) -> None:
    module = "nbsecrets_fake_kind_for_tests"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(FAKE_KIND))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    register_kind("fake", f"{module}:FakeStore")
    assert kinds.KINDS["fake"] == f"{module}:FakeStore"
    assert module not in sys.modules  # registering imports nothing

    team = StoreConfig("team", "fake", {"url": "https://vault.test.invalid"})
    real = kinds.configured_stores
    monkeypatch.setattr(kinds, "configured_stores", lambda: {**real(), "team": team})
    get_store()  # opening another store does not import it either
    assert module not in sys.modules

    store = get_store("team")
    assert module in sys.modules
    fake = sys.modules[module]
    assert type(store).__name__ == "FakeStore" and store.name == "team"
    assert store.options == {"url": "https://vault.test.invalid"}
    assert get_store("team") is store and fake.OPENED == [team]  # opened once, then shared


def test_register_kind_wants_module_and_attribute(isolated_kinds) -> None:
    for target in ("no_colon", ":Attr", "module:", ""):
        with pytest.raises(InvalidSecretError, match="module:attribute"):
            register_kind("broken", target)
    assert "broken" not in kinds.KINDS


def test_a_configured_store_of_an_unknown_kind_is_an_error(monkeypatch: pytest.MonkeyPatch, isolated_kinds) -> None:
    monkeypatch.setattr(kinds, "configured_stores", lambda: {"odd": StoreConfig("odd", "nosuchkind", {})})
    with pytest.raises(InvalidSecretError, match="Unknown kind of store 'nosuchkind'; known kinds: local"):
        get_store("odd")


def test_store_configs_with_equal_options_share_one_object(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                          isolated_kinds) -> None:
    """The cache key is the configuration, so two names for one vault are two objects, one per name."""
    home = str(tmp_path / "shared-home")
    configs = {"local": StoreConfig("local", "local", {"home": home}), "alias": StoreConfig("alias", "local", {"home": home})}
    monkeypatch.setattr(kinds, "configured_stores", lambda: dict(configs))
    monkeypatch.setattr(kinds, "_local_config", lambda: configs["local"])  # "local" is opened without the file
    local, alias = get_store("local"), get_store("alias")
    assert local is not alias and (local.name, alias.name) == ("local", "alias")
    assert get_store("alias") is alias
    local.create("svc", {"TOKEN": "sk-test-alias"})
    assert alias.get("svc") == {"TOKEN": "sk-test-alias"} and alias.info("svc").store == "alias"
    assert alias.info("svc").reference == "alias:svc" and local.info("svc").reference == "svc"


@pytest.mark.parametrize("name", [Path("/tmp/nbsecrets-old-style-home"), 42], ids=["path", "int"])
def test_a_name_that_is_not_a_string_is_a_clear_error(name: object) -> None:
    """Code written for the old `get_store(home)` passes a path: it must get an nbsecrets error
    pointing at LocalStore(folder), not an AttributeError from inside the suggestions."""
    with pytest.raises(InvalidSecretError, match=r"store's name.*LocalStore\(folder\)"):
        get_store(name)  # type: ignore[arg-type]
