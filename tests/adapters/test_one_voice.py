"""The CLI and the magics say the same thing for the same operation, against the same vault.

`nbsecrets ...` (through `main([...])`) and `%secret ...` (in an in-process
IPython shell) print the texts of `nbsecrets.adapters.texts`; the one
difference allowed is how a suggested command is spelled (`nbsecrets` in a
shell, `%secret` in IPython), which is normalised before comparing. Values
are typed inline (obviously fake), so nothing prompts; the inline-value
warnings go to stderr, which is compared only for errors. Each secret is
created once and then shown and listed by both adapters, so the times match.
"""

from __future__ import annotations

import io
import json
import shlex
import sys
from dataclasses import dataclass
from typing import Callable

import pytest
from IPython.core.interactiveshell import InteractiveShell

from nbsecrets import get_store
from nbsecrets.adapters import texts
from nbsecrets.adapters.cli import main
from nbsecrets.adapters.ipython.magics import SecretMagicError

FAKE = "sk-test-onevoice-4f8a1c2b"
OTHER = "sk-test-onevoice-0b1c2d3e"
PASSWORD = "sk-test-onevoice-pg-9d7e"
VALUES = (FAKE, OTHER, PASSWORD)

# The first write of a test's vault warns that the key went to a file; the magics here run without
# %load_ext, so Python would show it in its own format. Neither is what is compared.
pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.NbSecretsWarning")


@dataclass
class Said:
    """What one adapter printed: stdout, and the one error line if it failed (else None)."""

    out: str
    error: str | None
    code: int = 0


@pytest.fixture
def nbsecrets(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Said]:
    """`nbsecrets WORDS` in-process, the words split as a shell would."""

    def run(line: str) -> Said:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        code = main(shlex.split(line))
        captured = capsys.readouterr()
        errors = [row for row in captured.err.splitlines() if row.startswith("nbsecrets: error: ")]
        assert len(errors) <= 1, captured.err
        assert (code == 0) == (not errors), captured.err
        return Said(captured.out, errors[0] if errors else None, code)

    return run


@pytest.fixture
def secret(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> Callable[[str], Said]:
    """`%secret WORDS` in the shell; a failure is the one line it renders as (its error output)."""

    def run(line: str) -> Said:
        capsys.readouterr()
        try:
            ip.run_line_magic("secret", line)
        except SecretMagicError as exc:
            rendered = exc._render_traceback_()
            assert len(rendered) == 1, rendered
            return Said(capsys.readouterr().out, rendered[0], 1)
        return Said(capsys.readouterr().out, None)

    return run


def as_in_a_shell(text: str) -> str:
    """The one allowed difference: a command suggested in IPython is spelled `%secret`."""
    return text.replace(texts.MAGIC, texts.PROG)


def assert_same(cli: Said, magic: Said) -> None:
    """Identical output once the spelling of suggested commands is normalised, and no other difference."""
    assert texts.MAGIC not in cli.out and (cli.error is None or texts.MAGIC not in cli.error)
    assert as_in_a_shell(magic.out) == cli.out
    assert (magic.error is None) == (cli.error is None)
    if cli.error is not None:
        assert cli.error.startswith("nbsecrets: error: ") and magic.error.startswith("nbsecrets: error: ")
        assert as_in_a_shell(magic.error) == cli.error
    for said in (cli, magic):
        for value in VALUES:
            assert value not in said.out and value not in (said.error or "")


def both(nbsecrets: Callable[[str], Said], secret: Callable[[str], Said], line: str) -> tuple[Said, Said]:
    return nbsecrets(line), secret(line)


PLAIN = f"openai OPENAI_API_KEY={FAKE} OPENAI_ORG_ID={OTHER}"
WITH_SETTINGS = f"svc URL=https://svc.test.invalid PORT=8443 TOKEN={FAKE} --setting URL,PORT"
POSTGRES = (
    f"db --template postgres PGHOST=pg.test.invalid PGPORT=5432 PGUSER=app_user PGPASSWORD={PASSWORD} "
    "PGDATABASE=appdb"
)
CREATED = {
    "openai": (PLAIN, "Created secret 'openai' with keys: OPENAI_API_KEY, OPENAI_ORG_ID.\n"),
    "svc": (WITH_SETTINGS, "Created secret 'svc' with keys: URL, PORT, TOKEN; settings (not masked): URL, PORT.\n"),
    "db": (POSTGRES, "Created secret 'db' with keys: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; "
                     "settings (not masked): PGHOST, PGPORT, PGUSER, PGDATABASE.\n"),
}


# -- create -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CREATED))
def test_create_says_the_same(nbsecrets, secret, name: str) -> None:
    words, expected = CREATED[name]
    cli = nbsecrets(f"create {words}")
    assert cli.out == expected, cli.error
    stored = get_store().read(name)
    get_store().delete(name)
    magic = secret(f"create {words}")
    assert_same(cli, magic)
    assert get_store().read(name) == stored  # the same secret, whichever adapter wrote it


@pytest.mark.parametrize("name", list(CREATED))
def test_create_force_says_the_same(nbsecrets, secret, name: str) -> None:
    words, expected = CREATED[name]
    nbsecrets(f"create {words}")
    cli, magic = both(nbsecrets, secret, f"create {words} --force")
    assert cli.out == expected.replace("Created", "Replaced", 1)
    assert_same(cli, magic)


# -- show and list ------------------------------------------------------------------------


@pytest.mark.parametrize("creator", ["cli", "magic"])
def test_show_and_list_say_the_same(nbsecrets, secret, creator: str) -> None:
    write = nbsecrets if creator == "cli" else secret
    for words, _ in CREATED.values():
        assert write(f"create {words}").error is None
    infos = {info.name: info for info in get_store().list()}
    assert list(infos) == ["db", "openai", "svc"]

    cli, magic = both(nbsecrets, secret, "list")
    assert cli.out == texts.secrets_table(infos.values()) + "\n"
    assert_same(cli, magic)
    cli, magic = both(nbsecrets, secret, "list --json")
    assert [entry["store"] for entry in json.loads(cli.out)] == ["local"] * 3
    assert_same(cli, magic)
    cli, magic = both(nbsecrets, secret, "list --store local")
    assert_same(cli, magic)
    for name, info in infos.items():
        cli, magic = both(nbsecrets, secret, f"show {name}")
        assert cli.out == texts.secret_details(info) + "\n"
        assert_same(cli, magic)
        cli, magic = both(nbsecrets, secret, f"show {name} --json")
        assert json.loads(cli.out) == texts.info_json(info)
        assert_same(cli, magic)
        assert_same(*both(nbsecrets, secret, f"show local:{name}"))
        assert_same(*both(nbsecrets, secret, f"show {name} --store local"))


def test_an_empty_vault_differs_only_in_the_suggested_command(nbsecrets, secret) -> None:
    cli, magic = both(nbsecrets, secret, "list")
    assert cli.out == "No secrets yet. Create one with: nbsecrets create NAME KEY\n"
    assert magic.out == "No secrets yet. Create one with: %secret create NAME KEY\n"
    assert_same(cli, magic)
    assert_same(*both(nbsecrets, secret, "list --json"))


# -- update -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (f"db PGPASSWORD={OTHER}", "Updated secret 'db': set PGPASSWORD; keys now: PGHOST, PGPASSWORD; "
                                   "settings (not masked): PGHOST.\n"),
        (f"db API_KEY={FAKE}", "Updated secret 'db': set API_KEY; keys now: PGHOST, PGPASSWORD, API_KEY; "
                               "settings (not masked): PGHOST.\n"),
        ("db --secret PGHOST", "Updated secret 'db'; keys now: PGHOST, PGPASSWORD.\n"),
        ("db --setting PGPASSWORD", "Updated secret 'db'; keys now: PGHOST, PGPASSWORD; "
                                    "settings (not masked): PGHOST, PGPASSWORD.\n"),
        ("db PGPORT=5432 --setting PGPORT", "Updated secret 'db': set PGPORT; keys now: PGHOST, PGPASSWORD, PGPORT; "
                                            "settings (not masked): PGHOST, PGPORT.\n"),
        (f"db PGHOST=pg2.test.invalid --secret PGHOST PGUSER=app_user --setting PGUSER",
         "Updated secret 'db': set PGHOST, PGUSER; keys now: PGHOST, PGPASSWORD, PGUSER; "
         "settings (not masked): PGUSER.\n"),
        (f"local:db PGPASSWORD={OTHER}", "Updated secret 'db': set PGPASSWORD; keys now: PGHOST, PGPASSWORD; "
                                         "settings (not masked): PGHOST.\n"),
    ],
)
def test_update_says_the_same(nbsecrets, secret, words: str, expected: str) -> None:
    # Each update is applied by the CLI, then again by the magics: the same words on the same
    # secret give the same state, so the confirmations, show and list must match.
    assert nbsecrets(f"create db PGHOST=pg.test.invalid PGPASSWORD={PASSWORD} --setting PGHOST").error is None
    cli = nbsecrets(f"update {words}")
    assert cli.out == expected, cli.error
    after_cli = get_store().info("db")
    magic = secret(f"update {words}")
    assert_same(cli, magic)
    assert get_store().info("db")._replace(updated_at=after_cli.updated_at) == after_cli
    assert_same(*both(nbsecrets, secret, "show db"))
    assert_same(*both(nbsecrets, secret, "list"))


# -- delete -------------------------------------------------------------------------


@pytest.mark.parametrize("yes", ["-y", "--yes"])
@pytest.mark.parametrize("reference", ["openai", "local:openai"])
def test_delete_says_the_same(nbsecrets, secret, yes: str, reference: str) -> None:
    words = CREATED["openai"][0]
    nbsecrets(f"create {words}")
    cli = nbsecrets(f"delete {reference} {yes}")
    assert cli.out == "Deleted secret 'openai'.\n"
    assert not get_store().exists("openai")
    nbsecrets(f"create {words}")
    magic = secret(f"delete {reference} {yes}")
    assert_same(cli, magic)
    assert not get_store().exists("openai")


def test_delete_of_a_missing_secret_with_allow_missing_says_the_same(nbsecrets, secret) -> None:
    cli, magic = both(nbsecrets, secret, "delete gone --allow-missing")
    assert cli.out == "No secret named 'gone'; nothing deleted.\n"
    assert_same(cli, magic)


# -- templates ------------------------------------------------------------------------


def test_templates_say_the_same(nbsecrets, secret) -> None:
    cli, magic = both(nbsecrets, secret, "templates")
    assert cli.out == texts.templates_table() + "\n"
    assert_same(cli, magic)


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("show nope", "Secret 'nope' not found in the local store; list shows the stored secrets."),
        ("show opena", "Secret 'opena' not found in the local store; list shows the stored secrets. Did you mean: 'openai'?"),
        ("show local:nope", "Secret 'nope' not found in the local store; list shows the stored secrets."),
        ("show nope --json", "Secret 'nope' not found in the local store; list shows the stored secrets."),
        ("delete nope -y", "Secret 'nope' not found in the local store; list shows the stored secrets."),
        ("delete nope --yes", "Secret 'nope' not found in the local store; list shows the stored secrets."),
        (f"update nope A={FAKE}", "Secret 'nope' not found in the local store; list shows the stored secrets."),
        ("update nope --setting A", "Secret 'nope' not found in the local store; list shows the stored secrets."),
    ],
)
def test_a_missing_secret_is_the_same_error(nbsecrets, secret, line: str, message: str) -> None:
    nbsecrets(f"create {PLAIN}")
    cli, magic = both(nbsecrets, secret, line)
    assert (cli.code, cli.error) == (1, f"nbsecrets: error: {message}")
    assert cli.out == ""
    assert_same(cli, magic)


@pytest.mark.parametrize(
    "line",
    [
        f"create openai OPENAI_API_KEY={OTHER}",            # exists
        "create x A=",                                       # empty value
        f"create x A={FAKE} --setting NOPE",                 # a setting that is not a key
        f"create x A={FAKE} --template nosuch",              # unknown template
        f"create x A={FAKE} --setting A --secret A",         # both sides
        f"update openai A={FAKE} --force",                   # create's option
        "update openai --template postgres",                 # create's option
        "list --store nope",                                 # unknown store
        "show nope:openai",
        f"create nope:x A={FAKE}",
    ],
)
def test_other_refusals_are_the_same_error(nbsecrets, secret, line: str) -> None:
    nbsecrets(f"create {PLAIN}")
    before = get_store().read("openai")
    cli, magic = both(nbsecrets, secret, line)
    assert cli.code == 1 and cli.error is not None
    assert_same(cli, magic)
    assert [info.name for info in get_store().list()] == ["openai"]
    assert get_store().read("openai") == before
