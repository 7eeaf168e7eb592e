"""One place for the project's paths and default parameters.

Paths given to notebooks and commands are relative to the project root (so no
machine's own path is ever written into the repository) and resolved here.
"""

from __future__ import annotations

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


def project_path(path: str | Path) -> Path:
    """Resolve *path* against the project root unless it is absolute."""
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


def relative_to_root(path: str | Path) -> str:
    """*path* as a POSIX string relative to the project root when inside it."""
    p = Path(path).resolve()
    try:
        return p.relative_to(ROOT).as_posix()
    except ValueError:
        return p.as_posix()
