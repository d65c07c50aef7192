"""Once a value is registered, it stays masked for the life of the kernel.

Three ways a session can seem to start over: ``%reload_ext nbsecrets``
(which must keep what ``%secret load`` put in os.environ, and keep masking
it), ``%unload_ext nbsecrets`` (a registered secret printed afterwards is
still masked), and ``%logstart -o`` started after results holding a secret
were shown (IPython replays ``repr(Out[n])`` of every earlier result into the
log file, so those results must reach the file masked too).

The same cells run in a kernel without nbsecrets (the magics replaced by
their plain effect), which shows each path really carries the secret there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from kernel_run import code, find_leaks, joined_streams, output_texts, strings_in
from realistic_cells import GuardedRun, run_guarded

KEY = "sk-test-lasting-9Rw2Pz7Kd4Mx1Vb6"
LOADED = "pw-test-loaded-Qe5Tn8Ys3Lf0Gh"
SECRETS = {"LASTING_KEY": KEY, "LOADED_KEY": LOADED}


def _hex(value: str) -> str:
    return value.encode().hex()


SETUP = f"""
import os, sys
import nbsecrets
from IPython.display import display, HTML
KEY = bytes.fromhex("{_hex(KEY)}").decode()
nbsecrets.mask(KEY, name="LASTING_KEY")
env = {{"LOADED_KEY": bytes.fromhex("{_hex(LOADED)}").decode()}}
"""


def cells(masked: bool, logfile: Path) -> list:
    def magic(line: str, plain: str) -> str:
        return line if masked else plain

    return [
        code(magic("%load_ext nbsecrets", "pass"), "load"),
        code(SETUP, "setup"),
        code(magic("%secret load --dict env", "os.environ.update(env)"), "secret-load"),
        code('f"@@R1 {KEY} R1@@"', "shown-1"),
        code('{"token": os.environ["LOADED_KEY"], "marker": "@@R2"}', "shown-2"),
        code(magic("%reload_ext nbsecrets", "pass"), "reload"),
        code(
            'print("in environ:", os.environ.get("LOADED_KEY") == env["LOADED_KEY"])\n'
            'print(f"@@A1 {os.environ.get(\'LOADED_KEY\')} A1@@")\n'
            'print(f"@@A2 {KEY} A2@@")',
            "after-reload",
        ),
        code('f"@@A3 {env[\'LOADED_KEY\']} A3@@"', "after-reload-result"),
        code(f"%logstart -o {logfile}", "logstart"),
        code('f"@@R3 {env[\'LOADED_KEY\']} R3@@"', "shown-3"),
        code("%logstop", "logstop"),
        code(magic("%unload_ext nbsecrets", "pass"), "unload"),
        code(
            'print(f"@@U1 {KEY} U1@@")\nprint(f"@@U2 {env[\'LOADED_KEY\']} U2@@", file=sys.stderr)',
            "after-unload",
        ),
        code('f"@@U3 {KEY} U3@@"', "after-unload-result"),
        code('display(HTML(f"<b>@@U4 {KEY} U4@@</b>"))', "after-unload-display"),
    ]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("masking-lasts")


@pytest.fixture(scope="module")
def masked(workdir: Path) -> GuardedRun:
    return run_guarded(cells(True, workdir / "masked.session.log"), workdir / "masked", "masked")


@pytest.fixture(scope="module")
def plain(workdir: Path) -> GuardedRun:
    return run_guarded(cells(False, workdir / "plain.session.log"), workdir / "plain", "plain")


def middles(texts: list[str], marker: str) -> list[str]:
    pattern = re.compile(rf"@@{marker} (.*?) {marker}@@", re.S)
    return [m.group(1) for text in texts for m in pattern.finditer(text)]


def cell_texts(run: GuardedRun, tag: str) -> list[str]:
    outputs = run.ran(tag).outputs
    return [*strings_in(outputs), "".join(o.get("text", "") for o in outputs)]


# name of the secret each marker wraps, and the cell that prints it
AFTER = {
    "A1": ("LOADED_KEY", "after-reload"),
    "A2": ("LASTING_KEY", "after-reload"),
    "A3": ("LOADED_KEY", "after-reload-result"),
    "U1": ("LASTING_KEY", "after-unload"),
    "U2": ("LOADED_KEY", "after-unload"),
    "U3": ("LASTING_KEY", "after-unload-result"),
    "U4": ("LASTING_KEY", "after-unload-display"),
}


def test_the_magics_ran(masked: GuardedRun) -> None:
    assert masked.stopped is None
    for tag in ("load", "secret-load", "reload", "logstart", "logstop", "unload"):
        assert masked.errors(tag) == [], tag
    loaded = "".join(o.get("text", "") for o in masked.cell("secret-load").outputs)
    assert "LOADED_KEY" in loaded


@pytest.mark.parametrize("marker", AFTER)
def test_without_nbsecrets_the_cell_shows_the_secret(plain: GuardedRun, marker: str) -> None:
    name, tag = AFTER[marker]
    assert middles(cell_texts(plain, tag), marker) and set(middles(cell_texts(plain, tag), marker)) == {
        SECRETS[name]
    }


@pytest.mark.parametrize("marker", AFTER)
def test_secret_printed_after_reload_or_unload_is_still_masked(masked: GuardedRun, marker: str) -> None:
    name, tag = AFTER[marker]
    shown = middles(cell_texts(masked, tag), marker)
    assert shown and set(shown) == {f"[masked:{name}]"}, shown
    assert find_leaks(cell_texts(masked, tag), SECRETS) == []


def test_reload_keeps_what_secret_load_put_in_the_environment(masked: GuardedRun) -> None:
    stdout = "".join(o["text"] for o in masked.ran("after-reload").outputs if o.get("name") == "stdout")
    assert stdout.splitlines()[0] == "in environ: True"


def logged_results(path: Path) -> str:
    """The results IPython wrote into a log file (its other lines are the cell sources)."""
    return "\n".join(line for line in path.read_text().splitlines() if line.startswith("#[Out]#"))


def test_logstart_after_results_writes_them_masked(masked: GuardedRun, plain: GuardedRun, workdir: Path) -> None:
    plain_log = logged_results(workdir / "plain.session.log")
    # IPython replayed the earlier results into the file: they carry the secrets there.
    assert middles([plain_log], "R1") == [KEY]
    assert LOADED in plain_log.split("@@R2")[0] and middles([plain_log], "R3") == [LOADED]

    assert find_leaks([(workdir / "masked.session.log").read_text()], SECRETS) == []
    log = logged_results(workdir / "masked.session.log")
    assert middles([log], "R1") == ["[masked:LASTING_KEY]"]
    assert "[masked:LOADED_KEY]" in log.split("@@R2")[0]
    assert middles([log], "R3") == ["[masked:LOADED_KEY]"]


def test_nothing_the_kernel_wrote_holds_a_secret(masked: GuardedRun, plain: GuardedRun) -> None:
    def everything(run: GuardedRun) -> list[str]:
        texts = [run.ipynb, run.log, *output_texts(run), *joined_streams(run.nb)]
        return texts + [json.dumps(m, default=str) for m in run.messages]

    assert {f.split()[0] for f in find_leaks(everything(plain), SECRETS)} == set(SECRETS)
    assert find_leaks(everything(masked), SECRETS) == []


def test_sources_hold_no_secret(workdir: Path) -> None:
    assert find_leaks([c.source for c in cells(True, workdir / "x.log")], SECRETS) == []
