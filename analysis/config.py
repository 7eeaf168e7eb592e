"""One place for the project's paths and default parameters.

Paths given to notebooks and commands are relative to the project root (so no
machine's own path is ever written into the repository) and resolved here.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The project root: the folder that holds `analysis/`, `notebooks/`, `data/`.
ROOT: Path = Path(__file__).resolve().parent.parent

RAW_DIR = ROOT / "data" / "raw"
PROCESSED_DIR = ROOT / "data" / "processed"
RESULTS_DIR = ROOT / "results"
FIGURES_DIR = ROOT / "figures"
NOTEBOOKS_DIR = ROOT / "notebooks"
PAPER_DIR = ROOT / "paper"
PARAMS_FILE = ROOT / "params.yaml"
LOCK_FILE = ROOT / "requirements.lock"
CODEBOOK_DIR = Path(__file__).resolve().parent / "codebook"


#: The folders of the published default run; outside the pipeline they are never written.
PUBLISHED_DIRS = (PROCESSED_DIR, RESULTS_DIR, FIGURES_DIR, PAPER_DIR / "build", NOTEBOOKS_DIR)
#: Where a notebook run by hand (JupyterLab, papermill, nbval) reads and writes those instead.
SCRATCH_DIR = ROOT / "runs" / "notebook"


def _in_hand_run_kernel() -> bool:
    """True in a notebook kernel that the pipeline did not start (JupyterLab, papermill, nbval)."""
    import os
    import sys

    if os.environ.get("SBW_PIPELINE_RUN"):
        return False
    app = sys.modules.get("ipykernel.kernelapp")  # imported by a kernel, and by tools that start one
    return app is not None and app.IPKernelApp.initialized()  # true only inside a running kernel


def scratch_twin(path: Path) -> Path | None:
    """*path*'s place under runs/notebook/ when it lies in a published folder; else None."""
    for base in PUBLISHED_DIRS:
        try:
            rel = path.relative_to(base)
        except ValueError:
            continue
        return SCRATCH_DIR / base.relative_to(ROOT) / rel
    return None


def project_path(path: str | Path) -> Path:
    """Resolve *path* against the project root unless it is absolute.

    In a notebook kernel the pipeline did not start, a published folder
    (`data/processed`, `results`, `figures`, ...) resolves to its twin under
    `runs/notebook/`, which starts as a copy of the published folder: such a
    run reads what the published run made and writes only its own copy (see
    also :func:`analysis.io.output_path`). `rm -rf runs/notebook` starts over.
    """
    p = Path(path)
    p = p if p.is_absolute() else ROOT / p
    if _in_hand_run_kernel():
        twin = scratch_twin(Path(os.path.abspath(p)))
        if twin is not None:
            if not twin.exists() and p.is_dir():
                import shutil

                shutil.copytree(p, twin, ignore=shutil.ignore_patterns("_failed", ".*"))
            return twin
    return p


def relative_to_root(path: str | Path) -> str:
    """*path* as a POSIX string relative to the project root when inside it."""
    p = Path(path).resolve()
    try:
        return p.relative_to(ROOT).as_posix()
    except ValueError:
        return p.as_posix()
