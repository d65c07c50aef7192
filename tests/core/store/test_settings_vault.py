"""Which keys are settings: kept in the vault beside the keys, and older vaults still open."""

from __future__ import annotations

import json
import uuid
import warnings
from datetime import datetime, timezone

import pytest
from store_support import fresh_store

from nbsecrets.core.errors import InvalidSecretError
from nbsecrets.core.registry import registry
from nbsecrets.core.store import SecretInfo, StoredSecret, keys
from nbsecrets.core.store.local import LocalStore
from nbsecrets.core.store.table import IndexRecord, Table


def host() -> str:
    return f"pg-{uuid.uuid4().hex[:10]}.test.invalid"


def secret_value() -> str:
    return f"sk-test-{uuid.uuid4().hex[:16]}"


def index_lines(store: LocalStore) -> list[list]:
    """The index records as the vault holds them, decrypted by the store."""
    plaintext = store._read().table.encode().decode()
    lines = plaintext.split("\n")
    count = json.loads(lines[0])["count"]
    return [json.loads(line) for line in lines[1 : 1 + count]]


def test_settings_round_trip_through_the_vault(store: LocalStore) -> None:
    env = {"PGHOST": host(), "PGPORT": "5432", "PGPASSWORD": secret_value()}
    info = store.create("db", env, settings=["PGPORT", "PGHOST"])
    assert info.settings == ("PGHOST", "PGPORT")  # in the order of the keys
    reader = fresh_store()
    assert reader.info("db").settings == ("PGHOST", "PGPORT")
    assert reader.list()[0].settings == ("PGHOST", "PGPORT")
    assert reader.get("db") == env
    assert reader.read("db") == StoredSecret(env, ("PGHOST", "PGPORT"))
    assert reader.info("db").is_setting("PGHOST") and not reader.info("db").is_setting("PGPASSWORD")


def test_the_flags_sit_in_the_index_and_a_secret_without_settings_is_stored_as_before(store: LocalStore) -> None:
    store.create("plain", {"API_KEY": secret_value()})
    store.create("db", {"PGHOST": host(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
    plain, db = index_lines(store)
    assert len(plain) == 4
    assert db[4] == ["PGHOST"] and db[1] == ["PGHOST", "PGPASSWORD"]


def test_a_vault_written_before_settings_existed_opens_with_every_key_a_secret(store: LocalStore) -> None:
    old_password, old_host = secret_value(), host()
    old_plaintext = "\n".join(
        [
            json.dumps({"format": "nbsecrets-table", "count": 1}, separators=(",", ":")),
            json.dumps(["db", ["PGHOST", "PGPASSWORD"], 1700000000.0, 1700000001.0], separators=(",", ":")),
            json.dumps({"PGHOST": old_host, "PGPASSWORD": old_password}, separators=(",", ":")),
        ]
    ).encode()
    table = Table.parse(old_plaintext)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        key, spec = keys.new_key("0" * 32)
        store.home.mkdir(parents=True, exist_ok=True)
        store._write(1, spec, key, table)

    reader = fresh_store()
    info = reader.info("db")
    assert info.keys == ("PGHOST", "PGPASSWORD") and info.settings == ()
    assert reader.get("db") == {"PGHOST": old_host, "PGPASSWORD": old_password}
    assert old_host in registry and old_password in registry  # all secrets, as before
    # and it takes settings from then on
    assert reader.update("db", {}, settings=["PGHOST"]).settings == ("PGHOST",)
    assert fresh_store().info("db").created_at == info.created_at


def test_an_index_line_of_four_and_a_secret_info_built_by_hand_have_no_settings() -> None:
    """Vaults written before settings existed hold four-element index lines: every key is a secret."""
    record = IndexRecord.from_json(["x", ["A"], 1.0, 2.0])
    assert record == IndexRecord("x", ("A",), 1.0, 2.0, ())
    assert record.to_json() == ["x", ["A"], 1.0, 2.0]  # and it is written back the same way
    moment = datetime(2024, 1, 1, tzinfo=timezone.utc)
    info = SecretInfo("x", ("A",), moment, moment)
    assert info.settings == () and not info.is_setting("A") and info.secrets == ("A",)
    assert info.store == "local" and info.reference == "x"


def test_create_refuses_settings_that_are_not_keys(store: LocalStore) -> None:
    value = secret_value()
    with pytest.raises(InvalidSecretError, match=r"settings NOPE, ALSO: not a key of secret 'db'") as raised:
        store.create("db", {"A": value}, settings=["NOPE", "A", "ALSO"])
    assert value not in str(raised.value)
    with pytest.raises(InvalidSecretError, match="not a single string"):
        store.create("db", {"A": value}, settings="A")
    assert store.list() == []


def test_overwrite_starts_the_flags_afresh(store: LocalStore) -> None:
    store.create("db", {"A": host()}, settings=["A"])
    assert store.create("db", {"A": secret_value()}, overwrite=True).settings == ()


def test_update_keeps_flags_adds_new_keys_as_secrets_and_moves_named_keys(store: LocalStore) -> None:
    store.create("db", {"PGHOST": host(), "PGPASSWORD": secret_value()}, settings=["PGHOST"])
    info = store.update("db", {"PGHOST": host(), "TOKEN": secret_value()})
    assert info.settings == ("PGHOST",) and info.keys == ("PGHOST", "PGPASSWORD", "TOKEN")
    assert store.update("db", {"PGPORT": "5432"}, settings=["PGPORT"]).settings == ("PGHOST", "PGPORT")
    assert store.update("db", {}, secrets=["PGHOST"]).settings == ("PGPORT",)
    assert fresh_store().info("db").settings == ("PGPORT",)


def test_update_errors_name_keys_and_leave_the_vault_alone(store: LocalStore) -> None:
    store.create("db", {"PGHOST": host()})
    before = store.path.read_bytes()
    with pytest.raises(InvalidSecretError, match="settings NOPE: not a key of secret 'db'"):
        store.update("db", {"PGHOST": host()}, settings=["NOPE"])
    with pytest.raises(InvalidSecretError, match="secrets NOPE: not a key"):
        store.update("db", {}, secrets=["NOPE"])
    with pytest.raises(InvalidSecretError, match="PGHOST: named both as a setting and as a secret"):
        store.update("db", {}, settings=["PGHOST"], secrets=["PGHOST"])
    with pytest.raises(InvalidSecretError, match="Nothing to update"):
        store.update("db", {})
    assert store.path.read_bytes() == before


def test_get_registers_secrets_only(store: LocalStore) -> None:
    server, password = host(), secret_value()
    store.create("db", {"PGHOST": server, "PGPASSWORD": password}, settings=["PGHOST"])
    assert password in registry and server not in registry
    fresh_store().get("db")
    assert server not in registry


def test_a_setting_turned_back_into_a_secret_is_registered_at_once(store: LocalStore) -> None:
    server, new = host(), host()
    store.create("db", {"PGHOST": server}, settings=["PGHOST"])
    store.update("db", {"NEW": new}, settings=["NEW"])
    assert server not in registry and new not in registry
    store.update("db", {}, secrets=["PGHOST"])
    assert server in registry and new not in registry
