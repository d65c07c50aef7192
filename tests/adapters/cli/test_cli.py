"""The `nbsecrets` command, end to end.

Most cases call `main(argv)` in-process; a handful run the real command as a
subprocess (`python -m nbsecrets`), one of them on a pseudo-terminal. Every
subprocess starts a new session, so no prompt can reach the terminal running
the tests. Every test that handles a value checks it never reaches stdout or
stderr.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import select
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Callable

import pytest
from cli_runs import Result, assert_clean, cli, error_line

from nbsecrets import InvalidSecretError, get_store
from nbsecrets.adapters import texts
from nbsecrets.core.rules import check_key, check_name

FAKE = "sk-test-4f8a1c2b9d7e"
OTHER = "sk-test-0b1c2d3e4f5a"
NEW = "sk-test-99aa88bb77cc"

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX terminals and signals")

# Tests seed the vault through the store directly; its "key kept in a file" warning is
# only noise there. Inside `main` the CLI installs its own filter and shows it.
pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.NbSecretsWarning")


class Prompts:
    """Answers for getpass by key, and the keys asked for, in order."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}
        self.asked: list[str] = []

    def getpass(self, prompt: str = "Password: ", stream: object = None) -> str:
        key = prompt.removesuffix(": ")
        self.asked.append(key)
        return self.answers[key]


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    fake = Prompts()
    monkeypatch.setattr(getpass, "getpass", fake.getpass)
    return fake


def reopen_store() -> None:
    """Forget what this process cached, so the next read sees what a subprocess wrote."""
    from process_state import forget_process_state

    forget_process_state()


def check_env_script(expected: dict[str, str], code: int = 0) -> list[str]:
    """A child that exits `code` if its environment holds `expected`, else 99; it prints no value."""
    source = (
        "import json, os, sys\n"
        f"expected = json.loads({json.dumps(json.dumps(expected))})\n"
        "bad = sorted(k for k, v in expected.items() if os.environ.get(k) != v)\n"
        "print('mismatch: ' + ','.join(bad) if bad else 'env ok')\n"
        f"sys.exit(99 if bad else {code})\n"
    )
    return [sys.executable, "-c", source]


# -- create ---------------------------------------------------------------------


def test_create_with_inline_value_warns_about_shell_history_in_one_line() -> None:
    result = cli("create", "openai", f"OPENAI_API_KEY={FAKE}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Created secret 'openai' with keys: OPENAI_API_KEY."
    history = [line for line in result.stderr.splitlines() if "shell history" in line]
    assert history == [
        "nbsecrets: warning: the value of OPENAI_API_KEY was typed inline, so it is now in your shell history; "
        "next time write OPENAI_API_KEY alone to be prompted for it, or OPENAI_API_KEY=- to read it from stdin."
    ]
    assert_clean(result, FAKE)
    assert get_store().get("openai") == {"OPENAI_API_KEY": FAKE}


def test_core_warnings_are_one_clean_line() -> None:
    # No keyring here (conftest's fail backend), so the core warns that the key went to a file.
    result = cli("create", "openai", "OPENAI_API_KEY=-", stdin=FAKE)
    assert result.returncode == 0, result.stderr
    warning_lines = [line for line in result.stderr.splitlines() if "keyring" in line.lower()]
    assert len(warning_lines) == 1
    assert warning_lines[0].startswith("nbsecrets: warning: No OS keyring is available")
    for python_format in ("NbSecretsWarning", "UserWarning", "warnings.warn", ".py:"):
        assert python_format not in result.stderr
    assert_clean(result, FAKE)


def test_create_reads_one_value_from_stdin_and_strips_exactly_one_newline() -> None:
    pem = f"-----BEGIN KEY-----\n{FAKE}\n-----END KEY-----\n"
    result = cli("create", "gcp", "PEM=-", stdin=pem + "\n")
    assert result.returncode == 0, result.stderr
    assert "shell history" not in result.stderr
    assert_clean(result, FAKE)
    assert get_store().get("gcp") == {"PEM": pem}


CTRL_C = b"\x03"
CTRL_D = b"\x04"


def on_terminal(argv: list[str], *, until: bytes, answer: str | bytes) -> tuple[int, bytes]:
    """Run the command on a pseudo-terminal, type `answer` once `until` shows; (exit code, transcript).

    A str is typed and then Enter; bytes are sent as they are (CTRL_C, CTRL_D: the terminal turns
    them into SIGINT and end-of-file, as for a person at the keyboard)."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal, as in a real shell
        try:
            os.execv(sys.executable, [sys.executable, "-m", "nbsecrets", *argv])
        finally:
            os._exit(127)
    try:
        transcript = _read_pty(fd, until=until)
        os.write(fd, answer if isinstance(answer, bytes) else answer.encode() + b"\n")
        transcript += _read_pty(fd)
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), transcript


def _read_pty(fd: int, until: bytes | None = None) -> bytes:
    """Read the terminal until `until` appears, or until the child closes it."""
    data = b""
    while until is None or until not in data:
        ready, _, _ = select.select([fd], [], [], 60)  # a guard against a hang, not a timing check
        assert ready, f"the command went silent; so far: {data!r}"
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        data += chunk
    return data


@posix_only
def test_key_alone_prompts_on_a_real_terminal_without_echo() -> None:
    code, transcript = on_terminal(["create", "tty", "API_KEY"], until=b"API_KEY: ", answer=FAKE)
    assert code == 0, transcript
    assert b"Created secret 'tty' with keys: API_KEY." in transcript
    assert FAKE.encode() not in transcript  # neither echoed nor printed
    assert b"Traceback" not in transcript
    assert get_store().get("tty") == {"API_KEY": FAKE}


def test_key_alone_without_a_terminal_refuses_instead_of_echoing() -> None:
    result = cli("create", "openai", "API_KEY", stdin=FAKE + "\n")
    assert result.returncode == 1
    assert error_line(result) == (
        "nbsecrets: error: Cannot prompt for API_KEY without a terminal; pipe the value in with API_KEY=- instead."
    )
    assert_clean(result, FAKE)
    assert not get_store().exists("openai")


def test_key_alone_prompts_with_getpass(nbs: Callable[..., Result], prompts: Prompts) -> None:
    prompts.answers.update(A=FAKE, B=OTHER)
    result = nbs("create", "pair", "A", "B")
    assert result.code == 0
    assert prompts.asked == ["A", "B"]
    assert result.out.strip() == "Created secret 'pair' with keys: A, B."
    assert_clean(result, FAKE, OTHER)
    assert get_store().get("pair") == {"A": FAKE, "B": OTHER}


def test_sources_merge_in_command_line_order(nbs: Callable[..., Result], tmp_path: Path) -> None:
    dotenv = tmp_path / "vars.env"
    dotenv.write_text("A=sk-test-dotenv-a\nB=sk-test-dotenv-b\n")
    data = tmp_path / "vars.json"
    data.write_text(json.dumps({"B": "sk-test-json-b", "C": "sk-test-json-c", "D": None}))

    result = nbs("create", "mix", "A=sk-test-inline-a", f"--from-dotenv={dotenv}", "--from-json", str(data), "C=sk-test-inline-c")
    assert result.code == 0, result.err
    assert get_store().get("mix") == {"A": "sk-test-dotenv-a", "B": "sk-test-json-b", "C": "sk-test-inline-c"}

    result = nbs("create", "--from-json", str(data), "xim", "--from-dotenv", str(dotenv), "A=sk-test-inline-a")
    assert result.code == 0, result.err
    assert get_store().get("xim") == {"B": "sk-test-dotenv-b", "C": "sk-test-json-c", "A": "sk-test-inline-a"}
    assert_clean(result, "sk-test-inline-a", "sk-test-dotenv-a", "sk-test-json-b")


def test_everything_checkable_fails_before_the_first_prompt(
    nbs: Callable[..., Result], prompts: Prompts, tmp_path: Path
) -> None:
    for argv in (
        ["create", "x", "A", "--from-dotenv", str(tmp_path / "missing.env")],
        ["create", "x", "A", "1BAD"],
        ["create", "x", "A=-", "B=-"],
    ):
        result = nbs(*argv)
        assert result.code in (1, 2)
        assert_clean(result)
    assert prompts.asked == []
    assert not get_store().exists("x")


def test_only_one_key_may_read_stdin(nbs: Callable[..., Result]) -> None:
    result = nbs("create", "x", "A=-", "B=-", stdin=FAKE)
    assert result.code == 1
    assert "Only one KEY=- per command" in result.err
    assert_clean(result, FAKE)


def test_empty_stdin_is_an_error(nbs: Callable[..., Result]) -> None:
    result = nbs("create", "x", "A=-", stdin="")
    assert result.code == 1
    assert error_line(result) == (
        "nbsecrets: error: The value of A on standard input is empty, and nothing was stored. "
        "Give a value, or add --allow-empty to store an empty one."
    )
    assert_clean(result)
    assert not get_store().exists("x")


def test_create_refuses_an_existing_secret_and_leaves_it_intact(nbs: Callable[..., Result], prompts: Prompts) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    result = nbs("create", "openai", "API_KEY")
    assert result.code == 1
    assert "already exists" in error_line(result) and "--force" in result.err
    assert prompts.asked == []
    assert get_store().get("openai") == {"API_KEY": FAKE}


def test_force_replaces_the_whole_secret(nbs: Callable[..., Result]) -> None:
    get_store().create("openai", {"API_KEY": FAKE, "ORG": OTHER})
    result = nbs("create", "openai", "API_KEY=-", "--force", stdin=NEW)
    assert result.code == 0
    assert result.out.strip() == "Replaced secret 'openai' with keys: API_KEY."
    assert get_store().get("openai") == {"API_KEY": NEW}
    assert_clean(result, FAKE, OTHER, NEW)


@pytest.mark.parametrize(
    "tail",
    [
        [f"API_KEY={NEW}", "1BAD=x"],
        [f"API_KEY={NEW}", "--from-dotenv", "no-such-file.env"],
        [f"API_KEY={NEW}", "--from-json", "no-such-file.json"],
        ["BAD-KEY=-"],
    ],
)
def test_a_failed_create_leaves_the_existing_secret_intact(nbs: Callable[..., Result], tail: list[str]) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    result = nbs("create", "openai", "--force", *tail, stdin=NEW)
    assert result.code == 1
    error_line(result)
    assert_clean(result, FAKE, NEW)
    assert get_store().get("openai") == {"API_KEY": FAKE}


def test_bad_names_and_keys_give_the_rules_message(nbs: Callable[..., Result]) -> None:
    with pytest.raises(InvalidSecretError) as bad_name:
        check_name("bad name")
    with pytest.raises(InvalidSecretError) as bad_key:
        check_key("1BAD")
    result = nbs("create", "bad name", f"A={FAKE}")
    assert error_line(result) == f"nbsecrets: error: {bad_name.value}"
    result = nbs("create", "good", f"1BAD={FAKE}")
    assert error_line(result) == f"nbsecrets: error: {bad_key.value}"
    assert_clean(result, FAKE)
    result = nbs("show", "bad name")
    assert error_line(result) == f"nbsecrets: error: {bad_name.value}"


def test_a_value_typed_in_the_name_slot_is_not_echoed(nbs: Callable[..., Result]) -> None:
    # Every NAME goes through the core's reference check: an InvalidSecretError, exit 1, the value hidden.
    for argv in (["create", f"API_KEY={FAKE}", "B=-"], ["update", f"API_KEY={FAKE}", "B=-"]):
        result = nbs(*argv, stdin=OTHER)
        assert result.code == 1
        assert error_line(result) == (
            f"nbsecrets: error: The secret's name comes first and cannot hold '=', e.g. {argv[0]} openai OPENAI_API_KEY."
        )
        assert_clean(result, FAKE, OTHER)
    for argv in (["show", f"API_KEY={FAKE}"], ["delete", f"API_KEY={FAKE}"], ["delete", f"API_KEY={FAKE}", "-y"]):
        result = nbs(*argv, stdin=OTHER)
        assert result.code == 1
        assert error_line(result) == "nbsecrets: error: Invalid secret name 'API_KEY=...': use 1-64 characters of letters, digits, '.', '_' and '-'."
        assert_clean(result, FAKE, OTHER)
    assert get_store().list() == []


def test_from_json_errors_are_one_line(nbs: Callable[..., Result], tmp_path: Path) -> None:
    cases = {
        "broken.json": ('{"A": "sk-test-broken"', "is not valid JSON"),
        "list.json": ('["sk-test-list"]', "must hold a JSON object"),
        "number.json": ('{"A": 12345678}', "The value of A must be a string"),
    }
    for filename, (text, message) in cases.items():
        (tmp_path / filename).write_text(text)
        result = nbs("create", "x", "--from-json", str(tmp_path / filename))
        assert result.code == 1
        assert message in error_line(result)
        assert_clean(result, "sk-test-broken", "sk-test-list", "12345678")


@pytest.mark.parametrize("stop", [KeyboardInterrupt, EOFError], ids=["ctrl-c", "ctrl-d"])
def test_prompt_interrupted_exits_130_without_traceback(
    nbs: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    def interrupted(prompt: str = "", stream: object = None) -> str:
        raise stop

    monkeypatch.setattr(getpass, "getpass", interrupted)
    result = nbs("create", "x", "API_KEY")
    assert result.code == 130
    # a newline first: the cursor was still on the prompt's line
    assert result.err == "\nnbsecrets: error: Cancelled at the prompt for API_KEY; nothing was stored.\n"
    assert result.out == ""
    assert_clean(result)
    assert not get_store().exists("x")


# -- list and show -----------------------------------------------------------------


def test_list_and_show(nbs: Callable[..., Result]) -> None:
    assert nbs("list").out.strip() == "No secrets yet. Create one with: nbsecrets create NAME KEY"
    assert json.loads(nbs("list", "--json").out) == []

    get_store().create("openai", {"OPENAI_API_KEY": FAKE, "ORG": OTHER})
    get_store().create("db", {"PASSWORD": NEW})
    table = nbs("list")
    lines = table.out.splitlines()
    assert lines[0].split() == ["NAME", "KEYS", "SETTINGS", "UPDATED"]
    assert lines[1].startswith("db ") and "PASSWORD" in lines[1]
    assert lines[2].startswith("openai ") and "OPENAI_API_KEY, ORG" in lines[2]

    listed = json.loads(nbs("list", "--json").out)
    assert [entry["name"] for entry in listed] == ["db", "openai"]
    assert listed[1]["keys"] == ["OPENAI_API_KEY", "ORG"]
    for entry in listed:
        assert set(entry) == {"name", "store", "keys", "settings", "created_at", "updated_at"}
        assert entry["store"] == "local"
        assert datetime.fromisoformat(entry["updated_at"]).tzinfo is not None

    shown = nbs("show", "openai")
    assert shown.out == texts.secret_details(get_store().info("openai")) + "\n"
    assert "Name:     openai" in shown.out and "Keys:     OPENAI_API_KEY, ORG" in shown.out
    assert "Store:    local" in shown.out
    assert "Created:" in shown.out and "Updated:" in shown.out
    assert json.loads(nbs("show", "openai", "--json").out) == listed[1]
    for result in (table, shown):
        assert_clean(result, FAKE, OTHER, NEW)


def test_show_a_missing_secret_suggests_close_names(nbs: Callable[..., Result]) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    result = nbs("show", "opena")
    assert result.code == 1
    assert error_line(result) == "nbsecrets: error: Secret 'opena' not found in the local store; list shows the stored secrets. Did you mean: 'openai'?"


def test_list_and_show_json_from_the_real_command() -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    listed = cli("list", "--json")
    shown = cli("show", "openai", "--json")
    assert listed.returncode == shown.returncode == 0
    assert json.loads(listed.stdout) == [json.loads(shown.stdout)]
    assert json.loads(shown.stdout)["keys"] == ["API_KEY"]
    assert json.loads(shown.stdout)["store"] == "local"
    assert_clean(listed, FAKE)
    assert_clean(shown, FAKE)


# -- update -----------------------------------------------------------------------


def test_update_merges_into_the_secret(nbs: Callable[..., Result], prompts: Prompts) -> None:
    get_store().create("openai", {"API_KEY": FAKE, "ORG": OTHER})
    prompts.answers.update(EXTRA="sk-test-extra-value")
    result = nbs("update", "openai", "ORG=-", "EXTRA", stdin=NEW + "\n")
    assert result.code == 0, result.err
    assert result.out.strip() == "Updated secret 'openai': set ORG, EXTRA; keys now: API_KEY, ORG, EXTRA."
    assert get_store().get("openai") == {"API_KEY": FAKE, "ORG": NEW, "EXTRA": "sk-test-extra-value"}
    assert_clean(result, FAKE, OTHER, NEW, "sk-test-extra-value")


def test_update_of_a_missing_secret_fails_before_prompting(nbs: Callable[..., Result], prompts: Prompts) -> None:
    result = nbs("update", "nope", "API_KEY")
    assert result.code == 1
    assert error_line(result) == "nbsecrets: error: Secret 'nope' not found in the local store; list shows the stored secrets."
    assert prompts.asked == []


# -- delete -----------------------------------------------------------------------


def test_delete_with_yes(nbs: Callable[..., Result]) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    result = nbs("delete", "openai", "-y")
    assert result.code == 0
    assert result.out.strip() == "Deleted secret 'openai'."
    assert not get_store().exists("openai")


@posix_only
def test_delete_asks_on_a_terminal() -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    question = b"Delete secret 'openai' (keys: API_KEY)? [y/N] "
    code, transcript = on_terminal(["delete", "openai"], until=question, answer="y")
    assert code == 0, transcript
    assert b"Deleted secret 'openai'." in transcript
    reopen_store()
    assert not get_store().exists("openai")


def test_delete_follows_an_answer_on_stdin() -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    declined = cli("delete", "openai", stdin="n\n")
    assert declined.returncode == 1
    assert declined.stdout.strip() == "Not deleted."
    assert get_store().exists("openai")
    accepted = cli("delete", "openai", stdin="yes\n")
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.strip() == "Deleted secret 'openai'."
    reopen_store()
    assert not get_store().exists("openai")
    assert_clean(declined, FAKE)
    assert_clean(accepted, FAKE)


def test_delete_without_an_answer_refuses_and_says_to_pass_y(nbs: Callable[..., Result]) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    real = cli("delete", "openai", stdin=None)
    assert real.returncode == 1
    assert error_line(real) == (
        "nbsecrets: error: Not deleting 'openai': nobody can answer the question here. Add -y to delete without asking."
    )
    closed = nbs("delete", "openai", stdin=None)
    assert closed.code == 1 and error_line(closed) == error_line(real)
    assert get_store().get("openai") == {"API_KEY": FAKE}


def test_delete_allow_missing(nbs: Callable[..., Result]) -> None:
    missing = nbs("delete", "nope", "--allow-missing")
    assert missing.code == 0
    assert missing.out.strip() == "No secret named 'nope'; nothing deleted."
    strict = nbs("delete", "nope", "-y")
    assert strict.code == 1
    assert error_line(strict) == "nbsecrets: error: Secret 'nope' not found in the local store; list shows the stored secrets."


# -- rotate-key -------------------------------------------------------------------


def test_rotate_key_replaces_the_keyring_entry_and_the_vault_still_opens(file_keyring) -> None:
    created = cli("create", "openai", "API_KEY=-", stdin=FAKE)
    assert created.returncode == 0, created.stderr
    before = set(file_keyring.entries())
    assert len(before) == 1

    rotated = cli("rotate-key")
    assert rotated.returncode == 0, rotated.stderr
    assert "kept in the OS keyring" in rotated.stdout
    after = set(file_keyring.entries())
    assert len(after) == 1 and after.isdisjoint(before)

    used = cli("run", "openai", "--", *check_env_script({"API_KEY": FAKE}))
    assert used.returncode == 0, used.stderr
    reopen_store()
    assert get_store().get("openai") == {"API_KEY": FAKE}
    for result in (created, rotated, used):
        assert_clean(result, FAKE)


def test_rotate_key_without_a_vault(nbs: Callable[..., Result]) -> None:
    result = nbs("rotate-key")
    assert result.code == 0
    assert "nothing to rotate" in result.out


# -- run --------------------------------------------------------------------------


def test_run_passes_env_and_exit_code_with_the_later_source_winning() -> None:
    get_store().create("first", {"TOKEN": FAKE, "ONLY_FIRST": OTHER})
    get_store().create("second", {"TOKEN": NEW})
    result = cli("run", "first", "second", "--", *check_env_script({"TOKEN": NEW, "ONLY_FIRST": OTHER}, code=3))
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.strip() == "env ok"
    assert_clean(result, FAKE, OTHER, NEW)


def test_run_uses_the_core_source_syntax(nbs: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    get_store().create("stored", {"TOKEN": FAKE, "KEEP": OTHER})
    dotenv = tmp_path / "local.env"
    dotenv.write_text(f"TOKEN={NEW}\n")
    monkeypatch.setenv("NBS_CLI_LOCAL", "sk-test-local-value")
    expected = {"TOKEN": NEW, "KEEP": OTHER, "NBS_CLI_LOCAL": "sk-test-local-value"}
    argv = ["run", "stored", "--required", "KEEP", "--dotenv", str(dotenv), "--env", "NBS_CLI_LOCAL", "--"]
    result = nbs(*argv, *check_env_script(expected))
    assert result.code == 0
    assert "TOKEN" not in os.environ  # only the child's environment was changed
    assert_clean(result, FAKE, OTHER, NEW)


def test_run_reports_a_missing_source_and_runs_nothing(nbs: Callable[..., Result], tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    result = nbs("run", "nope", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')")
    assert result.code == 125
    assert error_line(result) == "nbsecrets: error: Secret 'nope' not found in the local store; list shows the stored secrets."
    assert not marker.exists()


@posix_only
def test_run_maps_a_signal_to_128_plus_n(nbs: Callable[..., Result]) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    script = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    result = nbs("run", "openai", "--", sys.executable, "-c", script)
    assert result.code == 128 + signal.SIGTERM


@posix_only
@pytest.mark.skipif(not hasattr(signal, "sigtimedwait"), reason="needs sigtimedwait")
def test_run_passes_sigterm_on_to_the_command() -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    script = (
        "import os, signal, sys\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})\n"
        "os.kill(os.getppid(), signal.SIGTERM)\n"
        "sys.exit(7 if signal.sigtimedwait({signal.SIGTERM}, 60) else 1)\n"  # 60 s: a hang guard only
    )
    result = cli("run", "openai", "--", sys.executable, "-c", script)
    assert result.returncode == 7


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the per-string and total limits measured are Linux's")
def test_run_refuses_an_environment_too_large_to_start_anything(tmp_path: Path) -> None:
    """With `ulimit -s 256` the kernel allows 128 KiB of arguments and environment: five values
    of 32 KiB, each within the rules, cannot start a program. nbsecrets says which keys, 125."""
    import resource

    get_store().create("big", {f"BIG_{i}": f"sk-test-{i}-" + "v" * 32_000 for i in range(5)})
    marker = tmp_path / "ran"
    limit = 256 * 1024

    def small_stack() -> None:
        resource.setrlimit(resource.RLIMIT_STACK, (limit, resource.getrlimit(resource.RLIMIT_STACK)[1]))

    result = subprocess.run(
        [sys.executable, "-m", "nbsecrets", "run", "big", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')"],
        capture_output=True, text=True, preexec_fn=small_stack, timeout=120,
    )
    assert result.returncode == 125, result.stderr
    line = error_line(result)
    assert "BIG_" in line and "vvvvvvvv" not in result.stdout + result.stderr
    assert not marker.exists()


def test_run_command_not_found_is_127(nbs: Callable[..., Result]) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    result = nbs("run", "openai", "--", "nbsecrets-no-such-command-xyz", "--flag")
    assert result.code == 127
    assert error_line(result) == "nbsecrets: error: command not found: nbsecrets-no-such-command-xyz"


def test_run_usage_errors(nbs: Callable[..., Result]) -> None:
    # run's own failures are 125, as env's and docker run's: never taken for the command's status
    assert nbs("run", "openai", "python").code == 125
    assert nbs("run", "--", "python").code == 125
    assert nbs("run", "openai", "--").code == 125
    for token in (f"API_KEY={FAKE}", f"--env=API_KEY={FAKE}"):
        # refused by the core's source parser: one InvalidSecretError line
        inline = nbs("run", token, "--", "true")
        assert inline.code == 125
        assert error_line(inline) == (
            "nbsecrets: error: Sources are names of secrets or files, not KEY=VALUE (API_KEY=...): "
            "store the value first, or use --dotenv or --env."
        )
        assert_clean(inline, FAKE)


# -- the command line itself --------------------------------------------------------


@pytest.mark.parametrize("command", ["create", "update", "templates", "list", "show", "delete", "rotate-key", "run"])
def test_every_subcommand_has_help_with_an_example(nbs: Callable[..., Result], command: str) -> None:
    result = nbs(command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: nbsecrets {command}")
    assert "example:\n  nbsecrets " in result.out or "example:\n  NBSECRETS_" in result.out


def test_help_after_the_name_and_top_level_help(nbs: Callable[..., Result]) -> None:
    assert nbs("create", "openai", "API_KEY", "--help").out.startswith("usage: nbsecrets create")
    top = cli("--help")
    assert top.returncode == 0
    for command in ("create", "update", "list", "show", "delete", "rotate-key", "run"):
        assert command in top.stdout


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["list", "--bogus"], ["delete"], ["show"], ["show", "a", "b"]])
def test_usage_errors_exit_2(nbs: Callable[..., Result], argv: list[str]) -> None:
    result = nbs(*argv)
    assert result.code == 2
    assert result.err.startswith("usage: nbsecrets")
    assert_clean(result)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create"], "Name the secret first, e.g. create openai OPENAI_API_KEY."),
        (["update"], "Name the secret first, e.g. update openai OPENAI_API_KEY."),
        (["create", "x"], "Nothing to store: give KEY, KEY=VALUE, --from-dotenv PATH, --from-json PATH or --template T."),
        (["create", "x", "--bogus"], "Unknown option '--bogus' for create."),
        (["create", "x", "A", "--setting"], "--setting needs KEY[,KEY...]."),
        (["update", "x", "A", "--force"], "--force is only for create (update never replaces a whole secret)."),
        (["create", "x", "--template", "nosuch"], "Unknown template 'nosuch'; choose one of: anthropic, aws, github, "
                                                   "huggingface, mongodb, openai, postgres, wandb."),
    ],
)
def test_create_and_update_words_are_the_cores_one_line_errors(
    nbs: Callable[..., Result], prompts: Prompts, argv: list[str], message: str
) -> None:
    # create/update hand their words to the core's parser: its refusals are one error line, exit 1
    result = nbs(*argv)
    assert result.code == 1
    assert result.err == f"nbsecrets: error: {message}\n"
    assert result.out == ""
    assert prompts.asked == []
    assert get_store().list() == []


def test_usage_errors_do_not_echo_a_value(nbs: Callable[..., Result]) -> None:
    result = nbs("list", f"API_KEY={FAKE}")
    assert result.code == 2
    assert "API_KEY=..." in result.err
    assert_clean(result, FAKE)


def test_errors_from_the_real_command_are_one_line() -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    for argv, code in ((["show", "nope"], 1), (["create", "openai", f"API_KEY={NEW}"], 1), (["run", "nope", "--", "true"], 125)):
        result = cli(*argv)
        assert result.returncode == code
        error_line(result)
        assert_clean(result, FAKE, NEW)


def test_version_comes_from_the_package_metadata(nbs: Callable[..., Result]) -> None:
    from importlib.metadata import version

    result = nbs("--version")
    assert result.code == 0
    assert result.both == f"nbsecrets {version('nbsecrets')}\n"
    real = cli("--version")
    assert real.returncode == 0 and real.stdout + real.stderr == result.both


def test_version_is_printed_on_stdout(nbs: Callable[..., Result]) -> None:
    from importlib.metadata import version

    result = nbs("--version")
    assert (result.code, result.out, result.err) == (0, f"nbsecrets {version('nbsecrets')}\n", "")
    real = cli("--version")
    assert (real.returncode, real.stdout, real.stderr) == (0, result.out, "")


def test_core_warnings_are_shown_by_main_in_process(nbs: Callable[..., Result]) -> None:
    result = nbs("create", "openai", "API_KEY=-", stdin=FAKE)
    assert result.code == 0
    warning_lines = [line for line in result.err.splitlines() if line.startswith("nbsecrets: warning: ")]
    assert len(warning_lines) == 1 and "No OS keyring is available" in warning_lines[0]
    assert_clean(result, FAKE)


# -- stores: --store before or after the command, STORE:NAME ------------------------------


def store_option(spelling: str) -> list[str]:
    return spelling.split(" ")


@pytest.mark.parametrize("spelling", ["--store local", "--store=local"])
@pytest.mark.parametrize("where", ["before", "after"])
def test_store_before_or_after_the_command(nbs: Callable[..., Result], where: str, spelling: str) -> None:
    option = store_option(spelling)

    def at(*words: str) -> list[str]:
        return [*option, *words] if where == "before" else [*words, *option]

    created = nbs(*at("create", "db", f"API_KEY={FAKE}"))
    assert (created.code, created.out) == (0, "Created secret 'db' with keys: API_KEY.\n"), created.err
    updated = nbs(*at("update", "db", f"ORG={OTHER}"))
    assert (updated.code, updated.out) == (0, "Updated secret 'db': set ORG; keys now: API_KEY, ORG.\n"), updated.err
    assert get_store().get("db") == {"API_KEY": FAKE, "ORG": OTHER}

    listed = nbs(*at("list"))
    assert (listed.code, listed.out) == (0, texts.secrets_table(get_store().list()) + "\n")
    as_json = nbs(*at("list", "--json"))
    assert [entry["store"] for entry in json.loads(as_json.out)] == ["local"]
    shown = nbs(*at("show", "db"))
    assert (shown.code, shown.out) == (0, texts.secret_details(get_store().info("db")) + "\n")
    assert json.loads(nbs(*at("show", "db", "--json")).out)["store"] == "local"

    deleted = nbs(*at("delete", "db", "-y"))
    assert (deleted.code, deleted.out) == (0, "Deleted secret 'db'.\n")
    assert not get_store().exists("db")
    for result in (created, updated, listed, as_json, shown, deleted):
        assert_clean(result, FAKE, OTHER)


@pytest.mark.parametrize(
    "before",
    [["--store", "local", "run", "db"], ["--store=local", "run", "db"], ["run", "local:db"],
     ["--store", "local", "run", "local:db"], ["run", "other", "local:db"]],
)
def test_run_takes_the_store_before_the_command_and_store_names_as_sources(
    nbs: Callable[..., Result], before: list[str]
) -> None:
    get_store().create("db", {"TOKEN": FAKE})
    get_store().create("other", {"TOKEN": OTHER, "ONLY_OTHER": NEW})
    expected = {"TOKEN": FAKE, **({"ONLY_OTHER": NEW} if "other" in before else {})}
    result = nbs(*before, "--", *check_env_script(expected))
    assert result.code == 0, result.err  # the child exits 99 when its environment is not `expected`
    assert_clean(result, FAKE, OTHER, NEW)


def test_run_takes_the_store_after_the_command(nbs: Callable[..., Result]) -> None:
    get_store().create("db", {"TOKEN": FAKE})
    result = nbs("run", "db", "--store", "local", "--", *check_env_script({"TOKEN": FAKE}))
    assert result.code == 0, result.err


NO_SUCH_STORE = "nbsecrets: error: No store named 'nope'; the stores configured here are: local.\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["--store", "nope", "list"], ["list", "--store", "nope"], ["--store=nope", "list", "--json"],
        ["--store", "nope", "show", "db"], ["show", "db", "--store", "nope"], ["show", "nope:db"],
        ["--store", "nope", "delete", "db", "-y"], ["delete", "db", "-y", "--store", "nope"], ["delete", "nope:db", "-y"],
        ["--store", "nope", "delete", "db"],
        ["--store", "nope", "create", "new", f"API_KEY={NEW}"], ["create", "new", f"API_KEY={NEW}", "--store", "nope"],
        ["create", "nope:new", f"API_KEY={NEW}"], ["create", "nope:new", "API_KEY"],
        ["--store", "nope", "update", "db", f"API_KEY={NEW}"], ["update", "db", "--store=nope", f"API_KEY={NEW}"],
        ["update", "nope:db", "API_KEY"],
        ["--store", "nope", "run", "db", "--"], ["run", "nope:db", "--"], ["run", "db", "nope:db", "--"],
    ],
)
def test_an_unknown_store_is_one_line_naming_the_configured_stores(
    nbs: Callable[..., Result], prompts: Prompts, tmp_path: Path, argv: list[str]
) -> None:
    get_store().create("db", {"API_KEY": FAKE})
    marker = tmp_path / "ran"
    if argv[-1] == "--":
        argv = [*argv, sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
    result = nbs(*argv, stdin="y\n")
    assert result.code == (125 if "run" in argv else 1)
    assert result.err == NO_SUCH_STORE
    assert result.out == ""
    assert prompts.asked == []
    assert_clean(result, FAKE, NEW)
    assert get_store().list() == [get_store().info("db")] and get_store().get("db") == {"API_KEY": FAKE}
    assert not marker.exists()


def test_a_mistyped_store_gets_a_suggestion(nbs: Callable[..., Result]) -> None:
    result = nbs("--store", "locl", "list")
    assert result.code == 1
    assert result.err == (
        "nbsecrets: error: No store named 'locl'; the stores configured here are: local. Did you mean: 'local'?\n"
    )


def test_two_different_stores_named_are_refused(nbs: Callable[..., Result]) -> None:
    get_store().create("db", {"API_KEY": FAKE})
    for argv in (["show", "local:db", "--store", "nope"], ["--store", "nope", "delete", "local:db", "-y"]):
        result = nbs(*argv)
        assert result.code == 1
        assert error_line(result) in (
            "nbsecrets: error: Two different stores were named, 'local' and 'nope': name one.",
            "nbsecrets: error: Two different stores were named, 'nope' and 'local': name one.",
        )
    for argv in (["create", "local:x", f"A={NEW}", "--store", "nope"], ["--store", "nope", "update", "local:db", f"A={NEW}"]):
        result = nbs(*argv)
        assert result.code == 1
        assert error_line(result) in (
            "nbsecrets: error: Two different stores were named, 'local' and 'nope': name one.",
            "nbsecrets: error: Two different stores were named, 'nope' and 'local': name one.",
        )
        assert_clean(result, NEW)
    assert not get_store().exists("x") and get_store().get("db") == {"API_KEY": FAKE}


def test_store_needs_a_name(nbs: Callable[..., Result]) -> None:
    for argv in (["--store"], ["--store", "--json", "list"], ["list", "--store"]):
        result = nbs(*argv)
        assert result.code == 2
        assert result.err.startswith("usage: nbsecrets")
        assert "--store" in result.err.splitlines()[-1]


def test_local_prefix_names_the_same_secret(nbs: Callable[..., Result]) -> None:
    created = nbs("create", "local:db", f"API_KEY={FAKE}")
    assert (created.code, created.out) == (0, "Created secret 'db' with keys: API_KEY.\n"), created.err
    assert get_store().get("db") == {"API_KEY": FAKE}
    assert nbs("show", "local:db").out == nbs("show", "db").out == texts.secret_details(get_store().info("db")) + "\n"
    assert nbs("show", "local:db", "--json").out == nbs("show", "db", "--json").out
    assert nbs("show", "local:db", "--store", "local").code == 0
    updated = nbs("update", "local:db", f"ORG={OTHER}")
    assert updated.out == "Updated secret 'db': set ORG; keys now: API_KEY, ORG.\n"
    refused = nbs("create", "local:db", f"API_KEY={NEW}")
    assert refused.code == 1 and "'db' already exists" in error_line(refused)
    deleted = nbs("delete", "local:db", "-y")
    assert (deleted.code, deleted.out) == (0, "Deleted secret 'db'.\n")
    assert not get_store().exists("db")
    missing = nbs("show", "local:db")
    assert (missing.code, error_line(missing)) == (1, "nbsecrets: error: Secret 'db' not found in the local store; list shows the stored secrets.")
    for result in (created, updated, refused, deleted, missing):
        assert_clean(result, FAKE, OTHER, NEW)


# -- unknown commands ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "typed", "meant"),
    [(["lsit"], "lsit", "list"), (["lsit", "--json"], "lsit", "list"), (["--store", "local", "lsit"], "lsit", "list"),
     (["shwo", "db"], "shwo", "show"), (["delte", "db", "-y"], "delte", "delete")],
)
def test_a_mistyped_command_gets_usage_and_a_suggestion(
    nbs: Callable[..., Result], argv: list[str], typed: str, meant: str
) -> None:
    get_store().create("db", {"API_KEY": FAKE})
    result = nbs(*argv)
    assert result.code == 2
    usage, *rest = result.err.splitlines()
    assert usage.startswith("usage: nbsecrets ")
    assert rest == [f"nbsecrets: error: Unknown command '{typed}'. Did you mean: {meant}? See: nbsecrets --help"]
    assert result.out == ""
    assert get_store().exists("db")


def test_a_far_word_gets_no_suggestion(nbs: Callable[..., Result]) -> None:
    result = nbs("frobnicate")
    assert result.code == 2
    usage, *rest = result.err.splitlines()
    assert usage.startswith("usage: nbsecrets ")
    assert rest == ["nbsecrets: error: Unknown command 'frobnicate'. See: nbsecrets --help"]
    assert "did you mean" not in result.err.lower()


@pytest.mark.parametrize(
    "argv", [[f"API_KEY={FAKE}"], [f"API_KEY={FAKE}", "create", "x"], ["--store", "local", f"API_KEY={FAKE}"]]
)
def test_a_value_typed_as_the_command_word_is_not_echoed(nbs: Callable[..., Result], argv: list[str]) -> None:
    result = nbs(*argv)
    assert result.code == 2
    assert result.err.splitlines()[-1] == "nbsecrets: error: Unknown command 'API_KEY=...'. See: nbsecrets --help"
    assert_clean(result, FAKE)
    assert get_store().list() == []


@pytest.mark.parametrize(
    "argv",
    [[f"API_KEY={FAKE} {OTHER}"], [f"API_KEY={FAKE}'{OTHER}"], ["list", f"API_KEY={FAKE} {OTHER}"],
     ["delete", "x", f"API_KEY={FAKE} {OTHER}"]],
    ids=["command-space", "command-quote", "list-space", "delete-space"],
)
def test_a_value_holding_a_space_or_quote_is_not_echoed_either(nbs: Callable[..., Result], argv: list[str]) -> None:
    result = nbs(*argv)
    assert result.code == 2
    assert "API_KEY=..." in result.err
    assert_clean(result, FAKE, OTHER)


def test_a_value_typed_as_the_command_word_is_not_echoed_by_the_real_command() -> None:
    result = cli(f"OPENAI_API_KEY={FAKE}")
    assert result.returncode == 2
    assert "Unknown command 'OPENAI_API_KEY=...'" in result.stderr
    assert_clean(result, FAKE)


# -- empty values and --allow-empty -------------------------------------------------------


def empty_refusal(key: str, where: str = "") -> str:
    return (f"nbsecrets: error: The value of {key}{where} is empty, and nothing was stored. "
            "Give a value, or add --allow-empty to store an empty one.")


@pytest.mark.parametrize("argv", [["create", "x", "A="], ["create", "x", f"B={FAKE}", "A="], ["create", "x", "A=", f"B={FAKE}"]])
def test_an_empty_inline_value_is_refused_and_nothing_is_stored(nbs: Callable[..., Result], argv: list[str]) -> None:
    result = nbs(*argv)
    assert result.code == 1
    assert error_line(result) == empty_refusal("A")
    assert result.out == ""
    assert_clean(result, FAKE)
    assert not get_store().exists("x")


@pytest.mark.parametrize("stdin", ["", "\n", "\r\n"], ids=["nothing", "newline", "crlf"])
def test_an_empty_stdin_for_key_dash_is_refused(nbs: Callable[..., Result], stdin: str) -> None:
    result = nbs("create", "x", "A=-", stdin=stdin)
    assert result.code == 1
    assert error_line(result) == empty_refusal("A", " on standard input")
    assert_clean(result)
    assert not get_store().exists("x")


def test_an_empty_answer_at_the_prompt_is_refused(nbs: Callable[..., Result], prompts: Prompts) -> None:
    prompts.answers.update(A=FAKE, B="")
    result = nbs("create", "x", "A", "B")
    assert result.code == 1
    assert error_line(result) == empty_refusal("B")
    assert_clean(result, FAKE)
    assert not get_store().exists("x")


def test_an_empty_value_in_a_file_is_refused(nbs: Callable[..., Result], tmp_path: Path) -> None:
    dotenv = tmp_path / "vars.env"
    dotenv.write_text(f"A={FAKE}\nB=\n")
    result = nbs("create", "x", "--from-dotenv", str(dotenv))
    assert result.code == 1
    assert error_line(result) == empty_refusal("B", f" in {dotenv}")
    assert_clean(result, FAKE)
    assert not get_store().exists("x")


def test_update_refuses_an_empty_value_and_keeps_the_secret(nbs: Callable[..., Result]) -> None:
    get_store().create("x", {"A": FAKE})
    result = nbs("update", "x", "A=", f"B={OTHER}")
    assert result.code == 1
    assert error_line(result) == empty_refusal("A")
    assert_clean(result, FAKE, OTHER)
    assert get_store().get("x") == {"A": FAKE}


def test_allow_empty_stores_empty_values(nbs: Callable[..., Result], prompts: Prompts) -> None:
    inline = nbs("create", "x", "A=", "--allow-empty")
    assert (inline.code, inline.out) == (0, "Created secret 'x' with keys: A.\n"), inline.err
    assert get_store().get("x") == {"A": ""}
    piped = nbs("create", "--allow-empty", "y", "A=-", stdin="")
    assert piped.code == 0, piped.err
    assert get_store().get("y") == {"A": ""}
    prompts.answers.update(A="")
    asked = nbs("create", "z", "A", f"B={FAKE}", "--allow-empty")
    assert asked.code == 0, asked.err
    assert get_store().get("z") == {"A": "", "B": FAKE}
    updated = nbs("update", "z", "B=", "--allow-empty")
    assert updated.code == 0, updated.err
    assert get_store().get("z") == {"A": "", "B": ""}
    for result in (inline, piped, asked, updated):
        assert_clean(result, FAKE)


# -- Ctrl-C and Ctrl-D on a real terminal -------------------------------------------------


@posix_only
@pytest.mark.parametrize("key", [CTRL_C, CTRL_D], ids=["ctrl-c", "ctrl-d"])
@pytest.mark.parametrize("command", ["create", "update"])
def test_cancelling_the_hidden_prompt_on_a_terminal_stores_nothing(command: str, key: bytes) -> None:
    if command == "update":
        get_store().create("tty", {"API_KEY": FAKE})
    code, transcript = on_terminal([command, "tty", "API_KEY", "OTHER_KEY"], until=b"API_KEY: ", answer=key)
    assert code == 130, transcript
    line = b"nbsecrets: error: Cancelled at the prompt for API_KEY; nothing was stored."
    # the error starts on a line of its own, not after the prompt; it is the only line after it
    assert re.search(rb"API_KEY: (\^C)?\r\n" + re.escape(line) + rb"\r\n$", transcript), transcript
    assert transcript.count(b"nbsecrets:") == 1
    assert b"OTHER_KEY: " not in transcript  # nothing more was asked
    assert b"Traceback" not in transcript and FAKE.encode() not in transcript
    reopen_store()
    if command == "create":
        assert not get_store().exists("tty")
    else:
        assert get_store().get("tty") == {"API_KEY": FAKE}


@posix_only
@pytest.mark.parametrize("key", [CTRL_C, CTRL_D], ids=["ctrl-c", "ctrl-d"])
def test_cancelling_the_delete_question_on_a_terminal_deletes_nothing(key: bytes) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    question = b"Delete secret 'openai' (keys: API_KEY)? [y/N] "
    code, transcript = on_terminal(["delete", "openai"], until=question, answer=key)
    assert code == 130, transcript
    after = transcript.split(question, 1)[1]
    # Ctrl-C sent just as the question is flushed, before the answer is read, is reported by main's
    # own KeyboardInterrupt handler: a different line, the same outcome (one line, nothing deleted).
    said = rb"(Not deleted\.|Interrupted; nothing was changed\.)" if key == CTRL_C else rb"Not deleted\."
    assert re.fullmatch(rb"(\^C)?\r\nnbsecrets: error: " + said + rb"\r\n", after), transcript
    assert b"Traceback" not in transcript and b"Deleted" not in transcript
    reopen_store()
    assert get_store().get("openai") == {"API_KEY": FAKE}


# -- warnings: one line, no file, no line number, no path of the key -----------------------


def assert_one_line_warnings(err: str) -> None:
    for python_format in ("NbSecretsWarning", "UserWarning", "warnings.warn", "warn("):
        assert python_format not in err
    assert not re.search(r"\.py:\d+", err)
    assert all(line.startswith("nbsecrets: ") for line in err.splitlines() if line)


def test_the_key_file_warning_is_one_line_without_the_key_folder(nbs: Callable[..., Result], key_dir: Path) -> None:
    result = nbs("create", "openai", "API_KEY=-", stdin=FAKE)
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        "nbsecrets: warning: No OS keyring is available, so the vault key was saved in a key file in the folder "
        "NBSECRETS_KEY_DIR names (readable only by you). Anyone who can read that file can read your secrets. "
        "To do better, set NBSECRETS_PASSPHRASE or install a keyring backend, then run `nbsecrets rotate-key`."
    ]
    [key_file] = key_dir.glob("*.key")
    assert str(key_dir) not in result.err and key_file.name not in result.err
    assert_one_line_warnings(result.err)
    assert_clean(result, FAKE)
    again = nbs("create", "second", "API_KEY=-", stdin=OTHER)  # said once: the key file exists now
    assert again.err == ""


@pytest.mark.skipif(sys.platform == "win32", reason="key folder under HOME is the POSIX layout")
def test_the_key_file_warning_shows_the_default_key_folder_under_home_as_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("NBSECRETS_KEY_DIR")
    result = cli("create", "openai", "API_KEY=-", stdin=FAKE)
    assert result.returncode == 0, result.stderr
    [warning] = result.stderr.splitlines()
    assert warning.startswith("nbsecrets: warning: No OS keyring is available, so the vault key was saved "
                              "in a key file in ~/")
    [key_file] = home.rglob("*.key")
    for absolute in (str(key_file), str(key_file.parent), str(home), str(tmp_path)):
        assert absolute not in result.stdout + result.stderr
    assert_one_line_warnings(result.stderr)
    assert_clean(result, FAKE)


LEAK = "sk-test-typed-in-the-wrong-place"


@pytest.mark.parametrize(
    "argv",
    [[f"--store=X={LEAK}", "list"], ["list", "--store", f"X={LEAK}"], ["show", "db", f"--store=X={LEAK}"],
     ["create", "db", "A", f"--store=X={LEAK}"], ["run", f"--store=X={LEAK}", "db", "--", "true"],
     ["list", f"1A={LEAK}"], [f"1A={LEAK}"], ["show", "db", f"2PASS={LEAK}"], ["create", "db", "--template", f"X={LEAK}"],
     ["create", "db", f"--from-json=X={LEAK}"], ["run", f"--dotenv=./X={LEAK}", "--", "true"]],
)
def test_a_value_typed_in_any_wrong_place_is_not_echoed(nbs: Callable[..., Result], argv: list[str]) -> None:
    result = nbs(*argv)
    assert result.code in (1, 2, 125)
    assert_clean(result, LEAK)
    assert get_store().list() == []


UNQUOTED = ["PASSWORD=sk-test-correct", "horse", "battery", "staple"]
"""`PASSWORD='sk-test-correct horse battery staple'` typed without its quotes: the shell splits it."""


@pytest.mark.parametrize(
    "argv",
    [["list", *UNQUOTED], ["show", *UNQUOTED], ["delete", *UNQUOTED], ["delete", "db", *UNQUOTED],
     ["rotate-key", *UNQUOTED], ["templates", *UNQUOTED], ["show", "db", "--json", *UNQUOTED],
     ["--store", *UNQUOTED], ["run", *UNQUOTED, "--", "true"], ["run", "db", *UNQUOTED, "--", "true"],
     ["create", "db", *UNQUOTED], ["update", "db", *UNQUOTED], ["create", "db", "A=-", *UNQUOTED]],
)
def test_the_rest_of_an_unquoted_value_is_not_echoed(nbs: Callable[..., Result], argv: list[str]) -> None:
    get_store().create("db", {"PGPASSWORD": "sk-test-stored-before"})
    result = nbs(*argv, stdin="sk-test-from-stdin")
    assert result.code in (1, 2, 125)
    assert_clean(result, "sk-test-correct", "horse", "battery", "staple")
    assert [info.name for info in get_store().list()] == ["db"]
    assert get_store().get("db") == {"PGPASSWORD": "sk-test-stored-before"}
