"""A process that writes to the vault at NBSECRETS_HOME, for the concurrency and crash tests.

    store_worker.py update WORKER COUNT   wait for "go" on stdin, then make COUNT changes
    store_worker.py crash START           write forever from START, acknowledging each write

Every line is printed and flushed only after the store call returned, so the
parent knows exactly which changes were acknowledged.
"""

from __future__ import annotations

import sys
import warnings

warnings.simplefilter("ignore")  # the key-file warning is tested elsewhere

from nbsecrets.core.store import get_store


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def update(worker: int, count: int) -> None:
    store = get_store()
    store.list()  # open the vault before the start signal, so all workers start writing together
    say("ready")
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no start signal")
    for j in range(count):
        if j % 2 == 0:
            # everyone merges a key of their own into the same secret: a lost update loses a key
            store.update("shared", {f"W{worker}_{j}": f"sk-test-{worker}-{j}"})
        else:
            store.create(f"own-{worker}-{j}", {"VALUE": f"sk-test-own-{worker}-{j}"})
    say("done")


def crash(start: int) -> None:
    store = get_store()
    i = start
    while True:
        if i % 4 == 3:
            store.rotate_key()
            say(f"rotate {i}")
        else:
            store.create(f"c{i:05d}", {"VALUE": f"sk-test-crash-{i}"})
            say(f"create {i}")
        i += 1


if __name__ == "__main__":
    if sys.argv[1] == "update":
        update(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1] == "crash":
        crash(int(sys.argv[2]))
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]!r}")
