"""Run notebooks/quickstart.ipynb headless in a real kernel and show what it printed.

The notebook itself honours a NBSECRETS_HOME you set (it then creates and
deletes only its two demo secrets there) and otherwise makes a throwaway
vault that its last cell removes. This script gives the kernel a temporary
directory of its own and removes it afterwards, so even a run that stops at
a failing cell leaves nothing behind; a run that completes but leaves the
notebook's throwaway folder there fails.

The executed copy is written to build/quickstart.ipynb; the run fails if any
value the notebook created appears anywhere in that file.

    python scripts/run_quickstart.py [--output PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Mapping

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
THROWAWAY_PREFIX = "nbsecrets-quickstart-"
"""How the notebook names the throwaway folder it makes (tempfile.mkdtemp's prefix)."""


class LeftBehind(RuntimeError):
    """The notebook ran to the end but did not remove the throwaway folder it made."""


def execute(output: Path, extra_env: Mapping[str, str | None] | None = None) -> nbformat.NotebookNode:
    """Execute the quickstart in a fresh kernel and save the result.

    `extra_env` changes the kernel's environment (this process's): a value
    sets a variable, None removes it, so a caller can run the notebook as
    someone who set no NBSECRETS_HOME. The kernel's TMPDIR is a directory
    made inside the TMPDIR it would have had, removed on the way out
    whatever happened; a throwaway folder still in it after a complete run
    means the notebook's own clean-up failed, which is an error.
    """
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # ipykernel stops capturing subprocess output when it sees PYTEST_CURRENT_TEST.
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    for name, value in (extra_env or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    with tempfile.TemporaryDirectory(prefix="nbsecrets-quickstart-run-", dir=env.get("TMPDIR")) as kernel_tmp:
        env["TMPDIR"] = kernel_tmp
        client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}})
        client.execute(env=env)
        left = sorted(path.name for path in Path(kernel_tmp).glob(THROWAWAY_PREFIX + "*"))
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, output)
    if left:
        raise LeftBehind(f"The notebook did not remove its throwaway folder ({', '.join(left)}); it was removed for it.")
    return notebook


def text_of(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    return output.get("data", {}).get("text/plain", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "quickstart.ipynb")
    args = parser.parse_args()
    try:
        notebook = execute(args.output)
    except CellExecutionError as error:
        print(f"FAILED: a cell raised; the kernel's temporary directory was removed.\n{error}", file=sys.stderr)
        return 1
    except LeftBehind as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        print(f"\n>>> {cell.source}")
        for output in cell.get("outputs", []):
            print(text_of(output).rstrip())
    saved = args.output.read_text(encoding="utf-8")
    leaks = sorted(set(re.findall(r"sk-test-(?:db-)?[0-9a-f]{16,}", saved)))
    if leaks:
        print(f"\nFAILED: {len(leaks)} secret value(s) appear in {args.output}", file=sys.stderr)
        return 1
    print(f"\nExecuted copy: {args.output} (no secret value in it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
