"""The rules every secret name, key and value must follow.

Checked wherever data enters nbsecrets (sources, store, CLI, magics), so a bad
value is rejected before anything is stored or exported. Messages name the
name or key at fault, never a value.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from .display import shown
from .errors import InvalidSecretError

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WRITTEN_KEY = re.compile(r"[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*")
"""A key as people write one, all capitals or all lower case: a piece of a value cut off is mixed."""
MAX_VALUE_BYTES = 32_768
"""The most a value may take in UTF-8 (undecodable bytes os.environ carries as
surrogates count as the one byte each stands for). Whether a whole environment
fits a new process is checked separately, by env_limits.check_environment."""


def check_name(name: Any, *, what: str = "secret name") -> str:
    """A secret's (or a store's) name: 1-64 characters of letters, digits, '.', '_' and '-'."""
    if not isinstance(name, str):
        raise InvalidSecretError(f"A {what} must be a string, not {type(name).__name__}.")
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidSecretError(
            f"Invalid {what} {shown(name)!r}: use 1-64 characters of letters, digits, '.', '_' and '-'."
        )
    return name


def check_key(key: Any) -> str:
    """An environment variable name, portable across shells and platforms."""
    if not isinstance(key, str):
        raise InvalidSecretError(f"A key must be a string, not {type(key).__name__}.")
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidSecretError(
            f"Invalid key ({key_problem(key)}): a key starts with a letter or '_' and holds only letters, "
            "digits and '_'. It is not shown, as a word in the wrong place may be part of a value."
        )
    return key


def key_problem(key: str) -> str:
    """What is wrong with a key, told without the key: it may be a pasted value, or half of one."""
    if not key:
        return "it is empty"
    if key[0].isdigit():
        return "it starts with a digit"
    bad = next(character for character in key if not (character.isascii() and (character.isalnum() or character == "_")))
    if bad in "-.,:;/+=@ ":
        return f"it holds {bad!r}"
    return "it holds a character other than letters, digits and '_'"


def check_value(key: str, value: Any) -> str:
    """A value os.environ can hold, at most MAX_VALUE_BYTES in UTF-8."""
    if not isinstance(value, str):
        raise InvalidSecretError(f"The value of {key} must be a string, not {type(value).__name__}.")
    if "\x00" in value:
        raise InvalidSecretError(f"The value of {key} contains a NUL character, which no environment can hold.")
    try:
        size = len(value.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        raise InvalidSecretError(
            f"The value of {key} contains unpaired surrogate characters, which no environment can hold."
        ) from None
    if size > MAX_VALUE_BYTES:
        raise InvalidSecretError(f"The value of {key} is {size} bytes in UTF-8; the limit is {MAX_VALUE_BYTES} bytes.")
    return value


def check_env(env: Mapping[Any, Any], *, drop_none: bool = False) -> dict[str, str]:
    """Validate a whole mapping and return a plain dict copy (None values dropped if asked)."""
    if not isinstance(env, Mapping):
        raise InvalidSecretError(f"Expected a mapping of keys to values, not {type(env).__name__}.")
    checked: dict[str, str] = {}
    for key, value in env.items():
        check_key(key)
        if value is None and drop_none:
            continue
        checked[key] = check_value(key, value)
    return checked


def split_keys(option: str, text: str) -> list[str]:
    """`KEY[,KEY...]` as an option takes it (`--setting PGHOST,PGPORT`); empty is an error, not nothing."""
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys:
        raise InvalidSecretError(f"{option} needs KEY[,KEY...].")
    return [check_key(key) for key in keys]


def check_keys(keys: Any, what: str) -> tuple[str, ...]:
    """A list of key names. A lone string is refused: iterating it would
    silently turn "PGHOST" into the keys "P", "G", ..."""
    if isinstance(keys, str):
        raise InvalidSecretError(f"{what} must be a list of key names, not a single string.")
    if not isinstance(keys, Iterable):
        raise InvalidSecretError(f"{what} must be a list of key names, not {type(keys).__name__}.")
    return tuple(check_key(key) for key in keys)


def check_settings(settings: Any, keys: Iterable[str], owner: str, *, what: str = "settings") -> tuple[str, ...]:
    """The keys among `keys` that are settings, in the order of `keys`.

    Naming a key that is not there is an error rather than a no-op: a typo in
    a setting's name would otherwise leave nothing marked and nobody told.
    `owner` says whose keys they are ("secret 'db'"), `what` which argument
    named them ("settings", "--setting").
    """
    named = check_keys(settings, what)
    keys = tuple(keys)
    missing = [key for key in dict.fromkeys(named) if key not in keys]
    if missing:
        raise InvalidSecretError(f"{what} {', '.join(missing)}: not a key of {owner}.")
    chosen = set(named)
    return tuple(key for key in keys if key in chosen)
