"""How every adapter shows secrets as text: one table and one time format,
so `nbsecrets list` and `%secret list` read alike.

Keys are listed whole (KEYS) and the settings among them again (SETTINGS):
the same shape as the JSON (`keys`, `settings`), and a reader who only wants
to know what a secret holds can ignore the second column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping, Sequence

from ..core.assignments import TEMPLATES, Template
from ..core.store import SecretInfo

NONE = "-"
"""What an empty cell shows (a table with a blank column reads as misaligned)."""


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def key_list(keys: Iterable[str]) -> str:
    return ", ".join(keys) or NONE


def table(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    """Left-aligned columns two spaces apart, no trailing blanks."""
    lines = [list(header), *map(list, rows)]
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in lines)


def secrets_table(infos: Iterable[SecretInfo]) -> str:
    """NAME, KEYS, SETTINGS, UPDATED: what can be said of secrets without their values."""
    rows = [(info.name, key_list(info.keys), key_list(info.settings), local_time(info.updated_at)) for info in infos]
    return table(rows, ("NAME", "KEYS", "SETTINGS", "UPDATED"))


def templates_table(templates: Mapping[str, Template] = TEMPLATES) -> str:
    """TEMPLATE, KEYS (in prompt order), SETTINGS: what `--template` creates and leaves unmasked."""
    rows = [(name, key_list(t.keys), key_list(t.settings)) for name, t in sorted(templates.items())]
    return table(rows, ("TEMPLATE", "KEYS", "SETTINGS"))
