"""Where a vault's key comes from, and why a missing key never leads to a new vault.

The order is NBSECRETS_PASSPHRASE, then an OS keyring that really stores and
returns the key, then a private key file with a warning. A key that cannot be
found must stop every operation with KeyUnavailableError: silently starting a
new vault would hide (and on the next write, replace) the user's secrets.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from file_keyring import FileKeyring
from keyring.backends import fail, null
from notices import notices, recorded
from store_support import (
    fresh_store,
    header_of,
    mode_of,
    read_vault_in_subprocess,
    run_python,
)

from nbsecrets.core.errors import KeyUnavailableError, NbSecretsWarning
from nbsecrets.core.store import get_store, keys
from nbsecrets.core.store.local import LocalStore
from nbsecrets.core.store.table import Table
from nbsecrets.core.store.vault_file import decrypt, read_header

SECRET = {"API_KEY": "sk-test-keys-0001"}
PASSPHRASE = "correct horse battery staple (test)"


class PlaintextKeyring(FileKeyring):
    """Named like keyrings.alt's backend, which only base64-encodes what it stores."""


class ForgetfulKeyring(FileKeyring):
    """Accepts every password and keeps none, like the null backend under another name."""

    def set_password(self, service: str, username: str, password: str) -> None:
        pass


class TruncatingKeyring(FileKeyring):
    """Keeps only the start of a password, as a backend with a size limit might."""

    def set_password(self, service: str, username: str, password: str) -> None:
        super().set_password(service, username, password[:20])


def table_of(blob: bytes, key: bytes) -> Table:
    """Decrypt a vault with a key obtained independently of the store."""
    return Table.parse(decrypt(read_header(blob), key))


def files_in(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()} if directory.exists() else {}


def key_file_for(key_dir: Path, header: dict[str, Any]) -> Path:
    return key_dir / f"vault-{header['vault_id']}-{header['key_id']}.key"


def entry_for(header: dict[str, Any]) -> str:
    return f"vault-{header['vault_id']}-{header['key_id']}"


# -- which source a new vault takes ---------------------------------------------


def test_passphrase_wins_over_a_working_keyring(file_keyring, key_dir, monkeypatch, store):
    """With NBSECRETS_PASSPHRASE set, nothing is kept anywhere: the key is derived from it."""
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)
    with recorded() as caught:
        store.create("api", SECRET)
    header = header_of(store.path)
    assert header["key_source"] == "passphrase"
    kdf = header["kdf"]
    assert kdf["name"] == "scrypt" and len(base64.b64decode(kdf["salt"])) == 16
    key = Scrypt(
        salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]
    ).derive(PASSPHRASE.encode())
    assert header["key_id"] == keys.key_id(key)
    assert table_of(store.path.read_bytes(), key).values("api") == SECRET
    assert file_keyring.entries() == {}
    assert files_in(key_dir) == {}
    assert notices(caught) == []


def test_working_keyring_holds_one_entry_and_no_key_file_is_written(file_keyring, key_dir, store):
    """A keyring that stores and reads back gets the key, as a single short entry per vault."""
    with recorded() as caught:
        store.create("api", SECRET)
        store.create("db", {"DB_PASSWORD": "sk-test-db-0001"})
        store.update("api", {"EXTRA": "sk-test-extra"})
    header = header_of(store.path)
    assert header["key_source"] == "keyring"
    entries = file_keyring.entries()
    assert list(entries) == [f"{keys.KEYRING_SERVICE}\x00{entry_for(header)}"]
    key = base64.b64decode(entries[f"{keys.KEYRING_SERVICE}\x00{entry_for(header)}"], validate=True)
    assert len(key) == 32 and keys.key_id(key) == header["key_id"]
    assert table_of(store.path.read_bytes(), key).values("db") == {"DB_PASSWORD": "sk-test-db-0001"}
    assert "sk-test" not in json.dumps(entries)  # the keyring holds the key, never the secrets
    assert files_in(key_dir) == {}
    assert notices(caught) == []
    assert fresh_store().get("api") == {**SECRET, "EXTRA": "sk-test-extra"}


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring], ids=["fail", "null"])
def test_without_a_usable_keyring_the_key_goes_to_a_private_file(
    backend, key_dir, store, nbsecrets_home, tmp_path, open_umask
):
    """fail raises and null 'stores' nothing (get returns None): both must end in a key file,
    0600 in a 0700 dir apart from the vault, announced by one warning per process naming it."""
    keyring.set_keyring(backend())
    with recorded() as caught:
        store.create("api", SECRET)
        first = header_of(store.path)
        store.update("api", {"MORE": "sk-test-more"})
        LocalStore(tmp_path / "second-home").create("other", SECRET)
    assert first["key_source"] == "file"
    key_file = key_file_for(key_dir, first)
    assert key_file.is_file()
    assert mode_of(key_file) == 0o600 and mode_of(key_dir) == 0o700
    assert nbsecrets_home not in key_file.parents and key_dir != nbsecrets_home
    assert len(list(key_dir.iterdir())) == 2  # one key per vault
    warned = notices(caught)
    assert len(warned) == 1, warned
    # The warning says where the key file is without printing the folder (a saved notebook
    # output would keep it): here NBSECRETS_KEY_DIR chose the folder, so it names that variable.
    assert "key file" in warned[0] and "NBSECRETS_KEY_DIR" in warned[0]
    assert str(key_dir) not in warned[0]
    key = base64.b64decode(key_file.read_text().strip(), validate=True)
    assert keys.key_id(key) == first["key_id"]
    assert table_of(store.path.read_bytes(), key).values("api") == {**SECRET, "MORE": "sk-test-more"}
    # a new process with the same useless keyring still finds the key (it is in the file, not in null)
    assert fresh_store().get("api")["MORE"] == "sk-test-more"


@pytest.mark.parametrize("backend_class", [ForgetfulKeyring, TruncatingKeyring])
def test_a_keyring_that_does_not_give_the_key_back_is_not_trusted(backend_class, tmp_path, key_dir, store):
    """Only reading the key back proves it was kept; a bad entry must not be left behind."""
    backend = backend_class(tmp_path / "odd-keyring.json")
    keyring.set_keyring(backend)
    with recorded() as caught:
        store.create("api", SECRET)
    header = header_of(store.path)
    assert header["key_source"] == "file"
    assert key_file_for(key_dir, header).is_file()
    assert backend.entries() == {}
    assert len(notices(caught)) == 1
    assert fresh_store().get("api") == SECRET


def test_null_backend_chosen_by_environment_in_a_new_process(key_dir, nbsecrets_home, tmp_path):
    """The common PYTHON_KEYRING_BACKEND=...null.Keyring workaround, as a user's process sees it."""
    code = (
        "from nbsecrets.core.store import get_store\n"
        "from nbsecrets.core.store.local import LocalStore\n"
        "get_store().create('api', {'API_KEY': 'sk-test-null'})\n"
        f"LocalStore({str(tmp_path / 'second-home')!r}).create('api', {{'API_KEY': 'sk-test-null'}})\n"
    )
    result = run_python(code, env={"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
    assert result.returncode == 0, result.stderr
    header = header_of(nbsecrets_home / "vault.nbs")
    assert header["key_source"] == "file"
    key_file = key_file_for(key_dir, header)
    assert key_file.is_file()
    assert result.stderr.count("NbSecretsWarning") == 1
    assert "NBSECRETS_KEY_DIR" in result.stderr and str(key_dir) not in result.stderr
    assert read_vault_in_subprocess({"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}) == {
        "ok": {"api": {"API_KEY": "sk-test-null"}}
    }


def test_plaintext_looking_keyring_is_used_with_one_warning(tmp_path, key_dir, store):
    """A backend that keeps passwords in plain form is better than nothing, but the user must know."""
    backend = PlaintextKeyring(tmp_path / "plaintext-keyring.json")
    keyring.set_keyring(backend)
    with recorded() as caught:
        store.create("api", SECRET)
        LocalStore(tmp_path / "second-home").create("api", SECRET)
    assert header_of(store.path)["key_source"] == "keyring"
    assert len(backend.entries()) == 2
    assert files_in(key_dir) == {}
    warned = notices(caught)
    assert len(warned) == 1, warned
    assert "PlaintextKeyring" in warned[0]


# -- NBSECRETS_KEY_SOURCE ---------------------------------------------------------


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring], ids=["fail", "null"])
def test_forced_keyring_without_a_usable_keyring_refuses_and_creates_nothing(backend, monkeypatch, store, key_dir):
    """Asked for the keyring, nbsecrets must not quietly fall back to a weaker key file."""
    keyring.set_keyring(backend())
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "keyring")
    with pytest.raises(KeyUnavailableError, match="NBSECRETS_KEY_SOURCE=keyring"):
        store.create("api", SECRET)
    assert not store.path.exists() and not store.backup_path.exists()
    assert files_in(key_dir) == {}
    assert store.list() == []


def test_forced_passphrase_without_one_refuses(monkeypatch, file_keyring, store, key_dir):
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "passphrase")
    with pytest.raises(KeyUnavailableError, match="NBSECRETS_PASSPHRASE"):
        store.create("api", SECRET)
    assert not store.path.exists()
    assert file_keyring.entries() == {} and files_in(key_dir) == {}


@pytest.mark.parametrize("value", ["keychain", "none", "file,keyring"])
def test_invalid_key_source_refuses(value, monkeypatch, file_keyring, store, key_dir):
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", value)
    with pytest.raises(KeyUnavailableError, match="NBSECRETS_KEY_SOURCE") as raised:
        store.create("api", SECRET)
    assert "passphrase" in str(raised.value) and "keyring" in str(raised.value) and "file" in str(raised.value)
    assert not store.path.exists()
    assert file_keyring.entries() == {} and files_in(key_dir) == {}


@pytest.mark.parametrize("value", ["keyring", " Keyring "])
def test_forced_keyring_beats_a_passphrase(value, monkeypatch, file_keyring, store):
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", value)
    store.create("api", SECRET)
    assert header_of(store.path)["key_source"] == "keyring"
    assert len(file_keyring.entries()) == 1


def test_forced_file_beats_a_working_keyring(monkeypatch, file_keyring, store, key_dir):
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "file")
    with recorded():
        store.create("api", SECRET)
    header = header_of(store.path)
    assert header["key_source"] == "file"
    assert key_file_for(key_dir, header).is_file()
    assert file_keyring.entries() == {}


# -- a missing key ----------------------------------------------------------------


class Vault:
    """A vault with two generations whose key can be taken away and given back."""

    def __init__(self, store: LocalStore, remove: Callable[[], None], restore: Callable[[], None], where: list[str]):
        self.store = store
        self.remove = remove
        self.restore = restore
        self.where = where


SOURCES = ["keyring", "keyring-unreachable", "file", "passphrase"]


@pytest.fixture(params=SOURCES)
def vault(request, monkeypatch, key_dir) -> Vault:
    source = request.param
    if source.startswith("keyring"):
        backend = request.getfixturevalue("file_keyring")
    elif source == "passphrase":
        monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)
    store = get_store()
    with recorded():
        store.create("api", SECRET)
        store.create("db", {"DB_PASSWORD": "sk-test-db-0001"})
    header = header_of(store.path)
    assert header["key_source"] == source.split("-")[0]

    if source == "keyring":
        entry = entry_for(header)
        saved = backend.get_password(keys.KEYRING_SERVICE, entry)

        def remove() -> None:
            backend.delete_password(keys.KEYRING_SERVICE, entry)

        def restore() -> None:
            backend.set_password(keys.KEYRING_SERVICE, entry, saved)

        where = [entry, "keyring"]
    elif source == "keyring-unreachable":
        # the vault was made where a keyring works; now a process on a headless machine opens it

        def remove() -> None:
            keyring.set_keyring(fail.Keyring())
            monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

        def restore() -> None:
            keyring.set_keyring(backend)
            monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "file_keyring.FileKeyring")

        where = [entry_for(header), "keyring"]
    elif source == "file":
        key_file = key_file_for(key_dir, header)
        saved_bytes = key_file.read_bytes()

        def remove() -> None:
            key_file.unlink()

        def restore() -> None:
            key_file.write_bytes(saved_bytes)

        where = [str(key_file)]
    else:

        def remove() -> None:
            monkeypatch.delenv("NBSECRETS_PASSPHRASE")

        def restore() -> None:
            monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)

        where = ["NBSECRETS_PASSPHRASE"]
    return Vault(store, remove, restore, where)


OPERATIONS: dict[str, Callable[[LocalStore], Any]] = {
    "list": lambda s: s.list(),
    "read": lambda s: s.read("api"),
    "get": lambda s: s.get("api"),
    "info": lambda s: s.info("api"),
    "exists": lambda s: s.exists("api"),
    "create-new": lambda s: s.create("brand-new", {"NEW": "sk-test-new"}),
    "create-overwrite": lambda s: s.create("api", {"NEW": "sk-test-new"}, overwrite=True),
    "update": lambda s: s.update("api", {"NEW": "sk-test-new"}),
    "delete": lambda s: s.delete("api"),
    "delete-allow-missing": lambda s: s.delete("nothing-here", allow_missing=True),
    "rotate-key": lambda s: s.rotate_key(),
}


def test_missing_key_stops_every_operation_and_changes_nothing(vault, key_dir, tmp_path):
    """No operation may treat a vault whose key is gone as absent and start a new one."""
    home = vault.store.home
    before_home = files_in(home)
    vault.remove()
    before_keys = files_in(key_dir)
    keyring_file = tmp_path / "keyring.json"
    before_keyring = keyring_file.read_bytes() if keyring_file.exists() else None
    for name, operation in OPERATIONS.items():
        store = fresh_store()
        with pytest.raises(KeyUnavailableError) as raised:
            operation(store)
        message = str(raised.value)
        assert str(store.path) in message, (name, message)
        for where in vault.where:
            assert where in message, (name, message)
        assert "sk-test" not in message
    assert files_in(home) == before_home  # vault and backup bytes unchanged, nothing new
    assert files_in(key_dir) == before_keys  # no replacement key was made
    assert (keyring_file.read_bytes() if keyring_file.exists() else None) == before_keyring
    vault.restore()
    store = fresh_store()
    assert store.get("api") == SECRET and store.get("db") == {"DB_PASSWORD": "sk-test-db-0001"}


def test_a_new_process_opens_the_vault_with_its_key_and_refuses_without(vault):
    """Nothing held in memory: a kernel restarted later must find the key where the header says."""
    expected = {"api": SECRET, "db": {"DB_PASSWORD": "sk-test-db-0001"}}
    assert read_vault_in_subprocess() == {"ok": expected}
    before = vault.store.path.read_bytes()
    vault.remove()
    answer = read_vault_in_subprocess()
    assert answer["error"] == "KeyUnavailableError"
    assert all(where in answer["message"] for where in vault.where)
    assert vault.store.path.read_bytes() == before


def test_wrong_passphrase_is_refused_and_changes_nothing(monkeypatch, store):
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)
    store.create("api", SECRET)
    store.update("api", {"MORE": "sk-test-more"})
    before = files_in(store.home)
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", "not the passphrase")
    reopened = fresh_store()  # derives from the wrong passphrase once, then every call is refused
    for name, operation in OPERATIONS.items():
        with pytest.raises(KeyUnavailableError, match="does not match") as raised:
            operation(reopened)
        assert str(store.path) in str(raised.value), name
    assert files_in(store.home) == before
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)
    assert fresh_store().get("api") == {**SECRET, "MORE": "sk-test-more"}


@pytest.mark.parametrize("source", ["file", "keyring"])
def test_a_key_that_is_present_but_wrong_is_a_key_problem_not_damage(source, request, key_dir, store):
    """Another vault's key put in place (a restored backup of the wrong file, a copied keyring)
    must be reported as the wrong key, not as a damaged vault the user might throw away."""
    backend = request.getfixturevalue("file_keyring") if source == "keyring" else None
    with recorded():
        store.create("api", SECRET)
    before = store.path.read_bytes()
    header = header_of(before)
    wrong = base64.b64encode(bytes(range(32))).decode()
    if backend is not None:
        backend.set_password(keys.KEYRING_SERVICE, entry_for(header), wrong)
    else:
        key_file_for(key_dir, header).write_text(wrong + "\n")
    for operation in (lambda s: s.list(), lambda s: s.update("api", {"NEW": "sk-test-new"})):
        with pytest.raises(KeyUnavailableError, match="does not match") as raised:
            operation(fresh_store())
        assert str(store.path) in str(raised.value)
    assert store.path.read_bytes() == before


# -- rotate_key -------------------------------------------------------------------


def _old_key_present(source: str, header: dict[str, Any], key_dir: Path, tmp_path: Path) -> bool:
    if source == "file":
        return key_file_for(key_dir, header).exists()
    if source == "keyring":
        entries = json.loads((tmp_path / "keyring.json").read_text())
        return f"{keys.KEYRING_SERVICE}\x00{entry_for(header)}" in entries
    return False


@pytest.mark.parametrize("source", ["file", "keyring", "passphrase"])
def test_rotate_key_reencrypts_and_removes_the_old_key(source, request, monkeypatch, key_dir, tmp_path, store):
    if source == "keyring":
        request.getfixturevalue("file_keyring")
    if source == "passphrase":
        monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)
    with recorded():
        store.create("api", SECRET)
        store.update("api", {"MORE": "sk-test-more"})
    old = header_of(store.path)
    assert _old_key_present(source, old, key_dir, tmp_path) == (source != "passphrase")

    with recorded():
        assert store.rotate_key() == source
    new = header_of(store.path)
    assert new["key_source"] == source
    assert new["key_id"] != old["key_id"]
    assert new["vault_id"] == old["vault_id"]
    assert new["generation"] == old["generation"] + 1
    assert not _old_key_present(source, old, key_dir, tmp_path)
    if source == "file":
        assert [p.name for p in key_dir.iterdir()] == [key_file_for(key_dir, new).name]
    if source == "keyring":
        assert list(json.loads((tmp_path / "keyring.json").read_text())) == [
            f"{keys.KEYRING_SERVICE}\x00{entry_for(new)}"
        ]
    expected = {**SECRET, "MORE": "sk-test-more"}
    assert fresh_store().get("api") == expected
    # the backup was under the old key, which is gone: it must now open with the new one
    assert header_of(store.backup_path)["key_id"] == new["key_id"]
    scratch = tmp_path / "restored-home"
    scratch.mkdir()
    shutil.copy(store.backup_path, scratch / "vault.nbs")
    assert LocalStore(scratch).get("api") == expected


def test_rotate_moves_a_file_key_into_a_keyring_that_became_available(file_keyring, key_dir, store):
    """`nbsecrets rotate-key` is the advertised way out of the key file once a keyring exists."""
    keyring.set_keyring(fail.Keyring())
    with recorded():
        store.create("api", SECRET)
    old = header_of(store.path)
    assert old["key_source"] == "file" and key_file_for(key_dir, old).exists()

    keyring.set_keyring(file_keyring)
    assert store.rotate_key() == "keyring"
    new = header_of(store.path)
    assert new["key_source"] == "keyring"
    assert not key_file_for(key_dir, old).exists()
    assert list(key_dir.iterdir()) == []
    assert list(file_keyring.entries()) == [f"{keys.KEYRING_SERVICE}\x00{entry_for(new)}"]
    assert read_vault_in_subprocess() == {"ok": {"api": SECRET}}


def test_rotate_without_a_vault_does_nothing(store, key_dir, file_keyring):
    assert store.rotate_key() is None
    assert not store.path.exists()
    assert files_in(key_dir) == {} and file_keyring.entries() == {}


def test_refused_rotation_keeps_vault_and_old_key(monkeypatch, store, key_dir):
    with recorded():
        store.create("api", SECRET)
    before = files_in(store.home)
    old = header_of(store.path)
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "keyring")  # and keyring is the fail backend
    with pytest.raises(KeyUnavailableError):
        store.rotate_key()
    assert files_in(store.home) == before
    assert key_file_for(key_dir, old).exists()
    assert fresh_store().get("api") == SECRET
