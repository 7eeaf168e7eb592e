"""Stage 05 records its own claims: key estimates, the coefficient table and the agreement with the QCA."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.claims import ClaimRecorder, decode_value
from analysis.io import read_json
from analysis.errors import InputError
from analysis.regression.stage import claim_values, p_value_text, record_claims, run_regression

from conftest import write_project


@pytest.fixture(scope="module")
def tables(tmp_path_factory, sim65):
    tmp = tmp_path_factory.mktemp("claims")
    raw, processed = write_project(tmp, *sim65)
    return run_regression("sustain12", processed_dir=processed, raw_dir=raw, results_dir=None)


def test_values_are_cells_of_the_stage_tables(tables):
    vals = {k: v for k, (v, _) in claim_values(tables).items()}
    co = tables["worker_coefficients"].set_index(["family", "model", "term"])
    for fam in ("ols_hc3", "fractional_logit"):
        for term in ("SBW", "INNOV", "CASELOAD", "LONGMEET"):
            for col in ("estimate", "ci_low", "ci_high", "p_value"):
                assert vals[f"regression.{fam}.{term}.{col}"] == co.at[(fam, "main", term), col]
    s = tables["summary"]
    assert vals["regression.n_workers"] == s["n_workers"] == 65
    assert vals["regression.n_participants"] == s["n_participants"]
    assert vals["regression.kappa"] == s["agreement"]["kappa"]
    assert vals["regression.agreement"] == s["agreement"]["agreement"]
    counts = [vals[f"regression.category.{c}"] for c in ("both", "neither", "model_only", "QCA_only")]
    assert sum(counts) == 65
    assert vals["regression.agreement"] == pytest.approx((counts[0] + counts[1]) / 65)
    fit = tables["worker_fit"].set_index(["family", "model"])
    assert vals["regression.ols_hc3.main.r2"] == fit.at[("ols_hc3", "main"), "r2"]


def test_coefficient_table_and_labels(tables):
    vals = claim_values(tables)
    table, label = vals["regression.table.coefficients"]
    assert label == "tab-coefficients"
    assert list(table.columns) == ["estimate", "std_error", "ci_low", "ci_high", "p_value"]
    assert "ols_hc3: LONGMEET" in table.index and len(table) == 8
    assert vals["regression.ols_hc3.LONGMEET.estimate"][1] == "sec-regression"
    assert vals["regression.fractional_logit.SBW.p_value"][1] is None


def test_without_calibrated_sets_there_is_no_comparison_claim(tmp_path, sim65):
    raw, processed = write_project(tmp_path, *sim65)
    (processed / "calibrated.csv").unlink()
    vals = claim_values(run_regression("sustain12", processed_dir=processed, raw_dir=raw))
    assert not any(k.startswith(("regression.category.", "regression.kappa")) for k in vals)
    assert "regression.n_workers" in vals


def test_record_claims_writes_the_stage_file(tables, tmp_path):
    rec = ClaimRecorder(stage="regression", results_dir=tmp_path, notebook=None, inputs=[])
    values = record_claims(rec, tables)
    doc = read_json(rec.save())
    assert set(doc["claims"]) == set(values)
    for name, r in doc["claims"].items():
        if isinstance(values[name], pd.DataFrame):
            assert r["kind"] == "table"
        elif isinstance(values[name], str):
            assert r["kind"] == "text" and r["value"] == values[name]
        else:
            assert r["kind"] == "number" and decode_value(r) == values[name]


def test_participant_interaction_and_power_claims_are_cells_of_the_tables(tables):
    vals = {k: v for k, (v, _) in claim_values(tables).items()}
    pc = tables["participant_coefficients"].set_index(["model", "term"])
    for term in ("SBW", "INNOV", "CASELOAD", "LONGMEET"):
        for col in ("estimate", "ci_low", "ci_high", "p_value"):
            assert vals[f"regression.gee.{term}.{col}"] == pc.at[("gee", term), col]
        # a binary outcome: odds ratios are exp of the logit estimates, CI bounds in order
        assert vals[f"regression.gee.{term}.odds_ratio"] == pytest.approx(
            math.exp(pc.at[("gee", term), "estimate"]), rel=1e-15)
        assert vals[f"regression.gee.{term}.odds_ratio_ci_low"] == pytest.approx(
            math.exp(pc.at[("gee", term), "ci_low"]), rel=1e-15)
        assert (vals[f"regression.gee.{term}.odds_ratio_ci_low"] < vals[f"regression.gee.{term}.odds_ratio"]
                < vals[f"regression.gee.{term}.odds_ratio_ci_high"])
    icc = tables["icc"].set_index("method")["icc"]
    assert vals["regression.icc.anova"] == icc["anova"]
    assert vals["regression.icc.mixed_logit"] == icc["mixed_logit"]
    assert 0 < vals["regression.icc.anova"] < 1
    lrt = tables["worker_lr_tests"].set_index(["family", "smaller", "larger"])
    for col in ("lr", "df", "p_value", "f_quasi", "p_value_quasi"):
        assert vals[f"regression.fractional_logit.three_way_vs_main.{col}"] == lrt.at[
            ("fractional_logit", "main", "three_way"), col]
    assert vals["regression.fractional_logit.three_way_vs_main.df"] == 4  # 3 two-way + 1 three-way term
    assert vals["regression.ols_hc3.three_way_vs_main.lr"] == lrt.at[("ols_hc3", "main", "three_way"), "lr"]
    assert "regression.ols_hc3.three_way_vs_main.f_quasi" not in vals  # NaN for OLS: not recorded
    # quasi-F = (LR / df) / phi of the larger model, so it is smaller than LR / df when phi > 1
    fit = tables["worker_fit"].set_index(["family", "model"])
    assert vals["regression.fractional_logit.main.dispersion"] == fit.at[("fractional_logit", "main"), "dispersion"]
    assert vals["regression.fractional_logit.three_way_vs_main.f_quasi"] == pytest.approx(
        vals["regression.fractional_logit.three_way_vs_main.lr"] / 4
        / fit.at[("fractional_logit", "three_way"), "dispersion"], rel=1e-9)
    power = tables["power"].set_index("term")
    for term in ("SBW", "INNOV", "CASELOAD", "LONGMEET"):
        assert vals[f"regression.power.{term}.power"] == power.at[term, "power"]
        assert vals[f"regression.power.{term}.n_for_power"] == power.at[term, "n_for_power"]


def test_new_claims_labels(tables):
    vals = claim_values(tables)
    for name in ("regression.gee.LONGMEET.odds_ratio", "regression.icc.anova", "regression.icc.mixed_logit",
                 "regression.fractional_logit.three_way_vs_main.p_value_quasi_text",
                 "regression.fractional_logit.main.dispersion", "regression.power.CASELOAD.power"):
        assert vals[name][1] == "sec-regression"
    assert vals["regression.gee.LONGMEET.estimate"][1] is None
    assert vals["regression.icc.gee"][1] is None


def test_continuous_outcome_labels_what_the_paper_prints_for_it(tmp_path, sim65):
    """A change score has no odds ratios: the paper prints the linear GEE's estimates and the WLS test."""
    raw, processed = write_project(tmp_path, *sim65)
    vals = claim_values(run_regression("wellbeing", processed_dir=processed, raw_dir=raw))
    assert not any(k.endswith(".odds_ratio") for k in vals)
    for name in ("regression.gee.SBW.estimate", "regression.gee.LONGMEET.ci_high", "regression.icc.mixed_linear",
                 "regression.wls.three_way_vs_main.lr", "regression.wls.three_way_vs_main.p_value"):
        assert vals[name][1] == "sec-regression", name


def test_quasi_p_text_and_p_value_text(tables):
    vals = {k: v for k, (v, _) in claim_values(tables).items()}
    p = vals["regression.fractional_logit.three_way_vs_main.p_value_quasi"]
    text = vals["regression.fractional_logit.three_way_vs_main.p_value_quasi_text"]
    assert text == ("< 0.001" if p < 0.001 else f"= {p:.3f}")
    assert p_value_text(0.05) == "= 0.050" and p_value_text(0.00099) == "< 0.001"
    assert p_value_text(0.0009, digits=4) == "= 0.0009" and p_value_text(1.0) == "= 1.000"
    with pytest.raises(InputError, match="not in"):
        p_value_text(1.5)
