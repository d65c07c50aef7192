"""Run a cell magic's body so that a traceback names the cell the user ran, at the right line.

`shell.run_cell(body)` compiles the body as a cell of its own: IPython 9
counts the outer cell before running it, so the body is named In[N+1], and
on every version its line 1 is the cell's line 2. While `as_this_cell` is
active, the next body compiled is cached under the outer cell's number,
shifted down one line, with the magic's own line shown as line 1 of the
listing. Each patch applies once and is removed on exit.
"""

from __future__ import annotations

import contextlib
import linecache
from typing import Any, Iterator


class OuterCell:
    """The cell running the magic, as IPython records it before the body replaces the record."""

    def __init__(self, result: Any) -> None:
        self._result = result

    def fail_with(self, error: BaseException) -> bool:
        """Make the cell fail with the body's own error (already shown once); False if it cannot."""
        if self._result is None:
            return False
        self._result.error_in_exec = error
        return True


@contextlib.contextmanager
def as_this_cell(shell: Any, magic_line: str) -> Iterator[OuterCell]:
    """Around one `shell.run_cell(body)` made by the cell magic whose first line is `magic_line`."""
    outer = getattr(shell.displayhook, "exec_result", None)  # run_cell(body) sets it to None when done
    number = getattr(outer, "execution_count", None)
    if number is None:
        number = shell.execution_count
    compiler = shell.compile
    own_cache = compiler.__dict__.get("cache")
    cache = compiler.cache
    pending = {"shift", "name"}

    def shift(lines: list[str]) -> list[str]:
        # A transform that runs after IPython's own, which would drop a leading blank line.
        if "shift" not in pending:
            return lines
        pending.discard("shift")
        return ["\n", *lines]

    def named(code: str, number_: int = 0, raw_code: str | None = None) -> str:
        if "name" not in pending:
            return cache(code, number_, raw_code)
        pending.discard("name")
        name = cache(code, number, raw_code)
        entry = linecache.cache.get(name)
        if entry and entry[2] and not entry[2][0].strip():
            linecache.cache[name] = (entry[0], entry[1], [magic_line + "\n", *entry[2][1:]], entry[3])
        return name

    shell.input_transformers_post.append(shift)
    compiler.cache = named
    try:
        yield OuterCell(outer)
    finally:
        shell.input_transformers_post.remove(shift)
        if own_cache is None:
            del compiler.cache
        else:
            compiler.cache = own_cache

