"""The local vault in hostile surroundings: links, loose modes, a costly header, odd passphrases.

Each case is something a user's machine really does: a vault kept in a synced
folder behind a symbolic link (and the disk behind it unmounted), folders a
umask or a copy left readable by others, a vault file whose unauthenticated
header was raised to an absurd scrypt cost, a passphrase typed on macOS
(decomposed accents) or set from bytes that are not UTF-8, a mistyped
NBSECRETS_KEY_SOURCE. None of them may end in a silently empty vault, a key
left readable, a minute of scrypt, or "this is a bug".
"""

from __future__ import annotations

import base64
import errno
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cryptography.hazmat.primitives.kdf.scrypt as scrypt_module
import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from file_keyring import FileKeyring
from notices import notices, recorded
from store_support import fresh_store, header_of, mode_of, temp_files, with_header

from nbsecrets.core.errors import (
    KeyUnavailableError,
    NbSecretsWarning,
    StoreUnavailableError,
    VaultCorruptError,
)
from nbsecrets.core.store import files, get_store, keys
from nbsecrets.core.store import local as local_module
from nbsecrets.core.store.keys import KeySpec
from nbsecrets.core.store.local import LocalStore
from nbsecrets.core.store.table import Table
from nbsecrets.core.store.vault_file import encrypt

SECRET = {"API_KEY": "sk-test-hostile-0001"}
FAST_SCRYPT = {"n": 2**10, "r": 8, "p": 1}
REAL_SCRYPT = dict(keys.SCRYPT_PARAMS)  # as imported, before any test lowers it
PASSPHRASE = "sk-test-passphrase-hostile"
NOT_UTF8 = "sk-test-\udcff"  # how os.environ holds the byte 0xff it cannot decode
COMPOSED = "caf\u00e9-sk-test"
DECOMPOSED = "cafe\u0301-sk-test"


@pytest.fixture
def fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cheap scrypt for tests about something else (the vault reads keys.SCRYPT_PARAMS when called)."""
    monkeypatch.setattr(keys, "SCRYPT_PARAMS", dict(FAST_SCRYPT))


def contents(store: LocalStore) -> dict[str, dict[str, str]]:
    return {info.name: store.get(info.name) for info in store.list()}


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder` (links by their text), to prove nothing was created or changed."""
    if not os.path.lexists(folder):
        return {}
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = "-> " + os.readlink(path)
        elif path.is_file():
            found[name] = path.read_bytes()
        else:
            found[name] = "dir"
    return found




# -- a vault behind a symbolic link ------------------------------------------------

WRITES: dict[str, tuple[Callable[[LocalStore], Any], dict[str, dict[str, str]]]] = {
    "create": (
        lambda s: s.create("second", {"DB_PASSWORD": "sk-test-db-0002"}),
        {"first": SECRET, "second": {"DB_PASSWORD": "sk-test-db-0002"}},
    ),
    "update": (lambda s: s.update("first", {"EXTRA": "sk-test-extra-0003"}), {"first": {**SECRET, "EXTRA": "sk-test-extra-0003"}}),
    "delete": (lambda s: s.delete("first"), {}),
    "rotate-key": (lambda s: s.rotate_key(), {"first": SECRET}),
}


@pytest.fixture(params=["absolute", "relative"])
def linked(request: pytest.FixtureRequest, store: LocalStore, tmp_path: Path) -> tuple[LocalStore, Path, str]:
    """A vault whose `vault.nbs` is a link (absolute or relative) to a file in another folder."""
    store.create("first", SECRET)
    synced = tmp_path / "synced"
    synced.mkdir()
    real = synced / "real-vault.nbs"
    os.replace(store.path, real)
    text = str(real) if request.param == "absolute" else os.path.relpath(real, store.home)
    os.symlink(text, store.path)
    return fresh_store(), real, text


@pytest.mark.parametrize("operation", list(WRITES))
def test_a_write_through_a_vault_link_replaces_the_file_it_points_to(operation, linked):
    store, real, text = linked
    write, expected = WRITES[operation]
    before = os.stat(real).st_ino
    write(store)
    assert store.path.is_symlink() and os.readlink(store.path) == text
    assert real.is_file() and not real.is_symlink()
    assert os.stat(real).st_ino != before  # replaced by a rename, not written in place
    assert mode_of(real) == 0o600
    assert temp_files(store.home) == [] and temp_files(real.parent) == []
    assert sorted(p.name for p in real.parent.iterdir()) == ["real-vault.nbs"]
    assert store.backup_path.is_file() and not store.backup_path.is_symlink()
    assert contents(fresh_store()) == expected


def test_several_writes_through_a_link_keep_it_and_leave_no_temporary_file(linked):
    store, real, text = linked
    for write, _ in WRITES.values():
        write(store)
    assert os.readlink(store.path) == text
    assert temp_files(store.home) == [] and temp_files(real.parent) == []
    assert contents(fresh_store()) == {"second": {"DB_PASSWORD": "sk-test-db-0002"}}


OPERATIONS: dict[str, Callable[[LocalStore], Any]] = {
    "list": lambda s: s.list(),
    "exists": lambda s: s.exists("first"),
    "get": lambda s: s.get("first"),
    "create": lambda s: s.create("first", SECRET),
    "update": lambda s: s.update("first", {"K": "sk-test-new"}),
    "delete": lambda s: s.delete("first", allow_missing=True),
    "rotate-key": lambda s: s.rotate_key(),
}


@pytest.mark.parametrize("missing", ["file", "folder"])
def test_a_dangling_vault_link_is_an_error_never_an_empty_vault(missing, nbsecrets_home, key_dir, tmp_path):
    """The synced folder is not mounted (or its file was moved): no operation may read that as
    'no secrets', nor create a new vault where the link points."""
    synced = tmp_path / "synced"
    synced.mkdir()
    target = synced / "vault.nbs" if missing == "file" else tmp_path / "unmounted" / "nbsecrets" / "vault.nbs"
    nbsecrets_home.mkdir()
    link = nbsecrets_home / "vault.nbs"
    os.symlink(target, link)
    for name, operation in OPERATIONS.items():
        with pytest.raises(StoreUnavailableError) as raised:
            operation(fresh_store())
        message = str(raised.value)
        assert str(link) in message, (name, message)
        assert "no secret" not in message.lower(), name
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert not os.path.lexists(target)
    assert tree(synced) == {} and not (tmp_path / "unmounted").exists()
    assert tree(key_dir) == {}  # no key was made for a vault that was not made


@pytest.mark.parametrize("shape", ["home-is-the-link", "home-is-under-the-link"])
def test_a_home_behind_a_dangling_link_is_an_error_and_nothing_is_created(shape, tmp_path, key_dir, monkeypatch):
    gone = tmp_path / "unmounted" / "nbsecrets"
    link = tmp_path / "home-link"
    os.symlink(gone, link)
    home = link if shape == "home-is-the-link" else link / "sub" / "nbsecrets-home"
    monkeypatch.setenv("NBSECRETS_HOME", str(home))
    for name, operation in {"list": OPERATIONS["list"], "create": OPERATIONS["create"]}.items():
        fresh_store()  # forget the stores opened so far
        with pytest.raises(StoreUnavailableError) as raised:
            operation(get_store())
        assert str(link) in str(raised.value), (name, str(raised.value))
    assert link.is_symlink()
    assert not (tmp_path / "unmounted").exists()
    assert tree(key_dir) == {}


def test_a_home_under_a_regular_file_is_refused_for_list_and_create(tmp_path, monkeypatch):
    """Beyond the links: refuse_dangling also refuses a home whose nearest existing part is a file."""
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"not a folder\n")
    monkeypatch.setenv("NBSECRETS_HOME", str(blocker / "nbsecrets-home"))
    for name, operation in {"list": OPERATIONS["list"], "create": OPERATIONS["create"]}.items():
        fresh_store()
        with pytest.raises(StoreUnavailableError) as raised:
            operation(get_store())
        assert str(blocker) in str(raised.value), name
    assert blocker.read_bytes() == b"not a folder\n"


def test_a_home_that_links_to_an_existing_folder_is_used(tmp_path, monkeypatch):
    """The control: a link to a folder that is there is followed like the folder itself."""
    real_home = tmp_path / "synced-home"
    real_home.mkdir(mode=0o700)
    link = tmp_path / "home-link"
    os.symlink(real_home, link)
    monkeypatch.setenv("NBSECRETS_HOME", str(link))
    get_store().create("first", SECRET)
    assert link.is_symlink() and (real_home / "vault.nbs").is_file()
    fresh_store()
    assert contents(get_store()) == {"first": SECRET}


@pytest.mark.parametrize("shape", ["vault-link", "home-link", "home-under-link"])
def test_cli_list_behind_a_dangling_link_is_one_error_line(shape, nbs, nbsecrets_home, tmp_path, monkeypatch):
    gone = tmp_path / "unmounted" / "nbsecrets"
    if shape == "vault-link":
        nbsecrets_home.mkdir()
        os.symlink(gone / "vault.nbs", nbsecrets_home / "vault.nbs")
    else:
        os.symlink(gone, tmp_path / "home-link")
        home = tmp_path / "home-link" if shape == "home-link" else tmp_path / "home-link" / "sub"
        monkeypatch.setenv("NBSECRETS_HOME", str(home))
    result = nbs("list")
    assert result.code == 1
    line = result.error_line()
    assert "symbolic link" in line
    assert "No secrets" not in result.out + result.err and result.out == ""
    assert "Traceback" not in result.err
    assert not (tmp_path / "unmounted").exists()


# -- modes others can use ------------------------------------------------------------

LOOSE: dict[str, tuple[Callable[[LocalStore, Path], Path], int, int]] = {
    # what is loosened, to which mode, and the mode it must be tightened to
    "home-0755": (lambda s, k: s.home, 0o755, 0o700),
    "home-0750": (lambda s, k: s.home, 0o750, 0o700),
    "home-0777": (lambda s, k: s.home, 0o777, 0o700),
    "key-folder-0755": (lambda s, k: k, 0o755, 0o700),
    "key-file-0644": (lambda s, k: next(k.glob("*.key")), 0o644, 0o600),
    "vault-0644": (lambda s, k: s.path, 0o644, 0o600),
}


@pytest.fixture
def file_key_vault(store: LocalStore, key_dir: Path) -> LocalStore:
    """A vault with its key in a key file, everything private as the store made it."""
    store.create("api", SECRET)
    assert mode_of(store.home) == 0o700 and mode_of(store.path) == 0o600
    assert mode_of(key_dir) == 0o700 and mode_of(next(key_dir.glob("*.key"))) == 0o600
    return store


@pytest.mark.parametrize("case", list(LOOSE))
def test_a_loose_mode_is_tightened_on_the_next_open_with_one_notice(case, file_key_vault, key_dir):
    which, loose, private = LOOSE[case]
    path = which(file_key_vault, key_dir)
    os.chmod(path, loose)
    with pytest.warns(NbSecretsWarning, match=re.escape(str(path))) as caught:
        assert contents(fresh_store()) == {"api": SECRET}
    given = notices(caught)
    assert len(given) == 1, given
    assert str(path) in given[0] and f"{loose:04o}" in given[0] and f"{private:04o}" in given[0]
    assert mode_of(path) == private
    with recorded() as again:
        assert contents(fresh_store()) == {"api": SECRET}
    assert notices(again) == []


def test_an_open_home_is_tightened_by_the_first_write_too(nbsecrets_home, monkeypatch):
    """No vault yet, but the folder it will live in is open to others: create tightens it first."""
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "file")  # no keyring notice in the way
    nbsecrets_home.mkdir()
    os.chmod(nbsecrets_home, 0o755)
    with pytest.warns(NbSecretsWarning, match=re.escape(str(nbsecrets_home))) as caught:
        fresh_store().create("api", SECRET)
    given = notices(caught)
    assert len(given) == 1 and "0755" in given[0] and "0700" in given[0], given
    assert mode_of(nbsecrets_home) == 0o700 and mode_of(nbsecrets_home / "vault.nbs") == 0o600


def test_the_notice_shows_a_path_under_home_from_the_tilde(file_key_vault, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # the vault home is now ~/nbsecrets-home
    os.chmod(file_key_vault.home, 0o755)
    with pytest.warns(NbSecretsWarning) as caught:
        fresh_store().list()
    (notice,) = notices(caught)
    assert "~/nbsecrets-home" in notice and str(tmp_path) not in notice
    assert "0755" in notice and "0700" in notice


def test_the_notice_shows_a_relative_home_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    LocalStore("relative-home").create("api", SECRET)
    os.chmod(tmp_path / "relative-home", 0o750)
    with pytest.warns(NbSecretsWarning) as caught:
        fresh_store("relative-home").list()
    (notice,) = notices(caught)
    assert notice.startswith("relative-home ") and str(tmp_path) not in notice
    assert "0750" in notice and "0700" in notice


@pytest.fixture
def chmod_fails_for(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], list[str]]:
    """Make chmod of one path fail as it does for another user's file (root could chmod anything)."""

    def arrange(path: Path) -> list[str]:
        real_chmod = os.chmod
        refused: list[str] = []

        def chmod(target: Any, mode: int, *args: Any, **kwargs: Any) -> None:
            if os.path.abspath(target) == os.path.abspath(path):
                refused.append(str(target))
                raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), str(target))
            real_chmod(target, mode, *args, **kwargs)

        monkeypatch.setattr(files.os, "chmod", chmod)
        return refused

    return arrange


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every key decoded and every vault decrypted (what 'reads nothing' rules out)."""
    calls: list[str] = []
    decode, decrypt = keys._decode_key, local_module.decrypt

    def recording_decode(*args: Any, **kwargs: Any) -> bytes:
        calls.append("key")
        return decode(*args, **kwargs)

    def recording_decrypt(*args: Any, **kwargs: Any) -> bytes:
        calls.append("vault")
        return decrypt(*args, **kwargs)

    monkeypatch.setattr(keys, "_decode_key", recording_decode)
    monkeypatch.setattr(local_module, "decrypt", recording_decrypt)
    return calls


@pytest.mark.parametrize("case", ["home-0755", "key-folder-0755", "key-file-0644", "vault-0644"])
def test_a_loose_mode_that_cannot_be_tightened_is_refused(case, file_key_vault, key_dir, chmod_fails_for, reads):
    which, loose, private = LOOSE[case]
    path = which(file_key_vault, key_dir)
    os.chmod(path, loose)
    vault = file_key_vault.path.read_bytes()
    refused = chmod_fails_for(path)
    for name, operation in {"list": OPERATIONS["list"], "get": OPERATIONS["get"]}.items():
        with pytest.raises(StoreUnavailableError) as raised:
            operation(fresh_store())
        message = str(raised.value)
        assert str(path) in message, (name, message)
        assert re.search(rf"chmod {private:o} {re.escape(str(path))}", message), message
        assert f"{loose:04o}" in message
    assert refused, "chmod was never tried"
    assert reads == []  # neither the key nor the vault was read
    assert mode_of(path) == loose
    assert file_key_vault.path.read_bytes() == vault


def test_an_open_home_that_cannot_be_tightened_gets_no_vault(nbsecrets_home, key_dir, monkeypatch, chmod_fails_for):
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "file")
    nbsecrets_home.mkdir()
    os.chmod(nbsecrets_home, 0o755)
    chmod_fails_for(nbsecrets_home)
    with pytest.raises(StoreUnavailableError, match="chmod 700"):
        fresh_store().create("api", SECRET)
    assert not (nbsecrets_home / "vault.nbs").exists()
    assert not key_dir.exists() or list(key_dir.iterdir()) == []


# -- the header does not choose the cost of scrypt ------------------------------------


@pytest.fixture(scope="module")
def real_vault() -> bytes:
    """A passphrase vault with nbsecrets' real scrypt parameters, derived once for the module."""
    salt = os.urandom(16)
    key = Scrypt(salt=salt, length=keys.KEY_BYTES, **REAL_SCRYPT).derive(PASSPHRASE.encode())
    kdf = {"name": "scrypt", "salt": base64.b64encode(salt).decode(), **REAL_SCRYPT}
    spec = KeySpec("passphrase", uuid.uuid4().hex, keys.key_id(key), kdf)
    table = Table()
    now = time.time()
    table.put("api", dict(SECRET), now, now)
    return encrypt(1, spec, key, table.encode())


class ScryptWasRun(Exception):
    """Raised by the stand-ins below: reaching them means the header chose a cost."""


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every derivation asked for; a hostile one must be refused before it is."""
    calls: list[dict[str, Any]] = []
    derive = keys._derive

    def recording_derive(passphrase: str, kdf: dict[str, Any]) -> bytes:
        calls.append(dict(kdf))
        if {k: kdf.get(k) for k in ("n", "r", "p")} != REAL_SCRYPT:
            raise ScryptWasRun(f"scrypt with {kdf}")
        return derive(passphrase, kdf)

    def recording_scrypt(*args: Any, **kwargs: Any) -> Scrypt:
        calls.append({"class": {k: v for k, v in kwargs.items() if k != "salt"}})
        if {k: kwargs.get(k) for k in ("n", "r", "p")} != REAL_SCRYPT:
            raise ScryptWasRun(f"Scrypt(n={kwargs.get('n')}, r={kwargs.get('r')}, p={kwargs.get('p')})")
        return Scrypt(*args, **kwargs)

    monkeypatch.setattr(keys, "_derive", recording_derive)
    monkeypatch.setattr(scrypt_module, "Scrypt", recording_scrypt)
    return calls


def _without(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda kdf: {k: v for k, v in kdf.items() if k != key}


HOSTILE_KDFS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "n=2**20,r=8,p=16": lambda kdf: {**kdf, "n": 2**20, "r": 8, "p": 16},
    "n=2**40": lambda kdf: {**kdf, "n": 2**40},
    "n=2**18": lambda kdf: {**kdf, "n": kdf["n"] * 2},
    "n=2**16 (cheaper)": lambda kdf: {**kdf, "n": kdf["n"] // 2},
    "r=16": lambda kdf: {**kdf, "r": kdf["r"] * 2},
    "p=2": lambda kdf: {**kdf, "p": kdf["p"] + 1},
    "n-as-float": lambda kdf: {**kdf, "n": float(kdf["n"])},
    "n-as-string": lambda kdf: {**kdf, "n": str(kdf["n"])},
    "n-missing": _without("n"),
    "salt-missing": _without("salt"),
    "salt-short": lambda kdf: {**kdf, "salt": base64.b64encode(b"12345678").decode()},
    "salt-not-base64": lambda kdf: {**kdf, "salt": "not base64!"},
    "not-scrypt": lambda kdf: {**kdf, "name": "pbkdf2"},
}


@pytest.mark.parametrize("variant", [*HOSTILE_KDFS, "kdf-missing"])
def test_a_header_with_other_scrypt_parameters_is_refused_before_scrypt_runs(
    variant, real_vault, store, monkeypatch, scrypt_calls
):
    header = header_of(real_vault)
    if variant == "kdf-missing":
        del header["kdf"]
    else:
        header["kdf"] = HOSTILE_KDFS[variant](header["kdf"])
    hostile = with_header(real_vault, header)
    store.home.mkdir()
    store.path.write_bytes(hostile)
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)
    for name, operation in OPERATIONS.items():
        with pytest.raises(VaultCorruptError) as raised:
            operation(fresh_store())
        assert str(store.path) in str(raised.value), name
    assert scrypt_calls == []
    assert store.path.read_bytes() == hostile


def test_a_header_with_the_real_parameters_opens(real_vault, store, monkeypatch, scrypt_calls):
    """The control for the stand-ins above: nbsecrets' own parameters are derived, once."""
    store.home.mkdir()
    store.path.write_bytes(real_vault)
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)
    assert contents(fresh_store()) == {"api": SECRET}
    assert len([c for c in scrypt_calls if "class" not in c]) == 1


def test_the_allowed_parameters_are_read_when_the_vault_is_opened(real_vault, store, monkeypatch, scrypt_calls):
    """With keys.SCRYPT_PARAMS lowered (as the fast tests do), the real parameters are 'other' too."""
    monkeypatch.setattr(keys, "SCRYPT_PARAMS", dict(FAST_SCRYPT))
    store.home.mkdir()
    store.path.write_bytes(real_vault)
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", PASSPHRASE)
    with pytest.raises(VaultCorruptError):
        fresh_store().list()
    assert scrypt_calls == []


# -- passphrases -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed_at_creation, typed_now",
    [(DECOMPOSED, COMPOSED), (COMPOSED, DECOMPOSED), (DECOMPOSED, DECOMPOSED)],
    ids=["decomposed-then-composed", "composed-then-decomposed", "decomposed-twice"],
)
def test_a_passphrase_opens_in_either_unicode_form(typed_at_creation, typed_now, fast_scrypt, monkeypatch, store):
    assert COMPOSED != DECOMPOSED
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", typed_at_creation)
    store.create("api", SECRET)
    assert header_of(store.path)["key_source"] == "passphrase"
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", typed_now)
    assert contents(fresh_store()) == {"api": SECRET}


def test_a_passphrase_that_is_not_utf8_creates_no_vault(monkeypatch, store, key_dir):
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", NOT_UTF8)
    with pytest.raises(KeyUnavailableError) as raised:
        store.create("api", SECRET)
    message = str(raised.value)
    assert "NBSECRETS_PASSPHRASE" in message and "UTF-8" in message
    assert "bug" not in message
    assert not store.path.exists() and not store.backup_path.exists()
    assert not key_dir.exists() or list(key_dir.iterdir()) == []


def test_a_passphrase_that_is_not_utf8_does_not_open_a_vault(real_vault, store, monkeypatch, scrypt_calls):
    store.home.mkdir()
    store.path.write_bytes(real_vault)
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", NOT_UTF8)
    with pytest.raises(KeyUnavailableError, match="NBSECRETS_PASSPHRASE.*UTF-8"):
        fresh_store().list()
    assert scrypt_calls == []  # refused before any derivation
    assert store.path.read_bytes() == real_vault


def test_cli_with_a_passphrase_that_is_not_utf8_is_one_clear_error(nbs, monkeypatch, nbsecrets_home):
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", NOT_UTF8)
    result = nbs("create", "api", "API_KEY=-", stdin="sk-test-value-0004")
    assert result.code == 1
    line = result.error_line()
    assert "NBSECRETS_PASSPHRASE" in line and "UTF-8" in line and "bug" not in line
    assert "sk-test-value-0004" not in result.out + result.err
    assert not (nbsecrets_home / "vault.nbs").exists()


def _bytes_env(**extra: bytes) -> dict[bytes, bytes]:
    env = dict(os.environb)
    env.update({name.encode(): value for name, value in extra.items()})
    return env


def test_a_passphrase_that_is_not_utf8_in_a_real_process(real_vault, store, tmp_path):
    """The bytes as a shell would pass them: the child's os.environ holds a surrogate."""
    store.home.mkdir()
    store.path.write_bytes(real_vault)
    env = _bytes_env(NBSECRETS_PASSPHRASE=b"sk-test-\xff")
    listing = subprocess.run(
        [sys.executable, "-m", "nbsecrets", "list"], env=env, capture_output=True, text=True,
        timeout=60, start_new_session=True, stdin=subprocess.DEVNULL,
    )
    empty_home = tmp_path / "empty-home"
    creating = subprocess.run(
        [sys.executable, "-m", "nbsecrets", "create", "api", "API_KEY=-"],
        env={**env, b"NBSECRETS_HOME": os.fsencode(empty_home)}, capture_output=True, text=True,
        timeout=60, start_new_session=True, input="sk-test-value-0005",
    )
    for result in (listing, creating):
        assert result.returncode == 1, result.stderr
        lines = [line for line in result.stderr.splitlines() if line and not line.startswith("nbsecrets: warning:")]
        assert len(lines) == 1, result.stderr
        assert "NBSECRETS_PASSPHRASE" in lines[0] and "UTF-8" in lines[0], lines[0]
        assert "bug" not in result.stderr and "Traceback" not in result.stderr
        assert "sk-test-value-0005" not in result.stdout + result.stderr
    assert store.path.read_bytes() == real_vault
    assert not (empty_home / "vault.nbs").exists()


# -- NBSECRETS_KEY_SOURCE ------------------------------------------------------------------

COMMANDS: dict[str, tuple[list[str], str]] = {
    "list": (["list"], ""),
    "show": (["show", "api"], ""),
    "create": (["create", "new-one", "API_KEY=-"], "sk-test-new-0006"),
    "update": (["update", "api", "EXTRA=-"], "sk-test-extra-0007"),
    "delete": (["delete", "api", "-y"], ""),
    "rotate-key": (["rotate-key"], ""),
    "run": (["run", "api", "--", sys.executable, "-c", "raise SystemExit(0)"], ""),
    "templates": (["templates"], ""),
}


@pytest.mark.parametrize("vault", ["no-vault", "vault"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_invalid_key_source_is_an_error_for_every_command(command, vault, nbs, store, monkeypatch):
    if vault == "vault":
        store.create("api", SECRET)
    before = tree(store.home)
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "bogus")
    argv, stdin = COMMANDS[command]
    result = nbs(*argv, stdin=stdin)
    assert result.code != 0, result.out
    line = result.error_line()
    assert "NBSECRETS_KEY_SOURCE" in line and "bogus" in line, line
    assert "Traceback" not in result.err
    assert tree(store.home) == before
    assert not (store.home / "vault.nbs").exists() or vault == "vault"


@pytest.mark.parametrize("vault", ["no-vault", "vault"])
def test_an_invalid_key_source_is_an_error_in_python(vault, store, monkeypatch):
    if vault == "vault":
        store.create("api", SECRET)
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "bogus")
    fresh_store()
    with pytest.raises(KeyUnavailableError, match="NBSECRETS_KEY_SOURCE"):
        get_store().list()


def test_a_forced_key_file_is_kept_without_the_no_keyring_notice(monkeypatch, store, key_dir, tmp_path):
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "file")
    with recorded() as caught:
        store.create("api", SECRET)
        LocalStore(tmp_path / "second-home").create("api", SECRET)
    assert notices(caught) == []
    assert header_of(store.path)["key_source"] == "file"
    assert len(list(key_dir.glob("*.key"))) == 2
    assert contents(fresh_store()) == {"api": SECRET}


def test_a_forced_key_file_beats_a_working_keyring_without_notice(monkeypatch, file_keyring: FileKeyring, store, key_dir):
    monkeypatch.setenv("NBSECRETS_KEY_SOURCE", "file")
    with recorded() as caught:
        store.create("api", SECRET)
    assert notices(caught) == []
    assert header_of(store.path)["key_source"] == "file"
    assert file_keyring.entries() == {}
    assert len(list(key_dir.glob("*.key"))) == 1


def test_an_unforced_key_file_is_announced_once(store, key_dir, tmp_path):
    with recorded() as caught:
        store.create("api", SECRET)
        LocalStore(tmp_path / "second-home").create("api", SECRET)
    given = notices(caught)
    assert len(given) == 1 and "No OS keyring is available" in given[0], given
    assert header_of(store.path)["key_source"] == "file"
