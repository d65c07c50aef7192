"""The decrypted contents of a vault, kept as one JSON line per secret.

    {"format": "nbsecrets-table", "count": N}
    N index lines:  [name, [key, ...], created, updated]
                    [name, [key, ...], created, updated, [setting key, ...]]
    N value lines:  {"KEY": "value", ...}

Listing parses only the index; values are parsed when a secret is read; a
change re-encodes only the secret it touches. That keeps a vault of 10,000
secrets quick to open, list and update.

Which keys are settings (not masked) lives in the index, beside the keys, so
listing shows it without touching a value. The fifth element is written only
when a secret has settings: a record of four, as every vault written before
settings existed holds, means all its keys are secrets, and a vault without
settings stays byte for byte what older versions wrote and read.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, NamedTuple

FORMAT = "nbsecrets-table"
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class IndexRecord(NamedTuple):
    """One index line: what is known of a secret without its values (times in seconds since the epoch)."""

    name: str
    keys: tuple[str, ...]
    created: float
    updated: float
    settings: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, line: list[Any]) -> "IndexRecord":
        """A line of four predates settings: all its keys are secrets."""
        name, keys, created, updated = line[:4]
        return cls(name, tuple(keys), created, updated, tuple(line[4]) if len(line) > 4 else ())

    def to_json(self) -> list[Any]:
        line: list[Any] = [self.name, list(self.keys), self.created, self.updated]
        if self.settings:
            line.append(list(self.settings))
        return line


class TableFormatError(ValueError):
    """The plaintext is not a table (the store words it for the user)."""


class Table:
    """Secrets by name: their index record (keys, timestamps) and their values."""

    __slots__ = ("_index_lines", "_value_lines", "_records", "_position", "_values", "_touched", "changed")

    def __init__(self) -> None:
        self._index_lines: list[str] = []
        self._value_lines: list[str] = []
        self._records: list[IndexRecord] = []
        self._position: dict[str, int] = {}
        self._values: dict[int, dict[str, str]] = {}
        self._touched: set[str] = set()  # names put or removed since this table was made or copied
        self.changed = False
        """Whether `put` or `remove` touched this table (a transaction writes only a changed table)."""

    @classmethod
    def parse(cls, plaintext: bytes) -> "Table":
        try:
            lines = plaintext.decode("utf-8", "surrogatepass").split("\n")
            head = json.loads(lines[0])
            if head.get("format") != FORMAT:
                raise TableFormatError("unknown table format")
            count = int(head["count"])
            if len(lines) != 1 + 2 * count:
                raise TableFormatError("wrong number of lines")
            table = cls()
            table._index_lines = lines[1 : 1 + count]
            table._value_lines = lines[1 + count :]
            lines_json = json.loads("[" + ",".join(table._index_lines) + "]") if count else []
            table._records = [IndexRecord.from_json(line) for line in lines_json]
            table._position = {record.name: i for i, record in enumerate(table._records)}
        except TableFormatError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise TableFormatError(type(exc).__name__) from None
        if len(table._position) != count:
            raise TableFormatError("duplicate names")
        return table

    def encode(self) -> bytes:
        head = _compact({"format": FORMAT, "count": len(self._records)})
        # surrogatepass: values from os.environ carry undecodable bytes as lone surrogates
        return "\n".join([head, *self._index_lines, *self._value_lines]).encode("utf-8", "surrogatepass")

    def copy(self) -> "Table":
        twin = Table()
        twin._index_lines = list(self._index_lines)
        twin._value_lines = list(self._value_lines)
        twin._records = list(self._records)
        twin._position = dict(self._position)
        twin._values = dict(self._values)
        return twin

    def __contains__(self, name: object) -> bool:
        return name in self._position

    def names(self) -> list[str]:
        return list(self._position)

    def records(self) -> Iterator[IndexRecord]:
        """Every secret's index record, without touching any value."""
        return iter(self._records)

    def record(self, name: str) -> IndexRecord | None:
        position = self._position.get(name)
        return None if position is None else self._records[position]

    def values(self, name: str) -> dict[str, str]:
        position = self._position[name]
        values = self._values.get(position)
        if values is None:
            try:
                values = json.loads(self._value_lines[position])
            except ValueError:
                raise TableFormatError("damaged value line") from None
            self._values[position] = values
        return dict(values)

    def put(
        self, name: str, values: dict[str, str], created: float, updated: float, settings: Iterable[str] = ()
    ) -> None:
        """Store a secret; `settings` must be keys of `values` (the store checks them)."""
        marked = set(settings)
        record = IndexRecord(name, tuple(values), created, updated, tuple(key for key in values if key in marked))
        position = self._position.get(name)
        if position is None:
            position = self._position[name] = len(self._records)
            self._records.append(record)
            self._index_lines.append(_compact(record.to_json()))
            self._value_lines.append(_compact(values))
        else:
            self._records[position] = record
            self._index_lines[position] = _compact(record.to_json())
            self._value_lines[position] = _compact(values)
        self._values[position] = dict(values)
        self._touched.add(name)
        self.changed = True

    def remove(self, name: str) -> None:
        position = self._position.pop(name)
        for lines in (self._records, self._index_lines, self._value_lines):
            del lines[position]
        self._position = {record.name: i for i, record in enumerate(self._records)}
        self._values = {
            (i if i < position else i - 1): values for i, values in self._values.items() if i != position
        }
        self._touched.add(name)
        self.changed = True

    def backup_beside(self, newer: "Table") -> "Table | None":
        """This (older) table as the backup of `newer`, a copy of it changed since; None when it
        can be kept as it is.

        A backup undoes additions and damage, but must never bring back a
        value that was deleted or replaced on purpose: a secret whose values
        `newer` removed or replaced is taken as it is in `newer` (or left out
        when `newer` deleted it); every other secret stays as it was. Only the
        secrets `newer` touched are compared, so a vault of 10,000 costs no more
        than one of ten.
        """
        kept: Table | None = None
        for name in sorted(newer._touched):
            if name not in self:
                continue  # added: the backup is without it, as it was
            old = self.values(name)
            if name in newer:
                now = newer.values(name)
                if all(now.get(key) == value for key, value in old.items()):
                    continue  # only keys added: the backup keeps the secret as it was
            kept = kept or self.copy()
            if name in newer:
                at, to = newer._position[name], kept._position[name]
                kept._records[to] = newer._records[at]
                kept._index_lines[to] = newer._index_lines[at]
                kept._value_lines[to] = newer._value_lines[at]
                kept._values.pop(to, None)
            else:
                kept.remove(name)
        return kept
