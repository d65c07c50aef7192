"""TeamStore: the store interface on a KV version 2 mount of OpenBao or HashiCorp Vault.

A secret NAME is the KV secret `{prefix}/{NAME}` on `{mount}`: its data is
exactly the secret's KEY=value pairs (any Vault client reads what nbsecrets
wrote, and nbsecrets loads what they wrote); its keys and settings are also
kept in custom_metadata (metadata.py), so listing reads no value of a secret
nbsecrets wrote.

Every write is a check-and-set against the version it read (create is
`cas=0`), retried a bounded number of times, so two writers never silently
lose each other's change. What a write needs besides the data (room in the
metadata, the right to write it) is checked before the data is written, so a
refused write leaves nothing behind. The server's own access control decides
who may read what; its refusals become AccessDeniedError or
StoreUnavailableError.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, NamedTuple

from ...core.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    ConfigError,
    InvalidSecretError,
    NbSecretsError,
    SecretNotFoundError,
    StoreUnavailableError,
)
from ...core.rules import KEY_PATTERN, check_name, check_settings, key_problem
from ...core.store.base import SecretInfo, StoredSecret, checked_new_env, checked_update, register_secrets
from ...core.suggestions import close_matches
from . import metadata
from .connection import CheckAndSetMismatch, Server

if TYPE_CHECKING:
    from ...core.store.kinds import StoreConfig

WRITE_ATTEMPTS = 40
"""How often a write is tried again after another writer got in first (each read sees the newer version)."""
METADATA_WAIT = 3.0
"""Seconds an update waits for the last writer to describe the version it wrote (its second request),
before taking every key of that version as a secret."""
LIST_THREADS = 8
"""Requests a listing keeps in flight: its cost is one round trip per secret, which a remote server makes long."""
YOUNG = timedelta(seconds=30)
"""A version older than this whose description is missing will not get one: nobody waits for it."""


class TeamStore:
    """Named secrets under one path of a KV v2 mount, shared by everyone whose token may read it."""

    keeps_versions = True
    """Delete can keep the versions (a soft delete the server's operators can undo)."""

    def __init__(
        self,
        addr: str | None,
        *,
        name: str = "team",
        mount: str = "secret",
        prefix: str = "nbsecrets",
        **connection: Any,
    ) -> None:
        """`connection` is how to reach the server: namespace, cacert, skip_verify, token_file and
        environment_token, as `Server` takes them."""
        self.name = name
        self.mount = _checked_path(mount, "mount", name, allow_empty=False)
        self.prefix = _checked_path(prefix, "prefix", name, allow_empty=True)
        self.server = Server(name, addr, **connection)
        self.addr = self.server.addr
        self._mount_checked = False

    @classmethod
    def from_config(cls, config: "StoreConfig") -> "TeamStore":
        options = dict(config.options)
        return cls(options.pop("addr", None), name=config.name, **options)

    def __repr__(self) -> str:
        return f"<TeamStore {self.name!r} {self.addr} {self.mount}/{self.prefix}>"

    @property
    def where(self) -> str:
        """The place a person would look, e.g. `http://127.0.0.1:8200 secret/nbsecrets`."""
        return f"{self.addr} {self.mount}/{self.prefix}".rstrip("/")

    # -- reading ------------------------------------------------------------

    def list(self) -> list[SecretInfo]:
        """Every secret under the prefix, from metadata; versions deleted but kept are not listed,
        nor secrets whose metadata this token may not read."""
        names = self._names()
        if len(names) <= 1:
            listed = [self._listed(name) for name in names]
        else:  # one request per secret: LIST_THREADS at a time, each thread keeping a client of its own
            listed = list(_pool().map(self._listed, names))
        return sorted(info for info in listed if info is not None)

    def _listed(self, name: str) -> SecretInfo | None:
        try:
            record = self._metadata(name)
        except AccessDeniedError:
            return None
        return self._info(name, record) if record is not None and _alive(record) else None

    def info(self, name: str, *, deleted: bool = False) -> SecretInfo:
        """Keys, settings and times of one secret, with its KV version; with `deleted`, also of one whose
        current version was deleted with its versions kept, or expired (what a delete for good may remove)."""
        record = self._metadata(self._checked_name(name))
        if record is None or not (deleted or _alive(record)):
            raise self._not_found(name)
        return self._info(name, record)

    def exists(self, name: str) -> bool:
        record = self._metadata(self._checked_name(name))
        return record is not None and _alive(record)

    def get(self, name: str) -> dict[str, str]:
        """The secret's variables; the values of its secrets (not its settings) are registered for masking."""
        return self.read(name).env

    def read(self, name: str) -> StoredSecret:
        """The variables and settings of the current version, from one response."""
        current = self._current(self._checked_name(name))
        if current is None:
            raise self._not_found(name)
        register_secrets(current.env, current.described.settings)
        for key in current.env:
            if not KEY_PATTERN.fullmatch(key):  # written by another client
                raise InvalidSecretError(
                    f"Secret {name!r} in the team store {self.name!r} holds a key that is not a variable name "
                    f"({key_problem(key)}), so it cannot be loaded; rename that key with another client."
                )
        return StoredSecret(current.env, current.described.settings)

    def access(self, name: str) -> str | None:
        """What this token may do with the secret, as the server says (for `show`); None if it will not say."""
        logical = self._logical("data", self._path(name))
        allowed = self._capabilities(logical)
        return None if allowed is None else ", ".join(sorted(allowed[logical])) or "nothing"

    # -- changing -----------------------------------------------------------

    def create(
        self, name: str, env: Mapping[str, str], *, overwrite: bool = False, settings: Iterable[str] = ()
    ) -> SecretInfo:
        """A new secret, written with `cas=0` (AlreadyExistsError if it exists), or over it with `overwrite`."""
        self._checked_name(name)
        env = checked_new_env(env)
        marked = check_settings(settings, env, f"secret {name!r}")
        self._may_write(name)
        register_secrets(env, marked)  # before sending: a write that fails half-way has still sent them
        for _ in self._attempts(name):
            record = self._metadata(name)
            if record is not None and _alive(record) and not overwrite:
                raise AlreadyExistsError(name)
            cas = _version_number(record) if record else 0
            metadata.check_room(env, marked, _custom(record), cas + 1)
            try:
                self._write(name, env, marked, cas=cas)
            except CheckAndSetMismatch:
                continue
            break
        return self._info_after(name)

    def update(
        self,
        name: str,
        env: Mapping[str, str],
        *,
        settings: Iterable[str] = (),
        secrets: Iterable[str] = (),
    ) -> SecretInfo:
        """Merge `env` into the current version and write it with `cas` set to that version.

        Flags follow the local store's rules: a replaced key keeps its flag, a
        new key is a secret unless named in `settings`, and `secrets` moves
        keys back.
        """
        request = checked_update(name, env, settings, secrets)
        self._checked_name(name)
        self._may_write(name)
        for _ in self._attempts(name):
            current = self._current(name, wait_for_metadata=True)
            if current is None:
                raise self._not_found(name)
            merged, marked = request.merged(name, current.env, current.described.settings)
            flagged = [key for key in merged if key in marked]
            metadata.check_room(merged, flagged, current.custom, current.version + 1)
            register_secrets(request.registered(merged), marked)
            try:
                self._write(name, merged, flagged, cas=current.version)
            except CheckAndSetMismatch:
                continue
            break
        return self._info_after(name)

    def delete(self, name: str, *, allow_missing: bool = False, keep_versions: bool = False) -> bool:
        """Remove a secret and all its versions; with `keep_versions`, only mark the current version deleted
        (a soft delete, which the server's operators can undo with `bao kv undelete`).

        A secret deleted with its versions kept, or whose current version
        expired (delete_version_after), is not there for reading, but deleting
        it for good still works: its old values must not be beyond reach.
        """
        self._checked_name(name)
        record = self._metadata(name)
        there = record is not None and (_alive(record) or not keep_versions)
        if not there:
            if allow_missing:
                return False
            raise self._not_found(name)
        path = self._path(name)
        kv = self.server.client.secrets.kv.v2
        if keep_versions:
            self.server.call(
                "delete", self._logical("data", path), kv.delete_latest_version_of_secret, path, mount_point=self.mount,
                empty_ok=True,
            )
        else:
            self.server.call(
                "delete", self._logical("metadata", path), kv.delete_metadata_and_all_versions, path, mount_point=self.mount,
                empty_ok=True,
            )
        return True

    # -- for `nbsecrets stores` ------------------------------------------------------------

    def describe(self) -> tuple[str, bool, str]:
        """(where, answers, detail) without showing a token: the server's health, then how the token stands."""
        health = self.server.health()
        version = health.get("version", "?")
        if health.get("sealed"):
            return self.where, False, f"OpenBao/Vault {version}, sealed"
        return self.where, True, f"OpenBao/Vault {version}; {self.server.token_state()}"

    # -- internals ------------------------------------------------------------

    def _checked_name(self, name: str) -> str:
        check_name(name)
        if name in (".", ".."):
            raise InvalidSecretError(f"{name!r} cannot name a secret in a team store: it is a step in a path.")
        return name

    def _path(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _logical(self, kind: str, path: str) -> str:
        """The path a policy names, e.g. secret/data/nbsecrets/db: what a permission message must show."""
        return f"{self.mount}/{kind}/{path}"

    def _ensure_mount(self) -> None:
        """Once per store object: the mount must be KV version 2 (a version 1 mount would take writes wrongly)."""
        if self._mount_checked:
            return
        url = f"/v1/sys/internal/ui/mounts/{self.mount}"
        try:
            answer = self.server.plain("get", url, operation="look up the mount", path=f"{self.mount}/")
        except AccessDeniedError:
            raise StoreUnavailableError(
                f"The team store {self.name!r}: {self.addr} has no mount {self.mount!r} this token can use "
                "(it is not there, or the token's policies grant nothing under it)."
            ) from None
        if answer is None or not isinstance(answer.get("data"), dict):
            raise StoreUnavailableError(
                f"The team store {self.name!r}: {self.addr} does not answer as an OpenBao or Vault server would."
            )
        data = answer["data"]
        options = data.get("options") if isinstance(data.get("options"), dict) else {}
        kind, version = data.get("type"), options.get("version")
        if str(data.get("path", "")).strip("/") != self.mount:
            raise StoreUnavailableError(
                f"The team store {self.name!r}: {self.mount!r} is not a mount on {self.addr} but a path inside "
                f"{str(data.get('path') or '?').strip('/')!r}; set the mount to the engine's path and put the "
                "rest in the prefix."
            )
        if kind not in ("kv", "generic") or str(version) != "2":
            what = f"KV version {version or 1}" if kind in ("kv", "generic") else f"a {kind!r} engine, not KV"
            fix = f"bao kv enable-versioning {self.mount}, or another mount" if kind in ("kv", "generic") else "another mount"
            raise StoreUnavailableError(
                f"The team store {self.name!r}: the mount {self.mount!r} on {self.addr} is {what}; "
                f"nbsecrets needs KV version 2 ({fix})."
            )
        self._mount_checked = True

    def _names(self) -> list[str]:
        self._ensure_mount()
        kv = self.server.client.secrets.kv.v2
        folder = self.prefix + "/" if self.prefix else ""
        answer = self.server.call(
            "list", self._logical("metadata", folder), kv.list_secrets, folder, mount_point=self.mount, missing_ok=True
        )
        names = _field(answer, "keys", list, self) if answer is not None else []  # nothing under the prefix: a 404
        return [name for name in names if isinstance(name, str) and not name.endswith("/") and _nameable(name)]

    def _metadata(self, name: str) -> dict[str, Any] | None:
        self._ensure_mount()
        path = self._path(name)
        kv = self.server.client.secrets.kv.v2
        answer = self.server.call(
            "read the metadata of",
            self._logical("metadata", path),
            kv.read_secret_metadata,
            path,
            mount_point=self.mount,
            missing_ok=True,
        )
        return None if answer is None else _data(answer, self)

    def _current(self, name: str, *, wait_for_metadata: bool = False) -> "_Current | None":
        """The current version's variables and description; None when there is none (or it was deleted).

        With `wait_for_metadata`, a young version whose metadata is not written
        yet is read again for up to METADATA_WAIT seconds: an update must not
        take its flags from a half-finished write.
        """
        self._ensure_mount()
        path = self._path(name)
        kv = self.server.client.secrets.kv.v2
        deadline = time.monotonic() + (METADATA_WAIT if wait_for_metadata else 0)
        young: bool | None = None  # asked of the server once, and only if it matters
        for attempt in itertools.count():
            answer = self.server.call(
                "read",
                self._logical("data", path),
                kv.read_secret_version,
                path,
                mount_point=self.mount,
                raise_on_deleted_version=True,
                missing_ok=True,
            )
            if answer is None:
                return None
            data = _data(answer, self)
            about = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
            env = metadata.from_data(_field(data, "data", dict, self))
            version, created = _version_number(about, "version"), about.get("created_time")
            custom = _custom(about)
            described = metadata.decode(custom, version, created, env)
            if described is not None or time.monotonic() >= deadline:
                break
            young = self._young(created) if young is None else young
            if not young:
                break
            _pause(attempt)
        if described is None:  # not described by nbsecrets: every key is a secret
            described = metadata.Described(tuple(env), ())
        return _Current({key: env[key] for key in described.keys}, described, version, custom)

    def _young(self, created: object) -> bool:
        """Whether a version was made so recently that its writer may still be describing it, by the
        server's clock (the one that stamped it)."""
        try:
            server_time = self.server.health().get("server_time_utc")
        except NbSecretsError:
            server_time = None
        if not isinstance(server_time, int):
            return True  # cannot tell: wait, which costs time and never a setting
        now = datetime.fromtimestamp(server_time, timezone.utc)
        return metadata.timestamp(created) > now - YOUNG

    def _may_write(self, name: str) -> None:
        """Before writing data: this token may write the data and its description (else a write would be
        half done). Where the server will not say, the writes themselves find out."""
        data, described = self._logical("data", self._path(name)), self._logical("metadata", self._path(name))
        allowed = self._capabilities(data, described)
        if allowed is None:
            return
        source = self.server.token().source
        for path, needed, what in ((data, {"create", "update"}, "write"), (described, {"patch"}, "write the metadata of")):
            if not (needed | {"root"}) & allowed[path]:
                why = (
                    ", where nbsecrets keeps the order of the keys and which are settings; ask for 'patch' on it"
                    if path == described
                    else "; ask for a policy that allows it"
                )
                raise AccessDeniedError(
                    f"Permission denied: the token from {source} may not {what} {path} on the team store "
                    f"{self.name!r} ({self.addr}){why}. Nothing was written."
                )

    def _write(self, name: str, env: Mapping[str, str], settings: Iterable[str], *, cas: int) -> None:
        """Data with check-and-set, then the description of the version written."""
        path = self._path(name)
        kv = self.server.client.secrets.kv.v2
        answer = self.server.call(
            "write", self._logical("data", path), kv.create_or_update_secret, path, secret=metadata.to_data(env), cas=cas, mount_point=self.mount
        )
        written = answer.get("data") if isinstance(answer, dict) else None
        written = written if isinstance(written, dict) else {}
        version = _version_number(written, "version")
        try:
            if not version:
                raise StoreUnavailableError(f"{self.addr} did not say which version it wrote.")
            self._describe(name, version, written.get("created_time"), list(env), list(settings), _custom(written))
        except NbSecretsError as exc:
            raise StoreUnavailableError(
                f"Secret {name!r} was written to the team store {self.name!r} as version {version or '?'}, "
                "but the description of its keys could not be saved, so every key is masked until its next "
                f"write. {exc}"
            ) from None

    def _describe(self, name: str, version: int, created: Any, keys: list[str], settings: list[str], current: dict[str, str]) -> None:
        """Add the description of `version` to the metadata with a merge patch: other entries are left
        alone, so crossing writers cannot erase each other's (a whole-map write could)."""
        path = self._path(name)
        created = created if isinstance(created, str) else None
        self.server.plain(
            "patch", f"/v1/{self.mount}/metadata/{path}", operation="patch the metadata of",
            path=self._logical("metadata", path), empty_ok=True,
            headers={"Content-Type": "application/merge-patch+json"},
            json={"custom_metadata": metadata.patch(version, created, keys, settings, current)},
        )

    def _attempts(self, name: str) -> Iterator[int]:
        for attempt in range(WRITE_ATTEMPTS):
            if attempt:
                _pause(attempt)
            yield attempt
        raise StoreUnavailableError(
            f"Secret {name!r} in the team store {self.name!r} changed {WRITE_ATTEMPTS} times while this write "
            "was being made; nothing was written. Try again."
        )

    def _info(self, name: str, record: Mapping[str, Any]) -> SecretInfo:
        version = _version_number(record)
        created = _version_entry(record).get("created_time")
        described = metadata.decode(_custom(record), version, created, None)
        if described is None:
            described = self._described_from_data(name)
        return SecretInfo(
            name,
            described.keys,
            metadata.timestamp(record.get("created_time")),
            metadata.timestamp(created or record.get("updated_time")),
            described.settings,
            self.name,
            (("version", str(version)),),
        )

    def _described_from_data(self, name: str) -> metadata.Described:
        """Keys for a secret nbsecrets did not describe: its data's, if this token may read them."""
        try:
            current = self._current(name)
        except AccessDeniedError:
            return metadata.Described((), ())
        return current.described if current else metadata.Described((), ())

    def _info_after(self, name: str) -> SecretInfo:
        record = self._metadata(name)
        if record is None:  # deleted meanwhile by someone else
            raise self._not_found(name)
        return self._info(name, record)

    def _capabilities(self, *paths: str) -> dict[str, set[str]] | None:
        """What this token may do on each path, as the server says; None if it will not say."""
        try:
            answer = self.server.plain(
                "post", "/v1/sys/capabilities-self", operation="ask about", path=paths[0], json={"paths": list(paths)}
            )
        except NbSecretsError:
            return None
        said = (answer or {}).get("data")
        said = said if isinstance(said, dict) else {}
        found = {path: said.get(path) for path in paths}
        if not all(isinstance(capabilities, list) for capabilities in found.values()):
            return None
        return {path: set(capabilities) for path, capabilities in found.items()}

    def _not_found(self, name: str) -> SecretNotFoundError:
        try:
            close = close_matches(name, self._names())
            close = [other for other in close if self.exists(other)]  # not one deleted with its versions kept
        except NbSecretsError:  # a token that may not list gets no suggestions, not a second error
            close = []
        return SecretNotFoundError(
            f"Secret {name!r} not found in the team store {self.name!r} ({self.where}); list shows the stored secrets.",
            name=name,
            suggestions=close,
        )


class _Current(NamedTuple):
    """The current version of a secret: its variables in order, their description, its number, and the
    metadata entries it came with."""

    env: dict[str, str]
    described: metadata.Described
    version: int
    custom: dict[str, str]


def _data(answer: Mapping[str, Any], store: TeamStore) -> dict[str, Any]:
    return _field(answer, "data", dict, store)


def _field(answer: Mapping[str, Any], key: str, kind: type, store: TeamStore) -> Any:
    """`answer["data"][key]` (or `answer["data"]` itself), which must be a `kind`: else the server is not
    answering as OpenBao or Vault would, and the user is told so rather than shown a KeyError."""
    data = answer.get("data")
    found = data if key == "data" else (data.get(key) if isinstance(data, dict) else None)
    if not isinstance(found, kind):
        raise StoreUnavailableError(
            f"The team store {store.name!r}: {store.addr} does not answer as an OpenBao or Vault server would."
        )
    return found


def _custom(record: Mapping[str, Any] | None) -> dict[str, str]:
    custom = (record or {}).get("custom_metadata")
    return {str(key): value for key, value in custom.items() if isinstance(value, str)} if isinstance(custom, dict) else {}


def _version_number(record: Mapping[str, Any], key: str = "current_version") -> int:
    number = record.get(key)
    return number if isinstance(number, int) and not isinstance(number, bool) and number >= 0 else 0


def _version_entry(record: Mapping[str, Any]) -> dict[str, Any]:
    versions = record.get("versions")
    entry = versions.get(str(_version_number(record))) if isinstance(versions, dict) else None
    return entry if isinstance(entry, dict) else {}


def _alive(record: Mapping[str, Any]) -> bool:
    """The current version exists and was neither deleted (kept) nor destroyed.

    A deletion time in the future is `delete_version_after` at work: the
    version is there until then.
    """
    version = _version_entry(record)
    if not version or version.get("destroyed"):
        return False
    deletion = version.get("deletion_time")
    return not deletion or metadata.timestamp(deletion) > datetime.now(timezone.utc)


def _nameable(name: str) -> bool:
    try:
        check_name(name)
    except InvalidSecretError:
        return False
    return name not in (".", "..")


def _checked_path(text: Any, what: str, store: str, *, allow_empty: bool) -> str:
    if not isinstance(text, str):
        raise ConfigError(f"The team store {store!r}: {what} must be a string.")
    path = text.strip("/")
    steps = path.split("/") if path else []
    if (not steps and not allow_empty) or not all(map(_nameable, steps)):
        raise ConfigError(
            f"The team store {store!r}: {what} {text!r} must be path steps of letters, digits, '.', '_' and '-' "
            "separated by '/'."
        )
    return path


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _forget_pool() -> None:
    """In a forked child the pool's threads are gone: start a new pool when one is needed."""
    global _executor, _executor_lock
    _executor, _executor_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _pool() -> ThreadPoolExecutor:
    """One pool for every team store of the process (its threads keep a client per store and thread)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(LIST_THREADS, thread_name_prefix="nbsecrets-team")
        return _executor


def _pause(attempt: int) -> None:
    """Back off with jitter, so writers that collided do not collide again in step."""
    time.sleep(random.uniform(0, min(0.2, 0.005 * (attempt + 1))))
