"""Throughput and build time of output masking: ``python bench/bench_matcher.py [--sizes 1,10,100]``.

Everything on: every form of each fake secret, fragments, the read-back
view and the credential patterns. Each number stands next to a baseline
measured in the same run:

* building the masker for 1,000 and 10,000 secrets, and for ten periodic
  values of 32,768 characters (one repeated character and other short
  periods, which once took seconds), against building a bare automaton
  over the values alone;
* masking log-like text of 1, 10 and 100 MB against 10, 100, 1,000 and
  10,000 secrets, in MB/s next to a pass-through copy of the same text
  (``text.encode().decode()``), so the table shows how the cost grows with
  secrets and with size;
* 10 MB with 20 secrets in it, non-ASCII text, a 2 MB HTML display, one
  short line, one streamed line, and a string masked a second time (the
  memo);
* the two cells of ``bench_kernel_masking.py`` (ten 2 MB HTML displays,
  and a 20 MB print cell as the four stream messages it leaves in) masked
  in this process, next to a copy: the masking part of the kernel's
  numbers, without the noise of the kernel's own work.

Each text is masked as a fresh string object every time, so the memo (a
string already masked is not scanned again) never flatters a number.
Numbers only, no pass/fail; the aims are printed beside them.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ahocorasick_rs

from nbsecrets.core.masking import Masker
from nbsecrets.core.registry import SecretRegistry

REPEAT = 3
WORDS = (
    "the of and to in is for that with on request response GET POST PUT /api/v1/users "
    "/healthz status=200 status=404 took ms INFO WARN DEBUG ERROR user_id=4711 "
    "request_id=8f3a2b19 connection established closed worker-3 retrying timeout "
    "token=redacted cache hit miss epoch loss=0.0312 accuracy=0.981 batch step"
).split()
AIM_MBPS_1000 = 300
AIM_BUILD = {"1,000 random secrets": 0.05, "10,000 random secrets": 0.5, "10 periodic 32k values": 0.2}


def fake_secret(rng: random.Random) -> str:
    return "sk-test-" + "".join(rng.choices(string.ascii_letters + string.digits, k=32))


def log_text(rng: random.Random, size: int, secrets: list[str] = (), sprinkle: int = 0) -> str:
    lines: list[str] = []
    total = 0
    while total < min(size, 2_000_000):
        line = f"2024-05-01T12:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z " + " ".join(
            rng.choices(WORDS, k=rng.randint(5, 14))
        )
        lines.append(line)
        total += len(line) + 1
    for _ in range(sprinkle if secrets else 0):
        at = rng.randrange(len(lines))
        lines[at] += f" api_key={rng.choice(secrets)}"
    block = "\n".join(lines) + "\n"
    return (block * (size // len(block) + 1))[:size]


def fresh(text: str) -> str:
    """An equal string that is another object (the memo keys on identity)."""
    return text[:1] + text[1:]


def best(fn, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def mask_time(masker: Masker, *texts: str) -> float:
    """Best of REPEAT times masking fresh copies of all ``texts`` (the memo keys on identity)."""
    return min(best(lambda c=[fresh(t) for t in texts]: [masker.mask(x) for x in c], 1) for _ in range(REPEAT))


def masker_for(values: list[str], registry: SecretRegistry | None = None) -> Masker:
    registry = SecretRegistry() if registry is None else registry
    for i, value in enumerate(values):
        registry.add(value, f"KEY_{i}")
    return Masker(registry)


def periodic_values() -> list[str]:
    """Ten 32k values built from short periods: the worst case for building an automaton."""
    periods = ["v", "ab", "xyz", "sk-test-", "0", "abcd1234", "-", "Zz", "q1w2e3", "\u00e9"]
    return [(period * (32_768 // len(period) + 1))[:32_768] for period in periods]


def build_rows(rng: random.Random) -> None:
    print(f"build the masker (time to its first use, best of {REPEAT}), against a bare automaton of one key per value;")
    print("'+1 s' is the rebuild after one more secret is registered (what loading another source costs)")
    print(f"  {'':<24} {'build s':>8} {'aim s':>6} {'bare s':>8} {'ratio':>6} {'+1 s':>7} {'patterns':>9}")
    len(masker_for(["sk-test-warm-the-imports"]).matcher)  # the automaton's modules load on the first build
    for label, values in (
        ("1,000 random secrets", [fake_secret(rng) for _ in range(1000)]),
        ("10,000 random secrets", [fake_secret(rng) for _ in range(10_000)]),
        ("10 periodic 32k values", periodic_values()),
    ):
        times = []
        for _ in range(REPEAT):  # each time a new masker: nothing carried over
            registry = SecretRegistry()
            masker = masker_for(values, registry)
            start = time.perf_counter()
            patterns = len(masker.matcher)
            times.append(time.perf_counter() - start)
        elapsed = min(times)
        # One key per value, cut short as the masker's own keys are (a long periodic key builds in quadratic time).
        encoded = [v[:64].encode() for v in values]
        bare = best(lambda e=encoded: ahocorasick_rs.BytesAhoCorasick(e), 1)
        registry.add(fake_secret(rng), "ONE_MORE")
        again = best(lambda m=masker: len(m.matcher), 1)
        aim = AIM_BUILD[label]
        print(f"  {label:<24} {elapsed:8.3f} {aim:6.2f} {bare:8.3f} {elapsed / bare:6.1f} {again:7.3f} {patterns:9}")


def throughput_table(rng: random.Random, counts: list[int], sizes: list[int]) -> dict[int, list[str]]:
    print(f"\nmask() of log text without secrets in it, MB/s (x = times a pass-through copy's time); best of {REPEAT}")
    texts = {size: log_text(random.Random(size), size * 1_000_000) for size in sizes}
    copies = {size: best(lambda t=text: t.encode().decode()) for size, text in texts.items()}
    header = f"  {'secrets':>8} {'build s':>8}" + "".join(f"{f'{size} MB':>18}" for size in sizes)
    print(header)
    print(f"  {'copy':>8} {'':>8}" + "".join(f"{size / copies[size]:>10.0f} MB/s    " for size in sizes))
    values: dict[int, list[str]] = {}
    for count in counts:
        values[count] = [fake_secret(rng) for _ in range(count)]
        masker = masker_for(values[count])
        build = best(lambda m=masker: len(m.matcher), 1)
        row = f"  {count:>8} {build:>8.3f}"
        for size in sizes:
            elapsed = mask_time(masker, texts[size])
            row += f"{size / elapsed:>10.0f} {elapsed / copies[size]:>5.0f}x  "
        print(row)
    return values


def detail_rows(rng: random.Random, values: dict[int, list[str]]) -> None:
    count = 1000 if 1000 in values else max(values)
    secrets = [fake_secret(rng) for _ in range(20)]
    masker = masker_for(values[count] + secrets)
    print(f"\ndetails, {count} secrets (+20 sprinkled in the text)")
    text = log_text(rng, 10_000_000, secrets, 20)
    elapsed = mask_time(masker, text)
    hits = masker.mask(fresh(text)).count("[masked:")
    mbps = 10 / elapsed
    print(f"  10 MB with 20 secrets in it: {mbps:.0f} MB/s, {hits} masked (aim at 1,000 secrets: {AIM_MBPS_1000} MB/s)")
    text = text.replace("status", "státus")
    print(f"  10 MB of non-ASCII text: {10 / mask_time(masker, text):.0f} MB/s")
    html = "<p>" + "y" * (2_000_000 - 7) + "</p>"
    copy = best(lambda: html.encode().decode())
    elapsed = mask_time(masker, html)
    print(f"  one 2 MB HTML display: {elapsed * 1000:.1f} ms ({2 / elapsed:.0f} MB/s; a copy: {copy * 1000:.1f} ms)")
    big = fresh(html)
    masker.mask(big)
    again = best(lambda: masker.mask(big))
    print(f"  the same 2 MB string masked again (memo): {again * 1e6:.1f} us")
    lines = text.splitlines()[:100_000]
    elapsed = best(lambda: [masker.mask(line) for line in lines])
    print(f"  mask() per short line: {elapsed / len(lines) * 1e6:.2f} us")
    stream = masker.stream()
    chunks = [line + "\n" for line in lines]
    elapsed = best(lambda: [stream.feed(chunk) for chunk in chunks])
    print(f"  StreamMasker.feed() per line: {elapsed / len(chunks) * 1e6:.2f} us")


def kernel_cell_rows(values: dict[int, list[str]]) -> None:
    """The two cells of bench_kernel_masking.py as the kernel hands them to the masker, masked here."""
    html = ["<p>" + str(i) + "y" * (2_000_000 - 8) + "</p>" for i in range(10)]
    prints = ("x" * 99 + "\n") * 50_000  # a 20 MB print cell leaves in about four 5 MB stream messages
    copy_html = best(lambda: [h.encode().decode() for h in html])
    copy_print = best(lambda: [prints.encode().decode() for _ in range(4)])
    print("\nthe kernel bench's cells masked in process, ms (x = times a pass-through copy's time); best of 3")
    print(f"  {'secrets':>8} {'html 10 x 2 MB':>20} {'print 4 x 5 MB':>20}")
    print(f"  {'copy':>8} {copy_html * 1000:>12.1f}        {copy_print * 1000:>12.1f}")
    for count in [0, *values]:
        masker = masker_for(values.get(count, []))
        len(masker.matcher)
        timed_html = mask_time(masker, *html)
        timed_print = mask_time(masker, *[prints] * 4)
        print(
            f"  {count:>8} {timed_html * 1000:>12.1f} {timed_html / copy_html:>5.0f}x"
            f" {timed_print * 1000:>12.1f} {timed_print / copy_print:>5.0f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", default="10,100,1000,10000")
    parser.add_argument("--sizes", default="1,10,100", help="MB of text per column")
    args = parser.parse_args()
    rng = random.Random(20240501)
    config = Masker(SecretRegistry()).config
    print(
        f"config: min_length={config.min_length} fragment_length={config.fragment_length} "
        f"patterns={config.patterns} (read-back view on)\n"
    )
    build_rows(rng)
    values = throughput_table(rng, [int(n) for n in args.secrets.split(",")], [int(n) for n in args.sizes.split(",")])
    detail_rows(rng, values)
    kernel_cell_rows(values)


if __name__ == "__main__":
    main()
