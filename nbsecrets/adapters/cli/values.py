"""Where `create` and `update` get values in a terminal: a hidden prompt, stdin.

The forms themselves (`KEY`, `KEY=-`, `KEY=VALUE`, `--from-dotenv`,
`--from-json`, `--template`, `--setting`, `--secret`), their order and every
check before the first prompt are the core's, shared with the magics.
"""

from __future__ import annotations

import getpass
import sys
import warnings

from ...core.errors import InvalidSecretError
from .console import say

def value_tokens(items: list[tuple[str, str]]) -> list[str]:
    """`items` are ("item", "KEY[=...]") or (option, argument), in command-line order."""
    tokens: list[str] = []
    for kind, text in items:
        tokens.extend([text] if kind == "item" else [kind, text])
    return tokens


def warn_history(keys: list[str]) -> None:
    key = keys[0]
    say(
        "warning",
        f"the value of {', '.join(keys)} was given on the command line, so it is now in your shell history; "
        f"next time use `{key}` alone to be prompted for it, or `{key}=-` to read it from stdin.",
    )


def prompt(key: str) -> str:
    """A hidden prompt on the terminal; without one, refuse rather than read a secret with echo."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return getpass.getpass(f"{key}: ")
        except getpass.GetPassWarning:
            raise InvalidSecretError(
                f"Cannot prompt for {key} without a terminal; pipe the value in with {key}=- instead."
            ) from None
        except EOFError:
            raise InvalidSecretError(f"No value entered for {key}.") from None


def read_stdin(key: str) -> str:
    """All of stdin (the core drops the one trailing newline `echo` adds)."""
    if sys.stdin is None:
        raise InvalidSecretError(f"{key}=- reads the value from stdin, but stdin is closed.")
    if sys.stdin.isatty():
        print(f"Type or paste the value of {key}, then press Ctrl-D (it is shown as you type; "
              f"`{key}` alone prompts without echo):", file=sys.stderr)
    try:
        text = sys.stdin.read()
    except UnicodeDecodeError:
        raise InvalidSecretError(f"The value of {key} on stdin is not valid text.") from None
    if not text:
        raise InvalidSecretError(f"Nothing on stdin for {key}=-.")
    return text


SUPPLIERS = {"ask": prompt, "read_stdin": read_stdin, "on_inline": warn_history}
"""Where values come from in a terminal, for the core's create/update."""
