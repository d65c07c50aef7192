"""What nbsecrets keeps in a KV v2 secret's custom_metadata: its keys, in order, and which are settings.

The data of a secret is exactly its KEY=value pairs, so `bao kv get` shows
what nbsecrets wrote and a secret written by another tool can be loaded. The
key names live in metadata too, so a listing never has to fetch values; and
the settings flag can live nowhere else. KV v2 returns data as a JSON object
with its keys sorted, so the order a user gave is kept here as well.

Data and metadata are written by two requests, and two writers may cross:
each version is described by entries of its own (`nbsecrets.v7.keys.0`),
added with a merge patch that leaves every other entry alone, so a writer
that is slow to describe version 7 cannot erase the description of version
8. Each writer removes the descriptions of versions older than its own. A
description names the creation time of the version it describes, so one
that lands after the secret was deleted and made anew (its versions counting
from 1 again) describes nothing. A version with no description (written by
another tool, or by a writer that has not finished) is read from its data
with every key masked: an untrusted "setting" flag must not leave a value
unmasked.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from typing import Iterable, Mapping, NamedTuple

from ...core.errors import InvalidSecretError

PREFIX = "nbsecrets."
_ENTRY = re.compile(r"nbsecrets\.v(\d+)\.(keys\.\d+|settings\.\d+|created)")
VALUE_LIMIT = 512
"""Bytes in one custom_metadata value (the server's limit); long key lists take several entries."""
ENTRY_LIMIT = 64
"""Entries in custom_metadata (the server's limit), nbsecrets' and everyone else's."""


class Described(NamedTuple):
    """The keys of one version, in order, and which are settings."""

    keys: tuple[str, ...]
    settings: tuple[str, ...]


def entries(version: int, created: str | None, keys: Iterable[str], settings: Iterable[str]) -> dict[str, str]:
    """The custom_metadata entries describing `version`, created at `created` (the server's words)."""
    return {
        f"{PREFIX}v{version}.created": created or "",
        **_chunks(f"{PREFIX}v{version}.keys.", keys),
        **_chunks(f"{PREFIX}v{version}.settings.", settings),
    }


def check_room(keys: Iterable[str], settings: Iterable[str], current: Mapping[str, str] | None, version: int) -> None:
    """Before writing `version`: its description will fit beside what stays (other tools' entries, and
    descriptions of newer versions a faster writer made), within the server's limits."""
    keys = list(keys)
    long = [key for key in keys if len(key.encode()) > VALUE_LIMIT]
    if long:
        raise InvalidSecretError(
            f"A key of more than {VALUE_LIMIT} bytes cannot be described in a team store (metadata values are "
            "limited to that); nothing was written."
        )
    others = [name for name in (current or {}) if not name.startswith(PREFIX) or _version_of(name) > version]
    needed = len(entries(0, "", keys, settings))
    if len(others) + needed > ENTRY_LIMIT:
        raise InvalidSecretError(
            f"Too many keys for a team store secret: describing them takes {needed} metadata entries, and with "
            f"the {len(others)} other tools keep there the server's limit of {ENTRY_LIMIT} would be passed; "
            "nothing was written."
        )


def patch(
    version: int, created: str | None, keys: Iterable[str], settings: Iterable[str], current: Mapping[str, str] | None
) -> dict[str, str | None]:
    """A merge patch that describes `version` and removes what described older versions (null deletes).

    Entries of newer versions (a writer that overtook this one) and other
    tools' entries are not touched.
    """
    removed: dict[str, str | None] = {
        name: None for name in (current or {}) if name.startswith(PREFIX) and _version_of(name) <= version
    }  # a stale description of this very version number (one made before a delete) goes too
    return {**removed, **entries(version, created, keys, settings)}


def decode(
    custom: Mapping[str, str] | None, version: int, created: str | None, data_keys: Iterable[str] | None
) -> Described | None:
    """The keys and settings of `version` (created at `created`), or None when the metadata does not describe it.

    With `data_keys` (the data of that version was read), keys the metadata
    does not list are added at the end and keys the data lacks are dropped.
    """
    custom = custom or {}
    keys = _joined(custom, f"{PREFIX}v{version}.keys.")
    if not keys or custom.get(f"{PREFIX}v{version}.created") != (created or ""):
        return None
    settings = set(_joined(custom, f"{PREFIX}v{version}.settings."))
    if data_keys is not None:
        present = list(data_keys)
        keys = [key for key in keys if key in present] + [key for key in present if key not in keys]
    return Described(tuple(keys), tuple(key for key in keys if key in settings))


def _version_of(name: str) -> int:
    """The version an nbsecrets entry describes; -1 for one this layout does not know (always replaced)."""
    match = _ENTRY.fullmatch(name)
    return int(match.group(1)) if match else -1


def _chunks(prefix: str, names: Iterable[str]) -> dict[str, str]:
    chunks: list[str] = []
    for name in names:
        if chunks and len(chunks[-1].encode()) + 1 + len(name.encode()) <= VALUE_LIMIT:
            chunks[-1] += "," + name
        else:
            chunks.append(name)
    return {f"{prefix}{index}": chunk for index, chunk in enumerate(chunks)}


def _joined(custom: Mapping[str, str], prefix: str) -> list[str]:
    names: list[str] = []
    index = 0
    while isinstance(custom.get(f"{prefix}{index}"), str):
        names.extend(name for name in custom[f"{prefix}{index}"].split(",") if name)
        index += 1
    return names


BYTES_MARK = "nbsecrets-bytes:"
"""Starts a value kept as base64 because it is not UTF-8 text (bytes os.environ carries as surrogates),
which JSON, and so the server, cannot hold. A value that itself starts with the mark is kept the same way,
so reading back is never ambiguous."""


def to_data(env: Mapping[str, str]) -> dict[str, str]:
    """The KV data for `env`: text as it is, anything JSON would change as base64 after BYTES_MARK."""
    return {key: _stored(value) for key, value in env.items()}


def from_data(data: Mapping[str, object]) -> dict[str, str]:
    """The variables a KV data object holds (the inverse of `to_data`). Another client may have written
    JSON that is not a string (a number, true, an object): its JSON text is the value."""
    return {
        str(key): _loaded(value) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        for key, value in data.items()
    }


def _stored(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        if not value.startswith(BYTES_MARK):
            return value
    raw = value.encode("utf-8", "surrogateescape")
    return BYTES_MARK + base64.b64encode(raw).decode("ascii")


def _loaded(value: str) -> str:
    if not value.startswith(BYTES_MARK):
        return value
    try:
        return base64.b64decode(value[len(BYTES_MARK):], validate=True).decode("utf-8", "surrogateescape")
    except ValueError:
        return value


EPOCH = datetime.fromtimestamp(0, timezone.utc)


def timestamp(text: object) -> datetime:
    """An RFC 3339 time from the server (nanoseconds, `Z`) as an aware UTC datetime; the epoch for
    anything else (which makes a deletion time one that has passed, and a version old)."""
    if not isinstance(text, str) or not text:
        return EPOCH
    head = text.rstrip("Z").partition("+")[0]
    date, dot, fraction = head.partition(".")
    try:
        moment = datetime.fromisoformat(date + (dot + fraction[:6].ljust(6, "0") if dot else ""))
    except ValueError:
        return EPOCH
    return moment.replace(tzinfo=timezone.utc)
