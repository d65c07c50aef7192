"""The local vault keeps the store contract (tests/core/store/contract.py).

A second handle is a new `LocalStore` on the same home after forgetting what
this process holds in memory (keys read, stores opened): what another
process opening the vault would see.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from contract import MakeStore, StoreContract
from process_state import forget_process_state

from nbsecrets.core.store import get_store
from nbsecrets.core.store.local import LocalStore

pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.core.errors.NbSecretsWarning")


class TestLocalStore(StoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> MakeStore:
        home = tmp_path / "contract-home"

        def make() -> LocalStore:
            forget_process_state()
            return LocalStore(home)

        return make


class TestConfiguredLocalStore(StoreContract):
    """The store `get_store()` opens (the one the CLI and magics use) keeps it too."""

    @pytest.fixture
    def make_store(self) -> MakeStore:
        def make() -> LocalStore:
            forget_process_state()
            return get_store()

        return make
