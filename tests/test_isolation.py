"""The suite never reads or writes the user's real folders: not here, not in a subprocess or kernel.

tests/conftest.py points HOME, the XDG folders, IPython's folder, the vault,
the key folder and the keyring at temporary places for the whole session,
and fails the run (pytest_sessionfinish) if anything changed in the real
nbsecrets folders. These tests prove both halves work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from real_folders import REAL_FOLDERS, STARTING_ENVIRON, changes, real_folders, snapshot

VARIABLES = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "IPYTHONDIR", "NBSECRETS_HOME", "NBSECRETS_KEY_DIR")


def _is_below(path: Path, folders: list[Path]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def test_every_folder_variable_points_away_from_the_real_ones() -> None:
    for variable in VARIABLES:
        assert os.environ[variable] != STARTING_ENVIRON.get(variable), variable
    assert os.environ["PYTHON_KEYRING_BACKEND"] == "keyring.backends.fail.Keyring"


def test_a_subprocess_finds_nbsecrets_folders_away_from_the_real_ones() -> None:
    """What a kernel or `nbsecrets` subprocess would use: the store's home, the key folder, platformdirs."""
    script = (
        "import json, platformdirs\n"
        "from nbsecrets.core.store.local import default_home\n"
        "from nbsecrets.core.store.keys import key_dir\n"
        "print(json.dumps([str(default_home()), str(key_dir()),\n"
        "    platformdirs.user_data_dir('nbsecrets', appauthor=False),\n"
        "    platformdirs.user_config_dir('nbsecrets', appauthor=False)]))\n"
    )
    used = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    for path in map(Path, used):
        assert not _is_below(path, REAL_FOLDERS), path


def test_the_guard_sees_a_file_appear_change_and_go(tmp_path: Path) -> None:
    folder = tmp_path / "nbsecrets"
    before = snapshot([folder])
    folder.mkdir()
    (folder / "vault.nbs").write_bytes(b"x")
    appeared = snapshot([folder])
    assert changes(before, appeared) == sorted([str(folder), str(folder / "vault.nbs")])
    os.utime(folder / "vault.nbs", ns=(0, 0))
    assert changes(appeared, snapshot([folder])) == [str(folder / "vault.nbs")]
    assert changes(appeared, appeared) == []


def test_the_real_folders_are_found_from_the_starting_environment(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "NBSECRETS_HOME": str(tmp_path / "vault"), "PATH": os.environ.get("PATH", "")}
    folders = real_folders(environ)
    assert tmp_path / "vault" in folders
    assert all(_is_below(folder, [tmp_path]) for folder in folders)
