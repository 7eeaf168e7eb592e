"""Stages 03 and 04 record their own claims: the values are the stage's results, named and labelled."""

from __future__ import annotations

from dataclasses import replace
import json

import numpy as np
import pandas as pd
import pytest

from analysis import study
from analysis.stages import calibration as C
from analysis.stages import qca as Q
from analysis.claims import ClaimRecorder, decode_value
from analysis.io import read_json


@pytest.fixture(scope="module")
def stage04(staff, scores):
    """Stage 04 on the shipped data with a small robustness grid and 19 permutations."""
    cal = C.run(staff, scores, "sustain12")
    res = Q.analyse(cal.memberships, cal.outcome_set, cal.conditions)
    rob = Q.robustness_analysis(cal, res, n_jobs=1, incl_cuts=(0.8, 0.9), n_cuts=(1,), shifts=(0.1,))
    perm = Q.permutation_analysis(res, n_permutations=19, seed=5, n_jobs=1)
    return cal, res, rob, perm


def test_calibration_claims_are_the_stage_tables(stage04):
    cal = stage04[0]
    vals = C.claim_values(cal)
    anchors, label = vals["calibration.anchors"]
    assert label == "sec-calibration"
    assert list(anchors.columns) == ["exclusion", "crossover", "inclusion"]
    assert anchors.loc["CASELOAD"].tolist() == [15.0, 22.5, 30.0]          # theory anchors (DGP)
    assert vals["calibration.n_cases"] == (65, None)
    assert vals["calibration.n_excluded"][0] == 0
    share = dict(zip(cal.skewness["set"], cal.skewness["share_above"]))
    for s in ("SBW", "INNOV", "CASELOAD", "LONGMEET", "SUSTAIN12"):
        assert vals[f"calibration.share_above.{s}"][0] == share[s]
    assert all(name.startswith("calibration.") for name in vals)


def test_qca_claims_hold_the_published_solution_and_its_fit(stage04):
    _, res, rob, perm = stage04
    vals = {k: v for k, (v, _) in Q.claim_values(replace(res, robustness=rob, permutation=perm)).items()}
    conds = list(study.DEFAULT_CONDITIONS)
    for key in ("qca.solution", "qca.solution_conservative", "qca.solution_parsimonious",
                "qca.solution_intermediate"):
        assert Q.same_expression(vals[key], study.PUBLISHED, conds), key
    assert vals["qca.matches_published"] == "identical to"
    assert vals["qca.published"] == study.PUBLISHED
    assert vals["qca.n_cases"] == 65 and vals["qca.n_paths"] == 3
    assert (vals["qca.incl_cut"], vals["qca.pri_cut"], vals["qca.n_cut"]) == (0.8, 0.5, 1)
    assert vals["qca.n_positive_rows"] == len(res.truth_table.positive_rows)
    fit = res.intermediate.models[0].fit
    for col in ("inclS", "PRI", "covS"):
        assert vals[f"qca.solution.{col}"] == pytest.approx(fit[col], rel=1e-12)
    # each path: its line of the solutions table, in the model's order
    model = res.intermediate.intermediate[0].models[0]
    for k, (lab, (_, r)) in enumerate(zip(model.labels, model.term_fit.iterrows()), 1):
        assert vals[f"qca.path{k}.expression"] == lab
        assert vals[f"qca.path{k}.inclS"] == pytest.approx(r["inclS"], rel=1e-12)
        assert vals[f"qca.path{k}.covU"] == pytest.approx(r["covU"], rel=1e-12)
    table = vals["qca.table.solution"]
    assert list(table.columns) == ["inclS", "PRI", "covS", "covU"] and list(table.index) == list(model.labels)
    # necessity: the highest inclN of the table
    assert vals["qca.necessity.max_inclN"] == res.necessity["inclN"].max()
    assert vals["qca.necessity.n_necessary"] == int(res.necessity["necessary"].sum())
    # robustness and permutation: read from the stage's objects
    rt = rob["table"].set_index("kind")
    assert vals["qca.robustness.n"] == int(rt.at["all", "n"])
    assert vals["qca.robustness.same_as_baseline"] == rt.at["all", "same_as_baseline"]
    assert 0 <= vals["qca.robustness.cutoffs.same_as_baseline"] <= 1
    assert vals["qca.permutation.p_fixed"] == perm.p_fixed and vals["qca.permutation.n_permutations"] == 19
    assert vals["qca.permutation.p_fixed"] == pytest.approx(1 / 20)   # no shuffle reaches 0.96: p = 1/(1+B)


def test_every_value_the_paper_shows_has_its_label(stage04):
    _, res, rob, perm = stage04
    vals = Q.claim_values(replace(res, robustness=rob, permutation=perm))
    labels = {name: label for name, (_, label) in vals.items()}
    assert labels["qca.table.solution"] == "tab-solution"
    assert labels["qca.solution"] == "sec-sufficiency"
    assert labels["qca.robustness.calibration.n"] == "sec-robustness"
    assert labels["qca.necessity.max_term"] == "sec-necessity"
    assert labels["qca.permutation.p_fixed"] is None         # not printed in the paper
    assert set(Q._QCA_LABELS) <= set(vals)                   # no label for a claim that is not recorded


def test_no_solution_gives_text_claims_saying_so(stage04):
    cal = stage04[0]
    res = Q.analyse(cal.memberships, "SUSTAIN12", study.DEFAULT_CONDITIONS, incl_cut=1.0)
    vals = {k: v for k, (v, _) in Q.claim_values(res).items()}
    assert vals["qca.solution"] == "no solution" and vals["qca.matches_published"] == "different from"
    assert vals["qca.n_paths"] == 0 and vals["qca.table.solution"].empty
    assert not any(k.startswith(("qca.robustness.", "qca.permutation.", "qca.path")) for k in vals)
    # the solution's fit is recorded as undefined (the paper prints NA), under the names a solved run uses
    assert all(np.isnan(vals[f"qca.solution.{c}"]) for c in ("inclS", "PRI", "covS"))


def test_other_outcome_does_not_match_the_published(staff, scores):
    cal = C.run(staff, scores, "sustain6")
    res = Q.analyse(cal.memberships, cal.outcome_set, cal.conditions)
    assert not any(Q.published_match(res).values())


def test_record_writes_one_stage_file_with_kinds_and_labels(stage04, tmp_path):
    cal, res, rob, perm = stage04
    for stage, claims in (("calibration", C.claim_values(cal)),
                          ("qca", Q.claim_values(replace(res, robustness=rob, permutation=perm)))):
        rec = ClaimRecorder(stage=stage, results_dir=tmp_path, notebook=None, inputs=[])
        values = rec.record_values(claims)
        path = rec.save()
        assert path == tmp_path / "claims" / f"{stage}.json"
        doc = read_json(path)
        assert set(doc["claims"]) == set(values) and doc["stage"] == stage
        for name, r in doc["claims"].items():
            v = values[name]
            kind = "table" if isinstance(v, pd.DataFrame) else "text" if isinstance(v, str) else "number"
            assert r["kind"] == kind, name
            if kind != "table":
                assert decode_value(r) == v
        first = path.read_bytes()
        rec.save()
        assert path.read_bytes() == first
    doc = json.loads((tmp_path / "claims" / "qca.json").read_text())
    assert doc["claims"]["qca.table.solution"]["label"] == "tab-solution"
