"""Which parts of a Jupyter message are user content, and masking only those.

A message mixes protocol (``status``, ``execution_state``, mimetype keys,
comm ids, widget model names) with what the user's code produced. Masking
the protocol breaks the kernel: with ``status`` registered, ipykernel's own
``reply["content"]["status"]`` lookup failed once the content dict had been
rewritten. So each message type names the fields that carry user content,
and only their values are masked, in copies: the kernel's own objects are
never changed.
"""

from __future__ import annotations

from typing import Any

from nbsecrets.adapters.texts import WITHHELD

_BUNDLE = "bundle"  # a mimebundle: mimetype keys kept, their values masked
_VALUE = "value"  # masked as a whole, nested keys included
_PAYLOAD = "payload"
_EXPRESSIONS = "expressions"
_COMM = "comm"
_DEBUG = "debug"  # a Debug Adapter Protocol body: its keys and enumerated fields are protocol

_FIELDS: dict[str, dict[str, str]] = {
    "stream": {"text": _VALUE},
    "display_data": {"data": _BUNDLE, "metadata": _BUNDLE},
    "update_display_data": {"data": _BUNDLE, "metadata": _BUNDLE},
    "execute_result": {"data": _BUNDLE, "metadata": _BUNDLE},
    "error": {"ename": _VALUE, "evalue": _VALUE, "traceback": _VALUE},
    "execute_reply": {
        "ename": _VALUE,
        "evalue": _VALUE,
        "traceback": _VALUE,
        "payload": _PAYLOAD,
        "user_expressions": _EXPRESSIONS,
    },
    "inspect_reply": {"data": _BUNDLE, "metadata": _BUNDLE},
    "complete_reply": {"matches": _VALUE, "metadata": _VALUE},
    "history_reply": {"history": _VALUE},
    "execute_input": {"code": _VALUE},
    "input_request": {"prompt": _VALUE},
    "comm_open": {"data": _COMM},
    "comm_msg": {"data": _COMM},
    "comm_close": {"data": _COMM},
    "debug_event": {"body": _DEBUG},
    "debug_reply": {"body": _DEBUG},
}

_PROTOCOL_ONLY = frozenset(
    {
        "status",
        "clear_output",
        "kernel_info_reply",
        "shutdown_reply",
        "interrupt_reply",
        "is_complete_reply",
        "comm_info_reply",
        "usage_reply",
    }
)

# Message-level metadata that can carry the user's own data.
_USER_METADATA = frozenset({"comm_open", "comm_msg", "comm_close", "display_data", "update_display_data"})

# Debug Adapter Protocol fields whose values are protocol, not the user's data.
_DEBUG_PROTOCOL = frozenset(
    {
        "seq",
        "request_seq",
        "type",
        "command",
        "event",
        "success",
        "category",
        "reason",
        "presentationHint",
        "kind",
        "attributes",
        "visibility",
        "threadId",
        "variablesReference",
        "frameId",
        "id",
        "line",
        "column",
        "startMethod",
    }
)

_COMM_PROTOCOL = frozenset({"method", "buffer_paths", "target_name", "target_module"})
_WIDGET_PROTOCOL_TRAITS = frozenset(
    {
        "_model_name",
        "_model_module",
        "_model_module_version",
        "_view_name",
        "_view_module",
        "_view_module_version",
    }
)


def mask_content(masker: Any, msg_type: Any, content: Any) -> Any:
    """``content`` with its user fields masked; the very same object when nothing changed."""
    if not isinstance(content, dict) or msg_type in _PROTOCOL_ONLY:
        return content
    fields = _FIELDS.get(msg_type)
    if fields is None:
        # An unknown type (an extension's own message): its field names stay, their values are masked.
        return masker.mask_values(content)
    out: dict[str, Any] | None = None
    for key, kind in fields.items():
        if key not in content:
            continue
        value = content[key]
        masked = _mask_field(masker, kind, value)
        if masked is not value:
            if out is None:
                out = dict(content)
            out[key] = masked
    return content if out is None else out


def mask_metadata(masker: Any, msg_type: Any, metadata: Any) -> Any:
    if msg_type in _USER_METADATA and isinstance(metadata, dict):
        return masker.mask_values(metadata)
    return metadata


def mask_buffers(masker: Any, buffers: Any) -> Any:
    """Binary buffers (a widget Image's bytes) masked by what they hold; the same list when none changed."""
    if not buffers:
        return buffers
    out = []
    changed = False
    for buffer in buffers:
        try:
            data = bytes(buffer)
        except TypeError:
            out.append(buffer)
            continue
        masked = masker.mask_bytes(data)
        changed = changed or masked is not data
        out.append(masked if masked is not data else buffer)
    return out if changed else buffers


def _mask_field(masker: Any, kind: str, value: Any) -> Any:
    if kind == _BUNDLE:
        return masker.mask_values(value)
    if kind == _PAYLOAD:
        return _mask_list(value, lambda item: _mask_keyed(masker, item, bundles=("data",), keep=("source",)))
    if kind == _EXPRESSIONS:
        if not isinstance(value, dict):
            return masker.mask_data(value)
        return _mask_mapping(
            value, lambda item: _mask_keyed(masker, item, bundles=("data", "metadata"), keep=("status",))
        )
    if kind == _COMM:
        return _mask_comm_data(masker, value)
    if kind == _DEBUG:
        return _mask_debug(masker, value)
    return masker.mask_data(value)


def _mask_debug(masker: Any, value: Any) -> Any:
    """Values of a debugger message (variables, evaluated expressions, output), never its field names."""
    if isinstance(value, dict):
        out = {key: item if key in _DEBUG_PROTOCOL else _mask_debug(masker, item) for key, item in value.items()}
        return value if all(out[key] is value[key] for key in value) else out
    if isinstance(value, list):
        return _mask_list(value, lambda item: _mask_debug(masker, item))
    return masker.mask_data(value)


def _mask_comm_data(masker: Any, data: Any) -> Any:
    if not isinstance(data, dict):
        return masker.mask_data(data)
    out: dict[str, Any] | None = None
    for key, value in data.items():
        if key in _COMM_PROTOCOL:
            continue
        if key == "state" and isinstance(value, dict):
            masked = {
                trait: item if trait in _WIDGET_PROTOCOL_TRAITS else masker.mask_data(item)
                for trait, item in value.items()
            }
            if all(masked[trait] is value[trait] for trait in value):
                masked = value
        else:
            masked = masker.mask_data(value)
        if masked is not value:
            if out is None:
                out = dict(data)
            out[key] = masked
    return data if out is None else out


def _mask_keyed(masker: Any, item: Any, *, bundles: tuple[str, ...], keep: tuple[str, ...]) -> Any:
    if not isinstance(item, dict):
        return masker.mask_data(item)
    out: dict[str, Any] | None = None
    for key, value in item.items():
        if key in keep:
            continue
        masked = masker.mask_values(value) if key in bundles else masker.mask_data(value)
        if masked is not value:
            if out is None:
                out = dict(item)
            out[key] = masked
    return item if out is None else out


def _mask_list(value: Any, mask_item: Any) -> Any:
    if not isinstance(value, list):
        return value
    items = [mask_item(item) for item in value]
    return value if all(new is old for new, old in zip(items, value)) else items


def _mask_mapping(value: dict, mask_item: Any) -> Any:
    items = {key: mask_item(item) for key, item in value.items()}
    return value if all(items[key] is value[key] for key in value) else items


def withhold_content(msg_type: Any, content: Any) -> Any:
    """``content`` with each user field replaced by :data:`WITHHELD`, protocol fields kept.

    What a message gets when masking it raised: the frontend still sees a
    well-formed message (and the cell still ends), and nothing unmasked.
    """
    if not isinstance(content, dict) or msg_type in _PROTOCOL_ONLY:
        return content
    fields = _FIELDS.get(msg_type)
    out = dict(content)
    for key, value in content.items():
        if fields is not None and key not in fields:
            continue
        if key == "name" and msg_type == "stream":
            continue
        if fields is None and not isinstance(value, (str, dict, list)):
            continue
        kind = fields.get(key) if fields is not None else _VALUE
        if kind == _BUNDLE and isinstance(value, dict):
            out[key] = {"text/plain": WITHHELD} if key == "data" else {}
        elif isinstance(value, list):
            out[key] = [WITHHELD] if value else []
        elif isinstance(value, dict):
            out[key] = {}
        elif isinstance(value, str):
            out[key] = WITHHELD
    return out
