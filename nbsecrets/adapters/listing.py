"""How every adapter shows secrets as text: one table and one time format,
so `nbsecrets list` and `%secret list` read alike."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Sequence

from ..core.store import SecretInfo


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def table(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    """Left-aligned columns two spaces apart, no trailing blanks."""
    lines = [list(header), *map(list, rows)]
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in lines)


def secrets_table(infos: Iterable[SecretInfo]) -> str:
    """NAME, KEYS, UPDATED: what can be said of secrets without their values."""
    rows = [(info.name, ", ".join(info.keys), local_time(info.updated_at)) for info in infos]
    return table(rows, ("NAME", "KEYS", "UPDATED"))
