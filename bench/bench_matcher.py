"""Throughput of output masking: ``python bench/bench_matcher.py``.

Masks 10 MB of log-like text against 10, 100 and 1000 fake secrets with
everything on (every form of each, fragments, the read-back view and the
credential patterns), with a few secrets sprinkled in and with none, and
prints MB/s next to a plain copy of the same text measured in the same run,
plus the time to build the automaton: for those, and for ten periodic
values of 32,768 characters (one repeated character and other short
periods), which once took seconds. Numbers only, no pass/fail.
"""

from __future__ import annotations

import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nbsecrets.core.masking import Masker
from nbsecrets.core.registry import SecretRegistry

SIZE = 10_000_000
REPEAT = 5
WORDS = (
    "the of and to in is for that with on request response GET POST PUT /api/v1/users "
    "/healthz status=200 status=404 took ms INFO WARN DEBUG ERROR user_id=4711 "
    "request_id=8f3a2b19 connection established closed worker-3 retrying timeout "
    "token=redacted cache hit miss epoch loss=0.0312 accuracy=0.981 batch step"
).split()


def fake_secret(rng: random.Random) -> str:
    return "sk-test-" + "".join(rng.choices(string.ascii_letters + string.digits, k=32))


def log_text(rng: random.Random, secrets: list[str], sprinkle: int) -> str:
    lines: list[str] = []
    size = 0
    while size < SIZE:
        line = f"2024-05-01T12:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z " + " ".join(
            rng.choices(WORDS, k=rng.randint(5, 14))
        )
        lines.append(line)
        size += len(line) + 1
    for _ in range(sprinkle if secrets else 0):
        at = rng.randrange(len(lines))
        lines[at] += f" api_key={rng.choice(secrets)}"
    return "\n".join(lines)[:SIZE]


def best_time(fn, repeat: int = REPEAT) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def periodic_values() -> list[str]:
    """Ten 32k values built from short periods: the worst case for building an automaton."""
    periods = ["v", "ab", "xyz", "sk-test-", "0", "abcd1234", "-", "Zz", "q1w2e3", "\u00e9"]
    return [(period * (32_768 // len(period) + 1))[:32_768] for period in periods]


def build_time(values: list[str]) -> tuple[float, int]:
    registry = SecretRegistry()
    for i, value in enumerate(values):
        registry.add(value, f"KEY_{i}")
    masker = Masker(registry)
    start = time.perf_counter()
    patterns = len(masker.matcher)
    return time.perf_counter() - start, patterns


def main() -> None:
    rng = random.Random(20240501)
    config = Masker(SecretRegistry()).config
    print(
        f"config: min_length={config.min_length} fragment_length={config.fragment_length} "
        f"patterns={config.patterns} (read-back view on)"
    )
    for label, values in (
        ("1000 random secrets", [fake_secret(rng) for _ in range(1000)]),
        ("10 periodic 32k values", periodic_values()),
    ):
        elapsed, patterns = build_time(values)
        print(f"build, {label}: {elapsed:.3f} s ({patterns} patterns)")
    print(f"mask() over {SIZE / 1e6:.0f} MB, best of {REPEAT}; baseline = text.encode().decode()")
    header = f"{'secrets':>8} {'forms':>6} {'build s':>8} {'text':>14} {'MB/s':>9} {'baseline MB/s':>14} {'x slower':>9} {'masked':>7}"
    best_time(lambda: log_text(random.Random(0), [], 0).encode().decode(), repeat=2)  # warm the allocator
    print(header)
    print("-" * len(header))
    for count in (10, 100, 1000):
        registry = SecretRegistry()
        secrets = [fake_secret(rng) for _ in range(count)]
        for i, secret in enumerate(secrets):
            registry.add(secret, f"KEY_{i}")
        masker = Masker(registry)
        start = time.perf_counter()
        patterns = len(masker.matcher)  # forces the build
        build = time.perf_counter() - start
        for label, sprinkle in (("no secrets", 0), ("20 secrets", 20)):
            text = log_text(rng, secrets, sprinkle)
            masked = masker.mask(text)
            hits = masked.count("[masked:")
            if sprinkle == 0:
                assert masked is text
            elapsed = best_time(lambda m=masker, t=text: m.mask(t))
            baseline = best_time(lambda t=text: t.encode().decode())
            mbps = len(text) / elapsed / 1e6
            base_mbps = len(text) / baseline / 1e6
            print(
                f"{count:>8} {patterns:>6} {build:>8.3f} {label:>14} {mbps:>9.0f} "
                f"{base_mbps:>14.0f} {baseline and elapsed / baseline:>9.1f} {hits:>7}"
            )
    # Non-ASCII output (e.g. progress bars, accented text) takes the decode path.
    text = log_text(rng, secrets, 20).replace("status", "státus")
    elapsed = best_time(lambda: masker.mask(text))
    print(f"non-ASCII text, 1000 secrets: {len(text) / elapsed / 1e6:.0f} MB/s (chars)")
    # Many small writes, as a kernel sends them.
    lines = text.splitlines()[:100_000]
    elapsed = best_time(lambda: [masker.mask(line) for line in lines], repeat=3)
    print(f"mask() per short line, 1000 secrets: {elapsed / len(lines) * 1e6:.2f} us")
    stream = masker.stream()
    chunks = [line + "\n" for line in lines]
    elapsed = best_time(lambda: [stream.feed(chunk) for chunk in chunks], repeat=3)
    print(f"StreamMasker.feed() per line, 1000 secrets: {elapsed / len(chunks) * 1e6:.2f} us")


if __name__ == "__main__":
    main()
