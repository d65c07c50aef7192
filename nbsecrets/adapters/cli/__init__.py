"""The `nbsecrets` command: `modal secret` for the local vault, plus `run`.

Parsing, prompting and printing live here; every rule, lookup and change is
the core's. Whatever happens, the user sees one line per problem on stderr,
never a traceback and never a value.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from typing import Any, Callable, Sequence

from ...core.errors import CancelledError, NbSecretsError, NbSecretsWarning
from ...core.store.keys import forced_source
from ..texts import os_failure
from ..warning_lines import format_line, is_ours
from .arguments import parse_args
from .console import EXIT_USAGE, UsageError, say, usage_failure

EXIT_INTERRUPTED = 130

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status (the console script exits with it)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    fallback = warnings.showwarning
    with warnings.catch_warnings():
        warnings.simplefilter("always", NbSecretsWarning)  # the core already says each one once
        warnings.showwarning = _warning_printer(fallback)
        return _dispatch(arguments)


def _warning_printer(fallback: Callable[..., None]) -> Callable[..., None]:
    """Core warnings are advice for the user: they read like the CLI's own lines, without file and line."""

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if is_ours(category):
            sys.stderr.write(format_line(message))
        else:
            fallback(message, category, filename, lineno, file, line)

    return show


def _dispatch(arguments: list[str]) -> int:
    args: argparse.Namespace | None = None
    try:
        args = parse_args(arguments)
        forced_source()  # an invalid NBSECRETS_KEY_SOURCE is an error for every command, not only the store's
        return args.handler(args)
    except SystemExit as exc:  # argparse: --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except CancelledError as exc:
        say("error", str(exc))
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        sys.stderr.write("\n")  # after the ^C the terminal echoed
        say("error", "Interrupted; nothing was changed.")
        return EXIT_INTERRUPTED
    except UsageError as exc:
        if args is None:
            say("error", str(exc))
        else:
            usage_failure(args.parser, str(exc))
        return EXIT_USAGE
    except NbSecretsError as exc:
        say("error", str(exc))
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:
        say("error", os_failure(exc))
    except Exception as exc:  # its message could hold anything, so only its type is shown
        say("error", f"unexpected {type(exc).__name__}; this is a bug in nbsecrets, please report it.")
    return 1


def _silence_stdout() -> None:
    """The reader went away (`nbsecrets list | head`): drop the rest rather than fail again at exit."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
