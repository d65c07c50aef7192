"""A damaged or tampered vault is reported, never repaired or replaced.

Every form of damage must end in VaultCorruptError naming the vault and its
backup (so the user knows what to restore), with the file left byte for byte
as it was; writing a fresh vault over it would destroy what is left.
"""

from __future__ import annotations

import base64
import os
import random
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from store_support import (
    fresh_store,
    header_of,
    header_span,
    read_vault_in_subprocess,
    with_header,
)

from nbsecrets.core.errors import KeyUnavailableError, VaultCorruptError
from nbsecrets.core.store.local import LocalStore
from nbsecrets.core.store.vault_file import MAGIC

pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.core.errors.NbSecretsWarning")

OPENAI = {"OPENAI_API_KEY": "sk-test-openai-1111"}

OPERATIONS: dict[str, Callable[[LocalStore], Any]] = {
    "list": lambda s: s.list(),
    "get": lambda s: s.get("openai"),
    "exists": lambda s: s.exists("openai"),
    "create": lambda s: s.create("new-one", {"K": "sk-test-new"}),
    "update": lambda s: s.update("openai", {"K": "sk-test-new"}),
    "delete": lambda s: s.delete("openai", allow_missing=True),
    "rotate-key": lambda s: s.rotate_key(),
}


@pytest.fixture
def vault(store: LocalStore) -> LocalStore:
    """Two generations, so that a backup exists."""
    store.create("openai", OPENAI)
    store.update("openai", {"OPENAI_ORG": "org-test-2222"})
    return store


def files(store: LocalStore) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in store.home.iterdir()}


def damage(store: LocalStore, data: bytes) -> None:
    """Put `data` in place of the vault, as a new file (a different inode, like any writer would)."""
    staged = store.home / "damaged.partial"
    staged.write_bytes(data)
    os.replace(staged, store.path)


def assert_reported(store: LocalStore) -> None:
    """Every operation, from a cold start, refuses the vault, says which files are involved,
    and leaves them as they are."""
    before = files(store)
    for name, operation in OPERATIONS.items():
        with pytest.raises(VaultCorruptError) as raised:
            operation(fresh_store())
        message = str(raised.value)
        assert str(store.path) in message, (name, message)
        assert str(store.backup_path) in message, (name, message)
        assert "sk-test" not in message
        assert files(store) == before, name  # vault, backup and lock untouched


def _lengths(blob: bytes) -> list[int]:
    _, end = header_span(blob)
    return sorted({0, 1, len(MAGIC) - 1, len(MAGIC), len(MAGIC) + 2, len(MAGIC) + 4, end - 1, end, end + 8,
                   len(blob) - 16, len(blob) - 1})


def test_truncated_vault(vault):
    original = vault.path.read_bytes()
    for length in _lengths(original):
        damage(vault, original[:length])
        assert_reported(vault)


@pytest.mark.parametrize("where", ["first", "middle", "tag"])
def test_flipped_byte_in_ciphertext(vault, where):
    blob = bytearray(vault.path.read_bytes())
    _, end = header_span(bytes(blob))
    position = {"first": end, "middle": (end + len(blob)) // 2, "tag": len(blob) - 1}[where]
    blob[position] ^= 0x01
    damage(vault, bytes(blob))
    assert_reported(vault)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda h: {**h, "generation": h["generation"] + 1}, id="generation"),
        pytest.param(lambda h: {**h, "generation": 1}, id="generation-rolled-back"),
        pytest.param(lambda h: {**h, "nonce": base64.b64encode(bytes(12)).decode()}, id="nonce"),
        pytest.param(lambda h: {**h, "nonce": "short"}, id="nonce-malformed"),
        pytest.param(lambda h: {**h, "version": 2}, id="version"),
        pytest.param(lambda h: {**h, "format": "something-else"}, id="format"),
        pytest.param(lambda h: {k: v for k, v in h.items() if k != "nonce"}, id="field-missing"),
        pytest.param(lambda h: {**h, "extra": "field"}, id="field-added"),
        pytest.param(lambda h: {**h, "generation": "two"}, id="generation-type"),
    ],
)
def test_changed_header_field(vault, change):
    """The header is associated data: any change must fail authentication or parsing."""
    blob = vault.path.read_bytes()
    damage(vault, with_header(blob, change(header_of(blob))))
    assert_reported(vault)


def test_header_that_is_not_json(vault):
    blob = bytearray(vault.path.read_bytes())
    start, _ = header_span(bytes(blob))
    blob[start] = ord("[")  # '{' -> '['
    damage(vault, bytes(blob))
    assert_reported(vault)


def test_header_length_out_of_range(vault):
    blob = bytearray(vault.path.read_bytes())
    blob[len(MAGIC) : len(MAGIC) + 4] = (2**31).to_bytes(4, "big")
    damage(vault, bytes(blob))
    assert_reported(vault)


@pytest.mark.parametrize(
    "replace",
    [
        pytest.param(lambda blob: b"X" + blob[1:], id="wrong-magic"),
        pytest.param(lambda blob: MAGIC.lower() + blob[len(MAGIC) :], id="magic-in-lower-case"),
        pytest.param(lambda blob: b"OPENAI_API_KEY=sk-test-plain\n", id="a-dotenv-file"),
        pytest.param(lambda blob: random.Random(7).randbytes(600), id="random-bytes"),
        pytest.param(lambda blob: b"\x00" * len(blob), id="zeros"),
    ],
)
def test_not_a_vault(vault, replace):
    damage(vault, replace(vault.path.read_bytes()))
    assert_reported(vault)


def test_every_single_byte_flip_is_caught(vault):
    """Exhaustive: no byte of the file may change without the store refusing the vault.

    Flips inside the fields that say where the key is (key source, vault id, key
    id) send the lookup to a key that does not exist: KeyUnavailableError is the
    honest answer there. Anything else must be VaultCorruptError. Nothing may
    open, and no other exception may escape.
    """
    original = vault.path.read_bytes()
    header = header_of(original)
    start, _ = header_span(original)
    text = original[start:].decode("latin-1")
    lookup_fields = []
    for field in ("key_source", "vault_id", "key_id"):
        at = text.index(f'"{field}":"') + start
        lookup_fields.append(range(at, at + len(field) + 5 + len(str(header[field]))))
    for position in range(len(original)):
        for mask in (0x01, 0x80):
            blob = bytearray(original)
            blob[position] ^= mask
            vault.path.write_bytes(bytes(blob))
            try:
                fresh_store().list()
            except VaultCorruptError:
                continue
            except KeyUnavailableError:
                assert any(position in r for r in lookup_fields), position
                continue
            pytest.fail(f"the vault opened with byte {position} xor {mask:#x}")


@pytest.fixture
def vault_with_passphrase(monkeypatch, store) -> LocalStore:
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", "tamper test passphrase")
    store.create("openai", OPENAI)
    store.update("openai", {"OPENAI_ORG": "org-test-2222"})
    return store


def test_tampered_passphrase_parameters(vault_with_passphrase):
    """The scrypt parameters come from the file: damaged ones must not escape as raw
    errors or make the process derive a key with absurd memory."""
    store = vault_with_passphrase
    blob = store.path.read_bytes()
    header = header_of(blob)
    kdf = header["kdf"]
    for bad in (
        {k: v for k, v in kdf.items() if k != "salt"},
        {**kdf, "n": kdf["n"] - 1},
        {**kdf, "n": str(kdf["n"])},
        {**kdf, "n": 1e100},
        {**kdf, "n": 2**40},
        {**kdf, "r": 0},
        {**kdf, "p": -1},
        {**kdf, "salt": "not base64!"},
        {**kdf, "name": "md5"},
        "scrypt",
        None,
    ):
        damage(store, with_header(blob, {**header, "kdf": bad}))
        assert_reported(store)


def test_damage_without_a_backup_says_so(store):
    store.create("openai", OPENAI)
    damage(store, store.path.read_bytes()[:-1])
    with pytest.raises(VaultCorruptError) as raised:
        fresh_store().list()
    assert str(store.path) in str(raised.value) and "no backup" in str(raised.value)
    assert not store.backup_path.exists()


def test_missing_vault_with_a_backup_is_not_a_new_vault(vault):
    backup = vault.backup_path.read_bytes()
    vault.path.unlink()
    before = files(vault)
    assert_reported(vault)
    assert not vault.path.exists()
    assert files(vault) == before and vault.backup_path.read_bytes() == backup


def test_the_advice_in_the_message_recovers_the_previous_generation(vault):
    """'copy it over the vault' must work: the backup opens with the same key."""
    damage(vault, vault.path.read_bytes()[:40])
    with pytest.raises(VaultCorruptError):
        fresh_store().list()
    shutil.copy(vault.backup_path, vault.path)
    assert fresh_store().get("openai") == OPENAI


def test_a_store_that_already_read_the_vault_notices_a_damaged_replacement(vault):
    """The in-memory copy must not hide damage that arrived after it was read."""
    assert vault.get("openai")["OPENAI_ORG"] == "org-test-2222"
    blob = bytearray(vault.path.read_bytes())
    blob[-1] ^= 0x01
    damage(vault, bytes(blob))
    with pytest.raises(VaultCorruptError):
        vault.get("openai")
    with pytest.raises(VaultCorruptError):
        vault.update("openai", {"K": "sk-test-new"})
    assert vault.path.read_bytes() == bytes(blob)


def test_damage_is_reported_in_a_new_process_too(vault):
    damage(vault, vault.path.read_bytes()[:-5])
    answer = read_vault_in_subprocess()
    assert answer["error"] == "VaultCorruptError"
    assert str(vault.path) in answer["message"] and str(vault.backup_path) in answer["message"]
