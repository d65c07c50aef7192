"""Deleting a secret the same way in every adapter: say what will go, ask, then delete.

The confirmation is shown the secret's keys (never its values) so the user
knows what a "yes" removes; a "no" must leave the store exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nbsecrets import SecretNotFoundError, get_store
from nbsecrets.core.deletion import DeleteOutcome, delete_secret
from nbsecrets.core.store import SecretInfo
from nbsecrets.core.store.local import LocalStore


class Confirm:
    """A yes/no question that records what it was shown."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.shown: list[SecretInfo] = []

    def __call__(self, info: SecretInfo) -> bool:
        self.shown.append(info)
        return self.answer


def test_deleted_after_a_yes_that_was_shown_the_secret() -> None:
    store = get_store()
    store.create("db", {"PGHOST": "db.test.invalid", "PGPASSWORD": "sk-test-delete-pw"}, settings=["PGHOST"])
    store.create("kept", {"TOKEN": "sk-test-kept"})
    expected = store.info("db")
    confirm = Confirm(True)
    outcome = delete_secret(store, "db", confirm=confirm)
    assert outcome == DeleteOutcome("db", "deleted")
    assert confirm.shown == [expected]  # keys, settings and times; a SecretInfo has no values
    assert not store.exists("db") and store.get("kept") == {"TOKEN": "sk-test-kept"}


def test_without_confirm_it_deletes_at_once() -> None:
    store = get_store()
    store.create("db", {"TOKEN": "sk-test-delete"})
    assert delete_secret(store, "db") == DeleteOutcome("db", "deleted")
    assert store.list() == []


def test_a_no_deletes_nothing() -> None:
    store = get_store()
    store.create("db", {"TOKEN": "sk-test-declined"})
    before = (store.list(), store.read("db"), store.path.read_bytes())
    confirm = Confirm(False)
    assert delete_secret(store, "db", confirm=confirm) == DeleteOutcome("db", "declined")
    assert len(confirm.shown) == 1
    assert (store.list(), store.read("db"), store.path.read_bytes()) == before


def test_missing_with_allow_missing_is_reported_without_asking() -> None:
    store = get_store()
    store.create("other", {"TOKEN": "sk-test-other"})
    confirm = Confirm(True)
    assert delete_secret(store, "gone", confirm=confirm, allow_missing=True) == DeleteOutcome("gone", "missing")
    assert confirm.shown == []  # nothing to confirm
    assert [info.name for info in store.list()] == ["other"]


def test_missing_without_allow_missing_raises_with_suggestions_before_asking() -> None:
    store = get_store()
    store.create("openai-prod", {"OPENAI_API_KEY": "sk-test-prod"})
    confirm = Confirm(True)
    with pytest.raises(SecretNotFoundError) as raised:
        delete_secret(store, "openai-prd", confirm=confirm)
    assert raised.value.suggestions == ["openai-prod"] and "Did you mean: 'openai-prod'?" in str(raised.value)
    with pytest.raises(SecretNotFoundError) as raised:
        delete_secret(store, "zzz", confirm=confirm)
    assert raised.value.suggestions == []
    assert confirm.shown == [] and store.exists("openai-prod")


def test_gone_between_the_question_and_the_delete_is_missing_with_allow_missing(tmp_path: Path) -> None:
    """Another process may delete it while the user reads the question."""
    store = LocalStore(tmp_path / "home")
    store.create("db", {"TOKEN": "sk-test-race"})

    def meanwhile_deleted(info: SecretInfo) -> bool:
        LocalStore(store.home).delete(info.name)
        return True

    assert delete_secret(store, "db", confirm=meanwhile_deleted, allow_missing=True) == DeleteOutcome("db", "missing")
    store.create("db", {"TOKEN": "sk-test-race"})
    with pytest.raises(SecretNotFoundError):
        delete_secret(store, "db", confirm=meanwhile_deleted)


def test_it_works_on_any_store(tmp_path: Path) -> None:
    """The magics and the CLI pass the store they opened; the default one is not touched."""
    other = LocalStore(tmp_path / "other-home")
    other.create("db", {"TOKEN": "sk-test-other-store"})
    get_store().create("db", {"TOKEN": "sk-test-default-store"})
    assert delete_secret(other, "db").result == "deleted"
    assert other.list() == [] and get_store().exists("db")
