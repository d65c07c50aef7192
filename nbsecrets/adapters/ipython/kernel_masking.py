"""Masking of everything a Jupyter kernel sends.

ipykernel hands every output a frontend can show or save (streams, display
data and updates, results, errors, execute replies carrying the ``obj?``
pager, comm messages carrying widget state) to one method,
``Session.send``, from several threads (IOPub, shell, control, subshells).
Hooks on OutStream, the display publisher or the displayhook are per-thread
and never run on the IOPub thread, so this module wraps that one method on
the kernel's own session instance(s) instead, and rewrites strings only:
binary buffers go out untouched.

Two more paths need care:

* A secret printed in pieces (a flush or a pause in the middle) arrives in
  several stream messages, and frontends join adjacent stream outputs before
  saving. Stream text therefore goes through a StreamMasker per (parent
  message, stream name) that holds back only a suffix that could start a
  secret. What it holds is released before any other message of the same
  parent (late output after ``status: idle`` is dropped by frontends) and
  anyway after :data:`~nbsecrets.adapters.ipython.release_timer.RELEASE_DELAY`.
* ipykernel copies every byte written to fd 1 and 2 (subprocesses, C code)
  onto a duplicate of the kernel's original stdout/stderr, which is the
  Jupyter server's log, and with ``quiet=False`` echoes Python-level output
  there too. :mod:`nbsecrets.adapters.ipython.server_log` masks that copy;
  :class:`KernelMasking` installs it along with the session wrapper.

Everything installed here is undone by :meth:`KernelMasking.uninstall`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from nbsecrets.adapters.ipython.release_timer import ReleaseTimer
from nbsecrets.adapters.ipython.server_log import EchoPatch, FdRelay, server_log_fds
from nbsecrets.adapters.ipython.wire import mask_buffers, mask_content, mask_metadata, withhold_content
from nbsecrets.core.masking import get_masker

_MAX_IDLE_PARENTS = 512
"""Stream state kept for parents that never sent ``idle`` (threads) before pruning."""

_log = logging.getLogger(__name__)


@dataclass
class _Call:
    """The arguments of one ``Session.send`` call, kept together so they can be changed and passed on."""

    stream: Any
    msg_or_type: Any
    content: Any = None
    parent: Any = None
    ident: Any = None
    buffers: Any = None
    track: bool = False
    header: Any = None
    metadata: Any = None


@dataclass
class _Stream:
    """Masking state of one (parent, stream name) pair, and where to send what it releases."""

    masking: Any
    patch: _SessionPatch | None = None
    socket: Any = None
    ident: Any = None
    parent: Any = None


class _SessionPatch:
    """``send`` of one Session instance replaced by a masking wrapper, and how to undo it."""

    def __init__(self, owner: KernelMasking, session: Any) -> None:
        self.session = session
        self.had_own = "send" in vars(session)
        self.own = vars(session).get("send")
        self.original = session.send

        def send(
            stream: Any,
            msg_or_type: Any,
            content: Any = None,
            parent: Any = None,
            ident: Any = None,
            buffers: Any = None,
            track: bool = False,
            header: Any = None,
            metadata: Any = None,
        ) -> Any:
            call = _Call(stream, msg_or_type, content, parent, ident, buffers, track, header, metadata)
            try:
                return owner._send(self, call)
            except Exception:
                # Masking must never lose output nor let it through unmasked: say it was withheld.
                _log.exception("nbsecrets: masking an outgoing message failed; its content was withheld")
                plain = _Call(stream, msg_or_type, content, parent, ident, None, track, header, metadata)
                return self.call(_withheld(plain))

        send.__wrapped__ = self.original  # type: ignore[attr-defined]
        self.wrapper = send
        session.send = send

    def call(self, c: _Call) -> Any:
        return self.original(
            c.stream,
            c.msg_or_type,
            content=c.content,
            parent=c.parent,
            ident=c.ident,
            buffers=c.buffers,
            track=c.track,
            header=c.header,
            metadata=c.metadata,
        )

    def remove(self) -> bool:
        """Put the session back; False when someone wrapped ``send`` after us."""
        if vars(self.session).get("send") is not self.wrapper:
            return False
        if self.had_own:
            self.session.send = self.own
        else:
            del self.session.send
        return True


class KernelMasking:
    """Output masking for one ipykernel kernel: the session wrapper and the server-log relays."""

    def __init__(self, kernel: Any) -> None:
        self._kernel = kernel
        self._lock = threading.RLock()
        self._streams: dict[Any, dict[Any, _Stream]] = {}
        self._pending: set[Any] = set()
        self._timer = ReleaseTimer(self._release_key)
        self._patches: list[_SessionPatch] = []
        self._relays: list[FdRelay] = []
        self._echoes: list[EchoPatch] = []
        self._active = False

    # -- install / uninstall -------------------------------------------------

    def install(self) -> None:
        if self._active:
            return
        self._active = True
        for session in _kernel_sessions(self._kernel):
            self._patches.append(_SessionPatch(self, session))
        for fd, also in server_log_fds(self._kernel):
            relay = FdRelay(fd, also=also)
            try:
                relay.start()
            except OSError:
                continue
            self._relays.append(relay)
        for stream in (sys.stdout, sys.stderr):
            if getattr(stream, "echo", None) is not None:
                self._echoes.append(EchoPatch(stream, self._relays))
        _live.add(self)

    def uninstall(self) -> None:
        """Release held text, then undo every patch; a wrapper that cannot be removed passes through."""
        with self._lock:
            self._active = False
            for parent in list(self._pending):
                self._release_parent(parent)
            self._streams.clear()
        self._timer.close()
        stuck = [patch for patch in self._patches if not patch.remove()]
        if stuck:
            _log.warning("nbsecrets: Session.send was wrapped again after nbsecrets; leaving a pass-through")
        self._patches.clear()
        for echo in self._echoes:
            echo.remove()
        self._echoes.clear()
        for relay in self._relays:
            relay.stop()
        self._relays.clear()
        _live.discard(self)

    # -- the send wrapper -------------------------------------------------------

    def _send(self, patch: _SessionPatch, call: _Call) -> Any:
        if not self._active:
            return patch.call(call)
        masker = get_masker()
        if not isinstance(call.msg_or_type, (str, dict)) and _is_message(call.msg_or_type):
            call.msg_or_type = _plain_message(call.msg_or_type)
        msg = call.msg_or_type if isinstance(call.msg_or_type, dict) else None
        if msg is not None:
            msg_type = msg.get("msg_type") or (msg.get("header") or {}).get("msg_type")
            parent_header = msg.get("parent_header") or {}
            body = msg.get("content")
        else:
            msg_type = call.msg_or_type
            parent_header = _header_of(call.parent)
            body = call.content
        parent_id = parent_header.get("msg_id") if isinstance(parent_header, dict) else None

        if msg_type == "stream" and isinstance(body, dict) and isinstance(body.get("text"), str):
            return self._send_stream(patch, call, body, parent_header, parent_id)

        if parent_id in self._pending:
            with self._lock:
                self._release_parent(parent_id)
        if msg_type == "status" and isinstance(body, dict) and body.get("execution_state") == "idle":
            if parent_id in self._streams:
                with self._lock:
                    self._forget_parent(parent_id)
            self._release_logs()

        if msg is not None:
            masked = _masked_message(masker, msg_type, msg)
            buffers = mask_buffers(masker, call.buffers)
            if masked is msg and buffers is call.buffers:
                return patch.call(call)
            call.msg_or_type, call.buffers = masked, buffers
            patch.call(call)
            return msg  # what ipykernel would have got back: its own message, unmasked
        content, metadata, buffers = call.content, call.metadata, call.buffers
        call.content = mask_content(masker, msg_type, content)
        call.metadata = mask_metadata(masker, msg_type, metadata)
        call.buffers = mask_buffers(masker, buffers)
        sent = patch.call(call)
        if isinstance(sent, dict) and (call.content is not content or call.metadata is not metadata):
            # ipykernel reads e.g. reply["content"]["status"] from what send returns: hand back its own.
            sent = dict(sent)
            sent["content"] = content
            if call.metadata is not metadata:
                sent["metadata"] = metadata
        return sent

    def _send_stream(self, patch: _SessionPatch, call: _Call, body: dict, parent_header: Any, parent_id: Any) -> Any:
        name = body.get("name")
        key = (parent_id, name)
        with self._lock:
            entry = self._entry(parent_id, name)
            text = body["text"]
            out = entry.masking.feed(text)
            # Where a later release of held text goes: the same socket and parent.
            entry.patch, entry.socket = patch, call.stream
            entry.ident, entry.parent = call.ident, parent_header
            if entry.masking.pending:
                self._pending.add(parent_id)
                self._timer.arm(key)
            else:
                self._timer.disarm(key)
                self._settle(parent_id)
            if not out:
                return call.msg_or_type if isinstance(call.msg_or_type, dict) else None
            if out is not text:
                masked_body = dict(body)
                masked_body["text"] = out
                if isinstance(call.msg_or_type, dict):
                    call.msg_or_type = dict(call.msg_or_type)
                    call.msg_or_type["content"] = masked_body
                else:
                    call.content = masked_body
            # Sent under the lock: a deadline release from the timer thread must
            # not overtake text of the same stream, nor come after it.
            return patch.call(call)

    # -- stream state (callers hold self._lock) -----------------------------------

    def _entry(self, parent_id: Any, name: Any) -> _Stream:
        """The stream's state, made on first use.

        A StreamMasker follows the masker's current automaton, so secrets
        added mid-stream are matched without starting over.
        """
        streams = self._streams.get(parent_id)
        if streams is None:
            if len(self._streams) >= _MAX_IDLE_PARENTS:
                self._prune()
            streams = self._streams[parent_id] = {}
        entry = streams.get(name)
        if entry is None:
            entry = streams[name] = _Stream(get_masker().stream())
        return entry

    def _settle(self, parent_id: Any) -> None:
        if parent_id in self._pending and not any(
            entry.masking.pending for entry in self._streams.get(parent_id, {}).values()
        ):
            self._pending.discard(parent_id)

    def _release_key(self, key: Hashable) -> None:
        parent_id, name = key  # type: ignore[misc]
        with self._lock:
            entry = self._streams.get(parent_id, {}).get(name)
            if entry is not None and entry.masking.pending:
                self._emit(name, entry)
            self._settle(parent_id)

    def _release_parent(self, parent_id: Any) -> None:
        for name, entry in self._streams.get(parent_id, {}).items():
            if entry.masking.pending:
                self._timer.disarm((parent_id, name))
                self._emit(name, entry)
        self._pending.discard(parent_id)

    def _forget_parent(self, parent_id: Any) -> None:
        for name in self._streams.pop(parent_id, {}):
            self._timer.disarm((parent_id, name))
        self._pending.discard(parent_id)

    def _prune(self) -> None:
        for parent_id in [p for p in self._streams if p not in self._pending]:
            del self._streams[parent_id]

    def _emit(self, name: Any, entry: _Stream) -> None:
        text = entry.masking.flush()
        if not text or entry.patch is None:
            return
        msg = entry.patch.session.msg("stream", {"name": name, "text": text}, parent=entry.parent or {})
        entry.patch.call(_Call(entry.socket, msg, ident=entry.ident))

    def _release_logs(self) -> None:
        """A request is done: what the log copies hold cannot be continued by its output any more.

        Without this, the start of a secret printed at the end of one cell
        would be followed in the log by the next cell's output and go out as
        plain text once that shows it is not the whole secret.
        """
        for echo in self._echoes:
            echo.proxy.release()
        for relay in self._relays:
            relay.request_release()

    def _after_fork_in_child(self) -> None:
        """The parent's threads and held text do not exist in a forked child: start clean."""
        self._lock = threading.RLock()
        self._streams = {}
        self._pending = set()
        self._timer = ReleaseTimer(self._release_key)


def _masked_message(masker: Any, msg_type: Any, msg: dict) -> dict:
    """A copy of ``msg`` with its user content masked, or ``msg`` itself when nothing matched."""
    content = msg.get("content")
    metadata = msg.get("metadata")
    buffers = msg.get("buffers")
    masked_content = mask_content(masker, msg_type, content)
    masked_metadata = mask_metadata(masker, msg_type, metadata)
    masked_buffers = mask_buffers(masker, buffers)
    if masked_content is content and masked_metadata is metadata and masked_buffers is buffers:
        return msg
    msg = dict(msg)
    for key, value in (("content", masked_content), ("metadata", masked_metadata), ("buffers", masked_buffers)):
        if key in msg:
            msg[key] = value
    return msg


def _withheld(call: _Call) -> _Call:
    """``call`` with every user field replaced by a notice, for a message masking failed on."""
    if isinstance(call.msg_or_type, dict):
        msg = dict(call.msg_or_type)
        msg_type = msg.get("msg_type") or (msg.get("header") or {}).get("msg_type")
        msg["content"] = withhold_content(msg_type, msg.get("content"))
        msg["buffers"] = []
        call.msg_or_type = msg
    else:
        call.content = withhold_content(call.msg_or_type, call.content)
    return call


def _is_message(obj: Any) -> bool:
    return type(obj).__name__ == "Message" and hasattr(obj, "__dict__") and not isinstance(obj, (str, dict))


def _plain_message(msg: Any) -> dict:
    """``Session.send`` also takes a jupyter_client ``Message`` (nested dicts as attribute objects)."""
    return {key: _plain_message(value) if _is_message(value) else value for key, value in vars(msg).items()}


def _header_of(parent: Any) -> Any:
    if not parent or not isinstance(parent, dict):
        return {}
    header = parent.get("header")
    return header if isinstance(header, dict) else parent


def _kernel_sessions(kernel: Any) -> list[Any]:
    """Every distinct Session object that sends on behalf of this kernel.

    They are one object in ipykernel 7, but the places that send each keep
    their own reference; wrapping each distinct one keeps that true if a
    version gives one of them a session of its own.
    """
    shell = getattr(kernel, "shell", None)
    holders = [
        kernel,
        sys.stdout,
        sys.stderr,
        getattr(shell, "display_pub", None),
        getattr(shell, "displayhook", None),
        getattr(kernel, "debugger", None),
    ]
    sessions: list[Any] = []
    for holder in holders:
        session = getattr(holder, "session", None)
        if session is not None and callable(getattr(session, "send", None)):
            if not any(session is known for known in sessions):
                sessions.append(session)
    return sessions


_live: weakref.WeakSet[KernelMasking] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for masking in list(_live):
        masking._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
