"""Reading and writing tables and results.

Writes are atomic: the content goes to a temporary file in the target folder,
which then replaces the target in one `os.replace`, so an interrupted or failed
run never leaves a half-written file and never damages what was there before.
Outputs are deterministic: CSV with a fixed float format and line ending, JSON
with sorted keys and a trailing newline.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

#: Significant digits of every float the pipeline writes (CSV and JSON). Ten
#: keep results exact to far below any claim's tolerance (relative 1e-6) while
#: hiding the last-bit noise of BLAS kernels, thread counts and CPUs (about
#: 1e-15 relative, and about 1e-12 for the iterative fits, whose tolerances are
#: set tight for this): a value changes in print only if the noise crosses a
#: rounding boundary, which at ten digits is rare enough not to be seen.
SIGNIFICANT_DIGITS = 10
#: Float format for every CSV the pipeline writes.
FLOAT_FORMAT = f"%.{SIGNIFICANT_DIGITS}g"


def round_sig(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """*value* rounded to *digits* significant digits (as written), -0.0 made 0.0.

    >>> round_sig(0.12345678901234)
    0.123456789
    >>> round_sig(-1e-17, 3), round_sig(2.0)
    (-1e-17, 2.0)
    """
    if not math.isfinite(value):
        return value
    out = float(f"{value:.{digits}g}")
    return 0.0 if out == 0 else out


def round_frame(df: pd.DataFrame, digits: int = SIGNIFICANT_DIGITS) -> pd.DataFrame:
    """A copy of *df* with every float column rounded to *digits* significant digits.

    Stages round what depends on BLAS or an optimiser before they plot, display
    or record it, so figures, notebooks and claims show the values as written.
    """
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col].dtype):
            out[col] = out[col].map(lambda v: round_sig(float(v), digits) if pd.notna(v) else v).astype(
                out[col].dtype)
    return out


#: Set by the pipeline (`python -m analysis reproduce` / `run`) for its own
#: process and every kernel it starts; only then may the published outputs be written.
PIPELINE_ENV = "SBW_PIPELINE_RUN"
#: Where a notebook run by hand (JupyterLab, papermill, nbval) writes instead.
SCRATCH_RUN = Path("runs") / "notebook"
#: Set (to anything) to silence the one-line note about the redirection (nbval sets it).
QUIET_ENV = "SBW_QUIET_REDIRECT"
_noted = False


def published_folders() -> list[Path]:
    """The folders of the published default run (tracked or shown in the README)."""
    from analysis import config

    return [config.PROCESSED_DIR, config.RESULTS_DIR, config.FIGURES_DIR, config.PAPER_DIR / "build",
            config.NOTEBOOKS_DIR]


def output_path(path: str | Path) -> Path:
    """Where a write of *path* goes.

    Inside the pipeline: *path* itself. Outside it (a notebook run from
    JupyterLab or by papermill with other parameters, nbval, a script), a path in
    the published outputs (`data/processed/`, `results/`, `figures/`,
    `paper/build/`, `notebooks/`) is redirected to the same place under
    `runs/notebook/`, so the published outputs are never overwritten by a run
    the pipeline did not make; a one-line note says so once per process.
    """
    global _noted
    path = Path(path)
    if os.environ.get(PIPELINE_ENV):
        return path
    from analysis import config

    absolute = Path(os.path.abspath(path))
    for base in published_folders():
        try:
            rel = absolute.relative_to(base)
        except ValueError:
            continue
        target = config.ROOT / SCRATCH_RUN / base.relative_to(config.ROOT) / rel
        if not _noted and not os.environ.get(QUIET_ENV):
            import sys

            print(f"note: not run by the pipeline, so outputs go under {SCRATCH_RUN.as_posix()}/ "
                  f"(e.g. {base.relative_to(config.ROOT).as_posix()}/{rel.as_posix()} -> "
                  f"{target.relative_to(config.ROOT).as_posix()}); the published outputs are written "
                  "only by `python -m analysis reproduce`", file=sys.stderr)
            _noted = True
        return target
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write *data* to *path* atomically (temporary file + os.replace).

    Returns the path written, which :func:`output_path` may have redirected.
    """
    path = output_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary readable files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write *text* (UTF-8, '\\n' line endings) to *path* atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_csv(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write *df* as CSV atomically with the project's fixed float format."""
    text = df.to_csv(index=index, float_format=FLOAT_FORMAT, lineterminator="\n")
    return atomic_write_text(path, text)


def _jsonable(obj: Any) -> Any:
    """Convert numpy / pandas scalars and containers to plain JSON values."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return None if math.isnan(v) or math.isinf(v) else round_sig(v)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, Path):
        return obj.as_posix()
    if isinstance(obj, pd.DataFrame):
        return _jsonable(obj.to_dict(orient="records"))
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


def dumps_json(obj: Any) -> str:
    """Deterministic JSON text: sorted keys, 2-space indent, NaN as null."""
    return json.dumps(_jsonable(obj), indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"


def write_json(obj: Any, path: str | Path) -> Path:
    """Write *obj* as deterministic JSON atomically."""
    return atomic_write_text(path, dumps_json(obj))


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of *data*."""
    return hashlib.sha256(data).hexdigest()
