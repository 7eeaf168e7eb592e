"""Confirmatory factor analysis of the staff scales.

The model is estimated by semopy (maximum likelihood, objective ``MLW``);
the fit statistics are computed here from the sample covariance matrix and
semopy's model-implied covariance, with lavaan's conventions, because semopy
(2.3.11) does not cap CFI at 1, has no SRMR and orders observed variables
alphabetically (i1, i10, i2). Items are renamed internally to ``v001``,
``v002``, ... so semopy's order is the data's order and any column name works.

Conventions (lavaan 0.6, ``estimator = "ML"``, ``likelihood = "normal"``):

* S is the covariance matrix with divisor N (complete rows), F_ML =
  log|Sigma| + tr(S Sigma^-1) - log|S| - p and chi-square = N * F_ML
  (Joreskog 1969; lavaan uses N, not N - 1).
* Baseline (independence) model: chi2_0 = -N * log|R|, df_0 = p (p - 1) / 2.
* CFI = 1 - max(chi2 - df, 0) / max(chi2 - df, chi2_0 - df_0, 0) (Bentler 1990),
  so 0 <= CFI <= 1.
* TLI = (chi2_0 / df_0 - chi2 / df) / (chi2_0 / df_0 - 1) (Tucker & Lewis 1973),
  not capped (it exceeds 1 when chi2 < df).
* RMSEA = sqrt(max(chi2 - df, 0) / (df * N)) (Steiger 1990, lavaan's N),
  90% CI from the noncentral chi-square (Browne & Cudeck 1993).
* SRMR = sqrt(mean over i <= j of ((s_ij - sigma_ij) / sqrt(s_ii s_jj))^2)
  (Bentler 1995; lavaan's ``srmr`` without a mean structure).
* Omega total of each factor from the standardised solution:
  (sum |lambda|)^2 / ((sum |lambda|)^2 + sum theta) (McDonald 1999).

Limits with N = 65 (the study's sample): the chi-square test has little
power, so a non-significant chi-square and CFI = 1 are weak evidence of fit;
RMSEA's confidence interval is wide (often from 0 to above 0.10); estimates
of a multi-factor structure can be improper (Heywood cases) or fail to
converge; ML assumes continuous, multivariate normal indicators, which 4- or
5-point items are not; rows with a missing item are dropped (listwise), so
the n of a fit can be well below 65. Treat the fit as descriptive, not as a
test of the published structure.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.errors import InputError
from analysis.psychometrics.scoring import (as_codebook_list, codebook_id, codebook_items, codebook_scoring,
                                            codebook_value, scale_item_frame)

__all__ = ["CFAResult", "N_CAVEAT", "cfa_table", "fit_cfa", "fit_indices", "ml_chisq",
           "rmsea_ci", "srmr", "codebook_cfas"]

#: Sentence stating the limits of a CFA at the study's sample size.
N_CAVEAT = ("With N = 65 the CFA is descriptive: the chi-square test has little power, "
            "CFI/TLI near 1 and a non-significant chi-square are weak evidence of fit, "
            "RMSEA's 90% CI is wide, and multi-factor models may be improper or fail to "
            "converge; ML also treats 4-6 point items as continuous and normal, and "
            "the fit uses complete rows only (listwise), so n can be below 65.")


def ml_chisq(sample_cov: np.ndarray, implied_cov: np.ndarray, n: int) -> float:
    """ML chi-square: N * (log|Sigma| + tr(S Sigma^-1) - log|S| - p).

    S with divisor N; lavaan's default (``likelihood = "normal"``) multiplies
    by N, not N - 1.

    Examples
    --------
    >>> s = np.array([[1.0, 0.3], [0.3, 1.0]])
    >>> abs(ml_chisq(s, s, 100)) < 1e-9  # zero up to rounding (its sign is BLAS noise)
    True
    """
    s, sigma = np.asarray(sample_cov, float), np.asarray(implied_cov, float)
    p = s.shape[0]
    _, logdet_sigma = np.linalg.slogdet(sigma)
    _, logdet_s = np.linalg.slogdet(s)
    f_ml = logdet_sigma + np.trace(s @ np.linalg.inv(sigma)) - logdet_s - p
    return float(n * f_ml)


def srmr(sample_cov: np.ndarray, implied_cov: np.ndarray) -> float:
    """Standardised root mean square residual (Bentler 1995).

    sqrt(mean_{i <= j} ((s_ij - sigma_ij) / sqrt(s_ii s_jj))^2), over the
    p (p + 1) / 2 non-duplicated elements (lavaan's ``srmr``, no mean structure).

    Examples
    --------
    >>> s = np.array([[1.0, 0.5], [0.5, 1.0]]); sig = np.array([[1.0, 0.2], [0.2, 1.0]])
    >>> round(srmr(s, sig), 6)
    0.173205
    """
    s, sigma = np.asarray(sample_cov, float), np.asarray(implied_cov, float)
    d = 1 / np.sqrt(np.diag(s))
    resid = (s - sigma) * np.outer(d, d)
    idx = np.tril_indices(s.shape[0])
    return float(np.sqrt(np.mean(resid[idx] ** 2)))


def rmsea_ci(chisq: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA from the noncentral chi-square (Browne & Cudeck 1993).

    lambda_L solves P(X <= chisq | df, lambda) = (1 + level) / 2, lambda_U solves
    it = (1 - level) / 2 (0 when no root); bound = sqrt(lambda / (df * N)).
    """
    if df <= 0:
        return float("nan"), float("nan")

    def solve(target: float) -> float:
        f = lambda lam: stats.ncx2.cdf(chisq, df, lam) - target if lam > 0 else \
            stats.chi2.cdf(chisq, df) - target
        if f(0.0) < 0:  # even a central chi-square puts too little mass below chisq
            return 0.0
        hi = max(chisq, 1.0)
        while f(hi) > 0:
            hi *= 2
        return float(optimize.brentq(f, 0.0, hi, xtol=1e-12))

    lam_l = solve((1 + level) / 2)
    lam_u = solve((1 - level) / 2)
    return math.sqrt(lam_l / (df * n)), math.sqrt(lam_u / (df * n))


def fit_indices(sample_cov: np.ndarray, implied_cov: np.ndarray, n: int,
                n_params: int) -> dict[str, float]:
    """chisq, df, pvalue, baseline chisq/df, CFI, TLI, RMSEA (+90% CI) and SRMR.

    Formulas in the module docstring (lavaan's ML conventions).
    """
    s = np.asarray(sample_cov, float)
    p = s.shape[0]
    df = p * (p + 1) // 2 - n_params
    chisq = ml_chisq(s, implied_cov, n)
    d = 1 / np.sqrt(np.diag(s))
    _, logdet_r = np.linalg.slogdet(s * np.outer(d, d))
    chisq0, df0 = float(-n * logdet_r), p * (p - 1) // 2
    denom = max(chisq - df, chisq0 - df0, 0.0)
    cfi = 1.0 - max(chisq - df, 0.0) / denom if denom > 0 else 1.0
    tli = ((chisq0 / df0 - chisq / df) / (chisq0 / df0 - 1)) if df > 0 else float("nan")
    rmsea = math.sqrt(max(chisq - df, 0.0) / (df * n)) if df > 0 else float("nan")
    lo, hi = rmsea_ci(chisq, df, n)
    return {
        "chisq": chisq, "df": int(df),
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        "baseline_chisq": chisq0, "baseline_df": int(df0),
        "cfi": float(cfi), "tli": float(tli), "rmsea": rmsea,
        "rmsea_ci_low": lo, "rmsea_ci_high": hi,
        "srmr": srmr(s, implied_cov),
    }


@dataclass(frozen=True)
class CFAResult:
    """A fitted CFA: fit statistics, standardised loadings and omega per factor."""

    name: str
    n: int
    structure: dict[str, tuple[str, ...]]
    fit: dict[str, float]
    loadings: pd.DataFrame = field(repr=False)
    omega: dict[str, float] = field(default_factory=dict)
    converged: bool = True
    message: str = ""

    def row(self) -> dict[str, Any]:
        """One row for the CFA fit table."""
        return {"scale": self.name, "model": self.model_label, "n": self.n,
                **self.fit, "converged": self.converged,
                "omega_total": (next(iter(self.omega.values()))
                                if len(self.omega) == 1 else float("nan"))}

    @property
    def model_label(self) -> str:
        if len(self.structure) == 1:
            return "one factor"
        return f"{len(self.structure)} factors: " + ", ".join(self.structure)

    def summary(self) -> str:
        """Readable report with the N caveat (values rounded for printing only)."""
        f = self.fit
        lines = [
            f"CFA {self.name} ({self.model_label}), ML, n = {self.n}"
            + ("" if self.converged else "  [NOT CONVERGED: " + self.message + "]"),
            f"chi-square({f['df']}) = {f['chisq']:.3f}, p = {f['pvalue']:.3f}; "
            f"CFI = {f['cfi']:.3f}; TLI = {f['tli']:.3f}; RMSEA = {f['rmsea']:.3f} "
            f"[90% CI {f['rmsea_ci_low']:.3f}, {f['rmsea_ci_high']:.3f}]; SRMR = {f['srmr']:.3f}",
            "omega total: " + ", ".join(f"{k} {v:.3f}" for k, v in self.omega.items()),
        ]
        if self.n < 200:
            lines.append(N_CAVEAT.replace("N = 65", f"N = {self.n}"))
        return "\n".join(lines)


def _structure(data: pd.DataFrame, structure: Mapping[str, Sequence[str]] | None,
               name: str) -> dict[str, tuple[str, ...]]:
    if structure is None or len(structure) == 0:
        structure = {name or "F": list(data.columns)}
    out = {str(k): tuple(str(i) for i in v) for k, v in structure.items()}
    for factor, items in out.items():
        if len(items) < 2:
            raise InputError(f"factor {factor!r} needs at least 2 items, got {list(items)}")
        missing = [i for i in items if i not in data.columns]
        if missing:
            raise InputError(f"factor {factor!r}: item column(s) {missing} not in the data")
    return out


def fit_cfa(data: pd.DataFrame, structure: Mapping[str, Sequence[str]] | None = None,
            *, name: str = "") -> CFAResult:
    """Fit a CFA (one factor by default, else *structure* = {factor: items}) by ML with semopy.

    Complete rows only. Factors are identified by fixing the first loading to 1
    and correlate freely (semopy's defaults, as lavaan's ``cfa()``). Fit
    statistics by :func:`fit_indices` (lavaan conventions), standardised
    loadings from semopy, omega per factor from them. Limits at small N: see
    :data:`N_CAVEAT`.
    """
    import semopy

    struct = _structure(data, structure, name)
    items = list(dict.fromkeys(i for its in struct.values() for i in its))
    values = data[items]
    bad = [c for c in items if values[c].dtype.kind not in "biuf"]
    if bad:
        raise InputError(f"item column(s) {bad} are not numeric")
    values = values.astype(float).dropna(axis=0, how="any")
    n, p = values.shape
    if n < p + 2:
        raise InputError(f"CFA of {p} items needs more than {p + 1} complete rows, got {n}")
    safe = {item: f"v{i + 1:03d}" for i, item in enumerate(items)}
    back = {v: k for k, v in safe.items()}
    fnames = {f: f"F{j + 1:02d}" for j, f in enumerate(struct)}
    fback = {v: k for k, v in fnames.items()}
    desc = "\n".join(f"{fnames[f]} =~ " + " + ".join(safe[i] for i in its)
                     for f, its in struct.items())
    renamed = values.rename(columns=safe)
    model = semopy.Model(desc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(renamed, obj="MLW")
    converged = bool(getattr(res, "success", True))
    message = str(getattr(res, "message", ""))
    sigma, _ = model.calc_sigma()
    order = list(model.vars["observed"])
    pos = [order.index(safe[i]) for i in items]
    sigma = np.asarray(sigma)[np.ix_(pos, pos)]
    s = np.cov(values.to_numpy(), rowvar=False, ddof=0)
    n_params = len(model.param_vals)
    if p * (p + 1) // 2 - n_params < 0:
        raise InputError(f"CFA {name!r}: the model has more parameters ({n_params}) than "
                         f"variances and covariances ({p * (p + 1) // 2}); it is not identified")
    fit = fit_indices(s, sigma, n, n_params)

    est = model.inspect(std_est=True)
    lam = est[(est["op"] == "~") & est["rval"].isin(list(fback))]
    loadings = pd.DataFrame({
        "factor": [fback[f] for f in lam["rval"]],
        "item": [back[v] for v in lam["lval"]],
        "estimate": lam["Estimate"].astype(float).to_numpy(),
        "std_estimate": lam["Est. Std"].astype(float).to_numpy(),
    })
    loadings["_o"] = [list(struct).index(f) * 10_000 + items.index(i)
                      for f, i in zip(loadings["factor"], loadings["item"])]
    loadings = loadings.sort_values("_o").drop(columns="_o").reset_index(drop=True)
    omega = {}
    for f in struct:
        std = loadings.loc[loadings["factor"] == f, "std_estimate"].to_numpy()
        lsum = np.abs(std).sum()
        omega[f] = float(lsum ** 2 / (lsum ** 2 + (1 - std ** 2).sum()))
    if np.any(np.abs(loadings["std_estimate"]) >= 1):
        converged, message = False, (message + "; improper solution (|std loading| >= 1)").strip("; ")
    return CFAResult(name=name, n=int(n), structure=struct, fit=fit, loadings=loadings,
                     omega=omega, converged=converged, message=message)


def codebook_cfas(df: pd.DataFrame, codebooks: Any) -> list[CFAResult]:
    """One-factor CFA of each item-based scale and, when the codebook gives a
    multi-factor ``structure``, a CFA of that published structure too.

    Items are reverse-keyed first (only signs change; fit is unaffected).
    """
    out = []
    for cb in as_codebook_list(codebooks):
        if codebook_value(codebook_scoring(cb), "rule") == "composite" or not codebook_items(cb):
            continue
        cid = codebook_id(cb)
        keyed = scale_item_frame(df, cb, reverse=True)
        out.append(fit_cfa(keyed, None, name=cid))
        structure = codebook_value(cb, "structure") or {}
        if len(structure) > 1:
            struct = {f: codebook_items(cb, its) for f, its in structure.items()}
            out.append(fit_cfa(keyed, struct, name=cid))
    return out


def cfa_table(results: Sequence[CFAResult]) -> pd.DataFrame:
    """The CFA fit table: one row per model (scale, model, n, chisq, df, p, CFI, TLI, RMSEA, SRMR...)."""
    return pd.DataFrame([r.row() for r in results])
