"""The JupyterHub policy of README.md, on a real OpenBao: what a user's token may do, and what it is told.

The README hands operators a policy to give each hub user (`{username}`
replaced by the user's name) and says what follows from it: a user reads and
writes their own path, reads and lists the team's shared path, is refused
everyone else's, and a token that expired or was revoked is reported as such.
These tests take the policy from the README itself (so the two cannot drift
apart), give it to a fresh user on the session's dev server as the hub's
pre_spawn_hook would (a policy per user, an orphan token with a TTL), and set
the environment that hook sets (BAO_ADDR, BAO_TOKEN, NBSECRETS_TEAM_PREFIX).

Every test makes its own users (`alice-<hex>`), so tests never share a path
except `nbsecrets/shared`, where each writes only names of its own. Errors
are checked for what they must say (the path and the operation, or that the
token was refused) and for what they must never say (the token, a value).
"""

from __future__ import annotations

import json
import re
import time
import traceback
import urllib.error
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bao_server import BaoServer
from process_state import forget_process_state

from nbsecrets.core.errors import AccessDeniedError, StoreUnavailableError
from nbsecrets.core.registry import registry
from nbsecrets.core.store import get_store
from nbsecrets.core.store.base import shown_info

README = Path(__file__).parents[3] / "README.md"
TOKEN_VARIABLES = ("NBSECRETS_TEAM_TOKEN", "BAO_TOKEN", "VAULT_TOKEN")
REFUSED_TOKEN = "invalid or has expired"
EXPIRY_SECONDS = 15.0
"""How long the server may take to drop a token whose TTL ran out (it expires on the second, then revokes)."""


def hub_policy() -> str:
    """The ```hcl block between the README's hub-policy markers, as an operator would copy it."""
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"<!-- hub-policy: begin -->\s*```hcl\n(.*?)```\s*<!-- hub-policy: end -->", text, re.DOTALL)
    assert len(found) == 1, "README.md must hold exactly one ```hcl block between the hub-policy markers"
    assert "{username}" in found[0]
    return found[0]


def fake_value(tag: str) -> str:
    """An obviously fake secret value, unique to the test (so the registry cannot know it beforehand)."""
    return f"sk-test-{tag}-{uuid.uuid4().hex}"


def bogus_token() -> str:
    """A token the server never issued."""
    return f"s.not-issued-{uuid.uuid4().hex}"


@dataclass
class User:
    name: str
    token: str

    @property
    def prefix(self) -> str:
        return f"nbsecrets/users/{self.name}"


class Hub:
    """What the hub's pre_spawn_hook does (a policy and a token per user), and the operator's root access."""

    def __init__(self, bao: BaoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self.bao = bao
        self.monkeypatch = monkeypatch
        self.no_token_file = tmp_path / "no-such-token-file"

    def user(self, name: str | None = None, **token_options: Any) -> User:
        """A user with the README's policy and an orphan token (TTL 1h unless `token_options` say otherwise)."""
        name = name or f"alice-{uuid.uuid4().hex[:10]}"
        policy = f"nbsecrets-{name}"
        self.bao.api("PUT", f"sys/policies/acl/{policy}", {"policy": hub_policy().replace("{username}", name)})
        answer = self.bao.api("POST", "auth/token/create-orphan", {"policies": [policy], "ttl": "1h", **token_options})
        return User(name, answer["auth"]["client_token"])

    def spawn(self, prefix: str, **tokens: str) -> None:
        """The environment a user's server starts with: the address, the prefix, and exactly `tokens`.

        No other token variable is set, and the token file points nowhere, so
        nothing but what the test gives can answer for the user.
        """
        self.monkeypatch.setenv("BAO_ADDR", self.bao.addr)
        self.monkeypatch.setenv("NBSECRETS_TEAM_PREFIX", prefix)
        for variable in (*TOKEN_VARIABLES, "NBSECRETS_TEAM_ADDR", "VAULT_ADDR", "NBSECRETS_TEAM_MOUNT"):
            self.monkeypatch.delenv(variable, raising=False)
        self.monkeypatch.setenv("NBSECRETS_TEAM_TOKEN_FILE", str(self.no_token_file))
        for variable, value in tokens.items():
            self.monkeypatch.setenv(variable, value)
        forget_process_state()

    def spawn_user(self, user: User) -> None:
        self.spawn(user.prefix, BAO_TOKEN=user.token)

    def root_write(self, path: str, data: dict[str, str]) -> None:
        """A secret written as an operator would with `bao kv put` (no nbsecrets metadata, nothing registered)."""
        self.bao.api("POST", f"secret/data/{path}", {"data": data})

    def root_read(self, path: str) -> dict[str, Any] | None:
        """The current data and metadata of a secret as root sees them; None when there is no such secret."""
        try:
            return self.bao.api("GET", f"secret/data/{path}")["data"]
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                body = json.loads(exc.read() or b"{}")
                return body.get("data")  # a deleted version answers 404 with its metadata
            raise

    def root_metadata(self, path: str) -> dict[str, Any] | None:
        try:
            return self.bao.api("GET", f"secret/metadata/{path}")["data"]
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def token_works(self, token: str) -> bool:
        try:
            self.bao.api("POST", "auth/token/lookup", {"token": token})
        except urllib.error.HTTPError:
            return False
        return True


@pytest.fixture
def hub(bao: BaoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Hub:
    if not bao.answers():  # a test elsewhere that stopped the server starts it again for the next
        bao.start()
    return Hub(bao, monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def expired_token(bao: BaoServer) -> str:
    """A token of a README-policy user whose TTL ran out, made once for the module (expiry takes a second).

    Expiry is waited for by asking the server (as root) until it no longer
    knows the token, with a deadline: never by sleeping for the TTL and hoping.
    """
    if not bao.answers():
        bao.start()
    name = f"alice-{uuid.uuid4().hex[:10]}"
    policy = f"nbsecrets-{name}"
    bao.api("PUT", f"sys/policies/acl/{policy}", {"policy": hub_policy().replace("{username}", name)})
    token = bao.api("POST", "auth/token/create-orphan", {"policies": [policy], "ttl": "1s"})["auth"]["client_token"]
    deadline = time.monotonic() + EXPIRY_SECONDS
    while True:
        try:
            bao.api("POST", "auth/token/lookup", {"token": token})
        except urllib.error.HTTPError:
            return token
        assert time.monotonic() < deadline, f"the server still knows a 1 s token after {EXPIRY_SECONDS} s"
        time.sleep(0.05)  # polling the server's own answer about the token


def tells_nothing(error: BaseException, *withheld: str) -> None:
    """None of `withheld` (a token, a value) is in the error, however it is shown: str, repr, args, traceback."""
    shown = [str(error), repr(error), repr(error.args), "".join(traceback.format_exception(error))]
    for value in withheld:
        for text in shown:
            assert value not in text


def new_secret() -> dict[str, str]:
    return {"API_KEY": fake_value("new")}


OPERATIONS: dict[str, Callable[[Any, str], Any]] = {
    "list": lambda store, name: store.list(),
    "get": lambda store, name: store.get(name),
    "read": lambda store, name: store.read(name),
    "info": lambda store, name: store.info(name),
    "exists": lambda store, name: store.exists(name),
    "show": lambda store, name: shown_info(store, name),
    "create": lambda store, name: store.create(name, new_secret(), overwrite=True),
    "update": lambda store, name: store.update(name, new_secret()),
    "delete": lambda store, name: store.delete(name),
    "delete keeping versions": lambda store, name: store.delete(name, keep_versions=True),
}
"""Every operation of the store interface, on a secret that exists (where the token may see it)."""


# -- the user's own path -------------------------------------------------------------------------


def test_readme_policy_lets_a_user_create_read_update_list_and_show_their_own_secrets(hub: Hub) -> None:
    """The README promises that a user's token reads and writes their own path: every operation but delete
    works there, with nbsecrets' own metadata (settings) kept, and `show` says what the token may do."""
    alice = hub.user()
    hub.spawn_user(alice)
    store = get_store("team")
    password, host = fake_value("db"), "db.example.org"

    created = store.create("db", {"DB_HOST": host, "DB_PASSWORD": password}, settings=["DB_HOST"])
    assert (created.keys, created.settings) == (("DB_HOST", "DB_PASSWORD"), ("DB_HOST",))
    assert store.get("db") == {"DB_HOST": host, "DB_PASSWORD": password}
    assert store.read("db").settings == ("DB_HOST",)
    assert store.exists("db")

    rotated = fake_value("rotated")
    store.update("db", {"DB_PASSWORD": rotated, "DB_PORT": "5432"}, settings=["DB_PORT"])
    assert store.get("db") == {"DB_HOST": host, "DB_PASSWORD": rotated, "DB_PORT": "5432"}
    info = store.info("db")
    assert info.settings == ("DB_HOST", "DB_PORT") and ("version", "2") in info.details
    assert [listed.name for listed in store.list()] == ["db"]

    shown = dict(shown_info(store, "db").details)
    assert set(shown["you may"].split(", ")) == {"create", "delete", "list", "patch", "read", "update"}
    # It really is the user's path on the server, as root sees it.
    assert hub.root_read(f"{alice.prefix}/db")["data"]["DB_PASSWORD"] == rotated


def test_readme_policy_lets_a_user_soft_delete_undelete_and_delete_their_own_secrets(hub: Hub) -> None:
    """`delete --keep-versions` is a soft delete the README says the user may undo (`undelete` is in the
    policy); a plain delete removes every version, which the policy also allows on the user's own path."""
    alice = hub.user()
    hub.spawn_user(alice)
    store = get_store("team")
    value = fake_value("soft")
    store.create("api", {"API_KEY": value})

    assert store.delete("api", keep_versions=True) is True
    assert not store.exists("api") and store.list() == []
    assert hub.root_metadata(f"{alice.prefix}/api")["versions"]["1"]["deletion_time"]

    # The user's own token may undelete, as `bao kv undelete` does.
    hub.bao.api("POST", f"secret/undelete/{alice.prefix}/api", {"versions": [1]}, token=alice.token)
    assert store.get("api") == {"API_KEY": value}

    assert store.delete("api") is True
    assert hub.root_metadata(f"{alice.prefix}/api") is None
    assert store.delete("api", allow_missing=True) is False


# -- other users' paths --------------------------------------------------------------------------


def test_a_user_lists_only_their_own_secrets(hub: Hub) -> None:
    """Another user's secrets never show up in a user's list, even a user whose name starts with this
    user's name (the policy's paths end in `/{username}/*`, not `{username}*`)."""
    alice = hub.user()
    namesake = f"{alice.name}-2"
    hub.root_write(f"nbsecrets/users/{namesake}/theirs", {"API_KEY": fake_value("theirs")})
    hub.spawn_user(alice)
    store = get_store("team")
    store.create("mine", {"API_KEY": fake_value("mine")})

    assert [info.name for info in store.list()] == ["mine"]


@pytest.mark.parametrize("prefix", ["nbsecrets/users", "nbsecrets"])
def test_a_user_may_not_enumerate_the_users_or_the_whole_tree(hub: Hub, prefix: str) -> None:
    """Listing above one's own path (which would show every user's name) is refused as a policy decision,
    named as such, not reported as an empty store or as a broken server."""
    alice = hub.user()
    hub.spawn(prefix, BAO_TOKEN=alice.token)

    with pytest.raises(AccessDeniedError) as refused:
        get_store("team").list()
    message = str(refused.value)
    assert f"may not list secret/metadata/{prefix}/" in message
    tells_nothing(refused.value, alice.token)


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_another_users_path_is_refused_naming_the_path_and_operation(
    hub: Hub, config_file: Path, operation: str
) -> None:
    """A store configured on another user's prefix (a config.toml table, as someone might copy from a
    colleague) is refused by the server for every operation. The error is AccessDeniedError (the token is
    fine, the policy is not), names the path and what was refused, and carries no token and no value.

    The other user's name extends this user's, so a policy glob missing its `/` would let it through."""
    alice = hub.user()
    other = f"{alice.name}-2"
    theirs = fake_value("theirs")
    hub.root_write(f"nbsecrets/users/{other}/api", {"API_KEY": theirs})
    config_file.write_text(f'[stores.other]\nprefix = "nbsecrets/users/{other}"\n', encoding="utf-8")
    hub.spawn_user(alice)

    with pytest.raises(AccessDeniedError) as refused:
        OPERATIONS[operation](get_store("other"), "api")
    message = str(refused.value)
    assert re.search(
        rf"may not (list|read|read the metadata of|write|delete) secret/(data|metadata)/nbsecrets/users/{other}/",
        message,
    ), message
    assert "'other'" in message  # the store, as the user named it
    tells_nothing(refused.value, alice.token, theirs)
    # Nothing of theirs was changed by the attempt.
    assert hub.root_read(f"nbsecrets/users/{other}/api")["data"] == {"API_KEY": theirs}


def test_changing_the_prefix_to_another_users_is_refused_too(hub: Hub) -> None:
    """The same refusal when the team store itself is pointed elsewhere (NBSECRETS_TEAM_PREFIX changed by
    hand): what decides is the server's policy, not which of nbsecrets' settings named the path."""
    alice, bob = hub.user(), hub.user(f"bob-{uuid.uuid4().hex[:10]}")
    hub.root_write(f"{bob.prefix}/api", {"API_KEY": fake_value("bob")})
    hub.spawn(bob.prefix, BAO_TOKEN=alice.token)
    store = get_store("team")

    for name, call in (("list", store.list), ("get", lambda: store.get("api"))):
        with pytest.raises(AccessDeniedError) as refused:
            call()
        assert bob.prefix in str(refused.value), name
        tells_nothing(refused.value, alice.token)
    with pytest.raises(AccessDeniedError):
        store.create("planted", new_secret())
    assert hub.root_metadata(f"{bob.prefix}/planted") is None


# -- the shared path -----------------------------------------------------------------------------


def shared_store(hub: Hub, config_file: Path, user: User):
    config_file.write_text('[stores.shared]\nprefix = "nbsecrets/shared"\n', encoding="utf-8")
    hub.spawn_user(user)
    return get_store("shared")


def test_the_shared_path_is_listed_and_read_and_its_values_are_masked(hub: Hub, config_file: Path) -> None:
    """The team's shared secrets (written by an operator with `bao kv put`, so without nbsecrets' metadata)
    are listed and read with the README policy, every key counts as a secret, and the values read are
    registered for masking: a shared secret printed in a notebook is masked like one's own."""
    alice = hub.user()
    names = [f"shared-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    values = {name: fake_value(name) for name in names}
    for name in names:
        hub.root_write(f"nbsecrets/shared/{name}", {"TEAM_KEY": values[name], "TEAM_URL": "https://api.example.org"})
    store = shared_store(hub, config_file, alice)

    listed = {info.name: info for info in store.list()}
    assert set(names) <= set(listed)  # other tests may have shared names of their own
    assert listed[names[0]].keys == ("TEAM_KEY", "TEAM_URL")
    assert values[names[0]] not in registry
    assert store.get(names[0]) == {"TEAM_KEY": values[names[0]], "TEAM_URL": "https://api.example.org"}
    assert values[names[0]] in registry and "https://api.example.org" in registry
    assert store.read(names[1]).env["TEAM_KEY"] == values[names[1]]
    assert values[names[1]] in registry
    assert dict(shown_info(store, names[0]).details)["you may"] == "read"


@pytest.mark.parametrize("operation", ["create", "create over", "update", "delete", "delete keeping versions"])
def test_the_shared_path_refuses_changes(hub: Hub, config_file: Path, operation: str) -> None:
    """Read and list only, as the README says: creating, overwriting, updating and deleting a shared secret
    are refused with AccessDeniedError naming the shared path, and the shared secret stays as it was."""
    alice = hub.user()
    name = f"shared-{uuid.uuid4().hex[:8]}"
    value = fake_value("shared")
    hub.root_write(f"nbsecrets/shared/{name}", {"TEAM_KEY": value})
    store = shared_store(hub, config_file, alice)
    target = f"{name}-new" if operation == "create" else name
    change = {
        "create": lambda: store.create(target, new_secret()),
        "create over": lambda: store.create(target, new_secret(), overwrite=True),
        "update": lambda: store.update(target, new_secret()),
        "delete": lambda: store.delete(target),
        "delete keeping versions": lambda: store.delete(target, keep_versions=True),
    }[operation]

    with pytest.raises(AccessDeniedError) as refused:
        change()
    message = str(refused.value)
    assert re.search(rf"may not (write|delete) secret/(data|metadata)/nbsecrets/shared/{target}\b", message), message
    tells_nothing(refused.value, alice.token, value)
    current = hub.root_read(f"nbsecrets/shared/{name}")
    assert current["data"] == {"TEAM_KEY": value} and current["metadata"]["version"] == 1
    assert hub.root_metadata(f"nbsecrets/shared/{name}-new") is None


# -- tokens the server refuses -------------------------------------------------------------------


@pytest.fixture(params=["expired", "revoked", "never issued"])
def refused_token(request: pytest.FixtureRequest, hub: Hub) -> str:
    """A token the server no longer (or never) accepts, in each of the ways a user meets one."""
    if request.param == "expired":
        return request.getfixturevalue("expired_token")
    if request.param == "revoked":
        user = hub.user()
        hub.bao.api("POST", "auth/token/revoke", {"token": user.token})
        assert not hub.token_works(user.token)
        return user.token
    return bogus_token()


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_refused_token_says_invalid_or_expired_for_every_operation(
    hub: Hub, refused_token: str, operation: str
) -> None:
    """The server answers a dead token with the same 403 as a missing permission; nbsecrets asks which,
    and says the token is invalid or expired (StoreUnavailableError: nothing in this store can work now,
    get a new token), never "permission denied" for a path the user's policy does allow."""
    user = f"alice-{uuid.uuid4().hex[:10]}"
    hub.spawn(f"nbsecrets/users/{user}", BAO_TOKEN=refused_token)

    with pytest.raises(StoreUnavailableError) as refused:
        OPERATIONS[operation](get_store("team"), "api")
    assert not isinstance(refused.value, AccessDeniedError)
    message = str(refused.value)
    assert REFUSED_TOKEN in message and "BAO_TOKEN" in message, message
    tells_nothing(refused.value, refused_token)


def test_a_new_token_works_without_reopening_the_store(hub: Hub, expired_token: str) -> None:
    """The README's remedy for an expired token is a new one from the hub: the token is read anew for every
    request, so the store object a notebook already holds works as soon as the new token is in place."""
    alice = hub.user()
    hub.spawn(alice.prefix, BAO_TOKEN=expired_token)
    store = get_store("team")
    with pytest.raises(StoreUnavailableError, match=REFUSED_TOKEN):
        store.list()

    hub.monkeypatch.setenv("BAO_TOKEN", alice.token)
    assert store.list() == []
    store.create("api", new_secret())
    assert [info.name for info in store.list()] == ["api"]


# -- where the token comes from ------------------------------------------------------------------


def test_no_token_anywhere_says_how_to_give_one(hub: Hub) -> None:
    """With no token variable and no token file the store cannot work at all; the message names the
    variables to set and the file `bao login` would write, rather than a bare 403 from the server."""
    hub.spawn(f"nbsecrets/users/alice-{uuid.uuid4().hex[:10]}")

    with pytest.raises(StoreUnavailableError) as refused:
        get_store("team").list()
    message = str(refused.value)
    assert "BAO_TOKEN" in message and "NBSECRETS_TEAM_TOKEN" in message
    assert hub.no_token_file.name in message


def test_a_token_file_is_used_and_its_token_registered_for_masking(hub: Hub, tmp_path: Path) -> None:
    """`bao login` (or a JWT login in the hub) leaves the token in a file; NBSECRETS_TEAM_TOKEN_FILE names
    it. nbsecrets uses it, and registers it for masking as it would a token from a variable."""
    alice = hub.user()
    token_file = tmp_path / "vault-token"
    token_file.write_text(alice.token + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    hub.spawn(alice.prefix)
    hub.monkeypatch.setenv("NBSECRETS_TEAM_TOKEN_FILE", str(token_file))
    assert alice.token not in registry

    store = get_store("team")
    store.create("api", new_secret())
    assert [info.name for info in store.list()] == ["api"]
    assert alice.token in registry


def test_a_token_variable_beats_the_token_file(hub: Hub, tmp_path: Path) -> None:
    """A variable wins over the file, even when the variable's token is the bad one: the refusal names the
    variable, so the user knows which token to replace."""
    alice = hub.user()
    stale = bogus_token()
    token_file = tmp_path / "vault-token"
    token_file.write_text(alice.token, encoding="utf-8")
    token_file.chmod(0o600)
    hub.spawn(alice.prefix, BAO_TOKEN=stale)
    hub.monkeypatch.setenv("NBSECRETS_TEAM_TOKEN_FILE", str(token_file))

    with pytest.raises(StoreUnavailableError) as refused:
        get_store("team").list()
    message = str(refused.value)
    assert REFUSED_TOKEN in message and "BAO_TOKEN" in message and str(token_file) not in message
    tells_nothing(refused.value, stale, alice.token)


@pytest.mark.parametrize(
    "tokens, works, named",
    [
        ({"NBSECRETS_TEAM_TOKEN": "good", "BAO_TOKEN": "bad", "VAULT_TOKEN": "bad"}, True, None),
        ({"NBSECRETS_TEAM_TOKEN": "bad", "BAO_TOKEN": "good", "VAULT_TOKEN": "good"}, False, "NBSECRETS_TEAM_TOKEN"),
        ({"BAO_TOKEN": "good", "VAULT_TOKEN": "bad"}, True, None),
        ({"BAO_TOKEN": "bad", "VAULT_TOKEN": "good"}, False, "BAO_TOKEN"),
        ({"VAULT_TOKEN": "good"}, True, None),
        ({"NBSECRETS_TEAM_TOKEN": "   ", "BAO_TOKEN": "good"}, True, None),
    ],
    ids=[
        "nbsecrets-first", "nbsecrets-over-bao", "bao-over-vault", "bao-bad-over-vault", "vault-alone", "blank-skipped",
    ],
)
def test_token_variables_are_taken_in_order(
    hub: Hub, tokens: dict[str, str], works: bool, named: str | None
) -> None:
    """NBSECRETS_TEAM_TOKEN, then BAO_TOKEN, then VAULT_TOKEN (a blank one counts as unset): the first set
    is the only one tried, shown by making exactly one of them good."""
    alice = hub.user()
    values = {variable: (alice.token if kind == "good" else bogus_token() if kind == "bad" else kind)
              for variable, kind in tokens.items()}
    hub.spawn(alice.prefix, **values)
    store = get_store("team")

    if works:
        assert store.list() == []
        return
    with pytest.raises(StoreUnavailableError) as refused:
        store.list()
    message = str(refused.value)
    assert REFUSED_TOKEN in message and f"token from {named}" in message, message
    tells_nothing(refused.value, *values.values())


def test_the_token_is_registered_for_masking_once_used(hub: Hub) -> None:
    """A token printed by accident opens as much as the secrets it reads: once the store has used it,
    the token is in the masking registry like any secret value."""
    alice = hub.user()
    hub.spawn_user(alice)
    assert alice.token not in registry

    get_store("team").list()
    assert alice.token in registry


# -- nbsecrets stores ----------------------------------------------------------------------------


def team_row(out: str) -> str:
    rows = [line for line in out.splitlines() if line.split()[:1] == ["team"]]
    assert len(rows) == 1, out
    return rows[0]


def test_stores_shows_the_team_store_and_a_valid_token_without_the_token(hub: Hub, nbs) -> None:
    """`nbsecrets stores` is where a user checks the hub's setup: the team store answers, at the user's
    path, with a valid token (and from which variable), and the token itself is never printed."""
    alice = hub.user()
    hub.spawn_user(alice)

    result = nbs("stores")
    assert result.code == 0, result.err
    row = team_row(result.out)
    assert " yes " in row and "token from BAO_TOKEN valid" in row and alice.prefix in row
    assert alice.token not in result.out + result.err


def test_stores_says_when_there_is_no_token(hub: Hub, nbs) -> None:
    """Without any token the server still answers, and the row says there is no token (not an error
    from the server), which is what a user whose hub set no BAO_TOKEN needs to see."""
    hub.spawn(f"nbsecrets/users/alice-{uuid.uuid4().hex[:10]}")

    result = nbs("stores")
    assert result.code == 0, result.err
    row = team_row(result.out)
    assert " yes " in row and "no token" in row


def test_stores_says_an_expired_token_is_refused(hub: Hub, nbs, expired_token: str) -> None:
    """With an expired token the server still answers (health needs no token), and the row says the token
    was refused, so the user knows to get a new one rather than to call the operators."""
    hub.spawn(f"nbsecrets/users/alice-{uuid.uuid4().hex[:10]}", BAO_TOKEN=expired_token)

    result = nbs("stores")
    assert result.code == 0, result.err
    row = team_row(result.out)
    assert " yes " in row and "refused" in row and "valid" not in row.replace("invalid", "")
    assert expired_token not in result.out + result.err
