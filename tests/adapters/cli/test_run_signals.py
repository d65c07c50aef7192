"""`nbsecrets run` as a supervisor: signals, the child's death with nbsecrets, exit codes.

Every case runs the real command (`python -m nbsecrets run`) around a real
child. The child is a small Python script that blocks the signals it watches
and takes them one by one with sigwaitinfo, writing each to a log with who sent
it (so a signal passed on by nbsecrets, a terminal's and a duplicate can be
told apart); it exits on SIGTERM. Tests wait on what the log says, never on
time: the deadlines below only stop a hang.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from nbsecrets import get_store
from nbsecrets.adapters.cli import main

FAKE = "sk-test-5e6f7a8b9c0d"
HANG_GUARD = 30.0  # seconds; only reached when something is broken
SI_KERNEL = 0x80

FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"]

pytestmark = [
    pytest.mark.skipif(not hasattr(signal, "sigwaitinfo"), reason="needs POSIX signals and sigwaitinfo"),
    # The store warns that its key is kept in a file: only noise when a test seeds the vault.
    pytest.mark.filterwarnings("ignore::nbsecrets.NbSecretsWarning"),
]

RECORDER = f"""
import os, signal, sys
watched = {{getattr(signal, name) for name in {FORWARDED!r}}}
signal.pthread_sigmask(signal.SIG_BLOCK, watched)
if sys.argv[2:] == ["own-group"]:
    os.setpgid(0, 0)  # out of the terminal's foreground group: what the terminal sends misses it
def note(line):
    with open(sys.argv[1], "a") as log:
        log.write(line + "\\n")
note("ready " + str(os.getpid()))
while True:
    info = signal.sigwaitinfo(watched)
    note(f"{{signal.Signals(info.si_signo).name}} {{info.si_code}} {{info.si_pid}}")
    if info.si_signo == signal.SIGTERM:
        break
while info := signal.sigtimedwait(watched, 0):  # what came with or after SIGTERM counts too
    note(f"{{signal.Signals(info.si_signo).name}} {{info.si_code}} {{info.si_pid}}")
"""


@dataclass(frozen=True)
class Received:
    """One signal the child took: its name, and who sent it (SI_KERNEL: the kernel, for a terminal)."""

    name: str
    code: int
    sender: int

    @classmethod
    def parse(cls, line: str) -> Received:
        name, code, sender = line.split()
        return cls(name, int(code), int(sender))

    def by(self, pid: int) -> tuple[str, str]:
        """(name, "kill() by pid" | "kernel" | anything else) for assertions that read well."""
        if self.code <= 0:
            return self.name, "kill() by nbsecrets" if self.sender == pid else f"kill() by {self.sender}"
        return self.name, "kernel" if self.code == SI_KERNEL else f"si_code {self.code}"


class Log:
    """The child's log: its pid once it is ready, then the signals it took."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self) -> list[str]:
        text = self.path.read_text() if self.path.exists() else ""
        return text.splitlines()[: text.count("\n")]  # complete lines only

    @property
    def child(self) -> int | None:
        lines = self.lines()
        return int(lines[0].split()[1]) if lines else None

    def received(self) -> list[Received]:
        return [Received.parse(line) for line in self.lines()[1:]]

    def names(self) -> list[str]:
        return [entry.name for entry in self.received()]


def wait_for(condition: Callable[[], bool], what: str, exited: Callable[[], bool] = lambda: False) -> None:
    """Poll until `condition` holds; fail at once if the process it depends on has exited first."""
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if exited() and not condition():
            pytest.fail(f"nbsecrets exited before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.005)


def alive(pid: int) -> bool:
    """Whether `pid` still runs; a zombie (dead, not yet reaped by whoever adopted it) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel (zombies count as alive then)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


@pytest.fixture
def cleanup() -> Iterator[list[int]]:
    """Pids to SIGKILL after the test if they still run (children left behind by a failure)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def secret() -> str:
    get_store().create("openai", {"API_KEY": FAKE})
    return "openai"


def nbsecrets_run(*words: str) -> list[str]:
    return [sys.executable, "-m", "nbsecrets", "run", *words]


WITHOUT_SIGINFO = "import runpy, signal; del signal.sigtimedwait; runpy.run_module('nbsecrets', run_name='__main__')"
"""`python -c` this instead of `-m nbsecrets`: nbsecrets as on macOS, with sigwait but no siginfo."""


@pytest.fixture
def supervised(secret: str, tmp_path: Path, cleanup: list[int]) -> Callable[[], tuple[subprocess.Popen[str], Log]]:
    """Start `nbsecrets run openai -- <recorder>` in a session of its own; return it once the child is ready."""

    def start(*, siginfo: bool = True) -> tuple[subprocess.Popen[str], Log]:
        log = Log(tmp_path / "signals.log")
        argv = nbsecrets_run(secret, "--", sys.executable, "-c", RECORDER, str(log.path))
        if not siginfo:
            argv[1:3] = ["-c", WITHOUT_SIGINFO]
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )
        cleanup.append(process.pid)
        wait_for(lambda: log.child is not None, "the child was ready", lambda: process.poll() is not None)
        cleanup.append(log.child)  # type: ignore[arg-type]
        return process, log

    return start


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=HANG_GUARD)
    assert "Traceback" not in out + err and FAKE not in out + err
    return process.returncode, err


# -- signals --------------------------------------------------------------------------


@pytest.mark.parametrize("name", FORWARDED)
def test_a_signal_sent_to_nbsecrets_alone_reaches_the_child_once(supervised, name: str) -> None:
    process, log = supervised()
    os.kill(process.pid, getattr(signal, name))
    wait_for(lambda: name in log.names(), f"the child got {name}", lambda: process.poll() is not None)
    if name != "SIGTERM":
        os.kill(process.pid, signal.SIGTERM)  # the child stays up for anything else: now end it
    code, err = finish(process)
    expected = [(name, "kill() by nbsecrets")] + ([] if name == "SIGTERM" else [("SIGTERM", "kill() by nbsecrets")])
    assert [entry.by(process.pid) for entry in log.received()] == expected
    assert code == 0, err  # the child's status: no late KeyboardInterrupt, no "Interrupted" of nbsecrets' own
    assert err == ""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"])
def test_without_siginfo_as_on_macos_signals_a_terminal_does_not_send_are_passed_on(supervised, name: str) -> None:
    process, log = supervised(siginfo=False)
    os.kill(process.pid, getattr(signal, name))
    wait_for(lambda: name in log.names(), f"the child got {name}", lambda: process.poll() is not None)
    if name != "SIGTERM":
        os.kill(process.pid, signal.SIGTERM)
    code, err = finish(process)
    assert log.names() == [name] + ([] if name == "SIGTERM" else ["SIGTERM"])
    assert (code, err) == (0, "")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_killing_nbsecrets_even_with_sigkill_kills_the_child(supervised) -> None:
    process, log = supervised()
    child = log.child
    assert child is not None and alive(child)
    process.kill()
    process.communicate(timeout=HANG_GUARD)
    wait_for(lambda: not alive(child), "the child died with nbsecrets")


def test_the_signal_mask_is_restored_after_an_in_process_run(secret: str) -> None:
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert main(["run", secret, "--", sys.executable, "-c", "pass"]) == 0
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before


# -- on a terminal -------------------------------------------------------------------


def on_terminal(log: Log, secret: str, cleanup: list[int], *child_args: str) -> tuple[int, int]:
    """`nbsecrets run` on a new pseudo-terminal, leading its session as under `ssh -t`; (pid, master fd)."""
    import pty

    argv = nbsecrets_run(secret, "--", sys.executable, "-c", RECORDER, str(log.path), *child_args)
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execv(sys.executable, argv)
        finally:
            os._exit(127)
    cleanup.append(pid)
    wait_for(lambda: log.child is not None, "the child was ready", lambda: os.waitpid(pid, os.WNOHANG)[0] != 0)
    cleanup.append(log.child)  # type: ignore[arg-type]
    return pid, fd


def end_on_terminal(pid: int, fd: int | None) -> int:
    """SIGTERM to nbsecrets (passed on: the child exits), read the terminal to its end, reap nbsecrets."""
    os.kill(pid, signal.SIGTERM)
    if fd is not None:
        try:
            while select.select([fd], [], [], HANG_GUARD)[0] and os.read(fd, 4096):
                pass
        except OSError:  # EIO: the terminal's last user closed it
            pass
        finally:
            os.close(fd)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def press(fd: int, name: str) -> None:
    """Have the terminal send `name` to its foreground group (Ctrl-C, Ctrl-\\, a resize); return once it has."""
    if name == "SIGWINCH":
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))  # signals before returning
        return
    key, echo = {"SIGINT": (b"\x03", b"^C"), "SIGQUIT": (b"\x1c", b"^\\")}[name]
    os.write(fd, key)
    seen = b""
    while echo not in seen:  # the terminal echoes the key after it has sent the signal
        assert select.select([fd], [], [], HANG_GUARD)[0], f"no echo of {name}; so far {seen!r}"
        seen += os.read(fd, 4096)


def pending(pid: int) -> set[int]:
    """The signals sent to process `pid` that it has not taken yet."""
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("ShdPnd:"))
    mask = int(line.split()[1], 16)
    return {number for number in range(1, 65) if mask >> (number - 1) & 1}


TERMINAL_SIGNALS = ["SIGINT", "SIGQUIT", "SIGWINCH"]


@pytest.mark.parametrize("name", TERMINAL_SIGNALS)
def test_a_signal_from_the_terminal_reaches_the_child_once(
    secret: str, tmp_path: Path, cleanup: list[int], name: str
) -> None:
    # The terminal sends it to its whole foreground group, nbsecrets and the child alike:
    # passing it on as well would make it two. (Had nbsecrets passed it on before the child took
    # the first, the kernel would merge the two; the next test sees the rule without that race.)
    log = Log(tmp_path / "signals.log")
    pid, fd = on_terminal(log, secret, cleanup)
    press(fd, name)
    wait_for(lambda: name in log.names(), f"the child got {name}")
    assert end_on_terminal(pid, fd) == 0
    assert [entry.by(pid) for entry in log.received()] == [(name, "kernel"), ("SIGTERM", "kill() by nbsecrets")]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads pending signals in /proc")
@pytest.mark.parametrize("name", TERMINAL_SIGNALS)
def test_a_signal_from_the_terminal_is_not_passed_on(
    secret: str, tmp_path: Path, cleanup: list[int], name: str
) -> None:
    # The child leaves the foreground group, so only nbsecrets hears the terminal: anything the
    # child gets now came from nbsecrets. (A child that leaves the group, a job-control shell,
    # takes the terminal's foreground too, and then hears it directly.)
    log = Log(tmp_path / "signals.log")
    pid, fd = on_terminal(log, secret, cleanup, "own-group")
    press(fd, name)
    wait_for(lambda: getattr(signal, name) not in pending(pid), f"nbsecrets took {name}")
    os.kill(pid, signal.SIGUSR1)  # a marker: nbsecrets is done with the terminal's signal before it takes this
    wait_for(lambda: "SIGUSR1" in log.names(), "the child got SIGUSR1")
    assert end_on_terminal(pid, fd) == 0
    assert [entry.by(pid) for entry in log.received()] == [
        ("SIGUSR1", "kill() by nbsecrets"), ("SIGTERM", "kill() by nbsecrets")
    ]


def test_a_terminal_hangup_reaches_the_child_through_its_session_leader(
    secret: str, tmp_path: Path, cleanup: list[int]
) -> None:
    # A hangup is sent to the session's leader alone (here nbsecrets): it must be passed on.
    log = Log(tmp_path / "signals.log")
    pid, fd = on_terminal(log, secret, cleanup)
    os.close(fd)
    wait_for(lambda: "SIGHUP" in log.names(), "the child got SIGHUP")
    assert end_on_terminal(pid, None) == 0
    assert [entry.by(pid) for entry in log.received()] == [
        ("SIGHUP", "kill() by nbsecrets"), ("SIGTERM", "kill() by nbsecrets")
    ]


# -- exit codes ------------------------------------------------------------------------


def run_briefly(*words: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        nbsecrets_run(*words), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        start_new_session=True, timeout=HANG_GUARD, check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr and FAKE not in result.stdout + result.stderr
    return result


def test_the_childs_exit_status_is_passed_on(secret: str) -> None:
    result = run_briefly(secret, "--", sys.executable, "-c", "import sys; sys.exit(3)")
    assert result.returncode == 3, result.stderr


@pytest.mark.parametrize("name", ["SIGKILL", "SIGUSR1", "SIGTERM"])
def test_a_child_killed_by_signal_n_gives_128_plus_n(secret: str, name: str) -> None:
    number = getattr(signal, name)
    result = run_briefly(secret, "--", sys.executable, "-c", f"import os; os.kill(os.getpid(), {int(number)})")
    assert result.returncode == 128 + number, result.stderr


def test_a_missing_secret_is_125_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    result = run_briefly("nope", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')")
    assert result.returncode == 125
    assert result.stderr == "nbsecrets: error: Secret 'nope' not found in the local store; list shows the stored secrets.\n"
    assert not marker.exists()


def test_a_bad_source_is_125(secret: str) -> None:
    result = run_briefly(f"API_KEY={FAKE}", "--", "true")
    assert result.returncode == 125
    assert result.stderr.startswith("nbsecrets: error: Sources are names of secrets or files, not KEY=VALUE")


def test_a_missing_command_is_127(secret: str) -> None:
    result = run_briefly(secret, "--", "nbsecrets-no-such-command-xyz")
    assert result.returncode == 127
    assert result.stderr == "nbsecrets: error: command not found: nbsecrets-no-such-command-xyz\n"


def test_a_command_that_cannot_be_executed_is_126(secret: str, tmp_path: Path) -> None:
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    result = run_briefly(secret, "--", str(script))
    assert result.returncode == 126
    assert result.stderr.startswith(f"nbsecrets: error: cannot run {script}: ")
