"""The team store through every face a person uses: the CLI, the magics, a real kernel, the panel.

The store itself keeps the store contract (test_team_contract.py); these
tests are about what the adapters built on top of it promise for a store
that lives on a server: `team:NAME` works wherever a source or a secret is
named, `stores` says what is configured and whether it answers, a failing
server or token is one line that names neither the token nor a value, a
failing team store leaves the environment (and the local secrets) alone,
values read from the server are masked in a kernel and never reach a saved
notebook, and nobody pays for hvac before the first team operation.

Every test runs against the real `bao server -dev` of conftest.py, on a
prefix of its own; values are fake (`sk-test-...`) and unique to the test.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import urllib.error
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest
from bao_server import BaoServer, free_port
from cli_runs import assert_clean, cli, error_line
from IPython.core.error import UsageError
from notebook_outputs import outputs_text

import nbsecrets
from nbsecrets.core import environment

if TYPE_CHECKING:
    from nbsecrets.adapters.team.store import TeamStore

# Seeding the local vault directly warns that its key went to a file (no keyring here): noise.
pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.NbSecretsWarning")


def fake(label: str) -> str:
    """A value no other test (and no other run) uses, recognisably fake."""
    return f"sk-test-{label}-{uuid.uuid4().hex[:16]}"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch):
    """Whatever a test loads is put back before monkeypatch restores its own variables (it is torn
    down after this fixture, which asks for it), so no loaded variable outlives its test."""
    environment.unload()
    yield
    environment.unload()


def kv_metadata(bao: BaoServer, prefix: str, name: str) -> dict:
    """What the server itself holds about a secret (read as an operator would, not through nbsecrets)."""
    return bao.api("GET", f"secret/metadata/{prefix}/{name}")["data"]


def kv_data(bao: BaoServer, prefix: str, name: str) -> dict:
    return bao.api("GET", f"secret/data/{prefix}/{name}")["data"]["data"]


def table_rows(text: str) -> list[list[str]]:
    """The rows of a table the CLI prints (columns two or more spaces apart), header first."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]


def read_only_token(bao: BaoServer, prefix: str) -> str:
    """A token that may read and list the test's prefix and nothing else (as a hub hands out for a shared path)."""
    policy = (
        f'path "secret/data/{prefix}/*" {{ capabilities = ["read"] }}\n'
        f'path "secret/metadata/{prefix}/*" {{ capabilities = ["read", "list"] }}\n'
        f'path "secret/metadata/{prefix}" {{ capabilities = ["list"] }}\n'
    )
    bao.api("PUT", f"sys/policies/acl/ro-{prefix}", {"policy": policy})
    answer = bao.api("POST", "auth/token/create", {"policies": [f"ro-{prefix}"], "ttl": "1h"})
    return answer["auth"]["client_token"]


# -- the CLI ----------------------------------------------------------------------------


def test_stores_lists_local_and_team_both_answering_and_shows_no_token(nbs, team_prefix: str, bao: BaoServer) -> None:
    """`nbsecrets stores` is where a user checks a hub's setup: both stores, where they are, that they
    answer and how the token stands, without printing the token it just used."""
    result = nbs("stores")
    assert result.code == 0, result.err
    header, *rows = table_rows(result.out)
    assert header == ["STORE", "KIND", "WHERE", "ANSWERS", "DETAIL"]
    by_name = {row[0]: row for row in rows}
    assert list(by_name) == ["local", "team"]
    assert by_name["local"][1:2] == ["local"] and by_name["local"][3] == "yes"
    team = by_name["team"]
    assert team[1:4] == ["openbao", f"{bao.addr} secret/{team_prefix}", "yes"]
    assert "token from BAO_TOKEN valid" in team[4]
    assert bao.root_token not in result.both
    assert result.err == ""


def test_without_an_address_only_the_local_store_exists(nbs) -> None:
    """No BAO_ADDR (the suite removes every BAO_/VAULT_ variable): no team row, and naming the team store
    says which variable creates it rather than failing obscurely."""
    assert "BAO_ADDR" not in os.environ
    result = nbs("stores")
    assert result.code == 0, result.err
    assert [row[0] for row in table_rows(result.out)[1:]] == ["local"]
    failed = nbs("--store", "team", "list")
    assert failed.code == 1
    line = error_line(failed)
    assert "No store named 'team'" in line and "BAO_ADDR" in line


def test_create_from_stdin_list_show_and_update_in_the_team_store(nbs, team_prefix: str, bao: BaoServer) -> None:
    """create team:NAME writes to the server what `bao kv get` shows; list and show describe it
    (version included) without a value; an update is a new KV version, and show says so."""
    password, newer = fake("pg-password"), fake("pg-password-2")
    created = nbs("create", "team:db", "PGPASSWORD=-", "PGHOST=db.internal", "--setting", "PGHOST", stdin=password)
    assert created.code == 0, created.err
    assert created.out.strip() == (
        "Created secret 'team:db' with keys: PGPASSWORD, PGHOST; settings (not masked): PGHOST."
    )
    assert kv_data(bao, team_prefix, "db") == {"PGPASSWORD": password, "PGHOST": "db.internal"}

    listed = nbs("--store", "team", "list")
    assert listed.code == 0, listed.err
    assert [row[:3] for row in table_rows(listed.out)] == [
        ["NAME", "KEYS", "SETTINGS"], ["db", "PGPASSWORD, PGHOST", "PGHOST"],
    ]
    as_json = nbs("list", "--json", "--store", "team")
    [entry] = json.loads(as_json.out)
    assert (entry["name"], entry["store"], entry["keys"], entry["settings"]) == ("db", "team", ["PGPASSWORD", "PGHOST"], ["PGHOST"])
    assert entry["details"]["version"] == "1"

    shown = nbs("show", "team:db")
    assert shown.code == 0, shown.err
    lines = dict(line.split(":", 1) for line in shown.out.strip().splitlines())
    assert lines["Store"].strip() == "team" and lines["Secrets"].strip() == "PGPASSWORD"
    assert lines["Version"].strip() == "1"
    assert lines["You may"].strip() == "root"  # the dev server's root token; a policy token lists its capabilities
    details = json.loads(nbs("show", "team:db", "--json").out)["details"]
    assert details["version"] == "1" and "you may" in details

    updated = nbs("update", "team:db", "PGPASSWORD=-", stdin=newer)
    assert updated.code == 0, updated.err
    assert "Version:  2" in nbs("show", "--store", "team", "db").out
    for result in (created, listed, as_json, shown, updated):
        assert_clean(result, password, newer, bao.root_token)


def test_show_says_what_a_policy_token_may_do_and_a_refused_delete_names_no_token(
    nbs, team: TeamStore, team_prefix: str, bao: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a read-only token (a hub's shared path) show says `read`, and a delete it may not make is
    one line naming the path and the operation, never the token."""
    value = fake("shared")
    team.create("shared", {"SHARED_TOKEN": value})
    token = read_only_token(bao, team_prefix)
    monkeypatch.setenv("BAO_TOKEN", token)
    assert "You may:  read\n" in nbs("show", "team:shared").out
    refused = nbs("delete", "team:shared", "--keep-versions", "-y")
    assert refused.code == 1
    line = error_line(refused)
    assert line.startswith("nbsecrets: error: Permission denied: the token from BAO_TOKEN may not delete ")
    assert f"secret/data/{team_prefix}/shared" in line
    assert_clean(refused, token, value, "[masked")
    assert kv_data(bao, team_prefix, "shared") == {"SHARED_TOKEN": value}


def test_delete_keep_versions_is_a_soft_delete_that_undelete_reverses(nbs, team: TeamStore, team_prefix: str, bao: BaoServer) -> None:
    """--keep-versions says the versions are kept, and they are: the server marks version 1 deleted,
    not destroyed, the secret leaves the listing, and `undelete` brings it back."""
    team.create("soft", {"SOFT_KEY": fake("soft")})
    result = nbs("delete", "team:soft", "--keep-versions", "-y")
    assert result.code == 0, result.err
    assert result.out.strip() == (
        "Deleted secret 'team:soft'; its versions are kept, and `bao kv undelete` can bring it back."
    )
    version = kv_metadata(bao, team_prefix, "soft")["versions"]["1"]
    assert version["deletion_time"] and not version["destroyed"]
    assert "soft" not in nbs("--store", "team", "list").out
    bao.api("POST", f"secret/undelete/{team_prefix}/soft", {"versions": [1]})
    assert team.exists("soft")


def test_delete_without_keep_versions_removes_every_version(nbs, team: TeamStore, team_prefix: str, bao: BaoServer) -> None:
    """The default delete in a team store is the destructive one, as `delete --help` warns: no metadata is left."""
    team.create("hard", {"HARD_KEY": fake("hard")})
    team.update("hard", {"HARD_KEY": fake("hard-2")})
    result = nbs("delete", "team:hard", "-y")
    assert result.code == 0, result.err
    assert result.out.strip() == "Deleted secret 'team:hard'."
    with pytest.raises(urllib.error.HTTPError) as raised:
        kv_metadata(bao, team_prefix, "hard")
    assert raised.value.code == 404


def test_keep_versions_on_the_local_store_is_refused_and_deletes_nothing(nbs, team_prefix: str) -> None:
    """The local vault keeps no versions: --keep-versions there must fail loudly, not silently delete for good."""
    value = fake("local")
    nbsecrets.get_store().create("mine", {"MINE": value})
    result = nbs("delete", "mine", "--keep-versions", "-y")
    assert result.code != 0
    assert error_line(result) == (
        "nbsecrets: error: The local store keeps no versions; --keep-versions is for a team store."
    )
    assert nbsecrets.get_store().get("mine") == {"MINE": value}
    assert_clean(result, value)


def test_run_gives_the_child_team_variables_and_the_later_source_wins(team: TeamStore, team_prefix: str) -> None:
    """`nbsecrets run local team:NAME -- cmd` (the real command, in a subprocess): the child sees the team
    secret's variables, the team value winning over the local one it comes after; no value is printed."""
    local_value, team_value, host = fake("run-local"), fake("run-team"), "db.internal"
    nbsecrets.get_store().create("db", {"NBS_RUN_PW": local_value, "NBS_RUN_LOCAL_ONLY": local_value})
    team.create("db", {"NBS_RUN_PW": team_value, "NBS_RUN_HOST": host}, settings=["NBS_RUN_HOST"])
    expected = {"NBS_RUN_PW": team_value, "NBS_RUN_HOST": host, "NBS_RUN_LOCAL_ONLY": local_value}
    child = (
        "import json, os, sys\n"
        f"expected = json.loads({json.dumps(json.dumps(expected))})\n"
        "bad = sorted(k for k, v in expected.items() if os.environ.get(k) != v)\n"
        "print('mismatch: ' + ','.join(bad) if bad else 'env ok')\n"
        "sys.exit(3 if bad else 0)\n"
    )
    result = cli("run", "db", "team:db", "--", sys.executable, "-c", child)
    assert (result.returncode, result.stdout.strip()) == (0, "env ok"), result.stderr
    assert_clean(result, local_value, team_value)
    assert "NBS_RUN_PW" not in os.environ  # run changes the child's environment only


# -- errors: one line, no token -----------------------------------------------------------


def test_a_refused_token_is_one_line_saying_invalid_or_expired(nbs, team_prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad or expired token (a hub's token past its TTL) reads the same on every command, and the
    line never carries the token (not even masked: it is simply not in the message)."""
    bad = "hvs.sk-test-bad-token-" + uuid.uuid4().hex[:8]
    monkeypatch.setenv("BAO_TOKEN", bad)
    for argv in (["--store", "team", "list"], ["show", "team:db"], ["create", "team:db", "A=-"]):
        result = nbs(*argv, stdin=fake("never-stored"))
        assert result.code == 1, argv
        line = error_line(result)
        assert "refused the token from BAO_TOKEN" in line and "invalid or has expired" in line
        assert_clean(result, bad, "[masked")
    run = nbs("run", "team:db", "--", sys.executable, "-c", "raise SystemExit(9)")
    assert run.code == 125  # nbsecrets' own failure, the command never ran
    assert "invalid or has expired" in error_line(run)


def test_a_server_nobody_listens_on_is_one_line_saying_it_cannot_be_reached(
    nbs, team_prefix: str, bao: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong BAO_ADDR (or a server that is down) is named by its address, and local secrets still work."""
    address = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("BAO_ADDR", address)
    result = nbs("--store", "team", "list")
    assert result.code == 1
    line = error_line(result)
    assert f"at {address} cannot be reached" in line and "Local secrets still work" in line
    assert_clean(result, bao.root_token, "[masked")
    stores = nbs("stores")
    assert stores.code == 0
    rows = {row[0]: row for row in table_rows(stores.out)[1:]}
    assert rows["local"][3] == "yes" and rows["team"][3] == "no" and "cannot be reached" in rows["team"][4]
    assert nbs("list").code == 0


def test_no_token_at_all_is_one_line_saying_how_to_get_one(nbs, team_prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """BAO_ADDR set but no token variable and no ~/.vault-token (HOME is private here): `stores` says so
    in its row, and a command that needs the store says how to log in."""
    monkeypatch.delenv("BAO_TOKEN")
    rows = {row[0]: row for row in table_rows(nbs("stores").out)[1:]}
    assert rows["team"][4].endswith("; no token")
    result = nbs("--store", "team", "list")
    assert result.code == 1
    line = error_line(result)
    assert "No token for the team store 'team'" in line and "bao login" in line and "~/.vault-token" in line


def test_a_misspelt_store_is_named_and_team_suggested(nbs, team_prefix: str) -> None:
    result = nbs("--store", "teem", "list")
    assert result.code == 1
    assert error_line(result) == (
        "nbsecrets: error: No store named 'teem'; the stores configured here are: local, team. Did you mean: 'team'?"
    )


def test_a_broken_config_file_is_one_line_naming_the_file_and_not_the_token_written_there(
    nbs, team_prefix: str, config_file: Path
) -> None:
    """A token pasted into config.toml is refused: `stores` lists every store and says, on that store's
    row, what is wrong with its table (the file and the table, never the value); the others still work."""
    pasted = fake("pasted-token")
    config_file.write_text(f'[stores.shared]\nprefix = "nbsecrets/shared"\ntoken = "{pasted}"\n')
    result = nbs("stores")
    assert result.code == 0, result.err
    rows = {line.split()[0]: line for line in result.out.splitlines()[1:]}
    assert set(rows) == {"local", "team", "shared"}
    assert " yes " in rows["local"] and " yes " in rows["team"]
    assert " no " in rows["shared"]
    assert "config.toml [stores.shared] holds 'token'" in rows["shared"] and "never holds a token" in rows["shared"]
    assert_clean(result, pasted)
    refused = nbs("--store", "shared", "list")
    assert refused.code == 1 and "never holds a token" in error_line(refused)
    assert_clean(refused, pasted)
    assert nbs("list").code == 0  # the local vault does not depend on the file
    assert nbs("--store", "team", "list").code == 0  # nor does the team store the environment names


# -- the magics, in-process -----------------------------------------------------------------


def test_load_status_and_unload_a_team_secret(ip, team: TeamStore, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """%secret load team:NAME sets the variables (a team value overriding a local one loaded before it),
    status names the source `team:NAME`, and unload of that source alone puts the local value back."""
    monkeypatch.setenv("NBS_MAGIC_PW", "outer-value")
    local_value, team_value = fake("magic-local"), fake("magic-team")
    nbsecrets.get_store().create("db", {"NBS_MAGIC_PW": local_value})
    team.create("db", {"NBS_MAGIC_PW": team_value, "NBS_MAGIC_HOST": "db.internal"}, settings=["NBS_MAGIC_HOST"])
    before = dict(os.environ)

    ip.run_line_magic("secret", "load db team:db")
    assert (os.environ["NBS_MAGIC_PW"], os.environ["NBS_MAGIC_HOST"]) == (team_value, "db.internal")
    capsys.readouterr()
    ip.run_line_magic("secret", "status")
    status = capsys.readouterr().out
    assert re.search(r"NBS_MAGIC_PW\s+from team:db \(overrides db\)", status), status
    assert re.search(r"NBS_MAGIC_HOST\s+from team:db \(setting\)", status), status

    ip.run_line_magic("secret", "unload team:db")
    assert os.environ["NBS_MAGIC_PW"] == local_value and "NBS_MAGIC_HOST" not in os.environ
    ip.run_line_magic("secret", "unload")
    assert dict(os.environ) == before
    assert team_value not in capsys.readouterr().out


def test_with_secrets_runs_the_cell_with_the_team_secret_and_restores(ip, team: TeamStore) -> None:
    value = fake("cell")
    team.create("cellsecret", {"NBS_CELL_TOKEN": value})
    ip.run_cell("import os")
    before = dict(os.environ)
    ip.run_cell_magic("with_secrets", "team:cellsecret", "seen = os.environ['NBS_CELL_TOKEN']")
    assert ip.user_ns["seen"] == value
    assert dict(os.environ) == before


def test_load_with_a_missing_team_secret_changes_nothing_and_names_it(ip, team: TeamStore) -> None:
    """Every source is resolved before anything is applied: the local secret named first is not loaded
    either, and the error says which team secret is missing."""
    nbsecrets.get_store().create("mine", {"NBS_ATOMIC_LOCAL": fake("atomic")})
    team.create("missinq", {"NBS_ATOMIC_TEAM": fake("near-name")})
    before = dict(os.environ)
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("secret", "load mine team:missing")
    message = str(raised.value)
    assert "Secret 'missing' not found in the team store 'team'" in message
    assert dict(os.environ) == before
    assert environment.status() == ()
    with pytest.raises(UsageError, match="'missing' not found in the team store"):
        ip.run_cell_magic("with_secrets", "mine team:missing", "ran = True")
    assert "ran" not in ip.user_ns and dict(os.environ) == before


def test_a_failing_team_store_leaves_the_environment_as_it_was(ip, team_prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused token in a notebook: one error line for the cell, nothing loaded, no token in the line."""
    nbsecrets.get_store().create("mine", {"NBS_FAILING_LOCAL": fake("failing")})
    bad = "hvs.sk-test-bad-token-" + uuid.uuid4().hex[:8]
    monkeypatch.setenv("BAO_TOKEN", bad)
    before = dict(os.environ)
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("secret", "load mine team:db")
    assert "invalid or has expired" in str(raised.value) and bad not in str(raised.value)
    assert "\n" not in str(raised.value)
    assert dict(os.environ) == before


def test_stores_and_delete_keep_versions_magics(ip, team: TeamStore, team_prefix: str, bao: BaoServer, capsys) -> None:
    team.create("magicdel", {"NBS_DEL": fake("magic-del")})
    capsys.readouterr()
    ip.run_line_magic("secret", "stores")
    out = capsys.readouterr().out
    rows = {row[0]: row for row in table_rows(out)[1:]}
    assert list(rows) == ["local", "team"] and rows["team"][3] == "yes"
    assert bao.root_token not in out
    ip.run_line_magic("secret", "delete team:magicdel --yes --keep-versions")
    assert capsys.readouterr().out.strip() == (
        "Deleted secret 'team:magicdel'; its versions are kept, and `bao kv undelete` can bring it back."
    )
    assert not team.exists("magicdel")
    assert kv_metadata(bao, team_prefix, "magicdel")["versions"]["1"]["deletion_time"]
    nbsecrets.get_store().create("localdel", {"NBS_DEL": fake("local-del")})
    with pytest.raises(UsageError, match="keeps no versions"):
        ip.run_line_magic("secret", "delete localdel --yes --keep-versions")
    assert nbsecrets.get_store().exists("localdel")


def test_create_from_a_kernel_variable_and_list_the_team_store(ip, team: TeamStore, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """%secret create team:NAME KEY=$VAR writes to the server (the way a notebook without stdin creates),
    and %secret list --store team shows it, the value in neither output."""
    value = fake("magic-create")
    monkeypatch.setenv("NBS_MAGIC_SOURCE", value)
    capsys.readouterr()
    ip.run_line_magic("secret", "create team:made NBS_MADE=$NBS_MAGIC_SOURCE")
    ip.run_line_magic("secret", "list --store team")
    out = capsys.readouterr().out
    assert out.startswith("Created secret 'team:made' with keys: NBS_MADE.\n")
    assert [row[:2] for row in table_rows(out.split("\n", 1)[1])] == [["NAME", "KEYS"], ["made", "NBS_MADE"]]
    assert value not in out
    assert team.get("made") == {"NBS_MADE": value}


def test_secret_from_name_with_store_team_loads_through_the_python_api(team: TeamStore) -> None:
    value = fake("api")
    team.create("api", {"NBS_API_TOKEN": value})
    secret = nbsecrets.Secret.from_name("api", store="team")
    assert secret.label == "team:api"
    with nbsecrets.with_secrets(secret):
        assert os.environ["NBS_API_TOKEN"] == value
    assert "NBS_API_TOKEN" not in os.environ
    report = nbsecrets.load(nbsecrets.Secret.from_name("team:api"))
    assert report.keys == ["NBS_API_TOKEN"] and value not in str(report)


# -- a real kernel -----------------------------------------------------------------------------------


KERNEL_VALUE = fake("kernel")
KERNEL_CELLS = [
    "%load_ext nbsecrets",
    "import os\nprint(os.environ['BAO_TOKEN'])",  # before any team operation
    "%secret load team:kernel-db",
    "print(os.environ['NBS_KERNEL_PW'])\nprint(os.environ['NBS_KERNEL_HOST'])",
    "%secret status",
    "%secret unload",
    "%%with_secrets team:kernel-db\nprint('inside', os.environ['NBS_KERNEL_PW'])",
    "print('after', 'NBS_KERNEL_PW' in os.environ)",
    "print(os.environ['BAO_TOKEN'])",
    "%secret show team:kernel-db",
]


@pytest.fixture(scope="module")
def kernel_run(bao: BaoServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, str]:
    """One kernel for the module: a team secret created beforehand by the real command, then the
    notebook run by nbclient with the team variables in the kernel's environment, and saved.
    Returns (the executed notebook, the saved file's text)."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    if not bao.answers():
        bao.start()
    folder = tmp_path_factory.mktemp("team-kernel")
    prefix = f"t-{uuid.uuid4().hex[:10]}"
    env = bao.env()  # this process's environment (the suite's private folders), with BAO_ADDR and BAO_TOKEN
    env.pop("PYTEST_CURRENT_TEST", None)
    env["NBSECRETS_TEAM_PREFIX"] = prefix
    created = subprocess.run(
        [sys.executable, "-m", "nbsecrets", "create", "team:kernel-db", "NBS_KERNEL_PW=-",
         "NBS_KERNEL_HOST=db.internal", "--setting", "NBS_KERNEL_HOST"],
        check=False, input=KERNEL_VALUE, env=env, capture_output=True, text=True, timeout=120, start_new_session=True,
    )
    assert created.returncode == 0, created.stderr
    notebook = new_notebook(cells=[new_code_cell(source) for source in KERNEL_CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env=env)
    path = folder / "executed.ipynb"
    nbformat.write(notebook, path)
    return notebook, path.read_text(encoding="utf-8")


def test_kernel_cells_ran_without_errors(kernel_run) -> None:
    notebook, _ = kernel_run
    errors = [(index, outputs_text(cell)) for index, cell in enumerate(notebook.cells)
              if any(output.output_type == "error" for output in cell.outputs)]
    assert errors == []


def test_kernel_load_and_with_secrets_show_the_mask_not_the_value(kernel_run) -> None:
    """In a kernel a team value printed is `[masked:KEY]`; the setting is shown as it is."""
    notebook, _ = kernel_run
    assert outputs_text(notebook.cells[2]).startswith("Loaded 2 keys:")
    assert outputs_text(notebook.cells[3]).splitlines() == ["[masked:NBS_KERNEL_PW]", "db.internal"]
    assert re.search(r"NBS_KERNEL_PW\s+from team:kernel-db", outputs_text(notebook.cells[4]))
    assert outputs_text(notebook.cells[6]).strip() == "inside [masked:NBS_KERNEL_PW]"
    assert outputs_text(notebook.cells[7]).strip() == "after False"


def test_kernel_masks_the_token_once_the_team_store_was_used(kernel_run) -> None:
    notebook, _ = kernel_run
    assert outputs_text(notebook.cells[8]).strip() == "[masked:BAO_TOKEN]"


def test_kernel_show_gives_the_version(kernel_run) -> None:
    notebook, _ = kernel_run
    text = outputs_text(notebook.cells[9])
    assert "Store:    team" in text and "Version:  1" in text and "You may:  root" in text


def test_the_saved_notebook_holds_no_team_value(kernel_run) -> None:
    """The file a user would commit: the team value nowhere in its text, the mask where it was printed."""
    _, saved = kernel_run
    assert KERNEL_VALUE not in saved
    assert "[masked:NBS_KERNEL_PW]" in saved


def test_the_token_in_the_kernels_environment_is_masked_from_load_ext_on(kernel_run, bao: BaoServer) -> None:
    """README: values from the team store are masked, "and so is the token". A hub hands the token over
    in the environment, so it is there to leak (`os.environ`, `%env`) before the notebook ever names the
    team store: it must be masked from `%load_ext nbsecrets` on, not from the first team operation."""
    notebook, saved = kernel_run
    assert outputs_text(notebook.cells[1]).strip() == "[masked:BAO_TOKEN]"
    assert bao.root_token not in saved


# -- import cost ------------------------------------------------------------------------------------

_TEAM_MODULES = "sorted(m for m in sys.modules if m == 'hvac' or m.startswith(('hvac.', 'nbsecrets.adapters.team')))"


def python_output(source: str) -> list:
    """Run `source` in a fresh interpreter (this process's environment) and return the JSON it prints last."""
    result = subprocess.run([sys.executable, "-c", source], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_nbsecrets_imports_no_hvac_even_with_a_team_store_configured(team_prefix: str) -> None:
    assert "BAO_ADDR" in os.environ
    source = f"import json, sys\nimport nbsecrets\nprint(json.dumps({_TEAM_MODULES}))"
    assert python_output(source) == []


def test_load_ext_and_local_magics_import_no_hvac_the_first_team_operation_does(team_prefix: str) -> None:
    """A notebook that never names the team store never pays for hvac, even on a hub that set BAO_ADDR."""
    source = (
        "import json, sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_line_magic('load_ext', 'nbsecrets')\n"
        f"after_load_ext = {_TEAM_MODULES}\n"
        "shell.run_line_magic('secret', 'list')\n"
        "shell.run_line_magic('secret', 'status')\n"
        f"after_local = {_TEAM_MODULES}\n"
        "import nbsecrets\n"
        "nbsecrets.get_store('team').list()\n"
        "print(json.dumps([after_load_ext, after_local, 'hvac' in sys.modules]))\n"
    )
    assert python_output(source) == [[], [], True]


# -- the panel ---------------------------------------------------------------------------------------


def panel_listing(panel) -> list[tuple[str, ...]]:
    """The listing as a person reads it: ("heading", text) for a store's heading, ("row", name, keys) per secret."""
    import ipywidgets as w

    def text(widget) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", widget.value))

    children = list(panel.listing.children)[4:]  # after the header row
    seen: list[tuple[str, ...]] = []
    position = 0
    while position < len(children):
        child = children[position]
        if isinstance(child, w.Checkbox):
            seen.append(("row", text(children[position + 1]), text(children[position + 2])))
            position += 4
        else:
            seen.append(("heading", text(child)))
            position += 1
    return seen


def panel_message(panel) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", panel.message.value))


def test_panel_lists_local_and_team_secrets_grouped_by_store(team: TeamStore) -> None:
    pytest.importorskip("ipywidgets")
    from nbsecrets.adapters.widgets.panel import SecretsPanel

    nbsecrets.get_store().create("mine", {"NBS_PANEL_MINE": fake("panel-local")})
    team.create("shared", {"NBS_PANEL_PW": fake("panel-team"), "NBS_PANEL_HOST": "db.internal"}, settings=["NBS_PANEL_HOST"])
    panel = SecretsPanel()
    assert panel_listing(panel) == [
        ("heading", "store local"), ("row", "mine", "NBS_PANEL_MINE"),
        ("heading", "store team"), ("row", "team:shared", "NBS_PANEL_PW, NBS_PANEL_HOST (setting)"),
    ]
    assert panel_message(panel) == ""
    assert list(panel.store.options) == ["local", "team"]  # the form can write to either


def test_panel_loads_a_team_secret(team: TeamStore) -> None:
    pytest.importorskip("ipywidgets")
    from nbsecrets.adapters.widgets.panel import SecretsPanel

    value = fake("panel-load")
    team.create("shared", {"NBS_PANEL_LOADED": value})
    panel = SecretsPanel()
    panel.select(["team:shared"])
    panel.load_button.click()
    assert panel_message(panel) == "Loaded 1 key, in the order shown (the later wins)."
    assert os.environ["NBS_PANEL_LOADED"] == value
    assert "from team:shared" in html.unescape(panel.status.value)


def test_panel_creates_in_the_team_store_chosen_in_its_form(team: TeamStore) -> None:
    pytest.importorskip("ipywidgets")
    from nbsecrets.adapters.widgets.panel import SecretsPanel

    value = fake("panel-form")
    panel = SecretsPanel()
    panel.name.value = "fromform"
    panel.store.value = "team"
    panel.rows[0].key.value = "NBS_FORM_KEY"
    panel.rows[0].secret_value.value = value
    panel.create_button.click()
    assert panel_message(panel) == "Created secret 'team:fromform' with keys: NBS_FORM_KEY."
    assert team.get("fromform") == {"NBS_FORM_KEY": value}
    assert ("row", "team:fromform", "NBS_FORM_KEY") in panel_listing(panel)
    assert panel.rows[0].secret_value.value == ""  # no value left in a widget


def test_panel_with_a_refused_team_token_shows_one_error_line_and_still_lists_local(
    team: TeamStore, bao: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One store that cannot be read hides no other: local secrets stay listed under their heading,
    the team store's failure is one line, and once the token is good again Refresh brings it back."""
    pytest.importorskip("ipywidgets")
    from nbsecrets.adapters.widgets.panel import SecretsPanel

    nbsecrets.get_store().create("mine", {"NBS_PANEL_MINE": fake("panel-local")})
    team.create("shared", {"NBS_PANEL_PW": fake("panel-team")})
    bad = "hvs.sk-test-bad-token-" + uuid.uuid4().hex[:8]
    monkeypatch.setenv("BAO_TOKEN", bad)
    panel = SecretsPanel()
    assert panel_listing(panel) == [("heading", "store local"), ("row", "mine", "NBS_PANEL_MINE")]
    message = panel_message(panel)
    assert message.count("\n") == 0 and message.startswith("nbsecrets: error: ")
    assert "invalid or has expired" in message
    assert bad not in message and "[masked" not in message

    monkeypatch.setenv("BAO_TOKEN", bao.root_token)
    panel.refresh_button.click()
    assert ("row", "team:shared", "NBS_PANEL_PW") in panel_listing(panel)
    assert panel_message(panel) == ""


def test_a_secret_deleted_with_its_versions_kept_is_deleted_for_good_from_the_command_line(nbs, team: TeamStore, bao: BaoServer, team_prefix: str) -> None:
    """`delete --keep-versions` then `delete`: the second removes what the first kept (a soft-deleted
    secret's old values must not be beyond the user's reach); a third finds nothing."""
    team.create("soft", {"NBS_SOFT_PW": fake("soft")})
    assert nbs("delete", "team:soft", "--keep-versions", "-y").code == 0
    result = nbs("delete", "team:soft", "-y")
    assert result.code == 0, result.err
    assert "Deleted secret 'team:soft'." in result.out
    again = nbs("delete", "team:soft", "-y", "--allow-missing")
    assert again.code == 0 and "nothing deleted" in again.out
