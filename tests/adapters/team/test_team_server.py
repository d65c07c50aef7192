"""The team store against a real OpenBao server, seen from both sides.

The contract tests (test_team_contract.py) check that the team store behaves
like the local vault. These check what only a server can show: that what
nbsecrets writes is an ordinary KV v2 secret other clients read (and the
reverse), that other tools' changes to data and metadata are respected,
that check-and-set keeps concurrent writers from losing each other's
changes, that soft delete and undelete mean what OpenBao says they mean,
and that a missing mount, a KV version 1 mount, an unreachable or stopped
server each fail in one clear line while local secrets keep working.

Every value is an obviously fake `sk-test-...`, unique per test (each test
also has its own prefix), so a value found in the masking registry was put
there by that test.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bao_server import BaoServer, free_port
from process_state import forget_process_state
from team_races import hold_description, in_thread

import nbsecrets
from nbsecrets.core.errors import (
    AlreadyExistsError,
    ConfigError,
    InvalidSecretError,
    SecretNotFoundError,
    StoreUnavailableError,
)
from nbsecrets.core.registry import registry
from nbsecrets.core.store import get_store

MOUNT = "secret"
"""The dev server's KV version 2 mount, the team store's default."""


# -- helpers ------------------------------------------------------------------------------------


def fake(label: str) -> str:
    """A value no other test (and no earlier run) uses, so registry membership means something."""
    return f"sk-test-{label}-{uuid.uuid4().hex[:12]}"


def kv_get(bao: BaoServer, path: str, *options: str) -> dict[str, Any]:
    """`bao kv get -format=json`: the secret's data and its version's metadata, as another client sees them."""
    result = bao.bao("kv", "get", "-format=json", f"-mount={MOUNT}", *options, path)
    return json.loads(result.stdout)["data"]


def kv_metadata(bao: BaoServer, path: str) -> dict[str, Any]:
    """`bao kv metadata get -format=json`: versions, custom_metadata, max_versions, delete_version_after."""
    result = bao.bao("kv", "metadata", "get", "-format=json", f"-mount={MOUNT}", path)
    return json.loads(result.stdout)["data"]


def kv_put(bao: BaoServer, path: str, **data: str) -> None:
    """`bao kv put`: a write by another tool, which knows nothing of nbsecrets' metadata."""
    bao.bao("kv", "put", f"-mount={MOUNT}", path, *(f"{key}={value}" for key, value in data.items()))


def api_status(bao: BaoServer, method: str, path: str) -> int:
    """The HTTP status of a raw API call with the root token (200/204 when it answered with content or none)."""
    try:
        bao.api(method, path)
    except urllib.error.HTTPError as error:
        return error.code
    return 200


def version_of(info: nbsecrets.SecretInfo) -> int:
    return int(dict(info.details)["version"])


def fresh_team():
    """The team store as another process would open it: no store object or mount check carried over."""
    forget_process_state()
    return get_store("team")


@pytest.fixture
def unloaded() -> Iterator[None]:
    """Whatever a test loads into os.environ is unloaded afterwards, also when it fails."""
    yield
    nbsecrets.unload()


# -- 1. interop with the bao command line ------------------------------------------------------


def test_a_secret_nbsecrets_wrote_is_plain_kv_data_for_bao(team, team_prefix, bao):
    """`bao kv get` must show exactly the KEY=value pairs nbsecrets was given (no wrapper, no
    extra keys), so any Vault client can use it; the key order and the settings flag, which KV
    data cannot hold, live in custom_metadata as nbsecrets.* entries describing this version."""
    password, host = fake("pgpassword"), "db-interop.internal"
    team.create("db-creds", {"PGPASSWORD": password, "PGHOST": host}, settings=["PGHOST"])

    seen = kv_get(bao, f"{team_prefix}/db-creds")
    assert seen["data"] == {"PGPASSWORD": password, "PGHOST": host}
    custom = seen["metadata"]["custom_metadata"]
    version = seen["metadata"]["version"]
    assert custom == {
        f"nbsecrets.v{version}.created": seen["metadata"]["created_time"],
        f"nbsecrets.v{version}.keys.0": "PGPASSWORD,PGHOST",
        f"nbsecrets.v{version}.settings.0": "PGHOST",
    }


def test_a_secret_bao_wrote_is_listed_read_masked_and_loaded(team, team_prefix, bao, unloaded):
    """A secret written with `bao kv put` (no nbsecrets metadata at all) is a secret like any
    other: listed with its keys, read, and loaded by `team:NAME`. Nobody said any key is a
    setting, so every value is registered for masking, and only once nbsecrets has read it."""
    first, second = fake("a"), fake("b")
    kv_put(bao, f"{team_prefix}/from-bao", A=first, B=second)
    assert first not in registry and second not in registry

    [info] = team.list()
    assert (info.name, set(info.keys), info.settings) == ("from-bao", {"A", "B"}, ())
    assert team.exists("from-bao")
    assert team.get("from-bao") == {"A": first, "B": second}
    assert first in registry and second in registry

    other = fake("other-process")
    kv_put(bao, f"{team_prefix}/from-bao-too", TOKEN=other)
    forget_process_state()  # loading opens the store anew, as a fresh kernel would
    report = nbsecrets.load(
        nbsecrets.Secret.from_name("team:from-bao"), nbsecrets.Secret.from_name("from-bao-too", store="team")
    )
    assert (os.environ["A"], os.environ["B"], os.environ["TOKEN"]) == (first, second, other)
    assert report.settings == []
    assert other in registry
    nbsecrets.unload()
    assert not {"A", "B", "TOKEN"} & set(os.environ)


# -- 2. a foreign update after nbsecrets wrote --------------------------------------------------


def test_a_foreign_update_is_read_from_its_data_with_every_key_masked(team, team_prefix, bao):
    """After `bao kv put` over a secret nbsecrets wrote, the metadata describes an older version.
    Its "setting" flag is then not trusted (another tool may have put a password under that key):
    info and list show the data's keys and no settings, and the former setting's value is masked.
    The next nbsecrets write describes its own version again."""
    token, host = fake("token"), f"db-{uuid.uuid4().hex[:8]}.internal"
    team.create("svc", {"TOKEN": token, "HOST": host}, settings=["HOST"])
    assert team.read("svc").settings == ("HOST",)
    assert host not in registry  # a setting is not masked

    rotated, extra = fake("rotated"), fake("extra")
    kv_put(bao, f"{team_prefix}/svc", TOKEN=rotated, HOST=host, EXTRA=extra)
    described = kv_metadata(bao, f"{team_prefix}/svc")
    assert described["current_version"] == 2 and "nbsecrets.v1.keys.0" in described["custom_metadata"]  # now stale

    info = team.info("svc")
    assert (set(info.keys), info.settings, version_of(info)) == ({"TOKEN", "HOST", "EXTRA"}, (), 2)
    [listed] = team.list()
    assert (set(listed.keys), listed.settings) == ({"TOKEN", "HOST", "EXTRA"}, ())
    stored = team.read("svc")
    assert stored.env == {"TOKEN": rotated, "HOST": host, "EXTRA": extra}
    assert stored.settings == ()
    assert host in registry and rotated in registry and extra in registry

    team.update("svc", {"HOST": host}, settings=["HOST"])
    custom = kv_metadata(bao, f"{team_prefix}/svc")["custom_metadata"]
    assert not any(name.startswith(("nbsecrets.v1.", "nbsecrets.v2.")) for name in custom)  # older ones removed
    assert custom["nbsecrets.v3.settings.0"] == "HOST"
    assert set(custom["nbsecrets.v3.keys.0"].split(",")) == {"TOKEN", "HOST", "EXTRA"}
    again = fresh_team().read("svc")
    assert (again.env, again.settings) == ({"TOKEN": rotated, "HOST": host, "EXTRA": extra}, ("HOST",))


# -- 3. other tools' metadata ------------------------------------------------------------------


def test_other_tools_metadata_survives_an_nbsecrets_write(team, team_prefix, bao):
    """nbsecrets owns only its nbsecrets.* entries: an `owner` entry another tool set, and the
    operator's max_versions and delete_version_after, are still there after nbsecrets writes.
    (hvac's update_metadata sends delete_version_after="0s" unless told otherwise, so a careless
    metadata write would quietly reset the retention policy.)"""
    path = f"{team_prefix}/owned"
    team.create("owned", {"API_KEY": fake("api")})
    bao.bao(
        "kv", "metadata", "put", f"-mount={MOUNT}", "-custom-metadata=owner=data-team",
        "-max-versions=5", "-delete-version-after=1h", path,
    )

    team.update("owned", {"API_KEY": fake("api-2")})

    after = kv_metadata(bao, path)
    assert after["custom_metadata"]["owner"] == "data-team"
    assert after["current_version"] == 2 and after["custom_metadata"]["nbsecrets.v2.keys.0"] == "API_KEY"
    assert after["max_versions"] == 5
    assert after["delete_version_after"] == "1h0m0s"

    team.create("owned", {"OTHER": fake("other")}, overwrite=True)
    again = kv_metadata(bao, path)
    assert (again["custom_metadata"]["owner"], again["max_versions"], again["delete_version_after"]) == (
        "data-team", 5, "1h0m0s",
    )


def test_a_secret_with_delete_version_after_is_still_there(team, team_prefix, bao):
    """delete_version_after is a retention policy (versions expire after 1 h), so every version
    carries a *future* deletion_time. Until then the secret exists: exists/info/list must show it,
    and create without overwrite must refuse to replace it rather than silently overwrite."""
    path = f"{team_prefix}/expiring"
    first = fake("expiring")
    team.create("expiring", {"API_KEY": first})
    bao.bao("kv", "metadata", "put", f"-mount={MOUNT}", "-delete-version-after=1h", path)
    team.update("expiring", {"API_KEY": first})  # version 2, which will expire in an hour
    assert kv_get(bao, path)["data"] == {"API_KEY": first}  # bao reads it: it is not deleted

    try:
        team.create("expiring", {"OTHER": fake("other")})
    except AlreadyExistsError:
        pass
    assert kv_get(bao, path)["data"] == {"API_KEY": first}, "create without overwrite replaced the secret"
    assert team.exists("expiring")
    assert [info.name for info in team.list()] == ["expiring"]
    assert version_of(team.info("expiring")) == 2


# -- 4. check-and-set --------------------------------------------------------------------------


def test_create_of_an_existing_secret_changes_nothing_and_overwrite_replaces_it(team, team_prefix, bao):
    """create writes with cas=0: on an existing secret it is AlreadyExistsError and no new version;
    with overwrite=True it replaces the whole secret (old keys gone) in exactly one new version."""
    path = f"{team_prefix}/cas"
    original = {"API_KEY": fake("original"), "REGION": "eu-west-1"}
    team.create("cas", original, settings=["REGION"])

    with pytest.raises(AlreadyExistsError):
        team.create("cas", {"API_KEY": fake("intruder")})
    assert kv_metadata(bao, path)["current_version"] == 1
    assert kv_get(bao, path)["data"] == original
    assert team.read("cas").settings == ("REGION",)

    replacement = {"NEW_KEY": fake("replacement")}
    info = team.create("cas", replacement, overwrite=True)
    assert version_of(info) == 2 and info.keys == ("NEW_KEY",) and info.settings == ()
    assert kv_get(bao, path)["data"] == replacement
    assert fresh_team().get("cas") == replacement


WORKER = """
import sys, warnings
warnings.simplefilter("ignore")
from nbsecrets.adapters.team import connection
from nbsecrets.core.store import get_store

# Count the check-and-set refusals (every request goes through Server.call), to show the race happened.
conflicts = 0
real_call = connection.Server.call

def counting_call(self, *args, **kwargs):
    global conflicts
    try:
        return real_call(self, *args, **kwargs)
    except connection.CheckAndSetMismatch:
        conflicts += 1
        raise

connection.Server.call = counting_call

worker, count, name, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
store = get_store("team")
store.info(name)  # connect and check the mount before the start signal: all start writing together
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":
    raise SystemExit("no start signal")
for i in range(count):
    store.update(name, {f"KEY_{worker}_{i}": f"sk-test-{tag}-{worker}-{i}"})
print(f"done {conflicts}", flush=True)
"""


def test_two_processes_updating_one_secret_lose_nothing(team, team_prefix, bao, tmp_path):
    """Two processes merge 20 keys each into one secret at the same time. Every update is a
    read, merge and write with cas=<version read>; a writer that lost the race reads again. So
    all 40 keys arrive, the seed's key and setting are kept, and the KV history holds one
    version per change (1 + 40): no change was lost, none written twice. The workers report how
    often the server refused their check-and-set, so a run where they never collided (and so
    proved nothing) does not pass quietly."""
    workers, count, tag = 2, 20, uuid.uuid4().hex[:8]
    seed = {"SEED": fake("seed"), "HOST": "shared.internal"}
    team.create("shared", seed, settings=["HOST"])
    script = tmp_path / "team_worker.py"
    script.write_text(WORKER)

    processes = [
        subprocess.Popen(
            [sys.executable, str(script), str(w), str(count), "shared", tag],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for w in range(workers)
    ]
    conflicts = 0
    try:
        for process in processes:  # every worker is connected...
            assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for process in processes:  # ...before either writes
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            word, number = out.split()
            assert word == "done"
            conflicts += int(number)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    expected = dict(seed)
    expected.update({f"KEY_{w}_{i}": f"sk-test-{tag}-{w}-{i}" for w in range(workers) for i in range(count)})
    assert kv_get(bao, f"{team_prefix}/shared")["data"] == expected
    final = fresh_team().read("shared")
    assert (final.env, final.settings) == (expected, ("HOST",))
    assert kv_metadata(bao, f"{team_prefix}/shared")["current_version"] == 1 + workers * count
    assert conflicts > 0, "the workers never collided: this run did not exercise check-and-set"


def _cross(writer_a: Any, writer_b: Any, held: threading.Event, release: threading.Event) -> None:
    """A updates API_KEY and is held before describing its version; meanwhile B updates OTHER."""
    thread, errors = in_thread(lambda: writer_a.update("flags", {"API_KEY": fake("api-a")}))
    try:
        assert held.wait(timeout=30), "writer A never reached its metadata write"
        writer_b.update("flags", {"OTHER": fake("other-b")})
    finally:
        release.set()
        thread.join(timeout=30)
    assert not errors, errors


def test_an_update_waits_for_the_description_of_a_version_being_written(team_prefix, bao, monkeypatch):
    """Each nbsecrets write is two requests: the data (with cas), then its description. An update
    that reads a version whose description has not arrived yet (a remote server's round trip, a
    descheduled process) waits for it, so a concurrent update of another key keeps every setting.

    Writer A's description is held until writer B has read A's version and found it undescribed
    (B's second read of the data), then let go: B must then take A's flags, not mask everything."""
    host = f"slow-{uuid.uuid4().hex[:6]}.internal"
    writer_a = fresh_team()
    writer_a.create("flags", {"API_KEY": fake("api"), "HOST": host}, settings=["HOST"])
    writer_b = fresh_team()
    assert writer_b is not writer_a and writer_b.server is not writer_a.server
    held, release = hold_description(writer_a, monkeypatch)
    real_call, reads = writer_b.server.call, []

    def counting_call(operation: str, *args: Any, **kwargs: Any) -> Any:
        if operation == "read":
            reads.append(operation)
            if len(reads) == 2:  # B has seen A's version without a description, and is waiting
                release.set()
        return real_call(operation, *args, **kwargs)

    monkeypatch.setattr(writer_b.server, "call", counting_call)
    _cross(writer_a, writer_b, held, release)

    final = fresh_team().read("flags")
    assert set(final.env) == {"API_KEY", "HOST", "OTHER"}
    assert final.settings == ("HOST",)
    assert kv_metadata(bao, f"{team_prefix}/flags")["current_version"] == 3


def test_a_description_that_comes_too_late_masks_more_and_erases_nothing(team_prefix, bao, monkeypatch):
    """A writer that never describes its version in time (killed between its two requests): the
    next update waits a bounded time, then takes every key of that version as a secret (masking
    more, never less). When the late description arrives it does not erase the newer version's."""
    from nbsecrets.adapters.team import store as team_store

    monkeypatch.setattr(team_store, "METADATA_WAIT", 0.3)
    host = f"late-{uuid.uuid4().hex[:6]}.internal"
    writer_a = fresh_team()
    writer_a.create("flags", {"API_KEY": fake("api"), "HOST": host}, settings=["HOST"])
    writer_b = fresh_team()
    held, release = hold_description(writer_a, monkeypatch)
    _cross(writer_a, writer_b, held, release)

    metadata = kv_metadata(bao, f"{team_prefix}/flags")
    assert metadata["current_version"] == 3
    assert "nbsecrets.v3.keys.0" in metadata["custom_metadata"]  # A's late patch left B's description
    final = fresh_team().read("flags")
    assert set(final.env) == {"API_KEY", "HOST", "OTHER"}
    assert final.settings == ()  # HOST is masked until someone marks it a setting again
    assert host in registry


# -- 5. soft delete and delete -----------------------------------------------------------------


def test_soft_delete_hides_the_secret_and_bao_undelete_brings_it_back(team, team_prefix, bao):
    """delete(keep_versions=True) marks only the current version deleted: to nbsecrets the secret
    is gone (exists, list, get), but its versions stay, `bao kv undelete` restores it, and a
    create after a soft delete writes the next version on top of the deleted one."""
    path = f"{team_prefix}/soft"
    old, current = fake("old"), fake("current")
    team.create("soft", {"API_KEY": old})
    team.update("soft", {"API_KEY": current})

    assert team.delete("soft", keep_versions=True) is True
    assert not team.exists("soft")
    assert team.list() == []
    with pytest.raises(SecretNotFoundError):
        team.get("soft")
    versions = kv_metadata(bao, path)["versions"]
    assert versions["2"]["deletion_time"] and not versions["1"]["deletion_time"]  # kept, only marked

    bao.bao("kv", "undelete", f"-mount={MOUNT}", "-versions=2", path)
    assert fresh_team().get("soft") == {"API_KEY": current}
    assert [info.name for info in team.list()] == ["soft"]

    team.delete("soft", keep_versions=True)
    anew = fake("anew")
    info = team.create("soft", {"FRESH": anew})  # cas=2, the deleted version
    assert version_of(info) == 3
    assert team.get("soft") == {"FRESH": anew}
    assert kv_get(bao, path, "-version=1")["data"] == {"API_KEY": old}  # history untouched


def test_delete_removes_the_metadata_and_every_version(team, team_prefix, bao):
    """A plain delete is KV's `metadata delete`: no version is left to undelete and
    `bao kv metadata get` finds nothing."""
    path = f"{team_prefix}/gone"
    team.create("gone", {"API_KEY": fake("gone-1")})
    team.update("gone", {"API_KEY": fake("gone-2")})

    assert team.delete("gone") is True
    assert not team.exists("gone")
    missing = bao.bao("kv", "metadata", "get", f"-mount={MOUNT}", path, check=False)
    assert missing.returncode != 0
    for version in ("1", "2"):
        assert bao.bao("kv", "get", f"-mount={MOUNT}", f"-version={version}", path, check=False).returncode != 0
    assert api_status(bao, "GET", f"{MOUNT}/metadata/{path}") == 404


# -- 6. not found ------------------------------------------------------------------------------


def test_a_missing_secret_suggests_a_near_name_and_allow_missing_deletes_nothing(team, team_prefix, bao):
    """A mistyped name is SecretNotFoundError naming the store and suggesting the close name, for
    reading, updating and deleting alike; delete(allow_missing=True) answers False and writes nothing."""
    team.create("db-creds", {"PGPASSWORD": fake("pg")})

    for attempt in (
        lambda: team.get("db-cred"),
        lambda: team.info("db-cred"),
        lambda: team.update("db-cred", {"PGPASSWORD": fake("pg-2")}),
        lambda: team.delete("db-cred"),
    ):
        with pytest.raises(SecretNotFoundError) as caught:
            attempt()
        assert caught.value.suggestions == ["db-creds"]
        assert "'team'" in str(caught.value) and "Did you mean: 'db-creds'?" in str(caught.value)

    assert team.delete("db-cred", allow_missing=True) is False
    assert api_status(bao, "GET", f"{MOUNT}/metadata/{team_prefix}/db-cred") == 404
    assert [info.name for info in team.list()] == ["db-creds"]


def test_a_soft_deleted_secret_is_not_suggested(team, team_prefix):
    """After a soft delete the secret is gone for nbsecrets (list omits it); "Did you mean" must
    not then offer it, since following the suggestion would fail the same way."""
    team.create("db-creds", {"PGPASSWORD": fake("pg")})
    team.delete("db-creds", keep_versions=True)
    assert team.list() == []

    with pytest.raises(SecretNotFoundError) as caught:
        team.get("db-cred")
    assert caught.value.suggestions == []


# -- 7. mount problems -------------------------------------------------------------------------


def every_operation(store: Any) -> list[tuple[str, Callable[[], object]]]:
    """One call of each kind a user makes, on a name that does not matter: they must all fail alike."""
    return [
        ("list", lambda: store.list()),
        ("exists", lambda: store.exists("app")),
        ("get", lambda: store.get("app")),
        ("create", lambda: store.create("app", {"API_KEY": fake("app")})),
        ("update", lambda: store.update("app", {"API_KEY": fake("app")})),
        ("delete", lambda: store.delete("app", allow_missing=True)),
    ]


def test_a_mount_that_does_not_exist_is_named(team_prefix, monkeypatch):
    """NBSECRETS_TEAM_MOUNT pointing nowhere fails every operation as StoreUnavailableError that
    names the mount (what the user mistyped), not as a missing secret or a permission problem."""
    mount = f"nowhere-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("NBSECRETS_TEAM_MOUNT", mount)
    store = fresh_team()
    for operation, attempt in every_operation(store):
        with pytest.raises(StoreUnavailableError) as caught:
            attempt()
        assert repr(mount) in str(caught.value), operation


@pytest.fixture
def kv1_mount(bao: BaoServer) -> Iterator[str]:
    """A KV version 1 mount of this test's own, disabled afterwards."""
    mount = f"kv1-{uuid.uuid4().hex[:8]}"
    bao.api("POST", f"sys/mounts/{mount}", {"type": "kv", "options": {"version": "1"}})
    yield mount
    bao.api("DELETE", f"sys/mounts/{mount}")


def test_a_kv_version_1_mount_is_refused_before_anything_is_written(team_prefix, kv1_mount, bao, monkeypatch):
    """On KV version 1, `data/<prefix>/<name>` is just a path: a write would "work" and put the
    secret somewhere no KV v2 client looks. So every operation is StoreUnavailableError saying
    the mount is KV version 1, and the mount stays empty."""
    monkeypatch.setenv("NBSECRETS_TEAM_MOUNT", kv1_mount)
    store = fresh_team()
    for operation, attempt in every_operation(store):
        with pytest.raises(StoreUnavailableError) as caught:
            attempt()
        assert "KV version 1" in str(caught.value) and repr(kv1_mount) in str(caught.value), operation

    assert api_status(bao, "LIST", f"{kv1_mount}") == 404  # nothing at all under the mount
    assert api_status(bao, "GET", f"{kv1_mount}/data/{team_prefix}/app") == 404
    assert api_status(bao, "GET", f"{kv1_mount}/{team_prefix}/app") == 404


# -- 8. an unreachable server, a bad address ---------------------------------------------------


def test_an_address_nothing_listens_on_fails_at_once_naming_it(team_prefix, monkeypatch):
    """A port with nothing listening is refused by the OS at once: every operation (and a load)
    is StoreUnavailableError naming the address, well within a second or two, not after a timeout."""
    addr = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("BAO_ADDR", addr)
    store = fresh_team()
    started = time.monotonic()
    for operation, attempt in every_operation(store):
        with pytest.raises(StoreUnavailableError) as caught:
            attempt()
        assert addr in str(caught.value) and "cannot be reached" in str(caught.value), operation
    before = dict(os.environ)
    with pytest.raises(StoreUnavailableError, match="cannot be reached"):
        nbsecrets.load(nbsecrets.Secret.from_name("team:app"))
    assert dict(os.environ) == before
    assert time.monotonic() - started < 5


def test_an_address_without_a_scheme_is_a_config_error(team_prefix, monkeypatch):
    """`BAO_ADDR=127.0.0.1:8200` (no http://) is a mistake in the configuration, reported as
    ConfigError when the store is opened; the local vault does not depend on it."""
    monkeypatch.setenv("BAO_ADDR", "127.0.0.1:8200")
    forget_process_state()
    with pytest.raises(ConfigError, match="http://"):
        get_store("team")
    with pytest.raises(ConfigError):
        nbsecrets.load(nbsecrets.Secret.from_name("team:app"))
    get_store().create("still-local", {"API_KEY": fake("local")})
    assert get_store().exists("still-local")


# -- 9. a server that stops mid-session --------------------------------------------------------


@pytest.fixture
def own_bao(team_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BaoServer]:
    """A dev server of this test's own (the shared one is never stopped), as the team store's server."""
    server = BaoServer(tmp_path / "own-bao")
    server.start()
    monkeypatch.setenv("BAO_ADDR", server.addr)
    monkeypatch.setenv("BAO_TOKEN", server.root_token)
    forget_process_state()
    try:
        yield server
    finally:
        server.stop()


def test_a_server_stopped_mid_session_leaves_local_secrets_working(own_bao, unloaded):
    """The server going away fails team operations as "cannot be reached", while local secrets
    still read and load; a load mixing a local and a team source fails as a whole, naming the
    team store, and leaves os.environ exactly as it was."""
    team_value, local_value = fake("team"), fake("local")
    team = get_store("team")
    local = nbsecrets.get_store()
    team.create("remote", {"TEAM_KEY": team_value})
    local.create("nearby", {"LOCAL_KEY": local_value})
    nbsecrets.load(nbsecrets.Secret.from_name("nearby"), nbsecrets.Secret.from_name("team:remote"))
    assert (os.environ["LOCAL_KEY"], os.environ["TEAM_KEY"]) == (local_value, team_value)

    own_bao.stop()

    for operation, attempt in [*every_operation(team), ("read", lambda: team.read("remote"))]:
        with pytest.raises(StoreUnavailableError, match="cannot be reached") as caught:
            attempt()
        assert own_bao.addr in str(caught.value), operation
    assert local.get("nearby") == {"LOCAL_KEY": local_value}
    nbsecrets.load(nbsecrets.Secret.from_name("nearby"))  # a reload of the local source alone works

    before = dict(os.environ)
    with pytest.raises(StoreUnavailableError) as caught:
        nbsecrets.load(nbsecrets.Secret.from_name("nearby"), nbsecrets.Secret.from_name("team:remote"))
    assert "'team'" in str(caught.value) and own_bao.addr in str(caught.value)
    assert dict(os.environ) == before


# -- 10. values that are not UTF-8 text --------------------------------------------------------


def test_values_json_cannot_hold_round_trip_as_marked_base64(team, team_prefix, bao):
    """A str with a lone surrogate (bytes os.environ carries that are not UTF-8) cannot go into
    JSON, so it is stored as `nbsecrets-bytes:` + base64 of its bytes; a value that merely starts
    with that mark is stored the same way, so reading back never mistakes one for the other.
    Both come back exactly, in this process and in a new one, after create and after update."""
    surrogate = f"sk-test-\udcff-{uuid.uuid4().hex[:8]}"
    marked = f"nbsecrets-bytes:{uuid.uuid4().hex[:8]}"
    looks_base64 = "nbsecrets-bytes:YWJj"  # valid base64 after the mark: must still come back as typed
    team.create("binary", {"RAW": surrogate, "MARKED": marked, "TRICKY": looks_base64})

    def as_bao_shows(value: str) -> str:
        return "nbsecrets-bytes:" + base64.b64encode(value.encode("utf-8", "surrogateescape")).decode("ascii")

    assert kv_get(bao, f"{team_prefix}/binary")["data"] == {
        "RAW": as_bao_shows(surrogate),
        "MARKED": as_bao_shows(marked),
        "TRICKY": as_bao_shows(looks_base64),
    }
    expected = {"RAW": surrogate, "MARKED": marked, "TRICKY": looks_base64}
    assert team.get("binary") == expected
    assert fresh_team().get("binary") == expected

    again = surrogate.replace("\udcff", "\udc80")
    fresh_team().update("binary", {"RAW": again})
    assert kv_get(bao, f"{team_prefix}/binary")["data"]["RAW"] == as_bao_shows(again)
    assert fresh_team().get("binary") == {**expected, "RAW": again}


# -- 11. names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_names_are_refused_for_every_operation(team, team_prefix, bao, name):
    """"." and ".." are valid nbsecrets names but steps in a server path: `{prefix}/..` is the
    prefix's parent. Every operation refuses them with InvalidSecretError before any request."""
    kv_put(bao, f"{team_prefix}/neighbour", API_KEY=fake("neighbour"))
    attempts = [
        lambda: team.exists(name),
        lambda: team.info(name),
        lambda: team.get(name),
        lambda: team.read(name),
        lambda: team.create(name, {"API_KEY": fake("dot")}),
        lambda: team.create(name, {"API_KEY": fake("dot")}, overwrite=True),
        lambda: team.update(name, {"API_KEY": fake("dot")}),
        lambda: team.delete(name),
        lambda: team.delete(name, allow_missing=True),
        lambda: team.delete(name, keep_versions=True),
        lambda: nbsecrets.load(nbsecrets.Secret.from_name(f"team:{name}")),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidSecretError):
            attempt()
    assert [info.name for info in team.list()] == ["neighbour"]
    assert api_status(bao, "GET", f"{MOUNT}/metadata/{team_prefix}") == 404


def test_folders_and_unnameable_paths_under_the_prefix_are_not_listed(team, team_prefix, bao):
    """KV lists a sub-folder as `folder/`; that is not a secret (a name cannot hold '/'), and
    neither is a path another tool wrote with a name nbsecrets cannot name. Only real secrets
    are listed, and the folder's name does not resolve to a secret."""
    kv_put(bao, f"{team_prefix}/folder/x", API_KEY=fake("in-folder"))
    kv_put(bao, f"{team_prefix}/has space", API_KEY=fake("spaced"))
    kv_put(bao, f"{team_prefix}/real", API_KEY=fake("real"))

    assert [info.name for info in team.list()] == ["real"]
    assert not team.exists("folder")
    with pytest.raises(SecretNotFoundError):
        team.get("folder")
