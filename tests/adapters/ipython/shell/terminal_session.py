"""Driving a real terminal ``ipython``: through its stdin, with pipes for stdout and stderr, or on a pty."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TERM_KEY = "sk-test-T3rm1nalK3yZ9xQ7wV5uR2pL8nM4"

# One statement per line: the simple prompt runs each line as a cell.
SESSION = [
    "import logging, sys, time, warnings",
    # A handler made before loading holds the original sys.stderr itself.
    'early = logging.getLogger("early"); early.propagate = False',
    "early.addHandler(logging.StreamHandler(sys.stderr))",
    "{load}",
    "import nbsecrets",
    f'KEY = bytes.fromhex("{TERM_KEY.encode().hex()}").decode(); nbsecrets.mask(KEY, name="TERM_KEY")',
    'print(f"@@T1 {KEY} T1@@")',
    'print(f"@@T2 {KEY} T2@@", file=sys.stderr)',
    'f"@@T3 {KEY} T3@@"',
    'raise ValueError(f"@@T4 {KEY} T4@@")',
    "def leaky(): pass",
    # Longer than the screen (LINES=5): IPython pipes it into $PAGER, bypassing sys.stdout.
    'leaky.__doc__ = "\\n".join([f"@@T5 {KEY} T5@@"] + ["filler line"] * 40)',
    "leaky?",
    'early.warning("@@T6 %s T6@@", KEY)',
    'warnings.warn(f"@@T7 {KEY} T7@@")',
    # One character at a time, with a pause longer than the release deadline in the middle.
    'for ch in f"@@T8 {KEY} T8@@": print(ch, end="", flush=True); time.sleep(0.8 if ch == "4" else 0)',
    "",
    "print()",
    'display(f"@@T9 {KEY} T9@@")',
    "exit",
]


@dataclass
class TerminalRun:
    stdout: str
    stderr: str
    pager: str

    @property
    def text(self) -> str:
        return "\n".join((self.stdout, self.stderr, self.pager))


def run_terminal_ipython(workdir: Path, load: bool) -> TerminalRun:
    """Run SESSION in a real ``ipython`` whose stdin, stdout and stderr are pipes."""
    workdir.mkdir(parents=True, exist_ok=True)
    pager = workdir / "pager.txt"
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(
        TERM="vt100",
        LINES="5",
        COLUMNS="80",
        PAGER=f"cat > {pager}",
        IPYTHONDIR=str(workdir / "ipython"),
        NBSECRETS_HOME=str(workdir / "home"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    script = "\n".join(SESSION).replace("{load}", "%load_ext nbsecrets" if load else "pass") + "\n"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "IPython",
            "--simple-prompt",
            "--no-banner",
            "--colors=NoColor",
            "--HistoryManager.hist_file=:memory:",
        ],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return TerminalRun(proc.stdout, proc.stderr, pager.read_text() if pager.exists() else "")


# -- an interactive terminal IPython on a pseudo-terminal ------------------------------------------

ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
TIMEOUT = 60
CTRL_C = b"\x03"
CTRL_D = b"\x04"


class PtyIPython:
    """A real, prompt_toolkit ``ipython`` whose terminal is a pty, typed at as a person would.

    The pty is the child's controlling terminal, so getpass reads it with echo off and Ctrl-C
    is the terminal's SIGINT. What the terminal shows is read with escape sequences removed.
    """

    def __init__(self, workdir: Path) -> None:
        import fcntl
        import pty
        import struct
        import termios

        workdir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        env.update(
            TERM="xterm",
            PROMPT_TOOLKIT_NO_CPR="1",  # no cursor-position query left waiting for an answer
            IPYTHONDIR=str(workdir / "ipython"),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        argv = [
            sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", "--no-confirm-exit",
            "--HistoryManager.hist_file=:memory:", "--TerminalInteractiveShell.autosuggestions_provider=None",
        ]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))  # wide: no wrapped lines
                os.chdir(workdir)
                os.execve(sys.executable, argv, env)
            finally:
                os._exit(127)
        self.screen = b""  # everything shown so far, escape sequences removed
        self._raw = b""
        self.read = 0  # how much of `screen` earlier expects consumed
        self.prompts = 0

    def _pump(self) -> None:
        ready, _, _ = select.select([self.fd], [], [], TIMEOUT)  # a guard against a hang, not a timing check
        assert ready, f"ipython went silent; the screen so far: {self.screen[-2000:]!r}"
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            raise EOFError(self.screen[-2000:])
        self._raw += chunk
        self.screen = ESCAPES.sub(b"", self._raw)

    def expect(self, token: str) -> str:
        """Wait until `token` is shown; the text shown from the last expect up to and including it."""
        wanted = token.encode()
        while wanted not in self.screen[self.read :]:
            self._pump()
        end = self.screen.index(wanted, self.read) + len(wanted)
        text, self.read = self.screen[self.read : end], end
        return text.decode("utf-8", "replace")

    def prompt(self) -> str:
        """Wait for the next ``In [n]:``; what was shown before it."""
        self.prompts += 1
        return self.expect(f"In [{self.prompts}]:")

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode() + b"\r")

    def press(self, key: bytes) -> None:
        os.write(self.fd, key)

    def close(self) -> int:
        """Exit ipython; its exit code."""
        try:
            self.type("exit")
            while True:
                self._pump()
        except (EOFError, OSError):
            pass
        finally:
            os.close(self.fd)
            _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)
