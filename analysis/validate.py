"""Validate a raw-data folder and load it: ``python -m analysis validate [--data-dir DIR] [--extraction-date D]``.

Every cell of the three raw tables is checked against its contract in
:mod:`analysis.schemas`: required columns (the first is the unique id), types,
Likert ranges from the codebooks, allowed category values, ISO 8601 dates, then
the links between tables (every staff_id and participant_id resolves, every
contact is logged under the participant's key worker), the order of dates, and
that no date lies after the data's extraction date. The survey must have enough
workers (:data:`analysis.schemas.MIN_WORKERS`) and usable items: no item column entirely empty,
no item or scale score constant, enough workers answering every item of each
scale (:data:`analysis.schemas.MIN_COMPLETE_ROWS`), so that later stages do not fail with a
message far from the cause.

Each violation names the file, the line as a user counts it in the CSV (the
header is line 1, the first data row line 2; blank lines and line breaks inside
quoted cells count, so the number is the line an editor shows, the line on which
the record starts), the column, the bad value and what was expected. All
violations of a file come in one report, capped at :data:`MAX_PER_FILE` lines
per file with a count of the rest. Validation never writes anything.

Files are opened only when they are regular files: a symlink pointing out of the
data folder, a folder, a named pipe (FIFO, which would block on opening), a
device or a socket in place of a CSV is refused before opening, as is a file
larger than *max_bytes* (:data:`MAX_FILE_BYTES` by default); reading stops at
that size too, so a file that grows or lies about its size cannot exhaust memory.

The pipeline loads raw data through :func:`load_raw`, which runs the same checks,
raises :class:`analysis.errors.InputError` carrying the whole report, and returns
each table sorted by its id column, so results never depend on the order of the
rows in the files.

>>> Violation("contacts.csv", 7, "staff_id", "S002", "'S001'", "not the key worker").message()
"contacts.csv, line 7, column 'staff_id': not the key worker: got 'S002'; expected 'S001'"
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import difflib
import io
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.codebook import ITEM_INSTRUMENTS, load_codebook
from analysis.config import project_path, relative_to_root
from analysis.errors import InputError
from analysis.io import FORMULA_TRIGGERS
from analysis.schemas import MIN_COMPLETE_ROWS, MIN_WORKERS, ColumnSpec, TableSpec, raw_schemas

#: Violations listed per file before the rest are only counted.
MAX_PER_FILE = 20

#: Largest raw file read, in bytes (512 MiB; the shipped contacts.csv of 40 000
#: meetings is under 2 MB). Override with ``max_bytes=`` of :func:`check_raw`.
MAX_FILE_BYTES = 512 * 1024 * 1024

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: Separators other than the comma that spreadsheets write, for the hint.
_OTHER_DELIMITERS = ((";", "semicolon"), ("\t", "tab"), ("|", "vertical bar"))


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


@dataclass
class _Parsed:
    """A parsed CSV: text cells, the CSV line of the header and of every data row."""

    frame: pd.DataFrame
    header_line: int
    lines: list[int]        # lines[i] = CSV line on which data row i starts


def _file_kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _read_bytes(path: Path, folder: Path, spec: TableSpec, max_bytes: int, out: list[Violation]) -> bytes | None:
    """The bytes of *path* if it is a regular file of at most *max_bytes* inside *folder*; else None.

    Checked with lstat / stat before opening, so a FIFO is never opened (opening
    one blocks until a writer appears); opened non-blocking and checked again with
    fstat in case the file was swapped in between; read at most *max_bytes* + 1 bytes.
    """
    f = spec.file
    regular = f"a regular file (the CSV {f}) inside {folder.name}/"

    def bad(problem: str, expected: str = regular, value: str | None = None) -> None:
        out.append(Violation(f, None, None, value, expected, problem))

    try:
        st = os.lstat(path)
    except FileNotFoundError:
        bad("file missing", f"the file {f} in {folder.name}/")
        return None
    except OSError as exc:
        bad(f"cannot be read ({exc.strerror})")
        return None
    if stat.S_ISLNK(st.st_mode):
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(folder))):
            bad("symbolic link to a file outside the data folder", regular + " (copy the file in, do not link it)",
                os.readlink(path))
            return None
        try:
            st = os.stat(path)
        except OSError:
            bad("broken symbolic link", regular, os.readlink(path))
            return None
    kind = _file_kind(st.st_mode)
    if kind is not None:
        bad(f"{kind}, not a regular file")
        return None
    too_big = f"at most {max_bytes} bytes (the size limit; pass max_bytes= to raise it)"
    if st.st_size > max_bytes:
        bad("file too large", too_big, f"{st.st_size} bytes")
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        bad(f"cannot be opened ({exc.strerror})")
        return None
    with os.fdopen(fd, "rb") as fh:
        kind = _file_kind(os.fstat(fh.fileno()).st_mode)
        if kind is not None:                # replaced between stat and open
            bad(f"{kind}, not a regular file")
            return None
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        bad("file too large", too_big, f"more than {max_bytes} bytes")
        return None
    return data


def _delimiter_hint(header: list[str], spec: TableSpec) -> tuple[str, str] | None:
    """(delimiter, its name) when the header splits into more contract columns on it than on commas."""
    joined = ",".join(header)
    with_comma = sum(c.strip() in spec.names for c in header)
    best = None
    for d, name in _OTHER_DELIMITERS:
        if d not in joined:
            continue
        hits = sum(c.strip() in spec.names for part in header for c in part.split(d))
        if hits > with_comma and hits >= 2 and (best is None or hits > best[0]):
            best = (hits, d, name)
    return None if best is None else (best[1], best[2])


def _parse(text: str, spec: TableSpec, out: list[Violation]) -> _Parsed | None:
    """Parse CSV *text*, keeping the physical line on which each record starts."""
    f = spec.file
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, int, list[str]]] = []       # (first line, last line, fields)
    prev = 0
    try:
        for row in reader:
            records.append((prev + 1, reader.line_num, row))
            prev = reader.line_num
    except csv.Error as exc:
        hint = "; is a quote left open on this line?" if "field limit" in str(exc) else ""
        out.append(Violation(f, prev + 1, None, None, "well-formed comma-separated values",
                             f"cannot be parsed as CSV ({exc}{hint})"))
        return None

    def blank(row: list[str]) -> bool:
        return not any(c.strip() for c in row)

    k = 0
    while k < len(records) and blank(records[k][2]):     # leading blank lines
        k += 1
    if k == len(records):
        out.append(Violation(f, 1, None, None, "a header line with " + ", ".join(spec.names), "empty file"))
        return None
    header_line, _, header = records[k]
    hint = _delimiter_hint(header, spec)
    if hint is not None:
        out.append(Violation(f, header_line, None, None,
                             "comma-separated values (save or export the file as CSV with ',' between fields)",
                             f"the file seems to use {hint[1]}s ({hint[0]!r}) between fields, not commas"))
        return None
    bad_width = False
    body, lines = [], []
    for first, last, r in records[k + 1:]:
        if len(r) != len(header) and not blank(r):
            span = f" (this record runs from line {first} to line {last}: is a quote left open?)" \
                if last > first else ""
            out.append(Violation(f, first, None, f"{len(r)} fields", f"{len(header)} fields as in the header",
                                 "wrong number of fields" + span))
            bad_width = True
        elif len(r) == len(header) or not blank(r):
            body.append(r)
            lines.append(first)
    if bad_width:
        return None
    if not body:
        out.append(Violation(f, None, None, None, "at least one data row", "no data rows"))
        return None
    return _Parsed(pd.DataFrame(body, columns=header, dtype=object), header_line, lines)


def _read(path: Path, folder: Path, spec: TableSpec, max_bytes: int, out: list[Violation]) -> _Parsed | None:
    """Read a CSV as text cells; None (with violations) when the file cannot be read or parsed."""
    data = _read_bytes(path, folder, spec, max_bytes, out)
    if data is None:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.append(Violation(spec.file, None, None, None, "UTF-8 text", f"not UTF-8 ({exc.reason} at byte {exc.start})"))
        return None
    return _parse(text, spec, out)


def _check_header(df: pd.DataFrame, spec: TableSpec, header_line: int, out: list[Violation]) -> list[ColumnSpec]:
    """Header checks; returns the specs of the columns present (cell checks run on those)."""
    got = list(df.columns)
    expected = spec.names
    dups = sorted({c for c in got if got.count(c) > 1})
    for c in dups:
        out.append(Violation(spec.file, header_line, c, c, "each column name once", "duplicate column name"))
    unexpected = [c for c in got if c not in expected]
    for c in unexpected:
        hint = difflib.get_close_matches(c, [e for e in expected if e not in got], n=1)
        exp = f"one of the contract's columns (did you mean {hint[0]!r}?)" if hint else \
            "only the columns " + ", ".join(expected)
        out.append(Violation(spec.file, header_line, c, c, exp, "unexpected column"))
    for c in expected:
        if c not in got:
            out.append(Violation(spec.file, header_line, c, None, f"a column named {c!r} (every column is required)",
                                 "missing column"))
    if got and got[0] != spec.id_column:
        out.append(Violation(spec.file, header_line, got[0], got[0], f"the id column {spec.id_column!r} first",
                             "wrong first column"))
    return [c for c in spec.columns if c.name in got and c.name not in dups]


def _check_column(s: pd.Series, c: ColumnSpec, file: str, lines: Sequence[int],
                  out: list[Violation]) -> pd.Series:
    """Cell checks of one column (*lines*[i]: CSV line of row i); returns the typed column (invalid cells missing)."""
    raw = s.astype(str)
    stripped = raw.str.strip()
    empty = stripped == ""
    if not c.nullable:
        for i in np.flatnonzero(empty.to_numpy()):
            out.append(Violation(file, lines[i], c.name, "", c.expected(), "empty cell"))
    if c.kind in ("id", "ref", "text"):
        if c.kind in ("id", "ref"):
            # output CSVs quote such text against formula injection (analysis.io.write_csv),
            # so a key like '=S1' would no longer match between raw and processed tables
            formula = ~empty & stripped.str.startswith(FORMULA_TRIGGERS)
            for i in np.flatnonzero(formula.to_numpy()):
                out.append(Violation(file, lines[i], c.name, raw.iloc[i],
                                     "an identifier not beginning with " + ", ".join(map(repr, FORMULA_TRIGGERS)),
                                     "identifier a spreadsheet would read as a formula"))
        if c.kind == "id":
            seen: dict[str, int] = {}
            for i, v in enumerate(stripped):
                if v == "":
                    continue
                if v in seen:
                    out.append(Violation(file, lines[i], c.name, v, f"a unique id (first used on line {seen[v]})",
                                         "duplicate id"))
                else:
                    seen[v] = lines[i]
        return stripped.where(~empty, None)
    if c.kind == "category":
        bad = ~empty & ~stripped.isin(c.allowed)
        for i in np.flatnonzero(bad.to_numpy()):
            out.append(Violation(file, lines[i], c.name, raw.iloc[i], c.expected(), "value not allowed"))
        return stripped.where(~empty & ~bad, None)
    if c.kind == "date":
        parsed = pd.to_datetime(stripped.where(stripped.str.match(_DATE_RE), None), format="%Y-%m-%d",
                                errors="coerce")
        bad = ~empty & parsed.isna()
        for i in np.flatnonzero(bad.to_numpy()):
            out.append(Violation(file, lines[i], c.name, raw.iloc[i], c.expected(), "not a valid date"))
        return parsed.astype("datetime64[ns]")
    # int / float
    num = pd.to_numeric(stripped.where(~empty, None), errors="coerce")
    notnum = ~empty & num.isna()
    for i in np.flatnonzero(notnum.to_numpy()):
        out.append(Violation(file, lines[i], c.name, raw.iloc[i], c.expected(), "not a number"))
    ok = ~empty & ~notnum
    if c.kind == "int":
        frac = ok & np.isfinite(num) & (num != np.round(num))
        for i in np.flatnonzero(frac.to_numpy()):
            out.append(Violation(file, lines[i], c.name, raw.iloc[i], c.expected(), "not a whole number"))
        ok &= ~frac
    inf = ok & ~np.isfinite(num.astype(float))
    for i in np.flatnonzero(inf.to_numpy()):
        out.append(Violation(file, lines[i], c.name, raw.iloc[i], c.expected(), "not a finite number"))
    ok &= ~inf
    out_range = ok.copy() & False
    if c.min is not None:
        out_range |= ok & (num < c.min)
    if c.max is not None:
        out_range |= ok & (num > c.max)
    for i in np.flatnonzero(out_range.to_numpy()):
        out.append(Violation(file, lines[i], c.name, raw.iloc[i], c.expected(), "out of range"))
    ok &= ~out_range
    typed = num.where(ok)
    return pd.array(np.where(ok, typed, np.nan), dtype="Float64").round().astype("Int64") if c.kind == "int" \
        else typed.astype("float64")


# --------------------------------------------------------------------------- table-level


def _check_dates_not_after(df: pd.DataFrame, spec: TableSpec, lines: Sequence[int], cutoff: dt.date,
                           cutoff_text: str, out: list[Violation]) -> None:
    """No date of any date column after *cutoff* (the extraction date, or today)."""
    limit = pd.Timestamp(cutoff)
    for c in spec.columns:
        if c.kind != "date" or c.name not in df:
            continue
        late = (df[c.name] > limit).to_numpy()
        for i in np.flatnonzero(late):
            out.append(Violation(spec.file, lines[i], c.name, df[c.name].iloc[i].strftime("%Y-%m-%d"),
                                 f"a date on or before {cutoff_text}", "date after the extraction date"))


def _scales() -> list[tuple[str, str, tuple[str, ...]]]:
    """(codebook id, scale name, items) of every instrument and subscale of the staff survey."""
    out = []
    for cid in ITEM_INSTRUMENTS:
        cb = load_codebook(cid)
        out.append((cid, cid, cb.items))
        out.extend((cid, f"{cid}_{name}", tuple(items)) for name, items in cb.subscales.items())
    return out


def _scale_score(values: pd.DataFrame, cid: str, whole: bool) -> pd.Series:
    """Score of complete rows as stage 02 computes it: formula (IIS total) on raw answers,
    else the sum of reverse-keyed answers (a mean is constant exactly when the sum is)."""
    cb = load_codebook(cid)
    if whole and cb.rule == "formula":
        sc = cb.scoring
        return sc.get("constant", 0) + values[list(sc["plus"])].sum(axis=1) - values[list(sc["minus"])].sum(axis=1)
    keyed = values.copy()
    for c in cb.reverse_keyed:
        if c in keyed:
            keyed[c] = cb.response_min + cb.response_max - keyed[c]
    return keyed.sum(axis=1)


def _check_survey(staff: pd.DataFrame, raw: pd.DataFrame, spec: TableSpec, skip: set[str],
                  out: list[Violation]) -> None:
    """Enough workers, and items and scales the psychometrics can use.

    *skip*: columns with cell violations, whose remaining values say nothing reliable.
    """
    f = spec.file
    n = len(staff)
    if n < MIN_WORKERS:
        out.append(Violation(f, None, None, f"{n} worker(s)",
                             f"at least {MIN_WORKERS} workers (data rows): fewer leave the QCA truth table and "
                             "the regressions without information", "too few workers"))
    usable: set[str] = set()
    for c in spec.columns:
        if not c.source or c.name not in staff or c.name in skip:
            continue
        answered = staff[c.name].dropna()
        if (raw[c.name].astype(str).str.strip() == "").all():
            out.append(Violation(f, None, c.name, None, f"answers from the workers ({c.source} item)",
                                 "item column entirely empty"))
        elif answered.nunique() == 1:
            out.append(Violation(f, None, c.name, None,
                                 "answers that differ between workers (a constant item has no variance, "
                                 "so reliability and factor analysis cannot use it)",
                                 f"constant item: every answer is {answered.iloc[0]}"))
        else:
            usable.add(c.name)
    for cid, name, items in _scales():
        if not set(items) <= usable:
            continue                        # a missing, empty or constant item is reported already
        cols = ", ".join(items)
        values = staff[list(items)].astype("float64")
        complete = values.dropna()
        if len(complete) < MIN_COMPLETE_ROWS:
            out.append(Violation(f, None, None, f"{len(complete)} worker(s)",
                                 f"at least {MIN_COMPLETE_ROWS} workers answering every item of the scale "
                                 "(reliability is computed on complete answers)",
                                 f"scale {name!r} (columns {cols}): too few complete answers"))
            continue
        score = _scale_score(complete, cid, whole=name == cid)
        if score.nunique() == 1:
            out.append(Violation(f, None, None, None,
                                 "scores that differ between workers (a constant scale has no variance)",
                                 f"scale {name!r} (columns {cols}): constant scale, every worker who answered "
                                 f"all its items scores {score.iloc[0]:g}"))
            continue
        for item in items:
            if complete[item].nunique() == 1:
                out.append(Violation(f, None, item, None,
                                     f"answers that differ between the workers who answered every item of "
                                     f"scale {name!r}",
                                     f"constant among the {len(complete)} complete answers of scale {name!r}: "
                                     f"every answer is {complete[item].iloc[0]:g}"))


def _check_links(tables: dict[str, pd.DataFrame], specs: dict[str, TableSpec],
                 lines: dict[str, Sequence[int]], out: list[Violation]) -> None:
    """References between tables, the key worker of every contact and the order of dates."""
    for name, df in tables.items():
        ln = lines[name]
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
                out.append(Violation(specs[name].file, ln[i], c.name, df[c.name].iloc[i],
                                     c.expected(), "unknown reference"))
    parts = tables.get("participants")
    if parts is not None:
        f = specs["participants"].file
        ln = lines["participants"]
        if {"start_date", "accommodation_entry_date"} <= set(parts):
            bad = parts["accommodation_entry_date"] < parts["start_date"]
            for i in np.flatnonzero(bad.to_numpy()):
                out.append(Violation(f, ln[i], "accommodation_entry_date",
                                     parts["accommodation_entry_date"].iloc[i].strftime("%Y-%m-%d"),
                                     f"a date on or after start_date ({parts['start_date'].iloc[i]:%Y-%m-%d})",
                                     "dates out of order"))
        if {"accommodation_entry_date", "sustained_6m", "sustained_12m"} <= set(parts):
            no_entry = parts["accommodation_entry_date"].isna()
            for col in ("sustained_6m", "sustained_12m"):
                bad = no_entry & parts[col].isin(["yes", "no"])
                for i in np.flatnonzero(bad.to_numpy()):
                    out.append(Violation(f, ln[i], col, parts[col].iloc[i],
                                         "'not_due' because accommodation_entry_date is empty (no entry yet)",
                                         "outcome without accommodation entry"))
            bad = (parts["sustained_12m"] == "yes") & (parts["sustained_6m"] == "no")
            for i in np.flatnonzero(bad.to_numpy()):
                out.append(Violation(f, ln[i], "sustained_12m", "yes",
                                     "'no' or 'not_due' when sustained_6m is 'no'", "inconsistent outcomes"))
    cont = tables.get("contacts")
    if cont is None or parts is None or "participant_id" not in cont or "participant_id" not in parts:
        return
    f = specs["contacts"].file
    ln = lines["contacts"]
    by_pid = parts.assign(_line=list(lines["participants"])).dropna(subset=["participant_id"]) \
        .drop_duplicates("participant_id").set_index("participant_id")
    if "date" in cont and "start_date" in parts:
        start = cont["participant_id"].map(by_pid["start_date"])
        bad = cont["date"] < start
        for i in np.flatnonzero(bad.to_numpy()):
            out.append(Violation(f, ln[i], "date", cont["date"].iloc[i].strftime("%Y-%m-%d"),
                                 f"a date on or after the participant's start_date ({start.iloc[i]:%Y-%m-%d})",
                                 "dates out of order"))
    if "staff_id" in cont and "staff_id" in parts:
        key = cont["participant_id"].map(by_pid["staff_id"])
        key_line = cont["participant_id"].map(by_pid["_line"])
        bad = cont["staff_id"].notna() & key.notna() & (cont["staff_id"] != key)
        for i in np.flatnonzero(bad.to_numpy()):
            out.append(Violation(f, ln[i], "staff_id", cont["staff_id"].iloc[i],
                                 f"the participant's key worker {key.iloc[i]!r} (participants.csv line "
                                 f"{int(key_line.iloc[i])}, participant {cont['participant_id'].iloc[i]})",
                                 "contact not logged under the participant's key worker"))


# --------------------------------------------------------------------------- public API


def _today_utc() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def check_raw(raw_dir: str | Path, *, extraction_date: dt.date | None = None,
              max_bytes: int = MAX_FILE_BYTES) -> tuple[dict[str, pd.DataFrame], list[Violation]]:
    """Check every raw table in *raw_dir*; return the typed tables and every violation found.

    extraction_date : no date in any table may lie after it; None means today's
        date in UTC (the data cannot describe the future), so pass the date the
        data were extracted to catch dates between extraction and today.
    max_bytes : largest file read (default :data:`MAX_FILE_BYTES`).

    The tables keep the rows in file order (row i of a table is the record the
    violations place on its line); :func:`load_raw` sorts them by id.
    """
    raw_dir = project_path(raw_dir)
    try:
        folder_mode = os.stat(raw_dir).st_mode
    except OSError:
        folder_mode = None
    if folder_mode is None or not stat.S_ISDIR(folder_mode):
        what = "does not exist" if folder_mode is None else f"is {_file_kind(folder_mode) or 'a file'}"
        raise InputError(f"{relative_to_root(raw_dir)}: not a folder ({what}); expected the raw-data folder "
                         "holding staff_survey.csv, participants.csv and contacts.csv")
    if isinstance(extraction_date, dt.datetime):
        extraction_date = extraction_date.date()
    if extraction_date is not None and not isinstance(extraction_date, dt.date):
        raise InputError(f"extraction_date: got {extraction_date!r}, expected a datetime.date or None")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise InputError(f"max_bytes: got {max_bytes!r}, expected a positive integer")
    if extraction_date is None:
        cutoff = _today_utc()
        cutoff_text = f"today ({cutoff:%Y-%m-%d}, UTC; no extraction date given)"
    else:
        cutoff = extraction_date
        cutoff_text = f"the data's extraction date {cutoff:%Y-%m-%d}"
    specs = raw_schemas()
    violations: list[Violation] = []
    tables: dict[str, pd.DataFrame] = {}
    lines: dict[str, list[int]] = {}
    for name, spec in specs.items():
        file_v: list[Violation] = []
        parsed = _read(raw_dir / spec.file, raw_dir, spec, max_bytes, file_v)
        if parsed is not None:
            df = parsed.frame
            present = _check_header(df, spec, parsed.header_line, file_v)
            typed = pd.DataFrame({c.name: _check_column(df[c.name], c, spec.file, parsed.lines, file_v)
                                  for c in present}, index=pd.RangeIndex(len(df)))
            typed = typed[[c for c in spec.names if c in typed]]
            _check_dates_not_after(typed, spec, parsed.lines, cutoff, cutoff_text, file_v)
            if name == "staff_survey":
                _check_survey(typed, df, spec, {v.column for v in file_v if v.column}, file_v)
            tables[name] = typed
            lines[name] = parsed.lines
        violations.extend(file_v)
    _check_links(tables, specs, lines, violations)
    order = {s.file: k for k, s in enumerate(specs.values())}
    violations.sort(key=lambda v: (order.get(v.file, 99), v.line if v.line is not None else 0))
    return tables, violations


def sort_by_id(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each table sorted by its id column (stable text order), index reset.

    >>> sort_by_id({"contacts": pd.DataFrame({"contact_id": ["C2", "C1"], "x": [2, 1]})})["contacts"]["x"].tolist()
    [1, 2]
    """
    specs = raw_schemas()
    out = {}
    for name, df in tables.items():
        key = specs[name].id_column if name in specs else df.columns[0]
        out[name] = df.sort_values(key, kind="stable", na_position="last").reset_index(drop=True)
    return out


def load_raw(raw_dir: str | Path, *, extraction_date: dt.date | None = None,
             max_bytes: int = MAX_FILE_BYTES) -> dict[str, pd.DataFrame]:
    """The validated raw tables of *raw_dir*, typed and sorted by id; InputError with the full report if any rule is broken.

    Returns {'staff_survey', 'participants', 'contacts'}: ids and categories as text,
    dates as datetime64, integers (items, ages, durations, wellbeing) as nullable Int64,
    tenure as float. Each table is sorted by its id column (text order), so no result
    depends on the order of the rows in the files. *extraction_date* and *max_bytes*
    as in :func:`check_raw` (no date after today, UTC, when no extraction date is given).
    """
    tables, violations = check_raw(raw_dir, extraction_date=extraction_date, max_bytes=max_bytes)
    if violations:
        raise InputError(f"raw data in {relative_to_root(project_path(raw_dir))} is not valid:\n"
                         + format_report(violations))
    return sort_by_id(tables)


def _iso_date(text: str) -> dt.date:
    """argparse type: a YYYY-MM-DD date."""
    if not _DATE_RE.match(text):
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}, which is not a valid date YYYY-MM-DD") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis validate``."""
    parser.add_argument("--data-dir", default="data/raw",
                        help="raw-data folder to check (default data/raw)")
    parser.add_argument("--extraction-date", type=_iso_date, default=None, metavar="YYYY-MM-DD",
                        help="date the data were extracted: no date in the files may be later "
                             "(default: today's date, UTC)")


def main(args: argparse.Namespace) -> int:
    """Validate the folder: print a summary and return 0, or raise InputError with the report (exit 2)."""
    tables = load_raw(args.data_dir, extraction_date=getattr(args, "extraction_date", None))
    sizes = ", ".join(f"{name} {len(df)} rows" for name, df in tables.items())
    print(f"valid: {relative_to_root(project_path(args.data_dir))} ({sizes})")
    return 0
