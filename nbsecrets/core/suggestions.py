""""Did you mean ...?": names close enough to a typo to be what was meant.

difflib's ratio offers far-fetched names (`nope` -> `openai` scores 0.6), so
closeness here is an edit distance that counts a swap of neighbours as one
edit, with a limit that grows with the word: one edit for short words, two
up to eight characters, three beyond. A word that starts a longer name
(`open` for `openai-keys`) is offered too.
"""

from __future__ import annotations

from typing import Iterable


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of adjacent characters (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def allowed_edits(word: str) -> int:
    return 1 if len(word) <= 4 else 2 if len(word) <= 8 else 3


def close_matches(word: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Up to `limit` candidates close to `word`, closest first; none rather than a far-fetched one."""
    typed = word.lower()
    allowed = allowed_edits(typed)
    scored = []
    for candidate in candidates:
        if candidate == word:
            continue
        lowered = candidate.lower()
        distance = edit_distance(typed, lowered)
        if distance <= allowed:
            scored.append((distance, candidate))
        elif len(typed) >= 3 and lowered.startswith(typed):
            scored.append((allowed + 1, candidate))
    return [candidate for _, candidate in sorted(scored)[:limit]]
