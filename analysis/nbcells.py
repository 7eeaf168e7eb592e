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


#: Volatile parts of displayed output, replaced before outputs are compared (the
#: same rules as tests/nbval_sanitize.cfg, which nbval applies).
SANITIZE = (
    (r"\d+(\.\d+)?\s*(s|ms|seconds)\b", "<duration>"),
    (r"(/[^\s'\"]+)+/(site-packages|lib/python3\.\d+)/", "<lib>/"),
    (r"0x[0-9a-fA-F]{6,}", "<address>"),
)
#: Mime types of displayed results whose text is compared (images are not: a
#: figure is checked by the data behind it, see analysis.claims).
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")


def displayed_outputs(path: str | Path) -> list[tuple[str, str]]:
    """(cell id, displayed text) of each code cell with output: streams, results and errors, sanitised.

    What a reader sees of a result in an executed notebook; a hand edit of a
    displayed number changes it.
    """
    import re

    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or not cell.get("outputs"):
            continue
        parts: list[str] = []
        prev = None
        for o in cell["outputs"]:
            kind = o.get("output_type")
            if kind == "stream":
                text = o.get("text", "")
                text = "".join(text) if isinstance(text, list) else text
                head = f"[{o.get('name')}]"
                if parts and parts[-1].startswith(head) and prev == "stream":  # how text is split is timing
                    parts[-1] += text
                else:
                    parts.append(head + text)
            elif kind in ("execute_result", "display_data"):
                for mime in TEXT_MIMES:
                    if mime in o.get("data", {}):
                        v = o["data"][mime]
                        v = json.dumps(v, sort_keys=True) if mime == "application/json" else \
                            ("".join(v) if isinstance(v, list) else v)
                        parts.append(f"[{mime}]" + v)
            elif kind == "error":
                parts.append(f"[error]{o.get('ename')}: {o.get('evalue')}")
            prev = kind
        text = "\n".join(parts)
        for pattern, repl in SANITIZE:
            text = re.sub(pattern, repl, text)
        out.append((cell.get("id") or f"cell-{i}", text))
    return out


def outputs_digest(path: str | Path) -> str:
    """sha256 of :func:`displayed_outputs`: equal for two runs that display the same results."""
    import hashlib

    return hashlib.sha256(json.dumps(displayed_outputs(path), ensure_ascii=False).encode("utf-8")).hexdigest()
