"""Disclosure control: pseudonyms, small-cell suppression, the output check and its command.

Every folder scanned here is built in tmp_path with known, planted content; the
shipped results are never the test material (they would make the answers
depend on whatever the pipeline last wrote).
"""

from __future__ import annotations

import csv
import doctest
import hashlib
import hmac
import json
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli, disclosure
from analysis.disclosure import (
    COUNT_COLUMNS, ID_COLUMNS, Finding, PseudonymCollision, Pseudonymiser, data_secret,
    identifiers_from_raw, pseudonymise_folder, scan, suppress_small_cells,
)
from analysis.errors import InputError
from analysis.schemas import raw_schemas

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RAW = ROOT / "data" / "raw"
RAW_NAMES = ("contacts.csv", "participants.csv", "staff_survey.csv")


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture
def raw_copy(tmp_path) -> Path:
    """A copy of the shipped stand-in raw folder (with its SYNTHETIC.md) in tmp_path."""
    dest = tmp_path / "raw"
    shutil.copytree(SHIPPED_RAW, dest)
    return dest


def write_tiny_raw(folder: Path) -> Path:
    """A three-file raw folder small enough to know every answer by hand."""
    folder.mkdir(parents=True)
    (folder / "staff_survey.csv").write_text(
        "staff_id,partnership,organisation,tenure_years,gse_01\n"
        "S001,KBOP,\"Org, North\",1.50,3\n"
        "S002,GMBOP,,2,\n", encoding="utf-8")
    (folder / "participants.csv").write_text(
        "participant_id,staff_id,start_date,age\n"
        "P0001,S001,2020-01-01,30\n"
        "P0002,S002,2020-02-01,41\n"
        "P0003,,2020-03-01,22\n", encoding="utf-8")
    (folder / "contacts.csv").write_text(
        "contact_id,participant_id,staff_id,date,duration_min\r\n"
        "C000001,P0001,S001,2020-01-02,30.0\r\n"
        "C000002,P0002,S001,2020-02-03,45\r\n", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- pseudonyms

def test_pseudonym_format_prefix_and_determinism():
    a, b = Pseudonymiser(b"secret one"), Pseudonymiser(b"secret one")
    for kind, prefix in {"staff": "W", "participant": "P", "contact": "C", "organisation": "ORG"}.items():
        value = a.pseudonym(kind, "X123")
        assert re.fullmatch(prefix + "[0-9A-F]{10}", value), value
        assert value == b.pseudonym(kind, "X123") == a.pseudonym(kind, "X123")
    # the kind is part of the message: one raw id gets unrelated digits as worker and as participant
    assert a.pseudonym("staff", "X123")[1:] != a.pseudonym("participant", "X123")[1:]


def test_pseudonym_is_the_truncated_hmac():
    secret = b"\x00\x01 any bytes \xff"
    expected = "P" + hmac.new(secret, b"participant:P0001", hashlib.sha256).hexdigest()[:10].upper()
    assert Pseudonymiser(secret).pseudonym("participant", "P0001") == expected


def test_a_different_secret_gives_different_pseudonyms():
    ids = [f"S{i:03d}" for i in range(1, 51)]
    one = [Pseudonymiser(b"secret one").pseudonym("staff", i) for i in ids]
    two = [Pseudonymiser(b"secret two").pseudonym("staff", i) for i in ids]
    assert all(x != y for x, y in zip(one, two))
    assert len(set(one)) == len(ids)


def test_unknown_kind_empty_id_and_empty_secret_raise():
    p = Pseudonymiser(b"s")
    with pytest.raises(ValueError, match="unknown identifier kind 'worker'"):
        p.pseudonym("worker", "S001")
    with pytest.raises(ValueError, match="non-empty"):
        p.pseudonym("staff", "")
    with pytest.raises(ValueError):
        Pseudonymiser(b"")


def test_collision_within_a_kind_is_detected(monkeypatch):
    # with one hex digit there are 16 pseudonyms per kind: 17 distinct ids must collide
    monkeypatch.setattr(disclosure, "PSEUDONYM_HEX_DIGITS", 1)
    p = Pseudonymiser(b"s")
    with pytest.raises(PseudonymCollision, match="same pseudonym"):
        for i in range(17):
            p.pseudonym("contact", f"C{i:06d}")
    assert issubclass(PseudonymCollision, ValueError)
    # the same id asked twice is not a collision
    q = Pseudonymiser(b"s")
    assert q.pseudonym("staff", "S001") == q.pseudonym("staff", "S001")


def test_id_columns_cover_the_raw_schemas_keys():
    schemas = {t.file: t for t in raw_schemas().values()}
    assert set(ID_COLUMNS) == set(schemas) == set(RAW_NAMES)
    for file, spec in schemas.items():
        keys = {c.name for c in spec.columns if c.kind in ("id", "ref")}
        assert keys | {"organisation"} >= set(ID_COLUMNS[file]) >= keys
    assert ID_COLUMNS["staff_survey.csv"] == {"staff_id": "staff", "organisation": "organisation"}
    assert ID_COLUMNS["contacts.csv"]["participant_id"] == "participant"


def test_data_secret_depends_on_every_raw_byte_only(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    s = data_secret(raw)
    assert isinstance(s, bytes) and len(s) == 32
    assert data_secret(raw) == s
    (raw / "README.md").write_text("notes are not data\n")
    assert data_secret(raw) == s
    path = raw / "participants.csv"
    path.write_text(path.read_text().replace("41", "42"))
    assert data_secret(raw) != s
    (raw / "contacts.csv").unlink()
    with pytest.raises(InputError, match="contacts.csv"):
        data_secret(raw)


def test_pseudonymise_folder_on_the_stand_in_data(raw_copy, tmp_path):
    out, private = tmp_path / "out", tmp_path / "keys" / "private"
    counts = pseudonymise_folder(raw_copy, out, private)
    assert sorted(p.name for p in out.iterdir()) == sorted(RAW_NAMES)   # SYNTHETIC.md not copied
    p = Pseudonymiser(data_secret(raw_copy))
    expected_ids: dict[str, set[str]] = {k: set() for k in counts}
    pseud_of: dict[tuple[str, str], str] = {}
    for name in RAW_NAMES:
        raw_rows, out_rows = read_rows(raw_copy / name), read_rows(out / name)
        assert out_rows[0] == raw_rows[0] and len(out_rows) == len(raw_rows)
        header = raw_rows[0]
        id_idx = {header.index(c): kind for c, kind in ID_COLUMNS[name].items()}
        for r, o in zip(raw_rows[1:], out_rows[1:]):
            assert len(o) == len(r)
            for i, (rv, ov) in enumerate(zip(r, o)):
                if i in id_idx and rv != "":
                    assert ov == p.pseudonym(id_idx[i], rv)
                    assert pseud_of.setdefault((id_idx[i], rv), ov) == ov   # one id, one pseudonym everywhere
                    expected_ids[id_idx[i]].add(rv)
                else:
                    assert ov == rv
        assert b"\r" not in (out / name).read_bytes()
    # a participant's key worker is the pseudonym that worker has in the survey
    staff = {r[0]: o[0] for r, o in zip(read_rows(raw_copy / "staff_survey.csv")[1:],
                                        read_rows(out / "staff_survey.csv")[1:])}
    for r, o in zip(read_rows(raw_copy / "participants.csv")[1:], read_rows(out / "participants.csv")[1:]):
        assert o[1] == staff[r[1]]
    # counts: the distinct raw values per kind, checked independently with pandas
    tables = {n: pd.read_csv(raw_copy / n, dtype=str) for n in RAW_NAMES}
    assert counts["staff"] == len(set(tables["staff_survey.csv"]["staff_id"])) == 65
    assert counts["participant"] == len(set(tables["participants.csv"]["participant_id"]))
    assert counts["contact"] == len(tables["contacts.csv"])
    assert counts["organisation"] == tables["staff_survey.csv"]["organisation"].nunique()
    assert counts == {k: len(v) for k, v in expected_ids.items()}
    # the key
    key = read_rows(private / "pseudonym_key.csv")
    assert key[0] == ["kind", "raw_id", "pseudonym"]
    body = [tuple(r) for r in key[1:]]
    assert body == sorted(body, key=lambda r: (r[0], r[2]))
    assert len(body) == sum(counts.values())
    assert {(k, raw): ps for k, raw, ps in body} == pseud_of
    readme = (private / "README.md").read_text()
    assert "re-identification key" in readme and "never" in readme.lower() and "commit" in readme
    # no raw identifier is left in the pseudonymised files
    assert scan(out, identifiers=identifiers_from_raw(raw_copy)) == []
    # deterministic: a second run, elsewhere or over the first, gives the same bytes
    first = {n: (out / n).read_bytes() for n in RAW_NAMES}
    first_key = (private / "pseudonym_key.csv").read_bytes()
    assert pseudonymise_folder(raw_copy, out, private) == counts
    out2, private2 = tmp_path / "out2", tmp_path / "private2"
    pseudonymise_folder(raw_copy, out2, private2)
    for n in RAW_NAMES:
        assert (out / n).read_bytes() == first[n] == (out2 / n).read_bytes()
    assert (private / "pseudonym_key.csv").read_bytes() == first_key == (private2 / "pseudonym_key.csv").read_bytes()


def test_pseudonymise_folder_keeps_empty_ids_and_quoted_cells(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    counts = pseudonymise_folder(raw, tmp_path / "out", tmp_path / "private")
    assert counts == {"staff": 2, "participant": 3, "contact": 2, "organisation": 1}
    p = Pseudonymiser(data_secret(raw))
    w1, w2 = p.pseudonym("staff", "S001"), p.pseudonym("staff", "S002")
    org = p.pseudonym("organisation", "Org, North")
    assert (tmp_path / "out" / "staff_survey.csv").read_text(encoding="utf-8") == (
        "staff_id,partnership,organisation,tenure_years,gse_01\n"
        f"{w1},KBOP,{org},1.50,3\n"
        f"{w2},GMBOP,,2,\n")
    parts = read_rows(tmp_path / "out" / "participants.csv")
    assert parts[3][1] == "" and parts[3][2:] == ["2020-03-01", "22"]
    contacts = (tmp_path / "out" / "contacts.csv").read_text(encoding="utf-8").split("\n")
    assert contacts[1] == f"{p.pseudonym('contact', 'C000001')},{p.pseudonym('participant', 'P0001')},{w1},2020-01-02,30.0"


def test_pseudonymise_folder_refuses_unsafe_folders(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    with pytest.raises(InputError, match="private folder"):
        pseudonymise_folder(raw, tmp_path / "out", tmp_path / "out" / "private")
    with pytest.raises(InputError, match="overwritten"):
        pseudonymise_folder(raw, raw, tmp_path / "private")
    (raw / "contacts.csv").write_text("id,participant_id,staff_id\n1,P0001,S001\n")
    with pytest.raises(InputError, match="contact_id"):
        pseudonymise_folder(raw, tmp_path / "out", tmp_path / "private")
    assert not (tmp_path / "out").exists()   # nothing written when a file is bad


def test_identifiers_from_raw(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    assert identifiers_from_raw(raw) == {"S001", "S002", "P0001", "P0002", "P0003",
                                         "C000001", "C000002", "Org, North"}


# --------------------------------------------------------------------------- small cells

def test_count_columns_include_the_required_names():
    assert {"n", "n_cases", "cases_n", "count", "freq", "frequency", "n_workers", "n_participants"} <= COUNT_COLUMNS


def test_suppress_small_cells_on_a_truth_table():
    tt = pd.DataFrame({
        "row": [1, 2, 3, 4, 5],
        "CASELOAD": [0, 0, 1, 1, 1], "INNOV": [0, 1, 0, 1, 1],
        "OUT": [0, 1, 0, 1, "?"],
        "n": [12, 1, 4, 5, 0],
        "incl": [0.31, 0.92, 0.40, 0.88, None],
        "cases": ["S01,S02,S03,S04,S05,S06,S07,S08,S09,S10,S11,S12", "S13", "S14,S15,S16,S17",
                  "S18,S19,S20,S21,S22", ""],
    })
    before = tt.copy()
    out, n = suppress_small_cells(tt)
    assert n == 2
    assert out["n"].tolist() == [12, "<5", "<5", 5, 0]
    assert out["cases"].tolist() == [tt["cases"][0], "", "", tt["cases"][3], ""]
    assert out[["row", "CASELOAD", "INNOV", "OUT"]].equals(tt[["row", "CASELOAD", "INNOV", "OUT"]])
    assert out["incl"].equals(tt["incl"])        # proportions are not counts
    pd.testing.assert_frame_equal(tt, before)    # the input is not changed
    out3, n3 = suppress_small_cells(tt, k=3)
    assert n3 == 1 and out3["n"].tolist() == [12, "<3", 4, 5, 0]
    assert suppress_small_cells(tt, k=1)[1] == 0


def test_suppress_small_cells_column_rules():
    df = pd.DataFrame({"term": ["A*B", "~A", "B"], "N_Cases": [2.0, 9.0, None],
                       "N_workers": ["3", "10", ""], "term_cases": ["S1,S2", "S3", "S4"],
                       "label": ["x", "y", "z"]})
    out, n = suppress_small_cells(df)
    assert n == 1
    assert out["N_Cases"].tolist()[:2] == ["<5", 9.0] and pd.isna(out["N_Cases"][2])
    assert out["N_workers"].tolist() == ["<5", "10", ""]
    assert out["term_cases"].tolist() == ["", "S3", "S4"]       # *_cases lists cases: blanked
    assert out["label"].tolist() == ["x", "y", "z"]
    # explicit count columns replace the defaults
    out2, n2 = suppress_small_cells(df, count_columns=["label"])
    assert n2 == 0 and out2["N_Cases"].tolist()[0] == 2.0
    with pytest.raises(ValueError, match="k must be >= 1"):
        suppress_small_cells(df, k=0)


# --------------------------------------------------------------------------- the check

def minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of Helvetica text per page (no PDF library needed to write it)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objs.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objs)} 0 R >>")
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def where(findings):
    return [(Path(f.file).name, f.line, f.column, f.kind) for f in findings]


def test_finding_message():
    assert Finding("out/tt.csv", 3, 7, "identifier", "raw identifier 'S001'").message() == \
        "out/tt.csv:3:7: identifier: raw identifier 'S001'"
    assert Finding("out/tt.csv", 2, "n", "small-cell", "count 2 < 5").message() == \
        "out/tt.csv:2:n: small-cell: count 2 < 5"
    assert Finding("out/S001.png", None, None, "identifier", "x").message() == "out/S001.png: identifier: x"


def test_scan_finds_an_identifier_in_csv_markdown_and_notebook_output(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "tt.csv").write_text("row,label\n1,foo\n2,bar S001\n")
    (tmp_path / "paper.md").write_text("# Title\n\nThe worker S001 said.\n")
    nb = {"cells": [{"cell_type": "code", "source": ["print(df)\n"], "metadata": {}, "execution_count": 1,
                     "outputs": [{"output_type": "stream", "name": "stdout",
                                  "text": ["   staff_id  n\n", "0      S001  3\n"]}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    nb_text = json.dumps(nb, indent=1)
    (tmp_path / "explore.ipynb").write_text(nb_text)
    nb_lines = nb_text.split("\n")
    nb_line = next(i for i, line in enumerate(nb_lines) if "S001" in line)
    found = scan(tmp_path, identifiers={"S001"})
    assert where(found) == [
        ("explore.ipynb", nb_line + 1, nb_lines[nb_line].index("S001") + 1, "identifier"),
        ("paper.md", 3, 12, "identifier"),
        ("tt.csv", 3, 7, "identifier"),
    ]
    assert found[2].file == (tmp_path / "tables" / "tt.csv").as_posix()
    assert found[2].detail == "raw identifier 'S001'"


def test_scan_token_boundaries(tmp_path):
    (tmp_path / "a.txt").write_text("S0012 XS001 S001x 9S001\n"        # inside longer tokens: no
                                    "worker_S001 (S001) S001-notes\n"   # separated by _ ( ) -: yes
                                    "S1 S1 S1\n")                       # too short to search: no
    found = scan(tmp_path, identifiers={"S001", "S1"})
    assert [(f.line, f.column) for f in found] == [(2, 8), (2, 14), (2, 20)]


def test_scan_prefers_the_longest_identifier(tmp_path):
    (tmp_path / "a.md").write_text("KBOP-06 and KBOP-061 and KBOP\n")
    found = scan(tmp_path, identifiers={"KBOP-06", "KBOP-061", "KBOP-0"})
    assert [(f.column, f.detail) for f in found] == [(1, "raw identifier 'KBOP-06'"),
                                                     (13, "raw identifier 'KBOP-061'")]


def test_scan_finds_identifiers_after_json_escapes(tmp_path):
    (tmp_path / "out.json").write_text(json.dumps({"text": "workers:\nS001\tS002"}))
    found = scan(tmp_path, identifiers={"S001", "S002"})
    assert [f.detail for f in found] == ["raw identifier 'S001'", "raw identifier 'S002'"]


def test_scan_finds_small_cells(tmp_path):
    (tmp_path / "tt.csv").write_text(
        "config,OUT,n,incl,cases\n"
        "110,1,2,0.9,\"S1,S2\"\n"
        "111,1,7,0.8,x\n"
        "101,0,<5,0.2,\n"
        "000,?,0,,\n"
        "011,1,\"3\",0.7,\"multi\nline\"\n"
        "001,0,4.0,0.1,\n")
    (tmp_path / "counts.tsv").write_text("group\tCount\tmean\nA\t1\t2.5\nB\t40\t1\n")
    (tmp_path / "stats.csv").write_text("term,estimate\nx,2\n")   # no count column
    found = scan(tmp_path, k=5)
    assert where(found) == [("counts.tsv", 2, "Count", "small-cell"),
                            ("tt.csv", 2, "n", "small-cell"),
                            ("tt.csv", 6, "n", "small-cell"),
                            ("tt.csv", 8, "n", "small-cell")]
    assert found[1].detail == "count 2 < 5 in column 'n'"
    assert where(scan(tmp_path, k=3)) == [("counts.tsv", 2, "Count", "small-cell"),
                                          ("tt.csv", 2, "n", "small-cell")]


def test_suppressed_tables_pass_the_check(tmp_path):
    tt = pd.DataFrame({"n": [12, 1, 3, 0], "cases": ["S01,S02", "S13", "S14,S15,S16", ""]})
    out, _ = suppress_small_cells(tt)
    out.to_csv(tmp_path / "tt.csv", index=False)
    tt.to_csv(tmp_path / "raw_tt.csv", index=False)
    assert where(scan(tmp_path, identifiers={"S13", "S14"})) == [
        ("raw_tt.csv", 3, 3, "identifier"), ("raw_tt.csv", 3, "n", "small-cell"),
        ("raw_tt.csv", 4, 4, "identifier"), ("raw_tt.csv", 4, "n", "small-cell")]


def test_scan_skips_private_folders_and_symlinks(tmp_path):
    root = tmp_path / "results"
    (root / "private").mkdir(parents=True)
    (root / "sub" / "private").mkdir(parents=True)
    (root / "private" / "pseudonym_key.csv").write_text("kind,raw_id,pseudonym,n\nstaff,S001,WAAAA,1\n")
    (root / "sub" / "private" / "notes.md").write_text("S001\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.md").write_text("S001\n")
    os.symlink(outside, root / "linked")
    os.symlink(outside / "leak.md", root / "leak.md")
    (root / "clean.md").write_text("no ids here\n")
    assert scan(root, identifiers={"S001"}) == []


def test_scan_reads_pdf_text_by_page(tmp_path):
    (tmp_path / "paper.pdf").write_bytes(minimal_pdf(["Results for all workers", "worker S001 and S0012"]))
    found = scan(tmp_path, identifiers={"S001"})
    assert where(found) == [("paper.pdf", 2, None, "identifier")]
    assert "page 2" in found[0].detail


def test_scan_checks_file_names_and_reports_unread_files(tmp_path, monkeypatch):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "S001_profile.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "big.csv").write_text("n\n" + "10\n" * 20)
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf")
    monkeypatch.setattr(disclosure, "MAX_FILE_BYTES", 30)
    found = scan(tmp_path, identifiers={"S001"})
    assert where(found) == [("big.csv", None, None, "unchecked"), ("broken.pdf", None, None, "unchecked"),
                            ("S001_profile.png", None, None, "identifier")]
    assert "not read" in found[0].detail


def test_scan_is_fast_with_thousands_of_identifiers(tmp_path):
    ids = {f"C{i:06d}" for i in range(1, 20001)} | {f"P{i:04d}" for i in range(1, 2001)}
    filler = "0.123,yes,no,2019-07-01,some words here\n" * 50000           # about 2 MB
    (tmp_path / "big.txt").write_text(filler + "tail C019999 P0002x P2000\n")
    start = time.perf_counter()
    found = scan(tmp_path, identifiers=ids)
    assert time.perf_counter() - start < 30    # a plain alternation takes minutes here; the trie well under a second
    assert [(f.line, f.column, f.detail) for f in found] == [
        (50001, 6, "raw identifier 'C019999'"), (50001, 21, "raw identifier 'P2000'")]


def test_scan_rejects_a_file_and_bad_k(tmp_path):
    (tmp_path / "f.csv").write_text("n\n1\n")
    with pytest.raises(InputError, match="not a folder"):
        scan(tmp_path / "f.csv")
    with pytest.raises(ValueError):
        scan(tmp_path, k=0)


# --------------------------------------------------------------------------- command line

def test_cli_reports_findings_and_exits_1(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "tt.csv").write_text("config,n,cases\n110,2,\"S1,S2\"\n111,9,P0002\n")
    (out / "paper.md").write_text("Worker S001 spoke.\n")
    ids = tmp_path / "ids.txt"
    ids.write_text("S001\n\nP0002  \n")
    rc = cli.main(["disclosure-check", str(out), "--identifiers", str(ids)])
    text = capsys.readouterr().out
    assert rc == 1
    assert text.splitlines() == [
        f"{(out / 'paper.md').as_posix()}:1:8: identifier: raw identifier 'S001'",
        f"{(out / 'tt.csv').as_posix()}:2:n: small-cell: count 2 < 5 in column 'n'",
        f"{(out / 'tt.csv').as_posix()}:3:7: identifier: raw identifier 'P0002'",
        "3 finding(s): 2 identifier(s), 1 small cell(s) in 2 file(s)",
    ]
    assert cli.main(["disclosure-check", str(out), "--identifiers", str(ids), "-k", "2"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "2 finding(s): 2 identifier(s), 0 small cell(s) in 2 file(s)"


def test_cli_clean_folder_exits_0(tmp_path, capsys):
    raw = write_tiny_raw(tmp_path / "raw")
    pseudonymise_folder(raw, tmp_path / "release" / "data", tmp_path / "release" / "private")
    (tmp_path / "release" / "tt.csv").write_text("n,cases\n<5,\n12,W1\n0,\n")
    rc = cli.main(["disclosure-check", str(tmp_path / "release"), "--data-dir", str(raw)])
    assert rc == 0   # the key in release/private holds every raw id, and is skipped
    assert capsys.readouterr().out == f"no raw identifiers and no small cells found in {tmp_path / 'release'}\n"


def test_cli_without_identifiers_checks_small_cells(tmp_path, capsys):
    (tmp_path / "a.md").write_text("S001\n")
    assert cli.main(["disclosure-check", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "no identifiers given" in text and "identifiers not checked" in text
    (tmp_path / "b.csv").write_text("n_participants\n3\n")
    assert cli.main(["disclosure-check", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "1 finding(s): 0 identifier(s), 1 small cell(s) in 1 file(s)"


def test_cli_a_file_not_read_is_not_a_clean_folder(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "huge.csv").write_text("n\n" + "10\n" * 20)
    (tmp_path / "ids.txt").write_text("S001\n")
    monkeypatch.setattr(disclosure, "MAX_FILE_BYTES", 30)
    assert cli.main(["disclosure-check", str(out), "--identifiers", str(tmp_path / "ids.txt")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{(out / 'huge.csv').as_posix()}: unchecked: ")
    assert lines[-1] == f"no raw identifiers and no small cells found in {out}, but 1 file(s) not checked"


def test_docstring_examples():
    result = doctest.testmod(disclosure, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_cli_input_errors_exit_2(tmp_path, capsys):
    (tmp_path / "f.txt").write_text("x\n")
    assert cli.main(["disclosure-check", str(tmp_path / "f.txt")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert cli.main(["disclosure-check", str(tmp_path), "--identifiers", str(tmp_path / "none.txt")]) == 2
    assert "identifier file not found" in capsys.readouterr().err
    assert cli.main(["disclosure-check", str(tmp_path), "--data-dir", str(tmp_path / "none")]) == 2
    assert cli.main(["disclosure-check", str(tmp_path), "-k", "0"]) == 2
    assert "disclosure-check" in cli.COMMANDS
