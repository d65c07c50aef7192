"""What the vault file promises: private modes, a bound header, fresh nonces,
no plaintext on disk, a backup of the previous generation, and the semantics
of create/update/delete, including that a refused operation writes nothing."""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import pytest
from store_support import fresh_store, header_of, mode_of, names_in, with_header

from nbsecrets.core.errors import (
    AlreadyExistsError,
    InvalidSecretError,
    KeyUnavailableError,
    SecretNotFoundError,
)
from nbsecrets.core.store import StoreConfig, get_store, keys
from nbsecrets.core.store.keys import KeySpec
from nbsecrets.core.store.local import LocalStore
from nbsecrets.core.store.vault_file import FormatError, Header, decrypt, encrypt, read_header

pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.core.errors.NbSecretsWarning")

OPENAI = {"OPENAI_API_KEY": "sk-test-openai-1111", "OPENAI_ORG": "org-test-2222"}


def snapshot(store: LocalStore) -> dict[str, bytes]:
    """Every file in the vault home, by name: a refused operation must leave this equal."""
    return {p.name: p.read_bytes() for p in store.home.iterdir()} if store.home.exists() else {}


def test_files_are_private_even_with_an_open_umask(open_umask, store, key_dir):
    store.create("openai", OPENAI)
    store.update("openai", {"OPENAI_ORG": "org-test-3333"})
    assert mode_of(store.home) == 0o700
    assert mode_of(store.path) == 0o600
    assert mode_of(store.backup_path) == 0o600
    assert mode_of(store.home / "vault.nbs.lock") == 0o600
    assert mode_of(key_dir) == 0o700
    (key_file,) = key_dir.iterdir()
    assert mode_of(key_file) == 0o600
    assert sorted(p.name for p in store.home.iterdir()) == ["vault.nbs", "vault.nbs.bak", "vault.nbs.lock"]


def test_header_records_format_identity_generation_and_key(store, key_dir):
    store.create("openai", OPENAI)
    first = header_of(store.path)
    assert first["format"] == "nbsecrets-vault" and first["version"] == 1
    assert re.fullmatch(r"[0-9a-f]{32}", first["vault_id"])
    assert first["generation"] == 1
    key = base64.b64decode((key_dir / f"vault-{first['vault_id']}-{first['key_id']}.key").read_text().strip())
    assert first["key_id"] == keys.key_id(key)
    assert first["key_source"] == "file"
    assert len(base64.b64decode(first["nonce"])) == 12

    store.update("openai", {"OPENAI_ORG": "org-test-3333"})
    store.create("other", {"TOKEN": "sk-test-other"})
    store.delete("other")
    last = header_of(store.path)
    assert last["generation"] == 4
    assert (last["vault_id"], last["key_id"]) == (first["vault_id"], first["key_id"])


def test_every_write_uses_a_fresh_nonce(store):
    """Reusing a nonce under one AES-GCM key would leak the XOR of two plaintexts."""
    blobs = []
    for _ in range(8):
        store.create("openai", OPENAI, overwrite=True)
        blobs.append(store.path.read_bytes())
    nonces = {header_of(blob)["nonce"] for blob in blobs}
    assert len(nonces) == len(blobs)
    ciphertexts = {blob[-64:] for blob in blobs}
    assert len(ciphertexts) == len(blobs)


def test_no_plaintext_reaches_the_disk(store, key_dir):
    secret = {"STRIPE_SECRET_KEY": "sk-test-plaintext-canary-0123456789", "NOTE": "line one\nline two ünïcode"}
    store.create("payments-canary", secret)
    store.update("payments-canary", {"SECOND_CANARY_KEY": "sk-test-second-canary"})
    on_disk = b"".join(p.read_bytes() for p in store.home.iterdir())
    on_disk += b"".join(p.read_bytes() for p in key_dir.iterdir())
    for text in ["sk-test-plaintext-canary", "sk-test-second-canary", "line two", "ünïcode", "STRIPE_SECRET_KEY",
                 "SECOND_CANARY_KEY", "payments-canary"]:
        for encoding in ("utf-8", "utf-16-le"):
            assert text.encode(encoding) not in on_disk, text
        assert base64.b64encode(text.encode())[:16] not in on_disk, text


def test_backup_holds_the_previous_generation(store, tmp_path):
    store.create("openai", OPENAI)
    store.update("openai", {"OPENAI_ORG": "org-test-gen2"})
    generation_two = store.path.read_bytes()
    store.create("other", {"OTHER": "sk-test-other-3"})  # nothing deleted or replaced: kept byte for byte
    assert store.backup_path.read_bytes() == generation_two
    assert header_of(store.backup_path)["generation"] == 2
    assert os.stat(store.backup_path).st_ino != os.stat(store.path).st_ino
    scratch = tmp_path / "from-backup"
    scratch.mkdir()
    shutil.copy(store.backup_path, scratch / "vault.nbs")
    assert names_in(fresh_store(scratch)) == ["openai"]
    assert fresh_store(scratch).get("openai")["OPENAI_ORG"] == "org-test-gen2"
    assert names_in(fresh_store()) == ["openai", "other"]


def test_create_refuses_to_replace_unless_asked(store):
    first = store.create("openai", OPENAI)
    before = snapshot(store)
    with pytest.raises(AlreadyExistsError, match="openai"):
        store.create("openai", {"OTHER": "sk-test-other"})
    assert snapshot(store) == before

    replaced = store.create("openai", {"OTHER": "sk-test-other"}, overwrite=True)
    assert fresh_store().get("openai") == {"OTHER": "sk-test-other"}  # replaced, not merged
    assert replaced.keys == ("OTHER",)
    assert replaced.created_at == first.created_at
    assert replaced.updated_at >= first.updated_at


def test_update_merges_and_keeps_created_at(store):
    created = store.create("openai", OPENAI)
    updated = store.update("openai", {"OPENAI_ORG": "org-test-new", "OPENAI_PROJECT": "proj-test"})
    assert fresh_store().get("openai") == {
        "OPENAI_API_KEY": "sk-test-openai-1111",
        "OPENAI_ORG": "org-test-new",
        "OPENAI_PROJECT": "proj-test",
    }
    info = fresh_store().info("openai")
    assert info.created_at == created.created_at == updated.created_at
    assert info.updated_at == updated.updated_at >= created.updated_at
    assert set(info.keys) == {"OPENAI_API_KEY", "OPENAI_ORG", "OPENAI_PROJECT"}


def test_list_names_exists_and_info(store):
    assert get_store() is store  # one store per home within a process
    assert store.list() == [] and not store.exists("openai")
    assert not store.home.exists()  # reading a missing vault creates nothing
    store.create("zeta", {"Z": "sk-test-z"})
    store.create("alpha", {"A": "sk-test-a", "B": "sk-test-b"})
    listed = fresh_store().list()
    assert [info.name for info in listed] == ["alpha", "zeta"]
    assert listed[0].keys == ("A", "B")
    assert store.exists("alpha") and not store.exists("beta")


def test_delete_and_allow_missing(store):
    store.create("openai", OPENAI)
    store.create("other", {"TOKEN": "sk-test-other"})
    assert store.delete("openai") is True
    assert names_in(fresh_store()) == ["other"]
    before = snapshot(store)
    with pytest.raises(SecretNotFoundError):
        store.delete("openai")
    assert store.delete("openai", allow_missing=True) is False
    assert snapshot(store) == before  # nothing to delete, nothing written
    assert store.delete("other") is True
    assert fresh_store().list() == []


def test_delete_allow_missing_when_another_writer_deleted_it_first(store, monkeypatch):
    """exists() and the locked write are two steps: the secret can vanish in between."""
    store.create("openai", OPENAI)
    before = snapshot(store)
    monkeypatch.setattr(store, "exists", lambda name: True)  # it was there when checked
    assert store.delete("gone-meanwhile", allow_missing=True) is False
    assert snapshot(store) == before


@pytest.mark.parametrize("operation", ["get", "info", "update", "delete"])
def test_not_found_suggests_close_names(operation, store):
    store.create("openai-prod", OPENAI)
    store.create("openai-dev", OPENAI)
    store.create("postgres", {"PGPASSWORD": "sk-test-pg"})
    before = snapshot(store)
    call = {
        "get": lambda: store.get("openai-prd"),
        "info": lambda: store.info("openai-prd"),
        "update": lambda: store.update("openai-prd", {"X": "sk-test-x"}),
        "delete": lambda: store.delete("openai-prd"),
    }[operation]
    with pytest.raises(SecretNotFoundError) as raised:
        call()
    assert raised.value.name == "openai-prd"
    assert "openai-prod" in raised.value.suggestions and "postgres" not in raised.value.suggestions
    assert "Did you mean" in str(raised.value) and "'openai-prod'" in str(raised.value)
    assert snapshot(store) == before


def test_not_found_without_vault_or_close_names(store):
    with pytest.raises(SecretNotFoundError) as raised:
        store.get("anything")
    assert raised.value.suggestions == []
    store.create("postgres", {"PGPASSWORD": "sk-test-pg"})
    with pytest.raises(SecretNotFoundError) as raised:
        store.get("zzz")
    assert raised.value.suggestions == [] and "Did you mean" not in str(raised.value)


BAD_CALLS = {
    "bad-key": lambda s: s.create("new", {"1BAD": "sk-test"}),
    "bad-key-in-update": lambda s: s.update("openai", {"OK": "sk-test", "has-dash": "sk-test"}),
    "nul-value": lambda s: s.update("openai", {"OPENAI_ORG": "sk-test\x00tail"}),
    "long-value": lambda s: s.create("new", {"BIG": "x" * 32_769}),
    "non-str-value": lambda s: s.create("new", {"NUM": 42}),
    "empty-env": lambda s: s.create("new", {}),
    "bad-name": lambda s: s.create("bad name", {"K": "sk-test"}),
    "long-name": lambda s: s.create("n" * 65, {"K": "sk-test"}),
    "already-exists": lambda s: s.create("openai", {"K": "sk-test"}),
    "update-missing": lambda s: s.update("missing", {"K": "sk-test"}),
}
BAD_ERRORS = {
    "already-exists": AlreadyExistsError,
    "update-missing": SecretNotFoundError,
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_refused_operation_leaves_the_vault_bytes_unchanged(case, store):
    store.create("openai", OPENAI)
    store.update("openai", {"OPENAI_ORG": "org-test-gen2"})
    before = snapshot(store)
    with pytest.raises(BAD_ERRORS.get(case, InvalidSecretError)) as raised:
        BAD_CALLS[case](store)
    assert "sk-test" not in str(raised.value)  # messages name keys, never values
    assert snapshot(store) == before
    assert fresh_store().get("openai") == {**OPENAI, "OPENAI_ORG": "org-test-gen2"}


def test_a_refused_first_write_creates_no_vault(monkeypatch, store):
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "passphrase")  # without NBSECRETS_PASSPHRASE
    with pytest.raises(KeyUnavailableError):
        store.create("openai", OPENAI)
    with pytest.raises(InvalidSecretError):
        store.create("openai", {"1BAD": "sk-test"})
    assert not store.path.exists() and not store.backup_path.exists()


def test_unicode_and_newlines_survive(store):
    env = {"MULTI": "-----BEGIN KEY-----\nsk-test\r\nline\n-----END KEY-----\n", "U": "päss wörd ✓ 🔑 \t \\ \" '"}
    store.create("pem", env)
    assert fresh_store().get("pem") == env


def test_values_os_environ_can_hold_round_trip_including_undecodable_bytes(store):
    """os.environ gives bytes that are not UTF-8 as lone surrogates (surrogateescape); such a
    value passes the rules and must be stored and returned as is, not crash the write."""
    env = {"FROM_ENVIRON": "sk-test-\udcff\udc80-latin1", "PLAIN": "sk-test-plain"}
    store.create("raw", env)
    assert fresh_store().get("raw") == env


def test_stores_for_different_homes_are_independent(tmp_path):
    one, two = LocalStore(tmp_path / "one"), LocalStore(tmp_path / "two")
    one.create("shared-name", {"K": "sk-test-one"})
    two.create("shared-name", {"K": "sk-test-two"})
    assert fresh_store(tmp_path / "one").get("shared-name") == {"K": "sk-test-one"}
    assert fresh_store(tmp_path / "two").get("shared-name") == {"K": "sk-test-two"}
    assert header_of(Path(one.path))["vault_id"] != header_of(Path(two.path))["vault_id"]


def test_the_header_takes_the_vault_id_from_the_key_spec_and_is_bound_to_the_ciphertext():
    """The vault id lives in one place, the KeySpec; the file still records it, inside the associated data."""
    assert "vault_id" not in Header._fields
    spec = KeySpec("file", "ab" * 16, "0123456789abcdef")
    key = os.urandom(32)
    blob = encrypt(7, spec, key, b"sk-test-plaintext")
    header, aad, ciphertext = parts = read_header(blob)
    assert header.generation == 7 and header.key == spec and len(header.nonce) == 12
    assert header_of(blob)["vault_id"] == spec.vault_id
    assert decrypt(parts, key) == b"sk-test-plaintext"
    assert b"sk-test-plaintext" not in blob
    moved = with_header(blob, {**header_of(blob), "vault_id": "cd" * 16})
    with pytest.raises(FormatError):
        decrypt(read_header(moved), key)


def test_already_exists_builds_its_own_message():
    error = AlreadyExistsError("openai")
    assert error.name == "openai"
    assert "'openai' already exists" in str(error) and "--force" in str(error) and "overwrite=True" in str(error)


def test_a_local_store_is_named_and_opened_from_its_configuration(tmp_path):
    plain = LocalStore(tmp_path / "plain")
    assert plain.name == "local" and str(plain.path) in repr(plain)
    team = LocalStore.from_config(StoreConfig("team", "local", {"home": str(tmp_path / "team")}))
    assert team.name == "team" and team.home == tmp_path / "team"
    info = team.create("db", {"TOKEN": "sk-test-team-local"})
    assert info.store == "team" and info.reference == "team:db"
    assert "sk-test" not in repr(team) and "sk-test" not in repr(team.list())
