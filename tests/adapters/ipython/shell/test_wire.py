"""Which fields of a kernel message are user content: only those are masked, in copies."""

from __future__ import annotations

import copy

import pytest

from nbsecrets.adapters.ipython.wire import WITHHELD, mask_buffers, mask_content, mask_metadata, withhold_content
from nbsecrets.core.masking import MaskConfig, Masker
from nbsecrets.core.registry import SecretRegistry

SECRET = "sk-test-wire-9fK2xQ7mZ3"
PIN = "12345678"
M = "[masked:API_KEY]"
MP = "[masked:PIN]"

PROTOCOL_WORDS = [
    "status", "execution_state", "text/plain", "text/html", "application/json", "idle", "busy",
    "error", "update", "method", "state", "TextModel", "TextView", "@jupyter-widgets/controls",
    "jupyter.widget", "value", "data", "metadata", "page", "source", "event", "output", "stdout",
]


@pytest.fixture
def masker() -> Masker:
    reg = SecretRegistry()
    reg.add(SECRET, "API_KEY")
    reg.add(PIN, "PIN")
    for i, word in enumerate(PROTOCOL_WORDS):
        reg.add(word, f"W{i}")
    return Masker(reg, MaskConfig(min_length=4, patterns=False))


@pytest.fixture
def tiny() -> Masker:
    """Two-letter protocol words registered too: only protocol fields are checked with it."""
    reg = SecretRegistry()
    reg.add(SECRET, "API_KEY")
    for i, word in enumerate(PROTOCOL_WORDS + ["ok", "id", "c1"]):
        reg.add(word, f"W{i}")
    return Masker(reg, MaskConfig(min_length=2, patterns=False))


def masked(masker: Masker, msg_type: str, content: dict) -> dict:
    """mask_content, checking that the input was not changed."""
    before = copy.deepcopy(content)
    out = mask_content(masker, msg_type, content)
    assert content == before
    return out


# -- protocol fields ------------------------------------------------------------


def test_status_message_is_untouched(masker: Masker) -> None:
    content = {"execution_state": "idle"}
    assert masked(masker, "status", content) is content
    content = {"execution_state": "busy", "extra": SECRET}
    assert masked(masker, "status", content) is content


@pytest.mark.parametrize(
    "msg_type, content",
    [
        ("kernel_info_reply", {"status": "ok", "implementation": "ipython", "banner": "x"}),
        ("shutdown_reply", {"status": "ok", "restart": False}),
        ("is_complete_reply", {"status": "incomplete", "indent": "    "}),
        ("comm_info_reply", {"status": "ok", "comms": {"c1": {"target_name": "jupyter.widget"}}}),
        ("clear_output", {"wait": True}),
    ],
)
def test_protocol_only_messages_are_untouched(masker: Masker, msg_type: str, content: dict) -> None:
    assert masked(masker, msg_type, content) is content


def test_execute_reply_keeps_protocol_and_masks_user_fields(masker: Masker) -> None:
    content = {
        "status": "ok",
        "execution_count": 3,
        "user_expressions": {
            "x": {"status": "ok", "data": {"text/plain": f"'{SECRET}'"}, "metadata": {"text/plain": {"k": SECRET}}},
            "y": {"status": "error", "ename": "NameError", "evalue": f"name {SECRET!r}", "traceback": [SECRET]},
        },
        "payload": [
            {"source": "page", "data": {"text/plain": f"doc {SECRET}", "text/html": f"<b>{SECRET}</b>"}, "start": 0},
            {"source": "set_next_input", "text": f"key = {SECRET!r}", "replace": False},
        ],
    }
    out = masked(masker, "execute_reply", content)
    assert out["status"] == "ok" and out["execution_count"] == 3
    x, y = out["user_expressions"]["x"], out["user_expressions"]["y"]
    assert set(out["user_expressions"]) == {"x", "y"}
    assert x["status"] == "ok" and list(x["data"]) == ["text/plain"]
    assert x["data"]["text/plain"] == f"'{M}'"
    assert list(x["metadata"]) == ["text/plain"] and x["metadata"]["text/plain"] == {"k": M}
    assert y["status"] == "error"
    assert y["evalue"] == f"name '{M}'" and y["traceback"] == [M]
    page, next_input = out["payload"]
    assert page["source"] == "page" and page["start"] == 0
    assert set(page["data"]) == {"text/plain", "text/html"}
    assert page["data"]["text/plain"] == f"doc {M}"
    assert page["data"]["text/html"] == f"<b>{M}</b>"
    assert next_input["source"] == "set_next_input" and next_input["text"] == f"key = '{M}'"


def test_execute_reply_error_fields(masker: Masker) -> None:
    content = {
        "status": "error",
        "execution_count": 4,
        "ename": "ValueError",
        "evalue": f"bad key {SECRET}",
        "traceback": ["Traceback", f"ValueError: bad key {SECRET}"],
        "payload": [],
        "user_expressions": {},
    }
    out = masked(masker, "execute_reply", content)
    assert out["status"] == "error"
    assert out["evalue"] == f"bad key {M}"
    assert out["traceback"] == ["Traceback", f"ValueError: bad key {M}"]


def test_protocol_words_registered_as_values_only_mask_user_text(masker: Masker) -> None:
    content = {
        "data": {"text/plain": "status: idle, ok", "application/json": {"note": "update"}},
        "metadata": {"text/plain": {}, "application/json": {"expanded": False}},
        "transient": {"display_id": "status"},
    }
    out = masked(masker, "display_data", content)
    assert set(out) == {"data", "metadata", "transient"}
    assert list(out["data"]) == ["text/plain", "application/json"]
    assert list(out["metadata"]) == ["text/plain", "application/json"]
    assert out["transient"] is content["transient"]
    assert "status" not in out["data"]["text/plain"] and "idle" not in out["data"]["text/plain"]
    assert out["data"]["application/json"]["note"].startswith("[masked:")
    assert out["metadata"]["application/json"] == {"expanded": False}


def test_nothing_changed_returns_the_same_object(masker: Masker) -> None:
    for msg_type, content in [
        ("display_data", {"data": {"text/plain": "42"}, "metadata": {}, "transient": {}}),
        ("execute_result", {"data": {"text/plain": "'hi'"}, "metadata": {}, "execution_count": 1}),
        ("error", {"ename": "KeyError", "evalue": "'x'", "traceback": []}),
        ("execute_reply", {"status": "ok", "execution_count": 1, "payload": [], "user_expressions": {}}),
        ("comm_msg", {"comm_id": "c", "data": {"method": "update", "state": {"_model_name": "TextModel", "n": 1}, "buffer_paths": []}}),
    ]:
        assert masked(masker, msg_type, content) is content, msg_type


# -- user fields of each type ------------------------------------------------------


@pytest.mark.parametrize("msg_type", ["display_data", "update_display_data", "execute_result"])
def test_display_data_and_execute_result(masker: Masker, msg_type: str) -> None:
    content = {
        "data": {"text/plain": f"'{SECRET}'", "text/html": f"<td>{SECRET}</td>", "application/json": {SECRET: [SECRET]}},
        "metadata": {"text/html": {"title": SECRET}},
        "transient": {"display_id": "d1"},
        "execution_count": 7,
    }
    out = masked(masker, msg_type, content)
    assert out["data"] == {"text/plain": f"'{M}'", "text/html": f"<td>{M}</td>", "application/json": {M: [M]}}
    assert out["metadata"] == {"text/html": {"title": M}}
    assert out["transient"] == {"display_id": "d1"} and out["execution_count"] == 7


def test_error(masker: Masker) -> None:
    content = {"ename": f"Err{SECRET}", "evalue": SECRET, "traceback": [f"line {SECRET}"]}
    out = masked(masker, "error", content)
    assert out == {"ename": f"Err{M}", "evalue": M, "traceback": [f"line {M}"]}


def test_inspect_reply(masker: Masker) -> None:
    content = {"status": "ok", "found": True, "data": {"text/plain": f"Value: {SECRET}"}, "metadata": {}}
    out = masked(masker, "inspect_reply", content)
    assert out == {"status": "ok", "found": True, "data": {"text/plain": f"Value: {M}"}, "metadata": {}}


def test_complete_reply(masker: Masker) -> None:
    content = {
        "status": "ok",
        "matches": [SECRET, "print"],
        "cursor_start": 0,
        "cursor_end": 3,
        "metadata": {"_jupyter_types_experimental": [{"text": SECRET, "start": 0, "end": 3}]},
    }
    out = masked(masker, "complete_reply", content)
    assert out["status"] == "ok" and out["cursor_start"] == 0 and out["cursor_end"] == 3
    assert out["matches"] == [M, "print"]
    assert out["metadata"]["_jupyter_types_experimental"][0]["text"] == M


def test_history_reply(masker: Masker) -> None:
    content = {"status": "ok", "history": [[0, 1, f"key = {SECRET!r}"], [0, 2, ("print(1)", "1")]]}
    out = masked(masker, "history_reply", content)
    assert out["status"] == "ok"
    assert out["history"][0] == [0, 1, f"key = '{M}'"]
    assert out["history"][1] is content["history"][1]


def test_execute_input(masker: Masker) -> None:
    content = {"code": f"print({SECRET!r})", "execution_count": 2}
    assert masked(masker, "execute_input", content) == {"code": f"print('{M}')", "execution_count": 2}


def test_input_request(masker: Masker) -> None:
    content = {"prompt": f"Token [{SECRET}]: ", "password": False}
    assert masked(masker, "input_request", content) == {"prompt": f"Token [{M}]: ", "password": False}


def test_protocol_fields_survive_two_letter_protocol_words(tiny: Masker) -> None:
    reply = {"status": "ok", "execution_count": 1, "payload": [], "user_expressions": {"x": {"status": "ok", "data": {"text/plain": SECRET}, "metadata": {}}}}
    out = masked(tiny, "execute_reply", reply)
    assert out["status"] == "ok" and out["user_expressions"]["x"]["status"] == "ok"
    assert list(out["user_expressions"]["x"]["data"]) == ["text/plain"]
    assert masked(tiny, "status", {"execution_state": "idle"}) == {"execution_state": "idle"}
    comm = {"comm_id": "c1", "data": {"method": "update", "state": {"_model_name": "TextModel", "value": SECRET}, "buffer_paths": [["value"]]}}
    out = masked(tiny, "comm_msg", comm)
    assert out["comm_id"] == "c1"
    assert out["data"]["method"] == "update" and out["data"]["buffer_paths"] == [["value"]]
    assert out["data"]["state"]["_model_name"] == "TextModel"
    assert list(out["data"]["state"]) == ["_model_name", "value"]
    assert out["data"]["state"]["value"] == M
    for msg_type in ("inspect_reply", "complete_reply", "history_reply"):
        out = masked(tiny, msg_type, {"status": "ok", "found": True, "data": {}, "metadata": {}, "matches": [], "history": []})
        assert out["status"] == "ok"


def test_stream_name_is_protocol(masker: Masker) -> None:
    content = {"name": "stdout", "text": ["not", "a", "str"]}
    assert masked(masker, "stream", content)["name"] == "stdout"


@pytest.mark.parametrize("msg_type", ["comm_open", "comm_msg"])
def test_comm_state_values_are_masked_protocol_kept(masker: Masker, msg_type: str) -> None:
    content = {
        "comm_id": "c1",
        "target_name": "jupyter.widget",
        "data": {
            "method": "update",
            "state": {
                "_model_name": "TextModel",
                "_model_module": "@jupyter-widgets/controls",
                "_model_module_version": "2.0.0",
                "_view_name": "TextView",
                "_view_module": "@jupyter-widgets/controls",
                "_view_module_version": "2.0.0",
                "value": SECRET,
                "description": "state",
            },
            "buffer_paths": [["value"], ["state"]],
        },
    }
    out = masked(masker, msg_type, content)
    assert out["comm_id"] == "c1" and out["target_name"] == "jupyter.widget"
    data = out["data"]
    assert data["method"] == "update"
    assert data["buffer_paths"] == [["value"], ["state"]]
    state = data["state"]
    assert list(state) == list(content["data"]["state"])
    for trait in ("_model_name", "_model_module", "_model_module_version", "_view_name", "_view_module"):
        assert state[trait] == content["data"]["state"][trait]
    assert state["value"] == M
    assert state["description"].startswith("[masked:")


def test_comm_msg_custom_data(masker: Masker) -> None:
    content = {"comm_id": "c1", "data": {"method": "custom", "content": {"apikey": SECRET}}}
    out = masked(masker, "comm_msg", content)
    assert out["data"] == {"method": "custom", "content": {"apikey": M}}


def test_debug_event(masker: Masker) -> None:
    content = {"seq": 3, "type": "event", "event": "output", "body": {"category": "console", "text": f"{SECRET}\n"}}
    out = masked(masker, "debug_event", content)
    assert out["seq"] == 3 and out["type"] == "event" and out["event"] == "output"
    assert out["body"] == {"category": "console", "text": f"{M}\n"}


def test_debug_body_keys_are_protocol(masker: Masker) -> None:
    content = {"seq": 3, "type": "event", "event": "output", "body": {"category": "console", "output": f"{SECRET}\n"}}
    out = masked(masker, "debug_event", content)
    assert set(out["body"]) == {"category", "output"}
    assert out["body"]["output"] == f"{M}\n"


def test_unknown_message_type_keeps_field_names(masker: Masker) -> None:
    content = {"token": SECRET, "count": 1}
    assert masked(masker, "my_extension_reply", content) == {"token": M, "count": 1}


# -- values in data ------------------------------------------------------------------


def test_numbers_holding_a_registered_pin(masker: Masker) -> None:
    content = {
        "data": {"application/json": {"pin": 12345678, "float": 12345678.0, "other": 42, "flag": True, 12345678: "k"}},
        "metadata": {},
    }
    out = masked(masker, "execute_result", content)
    data = out["data"]["application/json"]
    assert data["pin"] == MP and data["float"].startswith(MP)
    assert data["other"] == 42 and data["flag"] is True
    assert data[MP] == "k"


def test_bytes_sets_and_tuples(masker: Masker) -> None:
    content = {
        "data": {
            "application/json": {
                "raw": SECRET.encode(),
                "buf": bytearray(b"x" + SECRET.encode()),
                "set": {SECRET},
                "frozen": frozenset({SECRET}),
                "tuple": ("a1", SECRET),
                "plain_bytes": b"\x00\x01",
                "plain_tuple": ("a1", "b2"),
            }
        },
        "metadata": {},
    }
    out = masked(masker, "display_data", content)
    data = out["data"]["application/json"]
    # Masked bytes stay bytes: the packer base64-encodes them as it would have.
    assert data["raw"] == M.encode() and data["buf"] == f"x{M}".encode()
    assert list(data["set"]) == [M] and list(data["frozen"]) == [M]
    assert list(data["tuple"]) == ["a1", M]
    assert data["plain_bytes"] is content["data"]["application/json"]["plain_bytes"]
    assert data["plain_tuple"] is content["data"]["application/json"]["plain_tuple"]


def test_changed_tuple_comes_back_as_a_tuple_and_a_set_as_a_list(masker: Masker) -> None:
    # The packer sends both as JSON lists; a tuple keeps its type for the rest of the kernel.
    assert masker.mask_data(("a1", SECRET)) == ("a1", M)
    assert masker.mask_data({SECRET}) == [M]


# -- metadata and buffers ------------------------------------------------------------


def test_mask_metadata(masker: Masker) -> None:
    meta = {"started": "2024-01-01", "note": SECRET}
    assert mask_metadata(masker, "display_data", meta) == {"started": "2024-01-01", "note": M}
    assert mask_metadata(masker, "comm_msg", meta)["note"] == M
    reply_meta = {"status": "ok", "engine": "e1", "note": SECRET}
    assert mask_metadata(masker, "execute_reply", reply_meta) is reply_meta
    plain = {"started": "2024-01-01"}
    assert mask_metadata(masker, "display_data", plain) is plain


def test_mask_buffers(masker: Masker) -> None:
    plain_view = memoryview(b"\x89PNG plain")
    buffers = [b"head " + SECRET.encode() + b" tail", plain_view, bytearray(SECRET.encode()), memoryview(SECRET.encode())]
    before = [bytes(b) for b in buffers]
    out = mask_buffers(masker, buffers)
    assert [bytes(b) for b in buffers] == before
    assert out is not buffers and len(out) == 4
    assert out[0] == b"head " + M.encode() + b" tail"
    assert out[1] is plain_view
    assert out[2] == M.encode() and out[3] == M.encode()


def test_mask_buffers_unchanged(masker: Masker) -> None:
    buffers = [b"nothing", memoryview(b"here")]
    assert mask_buffers(masker, buffers) is buffers
    assert mask_buffers(masker, []) == []
    assert mask_buffers(masker, None) is None


def test_a_message_masking_failed_on_keeps_its_shape_and_loses_its_content() -> None:
    stream = withhold_content("stream", {"name": "stdout", "text": SECRET})
    assert stream == {"name": "stdout", "text": WITHHELD}
    reply = withhold_content("execute_reply", {"status": "error", "ename": "E", "evalue": SECRET, "traceback": [SECRET]})
    assert reply["status"] == "error" and SECRET not in repr(reply)
    shown = withhold_content("display_data", {"data": {"text/html": SECRET}, "metadata": {"x": SECRET}, "transient": {}})
    assert shown == {"data": {"text/plain": WITHHELD}, "metadata": {}, "transient": {}}
