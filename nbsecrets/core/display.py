"""How messages quote what a user gave: never a value, and paths as the user would write them.

A `KEY=VALUE` typed where a name, a path or a command goes must not come
back in an error with its value, nor the words after it (the rest of an
unquoted value), and a path under the home folder is shown
as `~/...`, so a notebook that keeps the message does not keep where the
user's home is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence


def shown(text: str) -> str:
    """A word as an error may quote it: cut at its first `=`, and short."""
    if "=" in text:
        text = text.partition("=")[0] + "=..."
    return text if len(text) <= 80 else text[:77] + "..."


def shown_words(words: Sequence[str]) -> list[str]:
    """Words as a message may list them: none after a `KEY=VALUE` is shown.

    An unquoted value with spaces (`PASSWORD=correct horse battery`) reaches
    a command as several words; the ones after the `=` are the rest of it.
    """
    after = len(words_after_a_value(words))
    kept = words[: len(words) - after + 1] if after else words
    return [*map(shown, kept), *(["..."] if after > 1 else [])]


def words_after_a_value(words: Sequence[str]) -> list[str]:
    """The first word holding `=` (not an `--option=`) and every word after it."""
    first = next((i for i, word in enumerate(words) if "=" in word and not word.startswith("-")), len(words))
    return list(words[first:])


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as a message shows it: `~/...` under the home folder, and never past an `=`."""
    text = str(path)
    if "=" in text:
        return shown(text)
    try:
        return "~/" + str(Path(text).relative_to(Path.home()))
    except ValueError:
        return text
