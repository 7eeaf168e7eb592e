"""Statistical disclosure control for outputs made from real, personal data.

Three tools, for a data owner who runs the pipeline on the real records and
wants to share its outputs:

* **Pseudonyms** (:func:`data_secret`, :class:`Pseudonymiser`,
  :func:`pseudonymise_folder`): every identifier of the raw tables (worker,
  participant, contact, organisation) is replaced by a keyed hash,
  ``prefix + first 10 hex digits of HMAC-SHA256(secret, "kind:raw_id")``. The
  secret is a hash of the raw files themselves, so nobody without the data can
  compute or reverse a pseudonym, and the same data always give the same
  pseudonyms (outputs stay deterministic). The re-identification key goes to a
  separate private folder, never to the outputs.
* **Small cells** (:data:`COUNT_COLUMNS`, :func:`suppress_small_cells`): in a
  release table, counts from 1 to k-1 become ``"<k"`` and the case lists of
  those rows are blanked, so that no row points at one or a few people.
* **The check** (:func:`scan`, ``python -m analysis disclosure-check DIR``):
  walks an output folder and reports every raw identifier it finds (in CSV,
  JSON, notebooks with their outputs, Markdown, HTML, SVG, Typst, LaTeX, YAML,
  text and the text of PDFs, and in file names) and every small count in CSV/TSV
  tables, with file, line and column.

What the check cannot see: text drawn as paths or pixels (PNG figures, SVG text
converted to paths), binary formats other than PDF, and small counts outside
CSV/TSV count columns (a count in prose, a Markdown table, a JSON file) or
recoverable by differencing two tables (secondary disclosure). A clean report
is necessary, not sufficient, for a release.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import hashlib
import hmac
import io
import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from analysis.errors import InputError
from analysis.io import atomic_write_text

# --------------------------------------------------------------------------- pseudonyms

#: Pseudonym prefix of each kind of identifier.
PREFIXES: dict[str, str] = {"staff": "W", "participant": "P", "contact": "C", "organisation": "ORG"}

#: Hex digits of the HMAC kept in a pseudonym (40 bits: a collision among 10^5
#: ids of one kind has probability ~ 5e-3 and is detected, never silent).
PSEUDONYM_HEX_DIGITS = 10

#: Identifier columns of each raw file and the kind of identifier they hold.
#: A worker's staff_id is the same kind wherever it appears, so a participant's
#: key worker keeps pointing at the same (pseudonymised) worker.
ID_COLUMNS: dict[str, dict[str, str]] = {
    "staff_survey.csv": {"staff_id": "staff", "organisation": "organisation"},
    "participants.csv": {"participant_id": "participant", "staff_id": "staff"},
    "contacts.csv": {"contact_id": "contact", "participant_id": "participant", "staff_id": "staff"},
}

#: The raw files, in the fixed order (by file name) in which data_secret hashes them.
RAW_FILES: tuple[str, ...] = tuple(sorted(ID_COLUMNS))

KEY_FILE = "pseudonym_key.csv"

_PRIVATE_README = """\
# Private: re-identification key

`pseudonym_key.csv` in this folder maps every pseudonym in the pseudonymised
data (W..., P..., C..., ORG...) back to the raw identifier of the worker,
participant, contact or organisation it stands for.

**This folder holds the re-identification key. Never share it, never copy it
into an output, never commit it to git or any repository** (the `.gitignore`
here tells git to ignore the whole folder). Keep it with the raw data, under
the same access rules, and delete it when the raw data are deleted.

Written by `analysis.disclosure.pseudonymise_folder`; `python -m analysis
disclosure-check` skips folders named `private`.
"""


class PseudonymCollision(ValueError):
    """Two different raw identifiers of one kind were given the same pseudonym."""


def data_secret(raw_dir: str | Path) -> bytes:
    """A secret derived from the raw files' contents, independent of their row order.

    Each of the three raw files (:data:`RAW_FILES`, in a fixed order by name) is
    read as CSV records; its header and its data records, sorted, are hashed
    with the file's name, each field framed by its length, so that no two
    different tables give the same input. Anyone without the complete raw data
    cannot know the secret; the same data always give the same 32-byte secret,
    whatever the order of their rows (so pseudonyms, and every result, do not
    depend on row order); changing any cell changes every pseudonym.
    """
    raw_dir = Path(raw_dir)
    h = hashlib.sha256(b"analysis.disclosure data_secret v2\0")
    for name in RAW_FILES:
        path = raw_dir / name
        if not path.is_file():
            raise InputError(f"{path}: raw file not found (a raw-data folder holds {', '.join(RAW_FILES)})")
        text = path.read_bytes().decode("utf-8-sig", errors="surrogateescape")
        rows = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
        header, body = (rows[0], sorted(rows[1:])) if rows else ([], [])
        h.update(name.encode("utf-8") + b"\0" + str(len(body)).encode("ascii") + b"\0")
        for row in [header, *body]:
            for cell in row:
                b = cell.encode("utf-8", errors="surrogateescape")
                h.update(str(len(b)).encode("ascii") + b":" + b)
            h.update(b"\n")
    return h.digest()


class Pseudonymiser:
    """Keyed, deterministic pseudonyms: ``prefix + HMAC-SHA256(secret, "kind:raw_id")[:10]``, upper-case hex.

    >>> p = Pseudonymiser(b"not a real secret")
    >>> p.pseudonym("staff", "S001")
    'W99D5BA838C'
    >>> p.pseudonym("staff", "S001") == p.pseudonym("staff", "S001")
    True
    """

    def __init__(self, secret: bytes):
        if not isinstance(secret, (bytes, bytearray)) or not secret:
            raise ValueError("the secret must be non-empty bytes (see data_secret)")
        self._secret = bytes(secret)
        #: kind -> pseudonym -> raw id (for collision detection and the key)
        self._seen: dict[str, dict[str, str]] = {kind: {} for kind in PREFIXES}

    def pseudonym(self, kind: str, raw_id: str) -> str:
        """The pseudonym of *raw_id* of *kind* ('staff', 'participant', 'contact', 'organisation')."""
        if kind not in PREFIXES:
            raise ValueError(f"unknown identifier kind {kind!r}; expected one of {', '.join(PREFIXES)}")
        if not isinstance(raw_id, str) or raw_id == "":
            raise ValueError(f"a {kind} identifier must be a non-empty string, got {raw_id!r}")
        digest = hmac.new(self._secret, f"{kind}:{raw_id}".encode("utf-8"), hashlib.sha256).hexdigest()
        value = PREFIXES[kind] + digest[:PSEUDONYM_HEX_DIGITS].upper()
        seen = self._seen[kind]
        other = seen.setdefault(value, raw_id)
        if other != raw_id:
            raise PseudonymCollision(
                f"{kind} identifiers {other!r} and {raw_id!r} have the same pseudonym {value}; "
                f"pseudonyms would no longer be unique (lengthen PSEUDONYM_HEX_DIGITS)")
        return value

    def key(self) -> list[tuple[str, str, str]]:
        """(kind, raw_id, pseudonym) of every pseudonym given so far, sorted by kind then pseudonym."""
        rows = [(kind, raw, pseud) for kind, m in self._seen.items() for pseud, raw in m.items()]
        return sorted(rows, key=lambda r: (r[0], r[2]))

    def counts(self) -> dict[str, int]:
        """Pseudonyms given per kind (every kind, zero included)."""
        return {kind: len(m) for kind, m in self._seen.items()}


def _read_csv_text(path: Path) -> list[list[str]]:
    """The rows of a CSV file as text cells (UTF-8; a leading byte-order mark is dropped)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.reader(fh))
    except FileNotFoundError:
        raise InputError(f"{path}: raw file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc})") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None


def _id_column_indexes(path: Path, header: list[str], columns: dict[str, str]) -> dict[int, str]:
    """Column index -> kind of the identifier columns of a raw file; InputError when one is missing."""
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"{path}: identifier column(s) {', '.join(missing)} not in the header "
                         f"({', '.join(header) or 'empty'})")
    return {header.index(c): kind for c, kind in columns.items()}


def _to_csv_text(rows: Iterable[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue()


def _is_within(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def _raw_tables(raw_dir: Path):
    """(file name, CSV rows, identifier column index -> kind) of each raw file; InputError on an empty file."""
    for name in RAW_FILES:
        path = raw_dir / name
        rows = _read_csv_text(path)
        if not rows:
            raise InputError(f"{path}: empty file (expected a header line)")
        yield name, rows, _id_column_indexes(path, rows[0], ID_COLUMNS[name])


def pseudonymise_folder(raw_dir: str | Path, out_dir: str | Path, private_dir: str | Path) -> dict[str, int]:
    """Write the three raw CSVs of *raw_dir* to *out_dir* with every identifier replaced by its pseudonym.

    Cells are read and written as text with the csv module: the header, the
    row order and every non-identifier cell stay exactly as they were; empty
    identifier cells stay empty; lines end with '\\n'; files are UTF-8 and
    written atomically. The secret is :func:`data_secret` of *raw_dir*, so the
    same raw data always give the same files. Other files of *raw_dir* (a
    README, notes) are not copied.

    The key (columns kind, raw_id, pseudonym; sorted by kind then pseudonym)
    goes to ``private_dir / "pseudonym_key.csv"``, with a README.md saying what
    it is and a .gitignore that keeps git away from the folder. *private_dir*
    may not be *out_dir* or inside it, and *out_dir* may not be *raw_dir*.

    Returns the number of pseudonyms per kind.
    """
    raw_dir, out_dir, private_dir = Path(raw_dir), Path(out_dir), Path(private_dir)
    if not raw_dir.is_dir():
        raise InputError(f"{raw_dir}: not a folder")
    if out_dir.exists() and raw_dir.resolve() == out_dir.resolve():
        raise InputError(f"{out_dir}: the output folder is the raw-data folder; the raw files would be overwritten")
    if _is_within(private_dir, out_dir):
        raise InputError(f"{private_dir}: the private folder for the re-identification key may not be "
                         f"the output folder {out_dir} or inside it")
    pseud = Pseudonymiser(data_secret(raw_dir))
    texts: dict[str, str] = {}
    for name, rows, columns in _raw_tables(raw_dir):
        out_rows = [rows[0]]
        for row in rows[1:]:
            new = list(row)
            for i, kind in columns.items():
                if i < len(new) and new[i] != "":
                    new[i] = pseud.pseudonym(kind, new[i])
            out_rows.append(new)
        texts[name] = _to_csv_text(out_rows)
    # every file is computed before anything is written, so an error leaves nothing half done
    for name, text in texts.items():
        atomic_write_text(out_dir / name, text)
    key_text = _to_csv_text([["kind", "raw_id", "pseudonym"], *map(list, pseud.key())])
    atomic_write_text(private_dir / KEY_FILE, key_text)
    atomic_write_text(private_dir / "README.md", _PRIVATE_README)
    atomic_write_text(private_dir / ".gitignore", "# the re-identification key: never commit\n*\n")
    return pseud.counts()


def identifiers_from_raw(raw_dir: str | Path) -> set[str]:
    """Every non-empty value of the identifier columns (:data:`ID_COLUMNS`) of a raw-data folder."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(f"{raw_dir}: not a folder")
    out: set[str] = set()
    for _, rows, columns in _raw_tables(raw_dir):
        for row in rows[1:]:
            for i in columns:
                if i < len(row) and row[i].strip():
                    out.add(row[i].strip())
    return out


# --------------------------------------------------------------------------- small cells

#: Column names (compared case-insensitively) that hold case counts in release tables.
COUNT_COLUMNS: frozenset[str] = frozenset({
    "n", "n_cases", "cases_n", "count", "freq", "frequency", "n_workers", "n_participants",
    "n_staff", "n_obs",
})

_INT_TEXT = re.compile(r"^\s*\+?(\d+)(?:\.0*)?\s*$")


def _is_count_column(name: object, count_columns: Iterable[str] | None = None) -> bool:
    names = COUNT_COLUMNS if count_columns is None else {str(c).lower() for c in count_columns}
    return str(name).strip().lower() in names


def _count_value(value: object) -> int | None:
    """*value* as a whole-number count, or None (text, fractions, missing, booleans)."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return int(v) if v == v and v not in (float("inf"), float("-inf")) and v.is_integer() else None
    if isinstance(value, str):
        m = _INT_TEXT.match(value)
        return int(m.group(1)) if m else None
    return None


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1 (counts from 1 to k-1 are suppressed), got {k}")
    return k


def suppress_small_cells(df: pd.DataFrame, k: int = 5, count_columns: Iterable[str] | None = None,
                         blank_columns: Iterable[str] = ("cases",)) -> tuple[pd.DataFrame, int]:
    """A copy of *df* with every count from 1 to k-1 replaced by ``"<k"``; and the number of rows suppressed.

    Count columns are those of :data:`COUNT_COLUMNS` (or *count_columns*),
    compared case-insensitively. In each row with a small count, the columns
    listing cases (named in *blank_columns*, or ending in ``_cases``, and not
    themselves count columns such as ``n_cases``) are blanked to "", since a
    case list names the few people the count protects. Zero stays zero: an
    empty truth-table row discloses nothing. Non-integer values are left alone.

    >>> out, n = suppress_small_cells(pd.DataFrame({"n": [0, 2, 7], "cases": ["", "S1,S2", "S3"]}))
    >>> out["n"].tolist(), out["cases"].tolist(), n
    ([0, '<5', 7], ['', '', 'S3'], 1)
    """
    k = _check_k(k)
    counts = [c for c in df.columns if _is_count_column(c, count_columns)]
    blank_names = {str(c).strip().lower() for c in blank_columns}
    blanks = [c for c in df.columns if c not in counts
              and (str(c).strip().lower() in blank_names or str(c).strip().lower().endswith("_cases"))]
    out = df.copy()
    small_rows = pd.Series(False, index=df.index)
    for c in counts:
        values = df[c].map(_count_value)
        small = values.map(lambda v: v is not None and 0 < v < k).astype(bool)
        if small.any():
            out[c] = out[c].astype(object)
            out.loc[small, c] = f"<{k}"
            small_rows |= small
    if small_rows.any():
        for c in blanks:
            out[c] = out[c].astype(object)
            out.loc[small_rows, c] = ""
    return out, int(small_rows.sum())


# --------------------------------------------------------------------------- the check

#: Files larger than this are reported, not read.
MAX_FILE_BYTES = 200 * 1024 * 1024

#: Extensions (lower case) read as text.
TEXT_SUFFIXES: frozenset[str] = frozenset({
    ".csv", ".tsv", ".json", ".md", ".txt", ".html", ".htm", ".svg", ".typ", ".tex", ".ipynb", ".yaml", ".yml",
})

#: Folders (by name, at any depth) that are not checked: they hold the key, by design.
SKIP_FOLDERS: frozenset[str] = frozenset({"private"})

#: Identifiers shorter than this are not searched for: a 1- or 2-character id
#: ("7", "A1") occurs as a token in almost any output (numbers, labels, cell
#: references), so every file would be flagged and real findings drowned.
#: Such ids cannot be checked by text search at all; pseudonymise them instead.
MIN_IDENTIFIER_LENGTH = 3


@dataclass(frozen=True)
class Finding:
    """One thing in an output that may disclose: a raw identifier or a small count.

    *kind* is 'identifier' or 'small-cell' (or 'unchecked' for a file the scan
    could not read: too large, an unreadable PDF). *line* is 1-based (the page
    for a PDF; the header is line 1 of a CSV); *column* is the 1-based character
    column of an identifier, or the column name of a small count.
    """

    file: str
    line: int | None
    column: int | str | None
    kind: str
    detail: str

    def message(self) -> str:
        """'path:line:column: kind: detail' (line and column left out when unknown)."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        elif self.column is not None:
            where += f":{self.column}"
        return f"{where}: {self.kind}: {self.detail}"


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of *words*, built as a trie so thousands of words match in linear time.

    At each node the alternatives start with different characters, and a word
    ending at a node with longer continuations makes the rest optional (greedy),
    so the longest identifier is tried first and shorter ones on backtracking.
    """
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        parts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch != ""]
        if not parts:
            return ""
        body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        return f"(?:{body})?" if end else body

    return build(trie)


# A token boundary: no letter or digit next to the match (underscore, hyphen,
# punctuation and space separate tokens, so "S001" is found in "worker_S001"
# but not in "S0012"). Before the match, a JSON/repr escape (\n, \t, \r, \uXXXX)
# also counts as a boundary: notebook outputs are stored as "...\nS001...".
_BEFORE = r"(?:(?<![^\W_])|(?<=\\[ntrbf])|(?<=\\u[0-9a-fA-F]{4}))"
_AFTER = r"(?![^\W_])"


def compile_identifiers(identifiers: Iterable[str]) -> re.Pattern[str] | None:
    """One compiled regex for whole-token occurrences of *identifiers*, or None when none is long enough."""
    words = {str(i) for i in identifiers if len(str(i)) >= MIN_IDENTIFIER_LENGTH}
    if not words:
        return None
    return re.compile(_BEFORE + "(?:" + _trie_pattern(words) + ")" + _AFTER)


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _identifier_findings(text: str, pattern: re.Pattern[str], file: str, *, page: int | None = None) -> Iterator[Finding]:
    starts: list[int] | None = None
    for m in pattern.finditer(text):
        if page is not None:
            yield Finding(file, page, None, "identifier", f"raw identifier {m.group()!r} (page {page})")
            continue
        if starts is None:
            starts = _line_starts(text)
        i = bisect.bisect_right(starts, m.start()) - 1
        yield Finding(file, i + 1, m.start() - starts[i] + 1, "identifier", f"raw identifier {m.group()!r}")


def _small_cell_findings(text: str, file: str, delimiter: str, k: int) -> Iterator[Finding]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    counts: dict[int, str] = {}
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1   # a quoted cell may span lines: report the row's first
            if not row:
                continue
            if header is None:
                header = row
                counts = {i: name for i, name in enumerate(header) if _is_count_column(name)}
                if not counts:
                    return
                continue
            for i, name in counts.items():
                if i < len(row):
                    v = _count_value(row[i])
                    if v is not None and 0 < v < k:
                        yield Finding(file, line, name, "small-cell",
                                      f"count {row[i].strip()} < {k} in column {name!r}")
    except csv.Error as exc:
        yield Finding(file, reader.line_num, None, "unchecked", f"CSV not fully read for small cells ({exc})")


def _pdf_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            try:
                pages.append(textpage.get_text_range())
            finally:
                textpage.close()
                page.close()
        return pages
    finally:
        pdf.close()


def _walk(folder: Path) -> Iterator[Path]:
    """Regular files under *folder*, sorted, without following symlinks, skipping SKIP_FOLDERS."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_FOLDERS
                             and not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if not p.is_symlink() and p.is_file():
                yield p


def scan(folder: str | Path, *, identifiers: Iterable[str] = (), k: int = 5) -> list[Finding]:
    """Every raw identifier and small count found in the files under *folder*.

    * Files: walked recursively, symlinks not followed, folders named
      ``private`` skipped; files with a suffix in :data:`TEXT_SUFFIXES` are read
      as UTF-8 text (bad bytes replaced), ``.ipynb`` as its whole JSON text
      (outputs included), ``.pdf`` page by page with pypdfium2 (line = page).
      Files over :data:`MAX_FILE_BYTES` are reported as 'unchecked', not read.
    * Identifiers: every whole-token occurrence (case-sensitive) of an
      identifier of at least :data:`MIN_IDENTIFIER_LENGTH` characters, with
      1-based line and column; also in the file's path below *folder*.
    * Small cells: in .csv/.tsv files, every cell of a count column
      (:data:`COUNT_COLUMNS`) holding an integer 0 < v < k (header = line 1);
      cells already suppressed (``"<5"``) are fine.

    Findings come sorted by file (a folder's files before its subfolders),
    then by line.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    k = _check_k(k)
    pattern = compile_identifiers(identifiers)
    findings: list[Finding] = []
    for path in _walk(folder):
        file = path.as_posix()
        suffix = path.suffix.lower()
        if pattern is not None:
            rel = path.relative_to(folder).as_posix()
            for m in pattern.finditer(rel):
                findings.append(Finding(file, None, None, "identifier",
                                        f"raw identifier {m.group()!r} in the file's name"))
        if suffix not in TEXT_SUFFIXES and suffix != ".pdf":
            continue
        try:
            size = path.stat().st_size
        except OSError as exc:
            findings.append(Finding(file, None, None, "unchecked", f"not readable ({exc.strerror})"))
            continue
        if size > MAX_FILE_BYTES:
            findings.append(Finding(file, None, None, "unchecked",
                                    f"{size / 2**20:.0f} MB, larger than {MAX_FILE_BYTES // 2**20} MB: "
                                    "not read; check it by hand"))
            continue
        if suffix == ".pdf":
            if pattern is None:
                continue
            try:
                pages = _pdf_pages(path)
            except Exception as exc:  # pdfium raises its own error types for damaged files
                findings.append(Finding(file, None, None, "unchecked", f"PDF text not readable ({exc})"))
                continue
            for n, text in enumerate(pages, start=1):
                findings.extend(_identifier_findings(text, pattern, file, page=n))
            continue
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            findings.append(Finding(file, None, None, "unchecked", f"not readable ({exc.strerror})"))
            continue
        if text.startswith("\ufeff"):
            text = " " + text[1:]   # a byte-order mark: keep columns, drop the character
        found: list[Finding] = []
        if pattern is not None:
            found.extend(_identifier_findings(text, pattern, file))
        if suffix in (".csv", ".tsv"):
            found.extend(_small_cell_findings(text, file, "," if suffix == ".csv" else "\t", k))
        # in line order; within a line identifiers (by column) before small cells (stable sort)
        findings.extend(sorted(found, key=lambda f: f.line or 0))
    return findings


def summarise(findings: list[Finding], folder: str, *, identifiers_given: bool = True) -> str:
    """The one-line summary of a check: what was found, or that nothing was (files not checked are named)."""
    ident = sum(f.kind == "identifier" for f in findings)
    small = sum(f.kind == "small-cell" for f in findings)
    unchecked = len({f.file for f in findings if f.kind == "unchecked"})
    if not ident and not small:
        text = (f"no raw identifiers and no small cells found in {folder}" if identifiers_given
                else f"no small cells found in {folder}; identifiers not checked (none given)")
        return text + (f", but {unchecked} file(s) not checked" if unchecked else "")
    files = len({f.file for f in findings if f.kind != "unchecked"})
    text = f"{ident + small} finding(s): {ident} identifier(s), {small} small cell(s) in {files} file(s)"
    if unchecked:
        text += f"; {unchecked} file(s) not checked"
    return text


# --------------------------------------------------------------------------- command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis disclosure-check``."""
    parser.add_argument("dir", metavar="DIR", help="output folder to check (recursively; private/ is skipped)")
    parser.add_argument("--data-dir", metavar="RAW",
                        help="raw-data folder whose identifiers must not appear in DIR")
    parser.add_argument("--identifiers", metavar="FILE",
                        help="text file of identifiers that must not appear, one per line")
    parser.add_argument("-k", type=int, default=5,
                        help="smallest count that may be shown; counts 1 to k-1 are flagged (default 5)")


def _read_identifier_file(path: Path) -> set[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: identifier file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: identifier file not readable as UTF-8 text ({exc})") from None
    return {line.strip() for line in text.splitlines() if line.strip()}


def main(args: argparse.Namespace) -> int:
    """Print every finding and a summary; 1 when something was found, 0 when clean (InputError -> 2)."""
    from analysis.config import project_path, relative_to_root

    folder = project_path(args.dir)
    if not folder.is_dir():
        raise InputError(f"{args.dir}: not a folder")
    if args.k < 1:
        raise InputError(f"-k must be >= 1, got {args.k}")
    identifiers: set[str] = set()
    if args.data_dir:
        identifiers |= identifiers_from_raw(project_path(args.data_dir))
    if args.identifiers:
        identifiers |= _read_identifier_file(project_path(args.identifiers))
    given = bool(args.data_dir or args.identifiers)
    if not given:
        print("note: no identifiers given (--data-dir or --identifiers): only small cells are checked")
    short = sum(len(i) < MIN_IDENTIFIER_LENGTH for i in identifiers)
    if short:
        print(f"note: {short} identifier(s) shorter than {MIN_IDENTIFIER_LENGTH} characters not searched for "
              "(they would match everywhere)", file=sys.stderr)
    findings = [replace(f, file=relative_to_root(f.file)) for f in scan(folder, identifiers=identifiers, k=args.k)]
    for f in findings:
        print(f.message())
    print(summarise(findings, args.dir, identifiers_given=given))
    return 1 if findings else 0
