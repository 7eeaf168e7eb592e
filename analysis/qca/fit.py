"""Parameters of fit for sufficiency: inclS, PRI, covS, covU (R QCA's ``pof``).

For a term with memberships m and an outcome y (Ragin 2006, 2008; Dusa 2019, ch. 6):

    inclS = sum(min(m, y)) / sum(m)
    PRI   = (sum(min(m, y)) - sum(min(m, y, 1 - y))) / (sum(m) - sum(min(m, y, 1 - y)))
    covS  = sum(min(m, y)) / sum(y)
    covU  = (sum(min(M, y)) - sum(min(M_-t, y))) / sum(y)

where M is the union (max) of all the terms of the model or expression and
M_-t the union of all terms but t. covU is NA (None / NaN) for an
expression of a single term, as R prints it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.qca.expressions import format_term, parse_expression, term_membership
from analysis.qca.sets import memberships
from analysis.qca.truthtable import parse_outcome

__all__ = ["inclusion_sufficiency", "fit_terms", "unique_coverage", "model_fit", "pof_sufficiency"]


def inclusion_sufficiency(x: np.ndarray, y: np.ndarray) -> float:
    """Consistency of X as a subset of Y (sufficiency inclusion, inclS).

    inclS = sum(min(x_i, y_i)) / sum(x_i)   (Ragin 2006; R QCA's ``pof``).

    >>> inclusion_sufficiency(np.array([0.8, 0.2]), np.array([0.9, 0.1]))
    0.9
    """
    x, y = memberships(x, "x"), memberships(y, "y")
    total = x.sum()
    return float(np.minimum(x, y).sum() / total) if total else float("nan")


def _ratio(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    b = np.broadcast_to(np.asarray(b, dtype=float), a.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _three(m: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = np.atleast_2d(m)
    my = np.minimum(m, y)
    s_my = my.sum(axis=1)
    s_myn = np.minimum(my, 1.0 - y).sum(axis=1)
    s_m = m.sum(axis=1)
    incl = _ratio(s_my, s_m)
    pri = _ratio(s_my - s_myn, s_m - s_myn)
    cov = _ratio(s_my, y.sum())
    return incl, pri, cov


def model_fit(m: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """inclS, PRI and covS of a model (the union of its terms' memberships *m*: terms x cases).

    >>> model_fit(np.array([[1.0, 0.0], [0.0, 0.2]]), np.array([1.0, 0.0]))
    {'inclS': 0.8333333333333334, 'PRI': 0.8333333333333334, 'covS': 1.0}
    """
    union = np.atleast_2d(m).max(axis=0) if np.size(m) else np.zeros_like(y)
    incl, pri, cov = _three(union[None, :], y)
    return {"inclS": float(incl[0]), "PRI": float(pri[0]), "covS": float(cov[0])}


def fit_terms(m: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """inclS, PRI, covS, covU of every term (rows of *m*: terms x cases) within their union.

    covU is NaN when there is a single term (R prints it as NA / "-").

    >>> fit_terms(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([1.0, 1.0]))[["covS", "covU"]].values.tolist()
    [[0.5, 0.0], [1.0, 0.5]]
    """
    m = np.atleast_2d(np.asarray(m, dtype=float))
    incl, pri, cov = _three(m, y)
    cov_u = unique_coverage(m, y)
    return pd.DataFrame({"inclS": incl, "PRI": pri, "covS": cov, "covU": cov_u})


def unique_coverage(m: np.ndarray, y: np.ndarray) -> np.ndarray:
    """covU of every term (rows of *m*) within their union; NaN for a single term.

    covU_t = (sum(min(M, y)) - sum(min(M_-t, y))) / sum(y), with M_-t the
    union of the other terms, taken for all t at once: M_-t equals M except in the
    cases where t alone reaches the maximum, where it is the largest value
    below it (Dusa 2019, ch. 6; R QCA's ``pof``).

    >>> unique_coverage(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([1.0, 1.0])).tolist()
    [0.0, 0.5]
    """
    m = np.atleast_2d(np.asarray(m, dtype=float))
    t = m.shape[0]
    if t == 1:
        return np.array([np.nan])
    top = m.max(axis=0)
    s_all = np.minimum(top, y).sum()
    at_top = m == top
    alone = at_top & (at_top.sum(axis=0) == 1)               # t is the only term at the maximum
    second = np.where(at_top, -np.inf, m).max(axis=0)        # largest value below the maximum
    others = np.where(alone, second, top)
    return _ratio(s_all - np.minimum(others, y).sum(axis=1), y.sum())


def pof_sufficiency(data: pd.DataFrame, expression: str | Sequence[Sequence[int]],
                    outcome: str, conditions: Sequence[str] | None = None) -> pd.DataFrame:
    """Parameters of fit for sufficiency of each term of an expression and of the whole.

    R QCA's ``pof("A + ~B -> Y", data)`` (and ``pof(data[, conds], Y, relation = "suf")``
    for single conditions written as ``"A + B + C"``). Rows: one per term, then
    ``expression`` (inclS, PRI, covS of the union; covU NaN).

    Parameters
    ----------
    data : one row per case; condition columns (memberships or multi-value codes)
        and the outcome.
    expression : a sum of products in R notation, or a list of terms aligned
        with *conditions*; a trailing ``-> Y`` sets the outcome.
    outcome : outcome column, ``"~Y"`` negates it.
    conditions : condition names (default: every column but the outcome).

    Examples
    --------
    >>> d = pd.DataFrame({"A": [1.0, 0.0, 1.0], "B": [0.0, 1.0, 1.0], "Y": [1.0, 0.0, 1.0]})
    >>> pof_sufficiency(d, "A + B", "Y").round(3).values.tolist()
    [[1.0, 1.0, 1.0, 0.5], [0.5, 0.5, 0.5, 0.0], [0.667, 0.667, 1.0, nan]]
    """
    if isinstance(expression, str) and "->" in expression:
        expression, outcome = (s.strip() for s in expression.split("->", 1))
    columns = [str(c) for c in data.columns]
    name, neg, value = parse_outcome(outcome, columns)
    if conditions is None:
        conditions = [c for c in columns if c != name]
    y_raw = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float)
    y = (y_raw == value).astype(float) if value is not None else memberships(y_raw, name)
    if neg:
        y = 1.0 - y
    terms = parse_expression(expression, conditions) if isinstance(expression, str) else \
        [tuple(int(v) for v in t) for t in expression]
    if not terms:
        raise InputError("expression: no terms")
    m = np.vstack([term_membership(data, t, conditions) for t in terms])
    df = fit_terms(m, y)
    whole = model_fit(m, y)
    df.loc[len(df)] = [whole["inclS"], whole["PRI"], whole["covS"], np.nan]
    multivalue = any(v >= 2 for t in terms for v in t)
    df.index = [format_term(t, conditions, multivalue or None) for t in terms] + ["expression"]
    df.index.name = "term"
    return df


def fit_to_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a fit table as dicts (term, inclS, PRI, covS, covU; NaN as None)."""
    out = []
    for term, r in df.iterrows():
        rec: dict[str, Any] = {"term": term}
        for c in df.columns:
            v = r[c]
            rec[c] = None if isinstance(v, float) and np.isnan(v) else v
        out.append(rec)
    return out
