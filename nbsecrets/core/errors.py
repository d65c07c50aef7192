"""The errors nbsecrets raises, one small hierarchy.

Each class exists because a user acts differently on it; each message says
what went wrong and what to do, and never carries a secret value.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from typing import Iterable


class NbSecretsError(Exception):
    """Base of every error nbsecrets raises on purpose."""


class InvalidSecretError(NbSecretsError, ValueError):
    """A name, key or value breaks the rules, or a source is misused."""


class SecretNotFoundError(NbSecretsError, LookupError):
    """A stored secret, a store or a .env file that was asked for does not exist."""

    def __init__(self, message: str, *, name: str | None = None, suggestions: Iterable[str] = ()):
        self.name = name
        self.suggestions = list(suggestions)
        if self.suggestions:
            message += " Did you mean: " + ", ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(message)


class MissingKeysError(NbSecretsError, LookupError):
    """A source resolved without keys that were declared required."""

    def __init__(self, source: str, missing: Iterable[str]):
        self.source = source
        self.missing = sorted(missing)
        super().__init__(
            f"{source} is missing required key{'s' if len(self.missing) > 1 else ''}: "
            + ", ".join(self.missing)
        )


class AlreadyExistsError(NbSecretsError):
    """Creating a secret that exists; pass overwrite/--force to replace it."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(
            f"Secret {name!r} already exists. Use update to change some of its keys, "
            "or --force (overwrite=True in Python) to replace it."
        )


class DotenvError(InvalidSecretError):
    """A .env file has lines that cannot be parsed (python-dotenv would skip them silently)."""


class KeyUnavailableError(NbSecretsError):
    """The vault key cannot be found, stored, or does not match the vault."""


class VaultCorruptError(NbSecretsError):
    """The vault file is truncated, damaged or was tampered with; it is left as it is."""


class StoreUnavailableError(NbSecretsError):
    """A store cannot be used at all: its folder is missing behind a link, its disk refused a write,
    its server does not answer, or it refused the token.

    Whatever was stored before is left as it was; the message names the place.
    """


class AccessDeniedError(NbSecretsError, PermissionError):
    """A store refused this operation on this path to the credentials given (a team store's policy).

    Other paths and other stores may still work; the message names the path and
    the operation, never the token.
    """


class ConfigError(NbSecretsError, ValueError):
    """The configuration of a store (config.toml or the variables naming a server) is wrong; the message names where."""


class CancelledError(NbSecretsError):
    """The user stopped at a prompt or a question (Ctrl-C, Ctrl-D); nothing was changed."""


class NbSecretsWarning(UserWarning):
    """Something works but is weaker than it should be (e.g. a key kept in a plain file)."""


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PASSED_OVER = (_PACKAGE, os.path.abspath(contextlib.__file__))


def warn(message: str) -> None:
    """Warn with NbSecretsWarning, pointing at the first caller outside nbsecrets
    (the line a user can act on, not a line of ours)."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PASSED_OVER):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, NbSecretsWarning, stacklevel=level)
