"""A stand-in for the hidden prompt: answers from a dict and records which keys were asked for."""

from __future__ import annotations


class Asker:
    """Called as `ask(key)`; `asked` lists the keys in the order they were asked."""

    def __init__(self, **answers: str) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, key: str) -> str:
        self.asked.append(key)
        return self.answers[key]
