"""`Secret`: a named set of environment variables from one source.

Mirrors Modal's `modal.Secret` constructors. Stored secrets and .env files
are read when the secret is resolved (at load time), so a re-run picks up
edits; dicts and local variables are copied when the Secret is made. Values
never appear in repr() or str().

A key is a secret (its value is masked in all output) unless it is a
setting: a host, a port, a user name, which masking would only make
unreadable wherever it appears.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Mapping, Tuple, Union

from .errors import InvalidSecretError, MissingKeysError
from .registry import registry
from .rules import check_env, check_keys, check_name, check_settings

Resolved = Union[Mapping[str, str], Tuple[Mapping[str, str], Iterable[str]]]
"""What a resolver returns: the variables, or the variables and which keys are settings."""


class Secret:
    """A source of environment variables: a stored secret, a dict, a .env file or local variables.

    Build one with `Secret.from_name`, `from_dict`, `from_dotenv` or
    `from_local_environ`; pass it to `nbsecrets.load` or `nbsecrets.with_secrets`.
    """

    __slots__ = ("kind", "label", "required_keys", "_resolver", "_keys", "_settings")

    def __init__(
        self,
        kind: str,
        label: str,
        resolver: Callable[[], Resolved],
        *,
        required_keys: Iterable[str] = (),
        keys: Iterable[str] | None = None,
        settings: Iterable[str] | None = None,
    ) -> None:
        self.kind = kind
        self.label = label
        self.required_keys = check_keys(required_keys, "required_keys")
        self._resolver = resolver
        self._keys = tuple(keys) if keys is not None else None
        self._settings = tuple(settings) if settings is not None else None

    # -- constructors -------------------------------------------------------

    @classmethod
    def from_name(cls, name: str, *, required_keys: Iterable[str] = ()) -> "Secret":
        """A secret kept in the store, looked up when the secret is loaded (its settings with it)."""
        check_name(name)

        def resolve() -> Resolved:
            from .store import get_store

            return get_store().read(name)

        return cls("name", name, resolve, required_keys=required_keys)

    @classmethod
    def from_dict(cls, env: Mapping[str, str | None], *, settings: Iterable[str] = ()) -> "Secret":
        """A secret from a mapping; None values are dropped, as in Modal.

        `settings` names keys whose values are not masked. A key whose value is
        None may be named (it is dropped with its flag), so
        `{"PGHOST": os.environ.get("PGHOST")}` works whether or not it is set.
        """
        checked = check_env(env, drop_none=True)
        marked = tuple(key for key in check_settings(settings, env, "the dict") if key in checked)
        return cls("dict", "dict", lambda: (checked, marked), keys=checked, settings=marked)

    @classmethod
    def from_dotenv(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        filename: str = ".env",
        required_keys: Iterable[str] = (),
        interpolate: bool = False,
    ) -> "Secret":
        """A .env file: `path` is a file or a directory; without it the nearest
        `filename` from the working directory upwards. The file must exist now;
        it is read when the secret is loaded."""
        from .dotenv_file import find_dotenv_file, read_dotenv_file

        found = find_dotenv_file(path, filename)
        return cls(
            "dotenv",
            f"dotenv:{found}",
            lambda: read_dotenv_file(found, interpolate=interpolate),
            required_keys=required_keys,
        )

    @classmethod
    def from_local_environ(cls, env_keys: Iterable[str]) -> "Secret":
        """Copies the named variables of this process's environment, now."""
        keys = check_keys(env_keys, "env_keys")
        missing = [key for key in keys if key not in os.environ]
        if missing:
            raise InvalidSecretError(
                "Not set in the local environment: " + ", ".join(missing) + "."
            )
        copied = check_env({key: os.environ[key] for key in keys})
        return cls("local_environ", "local environ", lambda: copied, keys=copied, settings=())

    # -- use ------------------------------------------------------------------

    def relabelled(self, label: str) -> "Secret":
        """The same source under another label (how reports and `unload` name it)."""
        return Secret(
            self.kind, label, self._resolver, required_keys=self.required_keys, keys=self._keys, settings=self._settings
        )

    def with_required_keys(self, keys: Iterable[str]) -> "Secret":
        """The same source, additionally requiring `keys`."""
        return Secret(
            self.kind,
            self.label,
            self._resolver,
            required_keys=(*self.required_keys, *check_keys(keys, "required_keys")),
            keys=self._keys,
            settings=self._settings,
        )

    @property
    def keys(self) -> tuple[str, ...] | None:
        """Key names, once known (after resolving, or at once for dicts and local variables)."""
        return self._keys

    @property
    def settings(self) -> tuple[str, ...] | None:
        """The keys whose values are not masked, once known (like `keys`)."""
        return self._settings

    def resolve(self) -> dict[str, str]:
        """Read the source, check required keys, and register the secrets' values for masking.

        Settings' values are not registered, but nothing registered before is
        taken back: a value that is a secret anywhere stays masked.
        """
        resolved = self._resolver()
        if isinstance(resolved, tuple):
            raw, flagged = resolved
        else:
            raw, flagged = resolved, ()
        env = check_env(raw)
        flagged = set(flagged)
        settings = tuple(key for key in env if key in flagged)
        missing = [key for key in self.required_keys if key not in env]
        if missing:
            raise MissingKeysError(self.describe(), missing)
        registry.add_env({key: value for key, value in env.items() if key not in settings})
        self._keys = tuple(env)
        self._settings = settings
        return env

    def describe(self) -> str:
        """How messages name this source."""
        if self.kind == "name":
            return f"Secret {self.label!r}"
        if self.kind == "dotenv":
            return f".env file {self.label.partition(':')[2]}"
        return self.label

    def __repr__(self) -> str:
        keys = "?" if self._keys is None else "[" + ", ".join(self._keys) + "]"
        settings = f" settings=[{', '.join(self._settings)}]" if self._settings else ""
        return f"<Secret {self.kind} {self.label!r} keys={keys}{settings}>"

    __str__ = __repr__
