"""The contract every store must keep, written once (as keyring tests its backends).

The magics, the CLI, the panel and `Secret.from_name` talk to stores only
through `SecretStore` (nbsecrets/core/store/base.py); a store kind is
acceptable when a subclass of `StoreContract` passes:

    class TestMyStore(StoreContract):
        @pytest.fixture
        def make_store(self, ...):
            def make() -> SecretStore:
                ...  # a new handle onto the same storage, as another process would open it
            return make

`make_store()` is called once for the `store` fixture and again whenever a
test checks that a change made through one handle is seen through another
(another process, another kernel). Each test starts with an empty store.

Values here are obviously fake and unique to their test (`sk-test-...`,
hosts under `.test.invalid`): the masking registry is process-wide, so a
value another test registered would prove nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Callable

import pytest

from nbsecrets.core.errors import AlreadyExistsError, InvalidSecretError, NbSecretsError, SecretNotFoundError
from nbsecrets.core.registry import registry
from nbsecrets.core.store.base import SecretInfo, SecretStore, StoredSecret

MakeStore = Callable[[], SecretStore]


def secret_value(tag: str = "v") -> str:
    return f"sk-test-{tag}-{uuid.uuid4().hex[:12]}"


def setting_value() -> str:
    return f"db-{uuid.uuid4().hex[:10]}.test.invalid"


def contents(store: SecretStore) -> dict[str, tuple[Any, ...]]:
    """Everything a store holds, as seen through `store`: what a failed operation must leave equal."""
    return {
        info.name: (info.keys, info.settings, info.created_at, info.updated_at, store.read(info.name))
        for info in store.list()
    }


def forget_registered(*values: str) -> None:
    """Take values out of the masking registry, as a process that never saw them would start.

    Writes register what they store, so without this a read could not be shown
    to register anything itself. (tests/conftest.py restores the registry after
    each test.)
    """
    with registry._lock:
        for value in values:
            registry._names.pop(value, None)
        registry._version += 1


def assert_no_value_in(error: BaseException, values: list[Any]) -> None:
    """No message of an error may carry a value: they end up in logs, tracebacks and saved notebooks."""
    texts = [str(error), repr(error), *map(str, error.args)]
    for value in values:
        if isinstance(value, str) and len(value) >= 6:
            for text in texts:
                assert value not in text, f"{type(error).__name__} shows a value: {text[:200]!r}"
    for text in texts:
        assert "sk-test" not in text, f"{type(error).__name__} shows a value: {text[:200]!r}"


def refused(expected: type[BaseException], call: Callable[[], Any], *values: Any) -> BaseException:
    """Run `call`, which must raise `expected`, with no value (of `values`, or any sk-test one) in its messages."""
    with pytest.raises(expected) as raised:
        call()
    assert isinstance(raised.value, NbSecretsError)
    assert_no_value_in(raised.value, list(values))
    return raised.value


INVALID_NAMES = ["", "bad name", "n" * 65, "a/b", "../up", "x:y", "naïve", "tab\there", "semi;colon", 42, None]
INVALID_KEYS = ["1BAD", "has-dash", "", "A=B", "A B", "ÄKEY", 42, None]


def _invalid_values() -> dict[str, Any]:
    return {
        "nul": "sk-test-nul-\x00-tail",
        "too-long": "sk-test-" + "x" * 32_761,  # 32,769 characters, one over the limit
        "int": 42,
        "none": None,
        "bytes": b"sk-test-bytes",
        "lone-surrogate": "sk-test-\ud800-surrogate",
    }


ROUND_TRIP_VALUES = {
    "unicode": "päss wörd ✓ 🔑 日本語 sk-test-unicode",
    "newlines": "line one\nline two\n",
    "crlf": "sk-test-crlf\r\nsecond\r\n",
    "pem": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7sk-test\n"
           "aGVsbG8gd29ybGQgc2stdGVzdA==\n-----END PRIVATE KEY-----\n",
    "longest": "sk-test-" + "y" * (32_768 - 8),
    "equals-and-hash": "sk-test=a=b#not-a-comment # still value",
    "quotes": "sk-test-'single' \"double\" `back`",
    "backslashes": "C:\\path\\sk-test\\n-not-a-newline\\",
    "dollars": "sk-test-$HOME-${PATH}-$(whoami)",
    "spaces": "  sk-test-padded  ",
    "tab": "\tsk-test-tab\t",
    "json-looking": '{"KEY": "sk-test-json", "n": [1, 2]}',
    "undecodable-bytes": "sk-test-\udcff\udc80",  # how os.environ gives bytes that are not UTF-8
    "empty": "",
}


class StoreContract:
    """What every SecretStore promises. Subclasses provide the `make_store` fixture."""

    @pytest.fixture
    def make_store(self) -> MakeStore:  # pragma: no cover - always overridden
        raise NotImplementedError("a StoreContract subclass provides make_store")

    @pytest.fixture
    def store(self, make_store: MakeStore) -> SecretStore:
        return make_store()

    # -- what a store is ----------------------------------------------------------------

    def test_is_a_secret_store_with_a_name(self, store: SecretStore) -> None:
        """Adapters rely on the protocol, and sources name the store by `name`."""
        assert isinstance(store, SecretStore)
        assert isinstance(store.name, str) and store.name
        assert ":" not in store.name  # `STORE:NAME` splits at the first ':'

    def test_an_empty_store_holds_nothing(self, store: SecretStore) -> None:
        assert store.list() == []
        assert store.exists("anything") is False

    # -- create / get / read / info / exists ---------------------------------------------

    def test_create_is_seen_through_another_handle(self, store: SecretStore, make_store: MakeStore) -> None:
        """What one process stores, the next one reads, with the same keys, flags and times."""
        env = {"API_KEY": secret_value(), "API_HOST": setting_value(), "API_ORG": secret_value()}
        created = store.create("api", env, settings=["API_HOST"])
        assert isinstance(created, SecretInfo)
        assert (created.name, created.keys, created.settings, created.store) == (
            "api", ("API_KEY", "API_HOST", "API_ORG"), ("API_HOST",), store.name
        )
        assert created.secrets == ("API_KEY", "API_ORG")
        other = make_store()
        assert other.exists("api")
        assert other.get("api") == env
        assert list(other.get("api")) == list(env)  # keys keep the order they were given in
        assert other.read("api") == StoredSecret(env, ("API_HOST",))
        assert other.info("api") == created
        assert other.list() == [created]

    def test_create_existing_is_refused_unless_overwrite(self, store: SecretStore, make_store: MakeStore) -> None:
        """A name already taken is refused (a typo must not replace a secret); overwrite=True
        replaces the whole secret (no merge, flags afresh) and keeps when it was first created."""
        original = {"TOKEN": secret_value(), "HOST": setting_value()}
        first = store.create("svc", original, settings=["HOST"])
        before = contents(make_store())
        replacement = {"OTHER": secret_value()}
        error = refused(AlreadyExistsError, lambda: store.create("svc", replacement), *original.values(),
                        *replacement.values())
        assert error.name == "svc" and "'svc'" in str(error)
        assert contents(make_store()) == before

        replaced = store.create("svc", replacement, overwrite=True)
        other = make_store()
        assert other.get("svc") == replacement
        assert replaced.keys == ("OTHER",) and replaced.settings == ()
        assert replaced.created_at == first.created_at
        assert replaced.updated_at >= first.updated_at
        assert other.info("svc") == replaced

    def test_overwrite_of_a_missing_secret_creates_it(self, store: SecretStore, make_store: MakeStore) -> None:
        env = {"TOKEN": secret_value()}
        info = store.create("new", env, overwrite=True)
        assert make_store().get("new") == env and info.created_at == info.updated_at

    def test_settings_are_flagged_at_create_in_the_order_of_the_keys(self, store: SecretStore) -> None:
        env = {"PGHOST": setting_value(), "PGPASSWORD": secret_value(), "PGPORT": "5432"}
        info = store.create("db", env, settings=["PGPORT", "PGHOST"])
        assert info.settings == ("PGHOST", "PGPORT")
        assert info.is_setting("PGPORT") and not info.is_setting("PGPASSWORD")
        assert info.secrets == ("PGPASSWORD",)
        assert store.read("db").settings == ("PGHOST", "PGPORT")

    def test_what_a_caller_keeps_is_not_the_stored_secret(self, store: SecretStore, make_store: MakeStore) -> None:
        """Changing the dict given to create, or the one get() returned, changes nothing stored."""
        value = secret_value()
        env = {"TOKEN": value}
        store.create("svc", env)
        env["TOKEN"] = "sk-test-changed-by-caller"
        env["EXTRA"] = "sk-test-extra"
        got = store.get("svc")
        got["TOKEN"] = "sk-test-changed-after-get"
        store.read("svc").env["TOKEN"] = "sk-test-changed-after-read"
        assert store.get("svc") == {"TOKEN": value}
        assert make_store().get("svc") == {"TOKEN": value}

    # -- update ------------------------------------------------------------------------

    def test_update_merges_and_keeps_created_at(self, store: SecretStore, make_store: MakeStore) -> None:
        """Keys not named are kept; named keys are replaced; new keys come after the old ones."""
        kept, old, new, added = secret_value("kept"), secret_value("old"), secret_value("new"), secret_value("add")
        created = store.create("svc", {"KEPT": kept, "CHANGED": old})
        updated = store.update("svc", {"CHANGED": new, "ADDED": added})
        assert updated.keys == ("KEPT", "CHANGED", "ADDED")
        other = make_store()
        assert other.get("svc") == {"KEPT": kept, "CHANGED": new, "ADDED": added}
        assert other.info("svc") == updated
        assert updated.created_at == created.created_at
        assert updated.updated_at >= created.updated_at

    def test_update_keeps_flags_and_moves_keys_between_sides(self, store: SecretStore, make_store: MakeStore) -> None:
        """A replaced key keeps its flag, a new key is a secret, and settings=/secrets= move keys
        (with or without a new value), so nobody retypes a value to change its side."""
        store.create("db", {"PGHOST": setting_value(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
        info = store.update("db", {"PGHOST": setting_value(), "TOKEN": secret_value()})
        assert info.settings == ("PGHOST",) and info.keys == ("PGHOST", "PGPASSWORD", "TOKEN")
        info = store.update("db", {"PGPORT": "5432"}, settings=["PGPORT"])
        assert info.settings == ("PGHOST", "PGPORT")
        info = store.update("db", {}, secrets=["PGHOST"])
        assert info.settings == ("PGPORT",)
        info = store.update("db", {}, settings=["TOKEN"], secrets=["PGPORT"])
        assert info.settings == ("TOKEN",)
        assert make_store().info("db").settings == ("TOKEN",)
        assert make_store().read("db").settings == ("TOKEN",)

    @pytest.mark.parametrize(
        "call",
        [
            pytest.param(lambda s: s.update("db", {}), id="nothing-to-update"),
            pytest.param(lambda s: s.update("db", {}, settings=["NOPE"]), id="setting-not-a-key"),
            pytest.param(lambda s: s.update("db", {"A": "sk-test-a"}, secrets=["NOPE"]), id="secret-not-a-key"),
            pytest.param(lambda s: s.update("db", {}, settings=["PGHOST"], secrets=["PGHOST"]), id="both-sides"),
            pytest.param(lambda s: s.update("db", {}, settings="PGHOST"), id="settings-a-string"),
            pytest.param(lambda s: s.update("db", {}, settings=None), id="settings-none"),
            pytest.param(lambda s: s.update("db", {"A": "sk-test-a"}, settings=["1BAD"]), id="setting-bad-key"),
            pytest.param(lambda s: s.update("db", [("A", "sk-test-a")]), id="env-not-a-mapping"),
        ],
    )
    def test_update_mistakes_are_refused_and_change_nothing(
        self, call: Callable[[SecretStore], Any], store: SecretStore, make_store: MakeStore
    ) -> None:
        store.create("db", {"PGHOST": setting_value(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
        before = contents(make_store())
        refused(InvalidSecretError, lambda: call(store))
        assert contents(make_store()) == before

    # -- missing secrets -----------------------------------------------------------------

    MISSING_CALLS = {
        "get": lambda s, name: s.get(name),
        "read": lambda s, name: s.read(name),
        "info": lambda s, name: s.info(name),
        "update": lambda s, name: s.update(name, {"X": "sk-test-x-missing"}),
        "update-settings-only": lambda s, name: s.update(name, {}, settings=["X"]),
        "delete": lambda s, name: s.delete(name),
    }

    @pytest.mark.parametrize("operation", list(MISSING_CALLS))
    def test_a_missing_secret_is_not_found_with_suggestions_for_a_near_name(
        self, operation: str, store: SecretStore, make_store: MakeStore
    ) -> None:
        """A typo gets a did-you-mean; a name like nothing stored gets none; either way nothing changes."""
        store.create("openai-prod", {"OPENAI_API_KEY": secret_value()})
        store.create("openai-dev", {"OPENAI_API_KEY": secret_value()})
        store.create("postgres", {"PGPASSWORD": secret_value()})
        before = contents(make_store())
        call = self.MISSING_CALLS[operation]
        near = refused(SecretNotFoundError, lambda: call(store, "openai-prd"))
        assert near.name == "openai-prd" and "'openai-prd'" in str(near)
        assert "openai-prod" in near.suggestions and "postgres" not in near.suggestions
        assert "Did you mean" in str(near) and "'openai-prod'" in str(near)
        far = refused(SecretNotFoundError, lambda: call(store, "zzz"))
        assert far.name == "zzz" and far.suggestions == [] and "Did you mean" not in str(far)
        assert contents(make_store()) == before

    @pytest.mark.parametrize("operation", list(MISSING_CALLS))
    def test_an_empty_store_has_nothing_to_suggest(self, operation: str, store: SecretStore) -> None:
        error = refused(SecretNotFoundError, lambda: self.MISSING_CALLS[operation](store, "anything"))
        assert error.suggestions == []
        assert store.list() == []

    # -- delete ------------------------------------------------------------------------

    def test_delete_removes_one_secret_for_every_handle(self, store: SecretStore, make_store: MakeStore) -> None:
        keep = {"TOKEN": secret_value()}
        store.create("gone", {"TOKEN": secret_value()})
        store.create("kept", keep)
        watcher = make_store()
        assert watcher.exists("gone")
        assert store.delete("gone") is True
        assert not watcher.exists("gone") and [info.name for info in watcher.list()] == ["kept"]
        assert make_store().get("kept") == keep
        refused(SecretNotFoundError, lambda: watcher.get("gone"))

    def test_delete_allow_missing_says_false_and_changes_nothing(self, store: SecretStore, make_store: MakeStore) -> None:
        assert store.delete("never-there", allow_missing=True) is False
        store.create("kept", {"TOKEN": secret_value()})
        before = contents(make_store())
        assert store.delete("never-there", allow_missing=True) is False
        assert contents(make_store()) == before
        assert store.delete("kept", allow_missing=True) is True
        assert store.list() == []

    def test_a_deleted_name_can_be_created_again(self, store: SecretStore, make_store: MakeStore) -> None:
        store.create("svc", {"OLD": secret_value()}, settings=["OLD"])
        store.delete("svc")
        env = {"NEW": secret_value()}
        info = store.create("svc", env)
        assert info.keys == ("NEW",) and info.settings == ()
        assert make_store().get("svc") == env

    # -- list and info ---------------------------------------------------------------------

    def test_list_is_sorted_by_name_and_matches_info(self, store: SecretStore, make_store: MakeStore) -> None:
        names = ["zeta", "alpha", "Beta", "m.dot", "m-dash", "m_under", "9lives", "alpha2"]
        for name in names:
            store.create(name, {"TOKEN": secret_value()})
        listed = make_store().list()
        assert [info.name for info in listed] == sorted(names)
        other = make_store()
        for info in listed:
            assert info == other.info(info.name)
            assert info.store == store.name

    def test_list_and_info_never_carry_a_value(self, store: SecretStore) -> None:
        """Listing is what the panel and `nbsecrets list` show; no value may be in it, not even a setting's."""
        values = [secret_value("a"), secret_value("b"), setting_value()]
        store.create("svc", {"A": values[0], "B": values[1], "HOST": values[2]}, settings=["HOST"])
        shown = [repr(store.list()), str(store.list()), repr(store.info("svc")), str(store.info("svc"))]
        for text in shown:
            for value in values:
                assert value not in text
            assert "svc" in text and "HOST" in text
        info = store.info("svc")
        assert set(info._fields) == {"name", "keys", "created_at", "updated_at", "settings", "store", "details"}

    # -- times ----------------------------------------------------------------------------

    def test_times_are_utc_and_update_moves_only_updated_at(self, store: SecretStore, make_store: MakeStore) -> None:
        created = store.create("svc", {"TOKEN": secret_value()})
        for moment in (created.created_at, created.updated_at):
            assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
        assert created.updated_at >= created.created_at
        updated = store.update("svc", {"TOKEN": secret_value()})
        assert updated.created_at == created.created_at
        assert updated.updated_at >= created.updated_at
        assert updated.updated_at.utcoffset() == timedelta(0)
        seen = make_store().info("svc")
        assert (seen.created_at, seen.updated_at) == (updated.created_at, updated.updated_at)

    # -- the rules: names, keys, values ------------------------------------------------------

    @pytest.mark.parametrize("name", INVALID_NAMES, ids=repr)
    def test_invalid_names_are_refused_by_every_operation(
        self, name: Any, store: SecretStore, make_store: MakeStore
    ) -> None:
        store.create("kept", {"TOKEN": secret_value()})
        before = contents(make_store())
        calls = [
            lambda: store.create(name, {"TOKEN": secret_value()}),
            lambda: store.create(name, {"TOKEN": secret_value()}, overwrite=True),
            lambda: store.update(name, {"TOKEN": secret_value()}),
            lambda: store.get(name),
            lambda: store.read(name),
            lambda: store.info(name),
            lambda: store.exists(name),
            lambda: store.delete(name),
            lambda: store.delete(name, allow_missing=True),
        ]
        for call in calls:
            refused(InvalidSecretError, call)
        assert contents(make_store()) == before

    @pytest.mark.parametrize("key", INVALID_KEYS, ids=repr)
    def test_invalid_keys_are_refused_and_nothing_is_stored(
        self, key: Any, store: SecretStore, make_store: MakeStore
    ) -> None:
        store.create("kept", {"TOKEN": secret_value()})
        before = contents(make_store())
        value = secret_value("bad-key")
        refused(InvalidSecretError, lambda: store.create("new", {"GOOD": secret_value(), key: value}), value)
        refused(InvalidSecretError, lambda: store.update("kept", {"GOOD": secret_value(), key: value}), value)
        refused(InvalidSecretError, lambda: store.create("new", {"GOOD": value}, settings=[key]), value)
        assert contents(make_store()) == before

    @pytest.mark.parametrize("case", list(_invalid_values()))
    def test_invalid_values_are_refused_without_showing_them(
        self, case: str, store: SecretStore, make_store: MakeStore
    ) -> None:
        bad = _invalid_values()[case]
        store.create("kept", {"TOKEN": secret_value()})
        before = contents(make_store())
        refused(InvalidSecretError, lambda: store.create("new", {"GOOD": secret_value(), "BAD": bad}), bad)
        refused(InvalidSecretError, lambda: store.create("kept", {"BAD": bad}, overwrite=True), bad)
        refused(InvalidSecretError, lambda: store.update("kept", {"GOOD": secret_value(), "BAD": bad}), bad)
        assert contents(make_store()) == before
        assert not store.exists("new")

    @pytest.mark.parametrize(
        "call",
        [
            pytest.param(lambda s: s.create("new", {}), id="no-keys"),
            pytest.param(lambda s: s.create("new", [("A", "sk-test-a")]), id="not-a-mapping"),
            pytest.param(lambda s: s.create("new", {"A": "sk-test-a"}, settings=["NOPE"]), id="setting-not-a-key"),
            pytest.param(lambda s: s.create("new", {"A": "sk-test-a"}, settings="A"), id="settings-a-string"),
            pytest.param(lambda s: s.create("new", {"A": "sk-test-a"}, settings=None), id="settings-none"),
            pytest.param(lambda s: s.create("kept", {"A": "sk-test-a"}, overwrite=True, settings=["NOPE"]),
                         id="overwrite-setting-not-a-key"),
        ],
    )
    def test_create_mistakes_are_refused_and_change_nothing(
        self, call: Callable[[SecretStore], Any], store: SecretStore, make_store: MakeStore
    ) -> None:
        store.create("kept", {"TOKEN": secret_value()})
        before = contents(make_store())
        refused(InvalidSecretError, lambda: call(store))
        assert contents(make_store()) == before

    @pytest.mark.parametrize("case", list(ROUND_TRIP_VALUES))
    def test_values_round_trip_exactly(self, case: str, store: SecretStore, make_store: MakeStore) -> None:
        """Whatever the rules allow comes back byte for byte: no trimming, unquoting or interpolation."""
        value = ROUND_TRIP_VALUES[case]
        env = {"VALUE": value, "NEXT": secret_value()}
        store.create("svc", env)
        assert make_store().get("svc") == env
        store.update("svc", {"UPDATED": value})
        assert make_store().get("svc") == {**env, "UPDATED": value}
        assert make_store().read("svc").env["UPDATED"] == value

    def test_many_keys_in_one_secret_keep_their_order(self, store: SecretStore, make_store: MakeStore) -> None:
        env = {f"KEY_{i:03d}": secret_value(str(i)) for i in reversed(range(120))}
        store.create("wide", env)
        got = make_store().get("wide")
        assert got == env and list(got) == list(env)

    # -- masking -------------------------------------------------------------------------

    def test_values_read_are_registered_for_masking_but_settings_are_not(
        self, store: SecretStore, make_store: MakeStore
    ) -> None:
        """Whoever reads a secret, its values are masked in what the kernel sends next; a setting's is not."""
        password, token, host = secret_value("pw"), secret_value("tok"), setting_value()
        store.create("db", {"PGPASSWORD": password, "PGHOST": host, "TOKEN": token}, settings=["PGHOST"])
        assert password in registry and token in registry and host not in registry  # writes register too

        for read in (lambda s: s.get("db"), lambda s: s.read("db")):
            forget_registered(password, token)
            read(make_store())
            assert password in registry and token in registry
            assert dict(registry.items())[password] == "PGPASSWORD"
            assert host not in registry

    def test_listing_registers_nothing(self, store: SecretStore, make_store: MakeStore) -> None:
        value = secret_value()
        store.create("svc", {"TOKEN": value})
        forget_registered(value)
        other = make_store()
        other.list(), other.info("svc"), other.exists("svc")
        assert value not in registry

    def test_update_registers_new_secret_values_and_keys_moved_back_to_secrets(self, store: SecretStore) -> None:
        host, new_secret, new_setting = setting_value(), secret_value(), setting_value()
        store.create("db", {"PGHOST": host}, settings=["PGHOST"])
        store.update("db", {"TOKEN": new_secret, "PORT_HOST": new_setting}, settings=["PORT_HOST"])
        assert new_secret in registry and new_setting not in registry and host not in registry
        store.update("db", {}, secrets=["PGHOST"])
        assert host in registry

    # -- several handles ---------------------------------------------------------------------

    def test_changes_through_one_handle_are_seen_through_another_that_already_read(
        self, store: SecretStore, make_store: MakeStore
    ) -> None:
        """A kernel that read the store must not keep serving (or writing on top of) an old copy."""
        other = make_store()
        store.create("svc", {"A": secret_value()})
        assert other.get("svc") == store.get("svc")  # both have read it now
        changed = secret_value()
        other.update("svc", {"A": changed})
        assert store.get("svc") == {"A": changed}
        store.update("svc", {"B": secret_value()})  # written on top of the other handle's change
        assert other.get("svc")["A"] == changed and set(other.get("svc")) == {"A", "B"}
        other.create("second", {"T": secret_value()})
        assert [info.name for info in store.list()] == ["second", "svc"]
        store.delete("second")
        assert not other.exists("second")

    # -- every error, and every failure ------------------------------------------------------

    def test_no_error_message_carries_a_value(self, store: SecretStore) -> None:
        """One sweep over every way to fail, with values that are easy to spot."""
        values = {"TOKEN": secret_value("tok"), "HOST": setting_value()}
        store.create("svc", values, settings=["HOST"])
        failures: list[Callable[[], Any]] = [
            lambda: store.create("svc", {"TOKEN": values["TOKEN"]}),
            lambda: store.create("new", {"TOKEN=" + values["TOKEN"]: values["TOKEN"]}),
            lambda: store.update("svc", {"HOST": values["HOST"] + "\x00"}),
            lambda: store.update("svc", {}, settings=["TOKEN=" + values["TOKEN"]]),
            lambda: store.update("sv", {"TOKEN": values["TOKEN"]}),
            lambda: store.get("sv"),
            lambda: store.info("sv"),
            lambda: store.read("sv"),
            lambda: store.delete("sv"),
        ]
        for failure in failures:
            with pytest.raises(NbSecretsError) as raised:
                failure()
            assert_no_value_in(raised.value, list(values.values()))

