"""Validate a raw-data folder and load it: ``python -m analysis validate [--data-dir DIR]``.

Every cell of the three raw tables is checked against its contract in
:mod:`analysis.schemas`: required columns (the first is the unique id), types,
Likert ranges from the codebooks, allowed category values, ISO 8601 dates, then
the links between tables (every staff_id and participant_id resolves) and the
order of dates. Each violation names the file, the line as a user counts it in
the CSV (the header is line 1, the first data row line 2), the column, the bad
value and what was expected. All violations of a file come in one report, capped
at :data:`MAX_PER_FILE` lines per file with a count of the rest. Validation never
writes anything.

The pipeline loads raw data through :func:`load_raw`, which runs the same checks
and raises :class:`analysis.errors.InputError` carrying the whole report.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import project_path, relative_to_root
from analysis.errors import InputError
from analysis.schemas import ColumnSpec, TableSpec, raw_schemas

#: Violations listed per file before the rest are only counted.
MAX_PER_FILE = 20
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (file, line, column), the bad value, what was expected."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    expected: str
    problem: str = ""

    def message(self) -> str:
        """'file, line N, column 'c': problem: got 'v'; expected ...'."""
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        got = "" if self.value is None else f"got {self.value!r}; "
        prob = f"{self.problem}: " if self.problem else ""
        return f"{', '.join(where)}: {prob}{got}expected {self.expected}"


def _line(i: int) -> int:
    """CSV line of 0-based data row *i*: the header is line 1, so data row 0 is line 2."""
    return int(i) + 2


def format_report(violations: list[Violation], max_per_file: int = MAX_PER_FILE) -> str:
    """All violations, grouped by file, at most *max_per_file* lines each plus a count of the rest."""
    if not violations:
        return "no violations"
    by_file: dict[str, list[Violation]] = {}
    for v in violations:
        by_file.setdefault(v.file, []).append(v)
    parts = [f"{len(violations)} violation(s) in {len(by_file)} file(s) "
             "(lines counted as in the CSV: the header is line 1, the first data row line 2)"]
    for file, vs in by_file.items():
        parts.append(f"{file}: {len(vs)} violation(s)")
        parts.extend("  " + v.message() for v in vs[:max_per_file])
        if len(vs) > max_per_file:
            parts.append(f"  ... and {len(vs) - max_per_file} more violation(s) in {file}")
    return "\n".join(parts)


# --------------------------------------------------------------------------- reading


def _read(path: Path, spec: TableSpec, out: list[Violation]) -> pd.DataFrame | None:
    """Read a CSV as text cells; None (with violations) when the file cannot be parsed."""
    if not path.exists():
        out.append(Violation(spec.file, None, None, None, f"the file {spec.file} in {path.parent.name}/",
                             "file missing"))
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.append(Violation(spec.file, None, None, None, "UTF-8 text", f"not UTF-8 ({exc.reason} at byte {exc.start})"))
        return None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        out.append(Violation(spec.file, 1, None, None, "a header line with " + ", ".join(spec.names), "empty file"))
        return None
    header = rows[0]
    bad_width = False
    for i, r in enumerate(rows[1:]):
        if len(r) != len(header) and any(c.strip() for c in r):
            out.append(Violation(spec.file, i + 2, None, f"{len(r)} fields", f"{len(header)} fields as in the header",
                                 "wrong number of fields"))
            bad_width = True
    if bad_width:
        return None
    body = [r for r in rows[1:] if any(c.strip() for c in r) or len(r) == len(header)]
    if not body:
        out.append(Violation(spec.file, None, None, None, "at least one data row", "no data rows"))
        return None
    return pd.DataFrame(body, columns=header, dtype=object)


def _check_header(df: pd.DataFrame, spec: TableSpec, out: list[Violation]) -> list[ColumnSpec]:
    """Header checks; returns the specs of the columns present (cell checks run on those)."""
    got = list(df.columns)
    expected = spec.names
    dups = sorted({c for c in got if got.count(c) > 1})
    for c in dups:
        out.append(Violation(spec.file, 1, c, c, "each column name once", "duplicate column name"))
    unexpected = [c for c in got if c not in expected]
    for c in unexpected:
        hint = difflib.get_close_matches(c, [e for e in expected if e not in got], n=1)
        exp = f"one of the contract's columns (did you mean {hint[0]!r}?)" if hint else \
            "only the columns " + ", ".join(expected)
        out.append(Violation(spec.file, 1, c, c, exp, "unexpected column"))
    for c in expected:
        if c not in got:
            out.append(Violation(spec.file, 1, c, None, f"a column named {c!r} (every column is required)",
                                 "missing column"))
    if got and got[0] != spec.id_column:
        out.append(Violation(spec.file, 1, got[0], got[0], f"the id column {spec.id_column!r} first",
                             "wrong first column"))
    return [c for c in spec.columns if c.name in got and c.name not in dups]


def _check_column(s: pd.Series, c: ColumnSpec, file: str, out: list[Violation]) -> pd.Series:
    """Cell checks of one column; returns the typed column (invalid cells missing)."""
    raw = s.astype(str)
    stripped = raw.str.strip()
    empty = stripped == ""
    if not c.nullable:
        for i in np.flatnonzero(empty.to_numpy()):
            out.append(Violation(file, _line(i), c.name, "", c.expected(), "empty cell"))
    if c.kind in ("id", "ref", "text"):
        if c.kind == "id":
            seen: dict[str, int] = {}
            for i, v in enumerate(stripped):
                if v == "":
                    continue
                if v in seen:
                    out.append(Violation(file, _line(i), c.name, v, f"a unique id (first used on line {seen[v]})",
                                         "duplicate id"))
                else:
                    seen[v] = _line(i)
        return stripped.where(~empty, None)
    if c.kind == "category":
        bad = ~empty & ~stripped.isin(c.allowed)
        for i in np.flatnonzero(bad.to_numpy()):
            out.append(Violation(file, _line(i), c.name, raw.iloc[i], c.expected(), "value not allowed"))
        return stripped.where(~empty & ~bad, None)
    if c.kind == "date":
        parsed = pd.to_datetime(stripped.where(stripped.str.match(_DATE_RE), None), format="%Y-%m-%d",
                                errors="coerce")
        bad = ~empty & parsed.isna()
        for i in np.flatnonzero(bad.to_numpy()):
            out.append(Violation(file, _line(i), c.name, raw.iloc[i], c.expected(), "not a valid date"))
        return parsed.astype("datetime64[ns]")
    # int / float
    num = pd.to_numeric(stripped.where(~empty, None), errors="coerce")
    notnum = ~empty & num.isna()
    for i in np.flatnonzero(notnum.to_numpy()):
        out.append(Violation(file, _line(i), c.name, raw.iloc[i], c.expected(), "not a number"))
    ok = ~empty & ~notnum
    if c.kind == "int":
        frac = ok & np.isfinite(num) & (num != np.round(num))
        for i in np.flatnonzero(frac.to_numpy()):
            out.append(Violation(file, _line(i), c.name, raw.iloc[i], c.expected(), "not a whole number"))
        ok &= ~frac
    inf = ok & ~np.isfinite(num.astype(float))
    for i in np.flatnonzero(inf.to_numpy()):
        out.append(Violation(file, _line(i), c.name, raw.iloc[i], c.expected(), "not a finite number"))
    ok &= ~inf
    out_range = ok.copy() & False
    if c.min is not None:
        out_range |= ok & (num < c.min)
    if c.max is not None:
        out_range |= ok & (num > c.max)
    for i in np.flatnonzero(out_range.to_numpy()):
        out.append(Violation(file, _line(i), c.name, raw.iloc[i], c.expected(), "out of range"))
    ok &= ~out_range
    typed = num.where(ok)
    return pd.array(np.where(ok, typed, np.nan), dtype="Float64").round().astype("Int64") if c.kind == "int" \
        else typed.astype("float64")


# --------------------------------------------------------------------------- cross-table


def _check_links(tables: dict[str, pd.DataFrame], specs: dict[str, TableSpec], out: list[Violation]) -> None:
    """References between tables and the order of dates."""
    for name, df in tables.items():
        for c in specs[name].columns:
            if c.kind != "ref" or c.name not in df:
                continue
            target_table, target_col = c.references.split(".")
            target = tables.get(target_table)
            if target is None or target_col not in target:
                continue
            known = set(target[target_col].dropna())
            bad = df[c.name].notna() & ~df[c.name].isin(known)
            for i in np.flatnonzero(bad.to_numpy()):
                out.append(Violation(specs[name].file, _line(i), c.name, df[c.name].iloc[i],
                                     c.expected(), "unknown reference"))
    parts = tables.get("participants")
    if parts is not None:
        f = specs["participants"].file
        if {"start_date", "accommodation_entry_date"} <= set(parts):
            bad = parts["accommodation_entry_date"] < parts["start_date"]
            for i in np.flatnonzero(bad.to_numpy()):
                out.append(Violation(f, _line(i), "accommodation_entry_date",
                                     parts["accommodation_entry_date"].iloc[i].strftime("%Y-%m-%d"),
                                     f"a date on or after start_date ({parts['start_date'].iloc[i]:%Y-%m-%d})",
                                     "dates out of order"))
        if {"accommodation_entry_date", "sustained_6m", "sustained_12m"} <= set(parts):
            no_entry = parts["accommodation_entry_date"].isna()
            for col in ("sustained_6m", "sustained_12m"):
                bad = no_entry & parts[col].isin(["yes", "no"])
                for i in np.flatnonzero(bad.to_numpy()):
                    out.append(Violation(f, _line(i), col, parts[col].iloc[i],
                                         "'not_due' because accommodation_entry_date is empty (no entry yet)",
                                         "outcome without accommodation entry"))
            bad = (parts["sustained_12m"] == "yes") & (parts["sustained_6m"] == "no")
            for i in np.flatnonzero(bad.to_numpy()):
                out.append(Violation(f, _line(i), "sustained_12m", "yes",
                                     "'no' or 'not_due' when sustained_6m is 'no'", "inconsistent outcomes"))
    cont = tables.get("contacts")
    if cont is not None and parts is not None and {"participant_id", "date"} <= set(cont) \
            and {"participant_id", "start_date"} <= set(parts):
        start = cont["participant_id"].map(parts.drop_duplicates("participant_id")
                                           .set_index("participant_id")["start_date"])
        bad = cont["date"] < start
        f = specs["contacts"].file
        for i in np.flatnonzero(bad.to_numpy()):
            out.append(Violation(f, _line(i), "date", cont["date"].iloc[i].strftime("%Y-%m-%d"),
                                 f"a date on or after the participant's start_date ({start.iloc[i]:%Y-%m-%d})",
                                 "dates out of order"))


# --------------------------------------------------------------------------- public API


def check_raw(raw_dir: str | Path) -> tuple[dict[str, pd.DataFrame], list[Violation]]:
    """Check every raw table in *raw_dir*; return the typed tables and every violation found."""
    raw_dir = project_path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(f"{relative_to_root(raw_dir)}: not a folder; expected the raw-data folder "
                         "holding staff_survey.csv, participants.csv and contacts.csv")
    specs = raw_schemas()
    violations: list[Violation] = []
    tables: dict[str, pd.DataFrame] = {}
    for name, spec in specs.items():
        file_v: list[Violation] = []
        df = _read(raw_dir / spec.file, spec, file_v)
        if df is not None:
            present = _check_header(df, spec, file_v)
            typed = pd.DataFrame({c.name: _check_column(df[c.name], c, spec.file, file_v) for c in present},
                                 index=pd.RangeIndex(len(df)))
            tables[name] = typed[[c for c in spec.names if c in typed]]
        violations.extend(file_v)
    _check_links(tables, specs, violations)
    order = {s.file: k for k, s in enumerate(specs.values())}
    violations.sort(key=lambda v: (order.get(v.file, 99), v.line if v.line is not None else 0))
    return tables, violations


def load_raw(raw_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The validated raw tables of *raw_dir*, typed; InputError with the full report if any rule is broken.

    Returns {'staff_survey', 'participants', 'contacts'}: ids and categories as text,
    dates as datetime64, integers (items, ages, durations, wellbeing) as nullable Int64,
    tenure as float.
    """
    tables, violations = check_raw(raw_dir)
    if violations:
        raise InputError(f"raw data in {relative_to_root(project_path(raw_dir))} is not valid:\n"
                         + format_report(violations))
    return tables


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis validate``."""
    parser.add_argument("--data-dir", default="data/raw",
                        help="raw-data folder to check (default data/raw)")


def main(args: argparse.Namespace) -> int:
    """Validate the folder: print a summary and return 0, or raise InputError with the report (exit 2)."""
    tables = load_raw(args.data_dir)
    sizes = ", ".join(f"{name} {len(df)} rows" for name, df in tables.items())
    print(f"valid: {relative_to_root(project_path(args.data_dir))} ({sizes})")
    return 0
