"""What a terminal shows of a text, for tests that check what a reader could see.

Written independently of nbsecrets' own read-back view, so that the tests
judge the masking by a second account of the same screen.
"""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def terminal(text: str) -> str:
    """What a terminal shows: escape sequences dropped, a cursor that ``\\r`` sends home and ``\\b`` moves back."""
    text = ANSI.sub("", text)
    lines = []
    for line in re.sub(r"\r+\n", "\n", text).split("\n"):
        screen: list[str] = []
        col = 0
        for ch in line:
            if ch == "\r":
                col = 0
            elif ch == "\b":
                col = max(0, col - 1)
            else:
                if col < len(screen):
                    screen[col] = ch
                else:
                    screen.append(ch)
                col += 1
        lines.append("".join(screen))
    return "\n".join(lines)


def longest_common_run(text: str, secret: str) -> int:
    """The length of the longest run of consecutive characters of ``secret`` found in ``text``."""
    best = 0
    for start in range(len(secret)):
        length = best + 1
        while start + length <= len(secret) and secret[start : start + length] in text:
            best = length
            length += 1
    return best
