"""What a process keeps in memory between reads, forgotten, so a test sees the disk as a new process would."""

from __future__ import annotations


def forget_process_state() -> None:
    """Drop the keys read so far and the stores opened so far (a key file removed on disk then counts)."""
    from nbsecrets.core.store import keys, kinds

    keys._cache.clear()
    kinds._open.clear()
