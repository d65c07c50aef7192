"""TeamStore: the store interface on a KV version 2 mount of OpenBao or HashiCorp Vault.

A secret NAME is the KV secret `{prefix}/{NAME}` on `{mount}`: its data is
exactly the secret's KEY=value pairs (any Vault client reads what nbsecrets
wrote, and nbsecrets loads what they wrote); its keys and settings are also
kept in custom_metadata (metadata.py), so listing reads no value.

Every write is a check-and-set against the version it read (create is
`cas=0`), retried a bounded number of times, so two writers never silently
lose each other's change. The server's own access control decides who may
read what; its refusals become AccessDeniedError or StoreUnavailableError.
"""

from __future__ import annotations

import itertools
import random
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Mapping, NamedTuple

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
        namespace: str | None = None,
        cacert: str | None = None,
        skip_verify: bool = False,
        token_file: str | None = None,
    ) -> None:
        self.name = name
        self.mount = _checked_path(mount, "mount", name, allow_empty=False)
        self.prefix = _checked_path(prefix, "prefix", name, allow_empty=True)
        self.server = Server(
            name, addr, namespace=namespace, cacert=cacert, skip_verify=skip_verify, token_file=token_file
        )
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
        """Every secret under the prefix, from metadata; versions deleted but kept are not listed."""
        infos = []
        for name in self._names():
            record = self._metadata(name)
            if record is not None and _alive(record):
                infos.append(self._info(name, record))
        return sorted(infos)

    def info(self, name: str) -> SecretInfo:
        """Keys, settings and times of one secret, with its KV version."""
        record = self._metadata(self._checked_name(name))
        if record is None or not _alive(record):
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

    # -- changing -----------------------------------------------------------

    def create(
        self, name: str, env: Mapping[str, str], *, overwrite: bool = False, settings: Iterable[str] = ()
    ) -> SecretInfo:
        """A new secret, written with `cas=0` (AlreadyExistsError if it exists), or over it with `overwrite`."""
        self._checked_name(name)
        env = checked_new_env(env)
        marked = check_settings(settings, env, f"secret {name!r}")
        for attempt in self._attempts(name):
            record = self._metadata(name)
            if record is not None and _alive(record) and not overwrite:
                raise AlreadyExistsError(name)
            try:
                written = self._write(name, env, marked, cas=record["current_version"] if record else 0)
            except CheckAndSetMismatch:
                continue
            break
        register_secrets(env, marked)
        return self._info_after(name, written)

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
        for attempt in self._attempts(name):
            current = self._current(name, wait_for_metadata=True)
            if current is None:
                raise self._not_found(name)
            merged, marked = request.merged(name, current.env, current.described.settings)
            order = list(merged)  # the keys as they were, then the new ones
            try:
                written = self._write(
                    name, {key: merged[key] for key in order}, [key for key in order if key in marked], cas=current.version
                )
            except CheckAndSetMismatch:
                continue
            break
        register_secrets(request.registered(merged), marked)
        return self._info_after(name, written)

    def delete(self, name: str, *, allow_missing: bool = False, keep_versions: bool = False) -> bool:
        """Remove a secret and all its versions; with `keep_versions`, only mark the current version deleted
        (a soft delete, which the server's operators can undo with `bao kv undelete`)."""
        self._checked_name(name)
        if not self.exists(name):
            if allow_missing:
                return False
            raise self._not_found(name)
        path = self._path(name)
        kv = self.server.client.secrets.kv.v2
        if keep_versions:
            self.server.call("delete", self._logical("data", path), kv.delete_latest_version_of_secret, path, mount_point=self.mount)
        else:
            self.server.call(
                "delete", self._logical("metadata", path), kv.delete_metadata_and_all_versions, path, mount_point=self.mount
            )
        return True

    # -- for `nbsecrets stores` ------------------------------------------------------------

    def describe(self) -> tuple[str, bool, str]:
        """(where, answers, detail) without a token: the server's health, then how the token stands."""
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
        data = (answer or {}).get("data") or {}
        kind, version = data.get("type"), (data.get("options") or {}).get("version")
        if kind not in ("kv", "generic") or str(version) != "2":
            what = f"KV version {version or 1}" if kind in ("kv", "generic") else f"a {kind!r} engine"
            raise StoreUnavailableError(
                f"The team store {self.name!r}: the mount {self.mount!r} on {self.addr} is {what}; "
                f"nbsecrets needs KV version 2 (bao kv enable-versioning {self.mount}, or another mount)."
            )
        self._mount_checked = True

    def _names(self) -> list[str]:
        self._ensure_mount()
        kv = self.server.client.secrets.kv.v2
        folder = self.prefix + "/" if self.prefix else ""
        hvac = self.server._hvac
        try:
            answer = self.server.call("list", self._logical("metadata", folder), kv.list_secrets, folder, mount_point=self.mount)
        except hvac.exceptions.InvalidPath:
            return []  # nothing was ever written under the prefix
        names = (answer.get("data") or {}).get("keys") or []
        return [name for name in names if not name.endswith("/") and _nameable(name)]

    def _metadata(self, name: str) -> dict[str, Any] | None:
        self._ensure_mount()
        path = self._path(name)
        kv = self.server.client.secrets.kv.v2
        try:
            answer = self.server.call(
                "read the metadata of", self._logical("metadata", path), kv.read_secret_metadata, path, mount_point=self.mount
            )
        except self.server._hvac.exceptions.InvalidPath:
            return None
        return answer["data"]

    def _current(self, name: str, *, wait_for_metadata: bool = False) -> "_Current | None":
        """The current version's variables and description; None when there is none (or it was deleted).

        With `wait_for_metadata`, a version whose metadata is not written yet
        is read again for up to METADATA_WAIT seconds first: an update must not
        take its flags from a half-finished write.
        """
        self._ensure_mount()
        path = self._path(name)
        kv = self.server.client.secrets.kv.v2
        deadline = time.monotonic() + (METADATA_WAIT if wait_for_metadata else 0)
        for attempt in itertools.count():
            try:
                answer = self.server.call(
                    "read",
                    self._logical("data", path),
                    kv.read_secret_version,
                    path,
                    mount_point=self.mount,
                    raise_on_deleted_version=True,
                )
            except self.server._hvac.exceptions.InvalidPath:
                return None
            data = answer.get("data") or {}
            about = data.get("metadata") or {}
            env = metadata.from_data(data.get("data") or {})
            version = int(about.get("version") or 0)
            described = metadata.decode(about.get("custom_metadata"), version, env)
            if described is not None or time.monotonic() >= deadline:
                break
            _pause(attempt)
        if described is None:  # not described by nbsecrets: every key is a secret
            described = metadata.Described(tuple(env), ())
        return _Current({key: env[key] for key in described.keys}, described, version)

    def _write(self, name: str, env: Mapping[str, str], settings: Iterable[str], *, cas: int) -> dict[str, Any]:
        """Data with check-and-set, then the metadata describing the version written."""
        path = self._path(name)
        kv = self.server.client.secrets.kv.v2
        answer = self.server.call(
            "write", self._logical("data", path), kv.create_or_update_secret, path, secret=metadata.to_data(env), cas=cas, mount_point=self.mount
        )
        written = answer["data"]
        self._describe(path, written["version"], list(env), list(settings), written.get("custom_metadata"))
        return written

    def _describe(self, path: str, version: int, keys: list[str], settings: list[str], current: Any) -> None:
        """Add the description of `version` to the metadata with a merge patch (other entries untouched);
        a token or server that refuses PATCH gets the whole map replaced instead."""
        url, logical = f"/v1/{self.mount}/metadata/{path}", self._logical("metadata", path)
        change = metadata.patch(version, keys, settings, current)
        adapter = self.server.client.adapter
        try:
            self.server.call(
                "patch the metadata of", logical, adapter.request, "patch", url,
                headers={"Content-Type": "application/merge-patch+json"}, json={"custom_metadata": change},
            )
        except (AccessDeniedError, StoreUnavailableError):
            whole = metadata.replacement(version, keys, settings, current)
            self.server.plain("post", url, operation="write the metadata of", path=logical, json={"custom_metadata": whole})

    def _attempts(self, name: str) -> Iterable[int]:
        for attempt in range(WRITE_ATTEMPTS):
            if attempt:
                _pause(attempt)
            yield attempt
        raise StoreUnavailableError(
            f"Secret {name!r} in the team store {self.name!r} changed {WRITE_ATTEMPTS} times while this write "
            "was being made; nothing was written. Try again."
        )

    def _info(self, name: str, record: Mapping[str, Any]) -> SecretInfo:
        version = int(record.get("current_version") or 0)
        described = metadata.decode(record.get("custom_metadata"), version, None)
        if described is None:
            described = self._described_from_data(name)
        versions = record.get("versions") or {}
        updated = (versions.get(str(version)) or {}).get("created_time") or record.get("updated_time")
        return SecretInfo(
            name,
            described.keys,
            metadata.timestamp(record.get("created_time")),
            metadata.timestamp(updated),
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

    def _info_after(self, name: str, written: Mapping[str, Any]) -> SecretInfo:
        record = self._metadata(name)
        if record is None:  # deleted meanwhile by someone else
            raise self._not_found(name)
        return self._info(name, record)

    def access(self, name: str) -> str | None:
        """What this token may do with the secret, as the server says (for `show`); None if it will not say."""
        logical = self._logical("data", self._path(name))
        try:
            answer = self.server.plain(
                "post", "/v1/sys/capabilities-self", operation="ask about", path=logical, json={"paths": [logical]}
            )
        except AccessDeniedError:
            return None
        found = ((answer or {}).get("data") or {}).get(logical)
        return ", ".join(sorted(found)) or "nothing" if isinstance(found, list) else None

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
    """The current version of a secret: its variables in order, their description, and its number."""

    env: dict[str, str]
    described: metadata.Described
    version: int


def _alive(record: Mapping[str, Any]) -> bool:
    """The current version exists and was neither deleted (kept) nor destroyed.

    A deletion time in the future is `delete_version_after` at work: the
    version is there until then.
    """
    version = (record.get("versions") or {}).get(str(record.get("current_version")))
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
    if (not steps and not allow_empty) or any(step in ("", ".", "..") or not _nameable(step) for step in steps):
        raise ConfigError(
            f"The team store {store!r}: {what} {text!r} must be path steps of letters, digits, '.', '_' and '-' "
            "separated by '/'."
        )
    return path


def _pause(attempt: int) -> None:
    """Back off with jitter, so writers that collided do not collide again in step."""
    time.sleep(random.uniform(0, min(0.2, 0.005 * (attempt + 1))))
