"""The local vault: every secret in one encrypted file, changed atomically.

Readers never lock: a write replaces the file in one rename, so a reader sees
the old or the new vault, whole. Writers take an inter-process lock around
read-modify-write, write a temporary file, fsync it, keep the previous
generation as a backup and rename. A process killed at any point leaves a
vault that opens with every change that had returned.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

from ..errors import AlreadyExistsError, InvalidSecretError, NbSecretsError, SecretNotFoundError, VaultCorruptError
from ..rules import check_env, check_keys, check_name, check_settings
from ..suggestions import close_matches
from . import keys
from .base import LOCAL, SecretInfo, StoredSecret, register_secrets
from ..display import shown_path
from .files import FILE_MODE, ensure_private_dir, is_temp_of, replace_private, temp_name
from .table import IndexRecord, Table, TableFormatError
from .vault_file import FormatError, decrypt, encrypt, read_header

if TYPE_CHECKING:
    from .kinds import StoreConfig

VAULT_NAME = "vault.nbs"
LOCK_TIMEOUT = 60.0


def default_home() -> Path:
    """NBSECRETS_HOME, else the platform's user data directory for nbsecrets."""
    configured = os.environ.get("NBSECRETS_HOME")
    if configured:
        return Path(configured).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_data_dir("nbsecrets", appauthor=False))


@dataclass
class _Snapshot:
    signature: tuple[int, ...]
    generation: int
    spec: keys.KeySpec  # holds the vault id
    key: bytes
    table: Table
    head: bytes  # magic, length and header: unique per write (fresh nonce)
    infos: list[SecretInfo] | None = None


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


class LocalStore:
    """Secrets in an AES-GCM vault under `home`, keyed from the keyring, a passphrase or a key file."""

    def __init__(self, home: str | os.PathLike[str], *, name: str = LOCAL) -> None:
        self.name = name
        self.home = Path(home).expanduser()
        self.path = self.home / VAULT_NAME
        self.backup_path = self.home / (VAULT_NAME + ".bak")
        self._lock_path = self.home / (VAULT_NAME + ".lock")
        self._thread_lock = threading.RLock()
        self._snapshot: _Snapshot | None = None

    @classmethod
    def from_config(cls, config: "StoreConfig") -> "LocalStore":
        return cls(config.options["home"], name=config.name)

    def __repr__(self) -> str:
        return f"<LocalStore {str(self.path)!r}>"

    # -- reading ------------------------------------------------------------

    def list(self) -> list[SecretInfo]:
        """Every secret's name, keys and timestamps, sorted by name; no value is parsed."""
        snapshot = self._read()
        if snapshot is None:
            return []
        if snapshot.infos is None:
            snapshot.infos = sorted(map(self._info, snapshot.table.records()))
        return list(snapshot.infos)

    def get(self, name: str) -> dict[str, str]:
        """The secret's variables; the values of its secrets (not its settings) are registered for masking."""
        return self.read(name).env

    def read(self, name: str) -> StoredSecret:
        """The secret's variables and which keys are settings, from one version of the vault
        (so a concurrent update cannot pair new values with old flags)."""
        table = self._table_with(name)
        try:
            env = table.values(name)
        except TableFormatError:
            raise self._corrupt("a secret's values are damaged") from None
        settings = table.record(name).settings  # type: ignore[union-attr]
        register_secrets(env, settings)
        return StoredSecret(env, settings)

    def info(self, name: str) -> SecretInfo:
        """Keys, settings and timestamps of one secret."""
        return self._info(self._table_with(name).record(name))  # type: ignore[arg-type]

    def exists(self, name: str) -> bool:
        check_name(name)
        snapshot = self._read()
        return snapshot is not None and name in snapshot.table

    # -- changing -----------------------------------------------------------

    def create(
        self, name: str, env: Mapping[str, str], *, overwrite: bool = False, settings: Iterable[str] = ()
    ) -> SecretInfo:
        """Store a new secret; AlreadyExistsError if it exists, unless `overwrite`.

        `settings` names the keys whose values are not masked; the others are secrets.
        """
        check_name(name)
        env = self._checked(env)
        marked = check_settings(settings, env, f"secret {name!r}")
        with self._transaction() as table:
            old = table.record(name)
            if old is not None and not overwrite:
                raise AlreadyExistsError(name)
            now = time.time()
            table.put(name, env, old.created if old else now, now, marked)
            record = table.record(name)
        register_secrets(env, marked)
        return self._info(record)  # type: ignore[arg-type]

    def update(
        self,
        name: str,
        env: Mapping[str, str],
        *,
        settings: Iterable[str] = (),
        secrets: Iterable[str] = (),
    ) -> SecretInfo:
        """Merge `env` into an existing secret (new keys added, given keys replaced).

        A replaced key keeps its flag and a new key is a secret, unless named in
        `settings` (they become settings) or `secrets` (they become secrets
        again). Either may name keys the secret already has without giving
        them a value, so a key can change sides without retyping it.
        """
        check_name(name)
        env = check_env(env)
        to_settings = check_keys(settings, "settings")
        to_secrets = check_keys(secrets, "secrets")
        both = [key for key in dict.fromkeys(to_settings) if key in to_secrets]
        if both:
            raise InvalidSecretError(f"{', '.join(both)}: named both as a setting and as a secret.")
        if not env and not to_settings and not to_secrets:
            raise InvalidSecretError(f"Nothing to update in {name!r}: no keys were given.")
        with self._transaction() as table:
            old = table.record(name)
            if old is None:
                raise self._not_found(name, table)
            merged = {**table.values(name), **env}
            owner = f"secret {name!r}"
            check_settings(to_settings, merged, owner)
            check_settings(to_secrets, merged, owner, what="secrets")
            marked = (set(old.settings) | set(to_settings)) - set(to_secrets)
            table.put(name, merged, old.created, time.time(), marked)
            record = table.record(name)
        register_secrets({key: merged[key] for key in (*env, *to_secrets)}, record.settings)  # type: ignore[union-attr]
        return self._info(record)  # type: ignore[arg-type]

    def delete(self, name: str, *, allow_missing: bool = False) -> bool:
        """Remove a secret; returns False (with `allow_missing`) when there was none."""
        check_name(name)
        if allow_missing and not self.exists(name):
            return False
        with self._transaction() as table:
            if name in table:
                table.remove(name)
            elif not allow_missing:
                raise self._not_found(name, table)
        return table.changed

    def rotate_key(self) -> str | None:
        """Re-encrypt the vault under a new key from the preferred source; the old key is then removed.

        Returns the new key's source ('keyring', 'passphrase' or 'file'), or
        None when there is no vault yet.
        """
        with self._locked():
            snapshot = self._read()
            if snapshot is None:
                return None
            key, spec = keys.new_key(snapshot.spec.vault_id)
            self._write(snapshot.generation + 1, spec, key, snapshot.table)
            # The backup is under the old key, which is about to go: replace it with the new vault.
            replace_private(self.backup_path, self.path.read_bytes())
            if spec.entry != snapshot.spec.entry:
                keys.forget_key(snapshot.spec)
            return spec.source

    # -- internals ------------------------------------------------------------

    @staticmethod
    def _checked(env: Mapping[str, str]) -> dict[str, str]:
        checked = check_env(env)
        if not checked:
            raise InvalidSecretError("A secret needs at least one key.")
        return checked

    def _table_with(self, name: str) -> Table:
        check_name(name)
        snapshot = self._read()
        if snapshot is None or name not in snapshot.table:
            raise self._not_found(name, snapshot.table if snapshot else None)
        return snapshot.table

    def _info(self, record: IndexRecord) -> SecretInfo:
        return SecretInfo(
            record.name, record.keys, _timestamp(record.created), _timestamp(record.updated), record.settings, self.name
        )

    def _not_found(self, name: str, table: Table | None) -> SecretNotFoundError:
        known = table.names() if table is not None else []
        return SecretNotFoundError(
            f"Secret {name!r} not found in the {self.name} store; list shows the stored secrets.",
            name=name,
            suggestions=close_matches(name, known),
        )

    def _corrupt(self, reason: str) -> VaultCorruptError:
        backup = (
            f" The previous version is kept at {shown_path(self.backup_path)}; to go back to it, copy it over the vault."
            if self.backup_path.exists()
            else " There is no backup."
        )
        return VaultCorruptError(
            f"The vault {shown_path(self.path)} cannot be read: {reason}. It was left as it is.{backup}"
        )

    def _read(self) -> _Snapshot | None:
        """The current vault, decrypted once per change of the file (cached by stat signature and header)."""
        with self._thread_lock:
            try:
                handle = open(self.path, "rb")
            except FileNotFoundError:
                if self.backup_path.exists():
                    raise self._corrupt("the vault file is missing but its backup exists") from None
                self._snapshot = None
                return None
            with handle:
                signature = _signature(os.fstat(handle.fileno()))
                cached = self._snapshot
                # (inode, size, mtime) can repeat for a newer vault: inodes are reused at once
                # and mtime may be coarse. The header holds a fresh nonce per write, so only
                # an equal header proves this is the generation already decrypted.
                if cached is not None and cached.signature == signature:
                    if handle.read(len(cached.head)) == cached.head:
                        return cached
                    handle.seek(0)
                blob = handle.read()
            try:
                parts = read_header(blob)
            except FormatError as exc:
                raise self._corrupt(str(exc)) from None
            header = parts[0]
            key = keys.find_key(header.key, self.path)
            try:
                plaintext = decrypt(parts, key)
                table = Table.parse(plaintext)
            except FormatError as exc:
                raise self._corrupt(str(exc)) from None
            except TableFormatError:
                raise self._corrupt("its decrypted contents are not valid") from None
            self._snapshot = _Snapshot(signature, header.generation, header.key, key, table, bytes(parts[1]))
            return self._snapshot

    @contextmanager
    def _locked(self) -> Iterator[None]:
        import filelock

        with self._thread_lock:
            ensure_private_dir(self.home)
            lock = filelock.FileLock(self._lock_path, timeout=LOCK_TIMEOUT, mode=FILE_MODE)
            try:
                lock.acquire()
            except filelock.Timeout:
                raise NbSecretsError(
                    f"Another process has held the vault lock {shown_path(self._lock_path)} for {LOCK_TIMEOUT:.0f} s; try again."
                ) from None
            try:
                yield
            finally:
                lock.release()

    @contextmanager
    def _transaction(self) -> Iterator[Table]:
        """Read-modify-write under the lock: the block changes a copy of the table,
        which is written if the block returns having changed it."""
        with self._locked():
            snapshot = self._read()
            table = snapshot.table.copy() if snapshot else Table()
            yield table
            if not table.changed:
                return
            if snapshot is None:
                key, spec = keys.new_key(uuid.uuid4().hex)
                self._write(1, spec, key, table)
            else:
                self._write(snapshot.generation + 1, snapshot.spec, snapshot.key, table)

    def _write(self, generation: int, spec: keys.KeySpec, key: bytes, table: Table) -> None:
        blob = encrypt(generation, spec, key, table.encode())
        for leftover in self.home.iterdir():
            if is_temp_of(leftover, self.path) or is_temp_of(leftover, self.backup_path):
                leftover.unlink(missing_ok=True)  # from a writer that died while holding the lock
        if self.path.exists():
            staged = temp_name(self.backup_path)
            try:
                os.link(self.path, staged)
            except OSError:
                replace_private(self.backup_path, self.path.read_bytes())
            else:
                os.replace(staged, self.backup_path)
                # a no-op if the backup already was this file (a writer died between renames)
                staged.unlink(missing_ok=True)
        replace_private(self.path, blob)
        head = bytes(read_header(blob)[1])
        self._snapshot = _Snapshot(_signature(os.stat(self.path)), generation, spec, key, table, head)
