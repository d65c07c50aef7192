"""The team store keeps the store contract (tests/core/store/contract.py), unchanged, on a real OpenBao.

A second handle is a new TeamStore from `get_store("team")` after forgetting
the stores this process opened: what another process would open.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "core" / "store"))

from contract import MakeStore, StoreContract  # noqa: E402
from process_state import forget_process_state  # noqa: E402

from nbsecrets.core.store import get_store  # noqa: E402


class TestTeamStore(StoreContract):
    @pytest.fixture
    def make_store(self, team_prefix: str) -> MakeStore:
        def make():
            forget_process_state()
            return get_store("team")

        return make
