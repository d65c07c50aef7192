"""Deleting a secret, the same way for every adapter: say what will go, ask, then delete."""

from __future__ import annotations

from typing import Callable, NamedTuple

from .errors import SecretNotFoundError
from .store.base import SecretInfo, SecretStore, no_versions


class DeleteOutcome(NamedTuple):
    """What a delete did. `result` is "deleted", "declined" (the user said no) or "missing"
    (there was no such secret, and `allow_missing` made that fine)."""

    name: str
    result: str
    versions_kept: bool = False


def delete_secret(
    store: SecretStore,
    name: str,
    *,
    confirm: Callable[[SecretInfo], bool] | None = None,
    allow_missing: bool = False,
    keep_versions: bool = False,
) -> DeleteOutcome:
    """Delete `name` from `store`; `confirm(info)` (when given) is asked first and may decline.

    A store that keeps versions (a team store) removes them all, unless
    `keep_versions`: then only the current version is marked deleted. One
    whose current version is deleted already (kept, or expired) can still be
    deleted for good.
    """
    if keep_versions and not store.keeps_versions:
        raise no_versions(store.name)
    try:
        info = store.info(name, deleted=not keep_versions)  # SecretNotFoundError, with suggestions, if none
    except SecretNotFoundError:
        if allow_missing:
            return DeleteOutcome(name, "missing")
        raise
    if confirm is not None and not confirm(info):
        return DeleteOutcome(name, "declined")
    deleted = store.delete(name, allow_missing=allow_missing, keep_versions=keep_versions)
    return DeleteOutcome(name, "deleted" if deleted else "missing", keep_versions and deleted)
