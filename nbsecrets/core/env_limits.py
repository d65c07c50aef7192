"""Whether a new process could start with a given environment, checked before anything changes.

A value that passes the rules can still make a whole environment too large to
hand to a new program: `execve` then fails with E2BIG ("Argument list too
long") for `nbsecrets run`, and, after a `load`, for every subprocess the
kernel starts. `check_environment` refuses such an environment up front, naming
the key at fault and sizes only, never a value.

What is counted, per platform:

Linux (byte-exact; measured on Linux 6.18 with stack limits from 256 KiB to unlimited;
see `fs/exec.c`, `bprm_stack_limits`)
    * One string, `KEY=VALUE` with its NUL (and each argument), may hold at
      most MAX_ARG_STRLEN = 32 pages (131,072 bytes with 4 KiB pages), so
      `KEY=VALUE` itself at most 131,071 bytes.
    * All strings together -- the program's path as passed to execve, every
      argument and every `KEY=VALUE`, each with its NUL -- plus one pointer
      (8 bytes) per argument (at least one) and per variable, may take at most
      ``max(min(RLIMIT_STACK / 4, 3/4 of 8 MiB), 128 KiB)``: a quarter of the
      soft stack limit (`ulimit -s`), capped at 6 MiB since Linux 4.13, and
      never below the historical 32 pages (ARG_MAX = 131,072).
    * A `#!` script adds its interpreter's name, its optional argument and the
      script's path in place of argv[0]; that is counted for the command's
      first program (not for what `/usr/bin/env` starts in turn).

    The limit is computed from RLIMIT_STACK with the kernel's own formula
    rather than taken from ``os.sysconf("SC_ARG_MAX")``: glibc's value is the
    same on current systems (2,097,152 here with the default 8 MiB stack; 6 MiB
    with an unlimited one), but older glibc reports rlimit/4 without the 6 MiB
    cap (an unlimited stack would then look unlimited) and musl reports a fixed
    131,072, while the kernel decides by the formula. Older kernels (before
    the 5.x series) counted whole pages and may refuse up to a page sooner.

    Without a command (``argv=()``, what `load` checks: the programs a kernel
    will start later are unknown), the least any program needs is counted --
    a one-character path and the empty argv[0] the kernel supplies -- so an
    environment is refused exactly when no program at all could start with it.

macOS and other POSIX systems (not tested here)
    No limit per string; strings with their NULs plus one pointer each must fit
    in ``os.sysconf("SC_ARG_MAX")`` (1 MiB on macOS). The path is counted too,
    which errs on the safe side.

Windows (not tested here)
    One variable, `KEY=VALUE`, may hold at most 32,767 UTF-16 characters
    (CPython's `os.putenv` refuses more, as `SetEnvironmentVariable`
    documents). Since Windows Vista the environment block as a whole has no
    fixed limit, so no total is checked.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .errors import InvalidSecretError

LINUX_ARG_MAX = 131_072
"""include/uapi/linux/limits.h: the least a Linux exec ever allows for arguments and environment."""
LINUX_STK_LIM = 8 * 1024 * 1024
"""_STK_LIM: the argument space is capped at 3/4 of it (6 MiB) whatever the stack limit."""
LINUX_STRING_PAGES = 32
"""MAX_ARG_STRLEN = 32 pages: the most one argument or `KEY=VALUE` may take, NUL included."""
POINTER_BYTES = 8
"""What the kernel reserves per argv/envp entry (a 32-bit kernel reserves 4: counting 8 errs on the safe side)."""
BINPRM_BUF_SIZE = 256
"""How much of a file the kernel reads for its `#!` line."""
WINDOWS_MAX_ENV = 32_767
"""_MAX_ENV: the most UTF-16 characters one `KEY=VALUE` may hold on Windows."""
LARGEST_SHOWN = 3
"""How many of the largest keys a message about the total names."""


@dataclass(frozen=True)
class Limits:
    """What this platform allows a new process.

    `entry`: the most one `KEY=VALUE` may take, without its NUL, in `unit`
    (None: no such limit). `total`: the most, in bytes, that every string with
    its NUL plus one pointer per string may take (None: no such limit).
    """

    system: str
    entry: int | None
    total: int | None
    unit: str = "bytes"
    total_rule: str = ""


def platform_limits() -> Limits:
    """The limits of this machine, as they stand now (the stack limit can change them)."""
    if sys.platform.startswith("linux"):
        return Limits(
            "Linux",
            LINUX_STRING_PAGES * _page_size() - 1,
            _linux_total(),
            total_rule="a quarter of the stack size limit, ulimit -s, but at least 128 KiB and at most 6 MiB",
        )
    if os.name == "nt":
        return Limits("Windows", WINDOWS_MAX_ENV, None, unit="characters")
    system = "macOS" if sys.platform == "darwin" else sys.platform
    return Limits(system, None, _sysconf("SC_ARG_MAX"), total_rule="ARG_MAX")


def check_environment(
    env: Mapping[str, str],
    argv: Sequence[str] = (),
    *,
    added: Iterable[str] | None = None,
) -> None:
    """Raise InvalidSecretError if a process could not be started with `env` (running `argv`).

    `env` is the whole environment the process would get. `added` names the
    keys nbsecrets adds to it; by default, the keys whose value differs from
    this process's os.environ. Messages give key names and sizes, never values.
    """
    limits = platform_limits()
    if limits.entry is None and limits.total is None:
        return
    if added is None:
        ours = [key for key, value in env.items() if os.environ.get(key) != value]
    else:
        ours = list(dict.fromkeys(key for key in added if key in env))
    windows = limits.unit == "characters"
    sizes = {key: (_utf16_length if windows else _byte_length)(f"{key}={value}") for key, value in env.items()}

    if limits.entry is not None:
        over = [key for key in ours if sizes[key] > limits.entry]
        over += [key for key in sizes if sizes[key] > limits.entry and key not in over]
        if over:
            key = over[0]
            whose = "" if key in ours else " (already in the environment, not set by nbsecrets)"
            raise InvalidSecretError(
                f"{key}{whose} is too large for an environment variable: {key}=value is {sizes[key]} "
                f"{limits.unit}, and {limits.system} allows at most {limits.entry} for one variable "
                "(its name, '=' and value). Nothing was changed."
            )

    if limits.total is not None:
        environment = sum(size + 1 + POINTER_BYTES for size in sizes.values())
        command = _command_size(argv, env)
        total = environment + command
        if total > limits.total:
            shown = ours or list(sizes)
            largest = sorted(shown, key=lambda key: (-sizes[key], key))[:LARGEST_SHOWN]
            listed = ", ".join(f"{key} ({sizes[key]} bytes)" for key in largest)
            which = (
                "The largest keys nbsecrets adds" if ours else "None of it comes from nbsecrets; the largest variables"
            )
            program = "with the command" if argv else "with even the smallest program"
            rule = f" ({limits.total_rule})" if limits.total_rule else ""
            raise InvalidSecretError(
                f"The environment would be too large for a new program: {environment} bytes, {total} {program} "
                f"(each KEY=VALUE and argument with its NUL and an {POINTER_BYTES}-byte pointer), over the "
                f"{limits.total} bytes {limits.system} allows{rule}, so it would fail with 'Argument list too long'. "
                f"{which}: {listed}. Nothing was changed."
            )


def _command_size(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Bytes the command takes: the path execve gets, the arguments, their pointers, a script's `#!` line."""
    if not argv:
        # The least any program needs: a one-character path with its NUL, the
        # empty argv[0] the kernel supplies, and the one pointer it reserves.
        return 2 + 1 + POINTER_BYTES
    path = _program_path(argv[0], env)
    size = _byte_length(path) + 1 + sum(_byte_length(arg) + 1 for arg in argv) + POINTER_BYTES * len(argv)
    return size + _script_growth(path, argv[0])


def _program_path(program: str, env: Mapping[str, str]) -> str:
    """The path subprocess hands to execve: `program` itself if it names a directory, else its PATH match."""
    if os.path.dirname(program):
        return program
    return shutil.which(program, path=env.get("PATH", os.defpath)) or program


def _script_growth(path: str, argv0: str) -> int:
    """What the kernel adds for a `#!` script: interpreter, its argument and the script's path, less argv[0]."""
    try:
        with open(path, "rb") as file:
            head = file.read(BINPRM_BUF_SIZE)
    except OSError:
        return 0
    if not head.startswith(b"#!"):
        return 0
    line = head[2:].split(b"\n", 1)[0].strip(b" \t")
    if not line:
        return 0
    name, _, argument = line.replace(b"\t", b" ").partition(b" ")
    argument = argument.strip(b" ")
    growth = len(name) + 1 + (len(argument) + 1 if argument else 0)
    return growth + (_byte_length(path) + 1) - (_byte_length(argv0) + 1)


def _byte_length(text: str) -> int:
    """Bytes `text` takes in a process's environment or arguments (as subprocess encodes it)."""
    try:
        return len(os.fsencode(text))
    except UnicodeError:
        return len(text.encode("utf-8", "surrogatepass"))


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _page_size() -> int:
    size = _sysconf("SC_PAGE_SIZE")
    return size if size else 4096


def _sysconf(name: str) -> int | None:
    try:
        value = os.sysconf(name)
    except (AttributeError, ValueError, OSError):
        return None
    return value if value > 0 else None


def _linux_total() -> int:
    """fs/exec.c: max(min(stack rlimit / 4, _STK_LIM / 4 * 3), ARG_MAX)."""
    cap = LINUX_STK_LIM // 4 * 3
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
    except (ImportError, OSError, ValueError):
        return max(min(_sysconf("SC_ARG_MAX") or LINUX_ARG_MAX, cap), LINUX_ARG_MAX)
    quarter = cap if soft == resource.RLIM_INFINITY or soft < 0 else min(soft // 4, cap)
    return max(quarter, LINUX_ARG_MAX)
