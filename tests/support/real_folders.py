"""The user's real nbsecrets folders, as they were before the suite started, to prove it never touched them."""

from __future__ import annotations

import os
from pathlib import Path

STARTING_ENVIRON = dict(os.environ)
"""The environment as it was when tests/conftest.py first imported this, before any fixture ran."""


def real_folders(environ: dict[str, str]) -> list[Path]:
    """Where nbsecrets keeps a vault and key files for the user whose environment this is."""
    import platformdirs

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environ)
    try:
        folders = [
            Path(platformdirs.user_data_dir("nbsecrets", appauthor=False)),
            Path(platformdirs.user_config_dir("nbsecrets", appauthor=False)),
        ]
    finally:
        os.environ.clear()
        os.environ.update(saved)
    for name in ("NBSECRETS_HOME", "NBSECRETS_KEY_DIR"):
        if environ.get(name):
            folders.append(Path(environ[name]).expanduser())
    return folders


def snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """Every file below `folders`: (size, mtime in ns), by path."""
    found: dict[str, tuple[int, int]] = {}
    for folder in folders:
        if not folder.exists():
            continue
        for path in [folder, *folder.rglob("*")]:
            stat = path.lstat()
            found[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return found


def changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """Paths that appeared, changed or went away."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


REAL_FOLDERS = real_folders(STARTING_ENVIRON)
"""The user's real nbsecrets folders (the suite fails if anything in them changes)."""
