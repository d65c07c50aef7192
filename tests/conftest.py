"""Every test gets its own vault home, key directory and keyring.

By default the keyring is keyring's real `fail` backend, as on a headless
machine; tests that want a working keyring use the `file_keyring` fixture.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

SUPPORT = Path(__file__).parent / "support"
sys.path.insert(0, str(SUPPORT))

from cli_runs import Result  # noqa: E402
from file_keyring import FileKeyring  # noqa: E402
from real_folders import REAL_FOLDERS, changes, snapshot  # noqa: E402

_REAL_BEFORE = snapshot(REAL_FOLDERS)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if anything appeared in, changed in or left the user's real nbsecrets folders."""
    touched = changes(_REAL_BEFORE, snapshot(REAL_FOLDERS))
    if touched:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "the suite touched the user's real nbsecrets folders: " + ", ".join(touched)
        if reporter is not None:
            reporter.write_line(f"FAILED isolation: {message}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def private_folders(tmp_path_factory: pytest.TempPathFactory):
    """HOME, the XDG folders, IPython's, the vault and the key folder are temporary for the whole run.

    Session-wide, not per test: a kernel a module-scoped fixture starts runs
    before any function-scoped fixture, and would otherwise inherit the
    user's real folders (and create a vault in them).
    """
    base = tmp_path_factory.mktemp("private-folders")
    patch = pytest.MonkeyPatch()
    for variable, folder in {
        "HOME": "home",
        "XDG_CONFIG_HOME": "config",
        "XDG_DATA_HOME": "data",
        "XDG_CACHE_HOME": "cache",
        "XDG_STATE_HOME": "state",
        "IPYTHONDIR": "ipython",
        "NBSECRETS_HOME": "nbsecrets-home",
        "NBSECRETS_KEY_DIR": "nbsecrets-keys",
    }.items():
        patch.setenv(variable, str(base / folder))
    patch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # No team store the user configured (a real server, a real token) is reachable from a test.
    for variable in list(os.environ):
        if variable.startswith(("BAO_", "VAULT_", "NBSECRETS_TEAM_")) or variable == "NBSECRETS_CONFIG":
            patch.delenv(variable)
    # Kernels start the interpreter by name: keep it this one whatever HOME-based shims would pick.
    patch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    yield base
    patch.undo()


@pytest.fixture(autouse=True)
def nbsecrets_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private NBSECRETS_HOME (and key dir) for each test."""
    home = tmp_path / "nbsecrets-home"
    monkeypatch.setenv("NBSECRETS_HOME", str(home))
    monkeypatch.setenv("NBSECRETS_KEY_DIR", str(tmp_path / "nbsecrets-keys"))
    for name in ("NBSECRETS_PASSPHRASE", "NBSECRETS_KEY_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(SUPPORT), os.environ.get("PYTHONPATH")])))
    # Keys a process has read stay in memory, and each warning is given once a process:
    # each test starts as a fresh process would.
    from nbsecrets.core.store import keys

    monkeypatch.setattr(keys, "_cache", {})
    monkeypatch.setattr(keys, "_warned", set())
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield home
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def masking_state():
    """Values a test registers, and masking settings it changes, do not reach the next test.

    In a process the registry only grows; across tests that would let one
    test's random values (a Hypothesis-made "Secret") mask another's output.
    """
    from nbsecrets.core import registry as registry_module
    from nbsecrets.core.masking import get_masker

    registry = registry_module.registry
    masker = get_masker()
    saved_values, saved_config = registry.items(), masker.config
    yield
    with registry._lock:
        registry._names.clear()
        registry._names.update(saved_values)
        registry._version += 1
    masker.configure(**dataclasses.asdict(saved_config))


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "nbsecrets-keys"


@pytest.fixture
def nbs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """`main(argv)` in-process with the given stdin text (None: no stdin at all), as a `Result`."""
    import io

    from nbsecrets.adapters.cli import main

    def run(*argv: str, stdin: str | None = "") -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", None if stdin is None else io.StringIO(stdin))
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileKeyring:
    """A working keyring, also selected for subprocesses through the environment."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("NBSECRETS_TEST_KEYRING_FILE", str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "file_keyring.FileKeyring")
    backend = FileKeyring(path)
    keyring.set_keyring(backend)
    return backend
