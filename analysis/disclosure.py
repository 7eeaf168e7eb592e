"""Statistical disclosure control for outputs made from real data.

Three tools, used by the pipeline on every run on data other than the shipped
stand-in (:mod:`analysis.datasets`) and by ``python -m analysis disclosure-check``:

* **Pseudonyms.** :func:`pseudonymise_folder` writes a copy of the raw files
  with every identifier (worker, participant, contact, organisation) replaced by
  a stable pseudonym, ``prefix + HMAC-SHA256(secret, kind:id)[:10]``, where the
  secret is derived from the raw files' contents (:func:`data_secret`): the
  same data always give the same pseudonyms (outputs stay deterministic),
  and no one without the data can compute or reverse them. The key (raw id ->
  pseudonym) is written only to the run's ``private/`` folder.
* **Small cells.** :func:`suppress_small_cells` replaces counts below a
  threshold *k* (default 5, a common threshold rule) by ``"<k"`` and blanks the
  case lists of those rows, in tables meant for release.
* **The check.** :func:`scan` looks through a folder (CSV, JSON, Markdown,
  HTML, SVG, typst, notebooks, PDF text) for raw identifiers as whole tokens and
  for small counts in CSV count columns, and reports each with file, line and
  column.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import io
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.io import atomic_write_text

#: Identifier columns of each raw file and the kind of identifier they hold.
ID_COLUMNS: dict[str, dict[str, str]] = {
    "staff_survey.csv": {"staff_id": "staff", "organisation": "organisation"},
    "participants.csv": {"participant_id": "participant", "staff_id": "staff"},
    "contacts.csv": {"contact_id": "contact", "participant_id": "participant", "staff_id": "staff"},
}
#: Pseudonym prefix of each kind.
PREFIXES = {"staff": "W", "participant": "P", "contact": "C", "organisation": "ORG"}
#: Column names treated as case counts in release tables (compared in lower case).
COUNT_COLUMNS = frozenset({"n", "n_cases", "cases_n", "count", "freq", "frequency", "n_workers",
                           "n_participants"})
#: Default threshold: a count below it is a small cell.
DEFAULT_K = 5
#: Identifiers shorter than this are not searched for (they would match ordinary text).
MIN_IDENTIFIER_LENGTH = 3
#: Files above this size are reported, not read.
MAX_SCAN_BYTES = 200 * 1024 * 1024
TEXT_SUFFIXES = {".csv", ".tsv", ".json", ".md", ".txt", ".html", ".htm", ".svg", ".typ", ".tex", ".ipynb",
                 ".yaml", ".yml"}


# --------------------------------------------------------------------------- pseudonyms


def data_secret(raw_dir: Path) -> bytes:
    """A secret from the raw files' bytes: sha256 over each file's name and sha256, by file name."""
    h = hashlib.sha256(b"sbw-compendium pseudonyms v1\n")
    for name in sorted(ID_COLUMNS):
        path = Path(raw_dir) / name
        h.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.digest()


class Pseudonymiser:
    """Stable pseudonyms: ``PREFIX + first 10 upper-case hex digits of HMAC-SHA256(secret, 'kind:id')``.

    >>> p = Pseudonymiser(b"k")
    >>> p.pseudonym("staff", "S001") == p.pseudonym("staff", "S001"), p.pseudonym("staff", "S001")[:1]
    (True, 'W')
    """

    def __init__(self, secret: bytes):
        self.secret = bytes(secret)
        self.key: dict[tuple[str, str], str] = {}
        self._seen: dict[tuple[str, str], str] = {}

    def pseudonym(self, kind: str, raw_id: str) -> str:
        if kind not in PREFIXES:
            raise ValueError(f"unknown identifier kind {kind!r}; kinds: {', '.join(PREFIXES)}")
        cached = self.key.get((kind, raw_id))
        if cached is not None:
            return cached
        digest = hmac.new(self.secret, f"{kind}:{raw_id}".encode(), hashlib.sha256).hexdigest()
        value = PREFIXES[kind] + digest[:10].upper()
        other = self._seen.get((kind, value))
        if other is not None and other != raw_id:
            raise ValueError(f"pseudonym collision between {kind} ids {other!r} and {raw_id!r}")
        self._seen[(kind, value)] = raw_id
        self.key[(kind, raw_id)] = value
        return value


def _read_rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def pseudonymise_folder(raw_dir: Path, out_dir: Path, private_dir: Path) -> dict[str, int]:
    """Write *raw_dir*'s raw files to *out_dir* with identifiers pseudonymised; the key to *private_dir*.

    Every other cell, the header and the row order are kept; empty identifier
    cells stay empty. Returns the number of distinct identifiers per kind.
    """
    raw_dir, out_dir, private_dir = Path(raw_dir), Path(out_dir), Path(private_dir)
    pseudo = Pseudonymiser(data_secret(raw_dir))
    for name, columns in ID_COLUMNS.items():
        rows = _read_rows(raw_dir / name)
        if not rows:
            raise InputError(f"{name}: empty file")
        header = rows[0]
        where = {header.index(c): kind for c, kind in columns.items() if c in header}
        for row in rows[1:]:
            for j, kind in where.items():
                if j < len(row) and row[j].strip():
                    row[j] = pseudo.pseudonym(kind, row[j].strip())
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        atomic_write_text(out_dir / name, buf.getvalue())
    key = pd.DataFrame([{"kind": k, "raw_id": r, "pseudonym": p} for (k, r), p in pseudo.key.items()],
                       columns=["kind", "raw_id", "pseudonym"]).sort_values(["kind", "pseudonym"])
    atomic_write_text(private_dir / "pseudonym_key.csv", key.to_csv(index=False, lineterminator="\n"))
    atomic_write_text(private_dir / "README.md",
                      "# Private: never share or commit this folder\n\n"
                      "`pseudonym_key.csv` re-identifies every pseudonym in this run's outputs, and\n"
                      "`pseudonymised/` is a copy of the raw records (still personal data). Keep both\n"
                      "where the data-sharing agreement allows the raw data to be kept.\n")
    return {kind: int((key["kind"] == kind).sum()) for kind in PREFIXES}


# --------------------------------------------------------------------------- small cells


def suppress_small_cells(df: pd.DataFrame, k: int = DEFAULT_K, count_columns: Iterable[str] | None = None,
                         blank_columns: Iterable[str] = ("cases",)) -> tuple[pd.DataFrame, int]:
    """A copy of *df* with counts 0 < n < *k* replaced by ``"<k"`` and those rows' case lists blanked.

    Zero stays (an empty truth-table row discloses no one). Returns the copy
    and the number of rows suppressed.

    >>> out, n = suppress_small_cells(pd.DataFrame({"n": [6, 2, 0], "cases": ["a,b,c,d,e,f", "g,h", ""]}))
    >>> out["n"].tolist(), out["cases"].tolist(), n
    (['6', '<5', '0'], ['a,b,c,d,e,f', '', ''], 1)
    """
    if int(k) < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    counts = [c for c in df.columns if str(c).lower() in COUNT_COLUMNS] if count_columns is None \
        else [c for c in count_columns if c in df.columns]
    blanks = [c for c in df.columns if str(c) in set(blank_columns) or str(c).endswith("_cases")]
    out = df.copy()
    small = pd.Series(False, index=df.index)
    for c in counts:
        num = pd.to_numeric(df[c], errors="coerce")
        small |= (num > 0) & (num < k)
    for c in counts:
        num = pd.to_numeric(df[c], errors="coerce")
        out[c] = [f"<{k}" if (v > 0 and v < k) else ("" if pd.isna(v) else f"{v:g}")
                  for v in num]
    for c in blanks:
        out[c] = out[c].astype(object)
        out.loc[small, c] = ""
    return out, int(small.sum())


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class Finding:
    """Something in a file that should not be shared: a raw identifier or a small cell."""

    file: str
    line: int | None
    column: int | str | None
    kind: str  # "identifier", "small-cell" or "unread"
    detail: str

    def message(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "") + \
            (f":{self.column}" if self.column is not None else "")
        return f"{where}: {self.kind}: {self.detail}"


def identifiers_from_raw(raw_dir: Path) -> set[str]:
    """The raw identifier values (:data:`ID_COLUMNS`) of a raw-data folder."""
    out: set[str] = set()
    for name, columns in ID_COLUMNS.items():
        path = Path(raw_dir) / name
        if not path.is_file():
            continue
        rows = _read_rows(path)
        if not rows:
            continue
        idx = [rows[0].index(c) for c in columns if c in rows[0]]
        for row in rows[1:]:
            out.update(row[j].strip() for j in idx if j < len(row) and row[j].strip())
    return out


def _pattern(identifiers: Iterable[str]) -> re.Pattern[str] | None:
    ids = sorted({i for i in identifiers if len(i) >= MIN_IDENTIFIER_LENGTH}, key=lambda s: (-len(s), s))
    if not ids:
        return None
    return re.compile(r"(?<![A-Za-z0-9_])(?:" + "|".join(map(re.escape, ids)) + r")(?![A-Za-z0-9_])")


def _pdf_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def _small_cells(rel: str, text: str, k: int, delimiter: str) -> list[Finding]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        return []
    header = rows[0]
    cols = [(j, c) for j, c in enumerate(header) if c.strip().lower() in COUNT_COLUMNS]
    found = []
    for i, row in enumerate(rows[1:], start=2):
        for j, name in cols:
            if j < len(row):
                try:
                    v = float(row[j])
                except ValueError:
                    continue
                if v == int(v) and 0 < v < k:
                    found.append(Finding(rel, i, name, "small-cell", f"count {int(v)} < {k}"))
    return found


def scan(folder: Path, *, identifiers: Iterable[str] = (), k: int = DEFAULT_K) -> list[Finding]:
    """Every raw identifier (whole token) and small count (< *k*) in the files under *folder*.

    Symlinks are not followed and a folder named ``private`` is skipped (it
    holds the key by design).
    """
    folder = Path(folder)
    pattern = _pattern(identifiers)
    findings: list[Finding] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != "private")
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):
                continue
            suffix = path.suffix.lower()
            if suffix not in TEXT_SUFFIXES and suffix != ".pdf":
                continue
            if st.st_size > MAX_SCAN_BYTES:
                findings.append(Finding(rel, None, None, "unread", f"larger than {MAX_SCAN_BYTES} bytes"))
                continue
            if suffix == ".pdf":
                pages = _pdf_pages(path)
                if pattern is not None:
                    for p, text in enumerate(pages, 1):
                        for m in pattern.finditer(text):
                            findings.append(Finding(rel, p, None, "identifier", f"{m.group(0)!r} (page {p})"))
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
            if pattern is not None:
                for ln, line in enumerate(text.splitlines(), 1):
                    for m in pattern.finditer(line):
                        findings.append(Finding(rel, ln, m.start() + 1, "identifier", repr(m.group(0))))
            if suffix in (".csv", ".tsv"):
                findings.extend(_small_cells(rel, text, k, "\t" if suffix == ".tsv" else ","))
    return findings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis disclosure-check``."""
    parser.add_argument("folder", metavar="DIR", help="the folder to check before anything in it is shared")
    parser.add_argument("--data-dir", metavar="RAW", default=None,
                        help="the raw-data folder whose identifiers must not appear")
    parser.add_argument("--identifiers", metavar="FILE", default=None,
                        help="a text file of identifiers that must not appear, one per line")
    parser.add_argument("-k", type=int, default=DEFAULT_K,
                        help=f"small-cell threshold: counts below it are reported (default {DEFAULT_K})")


def main(args: argparse.Namespace) -> int:
    """Print each finding; exit 1 when anything was found, 0 otherwise."""
    from analysis.config import project_path

    folder = project_path(args.folder)
    if not folder.is_dir():
        raise InputError(f"{args.folder}: not a folder")
    if args.k < 1:
        raise InputError(f"-k {args.k}: the threshold must be at least 1")
    ids: set[str] = set()
    if args.data_dir:
        raw = project_path(args.data_dir)
        if not raw.is_dir():
            raise InputError(f"--data-dir {args.data_dir}: not a folder")
        ids |= identifiers_from_raw(raw)
    if args.identifiers:
        path = project_path(args.identifiers)
        if not path.is_file():
            raise InputError(f"--identifiers {args.identifiers}: no such file")
        ids |= {ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()}
    if not ids:
        print("note: no identifiers given (--data-dir or --identifiers): only small cells are checked")
    findings = scan(folder, identifiers=ids, k=args.k)
    for f in findings:
        print(f.message())
    if not findings:
        print(f"no raw identifiers and no small cells found in {args.folder}")
        return 0
    n_id = sum(f.kind == "identifier" for f in findings)
    n_small = sum(f.kind == "small-cell" for f in findings)
    files = len({f.file for f in findings})
    print(f"{len(findings)} finding(s): {n_id} identifier(s), {n_small} small cell(s) in {files} file(s)")
    return 1
