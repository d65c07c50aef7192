"""nbsecrets: Modal-style secrets for Jupyter and IPython.

Named sets of environment variables, kept encrypted at rest, loaded in the
order written, and masked in everything the kernel sends. `%load_ext
nbsecrets` adds the magics; the names below are the Python API, each defined
in the core and only re-exported here.

The errors are imported at once (they are cheap and `except` clauses name
them); everything else on first use, because the store, the masker and the
package metadata together would triple the cost of `import nbsecrets` and
of `%load_ext nbsecrets` (see bench/bench_load_ext.py).
"""

from __future__ import annotations

import importlib
from typing import Any

from .core.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    CancelledError,
    ConfigError,
    DotenvError,
    InvalidSecretError,
    KeyUnavailableError,
    MissingKeysError,
    NbSecretsError,
    NbSecretsWarning,
    SecretNotFoundError,
    StoreUnavailableError,
    VaultCorruptError,
)

_EXPORTS = {
    "LoadReport": "nbsecrets.core.environment",
    "LoadedKey": "nbsecrets.core.environment",
    "load": "nbsecrets.core.environment",
    "status": "nbsecrets.core.environment",
    "unload": "nbsecrets.core.environment",
    "with_secrets": "nbsecrets.core.environment",
    "configure_masking": "nbsecrets.core.masking",
    "mask": "nbsecrets.core.masking",
    "Secret": "nbsecrets.core.secret",
    "SecretInfo": "nbsecrets.core.store",
    "SecretStore": "nbsecrets.core.store",
    "get_store": "nbsecrets.core.store",
    "LocalStore": "nbsecrets.core.store.local",
    "__version__": "nbsecrets.core.version",
}
"""Each lazily re-exported name and the core module that defines it."""


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nbsecrets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "load_ipython_extension", "panel", "unload_ipython_extension"])


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nbsecrets`: the magics and output masking."""
    from .adapters.ipython.extension import load_ipython_extension as load_extension

    load_extension(ipython)


def panel() -> Any:
    """The widget panel (needs ipywidgets): list, choose, order, create, load and unload secrets."""
    from .adapters.widgets import make_panel

    return make_panel()


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext nbsecrets`: removes the magics; masking and loaded variables stay until the process ends."""
    from .adapters.ipython.extension import unload_ipython_extension as unload_extension

    unload_extension(ipython)


__all__ = sorted(
    [
        *_EXPORTS,
        "AccessDeniedError",
        "AlreadyExistsError",
        "CancelledError",
        "ConfigError",
        "DotenvError",
        "InvalidSecretError",
        "KeyUnavailableError",
        "MissingKeysError",
        "NbSecretsError",
        "NbSecretsWarning",
        "SecretNotFoundError",
        "StoreUnavailableError",
        "VaultCorruptError",
    ]
)
