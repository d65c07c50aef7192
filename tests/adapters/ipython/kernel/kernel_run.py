"""Running notebooks in real ipykernel kernels through nbclient, and scanning what comes out.

Every message the kernel sends on IOPub and every execute reply is recorded
beside the saved notebook, and the kernel's own stdout/stderr (what a
Jupyter server would log) is captured to a file, so a leak anywhere on the
way out can be found.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import nbformat
from nbclient import NotebookClient


@dataclass
class NotebookRun:
    """What one kernel produced: the notebook, every message, and its log."""

    nb: Any
    messages: list[dict] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)
    log: str = ""
    failures: dict[int, Exception] = field(default_factory=dict)
    """For `run_cells`: the CellExecutionError each failing cell raised, by cell index."""

    @property
    def ipynb(self) -> str:
        return nbformat.writes(self.nb)

    def cell(self, tag: str) -> Any:
        for cell in self.nb.cells:
            if tag in cell.get("metadata", {}).get("tags", []):
                return cell
        raise KeyError(tag)

    def index(self, tag: str) -> int:
        return next(i for i, c in enumerate(self.nb.cells) if tag in c.get("metadata", {}).get("tags", []))

    def failure(self, tag: str) -> Exception | None:
        """What nbclient raised for the cell tagged ``tag`` (None if the cell succeeded)."""
        return self.failures.get(self.index(tag))

    def reply(self, tag: str) -> dict:
        index = next(i for i, c in enumerate(self.nb.cells) if tag in c.get("metadata", {}).get("tags", []))
        return next(r for r in self.replies if r["cell_index"] == index)["reply"]

    def cell_msg_id(self, tag: str) -> str:
        """The msg_id of the execute request that ran the cell tagged ``tag``."""
        return self.reply(tag)["parent_header"]["msg_id"]


class RecordingClient(NotebookClient):
    """NotebookClient that keeps every IOPub message and execute reply it handles."""

    def __init__(self, nb: Any, run: NotebookRun, **kw: Any) -> None:
        super().__init__(nb, **kw)
        self._run = run
        self.on_cell_executed = self._keep_reply

    def process_message(self, msg: dict, cell: Any, cell_index: int) -> Any:
        self._run.messages.append(
            {k: msg.get(k) for k in ("header", "msg_type", "content", "metadata", "parent_header")}
        )
        return super().process_message(msg, cell, cell_index)

    def _keep_reply(self, cell: Any, cell_index: int, execute_reply: dict) -> None:
        self._run.replies.append({"cell_index": cell_index, "reply": execute_reply})


def kernel_env(home: Path, fd_capture: bool = True) -> dict[str, str]:
    """The kernel's environment, with private IPython and nbsecrets homes.

    ipykernel turns fd capture off when PYTEST_CURRENT_TEST is set, and then
    subprocess output never reaches the notebook: pytest's marker is removed
    unless a test wants exactly that.
    """
    env = dict(os.environ)
    if fd_capture:
        env.pop("PYTEST_CURRENT_TEST", None)
    else:
        env.setdefault("PYTEST_CURRENT_TEST", "kernel without fd capture")
    env.update(
        IPYTHONDIR=str(home / "ipython"),
        NBSECRETS_HOME=str(home / "nbsecrets-home"),
        NBSECRETS_KEY_DIR=str(home / "nbsecrets-keys"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PYTHONUNBUFFERED="1",
    )
    env.pop("PYTHONPATH", None)
    return env


def _client(cells: list[Any], workdir: Path, name: str, **options: Any) -> tuple[Any, NotebookRun]:
    """A recording client for ``cells`` in a fresh python3 kernel started in ``workdir``.

    The kernel runs with ``quiet=False``, so it also echoes Python-level
    output to its own stdout/stderr: the log a Jupyter server keeps.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    run = NotebookRun(nb)
    client = RecordingClient(
        nb,
        run,
        kernel_name="python3",
        timeout=120,
        extra_arguments=["--IPKernelApp.quiet=False"],
        ipython_hist_file=str(workdir / f"{name}.history.sqlite"),
        resources={"metadata": {"path": str(workdir)}},
        **options,
    )
    return client, run


def _finish(run: NotebookRun, workdir: Path, name: str) -> NotebookRun:
    run.log = (workdir / f"{name}.kernel.log").read_text(encoding="utf-8", errors="replace")
    (workdir / f"{name}.ipynb").write_text(run.ipynb, encoding="utf-8")
    return run


def run_notebook(cells: list[Any], workdir: Path, name: str, fd_capture: bool = True) -> NotebookRun:
    """Execute ``cells`` in a fresh kernel in ``workdir`` and save the .ipynb and the kernel's log there."""
    client, run = _client(cells, workdir, name)
    with open(workdir / f"{name}.kernel.log", "wb") as log:
        client.execute(env=kernel_env(workdir, fd_capture), stdout=log, stderr=log)
    return _finish(run, workdir, name)


def run_cells(cells: list[Any], workdir: Path, name: str, env: dict[str, str] | None = None) -> NotebookRun:
    """Like `run_notebook`, but each cell is run as papermill and nbconvert run it (``allow_errors=False``:
    a failing cell raises CellExecutionError), and the run goes on after a failing cell, keeping what
    it raised in ``run.failures``. ``env`` adds variables to the kernel's environment."""
    from nbclient.exceptions import CellExecutionError

    client, run = _client(cells, workdir, name, allow_errors=False)
    with open(workdir / f"{name}.kernel.log", "wb") as log:
        with client.setup_kernel(env={**kernel_env(workdir), **(env or {})}, stdout=log, stderr=log):
            for index, cell in enumerate(client.nb.cells):
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as error:
                    run.failures[index] = error
    return _finish(run, workdir, name)


def code(source: str, *tags: str) -> Any:
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


# -- scanning ------------------------------------------------------------------------------


def leak_forms(value: str) -> list[str]:
    """The ways ``value`` can be written that a reader could turn back into it.

    Written out here rather than taken from the masker, so a form the masker
    forgot is caught, not hidden.
    """
    raw = value.encode()
    forms = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        html.escape(value),
        html.escape(value, quote=False),
    }
    for offset, head in enumerate((0, 2, 3)):
        stable_end = (8 * (offset + len(raw))) // 6
        b64 = base64.b64encode(b"\0" * offset + raw).decode()[head:stable_end]
        forms.add(b64)
        forms.add(b64.replace("+", "-").replace("/", "_"))
    return sorted(forms, key=len, reverse=True)


def strings_in(obj: Any) -> Iterator[str]:
    """Every string in a JSON-like structure, keys included."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def joined_cell_streams(cell: Any) -> list[str]:
    """One cell's adjacent stream outputs of one name joined, as JupyterLab does before saving."""
    joined: list[str] = []
    last_name, parts = None, []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == last_name:
            parts.append(output["text"])
            continue
        if parts:
            joined.append("".join(parts))
        parts, last_name = [], None
        if output.get("output_type") == "stream":
            last_name, parts = output["name"], [output["text"]]
    if parts:
        joined.append("".join(parts))
    return joined


def joined_streams(nb: Any) -> list[str]:
    """Every cell's joined streams (see `joined_cell_streams`)."""
    return [text for cell in nb.cells for text in joined_cell_streams(cell)]


def output_texts(run: NotebookRun) -> list[str]:
    """All text a reader of the saved notebook or a frontend could see, cell sources excepted."""
    texts: list[str] = list(strings_in(run.nb.metadata))
    for cell in run.nb.cells:
        texts.extend(strings_in(cell.get("outputs", [])))
    texts.extend(joined_streams(run.nb))
    for reply in run.replies:
        texts.extend(strings_in(reply["reply"].get("content", {})))
    return texts


def longest_common_run(a: str, b: str) -> int:
    """Length of the longest substring shared by ``a`` and ``b``: how much of a secret shows."""
    best = 0
    for i in range(len(a)):
        for j in range(len(b)):
            k = 0
            while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                k += 1
            best = max(best, k)
    return best


def find_leaks(texts: list[str], secrets: dict[str, str]) -> list[str]:
    """Descriptions (key name and form number, never the value) of every form found."""
    found = []
    for name, value in secrets.items():
        for number, form in enumerate(leak_forms(value)):
            if any(form in text for text in texts):
                found.append(f"{name} form #{number} (length {len(form)})")
    return found
