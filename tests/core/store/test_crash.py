"""A writer killed at any moment leaves a vault that opens with every acknowledged write.

The writer prints each change only after the store call returned; the test
SIGKILLs it after a random delay (drawn from a seeded RNG, so a failure can be
replayed), then checks the vault from the outside. Kernels get killed and
laptops lose power: a write that returned must survive that, and the debris of
one that did not must not break the next writer.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from store_support import WORKER, fresh_store, header_of, names_in, temp_files

pytestmark = [
    pytest.mark.filterwarnings("ignore::nbsecrets.core.errors.NbSecretsWarning"),
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL"),
]

ROUNDS = 8
SEED = 20240611


def run_until_killed(start: int, delay: float) -> tuple[list[int], list[int]]:
    """Start a writer at op `start`, kill it `delay` s after its first acknowledgement.

    Returns the acknowledged creates and rotations."""
    writer = subprocess.Popen(
        [sys.executable, str(WORKER), "crash", str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = writer.stdout.readline()  # the writer is in its loop: from now on any moment is fair
        assert first, writer.communicate(timeout=30)[1]
        try:
            writer.wait(timeout=delay)  # never returns early: the writer loops forever
        except subprocess.TimeoutExpired:
            pass
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        rest = writer.stdout.read()  # through the same reader as `first`, which may hold lines already
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == -signal.SIGKILL
    lines = [first, *rest.splitlines()]
    acked = [line.split() for line in lines if line.strip()]
    creates = [int(i) for op, i in acked if op == "create"]
    rotations = [int(i) for op, i in acked if op == "rotate"]
    return creates, rotations


def test_killed_writer_never_loses_an_acknowledged_write(store, key_dir, tmp_path: Path):
    """Creates and key rotations, killed at seeded random moments; checked after every kill."""
    rng = random.Random(SEED)
    acknowledged: set[int] = set()
    in_flight: set[int] = set()  # per round, the op the kill interrupted: it may or may not have landed
    next_op = 0
    rotations_seen = 0
    round_number = 0
    # ROUNDS kills, and more if none of them came after an acknowledged rotation
    while round_number < ROUNDS or (not rotations_seen and round_number < 3 * ROUNDS):
        delay = rng.uniform(0.0, 0.06)
        creates, rotations = run_until_killed(next_op, delay)
        assert creates or rotations, "the writer acknowledged nothing"
        acknowledged.update(creates)
        rotations_seen += len(rotations)
        last_ack = max(creates + rotations)
        in_flight.add(last_ack + 1)

        # the vault opens in a new process's view, with every acknowledged write
        reader = fresh_store()
        names = set(names_in(reader))
        missing = {f"c{i:05d}" for i in acknowledged} - names
        assert not missing, f"round {round_number} (delay {delay:.4f} s) lost {sorted(missing)}"
        for i in creates[-3:]:
            assert reader.get(f"c{i:05d}") == {"VALUE": f"sk-test-crash-{i}"}
        # only a write in flight at a kill can have landed without its acknowledgement
        unacknowledged = {int(n[1:]) for n in names} - acknowledged
        assert unacknowledged <= in_flight, unacknowledged

        # two files, never one inode under two names, whatever step the kill interrupted
        assert not os.path.samefile(store.path, store.backup_path)
        # the backup is a whole vault too, and its key still exists (even mid-rotation)
        scratch = tmp_path / f"backup-round-{round_number}"
        scratch.mkdir()
        shutil.copy(store.backup_path, scratch / "vault.nbs")
        # (the previous generation, or after a rotation the current one under the new key)
        assert header_of(scratch / "vault.nbs")["generation"] <= header_of(store.path)["generation"]
        fresh_store(scratch).list()

        next_op = last_ack + 2  # skip the op that may or may not have landed
        round_number += 1

    assert rotations_seen, "no rotation was acknowledged: the rounds are too short to test them"
    # whatever the kills left behind, the next write works and clears the writers' temp files
    final = fresh_store()
    final.create("after-the-crashes", {"VALUE": "sk-test-final"})
    assert temp_files(store.home) == []
    assert set(names_in(fresh_store())) >= {f"c{i:05d}" for i in acknowledged} | {"after-the-crashes"}
    # rotations remove old keys, and the next write those a killed rotation had just made:
    # only the current key remains, and no half-written key file
    current = header_of(store.path)
    assert [path.name for path in key_dir.iterdir()] == [f"vault-{current['vault_id']}-{current['key_id']}.key"]


def test_writer_killed_between_backup_and_vault_renames(store):
    """Earlier versions hard-linked the vault to the backup name, then renamed the new vault in;
    killed in between, they left vault and backup as two names of one file. The next write
    must leave two files again (rename(2) of one hard link onto another does nothing)."""
    store.create("openai", {"OPENAI_API_KEY": "sk-test-openai"})
    store.update("openai", {"OPENAI_ORG": "org-test-1"})
    store.backup_path.unlink()
    os.link(store.path, store.backup_path)  # the state such a kill leaves
    fresh_store().update("openai", {"OPENAI_ORG": "org-test-2"})
    assert temp_files(store.home) == []
    assert fresh_store().get("openai")["OPENAI_ORG"] == "org-test-2"
    assert header_of(store.backup_path)["generation"] == header_of(store.path)["generation"] - 1
    assert not os.path.samefile(store.path, store.backup_path)


def test_temp_files_of_a_dead_writer_do_not_block_writes(store):
    """A writer killed between creating its temp file and renaming it leaves debris behind."""
    store.create("openai", {"OPENAI_API_KEY": "sk-test-openai"})
    store.update("openai", {"OPENAI_ORG": "org-test"})
    debris = [
        store.home / ".vault.nbs.99999.deadbeef.tmp",
        store.home / ".vault.nbs.bak.99999.deadbeef.tmp",
    ]
    for path in debris:
        path.write_bytes(b"half a vault")
    assert fresh_store().get("openai")["OPENAI_ORG"] == "org-test"  # readers ignore them
    fresh_store().update("openai", {"OPENAI_ORG": "org-test-2"})
    assert not any(path.exists() for path in debris)
    assert fresh_store().get("openai")["OPENAI_ORG"] == "org-test-2"
