"""Deleting a secret, the same way for every adapter: say what will go, ask, then delete."""

from __future__ import annotations

from typing import Callable, NamedTuple

from .store.base import SecretInfo, SecretStore


class DeleteOutcome(NamedTuple):
    """What a delete did. `result` is "deleted", "declined" (the user said no) or "missing"
    (there was no such secret, and `allow_missing` made that fine)."""

    name: str
    result: str


def delete_secret(
    store: SecretStore,
    name: str,
    *,
    confirm: Callable[[SecretInfo], bool] | None = None,
    allow_missing: bool = False,
) -> DeleteOutcome:
    """Delete `name` from `store`; `confirm(info)` (when given) is asked first and may decline."""
    if allow_missing and not store.exists(name):
        return DeleteOutcome(name, "missing")
    info = store.info(name)  # SecretNotFoundError, with the store's suggestions, when there is none
    if confirm is not None and not confirm(info):
        return DeleteOutcome(name, "declined")
    deleted = store.delete(name, allow_missing=allow_missing)
    return DeleteOutcome(name, "deleted" if deleted else "missing")
