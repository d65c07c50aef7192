"""Run notebooks/quickstart.ipynb headless in a real kernel and show what it printed.

The executed copy is written to build/quickstart.ipynb; the run fails if any
value the notebook created appears anywhere in that file.

    python scripts/run_quickstart.py [--output PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"


def execute(output: Path, extra_env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Execute the quickstart in a fresh kernel (its own throwaway store) and save the result."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # ipykernel stops capturing subprocess output when it sees PYTEST_CURRENT_TEST.
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(extra_env or {})
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}})
    client.execute(env=env)
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, output)
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
    notebook = execute(args.output)
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
