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
from typing import Any, Callable, Iterator

import pytest
from bao_server import BaoServer
from process_state import forget_process_state
from team_races import hold_description, in_thread

from nbsecrets.core.errors import (
    AccessDeniedError,
    ConfigError,
    InvalidSecretError,
    StoreUnavailableError,
)
from nbsecrets.core.registry import registry
from nbsecrets.core.store import get_store
from nbsecrets.core.store.base import shown_info


def fake(label: str) -> str:
    return f"sk-test-{label}-{uuid.uuid4().hex[:12]}"


class FakeServer(http.server.ThreadingHTTPServer):
    """A server on 127.0.0.1 that is not OpenBao: `reply(path)` gives each request's status, body and
    extra headers, and the token each request carried is recorded."""

    def __init__(self, reply: Callable[[str], tuple[int, bytes, dict[str, str]]]) -> None:
        self.tokens: list[str | None] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                owner.tokens.append(self.headers.get("X-Vault-Token"))
                status, body, headers = reply(self.path)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_LIST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.addr = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


def Recorder(status: int = 404, body: bytes = b"<html>not found</html>", location: str | None = None) -> FakeServer:
    """A server that answers everything alike (a web server, or a redirect to `location`)."""
    return FakeServer(lambda path: (status, body, {"Location": location + path} if location else {}))


def JsonServer(answers: dict[str, Any]) -> FakeServer:
    """A server that answers each path with the JSON given for the longest prefix of it there is."""

    def reply(path: str) -> tuple[int, bytes, dict[str, str]]:
        path = path.split("?")[0]
        found = max((key for key in answers if path.startswith(key)), key=len, default=None)
        return 200, json.dumps(answers[found] if found else {}).encode(), {"Content-Type": "application/json"}

    return FakeServer(reply)


@pytest.fixture
def recorder() -> Iterator[FakeServer]:
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
    nbs, team_prefix: str, bao: BaoServer, config_file: Path, recorder: FakeServer
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
    team_prefix: str, bao: BaoServer, config_file: Path, recorder: FakeServer, tmp_path: Path
) -> None:
    token_file = tmp_path / "elsewhere-token"
    token_file.write_text("s.elsewhere-only-token\n")
    token_file.chmod(0o600)
    config_file.write_text(f'[stores.elsewhere]\naddr = "{recorder.addr}"\ntoken_file = "{token_file}"\n')
    with pytest.raises(StoreUnavailableError):
        get_store("elsewhere").list()
    assert recorder.tokens and set(recorder.tokens) == {"s.elsewhere-only-token"}


def test_a_redirect_is_not_followed_with_the_token(
    team_prefix: str, bao: BaoServer, monkeypatch: pytest.MonkeyPatch, recorder: FakeServer
) -> None:
    """A server (or something in front of it) answering 307 elsewhere must not make the client carry the token there."""
    redirector = Recorder(status=307, body=b"", location=recorder.addr)
    try:
        monkeypatch.setenv("BAO_ADDR", redirector.addr)
        forget_process_state()
        with pytest.raises(StoreUnavailableError, match=r"answered with a redirect \(HTTP 307\).*set the address"):
            get_store("team").list()
        assert recorder.tokens == []
    finally:
        redirector.shutdown()
        redirector.server_close()


# -- a server that is not OpenBao, a mount that is not one ----------------------------------------


def test_a_server_that_is_not_openbao_is_a_clear_error_everywhere(
    nbs, team_prefix: str, monkeypatch: pytest.MonkeyPatch, recorder: FakeServer
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


# -- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_bao(bao: BaoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaoServer]:
    """A dev server speaking TLS with a CA of its own (the shared `bao` fixture checks bao is there)."""
    server = BaoServer(tmp_path_factory.mktemp("bao-tls"), tls=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def on_tls(tls_bao: BaoServer, team_prefix: str, monkeypatch: pytest.MonkeyPatch) -> BaoServer:
    monkeypatch.setenv("BAO_ADDR", tls_bao.addr)
    monkeypatch.setenv("BAO_TOKEN", tls_bao.root_token)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    forget_process_state()
    return tls_bao


def test_a_server_whose_ca_is_named_is_used_over_tls(on_tls: BaoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("BAO_CACERT", "VAULT_CACERT"):
        monkeypatch.setenv(variable, str(on_tls.ca_file))
        forget_process_state()
        team = get_store("team")
        name = fake("tls").replace("sk-test-", "")[:40]
        team.create(name, {"PW": fake("over-tls")})
        assert team.get(name)["PW"].startswith("sk-test-over-tls")
        monkeypatch.delenv(variable)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # what skipping means, said per request
def test_a_certificate_nobody_vouched_for_is_refused_unless_told_to_skip(on_tls: BaoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(StoreUnavailableError, match="TLS failed.*BAO_CACERT"):
        get_store("team").list()
    monkeypatch.setenv("BAO_SKIP_VERIFY", "true")
    forget_process_state()
    assert get_store("team").list() == []


def test_https_to_a_server_that_speaks_plain_http_says_so(team_prefix: str, bao: BaoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAO_ADDR", bao.addr.replace("http://", "https://"))
    forget_process_state()
    with pytest.raises(StoreUnavailableError, match="TLS failed.*or it does not speak TLS"):
        get_store("team").list()


# -- namespaces -----------------------------------------------------------------------------------


def test_a_namespace_keeps_its_secrets_apart(team_prefix: str, bao: BaoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """BAO_NAMESPACE (or VAULT_NAMESPACE) sends every request into that namespace: what is written there
    is read there, and is not at the same path outside it."""
    namespace = f"ns-{uuid.uuid4().hex[:8]}"
    bao.api("POST", f"sys/namespaces/{namespace}")
    bao.api("POST", f"{namespace}/sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
    for variable in ("BAO_NAMESPACE", "VAULT_NAMESPACE"):
        monkeypatch.setenv(variable, namespace)
        forget_process_state()
        team = get_store("team")
        name = f"in-{variable.lower()}"
        team.create(name, {"PW": fake("namespaced")})
        assert name in [info.name for info in team.list()]
        assert bao.api("GET", f"{namespace}/secret/data/{team_prefix}/{name}")["data"]["data"]["PW"].startswith("sk-test-namespaced")
        with pytest.raises(urllib.error.HTTPError) as outside:
            bao.api("GET", f"secret/data/{team_prefix}/{name}")
        assert outside.value.code == 404
        # Asking the server's health (its clock, `stores`) must not carry the namespace, which it refuses.
        bao.api("POST", f"{namespace}/secret/data/{team_prefix}/foreign-{name}", {"data": {"PW": fake("foreign")}})
        assert team.update(f"foreign-{name}", {"USER": "bob"}).keys == ("PW", "USER")
        assert team.describe()[1] is True
        monkeypatch.delenv(variable)


# -- second look: tokens hvac would find by itself, token files, crossing writers ----------------


def test_hvacs_own_token_sources_never_reach_a_store_on_another_server(
    nbs, team_prefix: str, config_file: Path, recorder: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hvac reads VAULT_TOKEN and ~/.vault-token on its own when not given a token: a store on another
    server must not be sent either, not even by the health check of `nbsecrets stores`."""
    monkeypatch.setenv("VAULT_TOKEN", "s.vault-token-of-the-user")
    login_file = Path.home() / ".vault-token"
    login_file.parent.mkdir(parents=True, exist_ok=True)
    login_file.write_text("hvs.bao-login-token-of-the-user\n")
    try:
        config_file.write_text(f'[stores.elsewhere]\naddr = "{recorder.addr}"\n')
        assert nbs("stores").code == 0
        with pytest.raises(StoreUnavailableError):
            get_store("elsewhere").list()
    finally:
        login_file.unlink()
    assert recorder.tokens and not set(recorder.tokens) - {None, ""}


def test_a_foreign_store_may_not_name_the_environments_token_file(team_prefix: str, config_file: Path, recorder: FakeServer) -> None:
    config_file.write_text(f'[stores.elsewhere]\naddr = "{recorder.addr}"\ntoken_file = "~/.vault-token"\n')
    with pytest.raises(ConfigError, match="names the environment's token file"):
        get_store("elsewhere")
    assert recorder.tokens == []


def test_a_token_file_is_read_beside_the_config_file_and_must_hold_a_token(
    team_prefix: str, config_file: Path, recorder: FakeServer
) -> None:
    """A relative token_file is the config file's neighbour; a file that holds anything but one token
    (a credentials line, several lines) is not sent as one."""
    token_file = config_file.parent / "elsewhere.token"
    token_file.write_text("https://user:sk-test-password@example.invalid ssh-rsa\n")
    token_file.chmod(0o600)
    config_file.write_text(f'[stores.elsewhere]\naddr = "{recorder.addr}"\ntoken_file = "elsewhere.token"\n')
    with pytest.raises(StoreUnavailableError, match="elsewhere.token .* is not a token") as raised:
        get_store("elsewhere").list()
    assert "sk-test-password" not in str(raised.value)
    assert recorder.tokens == []
    token_file.write_text("s.elsewhere-token\n")
    forget_process_state()
    with pytest.raises(StoreUnavailableError):
        get_store("elsewhere").list()
    assert set(recorder.tokens) == {"s.elsewhere-token"}


def test_a_token_file_others_may_read_is_not_sent(team_prefix: str, config_file: Path, recorder: FakeServer) -> None:
    """A shared config could name a token others can read (a service account's, 0644): a store's own
    token_file must be the user's private file."""
    token_file = config_file.parent / "shared.token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzYSJ9.c2lnbmF0dXJl\n")
    token_file.chmod(0o644)
    config_file.write_text(f'[stores.elsewhere]\naddr = "{recorder.addr}"\ntoken_file = "shared.token"\n')
    with pytest.raises(ConfigError, match="only you can read"):
        get_store("elsewhere").list()
    assert recorder.tokens == []


def test_a_token_variable_that_holds_no_token_is_named(team_prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAO_TOKEN", "two words")
    forget_process_state()
    with pytest.raises(StoreUnavailableError, match="The token from BAO_TOKEN .* is not a token"):
        get_store("team").list()


def test_a_writer_overtaken_by_a_delete_for_good_brings_no_old_settings_back(
    team, team_prefix: str, bao: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writes version 1 with a setting; before A describes it, the secret is deleted for good and made
    anew without settings. A's late description must not become the new version 1's."""
    host = f"old-{uuid.uuid4().hex[:6]}.internal"
    writer_a = team
    held, release = hold_description(writer_a, monkeypatch)
    thread, errors = in_thread(
        lambda: writer_a.create("db", {"PW": fake("old-pw"), "HOST": host}, settings=["HOST"])
    )
    try:
        assert held.wait(timeout=30)
        forget_process_state()
        other = get_store("team")
        assert other.delete("db") is True  # version 1 and its metadata, gone for good
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors and "could not be saved" in str(errors[0])  # A is told its description did not land
    forget_process_state()
    fresh = get_store("team")
    new_value = fake("new-pw")
    fresh.create("db", {"PW": new_value, "HOST": host})
    forget_process_state()
    assert get_store("team").read("db").settings == ()
    assert new_value in registry


def test_listing_many_stores_shares_one_pool_of_threads(team_prefix: str, bao: BaoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbsecrets.adapters.team.store import LIST_THREADS

    for index in range(3):
        monkeypatch.setenv("NBSECRETS_TEAM_PREFIX", f"{team_prefix}-{index}")
        forget_process_state()
        store = get_store("team")
        for name in ("a", "b", "c"):
            store.create(name, {"PW": fake("pool")})
        assert [info.name for info in store.list()] == ["a", "b", "c"]
    assert sum(thread.name.startswith("nbsecrets-team") for thread in threading.enumerate()) <= LIST_THREADS


MOUNT_OK = {"/v1/sys/internal/ui/mounts/secret": {"data": {"path": "secret/", "type": "kv", "options": {"version": "2"}}}}


@pytest.mark.parametrize(
    "answers",
    [
        {"/v1/secret/metadata/": {"data": {"keys": "not-a-list"}}},
        {"/v1/secret/metadata/p/": {"data": {"keys": [1, "a"]}}, "/v1/secret/metadata/p/a": {"data": {"versions": "x", "current_version": "1"}}},
        {"/v1/secret/metadata/p/": {"data": {"keys": ["a"]}}, "/v1/secret/metadata/p/a": {"data": [1, 2]}},
        {"/v1/secret/metadata/p/": {"data": {"keys": ["a"]}}, "/v1/secret/metadata/p/a": {"nodata": True}},
        {"/v1/secret/metadata/p/": {"data": {"keys": ["a"]}},
         "/v1/secret/metadata/p/a": {"data": {"current_version": 1, "versions": {"1": {"created_time": 5, "deletion_time": []}}, "custom_metadata": {"nbsecrets.v1.keys.0": 7}}},
         "/v1/secret/data/p/a": {"data": {"data": ["not", "a", "map"], "metadata": {"version": "one"}}}},
    ],
    ids=["keys-not-a-list", "wrong-types", "data-a-list", "no-data", "odd-fields"],
)
def test_strange_answers_are_store_errors_never_python_ones(answers: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    server = JsonServer({**MOUNT_OK, **answers})
    try:
        monkeypatch.setenv("BAO_ADDR", server.addr)
        monkeypatch.setenv("BAO_TOKEN", "s.fake-server-token")
        monkeypatch.setenv("NBSECRETS_TEAM_PREFIX", "p")
        forget_process_state()
        team = get_store("team")
        for call in (team.list, lambda: team.info("a"), lambda: team.get("a"), lambda: team.exists("a")):
            try:
                call()
            except (StoreUnavailableError, InvalidSecretError, AccessDeniedError) as error:
                assert "Traceback" not in str(error)
            except Exception as error:  # noqa: BLE001 - the point of the test
                if type(error).__name__ == "SecretNotFoundError":
                    continue
                pytest.fail(f"{type(error).__name__} escaped: {error}")
    finally:
        server.shutdown()
        server.server_close()


def test_an_empty_answer_where_a_body_is_due_is_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """204 to a read is not "nothing there": a delete must not report a secret missing, nor a create
    take it as free, on a server (or a proxy) that answers reads with no body."""
    server = FakeServer(
        lambda path: (200, json.dumps(MOUNT_OK["/v1/sys/internal/ui/mounts/secret"]).encode(), {"Content-Type": "application/json"})
        if path.startswith("/v1/sys/internal/ui/mounts/")
        else (204, b"", {})
    )
    try:
        monkeypatch.setenv("BAO_ADDR", server.addr)
        monkeypatch.setenv("BAO_TOKEN", "s.fake-server-token")
        forget_process_state()
        team = get_store("team")
        for call in (lambda: team.delete("a", allow_missing=True), lambda: team.exists("a"), lambda: team.get("a")):
            with pytest.raises(StoreUnavailableError, match="does not answer as an OpenBao or Vault server"):
                call()
    finally:
        server.shutdown()
        server.server_close()

