"""Helpers shared by the store tests (imported by name; pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

from process_state import forget_process_state

from nbsecrets.core.store.local import LocalStore
from nbsecrets.core.store.vault_file import MAGIC

HERE = Path(__file__).parent
WORKER = HERE / "store_worker.py"
_LENGTH = struct.Struct(">I")


def fresh_store(home: str | os.PathLike[str] | None = None) -> LocalStore:
    """A store as a newly started process sees it: no key or decrypted vault held in memory."""
    forget_process_state()
    return LocalStore(home if home is not None else os.environ["NBSECRETS_HOME"])


def names_in(store: LocalStore) -> list[str]:
    """The names a store holds, in its (sorted) listing order: what `names()` used to return."""
    return [info.name for info in store.list()]


def header_span(blob: bytes) -> tuple[int, int]:
    """(start, end) of the JSON header inside a vault file."""
    start = len(MAGIC) + _LENGTH.size
    (length,) = _LENGTH.unpack_from(blob, len(MAGIC))
    return start, start + length


def header_of(blob_or_path: bytes | os.PathLike[str]) -> dict[str, Any]:
    """The JSON header of a vault file, parsed independently of the store's reader."""
    blob = blob_or_path if isinstance(blob_or_path, bytes) else Path(blob_or_path).read_bytes()
    assert blob.startswith(MAGIC)
    start, end = header_span(blob)
    return json.loads(blob[start:end])


def with_header(blob: bytes, header: dict[str, Any]) -> bytes:
    """The vault `blob` with its header replaced (length field fixed up), ciphertext kept."""
    _, end = header_span(blob)
    encoded = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + _LENGTH.pack(len(encoded)) + encoded + blob[end:]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new interpreter with the test's environment (homes, key dir, keyring)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


# Opens the vault at NBSECRETS_HOME in a new process and prints what it holds,
# or the nbsecrets error it raised, as one JSON line.
READ_VAULT = r"""
import json, warnings
warnings.simplefilter("ignore")
from nbsecrets.core.errors import NbSecretsError
from nbsecrets.core.store import get_store
store = get_store()
try:
    print(json.dumps({"ok": {info.name: store.get(info.name) for info in store.list()}}))
except NbSecretsError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""


def read_vault_in_subprocess(env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run_python(READ_VAULT, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def temp_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith(".tmp")) if directory.exists() else []
