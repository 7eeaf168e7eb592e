"""The synthetic DGP: reproducible bytes, realism figures, the planted QCA structure."""

from __future__ import annotations

import doctest
import re

import numpy as np
import pandas as pd
import pytest

import analysis.synth as synth
from analysis.cli import main as cli_main
from analysis.codebook import load_codebook
from analysis.config import ROOT, RAW_DIR
from analysis.validate import load_raw


def _float_items(staff: pd.DataFrame) -> pd.DataFrame:
    from analysis.codebook import item_columns
    return staff.astype({c: "float64" for c in item_columns()})


def test_doctests():
    assert doctest.testmod(synth).failed == 0


def test_shipped_raw_equals_default_synth_output(tmp_path):
    """`python -m analysis synth` regenerates data/raw/ byte for byte."""
    assert cli_main(["synth", "--out", str(tmp_path)]) == 0
    for name in synth.RAW_FILES:
        assert (tmp_path / name).read_bytes() == (RAW_DIR / name).read_bytes(), name


def test_same_seed_same_tables_other_seed_differs():
    a, b, c = synth.generate(7, 12), synth.generate(7, 12), synth.generate(8, 12)
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])
    assert not a["staff_survey"].equals(c["staff_survey"])


def test_synth_cli_other_seed_and_size_gives_valid_data(tmp_path):
    assert cli_main(["synth", "--seed", "3", "--workers", "20", "--out", str(tmp_path)]) == 0
    tables = load_raw(tmp_path)
    assert len(tables["staff_survey"]) == 20
    assert "--seed 3 --workers 20" in (tmp_path / "SYNTHETIC.md").read_text()


@pytest.mark.parametrize("argv", [["synth", "--workers", "3"], ["synth", "--seed", "-1"]])
def test_synth_cli_rejects_bad_parameters(tmp_path, argv, capsys):
    assert cli_main([*argv, "--out", str(tmp_path)]) == 2
    assert "expected" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("n", [6, 7, 20, 64, 65, 66, 130])
def test_row_counts_scale_and_keep_path_rows(n):
    counts = synth._row_counts(n)
    assert sum(counts.values()) == n
    assert all(counts[r] >= 1 for r in synth.PATH_ROWS)


def test_synthetic_note_says_synthetic():
    text = (RAW_DIR / "SYNTHETIC.md").read_text()
    assert text.startswith("# These data are synthetic") and f"--seed {synth.DEFAULT_SEED}" in text


def test_realism_figures(raw_tables, staff):
    s, p, c = raw_tables["staff_survey"], raw_tables["participants"], raw_tables["contacts"]
    assert len(s) == 65
    assert (s["partnership"] == "KBOP").sum() == 40 and (s["partnership"] == "GMBOP").sum() == 25
    assert s.loc[s.partnership == "KBOP", "organisation"].nunique() == 8
    assert s.loc[s.partnership == "GMBOP", "organisation"].nunique() == 6
    assert 1800 <= len(p) <= 2200 and 20_000 <= len(c) <= 99_999
    gm_ages = p.merge(s[["staff_id", "partnership"]]).query("partnership == 'GMBOP'")["age"]
    assert gm_ages.between(18, 25).all() and p["age"].min() >= 16
    assert staff["caseload"].between(9, 41).all()
    rate = staff["n_sustained_12m"].sum() / staff["n_due_12m"].sum()
    assert 0.55 <= rate <= 0.75
    assert set(p["sustained_12m"]) == {"yes", "no", "not_due"}
    gse = s[list(load_codebook("gse").items)].astype(float)
    assert 2.8 <= np.nanmean(gse.to_numpy()) <= 3.0
    items = s[[col for col in s if re.fullmatch(r"(gse|iis|rpq)_\d\d", col)]]
    assert 0.01 <= items.isna().to_numpy().mean() <= 0.03


def test_reliabilities_near_published(staff):
    from analysis.psychometrics import cronbach_alpha, scale_item_frame
    staff = _float_items(staff)   # psychometrics' range check does not take nullable Int64 (reported)
    for cid in ("gse", "iis", "rpq"):
        alpha = cronbach_alpha(scale_item_frame(staff, load_codebook(cid)))
        assert 0.8 <= alpha <= 0.96, (cid, alpha)


def test_check_scores_agree_with_psychometrics(staff):
    from analysis.codebook import all_codebooks
    from analysis.psychometrics import score_all
    mine = synth.scale_scores(staff)
    theirs = score_all(_float_items(staff), list(all_codebooks().values()))
    for col in ("gse", "iis", "rpq", "sbw"):
        np.testing.assert_allclose(mine[col].to_numpy(float), theirs[col].to_numpy(float), rtol=1e-12)


def test_planted_rows_recovered(staff):
    check = synth.planted_structure_check(staff).set_index("row")
    path = check[check.path_row]
    assert (path["n"] >= 4).all() and (path["incl"] >= 0.85).all(), path
    other = check[~check.path_row & (check["n"] > 0)]
    assert len(other) >= 6 and (other["incl"] < 0.75).all(), other


def test_qca_engine_recovers_published_solution(staff):
    from analysis.qca.calibrate import calibrate_logistic
    from analysis.qca.expressions import parse_expression
    from analysis.qca.minimize import minimize
    from analysis.qca.truthtable import truth_table
    anchors = synth.intended_anchors()
    scores = synth.scale_scores(staff)
    raw = {"SBW": scores["sbw"], "INNOV": scores["iis"], "CASELOAD": staff["caseload"],
           "LONGMEET": staff["meeting_minutes"], "SUSTAIN12": staff["sustain12_rate"]}
    data = pd.DataFrame({k: calibrate_logistic(v.to_numpy(float), anchors[k]["exclusion"], anchors[k]["crossover"],
                                               anchors[k]["inclusion"]) for k, v in raw.items()})
    data.index = staff["staff_id"]
    conds = list(synth.CONDITIONS)
    sol = minimize(truth_table(data, "SUSTAIN12", conds, incl_cut=0.8))
    assert len(sol.models) == 1
    published = "~SBW*INNOV*~CASELOAD + ~INNOV*~CASELOAD*LONGMEET + CASELOAD*INNOV*LONGMEET"
    got = sorted(map(tuple, parse_expression(sol.models[0].expression, conds)))
    assert got == sorted(map(tuple, parse_expression(published, conds)))


def test_every_parameter_documented():
    doc = (ROOT / "docs" / "dgp.md").read_text()
    for key in synth.PARAMS:
        assert f"`{key}`" in doc, key
    for row in synth.TARGET_ROWS:
        assert row in doc
