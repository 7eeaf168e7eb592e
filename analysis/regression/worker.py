"""Worker-level models: OLS with HC3 errors and the binomial fractional logit.

Every model's formula comes from :data:`analysis.regression.specs.FORMULAS`.

How the number due enters the fractional logit. Worker i has n_i due
participants of whom k_i = n_i y_i sustained (y_i the rate). The model is a
binomial GLM with logit link fitted in the *successes/failures* form,
``successes + failures ~ conditions`` (k_i, n_i - k_i), so each worker
contributes the exact binomial log-likelihood
log C(n_i, k_i) + k_i log p_i + (n_i - k_i) log(1 - p_i): a worker with forty
due participants carries forty times the information of one with one, the
number of observations is the number of workers (right BIC, Cox-Snell R2 and
residual df), and AIC/LR tests use the true likelihood. This is the fractional
logit of y_i (Papke & Wooldridge 1996) weighted by n_i. We do not use
``var_weights = n_i`` with the rate as response: it gives the same estimates
and errors, but statsmodels then omits log C(n_i, k_i) and adds a term for
non-integer y_i, so the reported log-likelihood (hence AIC, BIC, McFadden R2)
is not the binomial one; ``freq_weights = n_i`` would count sum(n_i)
participants as the observations. k_i is rounded from n_i y_i; a rate that
does not give a whole count (within ``count_tolerance``) is an input error.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from analysis.errors import InputError
from analysis.regression.specs import (FORMULAS, MIN_OBS_PER_PARAMETER, NESTED,
                                      formula_conditions, model_spec)


def _n_params(formula: str, frame: pd.DataFrame) -> int:
    import patsy

    return patsy.dmatrix(formula.split("~", 1)[1], frame.head(2),
                         return_type="dataframe").shape[1]


def fit_ols(frame: pd.DataFrame, model: str = "main", *, cov_type: str = "HC3"):
    """OLS of ``y`` on the model's standardised conditions with HC3 standard errors.

    beta = (X'X)^-1 X'y; HC3: V = (X'X)^-1 X' diag(e_i^2 / (1 - h_ii)^2) X (X'X)^-1
    (MacKinnon & White 1985; Long & Ervin 2000 recommend HC3 for N < 250).
    """
    return smf.ols(model_spec(model), data=frame).fit(cov_type=cov_type)


def fit_wls(frame: pd.DataFrame, model: str = "main", *, cov_type: str = "HC3"):
    """WLS of ``y`` with weights ``n`` (for a continuous mean change), HC3 errors.

    beta = (X'WX)^-1 X'Wy with W = diag(n_i): a worker's mean of n_i changes has variance sigma^2 / n_i.
    """
    return smf.wls(model_spec(model), data=frame, weights=frame["n"]).fit(cov_type=cov_type)


def fit_fractional_logit(frame: pd.DataFrame, model: str = "main", *,
                         count_tolerance: float = 0.01):
    """Binomial GLM (logit link) of k = n y successes out of n = number due (successes/failures form).

    logit(p_i) = x_i' beta, k_i ~ Binomial(n_i, p_i); scale fixed at 1
    (McCullagh & Nelder 1989, ch. 4). Over-dispersion is reported as
    Pearson chi2 / df_resid by :func:`fit_summary`.
    """
    data = binomial_counts(frame, count_tolerance=count_tolerance)
    formula = "successes + failures ~ " + model_spec(model).split("~", 1)[1].strip()
    return smf.glm(formula, data=data, family=sm.families.Binomial()).fit()


def binomial_counts(frame: pd.DataFrame, *, count_tolerance: float = 0.01) -> pd.DataFrame:
    """*frame* plus ``successes`` = round(n y) and ``failures`` = n - successes.

    InputError naming the worker when y is outside [0, 1], n is not a whole
    number, or n y is further than *count_tolerance* from a whole number.
    """
    y = frame["y"].to_numpy(dtype=float)
    n = frame["n"].to_numpy(dtype=float)
    k = np.rint(y * n)
    checks = [((y < 0) | (y > 1), "rate y outside [0, 1]"),
              (np.abs(n - np.rint(n)) > 1e-9, "number due n is not a whole number"),
              (np.abs(y * n - k) > count_tolerance,
               "rate times number due is not a whole count of participants")]
    for bad, what in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            sid = frame["staff_id"].iloc[i] if "staff_id" in frame.columns else i + 1
            raise InputError(f"staff_id {sid!r}: {what} (y = {y[i]!r}, n = {n[i]!r})")
    return frame.assign(successes=k, failures=np.rint(n) - k)


def enough_data(frame: pd.DataFrame, model: str,
                min_obs_per_parameter: float = MIN_OBS_PER_PARAMETER) -> bool:
    """Whether N >= min_obs_per_parameter * (number of coefficients) for *model*."""
    return len(frame) >= min_obs_per_parameter * _n_params(model_spec(model), frame)


def fit_worker_models(frame: pd.DataFrame, *, family: str = "binomial",
                      models: Iterable[str] | None = None,
                      min_obs_per_parameter: float = MIN_OBS_PER_PARAMETER) -> dict[str, object]:
    """Fit each worker-level model in *models* (default: all of FORMULAS) for one family.

    family: "ols" (OLS, HC3), "wls" (weights n, HC3) or "binomial" (fractional
    logit). Models with fewer than *min_obs_per_parameter* workers per
    coefficient, or whose conditions are not in the frame, are left out.
    """
    fitters = {"ols": fit_ols, "wls": fit_wls, "binomial": fit_fractional_logit}
    if family not in fitters:
        raise InputError(f"unknown family {family!r}; valid: {', '.join(fitters)}")
    out: dict[str, object] = {}
    for name in (FORMULAS if models is None else models):
        if any(c not in frame.columns for c in formula_conditions(model_spec(name))):
            continue
        if not enough_data(frame, name, min_obs_per_parameter):
            continue
        out[name] = fitters[family](frame, name)
    return out


def coef_table(fits: dict[str, object]) -> pd.DataFrame:
    """One row per model and term: estimate, SE, statistic, p, 95% CI; for logits also the odds ratio.

    For the fractional logit the reported SE, statistic, p and CI are the
    quasi-binomial ones: SE = SE_ML * sqrt(phi), phi = Pearson chi2 / df_resid,
    t = estimate / SE with p and the CI from t(df_resid) (McCullagh & Nelder
    1989, sect. 4.5; Papke & Wooldridge 1996 also use dispersion-robust errors
    for fractional responses): the honest error when workers vary more than the
    binomial allows (phi > 1). The plain binomial (ML) values stay in the
    ``*_ml`` columns and, as before, in ``std_error_quasi``/``p_value_quasi``'s
    counterparts. Computed here because statsmodels 0.15's ``fit(scale="X2")``
    mis-estimates phi for the successes/failures form (it is right for the
    var_weights form; a test checks both).
    """
    rows = []
    for name, res in fits.items():
        ci = res.conf_int()
        is_logit = isinstance(getattr(res, "family", None), sm.families.Binomial)
        phi = float(res.pearson_chi2 / res.df_resid) if is_logit and res.df_resid > 0 else 1.0
        for term in res.params.index:
            est = float(res.params[term])
            row = {"model": name, "term": term, "estimate": est, "std_error": float(res.bse[term]),
                   "statistic": float(res.tvalues[term]), "p_value": float(res.pvalues[term]),
                   "ci_low": float(ci.loc[term, 0]), "ci_high": float(ci.loc[term, 1]),
                   "cov_type": str(res.cov_type)}
            if is_logit:
                row["odds_ratio"] = float(np.exp(est))
                se_q = float(res.bse[term]) * np.sqrt(phi)
                row["std_error_quasi"] = se_q
                row["p_value_quasi"] = float(2 * stats.t.sf(abs(est) / se_q, res.df_resid))
                for key in ("std_error", "statistic", "p_value", "ci_low", "ci_high"):
                    row[f"{key}_ml"] = row[key]
                half = float(stats.t.ppf(0.975, res.df_resid)) * se_q
                row.update(std_error=se_q, statistic=est / se_q, p_value=row["p_value_quasi"],
                           ci_low=est - half, ci_high=est + half,
                           cov_type=f"quasi-binomial (phi = {phi:.3g})")
            rows.append(row)
    return pd.DataFrame(rows)


def _deviance_r2(res) -> float:
    return float(1.0 - res.deviance / res.null_deviance) if res.null_deviance else float("nan")


def fit_summary(fits: dict[str, object]) -> pd.DataFrame:
    """Model comparison: N, k, log-likelihood, AIC, BIC and R2 (OLS) or pseudo-R2 (GLM).

    AIC = -2 llf + 2 k; BIC = -2 llf + k log N (k = coefficients incl.
    intercept, N = workers). GLM: McFadden R2 = 1 - llf / llf_null, Cox-Snell
    R2 = 1 - exp(2 (llf_null - llf) / N), deviance R2 = 1 - D / D_null, and the
    dispersion Pearson chi2 / df_resid (about 1 if the binomial variance holds).
    """
    rows = []
    for name, res in fits.items():
        k = int(res.df_model) + 1
        n = int(res.nobs)
        llf = float(res.llf)
        row = {"model": name, "formula": FORMULAS.get(name, ""), "n": n, "k": k, "llf": llf,
               "aic": -2 * llf + 2 * k, "bic": -2 * llf + k * np.log(n)}
        if hasattr(res, "rsquared"):
            row["r2"] = float(res.rsquared)
            row["r2_adj"] = float(res.rsquared_adj)
        else:
            row["pseudo_r2_mcfadden"] = float(res.pseudo_rsquared(kind="mcf"))
            row["pseudo_r2_cox_snell"] = float(res.pseudo_rsquared(kind="cs"))
            row["deviance_r2"] = _deviance_r2(res)
            row["dispersion"] = float(res.pearson_chi2 / res.df_resid) if res.df_resid else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def lr_test(small, large) -> dict[str, float]:
    """Likelihood-ratio test of nested models: LR = 2 (llf_large - llf_small) ~ chi2(k_large - k_small).

    Wilks (1938). Both models must be fitted to the same rows.
    """
    if int(small.nobs) != int(large.nobs):
        raise InputError(f"LR test needs models fitted to the same rows ({int(small.nobs)} vs "
                         f"{int(large.nobs)})")
    df = float(large.df_model - small.df_model)
    if df <= 0:
        raise InputError("LR test: the larger model must have more coefficients")
    lr = 2.0 * (float(large.llf) - float(small.llf))
    return {"lr": lr, "df": int(round(df)), "p_value": float(stats.chi2.sf(lr, df))}


def lr_table(fits: dict[str, object], pairs: Iterable[tuple[str, str]] = NESTED) -> pd.DataFrame:
    """LR tests for each nested (smaller, larger) pair whose models were both fitted.

    For binomial GLMs also the quasi-likelihood F test that allows for
    over-dispersion: F = (LR / df) / phi_large ~ F(df, df_resid_large), phi =
    Pearson chi2 / df_resid of the larger model (McCullagh & Nelder 1989, sect. 4.5.2).
    """
    rows = []
    for small, large in pairs:
        if small in fits and large in fits:
            row = {"smaller": small, "larger": large, **lr_test(fits[small], fits[large])}
            res = fits[large]
            if isinstance(getattr(res, "family", None), sm.families.Binomial) and res.df_resid > 0:
                phi = float(res.pearson_chi2 / res.df_resid)
                f = row["lr"] / row["df"] / phi
                row["f_quasi"] = f
                row["p_value_quasi"] = float(stats.f.sf(f, row["df"], res.df_resid))
            rows.append(row)
    cols = ["smaller", "larger", "lr", "df", "p_value"]
    out = pd.DataFrame(rows, columns=cols + [c for c in ("f_quasi", "p_value_quasi")
                                             if any(c in r for r in rows)])
    return out.astype({"df": int})
