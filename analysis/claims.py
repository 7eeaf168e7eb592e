"""The claims registry: every number, string, table and figure of the paper, recorded and verified.

A stage notebook records each result the paper reports::

    from analysis.claims import ClaimRecorder
    claims = ClaimRecorder(stage="qca", results_dir=results_dir,
                           parameters={"seed": seed, "incl_cut": incl_cut})
    claims.number("qca.solution.consistency", sol.incl, label="sol-incl")
    claims.text("qca.solution.expression", str(sol.expression), label="sol-expr")
    claims.table("psychometrics.table1", table1, label="tab:reliability")
    claims.figure("fig.calibration", data=df_plotted, path=f"{figures_dir}/calibration.png")
    claims.save()          # -> {results_dir}/claims/qca.json (atomic, deterministic)

Each record keeps its name, kind, value, tolerance, label in the paper, stage,
notebook, the id of the cell that recorded it, the parameters (and their
sha256, the same hash as :meth:`analysis.params.ParamSpace.fingerprint`) and
the sha256 of the stage's input files.

Values are stored exactly: a number as the ``repr`` of the float (shortest
string that round-trips) or of the int, NaN as ``"nan"``; a table cell by
cell in the same way; a figure as the sha256 of a canonical serialisation of
the data behind it (never its pixels), with the data kept beside the hash.

Comparison (:func:`compare_claim`, :func:`verify`): numbers are equal when
``|a - b| <= max(rel * max(|a|, |b|), abs)`` (the rule of :func:`math.isclose`)
with the *locked* claim's tolerance, default rel = 1e-6 and abs = 1e-9, so
last-bit noise (1e-12) is absorbed while a 1 % change is not; NaN equals NaN;
strings are compared exactly; tables need the same columns and row labels and
every cell equal within the table's tolerance; a figure reproduces when the
hash of its data is the same or, failing that, every value of its data is
within tolerance (the hash of full-precision floats moves with last-bit noise).

The published lock (``results/claims.lock.json``) freezes the claims of the
default run; ``python -m analysis verify`` compares a fresh run with it and
``python -m analysis trace NAME`` shows where a claim comes from.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from analysis import config
from analysis.errors import InputError
from analysis.io import read_json, sha256_file, write_json
from analysis.nbcells import code_cells

#: Version of the claims and lock file layout.
FORMAT = 1
#: Default tolerances for numbers, tables and figure data.
DEFAULT_REL = 1e-6
DEFAULT_ABS = 1e-9
KINDS = ("number", "text", "table", "figure")
#: Default place of the published lock and of a run's claims.
LOCK_FILE = config.RESULTS_DIR / "claims.lock.json"
CLAIMS_SUBDIR = "claims"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
_DIR_PARAMS = {"raw_dir", "processed_dir", "results_dir", "figures_dir"}
#: Figures whose data has more cells than this keep only the hash (compared exactly).
MAX_FIGURE_CELLS = 50_000


# --------------------------------------------------------------------------- encoding


def encode_number(value: Any) -> str:
    """The exact text of a number: repr of the float (round-trips), digits of an int, 'nan', 'inf'.

    Examples
    --------
    >>> encode_number(0.1 + 0.2), encode_number(np.int64(52)), encode_number(float("nan"))
    ('0.30000000000000004', '52', 'nan')
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"expected a real number, got {type(value).__name__} {value!r}")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(float(value))


def decode_number(text: str) -> float | int:
    """The number *text* stands for (inverse of :func:`encode_number`).

    >>> decode_number("52"), decode_number("0.30000000000000004")
    (52, 0.30000000000000004)
    """
    try:
        return int(text)
    except ValueError:
        return float(text)


def numbers_close(a: float, b: float, rel: float = DEFAULT_REL, abs_: float = DEFAULT_ABS) -> bool:
    """Equal within tolerance: |a - b| <= max(rel * max(|a|, |b|), abs); NaN equals NaN.

    The rule of :func:`math.isclose` (PEP 485), with NaN = NaN added because a
    result that is undefined in both runs is reproduced.

    Examples
    --------
    >>> numbers_close(0.8, 0.8 + 1e-12), numbers_close(0.8, 0.808), numbers_close(float("nan"), float("nan"))
    (True, False, True)
    """
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


def _is_numeric_column(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _encode_cell(v: Any, numeric: bool) -> str | None:
    if numeric:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return "nan"
        return encode_number(v.item() if isinstance(v, np.generic) else v)
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    return str(v)


def encode_table(df: pd.DataFrame | pd.Series) -> dict[str, Any]:
    """A table as plain JSON: column names, row labels, per-column kind and exact cells.

    Numeric columns hold each cell as :func:`encode_number` text ('nan' for a
    missing value); other columns hold ``str(cell)`` (None when missing). Row
    and column labels are kept as text.

    Examples
    --------
    >>> encode_table(pd.DataFrame({"a": [1.5, None], "b": ["x", "y"]}))["data"]
    [['1.5', 'x'], ['nan', 'y']]
    """
    if isinstance(df, pd.Series):
        df = df.to_frame(name=str(df.name) if df.name is not None else "value")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame or Series, got {type(df).__name__}")
    numeric = [_is_numeric_column(df.iloc[:, j]) for j in range(df.shape[1])]
    data = [[_encode_cell(df.iat[i, j], numeric[j]) for j in range(df.shape[1])] for i in range(df.shape[0])]
    return {
        "columns": [str(c) for c in df.columns],
        "index": [str(i) for i in df.index],
        "index_name": None if df.index.name is None else str(df.index.name),
        "kinds": ["number" if n else "text" for n in numeric],
        "data": data,
    }


def decode_table(enc: dict[str, Any]) -> pd.DataFrame:
    """The DataFrame of an encoded table (numbers back as floats/ints, text as str)."""
    cols = {}
    for j, (name, kind) in enumerate(zip(enc["columns"], enc["kinds"])):
        cells = [row[j] for row in enc["data"]]
        cols[name] = [decode_number(c) for c in cells] if kind == "number" else cells
    df = pd.DataFrame(cols, index=pd.Index(enc["index"], name=enc.get("index_name")))
    df.columns = enc["columns"]
    return df


def table_summary(enc: dict[str, Any]) -> dict[str, Any]:
    """Aggregates of an encoded table, with no single row's values: what the lock keeps of a figure.

    Rows and columns; per numeric column the count of finite cells, their mean
    and SD (ddof 0); per text column the count, the number of distinct values
    and the sha256 of the sorted values. Independent of row order.

    >>> table_summary(encode_table(pd.DataFrame({"a": [1.0, 3.0], "b": ["x", "y"]})))["columns"]["a"]
    {'kind': 'number', 'n': 2, 'mean': '2.0', 'sd': '1.0'}
    """
    cols: dict[str, Any] = {}
    for j, (name, kind) in enumerate(zip(enc["columns"], enc["kinds"])):
        cells = [row[j] for row in enc["data"]]
        if kind == "number":
            vals = np.array([float(decode_number(c)) for c in cells], dtype=float)
            vals = vals[np.isfinite(vals)]
            mean = float(vals.mean()) if len(vals) else float("nan")
            sd = float(vals.std()) if len(vals) else float("nan")
            cols[name] = {"kind": "number", "n": int(len(vals)), "mean": encode_number(mean),
                          "sd": encode_number(sd)}
        else:
            present = sorted(c for c in cells if c is not None)
            cols[name] = {"kind": "text", "n": len(present), "distinct": len(set(present)),
                          "sha256": canonical_sha256(present)}
    return {"rows": len(enc["data"]), "columns": cols}


def _compare_summaries(a: dict[str, Any], b: dict[str, Any], tol: dict[str, float]) -> str | None:
    """None when two :func:`table_summary` results agree within tolerance; else what differs."""
    if a["rows"] != b["rows"]:
        return f"{a['rows']} rows -> {b['rows']} rows"
    if list(a["columns"]) != list(b["columns"]):
        return f"columns differ: {list(a['columns'])} -> {list(b['columns'])}"
    for name, ca in a["columns"].items():
        cb = b["columns"][name]
        if ca["kind"] != cb["kind"] or ca["n"] != cb["n"]:
            return f"column {name!r}: {ca['kind']} n={ca['n']} -> {cb['kind']} n={cb['n']}"
        if ca["kind"] == "text":
            if ca["sha256"] != cb["sha256"]:
                return f"column {name!r}: the values differ"
            continue
        for stat in ("mean", "sd"):
            x, y = float(decode_number(ca[stat])), float(decode_number(cb[stat]))
            if not (math.isnan(x) and math.isnan(y)) and not numbers_close(x, y, tol["rel"], tol["abs"]):
                return f"column {name!r}: {stat} {ca[stat]} -> {cb[stat]}"
    return None


def canonical_sha256(obj: Any) -> str:
    """sha256 of the canonical JSON text of *obj* (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _as_frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame(name=str(data.name) if data.name is not None else "value")
    if isinstance(data, dict):
        return pd.DataFrame(data)
    arr = np.asarray(data)
    if arr.ndim == 1:
        return pd.DataFrame({"value": arr})
    if arr.ndim == 2:
        return pd.DataFrame(arr, columns=[f"c{j}" for j in range(arr.shape[1])])
    raise TypeError(f"figure data: expected a DataFrame, Series, dict or 1-2 dimensional array, got "
                    f"{type(data).__name__} with {arr.ndim} dimensions")


def decode_value(record: dict[str, Any]) -> Any:
    """The value of a claim record: a number, a string, a DataFrame, or a figure's data sha256."""
    kind = record["kind"]
    if kind == "number":
        return decode_number(record["value"])
    if kind == "text":
        return record["value"]
    if kind == "table":
        return decode_table(record["value"])
    return record["value"]["sha256"]


# --------------------------------------------------------------------------- recording


def params_sha256(parameters: dict[str, Any]) -> str:
    """sha256 of the result-affecting parameters, as ParamSpace.fingerprint computes it.

    sha256(json.dumps(params, sort_keys=True)), leaving out the folder
    parameters and those declared ``affects_results: false`` in params.yaml.
    """
    drop = set(_DIR_PARAMS)
    try:
        space = _metadata_module("analysis.params").load_params()
        drop |= {n for n, p in space.params.items() if not p.affects_results}
    except (InputError, OSError):
        pass
    relevant = {k: v for k, v in parameters.items() if k not in drop}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def _metadata_module(name: str):
    """Import a module used only for the claims' metadata (stage table, parameter definitions).

    Imported by name, not with an import statement, so that the pipeline's
    code fingerprint of a stage that records claims does not include
    `analysis/pipeline.py`: editing the runner (e.g. adding a stage) changes
    no result and must not rerun every stage.
    """
    import importlib

    return importlib.import_module(name)


def _rel(path: str | Path) -> str:
    """*path* relative to the project root; else to the working folder (a kernel's); else absolute."""
    full = config.project_path(path).resolve()
    for base in (config.ROOT, Path.cwd()):
        try:
            return full.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return full.as_posix()


def _kernel_cell() -> tuple[str | None, str | None]:
    """(cell id, cell source) of the executing notebook cell, from the kernel's request.

    JupyterLab sends the cell id in the execute request's metadata
    (``cellId``); nbclient/papermill do not, but every client sends the
    cell's code, which :meth:`ClaimRecorder.save` matches with the notebook.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the kernel
        return None, None
    ip = get_ipython()
    kernel = getattr(ip, "kernel", None)
    if kernel is None:
        return None, None
    try:
        parent = kernel.get_parent("shell")
    except Exception:  # noqa: BLE001 - older kernels
        parent = getattr(kernel, "_parent_header", {}) or {}
    meta = parent.get("metadata") or {}
    content = parent.get("content") or {}
    return meta.get("cellId"), content.get("code")


def notebook_cells(path: str | Path) -> list[tuple[str, str]]:
    """(cell id, source) of each code cell of a notebook (id 'cell-N' when missing)."""
    return code_cells(path)


def find_cell(cells: list[tuple[str, str]], name: str, source: str | None) -> str | None:
    """The id of the cell that recorded *name*: same source, else the one cell naming it literally."""
    if source is not None:
        same = [cid for cid, src in cells if src.strip() == source.strip()]
        if len(same) == 1:
            return same[0]
    literal = re.compile(r"""(['"])""" + re.escape(name) + r"\1")
    naming = [cid for cid, src in cells if literal.search(src)]
    return naming[0] if len(naming) == 1 else None


class ClaimRecorder:
    """Collects the claims of one stage and writes ``{results_dir}/claims/<stage>.json``.

    Parameters
    ----------
    stage : the pipeline stage's name (e.g. "qca").
    results_dir : the run's results folder (the notebook's ``results_dir``).
    parameters : the stage's parameters as the notebook received them.
    notebook : the stage notebook's path; default ``notebooks/<stage notebook>``
        from the pipeline's stage table, else the one ``notebooks/NN_<stage>.ipynb``.
    inputs : the stage's input files; default the stage's inputs in the
        pipeline, resolved with *raw_dir*, *processed_dir*, *results_dir*
        and *figures_dir*.
    """

    def __init__(self, stage: str, results_dir: str | Path = "results",
                 parameters: dict[str, Any] | None = None, *, notebook: str | Path | None = None,
                 inputs: Iterable[str | Path] | None = None, raw_dir: str | Path = "data/raw",
                 processed_dir: str | Path = "data/processed", figures_dir: str | Path = "figures"):
        if not isinstance(stage, str) or not _NAME.match(stage):
            raise InputError(f"ClaimRecorder: stage {stage!r} is not a valid name (letters, digits, . _ -)")
        self.stage = stage
        self.results_dir = config.project_path(results_dir)
        self.parameters = dict(parameters or {})
        try:
            json.dumps(self.parameters)
        except TypeError as exc:
            raise InputError(f"ClaimRecorder: parameters must be plain values (numbers, strings, lists): "
                             f"{exc}") from None
        st = self._pipeline_stage(stage)
        if notebook is None and st is not None and st.notebook:
            notebook = config.NOTEBOOKS_DIR / st.notebook
        elif notebook is None:  # a stage not (yet) in the table: notebooks/NN_<stage>.ipynb
            found = sorted(config.NOTEBOOKS_DIR.glob(f"[0-9][0-9]_{stage}.ipynb"))
            notebook = found[0] if len(found) == 1 else None
        self.notebook_path = config.project_path(notebook) if notebook is not None else None
        self.notebook = _rel(self.notebook_path) if self.notebook_path is not None else None
        if inputs is None:
            dirs = {"raw": raw_dir, "processed": processed_dir, "results": results_dir,
                    "figures": figures_dir, "paper": "paper"}
            inputs = []
            for t in (st.inputs if st is not None else ()):
                head, _, tail = t.partition("/")
                inputs.append(Path(dirs[head.strip("{}")]) / tail)
        self.inputs = {}
        for p in inputs:
            full = config.project_path(p)
            self.inputs[_rel(full)] = sha256_file(full) if full.is_file() else None
        self.params_sha256 = params_sha256(self.parameters)
        self.records: dict[str, dict[str, Any]] = {}
        self._sources: dict[str, str | None] = {}

    @staticmethod
    def _pipeline_stage(stage: str):
        for s in _metadata_module("analysis.pipeline").STAGES:
            if s.name == stage:
                return s
        return None

    # ----------------------------------------------------------------- record

    def _add(self, name: str, kind: str, value: Any, tolerance: dict[str, float] | None,
             label: str | None, extra: dict[str, Any]) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise InputError(f"claim name {name!r}: use letters, digits and . _ : - (e.g. "
                             "'qca.solution.consistency')")
        if label is not None and not isinstance(label, str):
            raise InputError(f"claim {name}: label must be text (the label in the paper), got {label!r}")
        cell_id, source = _kernel_cell()
        if name in self.records and self._sources.get(name) != source:
            raise InputError(f"claim {name}: recorded twice in stage {self.stage} (from two different cells); "
                             "give each result its own name")
        self._sources[name] = source
        self.records[name] = {
            "name": name, "kind": kind, "value": value, "tolerance": tolerance, "label": label,
            "stage": self.stage, "notebook": self.notebook, "cell": cell_id,
            "parameters": self.parameters, "params_sha256": self.params_sha256, "inputs": self.inputs,
            **extra,
        }

    @staticmethod
    def _tolerance(name: str, rel: float, abs: float) -> dict[str, float]:  # noqa: A002 - pytest.approx's name
        for what, v in (("rel", rel), ("abs", abs)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v >= 0) or math.isinf(v):
                raise InputError(f"claim {name}: tolerance {what}={v!r}, expected a finite number >= 0")
        return {"rel": float(rel), "abs": float(abs)}

    def number(self, name: str, value: Any, *, rel: float = DEFAULT_REL, abs: float = DEFAULT_ABS,  # noqa: A002
               label: str | None = None, output: str | Path | None = None) -> Any:
        """Record a number (stored exactly); returns *value* so it can be used inline."""
        if hasattr(value, "item") and np.ndim(value) == 0:
            value_ = value.item()
        else:
            value_ = value
        if isinstance(value_, (bool, np.bool_)) or not isinstance(value_, (int, float)):
            raise InputError(f"claim {name}: expected a real number, got {type(value).__name__} {value!r} "
                             "(record text with .text(), tables with .table())")
        self._add(name, "number", encode_number(value_), self._tolerance(name, rel, abs), label,
                  {"output": _rel(output) if output is not None else None})
        return value

    def text(self, name: str, value: str, *, label: str | None = None,
             output: str | Path | None = None) -> str:
        """Record a string (compared exactly), e.g. a solution expression; returns *value*."""
        if not isinstance(value, str):
            raise InputError(f"claim {name}: expected text, got {type(value).__name__} {value!r}")
        self._add(name, "text", value, None, label, {"output": _rel(output) if output is not None else None})
        return value

    def table(self, name: str, df: pd.DataFrame | pd.Series, *, rel: float = DEFAULT_REL,
              abs: float = DEFAULT_ABS, label: str | None = None,  # noqa: A002
              output: str | Path | None = None) -> pd.DataFrame | pd.Series:
        """Record a small table (cells exact; compared cell by cell with the tolerance); returns *df*."""
        if not isinstance(df, (pd.DataFrame, pd.Series)):
            raise InputError(f"claim {name}: expected a DataFrame or Series, got {type(df).__name__}")
        enc = encode_table(df)
        self._add(name, "table", enc, self._tolerance(name, rel, abs), label,
                  {"sha256": canonical_sha256(enc), "output": _rel(output) if output is not None else None})
        return df

    def figure(self, name: str, *, data: Any, path: str | Path, rel: float = DEFAULT_REL,
               abs: float = DEFAULT_ABS, label: str | None = None) -> str:  # noqa: A002
        """Record a figure by the data behind it: sha256 of its canonical table; returns the hash."""
        try:
            enc = encode_table(_as_frame(data))
        except TypeError as exc:
            raise InputError(f"claim {name}: {exc}") from None
        sha = canonical_sha256(enc)
        cells = len(enc["data"]) * len(enc["columns"])
        value = {"sha256": sha, "data": enc if cells <= MAX_FIGURE_CELLS else None}
        self._add(name, "figure", value, self._tolerance(name, rel, abs), label,
                  {"path": _rel(path), "output": _rel(path)})
        return sha

    def record_values(self, values: dict[str, tuple[Any, str | None]]) -> dict[str, Any]:
        """Record name -> (value, label in the paper): DataFrames as tables, strings as
        text, anything else as a number, with the default tolerances; returns name -> value.

        The stage modules build such mappings from their result objects
        (e.g. :func:`analysis.stages.qca.claim_values`).
        """
        out = {}
        for name, (value, label) in values.items():
            if isinstance(value, (pd.DataFrame, pd.Series)):
                self.table(name, value, label=label)
            elif isinstance(value, str):
                self.text(name, value, label=label)
            else:
                self.number(name, value, label=label)
            out[name] = value
        return out

    # ----------------------------------------------------------------- save

    def resolve_cells(self) -> None:
        """Fill in the cell id of records whose client did not send one (papermill)."""
        if self.notebook_path is None or not self.notebook_path.is_file():
            return
        cells = notebook_cells(self.notebook_path)
        for name, rec in self.records.items():
            if rec["cell"] is None:
                rec["cell"] = find_cell(cells, name, self._sources.get(name))

    def document(self) -> dict[str, Any]:
        """The claims file's content."""
        self.resolve_cells()
        return {"format": FORMAT, "stage": self.stage, "notebook": self.notebook,
                "parameters": self.parameters, "params_sha256": self.params_sha256, "inputs": self.inputs,
                "claims": dict(sorted(self.records.items()))}

    @property
    def path(self) -> Path:
        return self.results_dir / CLAIMS_SUBDIR / f"{self.stage}.json"

    def save(self) -> Path:
        """Write ``{results_dir}/claims/<stage>.json`` atomically (sorted keys, deterministic)."""
        return write_json(self.document(), self.path)


def attach_cells(claims_file: str | Path, executed_notebook: str | Path) -> int:
    """Fill missing cell ids in a claims file by scanning an executed notebook; returns how many.

    For a pipeline to call after a stage ran, when the recorder could not match
    the cell (e.g. the source notebook had no cell ids).
    """
    doc = read_json(claims_file)
    cells = notebook_cells(executed_notebook)
    n = 0
    for name, rec in doc.get("claims", {}).items():
        if rec.get("cell") is None:
            rec["cell"] = find_cell(cells, name, None)
            n += rec["cell"] is not None
    if n:
        write_json(doc, claims_file)
    return n


# --------------------------------------------------------------------------- loading


def _check_record(rec: Any, where: str) -> dict[str, Any]:
    if not isinstance(rec, dict) or rec.get("kind") not in KINDS or "value" not in rec or "name" not in rec:
        raise InputError(f"{where}: not a claim record (needs name, kind in {', '.join(KINDS)}, value)")
    return rec


def load_claims_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """The claims of one file (a stage's claims or a lock), by name."""
    path = Path(path)
    try:
        doc = read_json(path)
    except FileNotFoundError:
        raise InputError(f"{_rel(path)}: no such file") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{_rel(path)}: cannot read claims: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("claims"), dict):
        raise InputError(f"{_rel(path)}: not a claims file of format {FORMAT} (expected keys format, claims)")
    return {name: _check_record(rec, f"{_rel(path)}, claim {name!r}") for name, rec in doc["claims"].items()}


def load_claims(claims_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Every claim of a run: the union of ``<claims_dir>/*.json``; a name in two files is an error."""
    claims_dir = Path(claims_dir)
    if not claims_dir.is_dir():
        raise InputError(f"{_rel(claims_dir)}: no claims folder (run the pipeline first: "
                         "python -m analysis reproduce)")
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, Path] = {}
    for f in sorted(claims_dir.glob("*.json")):
        for name, rec in load_claims_file(f).items():
            if name in merged:
                raise InputError(f"claim {name!r} is recorded in both {_rel(origin[name])} and {_rel(f)}")
            merged[name], origin[name] = rec, f
    return dict(sorted(merged.items()))


def read_lock(path: str | Path = LOCK_FILE) -> dict[str, Any]:
    """The lock document (claims plus the outputs and run record frozen with them)."""
    load_claims_file(path)  # validates
    return read_json(path)


def lock_record(rec: dict[str, Any]) -> dict[str, Any]:
    """A claim as the lock keeps it: a figure's case-level data replaced by their :func:`table_summary`.

    The lock is published; the data behind a figure are one row per worker (or
    case), so the lock holds only their hash and aggregates.
    """
    if rec.get("kind") != "figure" or not isinstance(rec.get("value"), dict):
        return rec
    value = dict(rec["value"])
    data = value.pop("data", None)
    if data is not None:
        value["summary"] = table_summary(data)
    return {**rec, "value": value}


def build_lock(claims: dict[str, dict[str, Any]], manifest: dict[str, Any] | None = None,
               timing: dict[str, Any] | None = None) -> dict[str, Any]:
    """The lock document: the claims, and from the manifest the outputs and stages, plus the timing.

    The outputs list (path, stage) and the run record (runtime and storage of
    the last full run) are frozen with the claims because ``results/`` is not
    in git while the lock and the README generated from it are.
    """
    doc: dict[str, Any] = {"format": FORMAT, "claims": {name: lock_record(rec) for name, rec in sorted(claims.items())}}
    if manifest:
        stages = manifest.get("stages", {})
        doc["stages"] = {name: {"notebook": s.get("notebook"), "function": s.get("function"),
                                "parameters": s.get("parameters", {})} for name, s in stages.items()}
        doc["outputs"] = sorted(({"path": o["path"], "stage": o["stage"]} for o in manifest.get("outputs", [])),
                                key=lambda o: o["path"])
    if timing:
        doc["run"] = timing
    return doc


def write_lock(claims_dir: str | Path, lock_path: str | Path = LOCK_FILE, *,
               manifest_path: str | Path | None = None, timing_path: str | Path | None = None) -> Path:
    """(Re)write the lock from a run's claims, manifest and timing record (kept from the old lock if absent)."""
    claims = load_claims(claims_dir)
    if not claims:
        raise InputError(f"{_rel(claims_dir)}: no claims recorded; nothing to lock")
    manifest = read_json(manifest_path) if manifest_path and Path(manifest_path).is_file() else None
    timing = read_json(timing_path) if timing_path and Path(timing_path).is_file() else None
    old = read_json(lock_path) if Path(lock_path).is_file() else {}
    if timing is None and isinstance(old, dict):
        timing = old.get("run")
    doc = build_lock(claims, manifest, timing)
    if manifest is not None:
        doc["notebooks"] = notebook_digests(manifest)
    if manifest is None and isinstance(old, dict):
        for key in ("stages", "outputs", "notebooks"):
            if key in old:
                doc[key] = old[key]
    return write_json(doc, lock_path)


def notebook_digests(manifest: dict[str, Any], root: Path | None = None) -> dict[str, str]:
    """Notebook file name -> :func:`analysis.nbcells.outputs_digest` of the run's executed notebooks."""
    from analysis.config import ROOT
    from analysis.nbcells import outputs_digest

    root = ROOT if root is None else root
    out = {}
    for o in manifest.get("outputs", []):
        path = Path(o["path"])
        if path.suffix == ".ipynb" and "_failed" not in path.parts:
            full = path if path.is_absolute() else root / path
            if full.is_file():
                out[path.name] = outputs_digest(full)
    return dict(sorted(out.items()))


def compare_notebooks(locked: dict[str, str], current: dict[str, str]) -> list[str]:
    """Executed notebooks whose displayed results differ from the locked run's (one line each)."""
    lines = []
    for name, digest in sorted(locked.items()):
        now = current.get(name)
        if now is None:
            lines.append(f"NOTEBOOK {name}: not found in the run's manifest")
        elif now != digest:
            lines.append(f"NOTEBOOK {name}: displayed results differ from the published run's "
                         "(a hand edit, or results that changed; rerun the stage)")
    return lines


# --------------------------------------------------------------------------- comparing


def show_value(rec: dict[str, Any] | None, width: int = 60) -> str:
    """A short, readable rendering of a claim's value for messages."""
    if rec is None:
        return "(missing)"
    kind, v = rec["kind"], rec["value"]
    if kind == "number":
        return v
    if kind == "text":
        r = repr(v)
        return r if len(r) <= width else r[: width - 4] + "...'"
    if kind == "table":
        return f"table {len(v['index'])}x{len(v['columns'])} (sha256 {rec.get('sha256', canonical_sha256(v))[:12]})"
    return f"figure data sha256 {v['sha256'][:12]}"


def show_tolerance(rec: dict[str, Any]) -> str:
    tol = rec.get("tolerance")
    if rec["kind"] == "text" or not tol:
        return "exact"
    return f"rel {tol['rel']:g}, abs {tol['abs']:g}"


def _numeric_text_close(x: Any, y: Any, tol: dict[str, float]) -> bool:
    """Two text cells that both read as numbers (a chart mixing symbols and values) compared as numbers."""
    try:
        fx, fy = float(x), float(y)
    except (TypeError, ValueError):
        return False
    return numbers_close(fx, fy, tol["rel"], tol["abs"])


def _compare_tables(a: dict[str, Any], b: dict[str, Any], tol: dict[str, float]) -> str | None:
    """None when the tables agree within tolerance; else what differs."""
    if a["columns"] != b["columns"]:
        return f"columns differ: {a['columns']} -> {b['columns']}"
    if a["index"] != b["index"]:
        return f"rows differ: {len(a['index'])} rows {a['index'][:5]} -> {len(b['index'])} rows {b['index'][:5]}"
    bad = []
    worst = 0.0
    for i, (ra, rb) in enumerate(zip(a["data"], b["data"])):
        for j, (x, y) in enumerate(zip(ra, rb)):
            kind = a["kinds"][j]
            if kind == "number" and b["kinds"][j] == "number":
                fx, fy = float(decode_number(x)), float(decode_number(y))
                if not numbers_close(fx, fy, tol["rel"], tol["abs"]):
                    bad.append((i, j, x, y))
                    if math.isfinite(fx) and math.isfinite(fy):
                        worst = max(worst, abs(fx - fy) / max(abs(fx), abs(fy), 1e-300))
                    else:
                        worst = math.inf
            elif x != y and not _numeric_text_close(x, y, tol):
                bad.append((i, j, x, y))
    if not bad:
        return None
    i, j, x, y = bad[0]
    total = len(a["index"]) * len(a["columns"])
    msg = f"{len(bad)} of {total} cells differ, e.g. row {a['index'][i]!r}, column {a['columns'][j]!r}: {x} -> {y}"
    if worst:
        msg += f"; largest relative difference {worst:.3g}"
    return msg


def compare_claim(locked: dict[str, Any], current: dict[str, Any] | None) -> str | None:
    """None when *current* reproduces *locked* (with the locked tolerance); else why not."""
    if current is None:
        return "missing from the new run"
    if locked["kind"] != current["kind"]:
        return f"kind changed: {locked['kind']} -> {current['kind']}"
    kind, a, b = locked["kind"], locked["value"], current["value"]
    tol = locked.get("tolerance") or {"rel": DEFAULT_REL, "abs": DEFAULT_ABS}
    if kind == "number":
        fa, fb = float(decode_number(a)), float(decode_number(b))
        if numbers_close(fa, fb, tol["rel"], tol["abs"]):
            return None
        if math.isfinite(fa) and math.isfinite(fb) and max(abs(fa), abs(fb)) > 0:
            return f"relative difference {abs(fa - fb) / max(abs(fa), abs(fb)):.3g}"
        return "differs"
    if kind == "text":
        return None if a == b else "text differs"
    if kind == "table":
        return _compare_tables(a, b, tol)
    # figure
    if a["sha256"] == b["sha256"]:
        return None
    if a.get("data") is None and a.get("summary") is not None and b.get("data") is not None:
        why = _compare_summaries(a["summary"], table_summary(b["data"]), tol)  # a published lock
        return None if why is None else f"data behind the figure differ: {why}"
    if a.get("data") is None or b.get("data") is None:
        return "data behind the figure differs (hash)"
    why = _compare_tables(a["data"], b["data"], tol)
    return None if why is None else f"data behind the figure differs: {why}"


@dataclass
class ClaimDiff:
    """A locked claim that the new run does not reproduce."""

    name: str
    locked: dict[str, Any]
    current: dict[str, Any] | None
    reason: str

    def line(self) -> str:
        rec = self.locked
        where = f"{rec.get('notebook') or rec.get('stage')}, cell {rec.get('cell') or '?'}"
        status = "MISSING" if self.current is None else "DIFFERS"
        return (f"{status} {self.name} [{where}]: locked {show_value(rec)}, new {show_value(self.current)} "
                f"(tolerance {show_tolerance(rec)}; {self.reason})")


@dataclass
class VerifyReport:
    """The outcome of comparing a run's claims with the lock."""

    total: int
    diffs: list[ClaimDiff] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> int:
        return self.total - len(self.diffs)

    @property
    def classification(self) -> str:
        """full (all reproduce), failed (a claim missing, or more than half differ), else partial."""
        if not self.diffs:
            return "full"
        if any(d.current is None for d in self.diffs) or len(self.diffs) * 2 > self.total:
            return "failed"
        return "partial"

    @property
    def ok(self) -> bool:
        return not self.diffs

    def lines(self) -> list[str]:
        out = [d.line() for d in self.diffs]
        out += [f"note: {n}" for n in self.notes]
        if self.new:
            out.append(f"note: {len(self.new)} claim(s) not in the lock (update the lock if they are to be "
                       f"published): {', '.join(self.new)}")
        out.append(f"{self.reproduced}/{self.total} claims reproduced: {self.classification} reproduction")
        return out


def _lock_claims(lock: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if "format" in lock and isinstance(lock.get("claims"), dict):
        return lock["claims"]
    return lock


def verify(lock: dict[str, Any], current: dict[str, dict[str, Any]]) -> VerifyReport:
    """Compare the *current* claims with the *lock* (a lock document or a name -> record mapping).

    Every locked claim is compared with the locked tolerance (see the module
    docstring); claims only in *current* are listed as new and do not fail.
    """
    locked = _lock_claims(lock)
    current = _lock_claims(current)
    report = VerifyReport(total=len(locked))
    for name, rec in sorted(locked.items()):
        reason = compare_claim(rec, current.get(name))
        if reason is not None:
            report.diffs.append(ClaimDiff(name, rec, current.get(name), reason))
    report.new = sorted(set(current) - set(locked))
    # context: did the inputs or parameters change?
    changed_inputs: set[str] = set()
    changed_params: set[str] = set()
    for name, rec in locked.items():
        cur = current.get(name)
        if cur is None:
            continue
        old_inputs = rec.get("inputs") or {}
        # a run under runs/<label>/ names the same files under another folder: match by
        # path first, then by file name where that name is unique (several stages
        # write a summary.json)
        names: dict[str, list[str]] = {}
        for p in old_inputs:
            names.setdefault(Path(p).name, []).append(p)
        for p, s in (cur.get("inputs") or {}).items():
            if p in old_inputs:
                old_sha = old_inputs[p]
            elif len(names.get(Path(p).name, [])) == 1:
                old_sha = old_inputs[names[Path(p).name][0]]
            else:
                continue
            if old_sha != s:
                changed_inputs.add(p)
        if rec.get("params_sha256") and cur.get("params_sha256") != rec.get("params_sha256"):
            changed_params.add(rec.get("stage") or "?")
    if changed_inputs:
        report.notes.append("input files differ from the locked run: " + ", ".join(sorted(changed_inputs)))
    if changed_params:
        report.notes.append("parameters differ from the locked run in stage(s): " + ", ".join(sorted(changed_params)))
    return report


# --------------------------------------------------------------------------- tracing


def _producer(path: str, manifest: dict[str, Any]) -> str | None:
    for o in manifest.get("outputs", []):
        if o["path"] == path:
            return o["stage"]
    return None


def _output_sha(path: str, manifest: dict[str, Any]) -> str | None:
    for o in manifest.get("outputs", []):
        if o["path"] == path:
            return o.get("sha256")
    return None


def _fmt_params(params: dict[str, Any]) -> str:
    items = []
    for k, v in sorted(params.items()):
        items.append(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}")
    return ", ".join(items) or "-"


def trace(name: str, claims: dict[str, dict[str, Any]], manifest: dict[str, Any] | None = None) -> list[str]:
    """The chain behind a claim, or an output file, as printable lines.

    raw files (sha256) -> processed files (sha256, the stage that made them)
    -> stage, notebook, cell, parameters -> output file -> label in the paper.
    *name* is a claim name, a figure's path, or any output path in the
    manifest; otherwise InputError listing close matches.
    """
    manifest = manifest or {}
    stages = manifest.get("stages", {})
    rec = claims.get(name)
    if rec is None:
        by_path = [r for r in claims.values() if r.get("path") == name or r.get("output") == name]
        if len(by_path) == 1:
            rec = by_path[0]
    out_stage = None if rec is not None else _producer(name, manifest)
    if rec is None and out_stage is None:
        choices = list(claims) + [o["path"] for o in manifest.get("outputs", [])]
        close = difflib.get_close_matches(name, choices, n=5, cutoff=0.5)
        hint = ("; did you mean: " + ", ".join(close)) if close else ""
        raise InputError(f"unknown claim or output {name!r}{hint} ({len(claims)} claims and "
                         f"{len(manifest.get('outputs', []))} outputs known)")
    stage = rec["stage"] if rec is not None else out_stage
    st = stages.get(stage, {})
    # inputs of the stage: the manifest's record, else the claim's own hashes
    inputs = dict(st.get("inputs") or (rec or {}).get("inputs") or {})
    lines: list[str] = []
    if rec is not None:
        lines.append(f"{rec['kind']} {rec['name']} = {show_value(rec, width=80)}")
    else:
        lines.append(f"output {name}")
    # walk upstream: every input either comes from a stage (processed) or is raw
    raw: dict[str, str | None] = {}
    processed: list[tuple[str, str | None, str]] = []
    seen: set[str] = set()
    todo = list(inputs.items())
    while todo:
        path, sha = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        prod = _producer(path, manifest)
        if prod is None:
            raw[path] = sha
        else:
            processed.append((path, sha, prod))
            todo.extend((stages.get(prod, {}).get("inputs") or {}).items())
    lines.append("  raw data:")
    lines += [f"    {p}  sha256 {s or '(missing)'}" for p, s in sorted(raw.items())] or ["    -"]
    lines.append("  processed data:")
    lines += [f"    {p}  sha256 {s or '(missing)'}  <- stage {prod} ({stages.get(prod, {}).get('notebook') or '?'})"
              for p, s, prod in reversed(processed)] or ["    -"]
    notebook = (rec or {}).get("notebook") or st.get("notebook") or "?"
    cell = (rec or {}).get("cell")
    lines.append(f"  stage: {stage}, notebook {notebook}" + (f", cell {cell or '?'}" if rec is not None else ""))
    params = (rec or {}).get("parameters") if rec is not None else st.get("parameters", {})
    sha = (rec or {}).get("params_sha256")
    lines.append(f"  parameters: {_fmt_params(params or st.get('parameters', {}))}"
                 + (f"  (sha256 {sha[:12]})" if sha else ""))
    if rec is not None:
        outs = []
        if rec.get("output"):
            outs.append(rec["output"])
        claims_file = [o["path"] for o in manifest.get("outputs", [])
                       if o["path"].endswith(f"{CLAIMS_SUBDIR}/{stage}.json")]
        outs.append(claims_file[0] if claims_file else f"results/{CLAIMS_SUBDIR}/{stage}.json")
        for o in dict.fromkeys(outs):
            s = _output_sha(o, manifest)
            lines.append(f"  output: {o}" + (f"  sha256 {s}" if s else ""))
        lines.append(f"  paper label: {rec.get('label') or '(none)'}")
    else:
        s = _output_sha(name, manifest)
        lines.append(f"  output: {name}" + (f"  sha256 {s}" if s else ""))
        users = sorted(r["name"] for r in claims.values() if r.get("output") == name or r.get("path") == name)
        if users:
            lines.append(f"  claims: {', '.join(users)}")
    return lines


# --------------------------------------------------------------------------- the paper's text

_DECIMAL = re.compile(r"(?<![\w.])([-\u2212]?)(\d*\.\d+)(?![\w]|\.\d)(\s?%)?")


def claimed_numbers(claims: dict[str, dict[str, Any]]) -> list[float]:
    """Every finite number the claims hold: number claims and the numeric cells of table claims."""
    out: list[float] = []
    for rec in claims.values():
        if rec["kind"] == "number":
            out.append(float(decode_number(rec["value"])))
        elif rec["kind"] == "table":
            v = rec["value"]
            for row in v["data"]:
                out += [float(decode_number(c)) for c, k in zip(row, v["kinds"]) if k == "number"]
    return [x for x in out if math.isfinite(x)]


def unclaimed_numbers(text: str, claims: dict[str, dict[str, Any]],
                      allowed: Iterable[str] = ()) -> list[tuple[int, str]]:
    """Decimal numbers in *text* that no claim stands behind, as (line, token).

    A token with d decimals (e.g. '0.85', '−0.31', '12.5 %') is claimed when
    some claimed number x satisfies |x - t| <= 0.5 * 10**-d (t is x rounded to
    d decimals), or, for a percentage, |100 x - t| <= 0.5 * 10**-d. Integers
    are not checked (counts, years and section numbers are indistinguishable);
    *allowed* lists tokens that are not results (e.g. a version '3.11').

    Examples
    --------
    >>> c = {"a": {"kind": "number", "value": "0.8512"}}
    >>> unclaimed_numbers("consistency 0.85 (85.1%), PRI 0.77", c)
    [(1, '0.77')]
    """
    allowed = set(allowed)
    values = np.asarray(claimed_numbers(claims), dtype=float)
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in _DECIMAL.finditer(line):
            sign, digits, pct = m.group(1), m.group(2), m.group(3)
            token = m.group(0).strip()
            if token in allowed or digits in allowed:
                continue
            t = float(digits) * (-1 if sign else 1)
            half = 0.5 * 10 ** -len(digits.split(".")[1]) * (1 + 1e-9)
            ok = values.size and bool(np.any(np.abs(values - t) <= half))
            if not ok and pct:
                ok = values.size and bool(np.any(np.abs(100 * values - t) <= half))
            if not ok:
                found.append((lineno, token))
    return found
