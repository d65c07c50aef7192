"""What every store is: the interface the magics, the CLI, the panel and
`Secret.from_name` use, whichever store holds the secret.

A store keeps named secrets, each a set of KEY=value pairs of which some keys
are settings (not masked). It reports names, keys and times without values,
and registers the values it hands out for masking, so no caller has to
remember to. The local vault and the team store both implement it; the
contract tests in tests/core/store/contract.py hold each to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping, NamedTuple, Protocol, runtime_checkable

from ..errors import InvalidSecretError
from ..registry import registry
from ..display import shown
from ..rules import check_env, check_keys, check_name, check_settings

LOCAL = "local"
"""The name of the default store: the encrypted vault on this machine."""


class SecretInfo(NamedTuple):
    """What can be said about a stored secret without its values.

    `settings` are the keys whose values are not masked (hosts, ports, user
    names); every other key is a secret. `store` names the store that holds it.
    """

    name: str
    keys: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    settings: tuple[str, ...] = ()
    store: str = LOCAL
    details: tuple[tuple[str, str], ...] = ()
    """What else the store can say (a team store: the KV version, what this token may do), for `show`."""

    def is_setting(self, key: str) -> bool:
        return key in self.settings

    @property
    def secrets(self) -> tuple[str, ...]:
        """The keys whose values are masked."""
        return tuple(key for key in self.keys if key not in self.settings)

    @property
    def reference(self) -> str:
        """How a source names this secret: `NAME` in the local store, `STORE:NAME` elsewhere."""
        return reference(self.store, self.name)


class StoredSecret(NamedTuple):
    """A secret's variables and which of its keys are settings, read from one version of it."""

    env: dict[str, str]
    settings: tuple[str, ...]


@runtime_checkable
class SecretStore(Protocol):
    """A place that keeps named secrets. Names follow `rules.check_name`; keys and values `rules.check_env`.

    Every read of values (`get`, `read`) registers the values of the keys
    that are not settings for masking; writes register what they store.
    """

    name: str
    """How sources and `--store` name this store ("local", "team")."""

    keeps_versions: bool
    """Whether a delete may keep the versions (a soft delete, in a team store)."""

    def list(self) -> list[SecretInfo]:
        """Every secret, sorted by name, without reading a value."""
        ...

    def info(self, name: str, *, deleted: bool = False) -> SecretInfo:
        """One secret's keys, settings and times; SecretNotFoundError if there is none. With `deleted`,
        also one whose current version was deleted with its versions kept (what a delete may remove)."""
        ...

    def exists(self, name: str) -> bool:
        ...

    def get(self, name: str) -> dict[str, str]:
        """The secret's variables."""
        ...

    def read(self, name: str) -> StoredSecret:
        """The secret's variables and its settings, from one version of it."""
        ...

    def create(
        self, name: str, env: Mapping[str, str], *, overwrite: bool = False, settings: Iterable[str] = ()
    ) -> SecretInfo:
        """Store a new secret (AlreadyExistsError if it exists, unless `overwrite`); `settings` are not masked."""
        ...

    def update(
        self, name: str, env: Mapping[str, str], *, settings: Iterable[str] = (), secrets: Iterable[str] = ()
    ) -> SecretInfo:
        """Merge `env` into an existing secret; `settings`/`secrets` move keys between the two sides."""
        ...

    def delete(self, name: str, *, allow_missing: bool = False, keep_versions: bool = False) -> bool:
        """Remove a secret; False (with `allow_missing`) when there was none. `keep_versions` (only where
        `keeps_versions`) marks the current version deleted and keeps the others."""
        ...


def shown_info(store: SecretStore, name: str) -> SecretInfo:
    """What `show` says about a secret: its info, and what the caller may do with it where the store can say."""
    info = store.info(name)
    access = getattr(store, "access", None)
    allowed = access(name) if access is not None else None
    return info if allowed is None else info._replace(details=(*info.details, ("you may", allowed)))


def reference(store: str, name: str) -> str:
    """`NAME` for the local store, `STORE:NAME` for any other."""
    return name if store == LOCAL else f"{store}:{name}"


def split_reference(text: str) -> tuple[str | None, str]:
    """`STORE:NAME` -> (STORE, NAME); a bare `NAME` -> (None, NAME), the default store.

    ':' is not allowed in secret names, so the first one always ends the store's name.
    """
    if not isinstance(text, str):
        check_name(text)  # the error for a name that is not a string
    store, colon, name = text.partition(":")
    if not colon:
        return None, check_name(text)
    if not store or not name:
        raise InvalidSecretError(
            f"{shown(text)!r}: write STORE:NAME with both parts (e.g. local:openai), or NAME alone for the local vault."
        )
    return check_name(store, what="store name"), check_name(name)


def one_store(*named: str | None) -> str | None:
    """The store named (by `--store`, `STORE:NAME`, `store=`), which must be the same each time it is named."""
    chosen: str | None = None
    for name in named:
        if name is None:
            continue
        check_name(name, what="store name")
        if chosen is not None and name != chosen:
            raise InvalidSecretError(f"Two different stores were named, {chosen!r} and {name!r}: name one.")
        chosen = name
    return chosen


def canonical(label: str) -> str:
    """How a loaded source is labelled: `local:NAME` is `NAME`, every other label as it is."""
    store, colon, name = label.partition(":")
    return name if colon and store == LOCAL and name else label


def no_versions(store: str) -> InvalidSecretError:
    """The error for `keep_versions` where a store keeps none: before asking, and in the store itself."""
    return InvalidSecretError(f"The {store} store keeps no versions; --keep-versions is for a team store.")


def checked_new_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables of a new secret: checked, and at least one."""
    checked = check_env(env)
    if not checked:
        raise InvalidSecretError("A secret needs at least one key.")
    return checked


class UpdateRequest(NamedTuple):
    """An update's arguments, checked: the variables given and the keys to move to either side."""

    env: dict[str, str]
    to_settings: tuple[str, ...]
    to_secrets: tuple[str, ...]

    def merged(self, name: str, old_env: Mapping[str, str], old_settings: Iterable[str]) -> tuple[dict[str, str], set[str]]:
        """The secret after the update, and its settings: a replaced key keeps its flag, a new key is a
        secret, and the keys named move. Keys named must be keys of the result."""
        merged = {**old_env, **self.env}
        owner = f"secret {name!r}"
        check_settings(self.to_settings, merged, owner)
        check_settings(self.to_secrets, merged, owner, what="secrets")
        return merged, (set(old_settings) | set(self.to_settings)) - set(self.to_secrets)

    def registered(self, merged: Mapping[str, str]) -> dict[str, str]:
        """What the update brings to masking: the values given, and the keys moved back to secrets."""
        return {key: merged[key] for key in (*self.env, *self.to_secrets)}


def checked_update(
    name: str, env: Mapping[str, str], settings: Iterable[str], secrets: Iterable[str]
) -> UpdateRequest:
    """An update's arguments as every store checks them, before reading anything."""
    check_name(name)
    request = UpdateRequest(check_env(env), check_keys(settings, "settings"), check_keys(secrets, "secrets"))
    both = [key for key in dict.fromkeys(request.to_settings) if key in request.to_secrets]
    if both:
        raise InvalidSecretError(f"{', '.join(both)}: named both as a setting and as a secret.")
    if not request.env and not request.to_settings and not request.to_secrets:
        raise InvalidSecretError(f"Nothing to update in {name!r}: no keys were given.")
    return request


def register_secrets(env: Mapping[str, str], settings: Iterable[str]) -> None:
    """Register for masking the values of every key that is not a setting.

    Nothing is ever removed: a value that is a setting here but a secret
    elsewhere (or was a secret before) stays masked.
    """
    unmasked = set(settings)
    registry.add_env({key: value for key, value in env.items() if key not in unmasked})
