"""A real JupyterLab, driven in headless Chromium, and ways to look at what it shows and saves.

The server runs on 127.0.0.1 with a private token and every Jupyter, IPython,
XDG and nbsecrets directory inside one temporary folder. A notebook is
written to its root, opened in a fresh workspace, run cell by cell with
Shift+Enter and saved with Ctrl+S; the run keeps the text of each cell's output
area as the page shows it and the notebook as JupyterLab wrote it to disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screens import terminal

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETTING_OVERRIDES = {
    # No "Jupyter news" toast over the notebook.
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # Every cell stays rendered in the DOM, on screen or not, so its output can be read.
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}
SUPPORT = Path(__file__).resolve().parent.parent / "support"

# Obviously fake; the cells build it from two literals.
SECRET = "sk-test-" + "Zq8vK2mP4xR7tL9wN3bH6jD1"
SECRET_NAME = "OPENAI_API_KEY"
SECRET_CELL = "S = 'sk-test-' + 'Zq8vK2mP4xR7tL9wN3bH6jD1'"
MASK_SETUP = f"%load_ext nbsecrets\nimport nbsecrets\n{SECRET_CELL}\nnbsecrets.mask(S, {SECRET_NAME!r})"
PLAIN_SETUP = SECRET_CELL

# Each case prints the secret in a way a terminal (and JupyterLab) reassembles.
CASES: dict[str, str] = {
    "carriage_return": r"print('####' + S[4:], end='\r'); print(S[:4])",
    "backspace": r"print(S[:10] + 'X\b' + S[10:])",
    "ansi_colour": r"print(S[:8] + '\x1b[31m' + S[8:16] + '\x1b[0m' + S[16:])",
    "rich_like": (
        r"print('\x1b[1m' + ''.join('\x1b[1;36m' + c + '\x1b[0m\x1b[1m' if c.isdigit() else c for c in S)"
        r" + '\x1b[0m')"
    ),
    "typewriter": (
        r"import sys; [ (sys.stdout.write('\r' + S[:i+1]), sys.stdout.flush()) for i in range(len(S)) ]"
    ),
}
CONTROL_TEXTS = ["hello world 12345", "OPENAI_API_BASE=https://api.example.test/v1"]
CONTROL = "\n".join(f"print({text!r})" for text in CONTROL_TEXTS)

KERNEL_IDLE = re.compile(r"\(ipykernel\)\s*\|\s*Idle")  # the status bar, once the kernel is up
WAIT_MS = 60_000  # for the page to load, a kernel to start, a cell to run
MIN_RUN = 12  # no run this long of the secret may survive anywhere


def rendered(text: str) -> str:
    """``text`` as a terminal shows it: escape sequences dropped, ``\\r`` and ``\\b`` applied per line."""
    return terminal(text)


def output_texts(output: dict) -> list[str]:
    """Every string an nbformat output holds: stream text, each MIME part, error fields."""
    texts: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, list):
            texts.append("".join(str(v) for v in value))
        elif isinstance(value, str):
            texts.append(value)
        elif value is not None:
            texts.append(json.dumps(value))

    add(output.get("text"))
    for value in (output.get("data") or {}).values():
        add(value)
    if output.get("metadata"):
        add(output["metadata"])
    for key in ("ename", "evalue"):
        add(output.get(key))
    if "traceback" in output:
        texts.append("\n".join(output["traceback"]))
    return texts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(base: Path) -> dict[str, str]:
    """The server's (and so each kernel's) environment: every home inside ``base``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "IPYTHON", "XDG_"))}
    env.pop("PYTEST_CURRENT_TEST", None)  # ipykernel turns fd capture off when it sees this
    dirs = {
        "HOME": "home",
        "XDG_CONFIG_HOME": "xdg/config",
        "XDG_DATA_HOME": "xdg/data",
        "XDG_CACHE_HOME": "xdg/cache",
        "XDG_STATE_HOME": "xdg/state",
        "XDG_RUNTIME_DIR": "xdg/runtime",
        "JUPYTER_CONFIG_DIR": "jupyter/config",
        "JUPYTER_DATA_DIR": "jupyter/data",
        "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
        "JUPYTERLAB_SETTINGS_DIR": "jupyter/config/lab/user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "jupyter/config/lab/workspaces",
        "IPYTHONDIR": "ipython",
        "NBSECRETS_HOME": "nbsecrets-home",
        "NBSECRETS_KEY_DIR": "nbsecrets-keys",
    }
    for name, sub in dirs.items():
        path = base / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    os.chmod(env["XDG_RUNTIME_DIR"], 0o700)
    for name in ("NBSECRETS_PASSPHRASE", "NBSECRETS_KEY_SOURCE"):
        env.pop(name, None)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SUPPORT), os.environ.get("PYTHONPATH")]))
    # The kernelspec runs "python": make it this interpreter, whatever HOME now is.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (it shuts its kernels down), SIGKILL only if it does not stop."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


def read_tail(path: Path, chars: int) -> str:
    """The end of a server's log, or nothing if it cannot be read."""
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


class LabServer:
    """``jupyter lab`` in its own process group, with private dirs under ``base``."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "notebooks"
        self.root.mkdir(parents=True, exist_ok=True)
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = server_env(base)
        self.log_path = base / "lab.log"
        self.proc: subprocess.Popen | None = None
        labconfig = Path(self.env["JUPYTER_CONFIG_DIR"]) / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "default_setting_overrides.json").write_text(json.dumps(SETTING_OVERRIDES))

    def start(self, timeout: float = 60.0) -> None:
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--allow-root", "--no-browser",
            "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=self.env, cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status = self.api("GET", "/api/status")
                if "started" in status:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not answer /api/status in {timeout}s:\n{self.log_tail()}")
            time.sleep(0.1)

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, chars: int = 4000) -> str:
        return read_tail(self.log_path, chars)

    def lab_url(self, workspace: str, notebook: str) -> str:
        return f"{self.url}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            for kernel in self.api("GET", "/api/kernels"):
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        stop_group(self.proc)


def tagged_cell(source: str, tag: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": tag.replace("_", "-"),
        "metadata": {"tags": [tag]},
        "outputs": [],
        "source": source,
    }


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> None:
    """An unexecuted notebook of ``(tag, source)`` code cells."""
    nb = {
        "cells": [tagged_cell(source, tag) for tag, source in cells],
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb, indent=1))


@dataclass(repr=False)
class LabRun:
    """What JupyterLab showed for each tagged cell, and the notebook it saved."""

    page: dict[str, str] = field(default_factory=dict)
    saved: dict = field(default_factory=dict)
    screenshot: Path | None = None

    def __repr__(self) -> str:
        return f"LabRun(screenshot={self.screenshot})"

    def cell(self, tag: str) -> dict:
        return next(c for c in self.saved["cells"] if tag in c.get("metadata", {}).get("tags", []))

    def saved_texts(self, tag: str) -> list[str]:
        return [text for output in self.cell(tag)["outputs"] for text in output_texts(output)]


def _saved_with_outputs(path: Path, tags: list[str]) -> dict | None:
    """The notebook on disk once every tagged cell in it has run, else None."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    done = {
        tag
        for cell in nb.get("cells", [])
        for tag in cell.get("metadata", {}).get("tags", [])
        if cell.get("execution_count") is not None
    }
    return nb if set(tags) <= done else None


def run_in_lab(browser: Any, server: LabServer, name: str, cells: list[tuple[str, str]], shots: Path) -> LabRun:
    """Write, open, run (Shift+Enter per cell), read and save one notebook in a fresh browser context."""
    from playwright.sync_api import expect

    notebook = f"{name}.ipynb"
    path = server.root / notebook
    write_notebook(path, cells)
    tags = [tag for tag, _ in cells]
    run = LabRun()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(server.lab_url(name, notebook))
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        code_cells = panel.locator(".jp-Notebook .jp-CodeCell")
        expect(code_cells).to_have_count(len(cells), timeout=WAIT_MS)
        expect(page.locator("#jp-main-statusbar")).to_contain_text(KERNEL_IDLE, timeout=WAIT_MS)

        code_cells.nth(0).locator(".jp-InputArea-editor").click()
        for index in range(len(cells)):
            page.keyboard.press("Shift+Enter")
            prompt = code_cells.nth(index).locator(".jp-InputPrompt")
            expect(prompt).to_have_text(re.compile(r"\[\d+\]:"), timeout=WAIT_MS)
        expect(page.locator("#jp-main-statusbar")).to_contain_text(KERNEL_IDLE, timeout=WAIT_MS)

        for index, tag in enumerate(tags):
            run.page[tag] = code_cells.nth(index).locator(".jp-Cell-outputArea").inner_text()

        code_cells.nth(0).scroll_into_view_if_needed()
        run.screenshot = shots / f"{name}.png"
        page.screenshot(path=str(run.screenshot))

        page.keyboard.press("Control+s")
        deadline = time.monotonic() + WAIT_MS / 1000
        while (saved := _saved_with_outputs(path, tags)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{notebook} was not saved with its outputs:\n{path.read_text()[:2000]}")
            time.sleep(0.05)
        run.saved = saved
        return run
    except Exception:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shots / f"{name}-failure.png"))
        raise
    finally:
        context.close()


def browser_tools_missing() -> str | None:
    """Why the browser suite cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not installed ({exc}); pip install 'nbsecrets[browser]'"
    try:
        import jupyterlab  # noqa: F401
    except ImportError as exc:
        return f"jupyterlab is not installed ({exc}); pip install 'nbsecrets[browser]'"
    return None


# -- the widget panel: a Lab that saves widget state, Voila, and the checks on what they keep ------

PANEL_SETTING_OVERRIDES = {
    **SETTING_OVERRIDES,
    # Saving a notebook also saves every widget model's state into metadata.widgets.
    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True},
}
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
DARK_THEME = "JupyterLab Dark"


class PanelLabServer(LabServer):
    """A LabServer whose notebooks are saved with their widget state, and whose app is
    ``window.jupyterapp`` in the page (to switch the theme without clicking through menus)."""

    def __init__(self, base: Path) -> None:
        super().__init__(base)
        config = Path(self.env["JUPYTER_CONFIG_DIR"])
        (config / "labconfig" / "default_setting_overrides.json").write_text(json.dumps(PANEL_SETTING_OVERRIDES))
        (config / "jupyter_lab_config.json").write_text(json.dumps({"LabApp": {"expose_app_in_browser": True}}))


class VoilaServer:
    """``voila NOTEBOOK`` on 127.0.0.1 in its own process group, with the folders ``server_env(base)`` gives."""

    def __init__(self, base: Path, notebook: Path) -> None:
        self.notebook = notebook
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/?token={self.token}"
        self.env = server_env(base)
        self.log_path = base / "voila.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        cmd = [
            sys.executable, "-m", "voila", str(self.notebook),
            "--no-browser", "--Voila.ip=127.0.0.1", f"--Voila.port={self.port}", "--Voila.port_retries=0",
            f"--Voila.token={self.token}", f"--Voila.root_dir={self.notebook.parent}",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=self.env, cwd=self.notebook.parent, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"voila exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return  # Tornado listens only once the app is set up
            if time.monotonic() > deadline:
                raise RuntimeError(f"voila did not listen on {self.port} in {timeout}s:\n{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, chars: int = 4000) -> str:
        return read_tail(self.log_path, chars)

    def stop(self) -> None:
        """SIGTERM: Voila stops its loop and shuts its kernels down; SIGKILL only if it does not."""
        if self.proc is None or self.proc.poll() is not None:
            return
        stop_group(self.proc)


def wait_for_saved(path: Path, ready: Any, timeout: float = WAIT_MS / 1000) -> dict:
    """The notebook at ``path`` once ``ready(notebook)`` is true of what is on disk (polled, no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            nb = json.loads(path.read_text())
        except (OSError, ValueError):
            nb = None
        if nb is not None and ready(nb):
            return nb
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} was not saved as expected in {timeout}s:\n{path.read_text()[:3000]}")
        time.sleep(0.05)


def executed(nb: dict, tags: list[str]) -> bool:
    """Every cell tagged with one of ``tags`` has an execution count in ``nb``."""
    done = {
        tag
        for cell in nb.get("cells", [])
        for tag in cell.get("metadata", {}).get("tags", [])
        if cell.get("execution_count") is not None
    }
    return set(tags) <= done


def widget_models(nb: dict) -> dict[str, dict]:
    """The widget models saved in ``metadata.widgets`` (model id -> saved model), or {}."""
    return ((nb.get("metadata", {}).get("widgets") or {}).get(WIDGET_STATE) or {}).get("state") or {}


def value_forms(value: str) -> list[str]:
    """``value`` and the base64 text any stream holding it carries, at each of the three byte alignments
    (standard and URL-safe alphabets): only the characters that depend on the value alone."""
    import base64

    raw = value.encode()
    forms = [value]
    for skip in range(3):
        encoded = base64.b64encode(b"\0" * skip + raw).decode()
        start = (skip * 8 + 5) // 6  # the first character made of the value's bits only
        end = (skip + len(raw)) * 8 // 6  # after the last one
        core = encoded[start:end]
        forms += [core, core.replace("+", "-").replace("/", "_")]
    return list(dict.fromkeys(form for form in forms if len(form) >= 8))
