"""The store under faults: a rotation beside a reader, writes that fail, deletes, debris of kills.

Each family is driven for real where the machine allows it (a second process
paused at the exact step, `ulimit -f`, a full or read-only tmpfs, SIGKILL) and
by failing the write path at each of its steps otherwise. After any failure
the vault and its backup must be two files holding the last two good
generations, and no key may be left that no vault uses.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from store_support import fresh_store, names_in, run_python, temp_files

from nbsecrets.core.errors import StoreUnavailableError
from nbsecrets.core.store import keys, local
from nbsecrets.core.store.local import LocalStore
from nbsecrets.core.store.vault_file import MAGIC

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals, rlimits and mounts")

DEADLINE = 60.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait until `condition` holds (checked every few ms), failing after a generous deadline."""
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


# -- rotation beside a reader -----------------------------------------------------

# Opens the vault, then pauses between reading the vault file and finding its key
# (the moment a rotation in another process can remove that key), until told to go on.
PAUSED_READER = r"""
import json, sys, time, warnings
from pathlib import Path
warnings.simplefilter("ignore")
from nbsecrets.core.errors import NbSecretsError
from nbsecrets.core.store import get_store, keys

signals, operation = Path(sys.argv[1]), sys.argv[2]
real_find_key = keys.find_key

def paused_find_key(spec, vault):
    if not (signals / "paused").exists():
        (signals / "paused").write_text(spec.key_id)
        deadline = time.monotonic() + 60
        while not (signals / "go").exists():
            if time.monotonic() > deadline:
                raise SystemExit("never told to go on")
            time.sleep(0.005)
    return real_find_key(spec, vault)

keys.find_key = paused_find_key
store = get_store()
try:
    if operation == "get":
        result = store.get("openai")
    elif operation == "list":
        result = [info.name for info in store.list()]
    elif operation == "info":
        result = list(store.info("openai").keys)
    elif operation == "exists":
        result = store.exists("openai")
    elif operation == "delete-missing":
        result = store.delete("never-stored", allow_missing=True)
    print(json.dumps({"ok": result}))
except NbSecretsError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""

EXPECTED = {
    "get": {"OPENAI_API_KEY": "sk-test-rotation-race-1"},
    "list": ["openai"],
    "info": ["OPENAI_API_KEY"],
    "exists": True,
    "delete-missing": False,
}


@pytest.mark.parametrize("operation", sorted(EXPECTED))
@pytest.mark.parametrize("source", ["file", "keyring"])
def test_a_reader_paused_across_a_rotation_opens_the_new_generation(source, operation, request, tmp_path):
    if source == "keyring":
        request.getfixturevalue("file_keyring")
    store = fresh_store()
    store.create("openai", EXPECTED["get"])
    old_key = keys.key_file_path(store._read().spec) if source == "file" else None
    signals = tmp_path / "signals"
    signals.mkdir()
    reader = subprocess.Popen(
        [sys.executable, "-c", PAUSED_READER, str(signals), operation],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    try:
        wait_for(lambda: (signals / "paused").exists() or reader.poll() is not None, "the reader to pause")
        assert reader.poll() is None, reader.communicate()
        assert store.rotate_key() == source
        if old_key is not None:
            assert not old_key.exists()  # the key the reader read the header of is gone
        (signals / "go").write_text("")
        out, err = reader.communicate(timeout=DEADLINE)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    assert reader.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == {"ok": EXPECTED[operation]}


def test_a_key_that_is_really_missing_is_still_reported(tmp_path):
    """Reading again is for a vault that changed meanwhile; a key that is simply gone is the user's to restore."""
    store = fresh_store()
    store.create("openai", EXPECTED["get"])
    keys.key_file_path(store._read().spec).unlink()
    from nbsecrets.core.errors import KeyUnavailableError

    with pytest.raises(KeyUnavailableError, match="Restore it"):
        fresh_store().list()


# -- writes that fail ---------------------------------------------------------------


def on_disk(store: LocalStore) -> tuple[bytes, bytes]:
    return store.path.read_bytes(), store.backup_path.read_bytes()


@pytest.fixture
def two_generations(store: LocalStore) -> tuple[LocalStore, tuple[bytes, bytes]]:
    """A vault whose backup holds an earlier generation, as after any second write."""
    store.create("openai", {"OPENAI_API_KEY": "sk-test-generation-1"})
    store.create("stripe", {"STRIPE_KEY": "sk-test-generation-2"})
    return store, on_disk(store)


def assert_unchanged(store: LocalStore, before: tuple[bytes, bytes]) -> None:
    assert on_disk(store) == before
    assert os.stat(store.path).st_ino != os.stat(store.backup_path).st_ino  # two files, not one inode
    assert temp_files(store.home) == []
    assert names_in(fresh_store(store.home)) == ["openai", "stripe"]
    restored = store.home.parent / "restored"
    restored.mkdir()
    shutil.copy(store.backup_path, restored / "vault.nbs")  # the backup is a vault of its own
    assert names_in(fresh_store(restored)) == ["openai"]


class Faults:
    """Fail one step of the write path: the n-th call of an os function whose path matches."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def fail(self, function: str, error: int, *, when: Callable[..., bool] = lambda *a: True) -> None:
        real = getattr(os, function)

        def failing(*args: Any, **kwargs: Any) -> Any:
            if when(*args):
                raise OSError(error, os.strerror(error))
            return real(*args, **kwargs)

        self.monkeypatch.setattr(os, function, failing)


def _is_vault_temp(path: Any, *rest: Any) -> bool:
    return str(path).endswith(".tmp") and ".vault.nbs." in str(path) and ".bak." not in str(path)


def _is_backup_temp(path: Any, *rest: Any) -> bool:
    return str(path).endswith(".tmp") and ".vault.nbs.bak." in str(path)


WRITE_STEPS = {
    "disk full writing the new vault": ("write", errno.ENOSPC, None),
    "file too large writing the new vault": ("write", errno.EFBIG, None),
    "I/O error at fsync": ("fsync", errno.EIO, None),
    "disk full creating the backup": ("open", errno.ENOSPC, _is_backup_temp),
    "renaming the backup into place": ("replace", errno.EIO, lambda src, dst, *a: _is_backup_temp(src)),
    "renaming the new vault into place": ("replace", errno.EIO, lambda src, dst, *a: _is_vault_temp(src)),
}


@pytest.mark.parametrize("step", sorted(WRITE_STEPS))
def test_a_write_failing_at_any_step_leaves_both_generations(step, two_generations):
    store, before = two_generations
    function, error, when = WRITE_STEPS[step]
    with pytest.MonkeyPatch.context() as patch, pytest.raises(StoreUnavailableError) as failure:
        Faults(patch).fail(function, error, when=when or (lambda *a: True))
        store.create("github", {"GITHUB_TOKEN": "sk-test-never-written"})
    message = str(failure.value)
    assert "vault.nbs" in message and "unchanged" in message
    assert "sk-test" not in message
    if step != "renaming the new vault into place":
        assert_unchanged(store, before)
    else:
        # The backup was already replaced by the generation before this write: still two files,
        # the vault unchanged, and no generation that was acknowledged is lost.
        assert store.path.read_bytes() == before[0]
        assert os.stat(store.path).st_ino != os.stat(store.backup_path).st_ino
        assert names_in(fresh_store(store.home)) == ["openai", "stripe"]
    store.create("github", {"GITHUB_TOKEN": "sk-test-written-after"})  # the next write works
    assert names_in(fresh_store(store.home)) == ["github", "openai", "stripe"]


def test_a_file_size_limit_fails_the_write_and_keeps_both_generations(two_generations):
    """`ulimit -f`: the kernel refuses the bytes past the limit (Python ignores SIGXFSZ, so it is EFBIG)."""
    store, before = two_generations
    limit = len(before[0]) + 512

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "nbsecrets", "create", "big", "BIG=-"],
        input="sk-test-" + "b" * 20_000, capture_output=True, text=True, preexec_fn=limited, timeout=DEADLINE,
    )
    assert result.returncode == 1, result.stderr
    assert "File too large" in result.stderr and "unchanged" in result.stderr
    assert "bbbbbbbb" not in result.stderr + result.stdout
    assert_unchanged(store, before)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount small tmpfs folders (root only): a disk that really fills up, or really turns read-only."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted: list[Path] = []

    def mount(size: str = "1m") -> Path:
        point = tmp_path / f"tmpfs-{len(mounted)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_full_disk_fails_the_write_and_keeps_both_generations(tmpfs, monkeypatch):
    home = tmpfs("64k")
    monkeypatch.setenv("NBSECRETS_HOME", str(home))
    store = fresh_store(home)
    store.create("openai", {"OPENAI_API_KEY": "sk-test-generation-1"})
    store.create("stripe", {"STRIPE_KEY": "sk-test-generation-2"})
    before = on_disk(store)
    with pytest.raises(StoreUnavailableError, match="No space left on device.*unchanged"):
        store.create("big", {"BIG": "sk-test-" + "f" * 30_000, "BIG2": "sk-test-" + "g" * 30_000})
    assert_unchanged(store, before)


def test_a_read_only_folder_fails_the_write_and_keeps_both_generations(tmpfs, monkeypatch):
    home = tmpfs()
    monkeypatch.setenv("NBSECRETS_HOME", str(home))
    store = fresh_store(home)
    store.create("openai", {"OPENAI_API_KEY": "sk-test-generation-1"})
    store.create("stripe", {"STRIPE_KEY": "sk-test-generation-2"})
    before = on_disk(store)
    subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
    with pytest.raises(StoreUnavailableError, match="Read-only file system.*unchanged"):
        store.create("github", {"GITHUB_TOKEN": "sk-test-never-written"})
    assert fresh_store(home).get("openai") == {"OPENAI_API_KEY": "sk-test-generation-1"}  # reading still works
    subprocess.run(["mount", "-o", "remount,rw", str(home)], check=True)
    assert_unchanged(store, before)


# -- deleted means gone ----------------------------------------------------------------


def readable_values(store: LocalStore) -> set[str]:
    """Every value any vault-shaped file in the home (the backup too) gives up under the current keys."""
    found: set[str] = set()
    for index, path in enumerate(sorted(store.home.iterdir())):
        if not path.is_file() or not path.read_bytes().startswith(MAGIC):
            continue
        scratch = store.home.parent / f"scratch-{index}"
        scratch.mkdir()
        shutil.copy(path, scratch / "vault.nbs")
        opened = fresh_store(scratch)
        for name in names_in(opened):
            found.update(opened.get(name).values())
        shutil.rmtree(scratch)
    return found


def test_a_deleted_secret_survives_nowhere(store):
    store.create("gone", {"TOKEN": "sk-test-deleted-value"})
    store.create("kept", {"TOKEN": "sk-test-kept-value"})
    store.update("kept", {"MORE": "sk-test-kept-more"})
    assert "sk-test-deleted-value" in readable_values(store)
    store.delete("gone")
    assert readable_values(store) == {"sk-test-kept-value", "sk-test-kept-more"}


def test_a_replaced_value_survives_nowhere(store):
    store.create("openai", {"OPENAI_API_KEY": "sk-test-leaked-value", "OPENAI_ORG": "org-test-1"})
    store.update("openai", {"OPENAI_API_KEY": "sk-test-rotated-value"})
    assert readable_values(store) == {"sk-test-rotated-value", "org-test-1"}


def test_a_secret_replaced_with_force_survives_nowhere(store):
    store.create("openai", {"OPENAI_API_KEY": "sk-test-leaked-value", "OLD_KEY": "sk-test-old-key"})
    store.create("openai", {"OPENAI_API_KEY": "sk-test-new-value"}, overwrite=True)
    assert readable_values(store) == {"sk-test-new-value"}


def test_the_backup_still_undoes_an_addition(store, tmp_path):
    store.create("openai", {"OPENAI_API_KEY": "sk-test-kept-1"})
    store.create("other", {"OTHER": "sk-test-kept-2"})
    store.update("openai", {"WRONG_KEY": "sk-test-added-by-mistake"})
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(store.backup_path, restored / "vault.nbs")
    assert fresh_store(restored).get("openai") == {"OPENAI_API_KEY": "sk-test-kept-1"}
    assert names_in(fresh_store(restored)) == ["openai", "other"]


def test_a_backup_without_the_deleted_secret_keeps_the_rest_of_the_previous_generation(store, tmp_path):
    store.create("gone", {"TOKEN": "sk-test-deleted-value"})
    store.create("kept", {"TOKEN": "sk-test-kept-value"})
    store.create("newest", {"TOKEN": "sk-test-newest"})
    store.delete("gone")
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(store.backup_path, restored / "vault.nbs")
    assert names_in(fresh_store(restored)) == ["kept", "newest"]


# -- orphans ------------------------------------------------------------------------------


def key_files() -> list[Path]:
    folder = keys.key_dir()
    return sorted(folder.iterdir()) if folder.exists() else []


def fail_staging(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(path: Path, data: bytes) -> Path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(local, "stage_private", full)


def test_a_failed_first_create_leaves_no_key_file(store, monkeypatch):
    fail_staging(monkeypatch)
    with pytest.raises(StoreUnavailableError):
        store.create("openai", {"OPENAI_API_KEY": "sk-test-never-stored"})
    assert key_files() == []
    assert not store.path.exists()


def test_a_failed_first_create_leaves_no_keyring_entry(store, file_keyring, monkeypatch):
    fail_staging(monkeypatch)
    with pytest.raises(StoreUnavailableError):
        store.create("openai", {"OPENAI_API_KEY": "sk-test-never-stored"})
    assert file_keyring.entries() == {}


def test_a_failed_rotation_removes_the_new_key_and_keeps_the_old(store, monkeypatch):
    store.create("openai", {"OPENAI_API_KEY": "sk-test-rotation-1"})
    before = key_files()
    vault = store.path.read_bytes()
    fail_staging(monkeypatch)
    with pytest.raises(StoreUnavailableError):
        store.rotate_key()
    assert key_files() == before
    assert store.path.read_bytes() == vault
    assert fresh_store().get("openai") == {"OPENAI_API_KEY": "sk-test-rotation-1"}


def test_a_failed_rotation_removes_the_new_keyring_entry(store, file_keyring, monkeypatch):
    store.create("openai", {"OPENAI_API_KEY": "sk-test-rotation-1"})
    entries = file_keyring.entries()
    assert len(entries) == 1
    fail_staging(monkeypatch)
    with pytest.raises(StoreUnavailableError):
        store.rotate_key()
    assert file_keyring.entries() == entries
    assert fresh_store().get("openai") == {"OPENAI_API_KEY": "sk-test-rotation-1"}


# Writes a key file half-way, then waits to be killed: the debris of a kill during a key write.
KILLED_KEY_WRITER = r"""
import os, sys, warnings
warnings.simplefilter("ignore")
from nbsecrets.core.store import files, get_store

def half_then_hang(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data[: len(data) // 2])
    print("written", flush=True)
    sys.stdin.read()

files.write_new_private = half_then_hang
get_store().create("openai", {"OPENAI_API_KEY": "sk-test-killed"})
"""


def test_a_key_temp_file_left_by_a_kill_is_removed_at_the_next_open(store):
    writer = subprocess.Popen([sys.executable, "-c", KILLED_KEY_WRITER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "written", writer.stderr.read()
        debris = [path for path in key_files() if path.name.endswith(".tmp")]
        assert len(debris) == 1 and debris[0].name.startswith(".vault-")
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=DEADLINE)
    fresh_store().list()
    assert [path for path in key_files() if path.name.endswith(".tmp")] == []


def test_a_temp_file_of_a_running_writer_is_left_alone(store):
    store.create("openai", {"OPENAI_API_KEY": "sk-test-live"})
    live = keys.key_dir() / f".vault-x-y.key.{os.getppid()}.abcd1234.tmp"
    live.write_text("in progress")
    vault_temp = store.home / f".vault.nbs.{os.getppid()}.abcd1234.tmp"
    vault_temp.write_text("in progress")
    fresh_store().list()
    assert live.exists() and vault_temp.exists()


def test_a_vault_temp_file_left_by_a_dead_writer_is_removed_at_the_next_open(store):
    store.create("openai", {"OPENAI_API_KEY": "sk-test-dead"})
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = int(finished.stdout)
    debris = [store.home / f".vault.nbs.{dead}.abcd1234.tmp", keys.key_dir() / f".vault-x-y.key.{dead}.abcd1234.tmp"]
    for path in debris:
        path.write_text("half a key")
    fresh_store().list()
    assert [path.exists() for path in debris] == [False, False]


def test_opening_beside_a_running_writer_never_removes_its_files(store):
    """Each fresh open cleans debris; a writer working at the same time must lose nothing."""
    store.create("first", {"V": "sk-test-first"})
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import warnings; warnings.simplefilter('ignore')\n"
         "from nbsecrets.core.store import get_store\n"
         "s = get_store()\n"
         "for i in range(30): s.create(f'c{i}', {'V': f'sk-test-{i}'}); s.rotate_key() if i % 10 == 9 else None\n"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    opens = 0
    while writer.poll() is None:
        fresh_store().list()
        opens += 1
    assert writer.returncode == 0, writer.stderr.read()
    assert opens > 0
    assert len(names_in(fresh_store())) == 31
