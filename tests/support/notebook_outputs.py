"""What a notebook cell's outputs say, as one text: streams, errors and each output's text/plain."""

from __future__ import annotations

from typing import Any


def outputs_text(cell: Any) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        else:
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)
