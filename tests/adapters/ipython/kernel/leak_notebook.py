"""The notebooks of the kernel leak suite.

The secrets are fake and built in the kernel from hex, so no form of them is
in any cell's source: the whole saved file can be scanned, not just outputs.
Each leak cell wraps the secret in markers (``@@Pn `` ... `` Pn@@``) so the
tests can check that the text around it survived.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kernel_run import code

KEY = "sk-test-4fJ9qL2mX8vR1tY6wZ3nB7cD5hK0pQ"
PW = "pw-test-R7&x<Q9>\"k/+L2%w'Zt\\9 end"
SHORT = "q7x"
SECRETS = {"OPENAI_API_KEY": KEY, "DB_PASSWORD": PW}

# %unload_ext keeps masking for the life of the process; a host embedding IPython removes every hook so.
UNINSTALL = (
    "%unload_ext nbsecrets\n"
    "from nbsecrets.adapters.ipython.extension import uninstall_output_masking\n"
    "uninstall_output_masking(get_ipython())"
)

SETUP = r'''
import json, os, sys, threading
_ip = get_ipython()
_ip.history_manager.db_log_output = True

def _snapshot():
    """What nbsecrets may touch, to compare after %unload_ext."""
    hm, k = _ip.history_manager, _ip.kernel
    fds = [getattr(s, "_original_stdstream_copy", None) for s in (sys.stdout, sys.stderr)]
    fds = [fd for fd in fds if fd is not None]
    return {
        "stdout": sys.stdout, "stderr": sys.stderr,
        "echo": [getattr(s, "echo", None) for s in (sys.stdout, sys.stderr)],
        "session_send_patched": "send" in vars(k.session),
        "session_send": type(k.session).send,
        "displayhook_log_output_patched": "log_output" in vars(_ip.displayhook),
        "pager_hook": _ip.hooks.show_in_pager,
        "output_hist_reprs": hm.output_hist_reprs,
        "outputs": getattr(hm, "outputs", None),
        "exceptions": getattr(hm, "exceptions", None),
        "events": {name: list(cbs) for name, cbs in _ip.events.callbacks.items()},
        "fds": {fd: (os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in fds},
        "nbsecrets_threads": sorted(t.name for t in threading.enumerate() if t.name.startswith("nbsecrets")),
    }

_before = _snapshot()
'''

# Deterministic output of every kind, printed with no secret in it.
NO_SECRET = [
    'print("plain stdout line")\nprint("plain stderr line", file=sys.stderr)',
    "from IPython.display import display, HTML, Markdown, Latex, JSON\n"
    'display(HTML("<b>bold</b> &amp; text"))\n'
    'display(Markdown("*md* text"))\n'
    'display(Latex(r"$x^2$"))\n'
    'display(JSON({"a": [1, 2, {"b": "c"}]}))',
    '{"result": [1, 2.5, "three"], "nested": {"k": None}}',
    'h = display("first", display_id="fixed-id")\nh.update("second")',
    'raise RuntimeError("expected failure")',
    'for i in range(5):\n    print(i, end=" ", flush=True)',
]


def _hex(value: str) -> str:
    return value.encode().hex()


REGISTER = f'''
import nbsecrets
KEY = bytes.fromhex("{_hex(KEY)}").decode()
PW = bytes.fromhex("{_hex(PW)}").decode()
nbsecrets.mask(KEY, name="OPENAI_API_KEY")
nbsecrets.mask(PW, name="DB_PASSWORD")
nbsecrets.mask(bytes.fromhex("{_hex(SHORT)}").decode(), name="TINY_KEY")
os.environ["LEAK_KEY"] = KEY
os.environ["LEAK_PW"] = PW
'''

LEAKS: list[tuple[str, str]] = [
    ("p1", 'print(f"@@P1 {KEY} P1@@")'),
    ("p2", 'print(f"@@P2 {KEY} P2@@", file=sys.stderr)'),
    ("p3", 'import logging\nlogging.getLogger("leaky").warning("@@P3 %s P3@@", KEY)'),
    ("p4", 'import warnings\nwarnings.warn(f"@@P4 {KEY} P4@@")'),
    ("p5", 't = threading.Thread(target=lambda: print(f"@@P5 {KEY} P5@@"))\nt.start(); t.join()'),
    ("p6", 'import subprocess\nsubprocess.run(["echo", f"@@P6 {KEY} P6@@"], check=True)'),
    ("p7", "os.system('echo \"@@P7 $LEAK_KEY P7@@\"')"),
    ("p8", 'os.write(1, f"@@P8 {KEY} P8@@\\n".encode())\nos.write(2, f"@@P8e {PW} P8e@@\\n".encode())'),
    (
        "p9",
        "import ctypes\nlibc = ctypes.CDLL(None)\n"
        'libc.printf(b"@@P9 %s P9@@\\n", KEY.encode())\nlibc.fflush(None)',
    ),
    ("p10", 'import html\ndisplay(HTML(f"<b>@@P10 {html.escape(PW)} P10@@</b>"))'),
    ("p11", 'display(Markdown(f"@@P11 {KEY} P11@@"))'),
    ("p12", 'display(Latex(f"$@@P12 {KEY} P12@@$"))'),
    ("p13", 'display(JSON({"key": f"@@P13 {KEY} P13@@", KEY: "as a key", "nested": [PW]}))'),
    (
        "p14",
        'display({"application/vnd.leak+json": {"v": [KEY]}, "text/plain": f"@@P14 {KEY} P14@@"}, raw=True)',
    ),
    ("p15", 'h = display("@@P15 start P15@@", display_id=True)\nh.update(f"@@P15 {KEY} P15@@")'),
    ("p16", 'f"@@P16 {KEY} P16@@"'),
    ("p17", 'raise ValueError(f"@@P17 {KEY} P17@@")'),
    (
        "p18",
        "import time\n"
        'for i, ch in enumerate(f"@@P18 {KEY} P18@@"):\n'
        '    print(ch, end="", flush=True)\n'
        "    if i == 12:\n"
        "        time.sleep(1.2)\n"
        "        resumed = time.time()\n"
        "print()\n"
        'print("resumed", resumed, file=sys.stderr)',
    ),
    (
        "p19",
        'subprocess.run(["sh", "-c", \'printf "@@P19 %s" "$A"; sleep 1; printf "%s P19@@\\\\n" "$B"\'],\n'
        "               env=dict(os.environ, A=KEY[:12], B=KEY[12:]), check=True)",
    ),
    ("p20", 'def leaky():\n    pass\nleaky.__doc__ = f"@@P20 {KEY} P20@@"'),
    ("p20b", "leaky?"),
    (
        "p21",
        "import ipywidgets as widgets\n"
        'w = widgets.Password(value=KEY, description="pw")\ndisplay(w)\n'
        't = widgets.Text(value="x")\ndisplay(t)\nt.value = f"@@P21 {KEY} P21@@"',
    ),
    (
        "p22",
        "import base64, json as _json, urllib.parse\n"
        'print("@@P22a", base64.b64encode(f"user:{KEY}".encode()).decode(), "P22a@@")\n'
        'print("@@P22b", base64.b64encode(PW.encode()).decode(), "P22b@@")\n'
        'print("@@P22c", urllib.parse.quote(PW), "P22c@@")\n'
        'print("@@P22d", _json.dumps({"pw": PW}), "P22d@@")\n'
        'print("@@P22e", html.escape(PW), "P22e@@")\n'
        'print("@@P22f", repr(PW), "P22f@@")',
    ),
    ("p23", 'print(f"@@P23 {PW} P23@@")'),
    (
        "p24",
        "import multiprocessing\n"
        'p = multiprocessing.get_context("fork").Process(target=print, args=(f"@@P24 {KEY} P24@@",))\n'
        "p.start(); p.join()",
    ),
    ("p25", 'print("@@P25 " + KEY[:10], end="", flush=True)\nprint(KEY[10:] + " P25@@")'),
    ("p26", 'print("@@P26 " + KEY[:10], end="", flush=True)\ndisplay("between")\nprint(KEY[10:] + " P26@@")'),
    ("p27", 'repr_holder = {"token": KEY}\nrepr_holder'),
    # Ends holding a possible start of a secret: released before the cell's idle, not lost.
    ("p28", 'print("@@P28 " + KEY[:10], end="")'),
]

RAISES = {"p17", "n5"}


def main_cells(workdir: Path) -> list[Any]:
    cells = [code(SETUP, "setup"), code("%load_ext nbsecrets", "load")]
    cells += _tagged(NO_SECRET, "n")
    cells.append(code(REGISTER, "register"))
    cells += [code(src, tag, *(["raises-exception"] if tag in RAISES else [])) for tag, src in LEAKS]
    cells += _tagged(NO_SECRET, "m")
    cells.append(
        code(
            f"%notebook {workdir / 'exported.ipynb'}\n"
            f'with open({str(workdir / "output_hist_reprs.json")!r}, "w") as f:\n'
            "    json.dump({str(k): v for k, v in _ip.history_manager.output_hist_reprs.items()}, f)\n"
            "_ip.history_manager.writeout_cache()",
            "history",
        )
    )
    cells.append(code(UNINSTALL, "unload"))
    cells.append(
        code(
            "_after = _snapshot()\n"
            "_by_identity = {'stdout', 'stderr', 'session_send', 'pager_hook', 'output_hist_reprs',"
            " 'outputs', 'exceptions'}\n"
            "print(json.dumps({k: (_after[k] is v) if k in _by_identity else (_after[k] == v)"
            " for k, v in _before.items()}))",
            "unload-check",
        )
    )
    return cells


def baseline_cells() -> list[Any]:
    """The same cells in the same places without ``%load_ext``: every path must then leak."""
    cells = [code(SETUP, "setup"), code("pass", "load")]
    cells += _tagged(NO_SECRET, "n")
    cells.append(code(REGISTER, "register"))
    cells += [code(src, tag, *(["raises-exception"] if tag in RAISES else [])) for tag, src in LEAKS]
    return cells


def _tagged(sources: list[str], prefix: str) -> list[Any]:
    cells = []
    for i, src in enumerate(sources):
        tags = [f"{prefix}{i + 1}"]
        if f"n{i + 1}" in RAISES:
            tags.append("raises-exception")
        cells.append(code(src, *tags))
    return cells


NO_CAPTURE_SNAPSHOT = (
    "import os, threading\n"
    "def _fds():\n"
    "    return {fd: (os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)}\n"
    "def _threads():\n"
    "    return sorted(t.name for t in threading.enumerate() if t.name.startswith('nbsecrets'))\n"
    "_fds_before = _fds()"
)

NO_CAPTURE_OUTPUT = (
    "import subprocess, sys\n"
    'print(f"@@{m}1 {{KEY}} {m}1@@")\n'
    'subprocess.run(["echo", f"@@{m}2 {{KEY}} {m}2@@"], check=True)\n'
    'os.write(1, f"@@{m}3 {{KEY}} {m}3@@\\n".encode())\n'
    "sys.stdout.flush()"
)


def no_capture_cells() -> list[Any]:
    """A kernel with fd capture off: fd 1 and 2 are the server log itself.

    The same output is printed before ``%load_ext`` (markers C1-C3: shows it
    reaches the log) and after (markers Q1-Q3: must reach it masked).
    """
    return [
        code(NO_CAPTURE_SNAPSHOT, "setup"),
        code(REGISTER, "register"),
        code(NO_CAPTURE_OUTPUT.format(m="C"), "control"),
        code("%load_ext nbsecrets", "load"),
        code(NO_CAPTURE_OUTPUT.format(m="Q"), "masked"),
        code(UNINSTALL, "unload"),
        code("print(_fds() == _fds_before, _threads())", "unload-check"),
    ]
