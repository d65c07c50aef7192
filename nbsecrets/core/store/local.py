"""The local vault: every secret in one encrypted file, changed atomically.

Readers never lock: a write replaces the file in one rename, so a reader sees
the old or the new vault, whole. A reader that read a generation just before
a key rotation removed its key reads again, and finds the new one.

Writers take an inter-process lock around read-modify-write and write the new
vault to a fsynced temporary file first; only then is the previous generation
copied to `vault.nbs.bak` and the new one renamed into place. So a write that
fails (disk full, a file size limit, a kill) leaves the vault and its backup
as they were: two files, the last two good generations, and every change that
had returned is in the vault.

The backup undoes a bad write, not a deletion: it holds the previous
generation, except that a secret whose values the last change removed or
replaced is held as it is now (or not at all), so a deleted or rotated value
survives nowhere on disk under the current key.

A `vault.nbs` that is a symbolic link is followed: the file it points to is
replaced in its own folder, so a vault kept in a synced folder stays there.
A link to nothing, or a home that is one, is an error, never a new vault.
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

from ..errors import (
    AlreadyExistsError,
    KeyUnavailableError,
    NbSecretsError,
    SecretNotFoundError,
    StoreUnavailableError,
    VaultCorruptError,
)
from ..rules import check_name, check_settings
from ..suggestions import close_matches
from . import keys
from .base import LOCAL, SecretInfo, StoredSecret, checked_new_env, checked_update, no_versions, register_secrets
from ..display import shown_path
from .files import (
    DIR_MODE,
    FILE_MODE,
    ensure_private_dir,
    fsync_dir,
    is_temp_of,
    make_private,
    refuse_dangling,
    remove_dead_temps,
    replace_private,
    stage_private,
)
from .table import IndexRecord, Table, TableFormatError
from .vault_file import FormatError, decrypt, encrypt, read_header

if TYPE_CHECKING:
    from .kinds import StoreConfig

VAULT_NAME = "vault.nbs"
LOCK_TIMEOUT = 60.0
READ_ATTEMPTS = 5
"""How often a reader reads again when the key of the generation it read was removed meanwhile."""


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

    keeps_versions = False
    """The vault keeps one backup generation, not versions a delete could keep."""

    def __init__(self, home: str | os.PathLike[str], *, name: str = LOCAL) -> None:
        self.name = name
        self.home = Path(home).expanduser()
        self.path = self.home / VAULT_NAME
        self.backup_path = self.home / (VAULT_NAME + ".bak")
        self._lock_path = self.home / (VAULT_NAME + ".lock")
        self._thread_lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        self._cleaned = False

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

    def info(self, name: str, *, deleted: bool = False) -> SecretInfo:
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
        env = checked_new_env(env)
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
        request = checked_update(name, env, settings, secrets)
        with self._transaction() as table:
            old = table.record(name)
            if old is None:
                raise self._not_found(name, table)
            merged, marked = request.merged(name, table.values(name), old.settings)
            table.put(name, merged, old.created, time.time(), marked)
            record = table.record(name)
        register_secrets(request.registered(merged), record.settings)  # type: ignore[union-attr]
        return self._info(record)  # type: ignore[arg-type]

    def delete(self, name: str, *, allow_missing: bool = False, keep_versions: bool = False) -> bool:
        """Remove a secret; returns False (with `allow_missing`) when there was none."""
        if keep_versions:
            raise no_versions(self.name)
        check_name(name)
        if allow_missing and not self.exists(name):
            return False
        with self._transaction() as table:
            if name in table:
                table.remove(name)
            elif not allow_missing:
                raise self._not_found(name, table)
        return table.changed

    def rotate_key(self, *, passphrase: str | None = None) -> str | None:
        """Re-encrypt the vault under a new key, then remove the old key.

        The new key comes from the preferred source, or is derived from
        `passphrase` (a change of passphrase). If the re-encryption fails, the
        new key is removed and the vault keeps the old one. Returns the new
        key's source ('keyring', 'passphrase' or 'file'), or None when there
        is no vault yet.
        """
        with self._locked():
            snapshot = self._read()
            if snapshot is None:
                return None
            key, spec = keys.new_key(snapshot.spec.vault_id, passphrase=passphrase)
            try:
                # The backup goes under the new key too: the old one is about to be removed.
                backup = encrypt(snapshot.generation, spec, key, snapshot.table.encode())
                self._write(snapshot.generation + 1, spec, key, snapshot.table, backup)
            except BaseException:
                keys.forget_key(spec)
                raise
            if spec.entry != snapshot.spec.entry:
                keys.forget_key(snapshot.spec)
            return spec.source

    def describe(self) -> tuple[str, bool, str]:
        """(where, answers, detail) for `nbsecrets stores`: the vault opens with its key, and how many secrets it holds."""
        if not self.path.exists():
            return shown_path(self.home), True, "no vault yet"
        count = len(self.list())
        return shown_path(self.home), True, f"{count} secret{'' if count == 1 else 's'}"

    # -- internals ------------------------------------------------------------

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
            keys.forced_source()  # an invalid NBSECRETS_KEY_SOURCE is an error for every command
            if not self._cleaned:
                self._cleaned = True
                self._remove_dead_temps()
            for attempt in range(READ_ATTEMPTS):
                try:
                    return self._read_once()
                except _KeyGoneMeanwhile:
                    if attempt == READ_ATTEMPTS - 1:
                        raise
            raise AssertionError("unreachable")

    def _read_once(self) -> _Snapshot | None:
        try:
            handle = open(self.path, "rb")
        except (FileNotFoundError, NotADirectoryError):
            self._refuse_missing_target()
            if self.backup_path.exists():
                raise self._corrupt("the vault file is missing but its backup exists") from None
            self._snapshot = None
            return None
        with handle:
            status = os.fstat(handle.fileno())
            signature = _signature(status)
            cached = self._snapshot
            # (inode, size, mtime) can repeat for a newer vault: inodes are reused at once
            # and mtime may be coarse. The header holds a fresh nonce per write, so only
            # an equal header proves this is the generation already decrypted.
            if cached is not None and cached.signature == signature:
                if handle.read(len(cached.head)) == cached.head:
                    return cached
                handle.seek(0)
            make_private(self.home, DIR_MODE)
            make_private(self.path, FILE_MODE, st=status)
            if self.backup_path.exists():
                make_private(self.backup_path, FILE_MODE)
            blob = handle.read()
        try:
            parts = read_header(blob)
        except FormatError as exc:
            raise self._corrupt(str(exc)) from None
        header = parts[0]
        head = bytes(parts[1])
        try:
            key = keys.find_key(header.key, self.path)
        except KeyUnavailableError as exc:
            if self._replaced_since(head):
                raise _KeyGoneMeanwhile(str(exc)) from None  # a rotation: read the new generation
            raise
        try:
            plaintext = decrypt(parts, key)
            table = Table.parse(plaintext)
        except FormatError as exc:
            raise self._corrupt(str(exc)) from None
        except TableFormatError:
            raise self._corrupt("its decrypted contents are not valid") from None
        self._snapshot = _Snapshot(signature, header.generation, header.key, key, table, head)
        return self._snapshot

    def _replaced_since(self, head: bytes) -> bool:
        """Whether the vault file no longer starts with `head` (another process wrote a generation)."""
        try:
            with open(self.path, "rb") as handle:
                return handle.read(len(head)) != head
        except OSError:
            return False

    def _refuse_missing_target(self) -> None:
        """A vault that is a link to nothing, or a home that is, must not read as an empty vault."""
        if self.path.is_symlink():
            raise StoreUnavailableError(
                f"The vault {shown_path(self.path)} is a symbolic link to {os.readlink(self.path)}, which does "
                "not exist. Restore the file it points to (or remove the link); nothing was changed."
            )
        refuse_dangling(self.home)

    def _target(self) -> Path:
        """The file a write replaces: the vault, or the file its symbolic link points to."""
        if not self.path.is_symlink():
            return self.path
        if not self.path.exists():
            self._refuse_missing_target()
        return Path(os.path.realpath(self.path))

    def _remove_dead_temps(self) -> None:
        """Temporary vault and key files left by a process killed while writing them."""
        remove_dead_temps(self.home, VAULT_NAME)
        if self.path.is_symlink() and self.path.exists():
            target = Path(os.path.realpath(self.path))
            remove_dead_temps(target.parent, target.name)
        remove_dead_temps(keys.key_dir(), "vault-")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        import filelock

        with self._thread_lock:
            keys.forced_source()
            try:
                ensure_private_dir(self.home)
            except OSError as exc:
                raise StoreUnavailableError(
                    f"Could not create the vault's folder {shown_path(self.home)} "
                    f"({exc.strerror or type(exc).__name__}); nothing was written."
                ) from None
            lock = filelock.FileLock(self._lock_path, timeout=LOCK_TIMEOUT, mode=FILE_MODE)
            try:
                lock.acquire()
            except filelock.Timeout:
                raise NbSecretsError(
                    f"Another process has held the vault lock {shown_path(self._lock_path)} for {LOCK_TIMEOUT:.0f} s; try again."
                ) from None
            except OSError as exc:  # a read-only or full disk: nothing can be written
                raise StoreUnavailableError(
                    f"Could not lock the vault {shown_path(self.path)} for writing "
                    f"({exc.strerror or type(exc).__name__}); the vault is unchanged."
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
                try:
                    self._write(1, spec, key, table, None)
                except BaseException:
                    keys.forget_key(spec)  # no vault uses it
                    raise
            else:
                self._write(snapshot.generation + 1, snapshot.spec, snapshot.key, table, self._backup_of(snapshot, table))

    def _backup_of(self, snapshot: _Snapshot, table: Table) -> bytes:
        """The previous generation as it is on disk, or re-encrypted without what `table` deleted or replaced."""
        kept = snapshot.table.backup_beside(table)
        if kept is None:
            try:
                previous = self._target().read_bytes()
            except OSError:
                previous = b""
            if previous.startswith(snapshot.head):  # the generation read under this lock, byte for byte
                return previous
            kept = snapshot.table
        return encrypt(snapshot.generation, snapshot.spec, snapshot.key, kept.encode())

    def _write(self, generation: int, spec: keys.KeySpec, key: bytes, table: Table, backup: bytes | None = None) -> None:
        """Stage the new vault, then replace the backup, then rename the new vault into place.

        Any failure before the rename leaves both files as they were; the
        error names the vault and says so.
        """
        blob = encrypt(generation, spec, key, table.encode())
        head = bytes(read_header(blob)[1])
        target = self._target()
        for folder, name in {(self.home, VAULT_NAME), (target.parent, target.name)}:
            for leftover in folder.iterdir():
                if is_temp_of(leftover, folder / name) or is_temp_of(leftover, self.backup_path):
                    leftover.unlink(missing_ok=True)  # from a writer that died while holding the lock
        backed_up = False
        try:
            staged = stage_private(target, blob)
            try:
                if backup is not None:
                    replace_private(self.backup_path, backup)
                    backed_up = True
                os.replace(staged, target)
            finally:
                staged.unlink(missing_ok=True)  # gone already once renamed
        except OSError as exc:
            backup_now = (
                f"; its backup {shown_path(self.backup_path)} now holds the same generation"
                if backed_up
                else ", and so is its backup"
            )
            raise StoreUnavailableError(
                f"Could not write the vault {shown_path(self.path)}: {exc.strerror or type(exc).__name__}. "
                f"The vault is unchanged{backup_now}."
            ) from None
        fsync_dir(target.parent)
        keys.forget_other_key_files(spec)
        try:
            signature = _signature(os.stat(self.path))
        except OSError:
            self._snapshot = None
        else:
            self._snapshot = _Snapshot(signature, generation, spec, key, table, head)


class _KeyGoneMeanwhile(KeyUnavailableError):
    """Internal: the key of the generation just read was removed, and a newer generation is there."""
