"""A keyring backend that keeps its entries in a JSON file, for tests.

The OS keyring does not exist on CI machines; this backend lets the real
keyring code paths run, in this process and in kernels or CLI subprocesses
(select it with PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring and this
folder on PYTHONPATH; the file is NBSECRETS_TEST_KEYRING_FILE).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self.path = Path(path or os.environ["NBSECRETS_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def _save(self, entries: dict[str, str]) -> None:
        self.path.write_text(json.dumps(entries))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}\x00{username}"] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}\x00{username}", None) is None:
            raise PasswordDeleteError("no such entry")
        self._save(entries)

    def entries(self) -> dict[str, str]:
        return self._load()
