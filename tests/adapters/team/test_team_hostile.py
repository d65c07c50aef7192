"""The team store against servers, configurations and permissions that do not play along.

A token must reach only the server it belongs to; a write either happens
whole or not at all; a server that is not OpenBao/Vault, or a mount that is
not what it seems, is a clear error and never a traceback from hvac.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from bao_server import BaoServer
from process_state import forget_process_state

from nbsecrets.core.errors import (
    AccessDeniedError,
    ConfigError,
    InvalidSecretError,
    StoreUnavailableError,
)
from nbsecrets.core.store import get_store
from nbsecrets.core.store.base import shown_info


def fake(label: str) -> str:
    return f"sk-test-{label}-{uuid.uuid4().hex[:12]}"


class Recorder(http.server.ThreadingHTTPServer):
    """A server on 127.0.0.1 that is not OpenBao: it records the token of every request it gets,
    and answers with `status`, `body` and, for a redirect, `location`."""

    def __init__(self, status: int = 404, body: bytes = b"<html>not found</html>", location: str | None = None) -> None:
        self.tokens: list[str | None] = []
        self.status, self.body, self.location = status, body, location
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                recorder.tokens.append(self.headers.get("X-Vault-Token"))
                self.send_response(recorder.status)
                if recorder.location:
                    self.send_header("Location", recorder.location + self.path)
                self.send_header("Content-Length", str(len(recorder.body)))
                self.end_headers()
                self.wfile.write(recorder.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_LIST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.addr = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.shutdown()
    server.server_close()


def policy_token(bao: BaoServer, policy: str, *, default_policy: bool = True) -> str:
    name = f"p-{uuid.uuid4().hex[:8]}"
    bao.api("PUT", f"sys/policies/acl/{name}", {"policy": policy})
    answer = bao.api("POST", "auth/token/create-orphan", {"policies": [name], "ttl": "1h", "no_default_policy": not default_policy})
    return answer["auth"]["client_token"]


# -- a token goes only where it belongs ----------------------------------------------------------


def test_a_store_on_another_server_is_never_sent_the_environments_token(
    nbs, team_prefix: str, bao: BaoServer, config_file: Path, recorder: Recorder
) -> None:
    """A config.toml (copied, shared, committed) naming another server must not collect BAO_TOKEN:
    not from `nbsecrets stores`, not from using that store."""
    config_file.write_text(f'[stores.elsewhere]\naddr = "{recorder.addr}"\n')
    result = nbs("stores")
    assert result.code == 0
    elsewhere = next(line for line in result.out.splitlines() if line.startswith("elsewhere"))
    assert " no " in elsewhere  # it is not OpenBao at all; it still got no token
    with pytest.raises(StoreUnavailableError, match="given no token from the environment; name a token_file"):
        get_store("elsewhere").list()
    assert bao.root_token not in recorder.tokens


def test_a_stores_own_token_file_wins_over_the_environment(
    team_prefix: str, bao: BaoServer, config_file: Path, recorder: Recorder, tmp_path: Path
) -> None:
    token_file = tmp_path / "elsewhere-token"
    token_file.write_text("s.elsewhere-only-token\n")
    config_file.write_text(f'[stores.elsewhere]\naddr = "{recorder.addr}"\ntoken_file = "{token_file}"\n')
    with pytest.raises(StoreUnavailableError):
        get_store("elsewhere").list()
    assert recorder.tokens and set(recorder.tokens) == {"s.elsewhere-only-token"}


def test_a_redirect_is_not_followed_with_the_token(
    team_prefix: str, bao: BaoServer, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    """A server (or something in front of it) answering 307 elsewhere must not make the client carry the token there."""
    redirector = Recorder(status=307, body=b"", location=recorder.addr)
    try:
        monkeypatch.setenv("BAO_ADDR", redirector.addr)
        forget_process_state()
        with pytest.raises(StoreUnavailableError, match="does not answer as an OpenBao or Vault server"):
            get_store("team").list()
        assert recorder.tokens == []
    finally:
        redirector.shutdown()
        redirector.server_close()


# -- a server that is not OpenBao, a mount that is not one ----------------------------------------


def test_a_server_that_is_not_openbao_is_a_clear_error_everywhere(
    nbs, team_prefix: str, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    """No hvac exception (whose text would be the server's whole page) reaches the user."""
    monkeypatch.setenv("BAO_ADDR", recorder.addr)
    forget_process_state()
    team = get_store("team")
    for call in (team.list, lambda: team.get("app"), lambda: team.create("app", {"K": fake("k")})):
        with pytest.raises(StoreUnavailableError) as raised:
            call()
        assert "<html>" not in str(raised.value)
    result = nbs("stores")
    assert result.code == 0
    rows = {line.split()[0]: line for line in result.out.splitlines()[1:]}
    assert " yes " in rows["local"] and " no " in rows["team"]


def test_a_mount_path_inside_another_mount_is_refused_before_anything_is_written(
    team_prefix: str, bao: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for mount in ("secret/data", "secret/nbsecrets"):
        monkeypatch.setenv("NBSECRETS_TEAM_MOUNT", mount)
        forget_process_state()
        team = get_store("team")
        with pytest.raises(StoreUnavailableError, match="is not a mount .* but a path inside 'secret'"):
            team.create("m1", {"K": fake("mount")})
    for written in (f"secret/metadata/data/{team_prefix}/m1", f"secret/metadata/nbsecrets/{team_prefix}/m1"):
        with pytest.raises(urllib.error.HTTPError) as missing:
            bao.api("GET", written)
        assert missing.value.code == 404


def test_a_missing_ca_file_is_a_configuration_error(team_prefix: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BAO_CACERT", str(tmp_path / "no-such-ca.pem"))
    forget_process_state()
    with pytest.raises(ConfigError, match="CA file .* does not exist"):
        get_store("team")


# -- a write happens whole, or not at all ---------------------------------------------------------


def test_keys_that_cannot_be_described_are_refused_before_the_data_is_written(team) -> None:
    too_many = {f"K{index:05d}_{'Y' * 100}": fake("many") for index in range(400)}
    with pytest.raises(InvalidSecretError, match="nothing was written"):
        team.create("many", too_many)
    assert not team.exists("many")
    with pytest.raises(InvalidSecretError, match="more than 512 bytes"):
        team.create("long", {"K" * 600: fake("long")})
    assert not team.exists("long")


def test_a_token_that_may_write_data_but_not_metadata_writes_nothing(team_prefix: str, bao: BaoServer, monkeypatch) -> None:
    """Half a write (the data without its description) would mask a setting for good and make a retried
    create fail as existing: the missing right is found before the data is written."""
    token = policy_token(
        bao,
        f'path "secret/data/{team_prefix}/*" {{ capabilities = ["create", "read", "update"] }}\n'
        f'path "secret/metadata/{team_prefix}/*" {{ capabilities = ["read", "list"] }}\n',
    )
    monkeypatch.setenv("BAO_TOKEN", token)
    forget_process_state()
    with pytest.raises(AccessDeniedError, match=r"may not write the metadata of secret/metadata/.*/w1.*ask for 'patch'.*Nothing was written") as raised:
        get_store("team").create("w1", {"PW": fake("half"), "HOST": "h.internal"}, settings=["HOST"])
    assert token not in str(raised.value)
    monkeypatch.setenv("BAO_TOKEN", bao.root_token)
    forget_process_state()
    assert not get_store("team").exists("w1")


def test_a_refused_description_after_the_data_is_said_plainly_and_not_retried(team, team_prefix: str, bao: BaoServer) -> None:
    """When the server refuses the description after the data was written (here: metadata check-and-set
    required, which nbsecrets does not do), the error says the version was written, and the update is
    not taken for a lost race and written again and again."""
    team.create("mcas", {"PW": fake("mcas")})
    bao.api("POST", f"secret/metadata/{team_prefix}/mcas", {"metadata_cas_required": True})
    with pytest.raises(StoreUnavailableError, match="was written to the team store 'team' as version 2, but the description"):
        team.update("mcas", {"PW": fake("mcas-2")})
    assert bao.api("GET", f"secret/metadata/{team_prefix}/mcas")["data"]["current_version"] == 2
    assert team.read("mcas").settings == ()


# -- deleted, expired, and tokens without the default policy --------------------------------------


def test_a_secret_deleted_with_its_versions_kept_can_still_be_deleted_for_good(team, team_prefix: str, bao: BaoServer) -> None:
    team.create("soft", {"PW": fake("soft")})
    team.delete("soft", keep_versions=True)
    assert not team.exists("soft")
    assert team.delete("soft") is True
    with pytest.raises(urllib.error.HTTPError) as gone:
        bao.api("GET", f"secret/metadata/{team_prefix}/soft")
    assert gone.value.code == 404
    assert team.delete("soft", allow_missing=True) is False


def test_a_token_without_the_default_policy_can_still_show_what_it_may_read(team, team_prefix: str, bao: BaoServer, monkeypatch) -> None:
    """Such a token cannot look itself up or ask for its capabilities: show still shows (without 'you may'),
    and a refusal names both possible causes rather than calling a valid token expired."""
    team.create("db", {"PW": fake("nodefault")})
    token = policy_token(
        bao,
        f'path "secret/data/{team_prefix}/*" {{ capabilities = ["read"] }}\n'
        f'path "secret/metadata/{team_prefix}/*" {{ capabilities = ["read", "list"] }}\n'
        'path "sys/internal/ui/mounts/*" { capabilities = ["read"] }\n',
        default_policy=False,
    )
    monkeypatch.setenv("BAO_TOKEN", token)
    forget_process_state()
    store = get_store("team")
    info = shown_info(store, "db")
    assert dict(info.details).get("you may") is None
    assert store.read("db").env
    with pytest.raises(StoreUnavailableError, match="invalid or has expired .* or it may not even look itself up"):
        store.delete("db")


def test_json_the_server_holds_that_is_not_text_is_loaded_as_its_json(team, team_prefix: str, bao: BaoServer) -> None:
    bao.api("POST", f"secret/data/{team_prefix}/typed", {"data": {"N": 5, "T": True, "O": {"a": 1}}})
    assert team.get("typed") == {"N": "5", "T": "true", "O": json.dumps({"a": 1}, separators=(",", ":"))}
