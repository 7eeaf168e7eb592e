"""Participant-level models: each participant's outcome on their worker's conditions.

Participants of one worker share that worker's conditions and practice, so
their outcomes are correlated; the models below account for it three ways:

* GEE, exchangeable working correlation, robust (sandwich) errors: a
  population-averaged logit (Liang & Zeger 1986);
* a logit GLM with errors clustered by worker (cluster-robust sandwich);
* mixed effects, where statsmodels supports them: ``BinomialBayesMixedGLM``
  (logit with a normal random intercept per worker, fitted by variational
  Bayes; its coefficients are conditional on the worker, larger in size than
  the population-averaged GEE ones) and ``MixedLM`` on the 0/1 outcome (a
  linear probability model with a random intercept, fitted by REML; gives the
  variance components on the probability scale). statsmodels has no
  maximum-likelihood logistic mixed model.

For a continuous outcome (wellbeing change) the GEE and cluster-robust
models are Gaussian and the mixed model is ``MixedLM``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

from analysis.errors import InputError
from analysis.regression.specs import PARTICIPANT_FORMULA

#: Variance of the standard logistic distribution, the level-1 variance on the latent scale.
LOGISTIC_VARIANCE: float = math.pi ** 2 / 3

_Z975 = float(stats.norm.ppf(0.975))


def _family(binary: bool):
    return sm.families.Binomial() if binary else sm.families.Gaussian()


def fit_gee(frame: pd.DataFrame, *, formula: str = PARTICIPANT_FORMULA, binary: bool = True):
    """GEE with exchangeable working correlation within worker and robust errors.

    logit E[y_ij] = x_j' beta (binary), corr(y_ij, y_i'j) = alpha; sandwich
    covariance (Liang & Zeger 1986). Clusters: ``staff_id``.
    """
    return smf.gee(formula, groups="staff_id", data=frame, family=_family(binary),
                   cov_struct=sm.cov_struct.Exchangeable()).fit()


def fit_cluster_glm(frame: pd.DataFrame, *, formula: str = PARTICIPANT_FORMULA,
                    binary: bool = True):
    """Logit (or Gaussian) GLM with cluster-robust errors by worker.

    V = (X'WX)^-1 [G/(G-1) (N-1)/(N-K) sum_g s_g s_g'] (X'WX)^-1 with s_g the
    score sum of cluster g (statsmodels ``cov_type="cluster"``, small-sample correction on).
    """
    groups = pd.factorize(frame["staff_id"])[0]
    return smf.glm(formula, data=frame, family=_family(binary)).fit(
        cov_type="cluster", cov_kwds={"groups": groups})


def fit_mixed_logit(frame: pd.DataFrame, *, formula: str = PARTICIPANT_FORMULA, seed: int = 0,
                    vcp_p: float = 1.0, fe_p: float = 2.0):
    """Logit with a normal random intercept per worker: statsmodels ``BinomialBayesMixedGLM``, variational Bayes.

    logit P(y_ij = 1 | u_j) = x_j' beta + u_j, u_j ~ N(0, s^2); priors beta ~
    N(0, fe_p^2), log s ~ N(0, vcp_p^2). ``vcp_mean`` of the result is the
    posterior mean of log s. The seed fixes the optimiser's random start.
    Variational Bayes tends to underestimate s a little.
    """
    model = BinomialBayesMixedGLM.from_formula(formula, {"worker": "0 + C(staff_id)"}, frame,
                                               vcp_p=vcp_p, fe_p=fe_p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit_vb(rng=np.random.default_rng(seed))


def fit_mixed_linear(frame: pd.DataFrame, *, formula: str = PARTICIPANT_FORMULA):
    """Linear mixed model with a random intercept per worker (REML): y_ij = x_j' beta + u_j + e_ij.

    For a 0/1 outcome this is a linear probability model: coefficients are
    differences in probability per SD; var(u) and var(e) give the ICC on the
    probability scale.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return smf.mixedlm(formula, data=frame, groups=frame["staff_id"]).fit(reml=True)


def icc_latent(var_u: float) -> float:
    """Latent-scale ICC of a logistic random-intercept model: var_u / (var_u + pi^2 / 3).

    Snijders & Bosker (2012), sect. 17.3; Goldstein, Browne & Rasbash (2002).

    >>> round(icc_latent(math.pi ** 2 / 3), 3)
    0.5
    """
    if not np.isfinite(var_u) or var_u < 0:
        raise InputError(f"random-intercept variance must be a finite number >= 0, got {var_u!r}")
    return float(var_u / (var_u + LOGISTIC_VARIANCE))


def icc_mixed_linear(res) -> float:
    """ICC from a random-intercept MixedLM: var_u / (var_u + sigma^2)."""
    var_u = float(np.asarray(res.cov_re)[0, 0])
    return float(var_u / (var_u + float(res.scale)))


def icc_anova(y: np.ndarray | pd.Series, groups: np.ndarray | pd.Series) -> float:
    """One-way ANOVA intraclass correlation ICC(1) for unequal group sizes.

    ICC = (MSB - MSW) / (MSB + (n0 - 1) MSW), n0 = (N - sum n_g^2 / N) / (G - 1)
    (Shrout & Fleiss 1979, ICC(1); Donner 1986 for n0). Can be negative.

    >>> icc_anova(np.array([1., 1, 0, 0]), np.array([1, 1, 2, 2]))
    1.0
    """
    y = np.asarray(y, dtype=float)
    groups = np.asarray(groups)
    if y.shape != groups.shape:
        raise InputError("icc_anova: y and groups must have the same length")
    keep = np.isfinite(y)
    y = y[keep]
    g = pd.factorize(groups[keep])[0]
    n_total = y.size
    sizes = np.bincount(g).astype(float)
    k = sizes.size
    if k < 2 or n_total <= k:
        raise InputError("icc_anova needs at least 2 groups and more observations than groups")
    means = np.bincount(g, weights=y) / sizes
    ssb = float(np.sum(sizes * (means - y.mean()) ** 2))
    ssw = float(np.sum((y - means[g]) ** 2))
    msb = ssb / (k - 1)
    msw = ssw / (n_total - k)
    n0 = (n_total - float(np.sum(sizes ** 2)) / n_total) / (k - 1)
    denom = msb + (n0 - 1) * msw
    return float((msb - msw) / denom) if denom else float("nan")


def fit_participant_models(frame: pd.DataFrame, *, binary: bool = True, seed: int = 0,
                           formula: str = PARTICIPANT_FORMULA) -> dict[str, object]:
    """Fit GEE, cluster-robust GLM and the mixed model(s) to the participant frame.

    Binary outcome: gee, cluster_glm, mixed_logit (variational Bayes) and
    mixed_lpm (MixedLM linear probability); continuous: gee, cluster_glm, mixed_linear.
    """
    if frame["staff_id"].nunique() < 2:
        raise InputError("participant-level models need participants of at least 2 workers")
    fits: dict[str, object] = {
        "gee": fit_gee(frame, formula=formula, binary=binary),
        "cluster_glm": fit_cluster_glm(frame, formula=formula, binary=binary),
    }
    if binary:
        fits["mixed_logit"] = fit_mixed_logit(frame, formula=formula, seed=seed)
        fits["mixed_lpm"] = fit_mixed_linear(frame, formula=formula)
    else:
        fits["mixed_linear"] = fit_mixed_linear(frame, formula=formula)
    return fits


_METHODS = {
    "gee": "GEE, exchangeable, robust SE",
    "cluster_glm": "GLM, cluster-robust SE by worker",
    "mixed_logit": "BinomialBayesMixedGLM (variational Bayes; posterior mean and SD)",
    "mixed_lpm": "MixedLM linear probability model (REML)",
    "mixed_linear": "MixedLM random intercept (REML)",
}


def participant_coef_table(fits: dict[str, object]) -> pd.DataFrame:
    """Fixed-effect estimates of each participant-level model, one row per model and term.

    For the variational-Bayes model the estimate is the posterior mean, the
    standard error the posterior SD and the interval mean +/- 1.96 SD.
    """
    rows = []
    for name, res in fits.items():
        if hasattr(res, "fe_mean"):
            names = list(res.model.fep_names)
            est, se = np.asarray(res.fe_mean), np.asarray(res.fe_sd)
            z = est / se
            p = 2 * stats.norm.sf(np.abs(z))
            lo, hi = est - _Z975 * se, est + _Z975 * se
        else:
            fe = [t for t in res.params.index if t != "Group Var"]
            names = fe
            est = res.params[fe].to_numpy()
            se = res.bse[fe].to_numpy()
            z = res.tvalues[fe].to_numpy()
            p = res.pvalues[fe].to_numpy()
            ci = res.conf_int().loc[fe]
            lo, hi = ci.iloc[:, 0].to_numpy(), ci.iloc[:, 1].to_numpy()
        for i, term in enumerate(names):
            rows.append({"model": name, "method": _METHODS.get(name, name), "term": term,
                         "estimate": float(est[i]), "std_error": float(se[i]),
                         "statistic": float(z[i]), "p_value": float(p[i]),
                         "ci_low": float(lo[i]), "ci_high": float(hi[i])})
    return pd.DataFrame(rows)


def icc_table(frame: pd.DataFrame, fits: dict[str, object]) -> pd.DataFrame:
    """Intraclass correlations of the outcome within workers, by method.

    anova: ICC(1) of the raw outcome (no covariates); mixed_logit: latent-scale
    var_u / (var_u + pi^2/3) with var_u = exp(2 E[log s]) from the variational
    posterior; mixed_lpm / mixed_linear: var_u / (var_u + sigma^2) given the
    conditions; gee: the exchangeable working correlation (residual, response scale).
    """
    rows = [{"method": "anova", "scale": "response, unconditional",
             "icc": icc_anova(frame["y"], frame["staff_id"]), "var_between": float("nan")}]
    if "mixed_logit" in fits:
        var_u = float(np.exp(2 * np.asarray(fits["mixed_logit"].vcp_mean)[0]))
        rows.append({"method": "mixed_logit", "scale": "latent (logistic), given conditions",
                     "icc": icc_latent(var_u), "var_between": var_u})
    for name in ("mixed_lpm", "mixed_linear"):
        if name in fits:
            res = fits[name]
            rows.append({"method": name, "scale": "response, given conditions",
                         "icc": icc_mixed_linear(res),
                         "var_between": float(np.asarray(res.cov_re)[0, 0])})
    if "gee" in fits:
        rows.append({"method": "gee", "scale": "working correlation, given conditions",
                     "icc": float(fits["gee"].model.cov_struct.dep_params),
                     "var_between": float("nan")})
    return pd.DataFrame(rows)
