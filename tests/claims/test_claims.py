"""The claims registry: exact storage, tolerant comparison, verify, the lock and trace."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from analysis import claims as cl
from analysis.cli import main as cli_main
from analysis.errors import InputError
from analysis.io import read_json, write_json


# --------------------------------------------------------------------------- encoding

@given(st.floats(allow_nan=True, allow_infinity=True))
def test_numbers_round_trip_exactly(x):
    back = cl.decode_number(cl.encode_number(x))
    assert (math.isnan(x) and math.isnan(back)) or back == x


def test_ints_stay_ints():
    assert cl.encode_number(np.int64(2**60 + 1)) == str(2**60 + 1)
    assert cl.decode_number(cl.encode_number(2**60 + 1)) == 2**60 + 1


@pytest.mark.parametrize("a,b,close", [
    (0.8, 0.8 * (1 + 1e-12), True),
    (0.8, 0.8 * 1.01, False),
    (0.0, 1e-12, True),          # abs tolerance near zero
    (0.0, 1e-8, False),
    (float("nan"), float("nan"), True),
    (float("nan"), 0.0, False),
    (float("inf"), float("inf"), True),
    (float("inf"), -float("inf"), False),
    (52, 52, True),
    (52, 53, False),
])
def test_default_tolerance(a, b, close):
    assert cl.numbers_close(a, b) is close


def test_table_round_trip_and_kinds():
    df = pd.DataFrame({"alpha": [0.81, np.nan], "n": [65, 64], "scale": ["GSE", None], "ok": [True, False]},
                      index=pd.Index(["a", "b"], name="row"))
    enc = cl.encode_table(df)
    assert enc["kinds"] == ["number", "number", "text", "text"]
    assert enc["data"] == [["0.81", "65", "GSE", "True"], ["nan", "64", None, "False"]]
    back = cl.decode_table(enc)
    assert list(back.columns) == ["alpha", "n", "scale", "ok"] and back.index.name == "row"
    assert back.loc["a", "alpha"] == 0.81 and math.isnan(back.loc["b", "alpha"])
    assert json.loads(json.dumps(enc)) == enc


# --------------------------------------------------------------------------- recording

def _recorder(tmp_path: Path, stage: str = "toy", **kw) -> cl.ClaimRecorder:
    return cl.ClaimRecorder(stage=stage, results_dir=tmp_path / "results", parameters={"seed": 1, "k": 2},
                            notebook=None, inputs=kw.pop("inputs", []), **kw)


def test_recorder_writes_exact_deterministic_file(tmp_path: Path):
    (tmp_path / "in.csv").write_text("x\n1\n")
    rec = cl.ClaimRecorder(stage="toy", results_dir=tmp_path / "results", parameters={"seed": 1},
                           inputs=[tmp_path / "in.csv"])
    assert rec.number("toy.mean", 0.1 + 0.2, label="mean") == 0.1 + 0.2
    rec.text("toy.expr", "~SBW*INNOV + LONGMEET", label="expr")
    rec.table("toy.table", pd.DataFrame({"v": [1.0, 2.5]}), rel=1e-4)
    rec.figure("toy.fig", data=pd.DataFrame({"x": [1, 2], "y": [0.5, 0.25]}), path=tmp_path / "fig.png")
    path = rec.save()
    assert path == tmp_path / "results" / "claims" / "toy.json"
    first = path.read_bytes()
    rec.save()
    assert path.read_bytes() == first
    doc = read_json(path)
    c = doc["claims"]
    assert c["toy.mean"]["value"] == "0.30000000000000004"
    assert c["toy.mean"]["tolerance"] == {"rel": 1e-6, "abs": 1e-9}
    assert c["toy.expr"]["tolerance"] is None and c["toy.expr"]["value"] == "~SBW*INNOV + LONGMEET"
    assert c["toy.table"]["tolerance"]["rel"] == 1e-4
    sha_in = __import__("hashlib").sha256(b"x\n1\n").hexdigest()
    assert all(r["inputs"] == {(tmp_path / "in.csv").as_posix(): sha_in} for r in c.values())
    assert all(r["params_sha256"] == doc["params_sha256"] and r["stage"] == "toy" for r in c.values())
    assert doc["params_sha256"] == __import__("hashlib").sha256(b'{"seed": 1}').hexdigest()


def test_params_hash_matches_the_pipeline(tmp_path: Path):
    from analysis.params import load_params

    space = load_params()
    values = space.defaults()
    stage_params = space.for_stage("qca", values)
    rec = cl.ClaimRecorder(stage="qca", results_dir=tmp_path, parameters={**stage_params, "results_dir": "x"},
                           inputs=[])
    assert rec.params_sha256 == space.fingerprint("qca", values)


def test_default_notebook_and_inputs_come_from_the_stage_table(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "staff_survey.csv").write_text("a\n")
    rec = cl.ClaimRecorder(stage="prepare", results_dir=tmp_path / "results", raw_dir=raw)
    assert rec.notebook == "notebooks/01_prepare.ipynb"
    assert rec.inputs[(raw / "staff_survey.csv").as_posix()] is not None
    assert rec.inputs[(raw / "contacts.csv").as_posix()] is None  # missing input recorded as such


def test_notebook_of_a_stage_not_in_the_table_is_found_by_name(tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    (nbdir / "07_extra.ipynb").write_text("{}")
    monkeypatch.setattr(cl.config, "NOTEBOOKS_DIR", nbdir)
    assert cl.ClaimRecorder(stage="extra", results_dir=tmp_path, inputs=[]).notebook_path == nbdir / "07_extra.ipynb"
    assert cl.ClaimRecorder(stage="other", results_dir=tmp_path, inputs=[]).notebook is None


@pytest.mark.parametrize("call,match", [
    (lambda r: r.number("bad name", 1.0), "claim name"),
    (lambda r: r.number("x.y", "0.5"), "expected a real number"),
    (lambda r: r.number("x.y", True), "expected a real number"),
    (lambda r: r.number("x.y", 1.0, rel=-1), "tolerance rel"),
    (lambda r: r.text("x.y", 3), "expected text"),
    (lambda r: r.table("x.y", [1, 2]), "DataFrame"),
    (lambda r: r.figure("x.y", data=np.zeros((2, 2, 2)), path="f.png"), "dimensions"),
])
def test_bad_records_are_refused(tmp_path, call, match):
    with pytest.raises(InputError, match=match):
        call(_recorder(tmp_path))


def test_numpy_scalars_are_numbers(tmp_path):
    r = _recorder(tmp_path)
    r.number("a", np.float64(0.5))
    r.number("b", np.int32(7))
    r.number("c", np.array(1.25))
    assert [r.records[k]["value"] for k in "abc"] == ["0.5", "7", "1.25"]


def test_name_in_two_files_is_an_error(tmp_path):
    for stage in ("s1", "s2"):
        r = _recorder(tmp_path, stage=stage)
        r.number("same", 1.0)
        r.save()
    with pytest.raises(InputError, match="'same' is recorded in both"):
        cl.load_claims(tmp_path / "results" / "claims")


def test_find_cell_by_source_then_by_literal_name():
    cells = [("c1", "x = 1"), ("c2", "claims.number('a.b', x)\nclaims.number(\"c.d\", 2)"), ("c3", "y")]
    assert cl.find_cell(cells, "a.b", "claims.number('a.b', x)\nclaims.number(\"c.d\", 2)\n") == "c2"
    assert cl.find_cell(cells, "c.d", None) == "c2"
    assert cl.find_cell(cells, "a.bb", None) is None  # a prefix is not the name
    assert cl.find_cell(cells + [("c4", "'a.b'")], "a.b", None) is None  # ambiguous


# --------------------------------------------------------------------------- toy stage and verify

def toy_stage(raw: pd.DataFrame, results: Path, stage: str = "toy") -> Path:
    """A toy 'stage': a mean, a slope, a text verdict, a table and a figure, all recorded."""
    r = cl.ClaimRecorder(stage=stage, results_dir=results, parameters={"seed": 1}, inputs=[],
                         notebook="notebooks/99_toy.ipynb")
    r.number("toy.mean_x", raw["x"].mean(), label="in-text")
    r.number("toy.mean_y", raw["y"].mean())
    r.number("toy.slope", float(np.polyfit(raw["x"], raw["y"], 1)[0]))
    r.number("toy.n", len(raw))
    r.text("toy.verdict", "positive" if raw["y"].corr(raw["x"]) > 0 else "negative")
    r.table("toy.describe", raw.describe().loc[["mean", "std"]], label="tab:1")
    r.figure("toy.fig", data=raw[["x", "y"]], path="figures/toy.png", label="fig:1")
    return r.save()


@pytest.fixture
def raw() -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence(20240601))
    x = rng.normal(10, 2, 65)
    return pd.DataFrame({"x": x, "y": 0.5 * x + rng.normal(0, 1, 65), "z": rng.normal(0, 1, 65)})


def _claims(raw, tmp_path, name):
    toy_stage(raw, tmp_path / name)
    return cl.load_claims(tmp_path / name / "claims")


def test_same_run_reproduces_fully(raw, tmp_path):
    locked = _claims(raw, tmp_path, "a")
    report = cl.verify({"format": 1, "claims": locked}, _claims(raw.copy(), tmp_path, "b"))
    assert report.ok and report.classification == "full" and report.total == 7
    assert report.lines() == ["7/7 claims reproduced: full reproduction"]


def test_noise_of_1e12_stays_within_tolerance(raw, tmp_path):
    locked = _claims(raw, tmp_path, "a")
    rng = np.random.default_rng(1)
    noisy = raw * (1 + rng.uniform(-1e-12, 1e-12, raw.shape))
    assert not noisy.equals(raw)
    current = _claims(noisy, tmp_path, "b")
    # the exact hash of the figure data moved, yet every value is within tolerance
    assert current["toy.fig"]["value"]["sha256"] != locked["toy.fig"]["value"]["sha256"]
    report = cl.verify(locked, current)
    assert report.ok, report.lines()


def test_scaling_one_column_by_1_01_fails_and_names_the_claims(raw, tmp_path):
    locked = _claims(raw, tmp_path, "a")
    scaled = raw.assign(y=raw["y"] * 1.01)
    report = cl.verify(locked, _claims(scaled, tmp_path, "b"))
    assert not report.ok
    assert sorted(d.name for d in report.diffs) == ["toy.describe", "toy.fig", "toy.mean_y", "toy.slope"]
    assert report.classification == "failed"  # 4 of 7 differ: more than half
    lines = report.lines()
    assert lines[-1] == "3/7 claims reproduced: failed reproduction"
    mean_y = next(line for line in lines if " toy.mean_y " in line)
    assert mean_y.startswith("DIFFERS toy.mean_y [notebooks/99_toy.ipynb, cell ?]: locked ")
    assert "tolerance rel 1e-06, abs 1e-09" in mean_y and "relative difference 0.0099" in mean_y


def test_classification_failed_when_missing_or_most_differ(raw, tmp_path):
    locked = _claims(raw, tmp_path, "a")
    current = dict(locked)
    current.pop("toy.n")
    report = cl.verify(locked, current)
    assert report.classification == "failed"
    assert any(line.startswith("MISSING toy.n ") and "new (missing)" in line for line in report.lines())
    doubled = _claims(raw * 2, tmp_path, "b")  # the slope, n and the verdict do not move
    report = cl.verify(locked, doubled)
    assert [d.name for d in report.diffs] == ["toy.describe", "toy.fig", "toy.mean_x", "toy.mean_y"]
    assert report.classification == "failed"


def test_text_is_exact_and_new_claims_are_noted(raw, tmp_path):
    locked = _claims(raw, tmp_path, "a")
    current = json.loads(json.dumps(locked))
    current["toy.verdict"]["value"] = "positive "
    current["toy.extra"] = dict(current["toy.n"], name="toy.extra")
    report = cl.verify(locked, current)
    assert [d.name for d in report.diffs] == ["toy.verdict"]
    assert report.classification == "partial" and not report.ok
    assert "tolerance exact" in report.diffs[0].line()
    assert any("not in the lock" in line and "toy.extra" in line for line in report.lines())


def test_table_changes_are_described(raw, tmp_path):
    a = cl.encode_table(pd.DataFrame({"v": [1.0, 2.0]}, index=["p", "q"]))
    b = cl.encode_table(pd.DataFrame({"v": [1.0, 2.5]}, index=["p", "q"]))
    tol = {"rel": 1e-6, "abs": 1e-9}
    assert cl._compare_tables(a, a, tol) is None
    msg = cl._compare_tables(a, b, tol)
    assert msg.startswith("1 of 2 cells differ, e.g. row 'q', column 'v': 2.0 -> 2.5")
    c = cl.encode_table(pd.DataFrame({"w": [1.0, 2.0]}, index=["p", "q"]))
    assert cl._compare_tables(a, c, tol).startswith("columns differ")


def test_input_changes_are_noted(tmp_path):
    for run, content in (("a", "x\n1\n"), ("b", "x\n2\n")):
        d = tmp_path / run
        d.mkdir()
        (d / "in.csv").write_text(content)
        r = cl.ClaimRecorder(stage="toy", results_dir=d / "results", inputs=[d / "in.csv"])
        r.number("n", 1)
        r.save()
    report = cl.verify(cl.load_claims(tmp_path / "a/results/claims"), cl.load_claims(tmp_path / "b/results/claims"))
    assert report.ok
    assert any("input files differ" in line and "in.csv" in line for line in report.lines())


# --------------------------------------------------------------------------- lock and CLI

def test_verify_cli_update_lock_then_verify(raw, tmp_path, capsys):
    results = tmp_path / "results"
    toy_stage(raw, results)
    write_json({"stages": {"toy": {"notebook": "notebooks/99_toy.ipynb", "parameters": {"seed": 1},
                                   "inputs": {}}},
                "outputs": [{"path": "figures/toy.png", "sha256": "0" * 64, "stage": "toy"}]},
               results / "manifest.json")
    write_json({"total_seconds": 12.5}, results / "timing.json")
    lock = tmp_path / "claims.lock.json"
    args = ["--lock", str(lock), "--claims-dir", str(results / "claims")]
    assert cli_main(["verify", *args]) == 2
    assert "no lock to compare with" in capsys.readouterr().err
    assert cli_main(["verify", "--update-lock", *args]) == 0
    assert "7 claims locked" in capsys.readouterr().out
    doc = read_json(lock)
    assert doc["outputs"] == [{"path": "figures/toy.png", "stage": "toy"}]
    assert doc["run"] == {"total_seconds": 12.5} and doc["stages"]["toy"]["notebook"] == "notebooks/99_toy.ipynb"
    assert cli_main(["verify", *args]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "7/7 claims reproduced: full reproduction"
    # a scaled input: non-zero exit naming the claims that moved
    toy_stage(raw.assign(x=raw["x"] * 1.01), results)
    assert cli_main(["verify", *args]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS toy.mean_x " in out and "DIFFERS toy.slope " in out and "toy.mean_y " not in out
    # the lock update without a manifest keeps the frozen outputs and timing
    (results / "manifest.json").unlink()
    (results / "timing.json").unlink()
    assert cli_main(["verify", "--update-lock", *args]) == 0
    assert read_json(lock)["run"] == {"total_seconds": 12.5} and "outputs" in read_json(lock)


def test_verify_cli_bad_lock(tmp_path, capsys):
    bad = tmp_path / "lock.json"
    bad.write_text('{"claims": 3}')
    (tmp_path / "claims").mkdir()
    assert cli_main(["verify", "--lock", str(bad), "--claims-dir", str(tmp_path / "claims")]) == 2
    assert "not a claims file" in capsys.readouterr().err


# --------------------------------------------------------------------------- trace

MANIFEST = {
    "stages": {
        "prepare": {"notebook": "notebooks/01_prepare.ipynb", "parameters": {},
                    "inputs": {"data/raw/staff_survey.csv": "a" * 64, "data/raw/contacts.csv": "b" * 64}},
        "toy": {"notebook": "notebooks/99_toy.ipynb", "parameters": {"seed": 1},
                "inputs": {"data/processed/staff.csv": "c" * 64}},
    },
    "outputs": [
        {"path": "data/processed/staff.csv", "sha256": "c" * 64, "stage": "prepare"},
        {"path": "figures/toy.png", "sha256": "d" * 64, "stage": "toy"},
        {"path": "results/claims/toy.json", "sha256": "e" * 64, "stage": "toy"},
    ],
}


def test_trace_a_claim_goes_back_to_raw_files(raw, tmp_path):
    toy_stage(raw, tmp_path / "results")
    claims = cl.load_claims(tmp_path / "results" / "claims")
    claims["toy.mean_x"]["cell"] = "abc123"
    lines = cl.trace("toy.mean_x", claims, MANIFEST)
    text = "\n".join(lines)
    assert lines[0].startswith("number toy.mean_x = ")
    assert f"data/raw/contacts.csv  sha256 {'b' * 64}" in text
    assert f"data/raw/staff_survey.csv  sha256 {'a' * 64}" in text
    assert f"data/processed/staff.csv  sha256 {'c' * 64}  <- stage prepare (notebooks/01_prepare.ipynb)" in text
    assert "stage: toy, notebook notebooks/99_toy.ipynb, cell abc123" in text
    assert "parameters: seed=1" in text
    assert f"output: results/claims/toy.json  sha256 {'e' * 64}" in text
    assert lines[-1] == "  paper label: in-text"
    order = [text.index(s) for s in ("raw data:", "processed data:", "stage:", "output:", "paper label")]
    assert order == sorted(order)


def test_trace_a_figure_by_name_or_path(raw, tmp_path):
    toy_stage(raw, tmp_path / "results")
    claims = cl.load_claims(tmp_path / "results" / "claims")
    by_name = cl.trace("toy.fig", claims, MANIFEST)
    assert by_name == cl.trace("figures/toy.png", claims, MANIFEST)
    assert f"  output: figures/toy.png  sha256 {'d' * 64}" in by_name
    assert by_name[-1] == "  paper label: fig:1"


def test_trace_an_output_without_claim():
    lines = cl.trace("data/processed/staff.csv", {}, MANIFEST)
    assert lines[0] == "output data/processed/staff.csv"
    assert "  stage: prepare, notebook notebooks/01_prepare.ipynb" in lines


def test_trace_unknown_name_lists_close_matches(raw, tmp_path, capsys):
    toy_stage(raw, tmp_path / "results")
    claims = cl.load_claims(tmp_path / "results" / "claims")
    with pytest.raises(InputError, match=r"unknown claim or output 'toy.mean'.*did you mean: toy.mean_[xy]"):
        cl.trace("toy.mean", claims, MANIFEST)
    write_json(MANIFEST, tmp_path / "results" / "manifest.json")
    args = ["--claims-dir", str(tmp_path / "results" / "claims"), "--lock", str(tmp_path / "none.json")]
    assert cli_main(["trace", "toy.slop", *args]) == 2
    assert "did you mean: toy.slope" in capsys.readouterr().err
    assert cli_main(["trace", "toy.slope", *args]) == 0
    assert "stage: toy, notebook notebooks/99_toy.ipynb" in capsys.readouterr().out


# --------------------------------------------------------------------------- the paper's numbers

PAPER_CLAIMS = {
    "sol.incl": {"kind": "number", "value": "0.8512345"},
    "sol.cov": {"kind": "number", "value": "0.4049"},
    "corr": {"kind": "number", "value": "-0.3149"},
    "t1": {"kind": "table", "value": cl.encode_table(pd.DataFrame({"alpha": [0.8123, np.nan], "s": ["a", "b"]}))},
    "expr": {"kind": "text", "value": "0.99"},
}


@pytest.mark.parametrize("text,unclaimed", [
    ("The solution's consistency is 0.85 and its coverage 0.40.", []),
    ("consistency 0.851, coverage 40.5 %, r = −0.31, alpha .81", []),
    ("coverage 0.41", [(1, "0.41")]),            # 0.4049 rounds to 0.40
    ("alpha 0.82", [(1, "0.82")]),
    ("a text claim is not a number: 0.99", [(1, "0.99")]),
    ("N = 65 workers, 16 rows, in 2024", []),      # integers are not checked
    ("line one\nPython 3.11 and 0.5", [(2, "0.5")]),
    ("r = 0.31", [(1, "0.31")]),                   # the sign matters
])
def test_unclaimed_numbers(text, unclaimed):
    assert cl.unclaimed_numbers(text, PAPER_CLAIMS, allowed={"3.11"}) == unclaimed


def test_version_numbers_are_not_decimals():
    assert cl.unclaimed_numbers("numpy 2.4.6", PAPER_CLAIMS) == []


def test_recording_claims_does_not_tie_a_stage_to_the_runner_code():
    """A notebook importing analysis.claims is not rerun when analysis/pipeline.py changes."""
    from analysis import config
    from analysis.pipeline import code_closure

    closure = code_closure(["from analysis.claims import ClaimRecorder"], config.ROOT / "analysis")
    assert "analysis.claims" in closure
    assert "analysis.pipeline" not in closure and "analysis.params" not in closure


def test_large_figure_keeps_only_the_hash(tmp_path, monkeypatch):
    monkeypatch.setattr(cl, "MAX_FIGURE_CELLS", 4)
    r = _recorder(tmp_path)
    r.figure("big", data=pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 5.0]}), path="figures/big.png")
    locked = {"big": r.records["big"]}
    assert locked["big"]["value"]["data"] is None
    r2 = _recorder(tmp_path)
    r2.figure("big", data=pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 5.0 + 1e-12]}), path="figures/big.png")
    report = cl.verify(locked, {"big": r2.records["big"]})
    assert [d.reason for d in report.diffs] == ["data behind the figure differs (hash)"]


def test_attach_cells_from_an_executed_notebook(tmp_path):
    import nbformat

    r = _recorder(tmp_path)
    r.number("a.b", 1.0)
    r.number("c.d", 2.0)
    path = r.save()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("claims.number('a.b', x)"), nbformat.v4.new_code_cell("other()")]
    nb.cells[0].id = "k1"
    nbformat.write(nb, tmp_path / "run.ipynb")
    assert cl.attach_cells(path, tmp_path / "run.ipynb") == 1
    doc = read_json(path)
    assert doc["claims"]["a.b"]["cell"] == "k1" and doc["claims"]["c.d"]["cell"] is None


def test_changed_input_note_tells_apart_files_with_the_same_name():
    """Two stages write a summary.json: only the one whose bytes changed is named."""
    inputs = {"results/qca/summary.json": "a" * 64, "results/regression/x/summary.json": "b" * 64}
    rec = {"kind": "number", "value": 1.0, "rel": 1e-6, "abs": 1e-9, "inputs": inputs}
    same = cl.verify({"c": rec}, {"c": dict(rec)})
    assert same.ok and same.notes == []
    moved = cl.verify({"c": rec}, {"c": {**rec, "inputs": {**inputs, "results/qca/summary.json": "c" * 64}}})
    assert moved.notes == ["input files differ from the locked run: results/qca/summary.json"]
    # a run under runs/<label>/ is matched by the (unique) file name
    other = {"c": {**rec, "inputs": {"runs/x/results/qca/summary.json": "d" * 64}}}
    assert cl.verify({"c": {**rec, "inputs": {"results/qca/summary.json": "a" * 64}}}, other).notes == [
        "input files differ from the locked run: runs/x/results/qca/summary.json"]
