"""`nbsecrets rotate-key` to a new passphrase, typed twice or given in NBSECRETS_NEW_PASSPHRASE.

After a change of passphrase the old one opens nothing (no generation under it
is left, backup included), the new one opens every secret, and no passphrase
is ever printed. A refused change (the two typings differ, an empty one, no
terminal, text that is not UTF-8) leaves the vault byte for byte as it was.
"""

from __future__ import annotations

import getpass
import json
import os
import struct
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from cli_runs import Result
from process_state import forget_process_state

from nbsecrets.core.errors import KeyUnavailableError
from nbsecrets.core.store import get_store, keys
from nbsecrets.core.store.local import LocalStore
from nbsecrets.core.store.vault_file import MAGIC

pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.NbSecretsWarning")

OLD = "sk-test-old-passphrase-A1"
NEW = "sk-test-new-passphrase-B2"
SECRETS = {
    "openai": {"OPENAI_API_KEY": "sk-test-openai-0001", "OPENAI_ORG": "org-test-0002"},
    "db": {"DB_PASSWORD": "sk-test-db-0003"},
}
FAST_SCRYPT = {"n": 2**10, "r": 8, "p": 1}
NO_TERMINAL = object()
_LENGTH = struct.Struct(">I")


@pytest.fixture
def fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "SCRYPT_PARAMS", dict(FAST_SCRYPT))


def header_of(path: Path) -> dict[str, Any]:
    blob = path.read_bytes()
    assert blob.startswith(MAGIC)
    (length,) = _LENGTH.unpack_from(blob, len(MAGIC))
    start = len(MAGIC) + _LENGTH.size
    return json.loads(blob[start : start + length])


def fresh() -> LocalStore:
    """The local store as a new process opens it."""
    forget_process_state()
    store = get_store()
    assert isinstance(store, LocalStore)
    return store


def contents(store: LocalStore) -> dict[str, dict[str, str]]:
    return {info.name: store.get(info.name) for info in store.list()}


def files_in(*folders: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for folder in folders if folder.exists() for p in sorted(folder.iterdir())}


class Typed:
    """getpass answered from a list; an answer may be NO_TERMINAL (getpass's fallback without a
    terminal: GetPassWarning, then the line read with echo) or an exception to raise."""

    def __init__(self) -> None:
        self.answers: list[Any] = []
        self.prompts: list[str] = []

    def __call__(self, prompt: str = "Password: ", stream: object = None) -> str:
        self.prompts.append(prompt)
        answer = self.answers.pop(0)
        if answer is NO_TERMINAL:
            warnings.warn("Can not control echo on the terminal.", getpass.GetPassWarning, stacklevel=2)
            return "sk-test-typed-with-echo"
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> Typed:
    fake = Typed()
    monkeypatch.setattr(getpass, "getpass", fake)
    return fake




@pytest.fixture
def passphrase_vault(fast_scrypt: None, monkeypatch: pytest.MonkeyPatch, nbsecrets_home: Path) -> LocalStore:
    """Two secrets and a backup, under passphrase OLD (set in NBSECRETS_PASSPHRASE)."""
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", OLD)
    store = fresh()
    for name, env in SECRETS.items():
        store.create(name, env)
    assert header_of(store.path)["key_source"] == "passphrase" and store.backup_path.exists()
    return store


def assert_changed_to_new(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """OLD opens nothing now; NEW opens every secret; the backup is under NEW too."""
    monkeypatch.delenv("NBSECRETS_NEW_PASSPHRASE", raising=False)
    header = header_of(store.path)
    assert header["key_source"] == "passphrase"
    assert header_of(store.backup_path)["key_id"] == header["key_id"]  # nothing left under OLD
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", OLD)
    with pytest.raises(KeyUnavailableError, match="does not match"):
        fresh().list()
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", NEW)
    assert contents(fresh()) == SECRETS


def assert_confirmed(result: Result) -> None:
    assert result.code == 0, result.err
    assert "NBSECRETS_PASSPHRASE" in result.out and "new passphrase" in result.out, result.out
    for passphrase in (OLD, NEW):
        assert passphrase not in result.both
    assert "Traceback" not in result.err


def assert_unchanged(store: LocalStore, before: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    assert files_in(store.home, keys.key_dir()) == before
    monkeypatch.delenv("NBSECRETS_NEW_PASSPHRASE", raising=False)
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", OLD)
    assert contents(fresh()) == SECRETS


# -- a change that succeeds ---------------------------------------------------------------


def test_new_passphrase_from_the_environment(passphrase_vault, nbs, typed, monkeypatch):
    monkeypatch.setenv("NBSECRETS_NEW_PASSPHRASE", NEW)
    result = nbs("rotate-key")
    assert_confirmed(result)
    assert typed.prompts == []
    assert_changed_to_new(passphrase_vault, monkeypatch)


def test_new_passphrase_typed_twice(passphrase_vault, nbs, typed, monkeypatch):
    typed.answers = [NEW, NEW]
    result = nbs("rotate-key", "--new-passphrase")
    assert_confirmed(result)
    assert len(typed.prompts) == 2 and typed.prompts[0] != typed.prompts[1]
    assert_changed_to_new(passphrase_vault, monkeypatch)


def test_from_a_key_file_to_a_passphrase(fast_scrypt, nbs, typed, monkeypatch, key_dir):
    store = fresh()
    for name, env in SECRETS.items():
        store.create(name, env)
    assert header_of(store.path)["key_source"] == "file"
    (old_key_file,) = key_dir.glob("*.key")
    typed.answers = [NEW, NEW]
    result = nbs("rotate-key", "--new-passphrase")
    assert_confirmed(result)
    assert not old_key_file.exists() and list(key_dir.glob("*.key")) == []
    assert header_of(store.path)["key_source"] == "passphrase"
    assert header_of(store.backup_path)["key_id"] == header_of(store.path)["key_id"]
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", NEW)
    assert contents(fresh()) == SECRETS


def test_new_passphrase_from_the_environment_in_a_real_process(monkeypatch, nbsecrets_home):
    """The command as a user runs it, with nbsecrets' real scrypt cost."""
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", OLD)
    store = fresh()
    for name, env in SECRETS.items():
        store.create(name, env)
    result = subprocess.run(
        [sys.executable, "-m", "nbsecrets", "rotate-key"],
        env={**os.environ, "NBSECRETS_NEW_PASSPHRASE": NEW},
        capture_output=True, text=True, timeout=120, start_new_session=True, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "NBSECRETS_PASSPHRASE" in result.stdout
    for passphrase in (OLD, NEW):
        assert passphrase not in result.stdout + result.stderr
    assert_changed_to_new(store, monkeypatch)


def test_the_new_passphrase_is_normalised_like_any_other(passphrase_vault, nbs, monkeypatch):
    """Set in decomposed form (as macOS input gives it), it opens in the composed form."""
    monkeypatch.setenv("NBSECRETS_NEW_PASSPHRASE", "cafe\u0301-sk-test-new")
    assert nbs("rotate-key").code == 0
    monkeypatch.delenv("NBSECRETS_NEW_PASSPHRASE")
    monkeypatch.setenv("NBSECRETS_PASSPHRASE", "caf\u00e9-sk-test-new")
    assert contents(fresh()) == SECRETS


def test_no_vault_yet_asks_nothing(nbs, typed, nbsecrets_home):
    result = nbs("rotate-key", "--new-passphrase")
    assert result.code == 0
    assert "nothing to rotate" in result.out
    assert typed.prompts == []
    assert not (nbsecrets_home / "vault.nbs").exists()


# -- a change that is refused ---------------------------------------------------------------


def test_two_typings_that_differ_change_nothing(passphrase_vault, nbs, typed, monkeypatch):
    before = files_in(passphrase_vault.home, keys.key_dir())
    typed.answers = [NEW, NEW + "x"]
    result = nbs("rotate-key", "--new-passphrase")
    assert result.code == 1
    assert "differ" in result.error_line()
    assert len(typed.prompts) == 2
    assert NEW not in result.both
    assert_unchanged(passphrase_vault, before, monkeypatch)


@pytest.mark.parametrize("answer", ["", "   "], ids=["empty", "spaces"])
def test_an_empty_passphrase_changes_nothing(answer, passphrase_vault, nbs, typed, monkeypatch):
    before = files_in(passphrase_vault.home, keys.key_dir())
    typed.answers = [answer, answer]
    result = nbs("rotate-key", "--new-passphrase")
    assert result.code == 1
    assert "empty" in result.error_line()
    assert_unchanged(passphrase_vault, before, monkeypatch)


def test_an_empty_passphrase_in_the_environment_changes_nothing(passphrase_vault, nbs, monkeypatch):
    before = files_in(passphrase_vault.home, keys.key_dir())
    monkeypatch.setenv("NBSECRETS_NEW_PASSPHRASE", "   ")
    result = nbs("rotate-key")
    assert result.code == 1
    assert "empty" in result.error_line()
    assert_unchanged(passphrase_vault, before, monkeypatch)


def test_without_a_terminal_it_points_to_the_environment_variable(passphrase_vault, nbs, typed, monkeypatch):
    before = files_in(passphrase_vault.home, keys.key_dir())
    typed.answers = [NO_TERMINAL, NO_TERMINAL]
    result = nbs("rotate-key", "--new-passphrase")
    assert result.code == 1
    assert "NBSECRETS_NEW_PASSPHRASE" in result.error_line()
    assert "sk-test-typed-with-echo" not in result.both
    assert_unchanged(passphrase_vault, before, monkeypatch)


def test_cancelled_at_the_prompt_changes_nothing(passphrase_vault, nbs, typed, monkeypatch):
    before = files_in(passphrase_vault.home, keys.key_dir())
    typed.answers = [EOFError()]
    result = nbs("rotate-key", "--new-passphrase")
    assert result.code == 130
    assert "nothing was changed" in result.error_line()
    assert_unchanged(passphrase_vault, before, monkeypatch)


def test_a_new_passphrase_that_is_not_utf8_is_a_clear_error(passphrase_vault, nbs, typed, monkeypatch):
    before = files_in(passphrase_vault.home, keys.key_dir())
    monkeypatch.setenv("NBSECRETS_NEW_PASSPHRASE", "sk-test-\udcff")
    result = nbs("rotate-key")
    assert result.code == 1
    line = result.error_line()
    assert "NBSECRETS_NEW_PASSPHRASE" in line and "UTF-8" in line, line
    assert "bug" not in result.err
    assert typed.prompts == []
    assert_unchanged(passphrase_vault, before, monkeypatch)
