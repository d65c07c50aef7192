"""nbsecrets: Modal-style secrets for Jupyter and IPython.

Named sets of environment variables, kept encrypted at rest, loaded in the
order written, and masked in everything the kernel sends. `%load_ext
nbsecrets` adds the magics; the names below are the Python API.
"""

from __future__ import annotations

from typing import Any

from .core.environment import LoadReport, LoadedKey, load, unload, with_secrets
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
from .core.registry import registry
from .core.secret import Secret
from .core.store import LocalStore, SecretInfo, get_store

__version__ = "0.1.0"


def mask(value: str, name: str | None = None) -> None:
    """Mask `value` in all output from now on; `name` labels the replacement (e.g. the key name)."""
    if not isinstance(value, str):
        raise InvalidSecretError(f"mask() takes a string, not {type(value).__name__}.")
    registry.add(value, name)


def status() -> LoadReport:
    """Each key `load` has set, its source, and what it overrode."""
    from .core.environment import session

    return session.status()


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nbsecrets`: the magics and output masking."""
    from .adapters.ipython.extension import load_ipython_extension as load_extension

    load_extension(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext nbsecrets`: removes every hook and restores what `%secret load` set."""
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
    "get_store",
    "load",
    "mask",
    "status",
    "unload",
    "with_secrets",
]
