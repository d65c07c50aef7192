"""What the CLI writes, and how it fails: one line per problem, never a value.

Every line written to stderr goes through the output masker, so even an
unforeseen message cannot carry a registered value to the terminal.
"""

from __future__ import annotations

import argparse
import re
import sys
from ...core.masking import get_masker
from ..texts import PROG, error_line, warning_line

EXIT_USAGE = 2

_PAIR = re.compile(r"([^\s'\"=]*)=.*")
"""A word's first `=` and everything after it: which word held a value, and where a quoted value
with spaces ends, cannot be told from a message (a bad key such as `1A=` is hidden too)."""

__all__ = ["EXIT_USAGE", "PROG", "UsageError", "hide_pairs", "say", "usage_failure"]


class UsageError(Exception):
    """Arguments argparse accepted that make no sense together; exits 2 like argparse's own errors."""


def say(kind: str, message: str) -> None:
    """`nbsecrets: error: ...` or `nbsecrets: warning: ...`, on one masked line."""
    line = error_line(message) if kind == "error" else warning_line(message)
    print(get_masker().mask(line), file=sys.stderr)


def usage_failure(parser: argparse.ArgumentParser, message: str) -> None:
    """Usage, then one masked error line: argparse's format, exit status 2 left to the caller."""
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {get_masker().mask(message)}", file=sys.stderr)


def hide_pairs(message: str) -> str:
    """argparse quotes the arguments it rejects: no part of a KEY=VALUE in the wrong place may come back."""
    return _PAIR.sub(r"\1=...", message)

