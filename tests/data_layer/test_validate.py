"""Validation of raw data: one test per kind of malformed input, each asserting the message.

Every message names the file, the CSV line (header = line 1, first data row = line 2),
the column, the bad value and what was expected.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import main as cli_main
from analysis.config import ROOT
from analysis.errors import InputError
from analysis.validate import check_raw, load_raw


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _save(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def set_cell(folder: Path, file: str, line: int, column: str, value: str) -> str:
    """Set the cell at CSV *line* (header = 1) and *column*; return the old value."""
    rows = _rows(folder / file)
    j = rows[0].index(column)
    old = rows[line - 1][j]
    rows[line - 1][j] = value
    _save(folder / file, rows)
    return old


def get_cell(folder: Path, file: str, line: int, column: str) -> str:
    rows = _rows(folder / file)
    return rows[line - 1][rows[0].index(column)]


def report(folder: Path) -> str:
    with pytest.raises(InputError) as exc:
        load_raw(folder)
    return str(exc.value)


def assert_message(text: str, *parts: str) -> None:
    lines = text.splitlines()
    hits = [ln for ln in lines if all(p in ln for p in parts)]
    assert hits, f"no line holds all of {parts}:\n{text}"


def test_shipped_data_is_valid():
    tables, violations = check_raw(ROOT / "data" / "raw")
    assert violations == []
    assert str(tables["participants"]["start_date"].dtype).startswith("datetime64")
    assert str(tables["staff_survey"]["gse_01"].dtype) == "Int64"


# ---------------------------------------------------------------- one test per kind


def test_wrong_column_name(raw_copy):
    set_cell(raw_copy, "staff_survey.csv", 1, "gse_01", "gse_1")
    text = report(raw_copy)
    assert_message(text, "staff_survey.csv", "line 1", "column 'gse_1'", "unexpected column", "did you mean 'gse_01'")
    assert_message(text, "staff_survey.csv", "line 1", "column 'gse_01'", "missing column")


def test_missing_column(raw_copy):
    rows = _rows(raw_copy / "participants.csv")
    j = rows[0].index("age")
    _save(raw_copy / "participants.csv", [r[:j] + r[j + 1:] for r in rows])
    assert_message(report(raw_copy), "participants.csv", "line 1", "column 'age'", "missing column",
                   "every column is required")


def test_id_column_not_first(raw_copy):
    rows = _rows(raw_copy / "contacts.csv")
    _save(raw_copy / "contacts.csv", [r[1:] + r[:1] for r in rows])
    assert_message(report(raw_copy), "contacts.csv", "line 1", "column 'participant_id'", "wrong first column",
                   "'contact_id' first")


def test_likert_answer_out_of_range(raw_copy):
    set_cell(raw_copy, "staff_survey.csv", 5, "gse_03", "7")
    assert_message(report(raw_copy), "staff_survey.csv", "line 5", "column 'gse_03'", "out of range", "got '7'",
                   "expected an integer from 1 to 4 (gse codebook response range)")


def test_likert_answer_not_whole(raw_copy):
    set_cell(raw_copy, "staff_survey.csv", 3, "iis_02", "2.5")
    assert_message(report(raw_copy), "staff_survey.csv", "line 3", "column 'iis_02'", "not a whole number",
                   "got '2.5'", "integer from 1 to 5")


def test_text_in_number_column(raw_copy):
    set_cell(raw_copy, "contacts.csv", 10, "duration_min", "forty")
    assert_message(report(raw_copy), "contacts.csv", "line 10", "column 'duration_min'", "not a number",
                   "got 'forty'", "expected a number from 1 to 1440")


def test_negative_duration(raw_copy):
    set_cell(raw_copy, "contacts.csv", 7, "duration_min", "-5")
    assert_message(report(raw_copy), "contacts.csv", "line 7", "column 'duration_min'", "out of range",
                   "got '-5'", "from 1 to 1440")


def test_duplicate_id(raw_copy):
    first = get_cell(raw_copy, "participants.csv", 2, "participant_id")
    set_cell(raw_copy, "participants.csv", 9, "participant_id", first)
    assert_message(report(raw_copy), "participants.csv", "line 9", "column 'participant_id'", "duplicate id",
                   f"got '{first}'", "first used on line 2")


def test_dangling_staff_id(raw_copy):
    set_cell(raw_copy, "participants.csv", 4, "staff_id", "S999")
    assert_message(report(raw_copy), "participants.csv", "line 4", "column 'staff_id'", "unknown reference",
                   "got 'S999'", "present in staff_survey.staff_id")


def test_dangling_participant_id(raw_copy):
    set_cell(raw_copy, "contacts.csv", 20, "participant_id", "P9999")
    assert_message(report(raw_copy), "contacts.csv", "line 20", "column 'participant_id'", "unknown reference",
                   "got 'P9999'", "participants.participant_id")


def test_entry_date_before_start_date(raw_copy):
    rows = _rows(raw_copy / "participants.csv")
    h = rows[0]
    line = next(i + 1 for i, r in enumerate(rows[1:], 1) if r[h.index("accommodation_entry_date")])
    start = get_cell(raw_copy, "participants.csv", line, "start_date")
    set_cell(raw_copy, "participants.csv", line, "accommodation_entry_date", "2001-01-01")
    assert_message(report(raw_copy), "participants.csv", f"line {line}", "column 'accommodation_entry_date'",
                   "dates out of order", "got '2001-01-01'", f"on or after start_date ({start})")


def test_contact_before_participant_start(raw_copy):
    set_cell(raw_copy, "contacts.csv", 2, "date", "2001-01-01")
    assert_message(report(raw_copy), "contacts.csv", "line 2", "column 'date'", "dates out of order",
                   "got '2001-01-01'", "participant's start_date")


def test_date_not_iso(raw_copy):
    set_cell(raw_copy, "participants.csv", 6, "start_date", "03/07/2020")
    assert_message(report(raw_copy), "participants.csv", "line 6", "column 'start_date'", "not a valid date",
                   "got '03/07/2020'", "ISO 8601 date YYYY-MM-DD")


def test_impossible_date(raw_copy):
    set_cell(raw_copy, "contacts.csv", 3, "date", "2020-02-30")
    assert_message(report(raw_copy), "contacts.csv", "line 3", "column 'date'", "not a valid date", "got '2020-02-30'")


def test_category_not_allowed(raw_copy):
    set_cell(raw_copy, "staff_survey.csv", 2, "partnership", "KBOP2")
    assert_message(report(raw_copy), "staff_survey.csv", "line 2", "column 'partnership'", "value not allowed",
                   "got 'KBOP2'", "one of 'KBOP', 'GMBOP'")


def test_outcome_value_not_allowed(raw_copy):
    set_cell(raw_copy, "participants.csv", 8, "sustained_12m", "maybe")
    assert_message(report(raw_copy), "participants.csv", "line 8", "column 'sustained_12m'", "value not allowed",
                   "got 'maybe'", "'yes', 'no', 'not_due'")


def test_empty_required_cell(raw_copy):
    set_cell(raw_copy, "participants.csv", 11, "age", "")
    assert_message(report(raw_copy), "participants.csv", "line 11", "column 'age'", "empty cell",
                   "expected an integer from 16 to 100")


def test_age_out_of_range(raw_copy):
    set_cell(raw_copy, "participants.csv", 12, "age", "12")
    assert_message(report(raw_copy), "participants.csv", "line 12", "column 'age'", "out of range", "got '12'")


def test_outcome_without_accommodation_entry(raw_copy):
    rows = _rows(raw_copy / "participants.csv")
    h = rows[0]
    line = next(i + 1 for i, r in enumerate(rows[1:], 1) if r[h.index("sustained_12m")] == "yes")
    set_cell(raw_copy, "participants.csv", line, "accommodation_entry_date", "")
    assert_message(report(raw_copy), "participants.csv", f"line {line}", "column 'sustained_12m'",
                   "outcome without accommodation entry", "got 'yes'", "'not_due'")


def test_sustained_12m_without_6m(raw_copy):
    rows = _rows(raw_copy / "participants.csv")
    h = rows[0]
    line = next(i + 1 for i, r in enumerate(rows[1:], 1) if r[h.index("sustained_12m")] == "yes")
    set_cell(raw_copy, "participants.csv", line, "sustained_6m", "no")
    assert_message(report(raw_copy), "participants.csv", f"line {line}", "column 'sustained_12m'",
                   "inconsistent outcomes", "sustained_6m is 'no'")


def test_wrong_number_of_fields(raw_copy):
    path = raw_copy / "contacts.csv"
    lines = path.read_text().splitlines()
    lines[4] += ",extra"
    path.write_text("\n".join(lines) + "\n")
    assert_message(report(raw_copy), "contacts.csv", "line 5", "wrong number of fields", "got '6 fields'",
                   "5 fields as in the header")


def test_missing_file(raw_copy):
    (raw_copy / "contacts.csv").unlink()
    assert_message(report(raw_copy), "contacts.csv", "file missing")


def test_empty_file(raw_copy):
    (raw_copy / "staff_survey.csv").write_text("")
    text = report(raw_copy)
    assert_message(text, "staff_survey.csv", "line 1", "empty file", "header line with staff_id")


def test_not_utf8(raw_copy):
    (raw_copy / "staff_survey.csv").write_bytes((raw_copy / "staff_survey.csv").read_bytes() + b"\xff\xfe\n")
    assert_message(report(raw_copy), "staff_survey.csv", "not UTF-8", "expected UTF-8 text")


# ---------------------------------------------------------------- report behaviour


def test_all_violations_of_a_file_in_one_report_capped_with_count(raw_copy):
    for line in range(2, 32):                          # 30 bad answers
        set_cell(raw_copy, "staff_survey.csv", line, "rpq_01", "9")
    set_cell(raw_copy, "contacts.csv", 2, "duration_min", "0")
    text = report(raw_copy)
    assert "staff_survey.csv: 30 violation(s)" in text
    assert text.count("column 'rpq_01'") == 20
    assert "... and 10 more violation(s) in staff_survey.csv" in text
    assert_message(text, "contacts.csv", "line 2", "column 'duration_min'", "got '0'")
    assert "header is line 1" in text


def test_nothing_written_on_failure(raw_copy):
    set_cell(raw_copy, "staff_survey.csv", 2, "gse_01", "0")
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in raw_copy.iterdir()}
    assert cli_main(["validate", "--data-dir", str(raw_copy)]) == 2
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in raw_copy.iterdir()}
    assert before == after


def test_cli_exit_status_shipped_and_corrupted(raw_copy):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run([sys.executable, "-m", "analysis", "validate"], cwd=ROOT, env=env,
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("valid: data/raw (staff_survey 65 rows")
    set_cell(raw_copy, "participants.csv", 4, "staff_id", "S999")
    bad = subprocess.run([sys.executable, "-m", "analysis", "validate", "--data-dir", str(raw_copy)], cwd=ROOT,
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: raw data in")
    assert "participants.csv, line 4, column 'staff_id': unknown reference: got 'S999'" in bad.stderr


def test_not_a_folder(tmp_path, capsys):
    assert cli_main(["validate", "--data-dir", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
