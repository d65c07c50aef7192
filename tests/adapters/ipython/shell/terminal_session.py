"""Driving a real terminal ``ipython`` through its stdin, with pipes for stdout and stderr."""

from __future__ import annotations

import os
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
