"""Fixtures for the store tests (the homes, key dir and keyring come from tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nbsecrets.core.store import get_store
from nbsecrets.core.store.local import LocalStore


@pytest.fixture
def store(nbsecrets_home: Path) -> LocalStore:
    return get_store()


@pytest.fixture
def open_umask():
    """umask 0 for the test: any mode not set explicitly by the store would come out world-readable."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)
