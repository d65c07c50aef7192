"""nbsecrets: Modal-style secrets for Jupyter and IPython.

Named sets of environment variables, kept encrypted at rest, loaded in the
order written, and masked in everything the kernel sends. `%load_ext
nbsecrets` adds the magics; the names below are the Python API.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .core.errors import (
    AlreadyExistsError,
    DotenvError,
    InvalidSecretError,
    KeyUnavailableError,
    MissingKeysError,
    NbSecretsError,
    NbSecretsWarning,
    SecretNotFoundError,
    VaultCorruptError,
)

if TYPE_CHECKING:
    from .core.environment import LoadedKey, LoadReport, load, unload, with_secrets
    from .core.secret import Secret
    from .core.store import LocalStore, SecretInfo, get_store

# The rest of the API is imported on first use: `%load_ext nbsecrets` and
# `import nbsecrets` stay cheap, and the store and .env machinery load only
# when a secret is actually read.
_LAZY = {
    "LoadReport": "nbsecrets.core.environment",
    "LoadedKey": "nbsecrets.core.environment",
    "load": "nbsecrets.core.environment",
    "unload": "nbsecrets.core.environment",
    "with_secrets": "nbsecrets.core.environment",
    "Secret": "nbsecrets.core.secret",
    "LocalStore": "nbsecrets.core.store",
    "SecretInfo": "nbsecrets.core.store",
    "get_store": "nbsecrets.core.store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbsecrets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"


def mask(value: str, name: str | None = None) -> None:
    """Mask `value` in all output from now on; `name` labels the replacement (e.g. the key name)."""
    from .core.registry import registry

    if not isinstance(value, str):
        raise InvalidSecretError(f"mask() takes a string, not {type(value).__name__}.")
    registry.add(value, name)


def configure_masking(
    *,
    min_length: int | None = None,
    replacement: str | None = None,
    fragment_length: int | None = None,
    patterns: bool | None = None,
) -> None:
    """Change how output is masked: values shorter than `min_length` (default 6) are
    left alone; `replacement` is a format with `{name}` (default "[masked:{name}]");
    runs of `fragment_length` (default 12, never below `min_length`) characters of a
    secret are masked too; `patterns` (default True) masks strings shaped like
    well-known credentials even if nbsecrets never saw them."""
    from .core.masking import get_masker

    get_masker().configure(
        min_length=min_length, replacement=replacement, fragment_length=fragment_length, patterns=patterns
    )


def status() -> LoadReport:
    """Each key `load` has set, its source, and what it overrode."""
    from .core.environment import session

    return session.status()


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nbsecrets`: the magics and output masking."""
    from .adapters.ipython.extension import load_ipython_extension as load_extension

    load_extension(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext nbsecrets`: removes the magics; masking and loaded variables stay until the process ends."""
    from .adapters.ipython.extension import unload_ipython_extension as unload_extension

    unload_extension(ipython)


__all__ = [
    "AlreadyExistsError",
    "DotenvError",
    "InvalidSecretError",
    "KeyUnavailableError",
    "LoadReport",
    "LoadedKey",
    "LocalStore",
    "MissingKeysError",
    "NbSecretsError",
    "NbSecretsWarning",
    "Secret",
    "SecretInfo",
    "SecretNotFoundError",
    "VaultCorruptError",
    "configure_masking",
    "get_store",
    "load",
    "mask",
    "status",
    "unload",
    "with_secrets",
]
