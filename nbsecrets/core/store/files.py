"""Private files: created 0600 in 0700 directories, replaced atomically and durably.

Existing folders and files are checked as well as new ones: a vault, key
folder or key file that others can read is tightened before use, or refused
when it cannot be, never used as it is.
"""

from __future__ import annotations

import os
import secrets as _random
import stat
from pathlib import Path

from ..display import shown_path
from ..errors import StoreUnavailableError, warn

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) with mode 0700 for the parts it creates; an existing one is tightened."""
    if path.is_dir():
        make_private(path, DIR_MODE)
        return
    refuse_dangling(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)


def refuse_dangling(path: Path) -> None:
    """An error when `path`, or the nearest part of it that exists, is a link to nothing or not a folder.

    Creating a vault there would hide the real one (an unmounted disk, a
    moved synced folder) behind a new, empty vault.
    """
    for part in (path, *path.parents):
        if not os.path.lexists(part):
            continue
        if not part.exists():
            raise StoreUnavailableError(
                f"{shown_path(part)} is a symbolic link to {os.readlink(part)}, which does not exist. "
                "Restore what it points to (or remove the link); nothing was created."
            )
        if not part.is_dir():
            raise StoreUnavailableError(f"{shown_path(part)} is not a folder; nothing was created.")
        return


def make_private(path: Path, mode: int, *, st: os.stat_result | None = None) -> None:
    """Tighten a folder (0700) or file (0600) that group or others may use, with a one-line notice.

    A path that cannot be tightened (another user's) is refused: a key or
    vault others may read or replace is not used silently.
    """
    st = st if st is not None else os.stat(path)
    loose = stat.S_IMODE(st.st_mode)
    if not loose & 0o077:
        return
    kind = "folder" if stat.S_ISDIR(st.st_mode) else "file"
    try:
        os.chmod(path, mode)
    except OSError as exc:
        raise StoreUnavailableError(
            f"The {kind} {shown_path(path)} is open to others (mode {loose:04o}) and cannot be made private "
            f"({exc.strerror or type(exc).__name__}); fix it with chmod {mode:o} {shown_path(path)}."
        ) from None
    warn(f"{shown_path(path)} was open to others (mode {loose:04o}); it is now {mode:04o}.")


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
    """Write `data` to a file that must not exist yet, 0600, fsynced; nothing is left if it fails."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def temp_name(path: Path) -> Path:
    """A fresh temporary sibling of `path`, recognisable by `is_temp_of` and naming the writer's pid."""
    return path.with_name(f".{path.name}.{os.getpid()}.{_random.token_hex(4)}.tmp")


def is_temp_of(candidate: Path, path: Path) -> bool:
    return candidate.name.startswith(f".{path.name}.") and candidate.name.endswith(".tmp")


def remove_dead_temps(folder: Path, prefix: str) -> None:
    """Remove temporary files `temp_name` made in `folder` for names starting with `prefix`
    whose writer is no longer running (killed while writing a vault or a key)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith("." + prefix) and name.endswith(".tmp")):
            continue
        parts = name.split(".")
        pid = parts[-3] if len(parts) >= 4 else ""
        if pid.isdigit() and not _running(int(pid)):
            Path(entry.path).unlink(missing_ok=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, as another user's process
    return True


def stage_private(path: Path, data: bytes) -> Path:
    """`data` in a fsynced temporary file beside `path`, ready to be renamed over it."""
    tmp = temp_name(path)
    write_new_private(tmp, data)
    return tmp


def replace_private(path: Path, data: bytes) -> None:
    """Atomically replace (or create) `path` with `data`: readers see the old or the new file, whole."""
    tmp = stage_private(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
