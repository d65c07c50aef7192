"""What a run of the `nbsecrets` command gave, and the checks every CLI test makes of it.

The `nbs` fixture (tests/conftest.py) runs `main(argv)` in-process and
returns a `Result`; subprocess runs give a CompletedProcess, which the
helpers accept too.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err

    def error_line(self) -> str:
        return error_line(self)


def _err(result: Result | subprocess.CompletedProcess[str]) -> str:
    return result.err if isinstance(result, Result) else result.stderr


def error_line(result: Result | subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (warnings aside, and the bare newline a
    cancelled prompt writes to end the line the prompt left open)."""
    err = _err(result)
    lines = [line for line in err.splitlines() if line and not line.startswith("nbsecrets: warning:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("nbsecrets: error: "), err
    return lines[0]


def errors(result: Result) -> list[str]:
    """Every error line, for commands that may report more than one problem."""
    return [line for line in result.err.splitlines() if line.startswith("nbsecrets: error:")]


def assert_clean(result: Result | subprocess.CompletedProcess[str], *values: str) -> None:
    """No traceback, and none of `values` anywhere in the output."""
    output = result.both if isinstance(result, Result) else result.stdout + result.stderr
    assert "Traceback" not in output
    for value in values:
        assert value not in output


def cli(*argv: str, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    """The real command in a new session (no controlling terminal), with this process's environment;
    stdin=None means /dev/null."""
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
