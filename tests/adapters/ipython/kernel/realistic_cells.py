"""The realistic notebook of test_realistic_notebook.py, and the guarded runner the newer kernel tests share.

``run_guarded`` is ``kernel_run.run_notebook`` with three differences: a cell
that raises does not stop the run (each test looks at its own cells), a
kernel that dies, hangs or never says idle ends the run early but keeps
everything recorded up to then (``run.stopped`` says why), and binary
buffers of every message are recorded too.

The notebook itself is what a data scientist's notebook looks like: settings
and secrets loaded from a dict, pandas tables, logging, HTML and Markdown,
widgets, a traceback, a subprocess, URLs built from the settings. It runs in a
kernel with nbsecrets and in one without; the two must differ only where a
secret value was printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from kernel_run import NotebookRun, RecordingClient, code, kernel_env

# -- the runner ------------------------------------------------------------------------------


@dataclass
class GuardedRun(NotebookRun):
    """A NotebookRun that can have ended early; ``stopped`` says why (None: every cell ran)."""

    stopped: str | None = None

    def ran(self, tag: str) -> Any:
        """The cell tagged ``tag``, failing the calling test clearly if the run never reached it."""
        cell = self.cell(tag)
        if cell.get("execution_count") is None and not cell.get("outputs"):
            raise AssertionError(f"cell {tag!r} never ran: the run stopped early ({self.stopped})")
        return cell

    def reply(self, tag: str) -> dict:
        self.ran(tag)
        try:
            return super().reply(tag)
        except StopIteration:
            raise AssertionError(f"cell {tag!r} got no execute reply ({self.stopped})") from None

    def errors(self, tag: str) -> list[str]:
        """``ename: evalue`` of every error output of the cell tagged ``tag``."""
        return [f"{o['ename']}: {o['evalue']}" for o in self.ran(tag).outputs if o["output_type"] == "error"]

    def messages_of(self, tag: str) -> list[dict]:
        """The IOPub messages sent on behalf of the cell tagged ``tag``, in order."""
        parent = self.cell_msg_id(tag)
        return [m for m in self.messages if (m.get("parent_header") or {}).get("msg_id") == parent]


class BufferRecordingClient(RecordingClient):
    """Also keeps each message's binary buffers (widget values such as Image bytes travel there)."""

    def process_message(self, msg: dict, cell: Any, cell_index: int) -> Any:
        count = len(self._run.messages)
        try:
            return super().process_message(msg, cell, cell_index)
        finally:
            # The base class records before handling; handling the final idle raises.
            if len(self._run.messages) > count:
                self._run.messages[count]["buffers"] = [bytes(b) for b in msg.get("buffers") or []]


def run_guarded(cells: list[Any], workdir: Path, name: str, *, timeout: int = 60) -> GuardedRun:
    """Execute ``cells`` in a fresh python3 kernel started in ``workdir``; save the .ipynb there.

    ``timeout`` only bounds a kernel that stopped answering; a cell that
    raises is recorded as an error output and the next cell runs.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    run = GuardedRun(nb)
    log_path = workdir / f"{name}.kernel.log"
    client = BufferRecordingClient(
        nb,
        run,
        kernel_name="python3",
        timeout=timeout,
        allow_errors=True,
        # A kernel whose idle status never arrives ends the run instead of stalling every cell.
        iopub_timeout=timeout // 4,
        raise_on_iopub_timeout=True,
        extra_arguments=["--IPKernelApp.quiet=False"],
        ipython_hist_file=str(workdir / f"{name}.history.sqlite"),
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        with open(log_path, "wb") as log:
            client.execute(env=kernel_env(workdir), stdout=log, stderr=log)
    except Exception as exc:  # noqa: BLE001 - a dead or hung kernel is a finding, reported by the tests
        run.stopped = f"{type(exc).__name__}: {str(exc)[:300]}"
    run.log = log_path.read_text(encoding="utf-8", errors="replace")
    (workdir / f"{name}.ipynb").write_text(run.ipynb, encoding="utf-8")
    return run


# -- the realistic notebook ------------------------------------------------------------------------

SETTINGS = {"PGHOST": "localhost", "PGPORT": "5432", "PGUSER": "postgres", "PGDATABASE": "analytics"}
SECRETS = {"PGPASSWORD": "pg-test-Xq7!v9@Lm2#rT", "OPENAI_API_KEY": "sk-test-real-4Hf8Jk2Lp9Qw3Er7Ty"}
URL = "postgresql://postgres@localhost:5432/analytics"


def _hex(value: str) -> str:
    return value.encode().hex()


# Settings are written as a user would; the secrets are built from hex so no cell source holds them.
ENV = (
    "env = {\n"
    + "".join(f"    {key!r}: {value!r},\n" for key, value in SETTINGS.items())
    + "".join(f"    {key!r}: bytes.fromhex({_hex(value)!r}).decode(),\n" for key, value in SECRETS.items())
    + "}\n"
)

MASKED_SETUP = (
    "%load_ext nbsecrets\nimport os\nimport nbsecrets\n"
    + ENV
    + f"report = nbsecrets.load(nbsecrets.Secret.from_dict(env, settings={list(SETTINGS)!r}))"
)
PLAIN_SETUP = "import os\n" + ENV + "os.environ.update(env)"

# Cells that run only with nbsecrets: its own output, which must not mask settings or key names.
NBSECRETS_ONLY = [("ns-status", "%secret status"), ("ns-templates", "%secret templates")]

SHARED: list[tuple[str, str]] = [
    (
        "imports",
        "import logging, subprocess, sys, warnings\n"
        "from urllib.parse import quote\n"
        "import numpy as np\n"
        "import pandas as pd\n"
        "import ipywidgets as widgets\n"
        "from IPython.display import display, HTML, Markdown\n"
        'pd.set_option("display.width", 100)',
    ),
    (
        "settings",
        'for key in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"]:\n'
        '    print(f"{key}={os.environ[key]}")\n'
        "url = f\"postgresql://{os.environ['PGUSER']}@{os.environ['PGHOST']}:{os.environ['PGPORT']}/"
        "{os.environ['PGDATABASE']}\"\n"
        "print(url)",
    ),
    (
        "dsn",
        "dsn = (f\"postgresql://{os.environ['PGUSER']}:{quote(os.environ['PGPASSWORD'], safe='')}\"\n"
        "       f\"@{os.environ['PGHOST']}:{os.environ['PGPORT']}/{os.environ['PGDATABASE']}\")\n"
        'print("connecting with", dsn)',
    ),
    (
        "frame",
        "sales = pd.DataFrame({\n"
        '    "region": ["north", "south", "east", "west", "north", "east"],\n'
        '    "month": pd.period_range("2024-01", periods=6, freq="M").astype(str),\n'
        '    "orders": [120, 95, 143, 88, 131, 150],\n'
        '    "revenue": [10234.5, 8120.0, 12877.25, 7420.75, 11010.0, 13250.5],\n'
        "})\n"
        "sales",
    ),
    ("describe", "sales.describe()"),
    ("groupby-html", 'display(HTML(sales.groupby("region")[["orders", "revenue"]].sum().to_html()))'),
    (
        "config-frame",
        'keys = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"]\n'
        'pd.DataFrame({"key": keys, "value": [os.environ[k] for k in keys]})',
    ),
    (
        "secret-frame",
        'api_key = os.environ["OPENAI_API_KEY"]\n'
        'pd.DataFrame({"name": ["OPENAI_API_KEY"], "value": [api_key], "length": [len(api_key)]})',
    ),
    (
        "logging",
        'logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",\n'
        "                    level=logging.INFO, force=True)\n"
        'log = logging.getLogger("etl")\n'
        'log.info("connecting to %s", url)\n'
        'log.info("loaded %d rows from %s", len(sales), os.environ["PGDATABASE"])\n'
        'log.warning("request failed; sent Authorization: Bearer %s", os.environ["OPENAI_API_KEY"])',
    ),
    (
        "html",
        "display(HTML(f\"<h3>Connected to <code>{os.environ['PGHOST']}:{os.environ['PGPORT']}</code></h3>\"\n"
        "             f\"<p>database <b>{os.environ['PGDATABASE']}</b> as <i>{os.environ['PGUSER']}</i></p>\"))",
    ),
    (
        "markdown",
        'display(Markdown(f"## Report\\n\\n* source: `{url}`\\n* rows: **{len(sales)}**\\n"\n'
        '                 f"* revenue: {sales.revenue.sum():,.2f}"))',
    ),
    (
        "widgets",
        'db = widgets.Dropdown(options=["analytics", "staging"], value=os.environ["PGDATABASE"],\n'
        '                      description="database")\n'
        'limit = widgets.IntSlider(value=5, min=1, max=10, description="limit")\n'
        'target = widgets.Text(value=url, description="url")\n'
        "display(widgets.VBox([db, limit, target]))",
    ),
    (
        "password-widget",
        'pw = widgets.Password(value=os.environ["PGPASSWORD"], description="password")\ndisplay(pw)',
    ),
    (
        "object",
        "class Connection:\n    def __init__(self, url):\n        self.url = url\n\nconn = Connection(url)\nconn",
    ),
    ("warning", "warnings.warn(f\"slow query on {os.environ['PGHOST']}\")"),
    (
        "traceback",
        "def connect(dsn):\n"
        "    where = f\"{os.environ['PGHOST']}:{os.environ['PGPORT']}\"\n"
        "    raise ConnectionError(f\"could not connect to {where} using {dsn}\")\n\n"
        "connect(dsn)",
    ),
    ("shell", '!echo $PGHOST\n!echo "$PGUSER@$PGHOST:$PGPORT/$PGDATABASE"'),
    (
        "subprocess",
        'out = subprocess.run(["echo", os.environ["PGHOST"]], capture_output=True, text=True, check=True)\n'
        "print(out.stdout.strip())",
    ),
    ("to-csv", 'path = os.path.abspath("sales.csv")\nsales.to_csv(path, index=False)\nprint("saved", path)'),
]

# Where the notebook prints a secret (the only cells whose outputs may differ between the runs).
SECRET_CELLS = {"dsn", "secret-frame", "logging", "password-widget", "traceback"}


def realistic_cells(masked: bool) -> list[Any]:
    cells = [code(MASKED_SETUP if masked else PLAIN_SETUP, "setup")]
    if masked:
        cells += [code(source, tag) for tag, source in NBSECRETS_ONLY]
    cells += [code(source, tag) for tag, source in SHARED]
    return cells


def stream_segments(outputs: list) -> list:
    """Outputs with adjacent streams joined per name, as frontends join them.

    stdout and stderr are flushed independently, so only their order
    relative to displays is stable, not their order relative to each other.
    """
    segments: list = []
    streams: dict[str, str] = {}
    for output in outputs:
        if output["output_type"] == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + output["text"]
            continue
        if streams:
            segments.append(streams)
            streams = {}
        segments.append(output)
    if streams:
        segments.append(streams)
    return segments
