"""Private files: created 0600 in 0700 directories, replaced atomically and durably."""

from __future__ import annotations

import os
import secrets as _random
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) with mode 0700 for the parts it creates."""
    if path.is_dir():
        return
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_new_private(path: Path, data: bytes) -> None:
    """Write `data` to a file that must not exist yet, 0600, fsynced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    """A fresh temporary sibling of `path`, recognisable by `is_temp_of`."""
    return path.with_name(f".{path.name}.{os.getpid()}.{_random.token_hex(4)}.tmp")


def is_temp_of(candidate: Path, path: Path) -> bool:
    return candidate.name.startswith(f".{path.name}.") and candidate.name.endswith(".tmp")


def replace_private(path: Path, data: bytes) -> None:
    """Atomically replace (or create) `path` with `data`: readers see the old or the new file, whole."""
    tmp = temp_name(path)
    try:
        write_new_private(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
