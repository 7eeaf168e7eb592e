"""Real data are safe by construction.

* data/raw/ holds only the stand-in: other files there are refused, and the
  stand-in-only commands (verify --update-lock, synth into data/raw) refuse them;
* a run on other data is labelled by their content, writes only under runs/,
  pseudonymises every identifier before the first stage, and leaves a release
  copy with small cells suppressed in which disclosure-check finds no raw
  identifier (end to end, on a changed copy of the stand-in outside the repository);
* disclosure-check finds a planted identifier and a planted small cell;
* a notebook run outside the pipeline never writes the published outputs;
* the published lock holds no case-level values.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import config, datasets, disclosure, io as aio
from analysis.claims import read_lock
from analysis.cli import main as cli_main
from analysis.errors import InputError
from analysis.pipeline import make_run


def _copy_standin(dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in datasets.RAW_FILES:
        shutil.copyfile(config.RAW_DIR / name, dst / name)
    return dst


def _change_one_cell(folder: Path, file: str = "staff_survey.csv", column: str = "tenure_years",
                     value: str = "7.5") -> None:
    path = folder / file
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


@pytest.fixture
def fake_project(tmp_path, monkeypatch):
    """A project root whose data/raw/ is a copy of the stand-in with its recorded checksums."""
    root = tmp_path / "proj"
    raw = _copy_standin(root / "data" / "raw")
    shutil.copyfile(datasets.STANDIN_FILE, root / "data" / "standin.sha256")
    monkeypatch.setattr(config, "RAW_DIR", raw)
    monkeypatch.setattr(datasets, "STANDIN_FILE", root / "data" / "standin.sha256")
    return root


def test_shipped_raw_folder_is_the_recorded_standin():
    ident = datasets.identify(config.RAW_DIR)
    assert ident.standin and ident.label == "standin"
    assert set(datasets.standin_checksums()) == set(datasets.RAW_FILES)


def test_real_files_in_data_raw_are_refused_with_where_to_put_them(fake_project):
    make_run(root=fake_project)  # the stand-in: accepted
    _change_one_cell(fake_project / "data" / "raw")
    with pytest.raises(InputError) as err:
        make_run(root=fake_project)
    msg = str(err.value)
    assert "data/raw" in msg and "staff_survey.csv" in msg and "data/real/" in msg and "--data-dir" in msg


def test_stand_in_only_commands_refuse_other_data(fake_project, capsys):
    _change_one_cell(fake_project / "data" / "raw")
    before = {p.name: p.read_bytes() for p in (fake_project / "data" / "raw").iterdir()}
    assert cli_main(["verify", "--update-lock"]) == 2
    assert "verify --update-lock works only on the shipped stand-in" in capsys.readouterr().err
    assert cli_main(["synth", "--out", str(fake_project / "data" / "raw")]) == 2
    assert "synth --out data/raw works only on the shipped stand-in" in capsys.readouterr().err
    # nothing was overwritten
    assert {p.name: p.read_bytes() for p in (fake_project / "data" / "raw").iterdir()} == before


def test_synth_never_overwrites_raw_files_elsewhere(tmp_path, capsys):
    target = _copy_standin(tmp_path / "mine")
    assert cli_main(["synth", "--out", str(target)]) == 2
    assert "already exist" in capsys.readouterr().err


def test_other_data_get_a_content_label_and_never_a_default_run(tmp_path):
    a, b = _copy_standin(tmp_path / "a" / "real"), _copy_standin(tmp_path / "b" / "real")
    _change_one_cell(a, value="7.5")
    _change_one_cell(b, value="8.5")
    ra, rb = make_run(a), make_run(b)
    assert ra.label != rb.label and ra.label.startswith("data-") and not ra.default and not ra.standin
    assert ra.out.parent == config.ROOT / "runs"
    # the stages read the pseudonymised copy in the run's private folder
    assert ra.raw == ra.out / "private" / "pseudonymised" and ra.source_raw == a.resolve()


def test_gitignore_covers_every_real_data_location():
    if shutil.which("git") is None or not (config.ROOT / ".git").exists():
        pytest.skip("needs git and the repository")
    paths = ["data/real/staff_survey.csv", "data/real_2025/staff_survey.csv", "data/owner/x.csv",
             "data/raw/extra.csv", "runs/data-0123456789abcdef/results/x.csv", "runs/notebook/results/x.csv",
             "private/pseudonym_key.csv", "data/raw/export.xlsx"]
    out = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=config.ROOT,
                         capture_output=True, text=True)
    assert sorted(out.stdout.split()) == sorted(paths)
    tracked = ["data/raw/staff_survey.csv", "data/standin.sha256", "data/README.md"]
    out = subprocess.run(["git", "check-ignore", "--no-index", *tracked], cwd=config.ROOT,
                         capture_output=True, text=True)
    assert out.stdout.split() == []


def test_pseudonymise_folder_is_stable_and_consistent(tmp_path):
    raw = _copy_standin(tmp_path / "raw")
    counts = disclosure.pseudonymise_folder(raw, tmp_path / "out", tmp_path / "private")
    assert counts["staff"] == 65 and counts["participant"] == 1970
    first = {n: (tmp_path / "out" / n).read_bytes() for n in datasets.RAW_FILES}
    disclosure.pseudonymise_folder(raw, tmp_path / "out", tmp_path / "private")
    assert first == {n: (tmp_path / "out" / n).read_bytes() for n in datasets.RAW_FILES}
    staff = pd.read_csv(raw / "staff_survey.csv", dtype=str)
    pstaff = pd.read_csv(tmp_path / "out" / "staff_survey.csv", dtype=str)
    parts = pd.read_csv(tmp_path / "out" / "participants.csv", dtype=str)
    key = pd.read_csv(tmp_path / "private" / "pseudonym_key.csv", dtype=str)
    # every non-identifier cell kept; every identifier replaced, consistently across files
    pd.testing.assert_frame_equal(staff.drop(columns=["staff_id", "organisation"]),
                                  pstaff.drop(columns=["staff_id", "organisation"]))
    assert not set(staff["staff_id"]) & set(pstaff["staff_id"])
    assert set(parts["staff_id"]) <= set(pstaff["staff_id"])
    mapping = dict(zip(key.loc[key.kind == "staff", "raw_id"], key.loc[key.kind == "staff", "pseudonym"]))
    assert [mapping[s] for s in staff["staff_id"]] == list(pstaff["staff_id"])
    # the pseudonym is the HMAC of the id under the data's secret
    import hashlib
    import hmac
    secret = disclosure.data_secret(raw)
    sid = staff["staff_id"].iloc[0]
    assert mapping[sid] == "W" + hmac.new(secret, f"staff:{sid}".encode(), hashlib.sha256).hexdigest()[:10].upper()
    other = _copy_standin(tmp_path / "other")
    _change_one_cell(other)
    assert disclosure.data_secret(other) != secret


def test_disclosure_check_finds_a_planted_identifier_and_a_small_cell(tmp_path, capsys):
    folder = tmp_path / "release"
    (folder / "private").mkdir(parents=True)
    (folder / "table.csv").write_text("row,n,cases\n1,6,\"A,B\"\n2,2,\"C\"\n", encoding="utf-8")
    (folder / "notes.md").write_text("# Notes\n\nworker S0123 and S012 differ\n", encoding="utf-8")
    (folder / "private" / "key.csv").write_text("S012\n", encoding="utf-8")  # skipped: private
    ids = tmp_path / "ids.txt"
    ids.write_text("S012\n", encoding="utf-8")
    assert cli_main(["disclosure-check", str(folder), "--identifiers", str(ids)]) == 1
    out = capsys.readouterr().out
    assert "notes.md:3:18: identifier: raw identifier 'S012'" in out  # the whole token, not inside S0123
    assert "notes.md:3:8" not in out
    assert "table.csv:3:n: small-cell: count 2 < 5" in out
    assert "private" not in out
    assert "2 finding(s): 1 identifier(s), 1 small cell(s) in 2 file(s)" in out
    (folder / "notes.md").write_text("nothing here\n", encoding="utf-8")
    (folder / "table.csv").write_text("row,n\n1,6\n2,<5\n", encoding="utf-8")
    assert cli_main(["disclosure-check", str(folder), "--identifiers", str(ids)]) == 0
    assert cli_main(["disclosure-check", str(tmp_path / "nope")]) == 2


def test_suppress_small_cells_blanks_case_lists():
    df = pd.DataFrame({"row": [1, 2, 3], "n": [6, 3, 0], "cases": ["a,b,c,d,e,f", "g,h,i", ""]})
    out, n = disclosure.suppress_small_cells(df, k=5)
    assert n == 1 and out["n"].tolist() == [6, "<5", 0] and out["cases"].tolist()[1] == ""
    with pytest.raises(ValueError):
        disclosure.suppress_small_cells(df, k=0)


def test_writes_outside_the_pipeline_never_reach_published_outputs(monkeypatch):
    monkeypatch.delenv(aio.PIPELINE_ENV, raising=False)
    target = config.RESULTS_DIR / "qca" / "x.csv"
    assert aio.output_path(target) == config.ROOT / "runs" / "notebook" / "results" / "qca" / "x.csv"
    assert aio.output_path(config.ROOT / "docs" / "x.md") == config.ROOT / "docs" / "x.md"
    monkeypatch.setenv(aio.PIPELINE_ENV, "default")
    assert aio.output_path(target) == target


def test_published_lock_holds_no_case_level_values():
    lock = read_lock(config.RESULTS_DIR / "claims.lock.json")
    figures = {k: v for k, v in lock["claims"].items() if v["kind"] == "figure"}
    assert figures
    for name, rec in figures.items():
        assert rec["value"].get("data") is None, name
        assert rec["value"]["summary"]["rows"] > 0, name


@pytest.mark.slow
def test_papermill_with_other_parameters_leaves_published_outputs_alone(tmp_path):
    """Notebooks 01-04 run by papermill (04 with incl_cut 0.9), as a user would outside the
    pipeline: they read and write runs/notebook/, and the published outputs stay as they are
    (on a fresh clone there are none yet: the chain makes its own inputs)."""
    import papermill as pm

    published = sorted(p for d in (config.PROCESSED_DIR, config.RESULTS_DIR) for p in d.rglob("*")
                       if p.is_file())
    before = {p: p.read_bytes() for p in published}
    old = dict(os.environ)
    os.environ.pop(aio.PIPELINE_ENV, None)
    os.environ[aio.QUIET_ENV] = "1"
    shutil.rmtree(config.SCRATCH_DIR, ignore_errors=True)
    try:
        for nb, params in (("01_prepare.ipynb", {}), ("02_psychometrics.ipynb", {}),
                           ("03_calibration.ipynb", {}),
                           ("04_qca.ipynb", {"incl_cut": 0.9, "n_permutations": 20, "n_jobs": 1})):
            pm.execute_notebook(str(config.NOTEBOOKS_DIR / nb), str(tmp_path / nb), parameters=params,
                                cwd=str(config.ROOT), progress_bar=False, kernel_name="python3",
                                start_timeout=300)
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert sorted(p for d in (config.PROCESSED_DIR, config.RESULTS_DIR) for p in d.rglob("*")
                  if p.is_file()) == published
    assert {p: p.read_bytes() for p in published} == before
    summary = config.SCRATCH_DIR / "results" / "qca" / "summary.json"
    assert '"incl_cut": 0.9' in summary.read_text(encoding="utf-8")


@pytest.mark.slow
def test_run_on_other_data_end_to_end(tmp_path):
    """A data owner's run on a changed copy outside the repository: git status unchanged,
    release outputs free of raw identifiers, disclosure-check clean on the release; the same
    data with rows shuffled give byte-identical release tables and the same claims."""
    if shutil.which("git") is None or not (config.ROOT / ".git").exists():
        pytest.skip("needs git and the repository")
    owner = _copy_standin(tmp_path / "owner" / "extract")
    _change_one_cell(owner)
    status = ["git", "status", "--porcelain", "--untracked-files=all"]
    before = subprocess.run(status, cwd=config.ROOT, capture_output=True, text=True).stdout
    env = {k: v for k, v in os.environ.items() if k != aio.PIPELINE_ENV}
    run = make_run(owner)
    try:
        proc = subprocess.run([sys.executable, "-m", "analysis", "reproduce", "--data-dir", str(owner),
                               "-p", "n_permutations", "50"],
                              cwd=config.ROOT, capture_output=True, text=True, env=env, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-3000:]
        after = subprocess.run(status, cwd=config.ROOT, capture_output=True, text=True).stdout
        assert after == before
        out = config.ROOT / "runs" / f"{run.label}__n_permutations=50"
        release = out / "release"
        assert (release / "paper" / "paper.pdf").is_file() and (release / "results" / "qca").is_dir()
        assert (out / "private" / "pseudonym_key.csv").is_file()
        assert not (release / "private").exists()
        check = subprocess.run([sys.executable, "-m", "analysis", "disclosure-check", str(release),
                                "--data-dir", str(owner)], cwd=config.ROOT, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout[-3000:]
        # the unreleased results do hold small cells, which the release suppressed
        truth = pd.read_csv(release / "results" / "qca" / "truth_table.csv", dtype=str)
        assert (truth["n"] == "<5").any()
        # the paper says which data were analysed
        html = (release / "paper" / "paper.html").read_text(encoding="utf-8")
        assert "supplied by a data owner" in html and "synthetic stand-in shipped" not in html
        ids = disclosure.identifiers_from_raw(owner)
        assert not any(i in html for i in ids if len(i) >= 4)
        # the same data with every file's rows shuffled: the same pseudonyms, tables and claims
        shuffled = _copy_standin(tmp_path / "owner" / "shuffled")
        for name in datasets.RAW_FILES:
            lines = (owner / name).read_text(encoding="utf-8").splitlines(keepends=True)
            body = lines[1:]
            import random
            random.Random(20240601).shuffle(body)
            (shuffled / name).write_text(lines[0] + "".join(body), encoding="utf-8")
        run2 = make_run(shuffled)
        proc = subprocess.run([sys.executable, "-m", "analysis", "reproduce", "--data-dir", str(shuffled),
                               "-p", "n_permutations", "50"],
                              cwd=config.ROOT, capture_output=True, text=True, env=env, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out2 = config.ROOT / "runs" / f"{run2.label}__n_permutations=50"
        tables = sorted(p.relative_to(release) for p in (release / "results").rglob("*.csv"))
        assert tables
        for rel in tables:
            assert (release / rel).read_bytes() == (out2 / "release" / rel).read_bytes(), rel
        from analysis.claims import load_claims
        a, b = load_claims(out / "results" / "claims"), load_claims(out2 / "results" / "claims")
        assert {k: v["value"] for k, v in a.items()} == {k: v["value"] for k, v in b.items()}
    finally:
        for r in (run, locals().get("run2")):
            if r is not None:
                shutil.rmtree(config.ROOT / "runs" / f"{r.label}__n_permutations=50", ignore_errors=True)
