"""What `%load_ext nbsecrets` costs, next to `%load_ext dotenv`, measured in the same run.

Each sample is a fresh Python process that starts an InteractiveShell and
times only the `%load_ext` call (imports included), so nothing is cached
between samples. Prints medians in milliseconds and the ratio to dotenv's.

    python bench/bench_load_ext.py [--samples N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

PROBE = """
import sys, time
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
name = sys.argv[1]
start = time.perf_counter()
if name != "-":
    ip.run_line_magic("load_ext", name)
elapsed = (time.perf_counter() - start) * 1000
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("ipywidgets", "hvac", "keyring", "cryptography"))
print(elapsed, len(loaded), ",".join(sorted({m.split('.')[0] for m in loaded})))
"""


# As installed packages are: with compiled bytecode (a warm-up sample writes it).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def sample(extension: str) -> tuple[float, str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, extension], capture_output=True, text=True, check=True, env=ENV
    ).stdout.split()
    return float(out[0]), (out[2] if len(out) > 2 else "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"-": [], "dotenv": [], "nbsecrets": []}
    heavy: dict[str, str] = {}
    for extension in results:
        sample(extension)
    for _ in range(args.samples):  # interleaved, so machine noise hits all three alike
        for extension in results:
            elapsed, modules = sample(extension)
            results[extension].append(elapsed)
            heavy[extension] = modules
    dotenv = statistics.median(results["dotenv"])
    print(f"{'extension':<12} {'median ms':>10} {'min ms':>8}  heavy modules imported")
    for extension, times in results.items():
        label = "(nothing)" if extension == "-" else extension
        print(f"{label:<12} {statistics.median(times):10.2f} {min(times):8.2f}  {heavy[extension] or '-'}")
    print(f"nbsecrets / dotenv load time: {statistics.median(results['nbsecrets']) / dotenv:.2f}x")


if __name__ == "__main__":
    main()
