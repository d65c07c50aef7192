"""The extension in an in-process InteractiveShell: what it patches, and that unloading undoes it all."""

from __future__ import annotations

import io
import logging
import sys
import threading

import pytest
from IPython.core import page
from IPython.core.history import HistoryManager

import nbsecrets

SECRET = "sk-test-InPr0cessZ8yX6wV4uT2sR0qP9oN"


needs_output_bundles = pytest.mark.skipif(
    not hasattr(HistoryManager, "outputs"), reason="IPython < 9 keeps no output bundles"
)


def _snapshot(ip, handler: logging.StreamHandler) -> dict:
    hm = ip.history_manager
    return {
        "stdout": sys.stdout,
        "stderr": sys.stderr,
        "pager_hook": ip.hooks.show_in_pager,
        "displayhook_vars": dict(vars(ip.displayhook)),
        "output_hist_reprs": hm.output_hist_reprs,
        "outputs": getattr(hm, "outputs", None),
        "exceptions": getattr(hm, "exceptions", None),
        "events": {name: list(cbs) for name, cbs in ip.events.callbacks.items()},
        "handler_stream": handler.stream,
        "threads": {t for t in threading.enumerate() if t.name.startswith("nbsecrets")},
    }


def _same(before: dict, after: dict) -> dict:
    out = {}
    for key, value in before.items():
        if key in ("displayhook_vars", "events", "threads"):
            out[key] = after[key] == value
        else:
            out[key] = after[key] is value
    return out


def _remove_every_hook(shell) -> None:
    """What an embedding host does to take nbsecrets out entirely (``%unload_ext`` keeps masking)."""
    from nbsecrets.adapters.ipython.extension import uninstall_output_masking

    if "nbsecrets" in shell.extension_manager.loaded:
        shell.run_line_magic("unload_ext", "nbsecrets")
    uninstall_output_masking(shell)


def _load_with_secret(shell) -> None:
    """The extension loaded, the test secret registered, and ``S`` holding it in the user's namespace."""
    shell.run_line_magic("load_ext", "nbsecrets")
    nbsecrets.mask(SECRET, name="INPROC_KEY")
    shell.user_ns["S"] = SECRET


def test_unload_ext_keeps_masking_and_uninstall_leaves_the_shell_as_it_found_it(shell) -> None:
    handler = logging.StreamHandler(sys.stderr)
    logger = logging.getLogger("nbsecrets-test-unload")
    logger.addHandler(handler)
    try:
        before = _snapshot(shell, handler)
        shell.run_line_magic("load_ext", "nbsecrets")
        during = _snapshot(shell, handler)
        changed = {k for k, same in _same(before, during).items() if not same}
        assert {"stdout", "stderr", "pager_hook", "displayhook_vars", "events", "handler_stream"} <= changed
        shell.run_line_magic("unload_ext", "nbsecrets")
        # %unload_ext removes the magics; masking stays for the life of the process.
        assert "secret" not in shell.magics_manager.magics["line"]
        kept = {k for k, same in _same(before, _snapshot(shell, handler)).items() if not same}
        assert {"stdout", "stderr", "pager_hook"} <= kept
        _remove_every_hook(shell)
        assert _same(before, _snapshot(shell, handler)) == {k: True for k in before}
    finally:
        logger.removeHandler(handler)


def test_print_result_traceback_and_old_logging_handler_are_masked(shell, capsys) -> None:
    handler = logging.StreamHandler(sys.stderr)
    logger = logging.getLogger("nbsecrets-test-early")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        _load_with_secret(shell)
        shell.run_cell('print("out", S)')
        shell.run_cell('"result " + S', store_history=True)
        shell.run_cell('raise KeyError("tb " + S)')
        logger.warning("log %s", SECRET)
        _remove_every_hook(shell)
        out, err = capsys.readouterr()
    finally:
        logger.removeHandler(handler)
    assert SECRET not in out + err
    assert "out [masked:INPROC_KEY]" in out
    assert "'result [masked:INPROC_KEY]'" in out
    assert "tb [masked:INPROC_KEY]" in out
    assert "log [masked:INPROC_KEY]" in err


def test_pager_hooks_added_later_receive_masked_text(shell) -> None:
    seen: list = []

    def recorder(self, data, start=0, screen_lines=0):
        seen.append(data)

    shell.run_line_magic("load_ext", "nbsecrets")
    nbsecrets.mask(SECRET, name="INPROC_KEY")
    shell.set_hook("show_in_pager", recorder, priority=0)
    try:
        page.page({"text/plain": "doc " + SECRET}, start=0)
    finally:
        chain = shell.hooks.show_in_pager.chain
        chain[:] = [(p, f) for p, f in chain if getattr(f, "__func__", None) is not recorder]
    assert seen == [{"text/plain": "doc [masked:INPROC_KEY]"}]


def test_history_keeps_masked_output_reprs(shell) -> None:
    _load_with_secret(shell)
    result = shell.run_cell('"hist " + S', store_history=True)
    stored = shell.history_manager.output_hist_reprs[result.execution_count]
    assert stored == "'hist [masked:INPROC_KEY]'"
    # The result object itself stays the user's.
    assert shell.user_ns["_"] == "hist " + SECRET


@needs_output_bundles
def test_history_outputs_and_exceptions_are_masked(shell) -> None:
    _load_with_secret(shell)
    shell.run_cell('print("stream " + S[:12], end=""); print(S[12:])', store_history=True)
    shell.run_cell('display("shown " + S)', store_history=True)
    failed = shell.run_cell('raise ValueError("boom " + S)', store_history=True)
    shell.events.trigger("post_execute")
    hm = shell.history_manager
    recorded = repr(dict(hm.outputs)) + repr(dict(hm.exceptions))
    assert SECRET not in recorded
    streams = [o for outputs in hm.outputs.values() for o in outputs if o.output_type == "out_stream"]
    assert "".join(streams[-1].bundle["stream"]) == "stream [masked:INPROC_KEY]\n"
    assert "[masked:INPROC_KEY]" in repr(hm.exceptions[failed.execution_count])
    _remove_every_hook(shell)
    assert SECRET not in repr(dict(hm.outputs))


@needs_output_bundles
def test_history_stream_text_is_masked_whole_when_the_cell_ends(shell) -> None:
    _load_with_secret(shell)
    # One write per character: no single write holds anything that looks like the secret.
    shell.run_cell('for ch in S:\n    print(ch, end="")\nprint(" done")', store_history=True)
    hm = shell.history_manager
    stream = [o for outputs in hm.outputs.values() for o in outputs if o.output_type == "out_stream"][-1]
    chunks = stream.bundle["stream"]
    # IPython's own list, untouched while the cell ran: nothing stood between a print and it.
    assert type(chunks) is list
    assert "".join(chunks) == "[masked:INPROC_KEY] done\n"
    # A thread that wrote to the record as the cell ended: the next cell's end masks it too.
    chunks.append(SECRET[:20])
    chunks.append(SECRET[20:])
    shell.run_cell("pass", store_history=True)
    assert SECRET[:12] not in "".join(chunks) and SECRET[20:] not in "".join(chunks)
    assert "".join(chunks).startswith("[masked:INPROC_KEY] done\n")


class _Screen(io.StringIO):
    """A stream that lets the test wait for what is written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            n = super().write(text)
            self.changed.notify_all()
        return n

    def wait_for(self, predicate, timeout: float = 10) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self.getvalue()), timeout)


def test_held_start_of_a_secret_is_released_masked_by_the_deadline(shell, monkeypatch) -> None:
    screen = _Screen()
    monkeypatch.setattr(sys, "stdout", screen)
    shell.run_line_magic("load_ext", "nbsecrets")
    nbsecrets.mask(SECRET, name="INPROC_KEY")
    try:
        sys.stdout.write("start " + SECRET[:12])
        sys.stdout.flush()
        # Only what cannot be the start of a secret is out; flush() does not give the rest away.
        assert screen.getvalue() == "start "
        assert screen.wait_for(lambda text: text != "start ")
        assert screen.getvalue() == "start [masked:INPROC_KEY]"
        # The rest of the secret arriving later is still recognised.
        sys.stdout.write(SECRET[12:] + " end\n")
        # Values other tests registered in this process may hold a short tail back until the deadline.
        assert screen.wait_for(lambda text: text.endswith("\n"))
        assert screen.getvalue() == "start [masked:INPROC_KEY] end\n"
    finally:
        _remove_every_hook(shell)
    assert sys.stdout is screen


def test_stream_proxy_looks_like_the_stream_it_wraps(shell) -> None:
    original = sys.stdout
    shell.run_line_magic("load_ext", "nbsecrets")
    assert sys.stdout is not original
    assert sys.stdout.encoding == original.encoding
    assert sys.stdout.isatty() == original.isatty()
    assert sys.stdout.write("plain text") == len("plain text")
