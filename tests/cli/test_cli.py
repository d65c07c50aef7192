"""The `nbsecrets` command, end to end.

Most cases call `main(argv)` in-process; a handful run the real command as a
subprocess (`python -m nbsecrets`), one of them on a pseudo-terminal. Every
subprocess starts a new session, so no prompt can reach the terminal running
the tests. Every test that handles a value checks it never reaches stdout or
stderr.
"""

from __future__ import annotations

import getpass
import io
import json
import os
import select
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import pytest

from nbsecrets import InvalidSecretError, get_store
from nbsecrets.adapters.cli import main
from nbsecrets.core.rules import check_key, check_name

FAKE = "sk-test-4f8a1c2b9d7e"
OTHER = "sk-test-0b1c2d3e4f5a"
NEW = "sk-test-99aa88bb77cc"

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX terminals and signals")

# Tests seed the vault through the store directly; its "key kept in a file" warning is
# only noise there. Inside `main` the CLI installs its own filter and shows it.
pytestmark = pytest.mark.filterwarnings("ignore::nbsecrets.NbSecretsWarning")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def assert_clean(result: Result | subprocess.CompletedProcess[str], *values: str) -> None:
    """No traceback, and none of `values` anywhere in the output."""
    output = result.both if isinstance(result, Result) else result.stdout + result.stderr
    assert "Traceback" not in output
    for value in values:
        assert value not in output


def error_line(result: Result | subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (warnings aside)."""
    err = result.err if isinstance(result, Result) else result.stderr
    lines = [line for line in err.splitlines() if not line.startswith("nbsecrets: warning:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("nbsecrets: error: ")
    return lines[0]


@pytest.fixture
def nbs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`main(argv)` in-process with the given stdin text (None: no stdin at all)."""

    def run(*argv: str, stdin: str | None = "") -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", None if stdin is None else io.StringIO(stdin))
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


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


def cli(*argv: str, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    """The real command in a new session (no controlling terminal); stdin=None means /dev/null."""
    return subprocess.run(
        [sys.executable, "-m", "nbsecrets", *argv],
        check=False,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=120,
    )


def reopen_store() -> None:
    """Forget what this process cached, so the next read sees what a subprocess wrote."""
    from nbsecrets.core.store import _stores, keys

    _stores.clear()
    keys.clear_cache()


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
    assert result.stdout.strip() == "Created secret 'openai' with keys: OPENAI_API_KEY"
    history = [line for line in result.stderr.splitlines() if "shell history" in line]
    assert len(history) == 1
    assert history[0].startswith("nbsecrets: warning: ")
    assert "`OPENAI_API_KEY` alone" in history[0] and "`OPENAI_API_KEY=-`" in history[0]
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


def on_terminal(argv: list[str], *, until: bytes, answer: str) -> tuple[int, bytes]:
    """Run the command on a pseudo-terminal, type `answer` once `until` shows; (exit code, transcript)."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal, as in a real shell
        try:
            os.execv(sys.executable, [sys.executable, "-m", "nbsecrets", *argv])
        finally:
            os._exit(127)
    try:
        transcript = _read_pty(fd, until=until)
        os.write(fd, answer.encode() + b"\n")
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
    assert b"Created secret 'tty' with keys: API_KEY" in transcript
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
    assert result.out.strip() == "Created secret 'pair' with keys: A, B"
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
    assert error_line(result) == "nbsecrets: error: Nothing on stdin for A=-."


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
    assert result.out.strip() == "Replaced secret 'openai' with keys: API_KEY"
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
    for argv in (["create", f"API_KEY={FAKE}", "B=-"], ["show", f"API_KEY={FAKE}"], ["delete", f"API_KEY={FAKE}"]):
        result = nbs(*argv, stdin=OTHER)
        assert result.code == 2
        assert "NAME comes first" in result.err
        assert_clean(result, FAKE, OTHER)


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


def test_prompt_interrupted_exits_130_without_traceback(nbs: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(prompt: str = "", stream: object = None) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(getpass, "getpass", interrupted)
    result = nbs("create", "x", "API_KEY")
    assert result.code == 130
    assert_clean(result)
    assert not get_store().exists("x")


def test_prompt_answered_with_eof_is_an_error(nbs: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    def eof(prompt: str = "", stream: object = None) -> str:
        raise EOFError

    monkeypatch.setattr(getpass, "getpass", eof)
    result = nbs("create", "x", "API_KEY")
    assert error_line(result) == "nbsecrets: error: No value entered for API_KEY."


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
        assert set(entry) == {"name", "keys", "settings", "created_at", "updated_at"}
        assert datetime.fromisoformat(entry["updated_at"]).tzinfo is not None

    shown = nbs("show", "openai")
    assert "Name:     openai" in shown.out and "Keys:     OPENAI_API_KEY, ORG" in shown.out
    assert "Created:" in shown.out and "Updated:" in shown.out
    assert json.loads(nbs("show", "openai", "--json").out) == listed[1]
    for result in (table, shown):
        assert_clean(result, FAKE, OTHER, NEW)


def test_show_a_missing_secret_suggests_close_names(nbs: Callable[..., Result]) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    result = nbs("show", "opena")
    assert result.code == 1
    assert error_line(result) == "nbsecrets: error: Secret 'opena' not found. Did you mean: 'openai'?"


def test_list_and_show_json_from_the_real_command() -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    listed = cli("list", "--json")
    shown = cli("show", "openai", "--json")
    assert listed.returncode == shown.returncode == 0
    assert json.loads(listed.stdout) == [json.loads(shown.stdout)]
    assert json.loads(shown.stdout)["keys"] == ["API_KEY"]
    assert_clean(listed, FAKE)
    assert_clean(shown, FAKE)


# -- update -----------------------------------------------------------------------


def test_update_merges_into_the_secret(nbs: Callable[..., Result], prompts: Prompts) -> None:
    get_store().create("openai", {"API_KEY": FAKE, "ORG": OTHER})
    prompts.answers.update(EXTRA="sk-test-extra-value")
    result = nbs("update", "openai", "ORG=-", "EXTRA", stdin=NEW + "\n")
    assert result.code == 0, result.err
    assert result.out.strip() == "Updated secret 'openai': set ORG, EXTRA; keys now: API_KEY, ORG, EXTRA"
    assert get_store().get("openai") == {"API_KEY": FAKE, "ORG": NEW, "EXTRA": "sk-test-extra-value"}
    assert_clean(result, FAKE, OTHER, NEW, "sk-test-extra-value")


def test_update_of_a_missing_secret_fails_before_prompting(nbs: Callable[..., Result], prompts: Prompts) -> None:
    result = nbs("update", "nope", "API_KEY")
    assert result.code == 1
    assert error_line(result) == "nbsecrets: error: Secret 'nope' not found."
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
    assert error_line(real) == "nbsecrets: error: Not deleting 'openai': no answer on stdin. Pass -y to delete without asking."
    closed = nbs("delete", "openai", stdin=None)
    assert closed.code == 1 and "Pass -y" in error_line(closed)
    assert get_store().get("openai") == {"API_KEY": FAKE}


def test_delete_allow_missing(nbs: Callable[..., Result]) -> None:
    missing = nbs("delete", "nope", "--allow-missing")
    assert missing.code == 0
    assert missing.out.strip() == "No secret named 'nope'; nothing deleted."
    strict = nbs("delete", "nope", "-y")
    assert strict.code == 1
    assert error_line(strict) == "nbsecrets: error: Secret 'nope' not found."


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
    assert result.code == 1
    assert error_line(result) == "nbsecrets: error: Secret 'nope' not found."
    assert not marker.exists()


@posix_only
def test_run_maps_a_signal_to_128_plus_n(nbs: Callable[..., Result]) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    script = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    result = nbs("run", "openai", "--", sys.executable, "-c", script)
    assert result.code == 128 + signal.SIGTERM


@posix_only
def test_run_lets_the_command_handle_ctrl_c() -> None:
    # From a terminal, Ctrl-C reaches the whole process group; nbsecrets waits for the child's own exit.
    get_store().create("openai", {"API_KEY": FAKE})
    script = "import os, signal, sys; os.kill(os.getppid(), signal.SIGINT); sys.exit(5)"
    result = cli("run", "openai", "--", sys.executable, "-c", script)
    assert result.returncode == 5
    assert_clean(result, FAKE)


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


def test_run_command_not_found_is_127(nbs: Callable[..., Result]) -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    result = nbs("run", "openai", "--", "nbsecrets-no-such-command-xyz", "--flag")
    assert result.code == 127
    assert error_line(result) == "nbsecrets: error: command not found: nbsecrets-no-such-command-xyz"


def test_run_usage_errors(nbs: Callable[..., Result]) -> None:
    assert nbs("run", "openai", "python").code == 2
    assert nbs("run", "--", "python").code == 2
    assert nbs("run", "openai", "--").code == 2
    for token in (f"API_KEY={FAKE}", f"--env=API_KEY={FAKE}"):
        inline = nbs("run", token, "--", "true")
        assert inline.code == 2
        assert "not KEY=VALUE (API_KEY=...)" in inline.err
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


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["create"], ["create", "x"], ["create", "x", "--bogus"], ["list", "--bogus"], ["delete"]],
)
def test_usage_errors_exit_2(nbs: Callable[..., Result], argv: list[str]) -> None:
    result = nbs(*argv)
    assert result.code == 2
    assert result.err.startswith("usage: nbsecrets")
    assert_clean(result)


def test_usage_errors_do_not_echo_a_value(nbs: Callable[..., Result]) -> None:
    result = nbs("list", f"API_KEY={FAKE}")
    assert result.code == 2
    assert "API_KEY=..." in result.err
    assert_clean(result, FAKE)


def test_errors_from_the_real_command_are_one_line() -> None:
    get_store().create("openai", {"API_KEY": FAKE})
    for argv, code in ((["show", "nope"], 1), (["create", "openai", f"API_KEY={NEW}"], 1), (["run", "nope", "--", "true"], 1)):
        result = cli(*argv)
        assert result.returncode == code
        error_line(result)
        assert_clean(result, FAKE, NEW)


def test_version(nbs: Callable[..., Result]) -> None:
    from nbsecrets import __version__

    result = nbs("--version")
    assert result.code == 0
    assert result.out.strip() == f"nbsecrets {__version__}"


def test_core_warnings_are_shown_by_main_in_process(nbs: Callable[..., Result]) -> None:
    result = nbs("create", "openai", "API_KEY=-", stdin=FAKE)
    assert result.code == 0
    warning_lines = [line for line in result.err.splitlines() if line.startswith("nbsecrets: warning: ")]
    assert len(warning_lines) == 1 and "No OS keyring is available" in warning_lines[0]
    assert_clean(result, FAKE)
