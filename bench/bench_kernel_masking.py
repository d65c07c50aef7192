"""What output masking costs a real kernel: 20 MB printed in small pieces, and 20 MB of HTML.

Three kernels run side by side in the same run: one without nbsecrets, one
with it loaded and 100 fake secrets registered, one with 1000. The cells
alternate between them, so drift on the machine hits all three alike; each
time is from the execute request to the kernel's ``idle``, with every output
message received by the client. Prints the best of N times and the ratio to
the kernel without nbsecrets.

    python bench/bench_kernel_masking.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from jupyter_client.manager import KernelManager

PRINT_CELL = "for _ in range(200_000):\n    print('x' * 99)"  # 200,000 lines of 100 bytes
HTML_CELL = (
    "from IPython.display import HTML, display\ndisplay(HTML('<p>' + 'y' * (20_000_000 - 7) + '</p>'))"
)
SETUP = """
import random, string, nbsecrets
rng = random.Random({seed})
for i in range({count}):
    value = "sk-test-" + "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(32))
    nbsecrets.mask(value, name=f"BENCH_KEY_{{i}}")
from nbsecrets.core.masking import get_masker
get_masker().mask("build the automaton before timing")
"""


class Kernel:
    def __init__(self, label: str, secrets: int | None) -> None:
        self.label = label
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        if secrets is not None:
            self.run("%load_ext nbsecrets")
            self.run(SETUP.format(seed=secrets, count=secrets))

    def run(self, code: str) -> tuple[float, int]:
        """Seconds from the request to ``idle``, and the bytes of output received."""
        start = time.perf_counter()
        msg_id = self.kc.execute(code)
        received = 0
        while True:
            msg = self.kc.get_iopub_msg(timeout=600)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            content = msg["content"]
            if msg["msg_type"] == "stream":
                received += len(content["text"])
            elif msg["msg_type"] == "display_data":
                received += len(content["data"].get("text/html", ""))
            elif msg["msg_type"] == "error":
                raise RuntimeError(f"{self.label}: {content['ename']}")
            elif msg["msg_type"] == "status" and content["execution_state"] == "idle":
                return time.perf_counter() - start, received

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    kernels = [Kernel("no nbsecrets", None), Kernel("100 secrets", 100), Kernel("1000 secrets", 1000)]
    try:
        for name, cell in (
            ("print 20 MB in 200,000 prints", PRINT_CELL),
            ("display 20 MB of HTML", HTML_CELL),
        ):
            times: dict[str, list[float]] = {k.label: [] for k in kernels}
            for _ in range(args.repeat):
                for kernel in kernels:
                    seconds, received = kernel.run(cell)
                    if received < 20_000_000:
                        raise RuntimeError(f"{kernel.label}: only {received} bytes of output arrived")
                    times[kernel.label].append(seconds)
            base = min(times[kernels[0].label])
            print(f"\n{name} (best of {args.repeat}; median in brackets)")
            for kernel in kernels:
                best = min(times[kernel.label])
                median = statistics.median(times[kernel.label])
                print(f"  {kernel.label:<14} {best:7.3f} s  [{median:7.3f} s]  ratio {best / base:5.2f}")
    finally:
        for kernel in kernels:
            kernel.close()


if __name__ == "__main__":
    main()
