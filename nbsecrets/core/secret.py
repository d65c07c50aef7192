"""`Secret`: a named set of environment variables from one source.

Mirrors Modal's `modal.Secret` constructors. Stored secrets and .env files
are read when the secret is resolved (at load time), so a re-run picks up
edits; dicts and local variables are copied when the Secret is made. Values
never appear in repr() or str().

A key is a secret (its value is masked in all output) unless it is a
setting: a host, a port, a user name, which masking would only make
unreadable wherever it appears.

The stores are imported by `Secret.from_name`, the one constructor that
needs them: parsing sources, and `%load_ext nbsecrets` (whose help quotes
the sources' syntax), import no store until a stored secret is named.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Tuple, Union

from .display import shown_path
from .errors import InvalidSecretError, MissingKeysError
from .registry import registry
from .rules import check_env, check_keys, check_settings

if TYPE_CHECKING:
    from .store.base import SecretStore

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
    def from_name(
        cls, name: str, *, store: "str | SecretStore | None" = None, required_keys: Iterable[str] = ()
    ) -> "Secret":
        """A secret kept in a store, read when the secret is loaded (its settings with it).

        `store` is a store's name or a store; by default the local vault.
        `name` may name its store itself, as `STORE:NAME` (the form sources use).
        """
        from .store import get_store
        from .store.base import LOCAL, SecretStore, one_store, reference, split_reference

        named, name = split_reference(name)
        if store is not None and not isinstance(store, (str, SecretStore)):
            raise InvalidSecretError(
                f"store= takes a store's name or a store, not a {type(store).__name__}; "
                "a vault in a folder of your choice is nbsecrets.LocalStore(folder)."
            )
        chosen = store if isinstance(store, str) or store is None else store.name
        store_name = one_store(named, chosen) or LOCAL

        def resolve() -> Resolved:
            return (get_store(store_name) if store is None or isinstance(store, str) else store).read(name)

        return cls("name", reference(store_name, name), resolve, required_keys=required_keys)

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
        """A .env file, found the way Modal finds it, so `Secret.from_dotenv(__file__)` means the same here.

        `path` is where the search starts: a directory, or a file whose
        directory it is (a module's `__file__`); the nearest `filename` in it
        or a parent wins. Without `path` the search starts in the working
        directory. One addition: a file that is a .env file by its name is
        read directly, since whoever names `prod.env` means that file. That
        is a name equal to `filename`, ending in `.env` (`.env`, `prod.env`),
        or starting with `.env.`, `.env-` or `.env_` (`.env.local`,
        `.env-dev`); anything else (`settings.py`, `.envrc`) starts a search.

        Where Modal yields an empty secret, nothing found here raises
        `SecretNotFoundError` naming where the search started and the file
        it looked for: a missing file would otherwise surface much later as a
        missing key. A `path` that does not exist is an error too. The file
        must exist now; it is read when the secret is loaded, so edits made in
        between count.
        """
        from .dotenv_file import find_dotenv_file

        found = find_dotenv_file(path, filename, modal=True)
        return dotenv_secret(found, interpolate=interpolate, required_keys=required_keys)

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
            return f".env file {shown_path(self.label.partition(':')[2])}"
        return self.label

    def __repr__(self) -> str:
        keys = "?" if self._keys is None else "[" + ", ".join(self._keys) + "]"
        settings = f" settings=[{', '.join(self._settings)}]" if self._settings else ""
        return f"<Secret {self.kind} {self.label!r} keys={keys}{settings}>"

    __str__ = __repr__


def dotenv_secret(found: "os.PathLike[str]", *, interpolate: bool = False, required_keys: Iterable[str] = ()) -> Secret:
    """The Secret of a .env file already located (`--dotenv FILE` reads the file it names, as is)."""
    from .dotenv_file import read_dotenv_file

    path = Path(found)
    return Secret(
        "dotenv", f"dotenv:{path}", lambda: read_dotenv_file(path, interpolate=interpolate), required_keys=required_keys
    )
