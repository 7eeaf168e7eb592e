"""Reading the code cells of a notebook file (one reader for the pipeline,
the claims registry and the seed scanner)."""

from __future__ import annotations

import json
from pathlib import Path


def code_cells(path: str | Path, *, skip_injected: bool = False) -> list[tuple[str, str]]:
    """(cell id, source) of each code cell of the notebook at *path*.

    A cell without an id gets 'cell-N' (N its position among all cells). With
    *skip_injected*, papermill's injected-parameters cell is left out.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if skip_injected and "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        src = cell.get("source", "")
        out.append((cell.get("id") or f"cell-{i}", "".join(src) if isinstance(src, list) else src))
    return out
