"""Values that are not strings in the kernel are judged by what goes on the wire.

jupyter_client writes ints and floats as JSON numbers, base64-encodes bytes
inside content, turns sets and tuples into lists, and sends binary buffers
(widget values such as an Image's bytes, comm buffers) as they are. A secret
registered as the string ``'80417263'`` is on the wire as the number
80417263; the bytes of a secret in a buffer are the secret. None of these may
leave the kernel: not in a message, not in its buffers, not in the saved
notebook (whose ``metadata.widgets`` keeps widget state, buffers as base64).

The same cells run in a kernel without nbsecrets, which shows each path
really carries the value there. The values are built from hex in the kernel,
so no cell source holds them and whole files can be scanned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kernel_run import code, find_leaks, leak_forms, strings_in
from realistic_cells import GuardedRun, run_guarded

KEY = "sk-test-wire-7Hq2Lx9Vb4Nc1Zt8"
PIN = "80417263"
RATE = "2718.281828"
SECRETS = {"WIRE_KEY": KEY, "PIN": PIN, "RATE": RATE}


def _hex(value: str) -> str:
    return value.encode().hex()


SETUP = f"""
import base64, json, os
import ipywidgets as widgets
import nbsecrets
from comm import create_comm
from IPython.display import display, HTML, JSON
KEY = bytes.fromhex("{_hex(KEY)}").decode()
PIN = bytes.fromhex("{_hex(PIN)}").decode()
RATE = bytes.fromhex("{_hex(RATE)}").decode()
nbsecrets.mask(KEY, name="WIRE_KEY")
nbsecrets.mask(PIN, name="PIN")
nbsecrets.mask(RATE, name="RATE")
PIN_INT, RATE_FLOAT = int(PIN), float(RATE)
assert str(PIN_INT) == PIN and repr(RATE_FLOAT) == RATE
"""

# tag -> (source, the secrets that path carries)
PATHS: dict[str, tuple[str, list[str]]] = {
    "int-json": ('display(JSON({"pin": PIN_INT, "count": 3, "rate": RATE_FLOAT}))', ["PIN", "RATE"]),
    "int-raw": (
        'display({"application/json": {"pin": PIN_INT}, "text/plain": "a number"}, raw=True)',
        ["PIN"],
    ),
    "int-metadata": (
        'display(HTML("<i>account</i>"), metadata={"pin": PIN_INT, "rate": RATE_FLOAT, "count": 3})',
        ["PIN", "RATE"],
    ),
    "int-result": ("PIN_INT", ["PIN"]),
    "int-widgets": (
        "pin_box = widgets.IntText(value=PIN_INT, description='pin')\n"
        "rate_box = widgets.FloatText(value=RATE_FLOAT, description='rate')\n"
        "display(pin_box, rate_box)",
        ["PIN", "RATE"],
    ),
    "int-widget-update": (
        "later_box = widgets.IntText(value=1)\ndisplay(later_box)\nlater_box.value = PIN_INT",
        ["PIN"],
    ),
    "bytes-image": ('display(widgets.Image(value=KEY.encode(), format="png"))', ["WIRE_KEY"]),
    "bytes-octet": (
        'display({"application/octet-stream": KEY.encode(), "text/plain": "raw bytes"}, raw=True)',
        ["WIRE_KEY"],
    ),
    "b64-image": (
        'display(widgets.Image(value=base64.b64encode(b"token:" + KEY.encode()), format="png"))',
        ["WIRE_KEY"],
    ),
    "comm-buffers": (
        'probe = create_comm(target_name="nbsecrets.probe", data={"kind": "blob"},\n'
        '                    buffers=[b"key=" + KEY.encode() + b";", base64.b64encode(KEY.encode())])\n'
        'probe.send({"kind": "more"}, buffers=[memoryview(b"x" + KEY.encode())])',
        ["WIRE_KEY"],
    ),
    "set-json": ('display(JSON({"tags": {KEY}, "pair": (KEY, 1)}))', ["WIRE_KEY"]),
    "set-raw": (
        'display({"application/json": {"tags": {KEY}}, "text/plain": "tags"}, raw=True)',
        ["WIRE_KEY"],
    ),
    "set-metadata": (
        'display(HTML("<i>tags</i>"), metadata={"tags": {KEY}, "pair": (KEY,), "nested": [{KEY}]})',
        ["WIRE_KEY"],
    ),
}

WIDGET_PATHS = ["int-widgets", "int-widget-update", "bytes-image", "b64-image"]


def cells(masked: bool) -> list:
    out = [code("%load_ext nbsecrets" if masked else "pass", "load"), code(SETUP, "setup")]
    out += [code(source, tag) for tag, (source, _) in PATHS.items()]
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wire-values")


@pytest.fixture(scope="module")
def masked(workdir: Path) -> GuardedRun:
    return run_guarded(cells(True), workdir / "masked", "masked")


@pytest.fixture(scope="module")
def plain(workdir: Path) -> GuardedRun:
    return run_guarded(cells(False), workdir / "plain", "plain")


def wire_texts(messages: list[dict]) -> list[str]:
    """Each message as JSON (numbers as the wire writes them) and each of its buffers as text."""
    texts = []
    for m in messages:
        texts.append(json.dumps({k: v for k, v in m.items() if k != "buffers"}, default=str))
        texts += [bytes(b).decode("latin-1") for b in m.get("buffers", [])]
    return texts


def widget_states(run: GuardedRun) -> dict:
    return run.nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]


def subset(names: list[str]) -> dict[str, str]:
    return {name: SECRETS[name] for name in names}


# -- each path carries the value without nbsecrets, and not with it -------------------------------------


@pytest.mark.parametrize("tag", PATHS)
def test_without_nbsecrets_the_path_carries_the_value(plain: GuardedRun, tag: str) -> None:
    assert plain.errors(tag) == []
    names = PATHS[tag][1]
    texts = wire_texts(plain.messages_of(tag)) + [json.dumps(plain.ran(tag).outputs)]
    found = find_leaks(texts, subset(names))
    assert {f.split()[0] for f in found} == set(names)


@pytest.mark.parametrize("tag", PATHS)
def test_no_message_or_buffer_of_the_cell_holds_the_value(masked: GuardedRun, tag: str) -> None:
    assert masked.errors(tag) == []
    assert masked.messages_of(tag)
    assert find_leaks(wire_texts(masked.messages_of(tag)), SECRETS) == []


@pytest.mark.parametrize("tag", PATHS)
def test_the_cell_output_keeps_its_mimetypes(masked: GuardedRun, plain: GuardedRun, tag: str) -> None:
    def shape(run: GuardedRun) -> list:
        return [(o["output_type"], sorted(o.get("data", {}))) for o in run.ran(tag).outputs]

    assert shape(masked) == shape(plain)


def test_buffers_hold_no_raw_bytes_of_a_secret(masked: GuardedRun, plain: GuardedRun) -> None:
    def raw_hits(run: GuardedRun) -> list[str]:
        hits = []
        for m in run.messages:
            for buffer in m.get("buffers", []):
                for name, value in SECRETS.items():
                    forms = [value.encode(), *(f.encode() for f in leak_forms(value))]
                    if any(form in buffer for form in forms):
                        hits.append(f"{m['msg_type']} buffer holds {name}")
        return hits

    assert len(raw_hits(plain)) >= 4  # two Images, the comm's open and its message
    assert raw_hits(masked) == []


# -- what is not a secret stays what it was ------------------------------------------------------------


def test_other_numbers_stay_numbers(masked: GuardedRun) -> None:
    (shown,) = [o for o in masked.ran("int-json").outputs if o["output_type"] == "display_data"]
    assert shown["data"]["application/json"]["count"] == 3
    (html,) = [o for o in masked.ran("int-metadata").outputs if o["output_type"] == "display_data"]
    assert html["metadata"]["count"] == 3
    assert html["data"]["text/html"] == "<i>account</i>"


# -- the saved notebook ---------------------------------------------------------------------------------


def test_saved_notebook_and_widget_state_hold_no_value(masked: GuardedRun, plain: GuardedRun) -> None:
    assert masked.stopped is None and plain.stopped is None
    plain_states = json.dumps(widget_states(plain))
    assert {f.split()[0] for f in find_leaks([plain_states], SECRETS)} == set(SECRETS)
    states = widget_states(masked)
    assert {m["model_name"] for m in states.values()} >= {"IntTextModel", "FloatTextModel", "ImageModel"}
    assert find_leaks([json.dumps(states), *strings_in(states)], SECRETS) == []
    assert find_leaks([masked.ipynb, masked.log, *strings_in(masked.nb)], SECRETS) == []


def test_sources_hold_no_value() -> None:
    """Keeps the whole-file scans honest: only what the kernel wrote can put a value in the file."""
    assert find_leaks([c.source for c in cells(True)], SECRETS) == []
