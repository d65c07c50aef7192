"""Feeding a stream masker in chunks, as a kernel sends output, for the masking tests."""

from __future__ import annotations

from nbsecrets.core.masking import StreamMasker


def feed_all(stream: StreamMasker, chunks: list[str], flush_between: bool = False) -> str:
    """Everything `stream` writes for `chunks`, flushed at the end (and after each chunk if asked)."""
    out = []
    for chunk in chunks:
        out.append(stream.feed(chunk))
        if flush_between:
            out.append(stream.flush())
    out.append(stream.flush())
    return "".join(out)
