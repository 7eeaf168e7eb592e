"""Validation of raw data: one test per kind of malformed input, each asserting the message.

Every message names the file, the CSV line (header = line 1, first data row = line 2),
the column, the bad value and what was expected.
"""

from __future__ import annotations

import csv
import datetime as dt
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


# ---------------------------------------------------------------- dates after the extraction date


def _line_with(folder: Path, file: str, column: str) -> int:
    """First CSV line whose *column* is not empty."""
    rows = _rows(folder / file)
    j = rows[0].index(column)
    return next(i + 1 for i, r in enumerate(rows[1:], 1) if r[j])


@pytest.mark.parametrize("file,column,value", [
    ("contacts.csv", "date", "2099-03-01"),
    ("participants.csv", "accommodation_entry_date", "2098-01-01"),
    ("participants.csv", "start_date", "2097-05-05"),
])
def test_date_after_today_rejected(raw_copy, file, column, value):
    line = _line_with(raw_copy, file, column)
    set_cell(raw_copy, file, line, column, value)
    assert_message(report(raw_copy), file, f"line {line}", f"column {column!r}", "date after the extraction date",
                   f"got {value!r}", "on or before today (", "UTC; no extraction date given")


def test_contact_2099_with_entry_2098_both_rejected(raw_copy):
    """The reported case: a contact in 2099 of a participant housed in 2098."""
    line = _line_with(raw_copy, "participants.csv", "accommodation_entry_date")
    pid = get_cell(raw_copy, "participants.csv", line, "participant_id")
    set_cell(raw_copy, "participants.csv", line, "accommodation_entry_date", "2098-01-01")
    rows = _rows(raw_copy / "contacts.csv")
    cline = next(i + 1 for i, r in enumerate(rows[1:], 1) if r[rows[0].index("participant_id")] == pid)
    set_cell(raw_copy, "contacts.csv", cline, "date", "2099-01-01")
    text = report(raw_copy)
    assert_message(text, "participants.csv", f"line {line}", "column 'accommodation_entry_date'", "got '2098-01-01'",
                   "date after the extraction date")
    assert_message(text, "contacts.csv", f"line {cline}", "column 'date'", "got '2099-01-01'",
                   "date after the extraction date")


@pytest.mark.parametrize("extraction,n_late", [(dt.date(2021, 12, 31), 0), (dt.date(2021, 12, 30), None)])
def test_extraction_date(extraction, n_late):
    """The shipped data end on 2021-12-31: valid up to that extraction date, not one day earlier."""
    _, violations = check_raw(ROOT / "data" / "raw", extraction_date=extraction)
    if n_late == 0:
        assert violations == []
    else:
        assert violations and all(v.problem == "date after the extraction date" for v in violations)
        assert {v.file for v in violations} == {"contacts.csv"}
        line = violations[0].line
        assert get_cell(ROOT / "data" / "raw", "contacts.csv", line, "date") == "2021-12-31"
        assert "on or before the data's extraction date 2021-12-30" in violations[0].message()


def test_extraction_date_cli(raw_copy, capsys):
    assert cli_main(["validate", "--data-dir", str(raw_copy), "--extraction-date", "2021-12-31"]) == 0
    assert cli_main(["validate", "--data-dir", str(raw_copy), "--extraction-date", "2021-06-30"]) == 2
    err = capsys.readouterr().err
    assert_message(err, "contacts.csv", "column 'date'", "date after the extraction date", "2021-06-30")
    assert_message(err, "participants.csv", "column 'accommodation_entry_date'", "date after the extraction date")
    assert cli_main(["validate", "--data-dir", str(raw_copy), "--extraction-date", "2021-02-30"]) == 2
    assert "not a valid date YYYY-MM-DD" in capsys.readouterr().err


# ---------------------------------------------------------------- key worker of every contact


@pytest.mark.parametrize("line", [2, 40478])
def test_contact_not_under_key_worker(raw_copy, line):
    pid = get_cell(raw_copy, "contacts.csv", line, "participant_id")
    parts = _rows(raw_copy / "participants.csv")
    h = parts[0]
    pline, key = next((i + 1, r[h.index("staff_id")]) for i, r in enumerate(parts[1:], 1)
                      if r[h.index("participant_id")] == pid)
    other = "S001" if key != "S001" else "S002"
    set_cell(raw_copy, "contacts.csv", line, "staff_id", other)
    assert_message(report(raw_copy), "contacts.csv", f"line {line}", "column 'staff_id'",
                   "not logged under the participant's key worker", f"got '{other}'",
                   f"key worker '{key}' (participants.csv line {pline}")


# ---------------------------------------------------------------- usable survey


def _staff(folder: Path) -> tuple[list[str], list[list[str]]]:
    rows = _rows(folder / "staff_survey.csv")
    return rows[0], rows[1:]


def _empty_item(folder):
    h, body = _staff(folder)
    for r in body:
        r[h.index("gse_04")] = ""
    _save(folder / "staff_survey.csv", [h, *body])
    return ("column 'gse_04'", "item column entirely empty")


def _constant_item(folder):
    h, body = _staff(folder)
    for r in body:
        r[h.index("iis_07")] = "3"
    _save(folder / "staff_survey.csv", [h, *body])
    return ("column 'iis_07'", "constant item: every answer is 3")


def _constant_scale(folder):
    h, body = _staff(folder)
    items = ["rpq_01", "rpq_02", "rpq_03", "rpq_04"]     # mean scoring, none reverse keyed
    for k, r in enumerate(body):
        for j, v in zip(items, ("1234" if k % 2 else "4321")):
            r[h.index(j)] = v
    _save(folder / "staff_survey.csv", [h, *body])
    return ("scale 'rpq_reflection_in_action' (columns rpq_01, rpq_02, rpq_03, rpq_04)",
            "constant scale, every worker who answered all its items scores 10")


def _too_few_complete(folder):
    h, body = _staff(folder)
    for k, r in enumerate(body[2:]):                     # only the first two workers answer every GSE item
        r[h.index(f"gse_{k % 10 + 1:02d}")] = ""
    _save(folder / "staff_survey.csv", [h, *body])
    return ("scale 'gse' (columns gse_01", "too few complete answers", "got '2 worker(s)'",
            "at least 3 workers answering every item")


def _constant_among_complete(folder):
    h, body = _staff(folder)
    for r in body:
        r[h.index("gse_05")] = "2"
    body[0][h.index("gse_05")] = "3"                      # the only other answer is on an incomplete row
    body[0][h.index("gse_06")] = ""
    body[0][h.index("gse_07")] = "3"
    _save(folder / "staff_survey.csv", [h, *body])
    return ("column 'gse_05'", "constant among the", "complete answers of scale 'gse'")


def _too_few_workers(folder):
    h, body = _staff(folder)
    keep = {r[0] for r in body[:3]}
    _save(folder / "staff_survey.csv", [h, *body[:3]])
    for file in ("participants.csv", "contacts.csv"):
        rows = _rows(folder / file)
        j = rows[0].index("staff_id")
        _save(folder / file, [rows[0], *(r for r in rows[1:] if r[j] in keep)])
    return ("too few workers", "got '3 worker(s)'", "at least 10 workers")


@pytest.mark.parametrize("corrupt", [_empty_item, _constant_item, _constant_scale, _too_few_complete,
                                     _constant_among_complete, _too_few_workers])
def test_unusable_survey(raw_copy, corrupt):
    """Problems that stage 02 (or 04, 05) would hit late are caught in validation, naming file and column."""
    parts = corrupt(raw_copy)
    text = report(raw_copy)
    assert_message(text, "staff_survey.csv", *parts)
    if corrupt is _too_few_workers:
        assert "participants.csv" not in text and "contacts.csv" not in text, text


# ---------------------------------------------------------------- line numbers


def _insert_line(path: Path, index: int, text: str) -> None:
    lines = path.read_text().split("\n")
    lines.insert(index, text)
    path.write_text("\n".join(lines))


@pytest.mark.parametrize("file,column,value,problem", [
    ("contacts.csv", "duration_min", "forty", "not a number"),
    ("contacts.csv", "participant_id", "P9999", "unknown reference"),          # cross-table
    ("contacts.csv", "date", "2001-01-01", "dates out of order"),              # cross-table
    ("participants.csv", "staff_id", "S999", "unknown reference"),
    ("participants.csv", "sustained_12m", "maybe", "value not allowed"),
])
def test_line_after_blank_line(raw_copy, file, column, value, problem):
    set_cell(raw_copy, file, 20, column, value)
    _insert_line(raw_copy / file, 10, "")                # a blank line between data rows
    assert_message(report(raw_copy), file, "line 21", f"column {column!r}", problem, f"got {value!r}")


@pytest.mark.parametrize("column,value,problem", [
    ("gse_03", "7", "out of range"),
    ("tenure_years", "many", "not a number"),
])
def test_line_after_multiline_cell(raw_copy, column, value, problem):
    set_cell(raw_copy, "staff_survey.csv", 20, column, value)
    set_cell(raw_copy, "staff_survey.csv", 3, "organisation", "KBOP\n06")   # quoted cell over two lines
    text = report(raw_copy)
    assert_message(text, "staff_survey.csv", "line 21", f"column {column!r}", problem, f"got {value!r}")
    assert "line 20" not in text


def test_line_of_duplicate_id_after_blank_lines(raw_copy):
    first = get_cell(raw_copy, "participants.csv", 2, "participant_id")
    set_cell(raw_copy, "participants.csv", 9, "participant_id", first)
    _insert_line(raw_copy / "participants.csv", 1, "")
    _insert_line(raw_copy / "participants.csv", 1, "")
    assert_message(report(raw_copy), "participants.csv", "line 11", "duplicate id", "first used on line 4")


def test_leading_blank_lines_are_not_an_empty_file(raw_copy):
    path = raw_copy / "participants.csv"
    path.write_text("\n\n" + path.read_text().replace("age,", "agee,", 1))
    text = report(raw_copy)
    assert "empty file" not in text
    assert_message(text, "participants.csv", "line 3", "column 'agee'", "unexpected column", "did you mean 'age'")
    assert_message(text, "participants.csv", "line 3", "column 'age'", "missing column")


def test_leading_blank_lines_alone_are_valid(raw_copy):
    path = raw_copy / "contacts.csv"
    path.write_text("\n \n" + path.read_text())
    assert check_raw(raw_copy)[1] == []


@pytest.mark.parametrize("delimiter,name", [(";", "semicolons (';')"), ("\t", "tabs ('\\t')")])
def test_other_delimiter_hint(raw_copy, delimiter, name):
    rows = _rows(raw_copy / "staff_survey.csv")
    with open(raw_copy / "staff_survey.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator="\n").writerows(rows)
    text = report(raw_copy)
    assert_message(text, "staff_survey.csv", "line 1", f"seems to use {name} between fields, not commas",
                   "comma-separated values")
    assert "missing column" not in text


@pytest.mark.parametrize("line,parts", [
    (40470, ("wrong number of fields", "this record runs from line 40470 to line 40479", "quote left open")),
    (5, ("cannot be parsed as CSV", "field larger than field limit", "is a quote left open on this line")),
])
def test_unclosed_quote_names_the_lines(raw_copy, line, parts):
    path = raw_copy / "contacts.csv"
    lines = path.read_text().split("\n")
    lines[line - 1] = '"' + lines[line - 1]               # a quote opened and never closed
    path.write_text("\n".join(lines))
    assert_message(report(raw_copy), "contacts.csv", f"line {line}", *parts)


# ---------------------------------------------------------------- regular files only


def _fifo(folder, tmp_path):
    (folder / "contacts.csv").unlink()
    os.mkfifo(folder / "contacts.csv")
    return ("a named pipe (FIFO), not a regular file",)


def _directory(folder, tmp_path):
    (folder / "contacts.csv").unlink()
    (folder / "contacts.csv").mkdir()
    return ("a folder, not a regular file",)


def _link_outside(folder, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    (folder / "contacts.csv").rename(outside)
    (folder / "contacts.csv").symlink_to(outside)
    return ("symbolic link to a file outside the data folder", f"got '{outside}'")


def _link_dev_zero(folder, tmp_path):
    (folder / "contacts.csv").unlink()
    (folder / "contacts.csv").symlink_to("/dev/zero")
    return ("symbolic link to a file outside the data folder", "got '/dev/zero'")


def _broken_link(folder, tmp_path):
    (folder / "contacts.csv").unlink()
    (folder / "contacts.csv").symlink_to(folder / "gone.csv")
    return ("broken symbolic link",)


@pytest.mark.parametrize("make", [_fifo, _directory, _link_outside, _link_dev_zero, _broken_link])
def test_only_regular_files(raw_copy, tmp_path, make):
    import signal

    parts = make(raw_copy, tmp_path)

    def hung(signum, frame):
        raise TimeoutError("validation blocked on a non-regular file")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        text = report(raw_copy)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert_message(text, "contacts.csv", *parts, "expected a regular file (the CSV contacts.csv) inside raw/")
    assert "Traceback" not in text


def test_symlink_inside_the_folder_is_followed(raw_copy):
    (raw_copy / "exports").mkdir()
    (raw_copy / "contacts.csv").rename(raw_copy / "exports" / "contacts_2021.csv")
    (raw_copy / "contacts.csv").symlink_to(Path("exports") / "contacts_2021.csv")
    assert check_raw(raw_copy)[1] == []


def test_file_size_limit(raw_copy):
    size = (raw_copy / "participants.csv").stat().st_size
    text = str(pytest.raises(InputError, load_raw, raw_copy, max_bytes=size - 1).value)
    assert_message(text, "participants.csv", "file too large", f"got '{size} bytes'", f"at most {size - 1} bytes")
    assert "staff_survey.csv" not in text                  # smaller files still pass
    assert check_raw(raw_copy, max_bytes=(raw_copy / "contacts.csv").stat().st_size)[1] == []


def test_data_folder_must_be_a_folder(tmp_path):
    f = tmp_path / "raw"
    f.write_text("not a folder\n")
    with pytest.raises(InputError, match=r"raw: not a folder \(is a file\); expected the raw-data folder"):
        check_raw(f)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputError, match=r"pipe: not a folder \(is a named pipe \(FIFO\)\)"):
        load_raw(tmp_path / "pipe")
    with pytest.raises(InputError, match=r"nope: not a folder \(does not exist\)"):
        load_raw(tmp_path / "nope")


# ---------------------------------------------------------------- row order


def test_results_do_not_depend_on_row_order(raw_copy, tmp_path):
    """Stage 01 (load_raw, prepare_staff, write_csv as the notebook calls them) on shuffled files."""
    import random

    from analysis.io import write_csv
    from analysis.prepare import prepare_staff

    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    rng = random.Random(1)
    for name in ("staff_survey.csv", "participants.csv", "contacts.csv"):
        rows = _rows(raw_copy / name)
        body = rows[1:]
        rng.shuffle(body)
        assert body != rows[1:]
        _save(shuffled / name, [rows[0], *body])
    a = write_csv(prepare_staff(load_raw(raw_copy)), tmp_path / "a" / "staff.csv")
    b = write_csv(prepare_staff(load_raw(shuffled)), tmp_path / "b" / "staff.csv")
    assert a.read_bytes() == b.read_bytes()
    for t_a, t_b in zip(load_raw(raw_copy).values(), load_raw(shuffled).values()):
        assert t_a.equals(t_b)


def test_shuffled_file_keeps_its_line_numbers(raw_copy):
    rows = _rows(raw_copy / "contacts.csv")
    _save(raw_copy / "contacts.csv", [rows[0], *reversed(rows[1:])])
    set_cell(raw_copy, "contacts.csv", 2, "duration_min", "forty")
    assert_message(report(raw_copy), "contacts.csv", "line 2", "column 'duration_min'", "not a number")


@pytest.mark.parametrize("file,line,column,value", [
    ("staff_survey.csv", 4, "staff_id", "=HYPERLINK(1)"),
    ("participants.csv", 6, "participant_id", "-P0005"),
    ("contacts.csv", 8, "staff_id", "@S001"),
])
def test_identifier_read_as_formula(raw_copy, file, line, column, value):
    """Output CSVs quote such text (analysis.io.write_csv), so the key would not match across tables."""
    set_cell(raw_copy, file, line, column, value)
    assert_message(report(raw_copy), file, f"line {line}", f"column {column!r}",
                   "identifier a spreadsheet would read as a formula", f"got {value!r}", "not beginning with '='")
