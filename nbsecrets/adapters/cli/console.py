"""What the CLI writes, and how it fails: one line per problem, never a value.

Every line written to stderr goes through the output masker, so even an
unforeseen message cannot carry a registered value to the terminal.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from ...core.masking import get_masker
from ...core.store import SecretInfo
from ..listing import key_list, local_time, secrets_table

PROG = "nbsecrets"
EXIT_USAGE = 2

_PAIR = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)=[^\s']+")


class UsageError(Exception):
    """Arguments argparse accepted that make no sense together; exits 2 like argparse's own errors."""


def say(kind: str, message: str) -> None:
    """`nbsecrets: error: ...` or `nbsecrets: warning: ...`, on one masked line."""
    line = " ".join(str(message).split())
    print(f"{PROG}: {kind}: {get_masker().mask(line)}", file=sys.stderr)


def usage_failure(parser: argparse.ArgumentParser, message: str) -> None:
    """Usage, then one masked error line: argparse's format, exit status 2 left to the caller."""
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {get_masker().mask(message)}", file=sys.stderr)


def hide_pairs(message: str) -> str:
    """argparse quotes the arguments it rejects: a KEY=VALUE in the wrong place must not come back whole."""
    return _PAIR.sub(r"\1=...", message)


def info_json(info: SecretInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "keys": list(info.keys),
        "settings": list(info.settings),
        "created_at": info.created_at.isoformat(),
        "updated_at": info.updated_at.isoformat(),
    }


def settings_note(info: SecretInfo) -> str:
    """Which keys are left unmasked, said each time a secret is written, so nobody is surprised later."""
    return f"; settings (not masked): {', '.join(info.settings)}" if info.settings else ""


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def print_table(infos: list[SecretInfo]) -> None:
    print(secrets_table(infos))


def print_info(info: SecretInfo) -> None:
    print(f"Name:     {info.name}")
    print(f"Keys:     {', '.join(info.keys)}")
    print(f"Settings: {key_list(info.settings)}")
    print(f"Created:  {local_time(info.created_at)}")
    print(f"Updated:  {local_time(info.updated_at)}")
