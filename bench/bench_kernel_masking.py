"""What output masking costs a real kernel, against a kernel without nbsecrets in the same run.

Kernels run side by side: one without nbsecrets (the baseline), one whose
``Session.send`` only copies every string it sends (the least any masking
at that point can cost: touching each byte once), and kernels with
``%load_ext nbsecrets`` and 0, 10, 100, 1,000 and 10,000 fake secrets
registered (every feature on: forms, fragments, read-back, credential
shapes). The cells:

* print: N MB in N*10,000 prints of 100 bytes (20 MB unless ``--sizes``);
* html: 20 MB in 10 displays of 2 MB of HTML.

Each round runs every cell once in every kernel, in an order that rotates
from round to round, so drift on the machine hits all alike. Each time is
from the execute request to the kernel's ``idle``, with every output
message received by the client. Prints the median of the rounds and its
ratio to the baseline's median, next to the aims.

    python bench/bench_kernel_masking.py [--repeat 3] [--secrets 0,10,100,1000,10000] [--sizes 1,10,100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from jupyter_client.manager import KernelManager

PRINT_CELL = "for _ in range({count}):\n    print('x' * 99)"  # 100 bytes a line
HTML_CELL = (
    "from IPython.display import HTML, display\n"
    "for i in range(10):\n"
    "    display(HTML('<p>' + str(i) + 'y' * (2_000_000 - 8) + '</p>'))"
)
HTML_BYTES = 10 * 2_000_000
SETUP = """
import random, string, nbsecrets
rng = random.Random({seed})
for i in range({count}):
    value = "sk-test-" + "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(32))
    nbsecrets.mask(value, name=f"BENCH_KEY_{{i}}")
from nbsecrets.core.masking import get_masker
get_masker().mask("build the automaton before timing")
"""
PASS_THROUGH = """
def _nbs_bench_copy():
    session = get_ipython().kernel.session
    send = session.send

    def copy(obj):
        if isinstance(obj, str):
            return obj.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
        if isinstance(obj, dict):
            return {key: copy(value) for key, value in obj.items()}
        if isinstance(obj, list):
            return [copy(item) for item in obj]
        return obj

    def copying_send(stream, msg_or_type, content=None, *args, **kwargs):
        return send(stream, copy(msg_or_type), copy(content), *args, **kwargs)

    session.send = copying_send
_nbs_bench_copy()
"""
# Ratios to the baseline's median: (cell, secrets) -> the aim.
AIMS = {("print", 0): 1.03, ("html", 0): 1.03, ("print", 100): 1.10, ("html", 100): 1.10,
        ("print", 1000): 1.25, ("html", 1000): 1.25, ("print", 10000): 2.0, ("html", 10000): 2.0}


class Kernel:
    def __init__(self, label: str, setup: list[str], secrets: int | None = None) -> None:
        self.label = label
        self.secrets = secrets
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        for code in setup:
            self.run(code)

    def run(self, code: str) -> tuple[float, int]:
        """Seconds from the request to ``idle``, and the characters of output received."""
        start = time.perf_counter()
        msg_id = self.kc.execute(code)
        received = 0
        while True:
            msg = self.kc.get_iopub_msg(timeout=900)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            content = msg["content"]
            if msg["msg_type"] == "stream":
                received += len(content["text"])
            elif msg["msg_type"] == "display_data":
                received += len(content["data"].get("text/html", ""))
            elif msg["msg_type"] == "error":
                raise RuntimeError(f"{self.label}: {content['ename']}: {content['evalue']}")
            elif msg["msg_type"] == "status" and content["execution_state"] == "idle":
                return time.perf_counter() - start, received

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def start_kernels(counts: list[int]) -> list[Kernel]:
    kernels = [Kernel("no nbsecrets", []), Kernel("pass-through copy", [PASS_THROUGH])]
    for count in counts:
        setup = ["%load_ext nbsecrets", SETUP.format(seed=count, count=count)]
        kernels.append(Kernel(f"{count} secrets", setup, count))
    return kernels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (at least 3 for a median)")
    parser.add_argument("--secrets", default="0,10,100,1000,10000", help="registered secrets per kernel")
    parser.add_argument("--sizes", default="20", help="MB printed by the print cell, one row each")
    args = parser.parse_args()
    counts = [int(n) for n in args.secrets.split(",") if n]
    sizes = [int(n) for n in args.sizes.split(",") if n]

    cells = [(f"print {size} MB", "print", PRINT_CELL.format(count=size * 10_000), size * 1_000_000) for size in sizes]
    cells.append(("html 10 x 2 MB", "html", HTML_CELL, HTML_BYTES))
    kernels = start_kernels(counts)
    try:
        times: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.repeat):
            order = kernels[round_ % len(kernels) :] + kernels[: round_ % len(kernels)]
            for title, _, code, size in cells:
                for kernel in order:
                    seconds, received = kernel.run(code)
                    if received < size:
                        raise RuntimeError(f"{kernel.label}: only {received} of {size} characters arrived")
                    times.setdefault((title, kernel.label), []).append(seconds)
        print(f"medians of {args.repeat} rounds, kernels in rotating order; ratio = median / baseline median")
        header = f"{'cell':<16}" + "".join(f"{k.label:>20}" for k in kernels)
        print(header)
        print("-" * len(header))
        for title, kind, _, _ in cells:
            base = statistics.median(times[(title, kernels[0].label)])
            row = f"{title:<16}"
            for kernel in kernels:
                median = statistics.median(times[(title, kernel.label)])
                row += f"{median:.3f} s {median / base:.2f}x".rjust(20)
            print(row)
        print("\naims (ratio to the baseline):")
        for title, kind, _, _ in cells:
            base = statistics.median(times[(title, kernels[0].label)])
            for kernel in kernels:
                aim = AIMS.get((kind, kernel.secrets)) if kernel.secrets is not None else None
                if aim is None or not title.startswith(("print 20 ", "html")):
                    continue
                ratio = statistics.median(times[(title, kernel.label)]) / base
                verdict = "met" if ratio <= aim else "missed"
                print(f"  {title:<16} {kernel.label:<14} {ratio:5.2f}  (aim {aim:.2f}: {verdict})")
    finally:
        for kernel in kernels:
            kernel.close()


if __name__ == "__main__":
    main()
