"""Diagnostics (VIF, influence, power) and the QCA-vs-regression comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis.errors import InputError
from analysis.regression import compare, diagnostics, worker
from analysis.regression.data import worker_frame

CONDS = ["SBW", "INNOV", "CASELOAD", "LONGMEET"]


@pytest.fixture(scope="module")
def frame(sim65):
    staff, _, _ = sim65
    f, _ = worker_frame(staff, "sustain12")
    return f


def test_vif_equals_one_over_one_minus_r2(frame):
    df = frame.copy()
    df["LONGMEET"] = 0.8 * df["INNOV"] + 0.6 * df["LONGMEET"]  # make some collinearity
    tab = diagnostics.vif_table(df, CONDS).set_index("condition")
    for j in CONDS:
        others = " + ".join(c for c in CONDS if c != j)
        r2 = smf.ols(f"{j} ~ {others}", data=df).fit().rsquared
        assert tab.loc[j, "vif"] == pytest.approx(1 / (1 - r2), rel=1e-10)
    assert tab.loc["LONGMEET", "vif"] > 2 and tab.loc["SBW", "vif"] < 1.3


def test_influence_cooks_distance_by_hand(frame):
    res = worker.fit_ols(frame, "main")
    tab = diagnostics.influence_table(res, frame["staff_id"])
    x = res.model.exog
    h = np.diag(x @ np.linalg.inv(x.T @ x) @ x.T)
    e = res.resid.to_numpy()
    k = x.shape[1]
    s2 = (e ** 2).sum() / res.df_resid
    d = e ** 2 / (k * s2) * h / (1 - h) ** 2
    np.testing.assert_allclose(tab["cooks_d"], d, rtol=1e-10)
    np.testing.assert_allclose(tab["leverage"], h, rtol=1e-10)
    assert tab["influential"].tolist() == (d > 4 / len(frame)).tolist()
    assert tab["staff_id"].tolist() == frame["staff_id"].tolist()


def test_outlier_is_flagged(frame):
    df = frame.copy()
    df.loc[0, "y"] = 1.0
    df.loc[0, "INNOV"] = -4.0
    tab = diagnostics.influence_table(worker.fit_ols(df, "main"), df["staff_id"])
    assert tab["cooks_d"].idxmax() == 0 and bool(tab.loc[0, "influential"])


def test_residuals_table(frame):
    glm = worker.fit_fractional_logit(frame)
    tab = diagnostics.residuals_table(glm, frame["staff_id"])
    np.testing.assert_allclose(tab["fitted"] + tab["residual"], frame["y"], rtol=1e-10)
    mu = tab["fitted"]
    np.testing.assert_allclose(tab["pearson_residual"],
                               (frame["y"] - mu) / np.sqrt(mu * (1 - mu) / frame["n"]), rtol=1e-8)
    ols = worker.fit_ols(frame)
    tab = diagnostics.residuals_table(ols)
    np.testing.assert_allclose(tab["fitted"] + tab["residual"], frame["y"], rtol=1e-10)


def test_power_against_noncentral_f():
    """Power = P(F'(1, v, lambda) > F_crit), lambda = f2 * N (Cohen 1988)."""
    for f2, n, k in [(0.02, 65, 4), (0.15, 65, 4), (0.35, 65, 4), (0.15, 30, 8)]:
        v = n - k - 1
        crit = stats.f.ppf(0.95, 1, v)
        expected = stats.ncf.sf(crit, 1, v, f2 * n)
        assert diagnostics.power_f2(f2, n, k) == pytest.approx(expected, rel=1e-8)
    # Cohen's table: medium f2 = 0.15, u = 1, power 0.80 needs about 55 observations in total
    n = diagnostics.n_for_power(0.15, 4)
    assert 50 < n < 60
    assert diagnostics.power_f2(0.15, int(np.ceil(n)), 4) >= 0.8


def test_f2_equals_r2_change(frame):
    res = smf.ols("y ~ SBW + INNOV + CASELOAD + LONGMEET", data=frame).fit()
    red = smf.ols("y ~ SBW + CASELOAD + LONGMEET", data=frame).fit()
    f2 = (res.rsquared - red.rsquared) / (1 - res.rsquared)
    assert diagnostics.cohen_f2_coefficient(res.tvalues["INNOV"], res.df_resid) == pytest.approx(
        f2, rel=1e-10)
    tab = diagnostics.power_table(worker.fit_ols(frame)).set_index("term")
    assert tab.loc["INNOV", "f2"] == pytest.approx(f2, rel=1e-10)  # HC3 does not change f2
    assert tab.loc["INNOV", "n"] == 65 and 0 < tab.loc["INNOV", "power"] <= 1


# --- comparison ------------------------------------------------------------------------------

def _hand_example():
    cal = pd.DataFrame({
        "staff_id": ["a", "b", "c", "d", "e", "f"],
        "SBW":      [0.2, 0.9, 0.1, 0.8, 0.6, 0.3],
        "INNOV":    [0.8, 0.7, 0.2, 0.9, 0.4, 0.6],
        "CASELOAD": [0.1, 0.8, 0.3, 0.9, 0.2, 0.7],
        "LONGMEET": [0.5, 0.9, 0.8, 0.7, 0.1, 0.2],
        "SUSTAIN12": [0.9, 0.8, 0.7, 0.2, 0.3, 0.6],
    })
    pred = pd.DataFrame({"staff_id": ["a", "b", "c", "d", "e", "f"],
                         "predicted": [0.7, 0.4, 0.65, 0.55, 0.2, 0.5]})
    return cal, pred


def test_path_memberships_by_hand():
    cal, _ = _hand_example()
    mem = compare.solution_memberships(
        cal, "~SBW*INNOV*~CASELOAD + ~INNOV*~CASELOAD*LONGMEET + CASELOAD*INNOV*LONGMEET -> SUSTAIN12")
    # a: min(.8, .8, .9) = .8 ; min(.2, .9, .5) = .2 ; min(.1, .8, .5) = .1 -> .8
    # b: min(.1, .7, .2) = .1 ; min(.3, .2, .9) = .2 ; min(.8, .7, .9) = .7 -> .7
    # c: min(.9, .2, .7) = .2 ; min(.8, .7, .8) = .7 ; min(.3, .2, .8) = .2 -> .7
    # d: .1 ; .1 ; .7 -> .7     e: .4 ; .1 ; .1 -> .4     f: .3 ; .2 ; .2 -> .3
    np.testing.assert_allclose(mem["solution"], [0.8, 0.7, 0.7, 0.7, 0.4, 0.3])
    np.testing.assert_allclose(mem["~SBW*INNOV*~CASELOAD"], [0.8, 0.1, 0.2, 0.1, 0.4, 0.3])


def test_classification_and_cross_table_by_hand():
    cal, pred = _hand_example()
    mem = compare.solution_memberships(
        cal, ["~SBW*INNOV*~CASELOAD", "~INNOV*~CASELOAD*LONGMEET", "CASELOAD*INNOV*LONGMEET"])
    cls = compare.classify_workers(mem, pred, threshold=0.5, outcome_membership=cal["SUSTAIN12"])
    # covered: a b c d ; model high (> .5): a c d (f is exactly .5: not above)
    assert cls["category"].tolist() == ["both", "QCA only", "both", "both", "neither", "neither"]
    tab = compare.agreement_table(cls)
    assert tab.loc["QCA covered", "model high"] == 3
    assert tab.loc["QCA covered", "model not high"] == 1
    assert tab.loc["QCA not covered", "model high"] == 0
    assert tab.loc["QCA not covered", "model not high"] == 2
    assert tab.loc["total", "total"] == 6
    summ = compare.agreement_summary(cls)
    # p_o = 5/6; p_q = 4/6, p_m = 3/6 -> p_e = 1/2; kappa = (5/6 - 1/2) / (1/2) = 2/3
    assert summ["agreement"] == pytest.approx(5 / 6)
    assert summ["kappa"] == pytest.approx(2 / 3)
    acc = compare.accounts_for(cls).set_index("category")
    # outcome members (> .5): a b c f
    assert acc.loc["both", "in_outcome_set"] == 2 and acc.loc["both", "staff_ids_in_outcome_set"] == "a c"
    assert acc.loc["QCA only", "in_outcome_set"] == 1
    assert acc.loc["neither", "in_outcome_set"] == 1 and acc.loc["neither", "outside_outcome_set"] == 1
    assert acc.loc["both", "outside_outcome_set"] == 1  # d


def test_bad_expressions():
    cal, _ = _hand_example()
    with pytest.raises(InputError, match="condition\\(s\\) WORKLOAD not among"):
        compare.path_membership(cal, "WORKLOAD*INNOV")
    with pytest.raises(InputError, match="cannot read"):
        compare.path_membership(cal, "SBW*INNOV+")
    with pytest.raises(InputError, match="empty path"):
        compare.split_solution("SBW + ")
    bad = cal.assign(SBW=[1.2, 0, 0, 0, 0, 0])
    with pytest.raises(InputError, match="'SBW' must hold memberships"):
        compare.path_membership(bad, "SBW")


def test_explanation_mentions_the_three_ideas():
    text = compare.EXPLANATION.lower()
    for word in ("asymmetric", "equifinal", "net effects", "vis 2012", "fiss 2011",
                 "grofman & schneider 2009"):
        assert word in text


def test_path_membership_agrees_with_qca_package():
    """The local min / 1 - x reading equals analysis.qca.expressions.expression_membership."""
    expressions = pytest.importorskip("analysis.qca.expressions")
    cal, _ = _hand_example()
    conds = ["SBW", "INNOV", "CASELOAD", "LONGMEET"]
    sol = "~SBW*INNOV*~CASELOAD + ~INNOV*~CASELOAD*LONGMEET + CASELOAD*INNOV*LONGMEET"
    ours = compare.solution_memberships(cal, sol)
    theirs = expressions.expression_membership(cal[conds], sol, conds)
    np.testing.assert_allclose(ours["solution"], np.asarray(theirs, dtype=float), rtol=1e-12)
    for path in compare.split_solution(sol):
        np.testing.assert_allclose(ours[path], expressions.expression_membership(
            cal[conds], path, conds), rtol=1e-12)


def test_quasi_binomial_errors(frame):
    fit = worker.fit_fractional_logit(frame)
    tab = worker.coef_table({"main": fit}).set_index("term")
    phi = fit.pearson_chi2 / fit.df_resid
    assert tab.loc["INNOV", "std_error_quasi"] == pytest.approx(
        tab.loc["INNOV", "std_error_ml"] * np.sqrt(phi), rel=1e-12)
    assert tab.loc["INNOV", "std_error_ml"] == pytest.approx(fit.bse["INNOV"], rel=1e-12)
    # the reported error, p and CI of the fractional logit are the quasi-binomial ones
    assert tab.loc["INNOV", "std_error"] == tab.loc["INNOV", "std_error_quasi"]
    assert tab.loc["INNOV", "p_value"] == tab.loc["INNOV", "p_value_quasi"]
    t975 = stats.t.ppf(0.975, fit.df_resid)
    assert tab.loc["INNOV", "ci_high"] - tab.loc["INNOV", "estimate"] == pytest.approx(
        t975 * tab.loc["INNOV", "std_error_quasi"], rel=1e-12)
    # statsmodels' quasi-binomial fit (scale = X2) of the var_weights form gives the same errors
    # (with the successes/failures form statsmodels 0.15 mis-scales X2: do not use it there)
    ref = smf.glm("y ~ SBW + INNOV + CASELOAD + LONGMEET", data=frame, var_weights=frame["n"],
                  family=worker.sm.families.Binomial()).fit(scale="X2")
    assert tab.loc["INNOV", "std_error_quasi"] == pytest.approx(ref.bse["INNOV"], rel=1e-6)


def test_wls_pearson_residuals(sim65):
    staff, _, _ = sim65
    f, _ = worker_frame(staff, "wellbeing")
    res = worker.fit_wls(f)
    tab = diagnostics.residuals_table(res)
    np.testing.assert_allclose(tab["pearson_residual"], res.resid * np.sqrt(f["n"]) / np.sqrt(res.scale))
    # sum of squared Pearson residuals = weighted RSS / scale = df_resid
    assert (tab["pearson_residual"] ** 2).sum() == pytest.approx(res.df_resid, rel=1e-10)
