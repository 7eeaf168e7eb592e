"""Item matrices and the one-factor minres model: McDonald's omega total.

``minres_loadings`` (psych's ``fa(fm = "minres")``) and ``omega_total``
(psych's ``omega(nfactors = 1, fm = "minres")$omega.tot``); ``_numeric_items``
and ``_complete`` check an item matrix and keep its complete rows, for these
and for :mod:`analysis.psychometrics.reliability`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from analysis.errors import InputError

__all__ = ["minres_loadings", "omega_total"]


def _numeric_items(items: pd.DataFrame, min_items: int = 2) -> pd.DataFrame:
    if not isinstance(items, pd.DataFrame):
        items = pd.DataFrame(items)
    if items.shape[1] < min_items:
        raise InputError(f"need at least {min_items} items, got {items.shape[1]}")
    bad = [c for c in items.columns if items[c].dtype.kind not in "biuf"]
    if bad:
        raise InputError(f"item column(s) {[str(b) for b in bad]} are not numeric")
    return items.astype(float)


def _complete(items: pd.DataFrame, min_items: int = 2) -> pd.DataFrame:
    data = _numeric_items(items, min_items).dropna(axis=0, how="any")
    if len(data) < 3:
        raise InputError(f"need at least 3 complete rows, got {len(data)}")
    return data


def minres_loadings(corr: np.ndarray, nfactors: int = 1) -> np.ndarray:
    """Unrotated minimum-residual (minres / ULS) factor loadings of a correlation matrix.

    Minimises sum_{i<j} (r_ij - (L L')_ij)^2 over the uniquenesses psi in
    [0.005, 1] (L-BFGS-B), with L from the leading eigenpairs of R with
    1 - psi on the diagonal (Harman & Jones 1966; as psych's ``fa(fm =
    "minres")``, started from squared multiple correlations). Loadings of each
    factor are signed so that their sum is positive.

    Examples
    --------
    >>> r = np.array([[1, .48, .42], [.48, 1, .56], [.42, .56, 1]])
    >>> np.round(minres_loadings(r)[:, 0], 3).tolist()
    [0.6, 0.8, 0.7]
    """
    r = np.asarray(corr, dtype=float)
    p = r.shape[0]
    if r.ndim != 2 or r.shape != (p, p) or not np.allclose(r, r.T):
        raise InputError("correlation matrix must be square and symmetric")
    if not 1 <= nfactors < p:
        raise InputError(f"nfactors must be in [1, {p - 1}], got {nfactors}")
    lower = np.tril_indices(p, -1)

    def loadings_for(psi: np.ndarray) -> np.ndarray:
        s = r.copy()
        np.fill_diagonal(s, 1 - psi)
        values, vectors = np.linalg.eigh(s)
        order = np.argsort(values)[::-1][:nfactors]
        vals = np.clip(values[order], 100 * np.finfo(float).eps, None)
        return vectors[:, order] * np.sqrt(vals)

    def objective(psi: np.ndarray) -> float:
        lo = loadings_for(psi)
        resid = (r - lo @ lo.T)[lower]
        return float(resid @ resid)

    try:
        smc = 1 - 1 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        smc = np.full(p, 0.5)
    start = np.clip(1 - smc, 0.005, 1)
    res = optimize.minimize(objective, start, method="L-BFGS-B",
                            bounds=[(0.005, 1.0)] * p,
                            options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000})
    loads = loadings_for(res.x)
    signs = np.where(loads.sum(axis=0) < 0, -1.0, 1.0)
    return loads * signs


def omega_total(items: pd.DataFrame) -> float:
    """McDonald's omega total from a one-factor minres model of the correlation matrix.

    omega_t = 1 - sum(u_i^2) / sum(R*), u_i^2 = 1 - h_i^2 (uniqueness), R* the
    correlation matrix with items loading negatively reflected (McDonald 1999;
    Revelle & Zinbarg 2009; as psych's ``omega(x, nfactors = 1, fm =
    "minres")$omega.tot``). Complete rows only. NaN for fewer than 3 items,
    where a one-factor model is not identified.
    """
    data = _complete(items)
    if data.shape[1] < 3:
        return float("nan")
    r = np.corrcoef(data.to_numpy(), rowvar=False)
    loads = minres_loadings(r, 1)
    flip = np.where(loads[:, 0] < 0, -1.0, 1.0)
    r_flipped = r * np.outer(flip, flip)
    u2 = 1 - (loads ** 2).sum(axis=1)
    return float(1 - u2.sum() / r_flipped.sum())
