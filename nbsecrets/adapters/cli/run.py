"""`nbsecrets run`: a command with secrets in its environment, its exit status passed on.

Sources are parsed and merged by the core exactly as `nbsecrets.load` does
(in order, the later winning); nothing is written to this process's
environment, only to the child's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import threading
from typing import Any, Iterator

from ...core.environment import merge, resolve_all
from ...core.source_spec import parse_sources
from .console import say

EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127


def run(args: argparse.Namespace) -> int:
    final, _ = merge(resolve_all(parse_sources(args.sources, store=args.store)), lambda key: None)
    return spawn(args.command, {**os.environ, **final})


def spawn(command: list[str], env: dict[str, str]) -> int:
    """Run `command` and return its status as a shell would: 128+N when killed by signal N."""
    try:
        process = subprocess.Popen(command, env=env)
    except FileNotFoundError:
        say("error", f"command not found: {command[0]}")
        return EXIT_NOT_FOUND
    except OSError as exc:
        say("error", f"cannot run {command[0]}: {exc.strerror or type(exc).__name__}")
        return EXIT_CANNOT_EXECUTE
    with _signals_for(process):
        status = process.wait()
    return status if status >= 0 else 128 - status


@contextlib.contextmanager
def _signals_for(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """Ctrl-C reaches the child from the terminal too: let it decide, and wait for it.
    SIGTERM or SIGHUP sent to this process alone are passed on rather than orphaning the child.
    (Python handlers are reset by exec, so the child still gets the default ones.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers: dict[int, Any] = {signal.SIGINT: lambda signum, frame: None}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            handlers[getattr(signal, name)] = lambda signum, frame: process.send_signal(signum)
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
