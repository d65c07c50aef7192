"""Where secrets are kept: the store interface and its registry of kinds.

The local vault is `nbsecrets.core.store.local`; it is imported when a store
is first opened, not here, so naming a store costs nothing at `%load_ext`.
"""

from __future__ import annotations

from .base import LOCAL, SecretInfo, SecretStore, StoredSecret, reference, split_reference
from .kinds import StoreConfig, configured_stores, get_store, register_kind

__all__ = [
    "LOCAL",
    "SecretInfo",
    "SecretStore",
    "StoreConfig",
    "StoredSecret",
    "configured_stores",
    "get_store",
    "reference",
    "register_kind",
    "split_reference",
]
