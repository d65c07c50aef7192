"""Store benchmark: a vault of 10,000 secrets x 5 keys.

Prints the time to open and list it (cold, in a fresh process and with a
warm cache), to get one secret, and to update one secret, next to baselines
measured in the same run: reading the raw file, and json.loads/dumps of the
same plaintext. Aim: list < 50 ms, a single update < 20 ms.

    python bench/bench_store.py [--secrets N] [--keys K]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(func, repeat: int = 7) -> float:
    """Median wall time of `func()` in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


COLD_LIST = """
import time, sys
start = time.perf_counter()
import nbsecrets
infos = nbsecrets.get_store().list()
assert len(infos) == int(sys.argv[1])
print((time.perf_counter() - start) * 1000)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NBSECRETS_HOME"] = str(Path(tmp) / "home")
        os.environ["NBSECRETS_KEY_DIR"] = str(Path(tmp) / "keys")
        os.environ["NBSECRETS_KEY_SOURCE"] = "file"
        import warnings

        warnings.simplefilter("ignore")
        from nbsecrets.core.store import get_store
        from nbsecrets.core.store.local import LocalStore

        store = get_store()
        secrets = {
            f"service-{i:05d}": {f"KEY_{k}_{i % 97}": f"sk-test-{i:05d}-{k}-" + "x" * 24 for k in range(args.keys)}
            for i in range(args.secrets)
        }
        start = time.perf_counter()
        with store._transaction() as table:  # bulk fill in one write
            now = time.time()
            for name, env in secrets.items():
                table.put(name, env, now, now)
        fill = (time.perf_counter() - start) * 1000
        size = store.path.stat().st_size

        raw = timed(lambda: store.path.read_bytes())
        plaintext = json.dumps({name: {"env": env} for name, env in secrets.items()}, separators=(",", ":")).encode()
        loads = timed(lambda: json.loads(plaintext))
        dumps = timed(lambda: json.dumps(json.loads(plaintext), separators=(",", ":")))

        def open_and_list() -> None:
            fresh = LocalStore(store.home)
            assert len(fresh.list()) == args.secrets

        cold_open_list = timed(open_and_list)
        warm_list = timed(lambda: store.list())
        get_one = timed(lambda: store.get("service-04242"))
        counter = iter(range(10**9))
        update_one = timed(lambda: store.update("service-04242", {"EXTRA": f"sk-test-upd-{next(counter):08d}"}), repeat=15)
        # As an installed package runs: with compiled bytecode (the first run writes it).
        warm_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([sys.executable, "-c", COLD_LIST, str(args.secrets)], capture_output=True, env=warm_env)
        process = [
            float(subprocess.run([sys.executable, "-c", COLD_LIST, str(args.secrets)], capture_output=True, text=True, check=True, env=warm_env).stdout)
            for _ in range(3)
        ]

    print(f"vault: {args.secrets} secrets x {args.keys} keys, {size / 1e6:.1f} MB on disk, bulk fill {fill:.0f} ms")
    print(f"{'operation':<42} {'ms':>8}")
    rows = [
        ("baseline: read the vault file", raw),
        ("baseline: json.loads of the plaintext", loads),
        ("baseline: json.loads + json.dumps", dumps),
        ("open + list (new store object)", cold_open_list),
        ("open + list (new process, incl. import)", statistics.median(process)),
        ("list (cached, file unchanged)", warm_list),
        ("get one secret", get_one),
        ("update one secret (lock, write, fsync)", update_one),
    ]
    for label, value in rows:
        print(f"{label:<42} {value:8.2f}")
    print(f"ratio open+list / json.loads: {cold_open_list / loads:.2f}; update / (loads+dumps): {update_one / dumps:.2f}")


if __name__ == "__main__":
    main()
