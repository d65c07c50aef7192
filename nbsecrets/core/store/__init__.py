"""Where secrets are kept: the local encrypted vault."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .local import LocalStore, SecretInfo

_stores: dict[Path, LocalStore] = {}
_lock = threading.Lock()


def default_home() -> Path:
    """NBSECRETS_HOME, else the platform's user data directory for nbsecrets."""
    configured = os.environ.get("NBSECRETS_HOME")
    if configured:
        return Path(configured).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_data_dir("nbsecrets", appauthor=False))


def get_store(home: str | os.PathLike[str] | None = None) -> LocalStore:
    """The store for `home` (default: `default_home()`), shared within the process."""
    path = Path(home).expanduser().absolute() if home is not None else default_home()
    with _lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = LocalStore(path)
        return store


__all__ = ["LocalStore", "SecretInfo", "default_home", "get_store"]
