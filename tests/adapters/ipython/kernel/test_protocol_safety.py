"""Registering a value that is also a word of the Jupyter protocol never breaks the kernel.

A masker that rewrote every string of a message would turn ``status``,
``execution_state``, ``text/plain`` or ``stdout`` into ``[masked:...]``
wherever they occur: in message headers, as content keys, as mimetype keys,
as the ``idle`` that tells a frontend a cell is done. Only user content may
change, and only in copies: the objects the user passed keep their values.

One kernel runs the whole notebook. The words are registered in four groups,
and after each group the same probe cells (displays, a result, streams, an
error, a widget) run again and must produce exactly what they produced
before anything was registered, while the words printed as user output are
masked. The words are only ever named through ``GROUPS`` after they are
registered, so no cell source (echoed in ``execute_input``) contains them.
"""

from __future__ import annotations

import json
import re

import pytest
from kernel_run import code, strings_in
from realistic_cells import GuardedRun, run_guarded, stream_segments

GROUPS = {
    "mimetypes": ["text/plain", "application/json", "display_data", "execute_result", "metadata"],
    "outputs": ["stdout", "stream", "traceback"],
    "envelope": ["comm_open", "content", "msg_type", "parent_header", "username", "session"],
    "state": ["status", "execution_state", "idle", "busy"],
}
WORDS = [word for words in GROUPS.values() for word in words]
STAGES = ["before", *GROUPS]


def mask_of(word: str) -> str:
    return f"[masked:W_{word.upper().replace('/', '_')}]"


SETUP = """
%load_ext nbsecrets
import copy, json, sys
import nbsecrets
import ipywidgets as widgets
import traitlets
from IPython.display import display, HTML, JSON, Markdown

GROUPS = @GROUPS@
USER = {}

class Holder(widgets.DOMWidget):
    _view_name = traitlets.Unicode("HolderView").tag(sync=True)
    info = traitlets.Dict().tag(sync=True)

def probe_display():
    display(HTML("<b>bold</b> text"), metadata={"isolated": True})
    display(JSON({"a": [1, 2.5, None], "b": {"c": "d"}}))
    display({"text/plain": "raw plain", "application/json": {"e": 2}}, raw=True)

def register(group):
    nbsecrets.configure_masking(min_length=4)
    for word in GROUPS[group]:
        nbsecrets.mask(word, name="W_" + word.upper().replace("/", "_"))
""".replace("@GROUPS@", repr(GROUPS))

# Cells whose output holds no protocol word as user content: identical before and after registering.
PROBES = {
    "display": "probe_display()",  # defined in SETUP: its source names mimetypes
    "result": '{"x": 1, "y": [2, 3]}',
    "stream": 'print("hello out")\nprint("hello err", file=sys.stderr)\nprint("second line")',
    "error": 'raise ValueError("boom")',
    "widget": 'w = widgets.IntSlider(value=3, description="n")\ndisplay(w)\nw.value = 5',
}


def user_cells(group: str) -> list:
    g = repr(group)
    return [
        code(f"for word in GROUPS[{g}]:\n    print(word)", f"{group}-print"),
        code(f"raise ValueError(GROUPS[{g}][-1])", f"{group}-raise"),
        code(
            f"words = GROUPS[{g}]\n"
            "d = {word: word for word in words}\n"
            'd["nested"] = [words[0], {"deep": words[-1]}]\n'
            "info = {word: [word] for word in words}\n"
            "u = dict(d=d, snap=copy.deepcopy(d), nested=d['nested'], j=JSON(d), info_snap=copy.deepcopy(info),\n"
            "         holder=Holder(info=info), text=widgets.Text(value=words[0]))\n"
            f"USER[{g}] = u\n"
            'display(Markdown(" ".join(words)))\n'
            "display(u['j'])\n"
            "display(u['holder'], u['text'])",
            f"{group}-user",
        ),
        code(
            f"u, words = USER[{g}], GROUPS[{g}]\n"
            "print(json.dumps({\n"
            '    "dict": u["d"] == u["snap"],\n'
            '    "nested_list_kept": u["d"]["nested"] is u["nested"],\n'
            '    "json_data_is_dict": u["j"].data is u["d"],\n'
            '    "holder": u["holder"].info == u["info_snap"],\n'
            '    "holder_get_state": u["holder"].get_state()["info"] == u["info_snap"],\n'
            '    "text_widget": u["text"].value == words[0],\n'
            "}))",
            f"{group}-unchanged",
        ),
    ]


def cells() -> list:
    out = [code(SETUP, "setup")]
    out += [code(src, f"before-{name}") for name, src in PROBES.items()]
    for group in GROUPS:
        out.append(code(f"register({group!r})", f"{group}-register"))
        out += [code(src, f"{group}-{name}") for name, src in PROBES.items()]
        out += user_cells(group)
    out.append(code('print("still running")', "last"))
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> GuardedRun:
    return run_guarded(cells(), tmp_path_factory.mktemp("protocol-safety"), "protocol")


# -- normalising what legitimately differs between two runs of the same cell -----------------------

_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


def _normal(obj: object) -> str:
    text = json.dumps(obj, sort_keys=True, default=str)
    text = _ID.sub("<ID>", text)
    text = re.sub(r"In\[\d+\]", "In[N]", text)
    return re.sub(r'"execution_count": \d+', '"execution_count": N', text)


def _message_shape(run: GuardedRun, tag: str) -> list:
    """What the cell's IOPub messages said, apart from stream splitting, ids and the order of
    stdout against stderr (each is flushed on its own, so which leaves first depends on timing)."""
    shapes: list = []
    streams: set = set()
    for m in run.messages_of(tag):
        if m["msg_type"] == "stream":
            if not streams:
                shapes.append(("streams", streams))
            streams.add(m["content"].get("name"))
            continue
        header = m["header"]
        shapes.append((m["msg_type"], header.get("msg_type"), _normal(m["content"]), _normal(m["metadata"])))
    return [("streams", sorted(streams)) if shape[0] == "streams" else shape for shape in shapes]


def _reply_shape(run: GuardedRun, tag: str) -> str:
    content = dict(run.reply(tag)["content"])
    return _normal(content)


# -- the words really travel in protocol positions -----------------------------------------------


def test_the_words_are_protocol_words_in_the_messages_of_the_probe_cells(run: GuardedRun) -> None:
    """Every registered word occurs as a key or value of the protocol itself: a masker that
    does not tell protocol from user content has a chance to break each one."""
    found: set[str] = set()
    for name in PROBES:
        tag = f"before-{name}"
        for m in run.messages_of(tag):
            found.update(strings_in(m))
        found.update(strings_in(run.reply(tag)))
    assert set(WORDS) - found == set()


# -- the kernel and the frontend keep working ------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS)
def test_every_cell_runs_after_registering_the_group(run: GuardedRun, group: str) -> None:
    tags = [f"{group}-register", *(f"{group}-{p}" for p in PROBES if p != "error"), f"{group}-print"]
    tags += [f"{group}-user", f"{group}-unchanged"]
    for tag in tags:
        assert run.errors(tag) == [], tag
        assert run.reply(tag)["content"]["status"] == "ok", tag


def test_the_kernel_finished_the_notebook_and_logged_no_handler_error(run: GuardedRun) -> None:
    assert run.stopped is None
    assert [o["text"] for o in run.ran("last").outputs] == ["still running\n"]
    assert "Exception in message handler" not in run.log


@pytest.mark.parametrize("probe", PROBES)
@pytest.mark.parametrize("group", GROUPS)
def test_probe_output_is_exactly_what_it_was_before_registering(run: GuardedRun, group: str, probe: str) -> None:
    """Outputs (mimetype keys, stream names, error fields), the execute reply and every
    message's type and content are unchanged."""
    before, after = f"before-{probe}", f"{group}-{probe}"
    run.ran(after)
    assert _normal(stream_segments(run.cell(after).outputs)) == _normal(stream_segments(run.cell(before).outputs))
    assert _reply_shape(run, after) == _reply_shape(run, before)
    assert _message_shape(run, after) == _message_shape(run, before)


@pytest.mark.parametrize("group", GROUPS)
def test_message_headers_keep_their_fields(run: GuardedRun, group: str) -> None:
    reference = run.messages_of("before-result")[0]["header"]
    for probe in PROBES:
        messages = run.messages_of(f"{group}-{probe}")
        assert messages, probe
        for m in messages:
            header = m["header"]
            assert header["msg_type"] == m["msg_type"]
            assert header["username"] == reference["username"]
            assert header["session"] == reference["session"]
            assert set(header) == set(reference)
            assert m["parent_header"]["msg_id"] == run.cell_msg_id(f"{group}-{probe}")


def test_probe_widgets_are_saved_with_their_state(run: GuardedRun) -> None:
    """nbclient builds metadata.widgets from comm_open and comm_msg: each probe slider, at its last value."""
    assert run.stopped is None
    state = run.nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    sliders = [m["state"] for m in state.values() if m["model_name"] == "IntSliderModel"]
    assert [s["value"] for s in sliders] == [5] * len(STAGES)
    for probe in ("before", *GROUPS):
        (view,) = [
            o for o in run.cell(f"{probe}-widget").outputs if o["output_type"] == "display_data"
        ]
        model_id = view["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        assert state[model_id]["model_name"] == "IntSliderModel"


# -- the words are masked where the user printed them -----------------------------------------------


@pytest.mark.parametrize("group", GROUPS)
def test_printed_words_are_masked(run: GuardedRun, group: str) -> None:
    text = "".join(o["text"] for o in run.ran(f"{group}-print").outputs if o.get("name") == "stdout")
    assert text == "".join(mask_of(word) + "\n" for word in GROUPS[group])


@pytest.mark.parametrize("group", GROUPS)
def test_raised_word_is_masked_and_the_error_keeps_its_shape(run: GuardedRun, group: str) -> None:
    word = GROUPS[group][-1]
    (error,) = [o for o in run.ran(f"{group}-raise").outputs if o["output_type"] == "error"]
    assert (error["ename"], error["evalue"]) == ("ValueError", mask_of(word))
    assert isinstance(error["traceback"], list) and error["traceback"]
    reply = run.reply(f"{group}-raise")["content"]
    assert (reply["status"], reply["ename"], reply["evalue"]) == ("error", "ValueError", mask_of(word))


@pytest.mark.parametrize("group", GROUPS)
def test_words_in_displays_and_widget_state_are_masked_under_the_right_keys(run: GuardedRun, group: str) -> None:
    words = GROUPS[group]
    displays = [o for o in run.ran(f"{group}-user").outputs if o["output_type"] == "display_data"]
    assert [sorted(o["data"]) for o in displays] == [
        ["text/markdown", "text/plain"],
        ["application/json", "text/plain"],
        ["application/vnd.jupyter.widget-view+json", "text/plain"],
        ["application/vnd.jupyter.widget-view+json", "text/plain"],
    ]
    assert displays[0]["data"]["text/markdown"] == " ".join(mask_of(word) for word in words)
    shown = list(strings_in(displays[1]["data"]["application/json"]))
    assert shown and not set(shown) & set(words), shown
    assert set(shown) >= {mask_of(word) for word in words}

    opened = [m for m in run.messages_of(f"{group}-user") if m["msg_type"] == "comm_open"]
    states = {m["content"]["data"]["state"]["_model_name"]: m["content"]["data"]["state"] for m in opened}
    assert states["TextModel"]["value"] == mask_of(words[0])
    held = list(strings_in(states["DOMWidgetModel"]["info"]))
    assert held and not set(held) & set(words), held


@pytest.mark.parametrize("group", GROUPS)
def test_the_users_objects_still_hold_the_original_words(run: GuardedRun, group: str) -> None:
    out = "".join(o["text"] for o in run.ran(f"{group}-unchanged").outputs if o.get("name") == "stdout")
    checks = json.loads(out)
    assert len(checks) == 6
    assert {k: v for k, v in checks.items() if v is not True} == {}


def test_no_cell_source_names_a_word_after_it_is_registered() -> None:
    """Keeps the probes honest: their sources (echoed in execute_input) hold no registered word."""
    for cell in cells():
        tag = cell.metadata["tags"][0]
        if tag == "setup" or tag.endswith("-register"):
            continue
        assert not [word for word in WORDS if word in cell.source], tag


def test_short_key_notice_is_not_needed_for_words_of_four_characters(run: GuardedRun) -> None:
    """min_length=4 makes idle and busy maskable: nothing reports them as too short."""
    notices = [o["text"] for o in run.ran("state-register").outputs if o.get("name") == "stderr"]
    assert not [n for n in notices if "W_IDLE" in n or "W_BUSY" in n]
