"""Worker-level models: known answers on simulated data and hand formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from analysis.errors import InputError
from analysis.regression import worker
from analysis.regression.data import worker_frame
from analysis.regression.specs import FORMULAS, NESTED, formula_conditions, outcome_spec

from conftest import BETA


@pytest.fixture(scope="module")
def big_frame(sim_big):
    staff, _, _ = sim_big
    frame, dropped = worker_frame(staff, "sustain12")
    assert dropped.empty
    return frame


def test_fractional_logit_recovers_planted_coefficients(big_frame):
    res = worker.fit_fractional_logit(big_frame, "main")
    ci = res.conf_int()
    for term, beta in BETA.items():
        assert ci.loc[term, 0] <= beta <= ci.loc[term, 1], (term, beta, ci.loc[term].tolist())
    # and the estimates are close, not just covered by a wide interval
    assert np.max(np.abs(res.params[list(BETA)] - pd.Series(BETA))) < 0.15


def test_binomial_fit_is_exact_binomial_likelihood(big_frame):
    """llf is sum of binom.logpmf(k; n, p); estimates and errors equal the var_weights form."""
    res = worker.fit_fractional_logit(big_frame, "main")
    k = np.rint(big_frame["y"] * big_frame["n"])
    p = np.asarray(res.fittedvalues)
    assert res.llf == pytest.approx(stats.binom.logpmf(k, big_frame["n"], p).sum(), rel=1e-10)
    vw = smf.glm(FORMULAS["main"], data=big_frame, family=sm.families.Binomial(),
                 var_weights=big_frame["n"]).fit()
    np.testing.assert_allclose(res.params.to_numpy(), vw.params.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(res.bse.to_numpy(), vw.bse.to_numpy(), rtol=1e-6)
    assert int(res.nobs) == len(big_frame)


def test_binomial_counts_rejects_inconsistent_rate(big_frame):
    bad = big_frame.copy()
    bad.loc[2, "y"] = bad.loc[2, "y"] + 0.3 / bad.loc[2, "n"]
    with pytest.raises(InputError, match="staff_id 'S003'.*not a whole count"):
        worker.fit_fractional_logit(bad)


def test_ols_recovers_planted_linear_model():
    rng = np.random.default_rng(3)
    n = 500
    df = pd.DataFrame({q: rng.normal(size=n) for q in ("SBW", "INNOV", "CASELOAD", "LONGMEET")})
    beta = {"Intercept": 0.6, "SBW": 0.0, "INNOV": 0.08, "CASELOAD": -0.05, "LONGMEET": 0.03}
    df["y"] = beta["Intercept"] + sum(beta[q] * df[q] for q in list(beta)[1:]) \
        + rng.normal(0, 0.1, n) * (1 + 0.5 * np.abs(df["INNOV"]))  # heteroskedastic
    res = worker.fit_ols(df, "main")
    assert res.cov_type == "HC3"
    ci = res.conf_int()
    for term, b in beta.items():
        assert ci.loc[term, 0] <= b <= ci.loc[term, 1]


def test_hc3_against_hand_formula():
    """V = (X'X)^-1 X' diag(e^2/(1-h)^2) X (X'X)^-1 on a 6-row example."""
    df = pd.DataFrame({"y": [1.0, 3.0, 2.0, 5.0, 4.0, 7.5],
                       "SBW": [0.1, -1.2, 0.4, 1.5, -0.3, 0.9],
                       "INNOV": [1.0, 0.2, -0.7, 0.3, -1.1, 1.4],
                       "CASELOAD": [0.5, -0.5, 1.2, -1.0, 0.0, 0.3],
                       "LONGMEET": [-0.2, 0.8, 0.1, -1.4, 1.0, 0.6]})
    df = pd.concat([df, df.assign(y=df["y"] * 0.7 + 1, SBW=df["SBW"][::-1].to_numpy())],
                   ignore_index=True)  # 12 rows, 5 coefficients
    res = worker.fit_ols(df, "main")
    x = np.column_stack([np.ones(len(df)), df[["SBW", "INNOV", "CASELOAD", "LONGMEET"]]])
    y = df["y"].to_numpy()
    xtx_inv = np.linalg.inv(x.T @ x)
    b = xtx_inv @ x.T @ y
    e = y - x @ b
    h = np.einsum("ij,jk,ik->i", x, xtx_inv, x)
    meat = x.T @ np.diag(e ** 2 / (1 - h) ** 2) @ x
    v = xtx_inv @ meat @ xtx_inv
    np.testing.assert_allclose(res.params.to_numpy(), b, rtol=1e-10)
    np.testing.assert_allclose(res.bse.to_numpy(), np.sqrt(np.diag(v)), rtol=1e-10)


def test_lr_test_is_twice_llf_difference(big_frame):
    fits = worker.fit_worker_models(big_frame, family="binomial")
    tab = worker.lr_table(fits)
    assert len(tab) == len(NESTED)
    for row in tab.itertuples():
        small, large = fits[row.smaller], fits[row.larger]
        assert row.lr == pytest.approx(2 * (large.llf - small.llf), rel=1e-12)
        assert row.df == large.df_model - small.df_model
        assert row.p_value == pytest.approx(stats.chi2.sf(row.lr, row.df), rel=1e-12)
    q = tab.iloc[0]
    phi = fits[q.larger].pearson_chi2 / fits[q.larger].df_resid
    assert q.f_quasi == pytest.approx(q.lr / q.df / phi)
    assert q.p_value_quasi == pytest.approx(stats.f.sf(q.f_quasi, q.df, fits[q.larger].df_resid))
    # the planted main effects are detected against the null
    first = tab[(tab.smaller == "null") & (tab.larger == "main")].iloc[0]
    assert first.df == 4 and first.p_value < 1e-6


def test_nested_pairs_really_nested():
    for small, large in NESTED:
        assert set(formula_conditions(FORMULAS[small])) <= set(formula_conditions(FORMULAS[large]))


def test_fit_summary_information_criteria(big_frame):
    fits = worker.fit_worker_models(big_frame, family="binomial", models=["null", "main"])
    summ = worker.fit_summary(fits).set_index("model")
    main = fits["main"]
    assert summ.loc["main", "k"] == 5
    assert summ.loc["main", "aic"] == pytest.approx(main.aic, rel=1e-10)
    assert summ.loc["main", "bic"] == pytest.approx(-2 * main.llf + 5 * np.log(len(big_frame)))
    assert summ.loc["main", "pseudo_r2_mcfadden"] == pytest.approx(
        1 - main.llf / fits["null"].llf, rel=1e-8)
    assert summ.loc["main", "pseudo_r2_cox_snell"] == pytest.approx(
        1 - np.exp(2 * (fits["null"].llf - main.llf) / len(big_frame)), rel=1e-8)
    # binomial data with no worker effect: dispersion near 1
    assert 0.8 < summ.loc["main", "dispersion"] < 1.25
    ols = worker.fit_summary(worker.fit_worker_models(big_frame, family="ols",
                                                      models=["main"])).iloc[0]
    assert 0 < ols["r2"] < 1


def test_three_way_skipped_when_n_too_small(big_frame):
    small = big_frame.iloc[:40].copy()
    fits = worker.fit_worker_models(small, family="ols")
    assert "three_way" not in fits and "main" in fits  # 9 coefficients need 45 workers at 5 each
    assert "three_way" in worker.fit_worker_models(big_frame.iloc[:45], family="ols")


def test_coef_table_columns(big_frame):
    tab = worker.coef_table({"main": worker.fit_fractional_logit(big_frame)})
    row = tab.set_index("term").loc["INNOV"]
    assert row["odds_ratio"] == pytest.approx(np.exp(row["estimate"]))
    assert row["ci_low"] < row["estimate"] < row["ci_high"]


def test_bad_outcome_name_lists_valid_ones():
    with pytest.raises(InputError, match="sustain12, sustain6, ete_entry, wellbeing"):
        outcome_spec("sustain24")


def test_worker_frame_validation(sim65):
    staff, _, _ = sim65
    bad = staff.copy()
    bad.loc[3, "sustain12_rate"] = 1.4
    with pytest.raises(InputError, match=r"row 5, column 'sustain12_rate'.*outside \[0, 1\]"):
        worker_frame(bad, "sustain12", file="staff.csv")
    bad = staff.astype({"caseload": object}).copy()
    bad.loc[0, "caseload"] = "many"
    with pytest.raises(InputError, match=r"staff.csv, row 2, column 'caseload'.*'many'"):
        worker_frame(bad, "sustain12", file="staff.csv")
    with pytest.raises(InputError, match="missing condition column.*'iis' \\(for INNOV\\)"):
        worker_frame(staff.drop(columns="iis"), "sustain12")


def test_worker_frame_drops_zero_denominator_and_standardises(sim65):
    staff, _, _ = sim65
    s = staff.copy()
    s.loc[0, "n_due_12m"] = 0
    s.loc[0, "sustain12_rate"] = np.nan
    frame, dropped = worker_frame(s, "sustain12")
    assert len(frame) == 64 and dropped["staff_id"].tolist() == [s.loc[0, "staff_id"]]
    assert "n_due_12m" in dropped["reason"].iloc[0]
    for q in ("SBW", "INNOV", "CASELOAD", "LONGMEET", "WORKLOAD"):
        assert abs(frame[q].mean()) < 1e-12 and frame[q].std(ddof=1) == pytest.approx(1.0)
