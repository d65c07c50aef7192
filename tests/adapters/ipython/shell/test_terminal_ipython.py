"""Real terminal IPython (``ipython --simple-prompt`` on pipes): print, stderr, results,
tracebacks, the pager, logging, warnings and display() are masked; without the extension
the same session shows the secret on every one of those paths."""

from __future__ import annotations

import re

import pytest
from terminal_session import TERM_KEY, TerminalRun

MARKERS = {
    "T1": "stdout",
    "T2": "stderr",
    "T3": "stdout",
    "T4": "stdout",
    "T5": "pager",
    "T6": "stderr",
    "T7": "stderr",
    "T8": "stdout",
    "T9": "stdout",
}


def middles(text: str, marker: str) -> list[str]:
    return re.findall(rf"@@{marker} (.*?) {marker}@@", text, re.S)


@pytest.mark.parametrize("marker", sorted(MARKERS))
def test_path_is_masked_in_terminal_ipython(marker: str, terminal_runs: dict[str, TerminalRun]) -> None:
    where = MARKERS[marker]
    plain = getattr(terminal_runs["plain"], where)
    masked = getattr(terminal_runs["masked"], where)
    assert TERM_KEY in middles(plain, marker), f"{marker} did not carry the secret without nbsecrets"
    found = middles(masked, marker)
    assert "[masked:TERM_KEY]" in found, found


def test_no_trace_of_the_secret_anywhere(terminal_runs: dict[str, TerminalRun]) -> None:
    masked = terminal_runs["masked"].text
    assert TERM_KEY not in masked
    # Not even a piece of it (the shared "sk-test-" start aside).
    for start in range(8, len(TERM_KEY) - 5):
        assert TERM_KEY[start : start + 6] not in masked


def test_pager_text_went_through_the_pager_program(terminal_runs: dict[str, TerminalRun]) -> None:
    """The pager writes to the terminal itself, so only the hook can mask what it shows."""
    pager = terminal_runs["masked"].pager
    assert "@@T5 [masked:TERM_KEY] T5@@" in pager
    assert "@@T5" not in terminal_runs["masked"].stdout


def test_char_by_char_print_with_a_pause_is_masked_whole(terminal_runs: dict[str, TerminalRun]) -> None:
    assert "@@T8 [masked:TERM_KEY] T8@@" in terminal_runs["masked"].stdout
