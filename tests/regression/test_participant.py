"""Participant-level models and ICCs: known answers on simulated clustered data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.regression import participant
from analysis.regression.data import participant_frame, participant_outcome, worker_frame

from conftest import BETA, simulate

SD_U = 1.0


@pytest.fixture(scope="module")
def clustered():
    """200 workers x 10-30 participants, random intercept SD 1 (latent ICC = 1 / (1 + pi^2/3))."""
    staff, parts, _ = simulate(200, seed=11, sd_u=SD_U)
    frame, _ = worker_frame(staff, "sustain12")
    pframe = participant_frame(parts, frame, "sustain12")
    return pframe


@pytest.fixture(scope="module")
def fits(clustered):
    return participant.fit_participant_models(clustered, binary=True, seed=1)


def test_participant_frame_excludes_not_due_and_keeps_clusters_contiguous(clustered, sim65):
    staff, parts, _ = sim65
    frame, _ = worker_frame(staff, "sustain12")
    pf = participant_frame(parts, frame, "sustain12")
    assert len(pf) == int((parts["sustained_12m"] != "not_due").sum())
    assert set(pf["y"].unique()) <= {0.0, 1.0}
    # clusters contiguous (GEE requirement): each staff_id appears in one block
    blocks = (pf["staff_id"] != pf["staff_id"].shift()).sum()
    assert blocks == pf["staff_id"].nunique()
    # conditions are standardised over workers, not participants
    merged = pf.drop_duplicates("staff_id")
    assert merged["INNOV"].std(ddof=1) == pytest.approx(1.0)


def test_bad_participant_code_names_row_and_column(sim65):
    _, parts, _ = sim65
    bad = parts.copy()
    bad.loc[6, "sustained_12m"] = "maybe"
    with pytest.raises(InputError, match=r"participants.csv, row 8, column 'sustained_12m'.*"
                                         r"'maybe' is not one of no, not_due, yes"):
        participant_outcome(bad, "sustain12")
    ok = parts.copy()
    ok.loc[6, "sustained_12m"] = " YES "
    assert participant_outcome(ok, "sustain12").iloc[6] == 1.0


def test_mixed_logit_recovers_conditional_coefficients(fits):
    res = fits["mixed_logit"]
    names = list(res.model.fep_names)
    est = dict(zip(names, res.fe_mean))
    for term, beta in BETA.items():
        assert est[term] == pytest.approx(beta, abs=0.2), term


def _exchangeable_binary(n_workers: int, rho: float, seed: int) -> pd.DataFrame:
    """Clustered 0/1 data whose *marginal* model is exactly logit p_j = x_j' beta.

    With probability rho a participant copies the worker's common draw
    c_j ~ Bernoulli(p_j), otherwise draws their own: P(y_ij = 1) = p_j and
    corr(y_ij, y_i'j) = rho^2 (exchangeable).
    """
    rng = np.random.default_rng(seed)
    z = {q: rng.normal(size=n_workers) for q in ("SBW", "INNOV", "CASELOAD", "LONGMEET")}
    z = {q: (v - v.mean()) / v.std(ddof=1) for q, v in z.items()}
    eta = BETA["Intercept"] + sum(BETA[q] * z[q] for q in z)
    p = 1 / (1 + np.exp(-eta))
    sizes = rng.integers(10, 30, n_workers)
    g = np.repeat(np.arange(n_workers), sizes)
    common = rng.random(n_workers) < p
    own = rng.random(g.size) < p[g]
    y = np.where(rng.random(g.size) < rho, common[g], own).astype(float)
    df = pd.DataFrame({"staff_id": g, "y": y})
    for q, v in z.items():
        df[q] = v[g]
    return df


def test_gee_and_cluster_glm_recover_marginal_coefficients():
    df = _exchangeable_binary(300, rho=0.5, seed=2)
    fits = {"gee": participant.fit_gee(df), "cluster_glm": participant.fit_cluster_glm(df)}
    for name, res in fits.items():
        ci = res.conf_int(alpha=0.01)
        for term, beta in BETA.items():
            assert ci.loc[term, 0] <= beta <= ci.loc[term, 1], (name, term)
    # the exchangeable working correlation estimates rho^2 = 0.25
    assert float(fits["gee"].model.cov_struct.dep_params) == pytest.approx(0.25, abs=0.06)
    # clustering is taken into account: cluster-robust errors larger than naive ones
    naive = participant.smf.glm(participant.PARTICIPANT_FORMULA, data=df,
                                family=participant.sm.families.Binomial()).fit()
    assert fits["cluster_glm"].bse["INNOV"] > 1.3 * naive.bse["INNOV"]


def test_latent_icc_close_to_planted(fits, clustered):
    tab = participant.icc_table(clustered, fits).set_index("method")
    truth = SD_U ** 2 / (SD_U ** 2 + math.pi ** 2 / 3)
    # variational Bayes shrinks the SD a little: tolerance 0.08 on the ICC scale
    assert tab.loc["mixed_logit", "icc"] == pytest.approx(truth, abs=0.08)
    # response-scale ICCs given the conditions are smaller than the latent one, and the
    # unconditional ANOVA ICC also holds the between-worker variance the conditions explain
    assert 0 < tab.loc["mixed_lpm", "icc"] < truth
    assert 0 < tab.loc["gee", "icc"] < truth
    assert tab.loc["anova", "icc"] > tab.loc["mixed_lpm", "icc"]


def test_icc_anova_and_mixed_linear_on_known_variance():
    """y = u_j + e_ij with var u = 1, var e = 3: ICC = 0.25 (unequal group sizes)."""
    rng = np.random.default_rng(5)
    sizes = rng.integers(5, 25, 300)
    g = np.repeat(np.arange(300), sizes)
    y = np.repeat(rng.normal(0, 1, 300), sizes) + rng.normal(0, math.sqrt(3), g.size)
    assert participant.icc_anova(y, g) == pytest.approx(0.25, abs=0.04)
    df = pd.DataFrame({"y": y, "staff_id": g, "SBW": 0.0})
    res = participant.fit_mixed_linear(df, formula="y ~ 1")
    assert participant.icc_mixed_linear(res) == pytest.approx(0.25, abs=0.04)
    # ANOVA estimator equals the balanced-design textbook formula when sizes are equal
    yb = y[: 10 * 30].reshape(30, 10)
    msb = 10 * yb.mean(axis=1).var(ddof=1)
    msw = yb.var(axis=1, ddof=1).mean()
    assert participant.icc_anova(yb.ravel(), np.repeat(np.arange(30), 10)) == pytest.approx(
        (msb - msw) / (msb + 9 * msw), rel=1e-12)


def test_icc_latent_formula_and_validation():
    assert participant.icc_latent(0.0) == 0.0
    assert participant.icc_latent(1.0) == pytest.approx(1 / (1 + math.pi ** 2 / 3))
    with pytest.raises(InputError):
        participant.icc_latent(-1.0)


def test_continuous_outcome_models(sim65):
    staff, parts, _ = sim65
    frame, _ = worker_frame(staff, "wellbeing")
    pf = participant_frame(parts, frame, "wellbeing")
    fits = participant.fit_participant_models(pf, binary=False)
    assert set(fits) == {"gee", "cluster_glm", "mixed_linear"}
    # planted: change = 2 + 1.5 z_INNOV + u + e
    ci = fits["mixed_linear"].conf_int().loc["INNOV"]
    assert ci[0] <= 1.5 <= ci[1]
    tab = participant.participant_coef_table(fits)
    assert set(tab["model"]) == set(fits)


def test_mixed_logit_deterministic_given_seed(sim65):
    staff, parts, _ = sim65
    frame, _ = worker_frame(staff, "sustain12")
    pf = participant_frame(parts, frame, "sustain12")
    a = participant.fit_mixed_logit(pf, seed=3)
    b = participant.fit_mixed_logit(pf, seed=3)
    np.testing.assert_array_equal(a.fe_mean, b.fe_mean)
