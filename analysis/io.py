"""Reading and writing tables and results.

Writes are atomic: the content goes to a temporary file in the target folder,
which then replaces the target in one `os.replace`, so an interrupted or failed
run never leaves a half-written file and never damages what was there before.
Outputs are deterministic: CSV with a fixed float format and line ending, JSON
with sorted keys and a trailing newline.

CSV outputs are safe to open in a spreadsheet: a text cell beginning with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula
(CSV or formula injection), so :func:`write_csv` prefixes such cells with a
single quote, as OWASP recommends. Only text cells are touched: numbers, and text
that reads as a number (``"-0.5"``, ``"+3"``, ``"-inf"``), stay as they are, and
so does a lone ``-`` or ``+`` (a sign or QCA's don't-care mark, which no
spreadsheet evaluates). A reader of these files gets the quote back as part of
the text (see :func:`unescape_formula`).

>>> escape_formula("=HYPERLINK(A1)"), escape_formula("-0.5"), escape_formula("-"), escape_formula(3)
("'=HYPERLINK(A1)", '-0.5', '-', 3)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
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

    target = config.scratch_twin(Path(os.path.abspath(path)))
    if target is None:
        return path
    if not _noted and not os.environ.get(QUIET_ENV):
        import sys

        print(f"note: not run by the pipeline, so outputs go under {SCRATCH_RUN.as_posix()}/ "
              f"(e.g. {target.relative_to(config.ROOT).as_posix()}); the published outputs are written "
              "only by `python -m analysis reproduce`", file=sys.stderr)
        _noted = True
    return target


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


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_RE = re.compile(r"^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$", re.IGNORECASE)


def escape_formula(value: Any) -> Any:
    """*value* with a leading single quote when it is text a spreadsheet would run as a formula.

    Non-text values, text reading as a number, and a lone ``-`` or ``+`` are returned unchanged.

    >>> [escape_formula(v) for v in ["@SUM(A1)", chr(9) + "=1", "+3", "1e-3", "~CASELOAD", "+"]]
    ["'@SUM(A1)", "'\\t=1", '+3', '1e-3', '~CASELOAD', '+']
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if value in ("-", "+") or _NUMBER_RE.match(value):
        return value
    return "'" + value


def unescape_formula(value: Any) -> Any:
    """Undo :func:`escape_formula` (for readers of the pipeline's CSVs).

    >>> unescape_formula(escape_formula("=1+2")), unescape_formula("'quoted")
    ('=1+2', "'quoted")
    """
    if isinstance(value, str) and value[:1] == "'" and value[1:2] and value[1:].startswith(FORMULA_TRIGGERS) \
            and escape_formula(value[1:]) == value:
        return value[1:]
    return value


def _text_dtype(dtype: Any) -> bool:
    """Object, string or categorical-of-text dtype (never numbers, dates or booleans)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return _text_dtype(dtype.categories.dtype)
    return dtype == object or isinstance(dtype, pd.StringDtype)


def _escape_cell(value: Any) -> Any:
    """escape_formula, and a carriage return inside text written as a line break: with the
    project's '\\n' line ending the csv module leaves a bare CR unquoted, which would end the record."""
    value = escape_formula(value)
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _escape_index(ix: pd.Index) -> pd.Index:
    if isinstance(ix, pd.MultiIndex):
        return ix.set_levels([_escape_index(level) for level in ix.levels], verify_integrity=False)
    return ix.map(_escape_cell) if _text_dtype(ix.dtype) else ix


def escape_formulas(df: pd.DataFrame, *, index: bool = False) -> pd.DataFrame:
    """*df* with :func:`escape_formula` applied to text cells, column labels and (with *index*) the index.

    Numeric columns are never touched; *df* itself is not modified. A carriage return
    inside a text cell becomes a line break (the cell is then quoted), since the
    files use '\\n' line endings and a bare CR would split the record for readers.
    """
    out = df.copy(deep=False)
    for j in range(out.shape[1]):
        s = out.iloc[:, j]
        if _text_dtype(s.dtype):
            escaped = s.astype(object).map(_escape_cell)
            if not escaped.equals(s.astype(object)):
                out.isetitem(j, escaped)
    out.columns = _escape_index(out.columns)
    if index:
        out.index = _escape_index(out.index)
    return out


def write_csv(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write *df* as CSV atomically with the project's fixed float format.

    Text cells a spreadsheet would run as formulas are prefixed with a single quote
    (:func:`escape_formula`, see the module docstring); numbers are written as they are.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_csv(pd.DataFrame({"id": ["=cmd|' /C calc'!A0", "-0.5"], "x": [-1.5, 2.0]}), p)
    >>> print(p.read_text(), end="")
    id,x
    '=cmd|' /C calc'!A0,-1.5
    -0.5,2
    """
    text = escape_formulas(df, index=index).to_csv(index=index, float_format=FLOAT_FORMAT, lineterminator="\n")
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
