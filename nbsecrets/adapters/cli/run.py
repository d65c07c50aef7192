"""`nbsecrets run`: a command with secrets in its environment, its exit status passed on.

Sources are parsed and merged by the core exactly as `nbsecrets.load` does
(in order, the later winning); nothing is written to this process's
environment, only to the child's.

nbsecrets stays as the child's parent, like a shell-less supervisor (tini,
dumb-init), so that the child never outlives it holding the secrets:

- SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH sent to
  nbsecrets with kill() are passed on to the child. The ones a terminal sends
  (Ctrl-C, Ctrl-\\, a resize) already reach the whole foreground process group,
  the child included, so they are not sent a second time; the child stays in
  that group, so interactive commands keep the terminal. A kill() aimed at the
  whole group (`kill -INT -PGID`) cannot be told apart from one aimed at
  nbsecrets alone, and reaches the child twice. Where the kernel does not say
  who sent a signal (macOS), SIGINT, SIGQUIT and SIGWINCH are taken to be the
  terminal's, and only the others are passed on.
- On Linux the child gets SIGKILL when nbsecrets dies, even of SIGKILL (a
  parent-death signal; strictly, when the thread that started it ends, which
  waits for the child). That covers the child itself, not the processes it
  starts, and Linux drops it when the child executes a set-user-ID program
  such as sudo. Elsewhere there is no such signal: if nbsecrets is killed
  with SIGKILL, the child keeps running, orphaned.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from typing import Callable

from ...core.env_limits import check_environment
from ...core.environment import merge, resolve_all
from ...core.errors import NbSecretsError
from ...core.source_spec import parse_sources
from ..texts import os_failure
from .console import say

EXIT_RUN_FAILED = 125
"""nbsecrets itself failed (a missing secret, a bad source) and ran nothing, as for `env` and `docker run`."""
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127

FORWARDED = frozenset(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH")
    if hasattr(signal, name)
)
_FROM_TERMINALS = FORWARDED & frozenset(getattr(signal, name, 0) for name in ("SIGINT", "SIGQUIT", "SIGWINCH"))
"""What a terminal sends its foreground group: Ctrl-C, Ctrl-\\, a resize."""
_POLL_SECONDS = 1.0
"""How long to wait for a signal before looking at the child anyway (see `_next_signal`)."""
_PR_SET_PDEATHSIG = 1


def run(args: argparse.Namespace) -> int:
    try:
        final, _ = merge(resolve_all(parse_sources(args.sources, store=args.store)), lambda key: None)
        env = {**os.environ, **final}
        check_environment(env, args.command, added=final)
    except NbSecretsError as exc:
        say("error", str(exc))
        return EXIT_RUN_FAILED
    except OSError as exc:  # reading the vault or a .env file
        say("error", os_failure(exc))
        return EXIT_RUN_FAILED
    return spawn(args.command, env)


def spawn(command: list[str], env: dict[str, str]) -> int:
    """Run `command` and return its status as a shell would: 128+N when killed by signal N.

    The signals to pass on (and SIGCHLD) are blocked before the child exists, so none is
    lost or delivered as a KeyboardInterrupt between the fork and the wait.
    """
    waited = _signals_to_wait_for()
    original = signal.pthread_sigmask(signal.SIG_BLOCK, waited) if waited else None
    try:
        try:
            process = subprocess.Popen(command, env=env, preexec_fn=_child_setup(original))
        except FileNotFoundError:
            say("error", f"command not found: {command[0]}")
            return EXIT_NOT_FOUND
        except OSError as exc:
            say("error", f"cannot run {command[0]}: {exc.strerror or type(exc).__name__}")
            return EXIT_CANNOT_EXECUTE
        status = _supervise(process, waited) if waited else process.wait()
    finally:
        if original is not None:
            _drain(waited - original)
            signal.pthread_sigmask(signal.SIG_SETMASK, original)
    return status if status >= 0 else 128 - status


def _signals_to_wait_for() -> frozenset[int]:
    """FORWARDED and SIGCHLD, or nothing where they cannot be waited for.

    Only in the main thread: the mask is per thread, and a signal sent to the process goes
    to a thread that does not block it (Python runs handlers in the main thread). Elsewhere,
    and on platforms without sigwait, the child is simply waited for.
    """
    usable = all(hasattr(signal, name) for name in ("pthread_sigmask", "sigwait", "sigpending"))
    if not usable or threading.current_thread() is not threading.main_thread():
        return frozenset()
    return FORWARDED | {signal.SIGCHLD}


def _supervise(process: subprocess.Popen[bytes], waited: frozenset[int]) -> int:
    """Wait for the child, passing on the signals meant for it, and return its status."""
    while True:
        signum, meant_for_the_child = _next_signal(waited)
        if signum is not None and signum != signal.SIGCHLD:
            if meant_for_the_child:
                process.send_signal(signum)
            continue
        status = process.poll()
        if status is not None:
            return status


def _next_signal(waited: frozenset[int]) -> tuple[int | None, bool]:
    """The next signal (None after a while without one), and whether the child did not get it itself.

    The timeout is a safety net: should another thread take the SIGCHLD (it does not block
    it), the child's exit is still seen. Without sigtimedwait (macOS) nothing says who sent
    a signal, so the ones a terminal sends are taken to be the terminal's.
    """
    if not hasattr(signal, "sigtimedwait"):
        signum = signal.sigwait(waited)
        return signum, signum not in _FROM_TERMINALS
    info = signal.sigtimedwait(waited, _POLL_SECONDS)
    return (None, False) if info is None else (info.si_signo, _meant_for_the_child(info))


def _meant_for_the_child(info: signal.struct_siginfo) -> bool:
    """Whether the child did not get this signal itself.

    si_code <= 0 (SI_USER, SI_QUEUE, SI_TKILL): someone called kill() on nbsecrets. Above 0
    (SI_KERNEL): the terminal sent it to its whole foreground group, the child included;
    except a hangup, which the kernel sends to the session's leader alone, so when nbsecrets
    leads its session (`ssh -t host nbsecrets run ...`) the child would not hear of it.
    """
    if info.si_code <= 0:
        return True
    return info.si_signo == getattr(signal, "SIGHUP", None) and os.getsid(0) == os.getpid()


def _drain(signals: frozenset[int]) -> None:
    """Take the signals that came after the child's exit, before unblocking them would
    deliver them here (a late KeyboardInterrupt); those the caller had blocked stay pending."""
    while pending := signal.sigpending() & signals:
        signal.sigwait(pending)


def _child_setup(mask: set[int] | None) -> Callable[[], None] | None:
    """What the child does between fork and exec: take back the signal mask nbsecrets was
    started with (exec keeps the mask), and on Linux ask to be killed when nbsecrets dies."""
    die_with_parent = _parent_death_signal()
    if mask is None and die_with_parent is None:
        return None
    parent = os.getpid()

    def setup() -> None:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if die_with_parent is not None:
            die_with_parent()
            if os.getppid() != parent:  # nbsecrets died before that: no signal will come
                os._exit(EXIT_RUN_FAILED)

    return setup


def _parent_death_signal() -> Callable[[], object] | None:
    """On Linux, a call that has the kernel SIGKILL the caller when its parent dies.

    libc is looked up here, before the fork: loading it in the child could deadlock.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        import ctypes.util

        try:
            prctl = ctypes.CDLL(None).prctl  # libc is already loaded into Python
        except AttributeError:
            prctl = ctypes.CDLL(ctypes.util.find_library("c")).prctl
    except (ImportError, OSError, AttributeError):
        return None
    sigkill = ctypes.c_ulong(signal.SIGKILL)  # prctl's second argument is an unsigned long
    return lambda: prctl(_PR_SET_PDEATHSIG, sigkill)
