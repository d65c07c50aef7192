"""Where `create` and `update` get values in a terminal: a hidden prompt, stdin.

The forms themselves, their order and every check before the first prompt
are the core's (`core.assignments`), shared with the magics and the panel.
"""

from __future__ import annotations

import getpass
import sys
import warnings

from ...core.assignments import Suppliers
from ...core.errors import CancelledError, InvalidSecretError
from .. import texts
from .console import say


def warn_history(keys: list[str]) -> None:
    say("warning", texts.inline_values(keys, "your shell history", "KEY=- to read it from stdin"))


def prompt(key: str) -> str:
    """A hidden prompt on the terminal; without one, refuse rather than read a secret with echo."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return getpass.getpass(texts.value_prompt(key))
        except getpass.GetPassWarning:
            raise InvalidSecretError(
                f"Cannot prompt for {key} without a terminal; pipe the value in with {key}=- instead."
            ) from None
        except (EOFError, KeyboardInterrupt):
            sys.stderr.write("\n")  # the cursor is still after the prompt
            raise CancelledError(texts.cancelled_at(key)) from None


def read_stdin(key: str) -> str:
    """All of stdin (the core drops the one trailing newline `echo` adds, and refuses an empty value)."""
    if sys.stdin is None:
        raise InvalidSecretError(f"{key}=- reads the value from stdin, but stdin is closed.")
    if sys.stdin.isatty():
        print(f"Type or paste the value of {key}, then press Ctrl-D (it is shown as you type; "
              f"`{key}` alone prompts without echo):", file=sys.stderr)
    try:
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise InvalidSecretError(f"The value of {key} on stdin is not valid text.") from None
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        raise CancelledError(texts.cancelled_at(key)) from None


SUPPLIERS = Suppliers(ask=prompt, read_stdin=read_stdin, on_inline=warn_history)
"""Where values come from in a terminal (no `environ`: the shell has already expanded `$VAR`)."""


def ask_new_passphrase() -> str:
    """The new passphrase of `rotate-key --new-passphrase`, typed twice without echo."""
    first = _hidden(texts.NEW_PASSPHRASE, "the new passphrase")
    if not first.strip():
        raise InvalidSecretError("The new passphrase is empty; nothing was changed.")
    if _hidden(texts.REPEAT_PASSPHRASE, "the new passphrase") != first:
        raise InvalidSecretError("The two passphrases differ; nothing was changed.")
    return first


def _hidden(question: str, what: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return getpass.getpass(question)
        except getpass.GetPassWarning:
            raise InvalidSecretError(
                f"Cannot prompt for {what} without a terminal; set NBSECRETS_NEW_PASSPHRASE instead."
            ) from None
        except (EOFError, KeyboardInterrupt):
            sys.stderr.write("\n")
            raise CancelledError("Cancelled; nothing was changed.") from None
