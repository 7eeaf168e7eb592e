"""Diagnostics a reviewer asks for: VIF, influence, residuals, power at the study's N."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.outliers_influence import OLSInfluence, variance_inflation_factor
from statsmodels.stats.power import FTestPowerF2

from analysis.errors import InputError


def vif_table(frame: pd.DataFrame, conditions: Sequence[str]) -> pd.DataFrame:
    """Variance inflation factor of each condition: VIF_j = 1 / (1 - R2_j).

    R2_j from regressing condition j on the others with an intercept
    (statsmodels ``variance_inflation_factor`` on [1, X]). Rule of thumb:
    VIF > 5 (or 10) signals collinearity (e.g. O'Brien 2007).
    """
    missing = [c for c in conditions if c not in frame.columns]
    if missing:
        raise InputError(f"vif_table: column(s) not in the frame: {', '.join(missing)}")
    x = frame[list(conditions)].to_numpy(dtype=float)
    exog = np.column_stack([np.ones(len(x)), x])
    vifs = [float(variance_inflation_factor(exog, j + 1)) for j in range(len(conditions))]
    return pd.DataFrame({"condition": list(conditions), "vif": vifs,
                         "r2_on_others": [1.0 - 1.0 / v for v in vifs]})


def influence_table(ols_result, staff_id: Sequence | None = None) -> pd.DataFrame:
    """Per-worker leverage, studentized residual and Cook's distance of an OLS fit.

    D_i = e_i^2 / (k s^2) * h_ii / (1 - h_ii)^2 (Cook 1977); flagged when
    D_i > 4 / N (a common screening cut-off).
    """
    infl = OLSInfluence(ols_result)
    n = int(ols_result.nobs)
    cooks = np.asarray(infl.cooks_distance[0])
    out = pd.DataFrame({
        "staff_id": list(staff_id) if staff_id is not None else np.arange(1, n + 1),
        "leverage": np.asarray(infl.hat_matrix_diag),
        "student_resid": np.asarray(infl.resid_studentized_external),
        "cooks_d": cooks,
        "influential": cooks > 4.0 / n,
    })
    return out


def residuals_table(result, staff_id: Sequence | None = None) -> pd.DataFrame:
    """Fitted values, residuals y - fitted (on the rate scale) and Pearson residuals, for a residuals-vs-fitted plot.

    Pearson residual: (y - mu) / sqrt(V(mu) / n) for a binomial GLM with n trials; e sqrt(w) / s
    for OLS (w = 1) and WLS.
    """
    fitted = np.asarray(result.fittedvalues)
    if hasattr(result, "family"):
        resid = np.asarray(result.model.endog) - fitted
        pearson = np.asarray(result.resid_pearson)
    else:
        resid = np.asarray(result.resid)
        weights = np.asarray(getattr(result.model, "weights", 1.0), dtype=float)
        pearson = resid * np.sqrt(weights) / np.sqrt(float(result.scale))
    n = len(fitted)
    return pd.DataFrame({"staff_id": list(staff_id) if staff_id is not None else np.arange(1, n + 1),
                         "fitted": fitted, "residual": resid, "pearson_residual": pearson})


def cohen_f2_coefficient(t_value: float, df_resid: float) -> float:
    """Cohen's f2 of one coefficient from its t statistic: f2 = t^2 / df_resid.

    Equals (R2_full - R2_reduced) / (1 - R2_full) for the nested pair without
    that term (Cohen 1988, ch. 9; Selya et al. 2012).

    >>> cohen_f2_coefficient(2.0, 60.0)
    0.06666666666666667
    """
    if df_resid <= 0:
        raise InputError(f"df_resid must be > 0, got {df_resid!r}")
    return float(t_value) ** 2 / float(df_resid)


def power_f2(f2: float, n: int, k: int, *, alpha: float = 0.05, df_num: int = 1) -> float:
    """Power of the F test of *df_num* coefficients with effect size f2 in an OLS with k predictors at N = n.

    F(u, v) with u = df_num, v = n - k - 1 and noncentrality lambda = f2 * N
    (G*Power's "R2 increase" test, Faul et al. 2009; Cohen 1988 writes
    f2 (u + v + 1), which equals f2 * N only when all predictors are tested).
    Computed with statsmodels ``FTestPowerF2`` (nc = f2 (v + u + ncc)) with ncc = k + 1 - u.
    """
    v = n - k - 1
    if v <= 0:
        raise InputError(f"power_f2: N = {n} leaves no residual df for {k} predictors")
    return float(FTestPowerF2().power(effect_size=f2, df_num=df_num, df_denom=v, alpha=alpha,
                                      ncc=k + 1 - df_num))


def n_for_power(f2: float, k: int, *, power: float = 0.8, alpha: float = 0.05,
                df_num: int = 1) -> float:
    """N (not rounded up) giving *power* for effect f2 of df_num coefficients among k predictors (as :func:`power_f2`)."""
    if f2 <= 0:
        return float("inf")
    v = FTestPowerF2().solve_power(effect_size=f2, df_num=df_num, df_denom=None, alpha=alpha,
                                   power=power, ncc=k + 1 - df_num)
    return float(v) + k + 1


def power_table(ols_result, *, n: int | None = None, alpha: float = 0.05,
                power: float = 0.8) -> pd.DataFrame:
    """Per coefficient of an OLS fit: f2 = t^2 / df_resid (nonrobust t), the power at N and the N for *power*.

    The effect sizes are those found (observed), so the power is the design's
    sensitivity to effects of that size, not a post-hoc justification of a
    non-significant result (Hoenig & Heisey 2001).
    """
    res = ols_result
    k = int(res.df_model)
    n = int(res.nobs) if n is None else int(n)
    # nonrobust t: f2 is defined through R2 changes, which use the OLS variance
    bse = np.sqrt(np.diag(res.normalized_cov_params) * float(res.scale))
    t = np.asarray(res.params) / bse
    rows = []
    for term, tv in zip(res.params.index, t):
        if term == "Intercept":
            continue
        f2 = cohen_f2_coefficient(float(tv), float(res.df_resid))
        rows.append({"term": term, "f2": f2, "n": n, "power": power_f2(f2, n, k, alpha=alpha),
                     "n_for_power": n_for_power(f2, k, power=power, alpha=alpha)})
    return pd.DataFrame(rows)
