"""Masking of the copy of kernel output that goes to the Jupyter server's log.

ipykernel copies every byte written to fd 1 and 2 (subprocesses, C code)
onto a duplicate of the kernel's original stdout/stderr, which is the
Jupyter server's log, and with ``quiet=False`` echoes Python-level output
there too. :class:`FdRelay` masks what reaches that file descriptor; the
echo gets a masking stream of its own (:class:`EchoPatch`).

Both are installed and removed by
:class:`~nbsecrets.adapters.ipython.kernel_masking.KernelMasking`; relays
still running when the interpreter exits drain into the log first.
"""

from __future__ import annotations

import atexit
import codecs
import io
import os
import select
import sys
import threading
import time
import weakref
from typing import Any

from nbsecrets.adapters.ipython.release_timer import RELEASE_DELAY, ReleaseTimer
from nbsecrets.adapters.ipython.terminal_masking import MaskingStream
from nbsecrets.adapters.texts import WITHHELD
from nbsecrets.core.masking import get_masker


def server_log_fds(kernel: Any) -> list[tuple[int, tuple[int | None, ...]]]:
    """The fds whose bytes end up in the Jupyter server's log, each with where it may move to.

    With fd capture on (the default on Linux and macOS), that is the
    duplicate of the original stdout/stderr that ipykernel copies fd output
    onto, and that its echo (``quiet=False``) and log handler write to.
    With capture off, fd 1 and 2 themselves are the log: subprocess output
    and the echo go there directly. An in-process kernel shares fd 1 and 2
    with its host, which nbsecrets leaves alone.
    """
    in_process = type(kernel).__module__.startswith("ipykernel.inprocess")
    fds: list[tuple[int, tuple[int | None, ...]]] = []
    for stream, std_fd in ((sys.stdout, 1), (sys.stderr, 2)):
        copy = getattr(stream, "_original_stdstream_copy", None)
        if isinstance(copy, int) and getattr(stream, "_should_watch", False):
            fds.append((copy, (getattr(stream, "_original_stdstream_fd", None),)))
        elif not in_process and hasattr(stream, "pub_thread"):
            fds.append((std_fd, ()))
    return fds


def _file_id(fd: int) -> tuple[int, int] | None:
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class FdRelay:
    """Masks the bytes written to ``fd`` on their way to where ``fd`` pointed before.

    A pipe takes the place of ``fd`` under the same number, so everything that
    already writes to it (ipykernel's fd-watcher copy, its log handler, a
    subprocess given ``sys.stdout``) keeps working and is masked; a thread
    masks what comes out of the pipe and writes it to a duplicate of the
    original file. Undone by putting the original back under the number; the
    thread ends when the last writer is gone.
    """

    def __init__(self, fd: int, also: tuple[int | None, ...] = ()) -> None:
        self.fd = fd
        self._also = tuple(f for f in also if isinstance(f, int))
        self._pid = os.getpid()
        self._target = -1
        self._read = -1
        self._wake: tuple[int, int] | None = None
        self._wake_lock = threading.Lock()
        self._pipe_id: tuple[int, int] | None = None
        self._inheritable = False
        self._thread: threading.Thread | None = None
        self._stopped = False

    def start(self) -> None:
        self._inheritable = os.get_inheritable(self.fd)
        self._target = os.dup(self.fd)
        read, write = os.pipe()
        try:
            self._pipe_id = _file_id(write)
            os.dup2(write, self.fd, inheritable=self._inheritable)
        finally:
            os.close(write)
        self._read = read
        self._wake = os.pipe()
        os.set_blocking(self._wake[1], False)
        self._thread = threading.Thread(target=self._run, name=f"nbsecrets-fd{self.fd}", daemon=True)
        self._thread.start()
        _relays.add(self)

    def open_direct(self) -> int:
        """A new fd on the original file, for a writer that masks its own text."""
        return os.dup(self._target)

    def request_release(self) -> None:
        """Write out what is held now (a cell ended: what follows belongs to another one)."""
        with self._wake_lock:
            if self._wake is not None and not self._stopped:
                try:
                    os.write(self._wake[1], b"!")
                except (BlockingIOError, OSError):
                    pass  # a wake-up is already pending

    def stop(self, timeout: float = 2.0) -> None:
        if self._stopped or self._thread is None or os.getpid() != self._pid:
            return
        with self._wake_lock:
            self._stopped = True
        # ipykernel's OutStream.close moves this fd onto fd 1/2 at shutdown: look there too.
        for fd in (self.fd, *self._also):
            if _file_id(fd) == self._pipe_id:
                os.dup2(self._target, fd, inheritable=self._inheritable if fd == self.fd else True)
        self._thread.join(timeout)
        _relays.discard(self)

    def _run(self) -> None:
        assert self._wake is not None
        wake = self._wake[0]
        decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        masking = get_masker().stream()
        held_since = 0.0
        failed = False
        try:
            while True:
                timeout = None
                if masking.pending:
                    timeout = max(0.0, held_since + RELEASE_DELAY - time.monotonic())
                readable, _, _ = select.select([self._read, wake], [], [], timeout)
                if wake in readable:
                    os.read(wake, 4096)
                if self._read not in readable:
                    self._write(masking.flush())
                    continue
                data = os.read(self._read, 65536)
                final = not data
                try:
                    text = decoder.decode(data, final=final)
                    was_pending = masking.pending
                    out = masking.feed(text)
                    if final:
                        out += masking.flush()
                    elif masking.pending and not was_pending:
                        held_since = time.monotonic()
                    self._write(out)
                except Exception:
                    # Withhold rather than pass unmasked bytes to the log.
                    if not failed:
                        failed = True
                        self._write(WITHHELD + "\n")
                if final:
                    break
        finally:
            os.close(self._read)
            os.close(self._target)
            with self._wake_lock:
                self._stopped = True
                for fd in self._wake:
                    os.close(fd)
                self._wake = None

    def _write(self, text: str) -> None:
        if not text:
            return
        view = memoryview(text.encode("utf-8", "surrogateescape"))
        while view:
            try:
                written = os.write(self._target, view)
            except InterruptedError:
                continue
            except OSError:
                return
            view = view[written:]


class EchoPatch:
    """ipykernel's echo of Python-level output (``quiet=False``), masked on its own way to the log.

    The echo writes to the same fd as the fd watcher's raw copy. Through one
    relay, a secret printed in pieces would arrive as two interleaved copies
    and the start of each would go out before the rest could be recognised,
    so the echo gets a masking stream of its own, straight to the log file.
    """

    def __init__(self, stream: Any, relays: list[FdRelay]) -> None:
        self.stream = stream
        self.original = stream.echo
        try:
            echo_fd = self.original.fileno()
        except (AttributeError, OSError, ValueError):
            echo_fd = None
        relay = next((r for r in relays if r.fd == echo_fd), None)
        self._file: Any = None
        target = self.original
        if relay is not None:
            encoding = getattr(self.original, "encoding", None) or "utf-8"
            self._file = target = io.TextIOWrapper(
                io.FileIO(relay.open_direct(), "w"), encoding=encoding, errors="backslashreplace"
            )
        self._timer = ReleaseTimer(lambda _key: self.proxy.release())
        self.proxy = MaskingStream(target, self._timer, "echo")
        stream.echo = self.proxy

    def remove(self) -> None:
        self.proxy.deactivate()
        self._timer.close()
        if self.stream.echo is not self.proxy:
            return  # replaced after us: the proxy, now passing text through, stays usable
        self.stream.echo = self.original
        if self._file is not None:
            self._file.close()


_relays: weakref.WeakSet[FdRelay] = weakref.WeakSet()


def _stop_relays_at_exit() -> None:
    """Let each relay drain into the log before the interpreter stops its thread."""
    for relay in list(_relays):
        try:
            relay.stop(timeout=1.0)
        except OSError:
            pass


atexit.register(_stop_relays_at_exit)
