"""Scoring, reliability and item analysis of the staff scales (stage 02).

Everything here is driven by the instrument codebooks (``analysis.codebook``):
reverse keys, response range, scoring rule, subscales, prorating limit and
adopter categories come from the codebook, never from constants in this file.

Scoring
    ``reverse_key`` (min + max - x), ``prorated_score`` (sum / mean with
    prorating), ``formula_score`` (IIS: constant + plus - minus on raw
    answers), ``pomp`` and ``adopter_category``; ``score_scale`` applies one
    codebook and ``score_all`` every codebook to the staff table.

Reliability and item analysis
    ``cronbach_alpha`` (pingouin), ``feldt_ci``, ``standardized_alpha``,
    ``minres_loadings`` / ``omega_total`` (psych's ``omega(nfactors = 1,
    fm = "minres")``), ``item_analysis`` (means, SDs, corrected item-total r,
    alpha if deleted, floor and ceiling) and ``reliability`` which bundles
    them into a :class:`Reliability` result with a readable ``summary()``.

Correlations
    ``interscale_correlations`` (pingouin's ``pairwise_corr``: Pearson r with
    95% CI and p value).

Results written by the notebook go through ``write_results``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import optimize, stats

from analysis.errors import InputError, located

__all__ = [
    "Reliability",
    "StageResults",
    "analyse_staff",
    "item_analysis_table",
    "sbw_definition",
    "write_stage_outputs",
    "claim_values",
    "record_claims",
    "adopter_category",
    "codebook_items",
    "cronbach_alpha",
    "descriptives_table",
    "feldt_ci",
    "fisher_ci",
    "formula_score",
    "interscale_correlations",
    "item_analysis",
    "minres_loadings",
    "omega_total",
    "pomp",
    "prorated_score",
    "reliability",
    "reverse_key",
    "scale_item_frame",
    "scale_reliabilities",
    "score_all",
    "score_scale",
    "standardized_alpha",
    "write_results",
]


# --------------------------------------------------------------------------
# codebook access (dicts in tests, frozen dataclasses from analysis.codebook)
# --------------------------------------------------------------------------

def _get(obj: Any, key: str, default: Any = None) -> Any:
    """Value *key* of a codebook (attribute of a dataclass or key of a mapping)."""
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _cb_id(codebook: Any) -> str:
    cid = _get(codebook, "id")
    if not cid:
        raise InputError("codebook without an 'id'")
    return str(cid)


def _item_name(codebook_id: str, item: Any) -> str:
    """Column name of one codebook item: 'gse_01' from 'gse_01', 1 or {'id': 'gse_01'}."""
    if isinstance(item, Mapping):
        for key in ("column", "id", "name", "item"):
            value = _get(item, key)
            if value is not None:
                return _item_name(codebook_id, value)
        raise InputError(f"codebook {codebook_id!r}: item {item!r} has no 'id'")
    if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
        return f"{codebook_id}_{int(item):02d}"
    return str(item)


def codebook_items(codebook: Any, which: Iterable[Any] | None = None) -> list[str]:
    """Item column names of a codebook (or of the sub-list *which*), in codebook order."""
    cid = _cb_id(codebook)
    items = _get(codebook, "items") if which is None else which
    return [_item_name(cid, it) for it in (items or [])]


def _response_range(codebook: Any) -> tuple[float, float]:
    """(min, max) answer: ``response_min``/``response_max`` (Codebook) or ``response: {min, max}``."""
    lo, hi = _get(codebook, "response_min"), _get(codebook, "response_max")
    if lo is None or hi is None:
        response = _get(codebook, "response") or {}
        lo, hi = _get(response, "min"), _get(response, "max")
    if lo is None or hi is None:
        raise InputError(f"codebook {_cb_id(codebook)!r}: response min/max missing")
    return float(lo), float(hi)


def _scoring(codebook: Any) -> Any:
    return _get(codebook, "scoring") or {}


# --------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------

def _check_range(values: pd.DataFrame, scale_min: float, scale_max: float,
                 file: str | None = None) -> None:
    """Raise InputError naming the first value outside [scale_min, scale_max]."""
    # float, so that missing answers compare as False also for nullable Int64 columns
    numeric = values.apply(pd.to_numeric, errors="coerce").astype(float)
    bad_type = numeric.isna() & values.notna()
    bad = bad_type | (numeric < scale_min) | (numeric > scale_max)
    if bad.to_numpy().any():
        rows, cols = np.nonzero(bad.to_numpy())
        r, c = rows[0], cols[0]
        col = values.columns[c]
        # +2: the header is line 1 and rows count from 1, as a user counts them in the CSV
        raise InputError(located(
            f"value {values.iat[r, c]!r} is outside the response range "
            f"[{scale_min:g}, {scale_max:g}] (expected a number in it or empty)",
            file=file, row=int(r) + 2, column=str(col)))


def reverse_key(values: Any, scale_min: float, scale_max: float) -> Any:
    """Reverse-key responses on a scale_min..scale_max scale.

    x' = scale_min + scale_max - x  (so 1..4 becomes 4..1). Missing values stay
    missing. Works on scalars, numpy arrays, Series and DataFrames.

    Examples
    --------
    >>> reverse_key(np.array([1, 2, 4]), 1, 4).tolist()
    [4, 3, 1]
    """
    if not scale_min < scale_max:
        raise InputError(f"scale_min {scale_min!r} must be below scale_max {scale_max!r}")
    return scale_min + scale_max - values


def prorated_score(items: pd.DataFrame, rule: str = "sum", max_missing: int = 0) -> pd.Series:
    """Sum or mean score of *items* per row, prorated over missing answers.

    With k of K items answered and K - k <= max_missing: mean score =
    mean(answered); sum score = mean(answered) * K (person-mean prorating, e.g.
    Schafer & Graham 2002 for its limits). With more missing items, NaN.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, None], "b": [3, None, None]})
    >>> prorated_score(df, "sum", max_missing=1).tolist()
    [4.0, 4.0, nan]
    """
    if rule not in ("sum", "mean"):
        raise InputError(f"scoring rule {rule!r} is not 'sum' or 'mean'")
    if max_missing < 0:
        raise InputError(f"max_missing must be >= 0, got {max_missing!r}")
    try:
        values = items.apply(pd.to_numeric, errors="raise").astype(float)
    except (ValueError, TypeError) as exc:
        raise InputError(f"item answers must be numbers ({exc})") from None
    k_total = values.shape[1]
    if k_total == 0:
        raise InputError("no items to score")
    answered = values.notna().sum(axis=1)
    mean = values.mean(axis=1, skipna=True)
    valid = (k_total - answered <= max_missing) & (answered > 0)
    score = mean * k_total if rule == "sum" else mean
    return score.where(valid)


def formula_score(raw: pd.DataFrame, constant: float, plus: Sequence[str],
                  minus: Sequence[str], max_missing: int = 0) -> pd.Series:
    """Formula score on raw answers: constant + sum(plus items) - sum(minus items).

    The IIS rule (Hurt, Joseph & Cook 1977: 42 + sum of 12 positively worded
    items - sum of 8 negatively worded items, range 14-94). With missing
    answers, each part is prorated on its own (mean of the answered items of
    the part times its length) when no more than *max_missing* of all items
    are missing; otherwise NaN.

    Examples
    --------
    >>> df = pd.DataFrame({"p1": [5, 5], "p2": [3, None], "m1": [1, 2]})
    >>> formula_score(df, 10, ["p1", "p2"], ["m1"], max_missing=1).tolist()
    [17.0, 18.0]
    """
    plus, minus = list(plus), list(minus)
    missing_cols = [c for c in plus + minus if c not in raw.columns]
    if missing_cols:
        raise InputError(f"formula score: column(s) {missing_cols} not in the data")
    values = raw[plus + minus].apply(pd.to_numeric, errors="raise").astype(float)
    n_missing = values.isna().sum(axis=1)
    total = pd.Series(float(constant), index=raw.index)
    for cols, sign in ((plus, 1.0), (minus, -1.0)):
        if cols:
            part = values[cols]
            total = total + sign * part.mean(axis=1, skipna=True) * len(cols)
    return total.where(n_missing <= max_missing)


def pomp(score: Any, lo: float, hi: float) -> Any:
    """Percent of maximum possible: 100 * (score - lo) / (hi - lo).

    Cohen, Cohen, Aiken & West (1999), The problem of units and the
    circumstance for POMP. *lo*/*hi* are the minimum and maximum possible scores.

    Examples
    --------
    >>> pomp(25.0, 10, 40)
    50.0
    """
    if not hi > lo:
        raise InputError(f"POMP range [{lo!r}, {hi!r}] must have hi > lo")
    return 100.0 * (score - lo) / (hi - lo)


def adopter_category(score: pd.Series, categories: Sequence[Any]) -> pd.Series:
    """Label of the category each score falls in: the one with min <= score < next min.

    Categories are the codebook's ``[{label, min, max}, ...]`` (for the IIS,
    Hurt, Joseph & Cook 1977: innovators > 80, early adopters 69-80, early
    majority 57-68, late majority 46-56, laggards < 46). Integer bands leave
    gaps (80 | 81) that prorated scores can fall into, so a score belongs to
    the highest band whose min it reaches (80.5 -> early adopters), as
    ``analysis.codebook.Codebook.category_of``. Missing score -> missing
    label; a score below the lowest min or above the highest max raises.

    Examples
    --------
    >>> cats = [{"label": "low", "min": 0, "max": 4}, {"label": "high", "min": 5, "max": 9}]
    >>> adopter_category(pd.Series([3.0, 4.5, 9.0, None]), cats).tolist()
    ['low', 'low', 'high', nan]
    """
    bands = sorted(((float(_get(c, "min")), float(_get(c, "max")), str(_get(c, "label")))
                    for c in categories))
    if not bands:
        raise InputError("no categories given")
    lowest, highest = bands[0][0], max(b[1] for b in bands)
    out = pd.Series(np.nan, index=score.index, dtype=object)
    for idx, value in score.items():
        if pd.isna(value):
            continue
        if not lowest <= value <= highest:
            raise InputError(f"score {value!r} (row {idx!r}) is outside the categories' "
                             f"range [{lowest:g}, {highest:g}]")
        out[idx] = [lab for lo, _, lab in bands if value >= lo][-1]
    return out


def _subscale_max_missing(max_missing: int, k_sub: int, k_total: int) -> int:
    """Missing items allowed in a subscale: max_missing scaled to its length (floor)."""
    return int(math.floor(max_missing * k_sub / k_total)) if k_total else 0


def scale_item_frame(df: pd.DataFrame, codebook: Any, *, reverse: bool = True,
                     file: str | None = None) -> pd.DataFrame:
    """The codebook's item columns of *df*, range-checked, reverse-keyed when *reverse*.

    Reverse keying is min + max - x for the codebook's ``reverse_keyed`` items.
    """
    items = codebook_items(codebook)
    missing = [c for c in items if c not in df.columns]
    if missing:
        raise InputError(located(f"item column(s) {missing} of scale {_cb_id(codebook)!r} "
                                 "not found", file=file))
    lo, hi = _response_range(codebook)
    values = df[items]
    _check_range(values, lo, hi, file=file)
    values = values.apply(pd.to_numeric).astype(float)
    if reverse:
        rev = codebook_items(codebook, _get(codebook, "reverse_keyed") or [])
        unknown = [c for c in rev if c not in items]
        if unknown:
            raise InputError(f"codebook {_cb_id(codebook)!r}: reverse_keyed {unknown} not in items")
        for c in rev:
            values[c] = reverse_key(values[c], lo, hi)
    return values


def score_scale(df: pd.DataFrame, codebook: Any, *, file: str | None = None) -> pd.DataFrame:
    """Scale (and subscale) scores of one codebook for every row of *df*.

    Rules (``scoring.rule``): ``sum`` / ``mean`` on reverse-keyed items with
    prorating (:func:`prorated_score`); ``formula`` on raw answers
    (:func:`formula_score`). Subscales use the scale's rule with
    max_missing scaled to the subscale's length (floor). Columns: ``<id>``
    and ``<id>_<subscale>``; plus ``<id>_category`` when the codebook has
    categories. ``composite`` codebooks are scored by :func:`score_all`.
    """
    cid = _cb_id(codebook)
    sc = _scoring(codebook)
    rule = _get(sc, "rule", "sum")
    max_missing = int(_get(codebook, "max_missing", 0) or 0)
    out = pd.DataFrame(index=df.index)
    if rule in ("sum", "mean"):
        keyed = scale_item_frame(df, codebook, reverse=True, file=file)
        out[cid] = prorated_score(keyed, rule, max_missing)
    elif rule == "formula":
        raw = scale_item_frame(df, codebook, reverse=False, file=file)
        plus = codebook_items(codebook, _get(sc, "plus") or [])
        minus = codebook_items(codebook, _get(sc, "minus") or [])
        out[cid] = formula_score(raw, float(_get(sc, "constant", 0)), plus, minus, max_missing)
        keyed = scale_item_frame(df, codebook, reverse=True, file=file)
    else:
        raise InputError(f"codebook {cid!r}: scoring rule {rule!r} cannot be scored from items "
                         "(expected sum, mean or formula)")
    subscales = _get(codebook, "subscales") or {}
    k_total = keyed.shape[1]
    sub_rule = rule if rule in ("sum", "mean") else "sum"
    for name, sub_items in subscales.items():
        cols = codebook_items(codebook, sub_items)
        mm = _subscale_max_missing(max_missing, len(cols), k_total)
        out[f"{cid}_{name}"] = prorated_score(keyed[cols], sub_rule, mm)
    categories = _get(codebook, "categories") or []
    if categories:
        out[f"{cid}_category"] = adopter_category(out[cid], categories)
    return out


def _as_codebook_list(codebooks: Any) -> list[Any]:
    if isinstance(codebooks, Mapping) and "id" not in codebooks:
        return list(codebooks.values())
    if isinstance(codebooks, Mapping) or not isinstance(codebooks, Iterable):
        return [codebooks]
    return list(codebooks)


def _score_range(codebook: Any) -> tuple[float, float]:
    """Minimum and maximum possible score (codebook ``scoring.range``, else derived)."""
    rng = _get(_scoring(codebook), "range")
    if rng is not None and len(rng) == 2:
        return float(rng[0]), float(rng[1])
    lo, hi = _response_range(codebook)
    k = len(codebook_items(codebook))
    rule = _get(_scoring(codebook), "rule", "sum")
    return (lo * k, hi * k) if rule == "sum" else (lo, hi)


def score_all(staff_df: pd.DataFrame, codebooks: Any, *, id_column: str = "staff_id",
              file: str | None = None) -> pd.DataFrame:
    """Scores of every codebook for the staff table, then composites (SBW).

    Composite rule (``scoring.rule: composite``): each component's score is
    transformed (``pomp``: 100 * (score - min possible) / (max possible -
    min possible), ranges from the components' ``scoring.range``) and combined
    (``mean``); missing if any component is missing. Columns: *id_column*,
    then per instrument ``<id>``, ``<id>_category``, ``<id>_<subscale>``.
    """
    cbs = _as_codebook_list(codebooks)
    by_id = {_cb_id(cb): cb for cb in cbs}
    out = pd.DataFrame(index=staff_df.index)
    if id_column in staff_df.columns:
        out[id_column] = staff_df[id_column]
    composites = []
    for cb in cbs:
        if _get(_scoring(cb), "rule") == "composite":
            composites.append(cb)
            continue
        scored = score_scale(staff_df, cb, file=file)
        for col in scored.columns:
            out[col] = scored[col]
    for cb in composites:
        cid, sc = _cb_id(cb), _scoring(cb)
        parts = []
        for comp in _get(sc, "components") or []:
            if comp not in by_id or comp not in out.columns:
                raise InputError(f"composite {cid!r}: component {comp!r} has no codebook/score")
            transform = _get(sc, "transform", "pomp")
            if transform == "pomp":
                lo, hi = _score_range(by_id[comp])
                parts.append(pomp(out[comp], lo, hi))
            elif transform in (None, "none"):
                parts.append(out[comp])
            else:
                raise InputError(f"composite {cid!r}: unknown transform {transform!r}")
        if not parts:
            raise InputError(f"composite {cid!r} has no components")
        combine = _get(sc, "combine", "mean")
        stacked = pd.concat(parts, axis=1)
        if combine == "mean":
            out[cid] = stacked.mean(axis=1, skipna=False)
        elif combine == "sum":
            out[cid] = stacked.sum(axis=1, skipna=False)
        else:
            raise InputError(f"composite {cid!r}: unknown combine {combine!r}")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------
# reliability
# --------------------------------------------------------------------------

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


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha of the complete rows of *items* (raw, covariance based).

    alpha = k / (k - 1) * (1 - sum(var_i) / var(total))  (Cronbach 1951);
    computed by pingouin's ``cronbach_alpha`` (listwise deletion).

    Examples
    --------
    >>> round(cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 3, 4]})), 4)
    0.96
    """
    data = _complete(items)
    value, _ = pg.cronbach_alpha(data=data, nan_policy="listwise")
    return float(value)


def feldt_ci(alpha: float, n: int, k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval for Cronbach's alpha.

    [1 - (1 - alpha) F_{1-a/2}(n - 1, (n - 1)(k - 1)), 1 - (1 - alpha) F_{a/2}(...)]
    with a = 1 - confidence (Feldt, Woodruff & Salih 1987; psych's ``alpha.ci``,
    printed by ``psych::alpha`` as the Feldt CI). Unrounded (pingouin rounds).

    Examples
    --------
    >>> [round(v, 6) for v in feldt_ci(0.703756, 2709, 5)]
    [0.685745, 0.721036]
    """
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be in (0, 1), got {confidence!r}")
    if n < 2 or k < 2:
        raise InputError(f"Feldt CI needs n >= 2 and k >= 2, got n={n}, k={k}")
    a = 1 - confidence
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1 - (1 - alpha) * stats.f.isf(a / 2, df1, df2)
    upper = 1 - (1 - alpha) * stats.f.isf(1 - a / 2, df1, df2)
    return float(lower), float(upper)


def _mean_offdiag(r: np.ndarray) -> float:
    k = r.shape[0]
    return float((r.sum() - np.trace(r)) / (k * (k - 1)))


def standardized_alpha(items: pd.DataFrame) -> float:
    """Standardised alpha of the complete rows: k * rbar / (1 + (k - 1) * rbar).

    rbar is the mean inter-item correlation (psych's ``std.alpha``).

    Examples
    --------
    >>> round(standardized_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 3, 4]})), 4)
    0.9602
    """
    data = _complete(items)
    k = data.shape[1]
    rbar = _mean_offdiag(np.corrcoef(data.to_numpy(), rowvar=False))
    return float(k * rbar / (1 + (k - 1) * rbar))


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


def item_analysis(items: pd.DataFrame, scale_min: float | None = None,
                  scale_max: float | None = None) -> pd.DataFrame:
    """Item statistics on the complete rows: mean, SD, r.drop, alpha if deleted, floor, ceiling.

    r_drop: Pearson r of the item with the sum of the other items (corrected
    item-total correlation, psych's ``r.drop``); alpha_if_deleted: raw alpha
    of the other k - 1 items (psych's ``alpha.drop$raw_alpha``); sd with
    n - 1; floor_pct / ceiling_pct: percentage of answers at scale_min /
    scale_max (NaN when the range is not given). Index: item names.
    """
    data = _complete(items)
    total = data.sum(axis=1)
    rows = []
    for col in data.columns:
        rest = total - data[col]
        others = data.drop(columns=[col])
        row = {
            "item": str(col),
            "n": int(len(data)),
            "mean": float(data[col].mean()),
            "sd": float(data[col].std(ddof=1)),
            "r_drop": float(np.corrcoef(data[col], rest)[0, 1]),
            "alpha_if_deleted": (cronbach_alpha(others) if others.shape[1] >= 2
                                 else float("nan")),
            "floor_pct": (float(100 * (data[col] == scale_min).mean())
                          if scale_min is not None else float("nan")),
            "ceiling_pct": (float(100 * (data[col] == scale_max).mean())
                            if scale_max is not None else float("nan")),
        }
        rows.append(row)
    return pd.DataFrame(rows).set_index("item")


@dataclass(frozen=True)
class Reliability:
    """Reliability of one item set (complete rows): alpha, its CI, standardised alpha, omega."""

    scale: str
    n: int
    k: int
    alpha: float
    alpha_ci: tuple[float, float]
    std_alpha: float
    average_r: float
    omega_total: float
    items: pd.DataFrame = field(repr=False)
    confidence: float = 0.95
    reverse: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with the CLI's JSON keys (n, alpha, alpha_ci, std_alpha, omega_total, items)."""
        return {
            "n": self.n,
            "alpha": self.alpha,
            "alpha_ci": [self.alpha_ci[0], self.alpha_ci[1]],
            "std_alpha": self.std_alpha,
            "omega_total": self.omega_total,
            "items": {str(i): {"r_drop": float(r["r_drop"]),
                               "alpha_if_deleted": float(r["alpha_if_deleted"])}
                      for i, r in self.items.iterrows()},
        }

    def summary(self) -> str:
        """Readable text report (values rounded for printing only)."""
        pct = round(100 * self.confidence)
        name = f"Scale {self.scale}: " if self.scale else ""
        lines = [
            f"{name}{self.k} items, n = {self.n} complete rows"
            + (f"; reverse-keyed: {', '.join(self.reverse)}" if self.reverse else ""),
            f"Cronbach's alpha     {self.alpha:.3f}  ({pct}% CI Feldt "
            f"{self.alpha_ci[0]:.3f} to {self.alpha_ci[1]:.3f})",
            f"standardised alpha   {self.std_alpha:.3f}  (mean inter-item r {self.average_r:.3f})",
            ("omega total          n/a    (a one-factor model needs 3 or more items)"
             if math.isnan(self.omega_total) else
             f"omega total          {self.omega_total:.3f}  (one-factor minres)"),
            "",
            f"{'item':<12} {'mean':>6} {'sd':>6} {'r.drop':>7} {'alpha if del':>13}",
        ]
        for item, row in self.items.iterrows():
            lines.append(f"{str(item):<12} {row['mean']:6.2f} {row['sd']:6.2f} "
                         f"{row['r_drop']:7.3f} {row['alpha_if_deleted']:13.3f}")
        return "\n".join(lines)


def reliability(items: pd.DataFrame, *, scale_min: float | None = None,
                scale_max: float | None = None, reverse: Sequence[str] = (),
                name: str = "", confidence: float = 0.95) -> Reliability:
    """Alpha (Feldt CI), standardised alpha, omega total and item analysis of an item set.

    Rows with any missing item are dropped (listwise, as psych with
    ``use = "complete.obs"``). *reverse* items are reverse-keyed first
    (scale_min + scale_max - x; needs the range). See :func:`cronbach_alpha`,
    :func:`feldt_ci`, :func:`standardized_alpha`, :func:`omega_total`,
    :func:`item_analysis` for the formulas.
    """
    data = _numeric_items(items)
    reverse = tuple(str(r) for r in reverse)
    unknown = [r for r in reverse if r not in data.columns]
    if unknown:
        raise InputError(f"reverse-keyed item(s) {unknown} are not among the items "
                         f"{[str(c) for c in data.columns]}")
    if reverse:
        if scale_min is None or scale_max is None:
            raise InputError("reverse keying needs scale_min and scale_max")
        data = data.copy()
        for col in reverse:
            data[col] = reverse_key(data[col], scale_min, scale_max)
    data = _complete(data)
    n, k = data.shape
    alpha = cronbach_alpha(data)
    corr = np.corrcoef(data.to_numpy(), rowvar=False)
    return Reliability(
        scale=name, n=int(n), k=int(k), alpha=alpha,
        alpha_ci=feldt_ci(alpha, n, k, confidence),
        std_alpha=standardized_alpha(data), average_r=_mean_offdiag(corr),
        omega_total=omega_total(data),
        items=item_analysis(data, scale_min, scale_max),
        confidence=confidence, reverse=reverse,
    )


def scale_reliabilities(df: pd.DataFrame, codebooks: Any) -> list[Reliability]:
    """Reliability of every item-based scale and subscale of the codebooks (reverse-keyed items).

    Composite codebooks (SBW) have no items of their own and are skipped.
    Subscales are named ``<id>_<subscale>``.
    """
    out = []
    for cb in _as_codebook_list(codebooks):
        if _get(_scoring(cb), "rule") == "composite" or not codebook_items(cb):
            continue
        cid = _cb_id(cb)
        lo, hi = _response_range(cb)
        keyed = scale_item_frame(df, cb, reverse=True)
        out.append(reliability(keyed, scale_min=lo, scale_max=hi, name=cid))
        for sub, sub_items in (_get(cb, "subscales") or {}).items():
            cols = codebook_items(cb, sub_items)
            if len(cols) >= 2:
                out.append(reliability(keyed[cols], scale_min=lo, scale_max=hi,
                                       name=f"{cid}_{sub}"))
    return out


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------

def descriptives_table(scores: pd.DataFrame, codebooks: Any,
                       reliabilities: Sequence[Reliability] = ()) -> pd.DataFrame:
    """Table 1: per scale n, k, mean, SD, median, min, max, possible range, floor/ceiling %,
    alpha with Feldt 95% CI, standardised alpha and omega total.

    n counts valid (possibly prorated) scores; n_complete the rows with every
    item answered, on which the reliability coefficients are computed.

    Floor / ceiling: percentage of valid scores at the minimum / maximum
    possible score (McHorney & Tarlov 1995 flag > 15%).
    """
    rel = {r.scale: r for r in reliabilities}
    rows = []
    for cb in _as_codebook_list(codebooks):
        cid = _cb_id(cb)
        names = [cid] + [f"{cid}_{s}" for s in (_get(cb, "subscales") or {})]
        for name in names:
            if name not in scores.columns:
                continue
            s = pd.to_numeric(scores[name], errors="coerce").dropna()
            if name == cid:
                lo, hi = _score_range(cb)
                k = len(codebook_items(cb))
            else:
                sub_items = (_get(cb, "subscales") or {})[name[len(cid) + 1:]]
                k = len(sub_items)
                rlo, rhi = _response_range(cb)
                rule = _get(_scoring(cb), "rule", "sum")
                lo, hi = (rlo, rhi) if rule == "mean" else (rlo * k, rhi * k)
            r = rel.get(name)
            rows.append({
                "scale": name, "n": int(s.size), "k": int(k),
                "mean": float(s.mean()), "sd": float(s.std(ddof=1)),
                "median": float(s.median()), "min": float(s.min()), "max": float(s.max()),
                "possible_min": lo, "possible_max": hi,
                "floor_pct": float(100 * (s <= lo).mean()) if s.size else float("nan"),
                "ceiling_pct": float(100 * (s >= hi).mean()) if s.size else float("nan"),
                "n_complete": r.n if r else 0,
                "alpha": r.alpha if r else float("nan"),
                "alpha_ci_low": r.alpha_ci[0] if r else float("nan"),
                "alpha_ci_high": r.alpha_ci[1] if r else float("nan"),
                "std_alpha": r.std_alpha if r else float("nan"),
                "omega_total": r.omega_total if r else float("nan"),
            })
    return pd.DataFrame(rows)


def fisher_ci(r: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval of a correlation: tanh(atanh(r) -/+ z_{1-a/2} / sqrt(n - 3)).

    Fisher (1921) z transformation, as pingouin's ``compute_esci`` (which
    rounds; this does not). NaN bounds when n <= 3.

    Examples
    --------
    >>> [round(v, 4) for v in fisher_ci(0.5, 103)]
    [0.3393, 0.6323]
    """
    if n <= 3 or not np.isfinite(r):
        return float("nan"), float("nan")
    z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    half = stats.norm.ppf((1 + confidence) / 2) / math.sqrt(n - 3)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def interscale_correlations(scores: pd.DataFrame, columns: Sequence[str],
                            method: str = "pearson") -> pd.DataFrame:
    """Pairwise correlations between scale scores with 95% CIs and p values (pingouin).

    Pearson r with a Fisher-z 95% CI (pingouin's ``pairwise_corr``, pairwise
    deletion); columns X, Y, method, n, r, ci_low, ci_high, p_unc. No p-value
    correction: these are descriptive.
    """
    missing = [c for c in columns if c not in scores.columns]
    if missing:
        raise InputError(f"score column(s) {missing} not found")
    if len(columns) < 2:
        raise InputError("need at least two score columns to correlate")
    data = scores[list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    res = pg.pairwise_corr(data, columns=list(columns), method=method)
    # pingouin rounds its CI to 2 decimals; recompute it unrounded (Fisher z).
    lo_hi = [fisher_ci(r, n) for r, n in zip(res["r"].astype(float), res["n"].astype(int))]
    ci = np.array(lo_hi, dtype=float).reshape(-1, 2)
    return pd.DataFrame({
        "X": res["X"].astype(str), "Y": res["Y"].astype(str),
        "method": res["method"].astype(str), "n": res["n"].astype(int),
        "r": res["r"].astype(float), "ci_low": ci[:, 0], "ci_high": ci[:, 1],
        "p_unc": res["p_unc" if "p_unc" in res.columns else "p-unc"].astype(float),
    })


def write_results(results_dir: str | Path, *, table1: pd.DataFrame,
                  items: pd.DataFrame, correlations: pd.DataFrame,
                  cfa_fit: pd.DataFrame | None = None,
                  extra: Mapping[str, Any] | None = None) -> list[Path]:
    """Write the stage's tables as CSV and one JSON with all of them (atomic, deterministic).

    Files in ``results_dir``: table1_descriptives_reliability.csv,
    item_analysis.csv, interscale_correlations.csv, cfa_fit.csv (if given),
    psychometrics.json.
    """
    from analysis.io import write_csv, write_json

    out = Path(results_dir)
    paths = [
        write_csv(table1, out / "table1_descriptives_reliability.csv"),
        write_csv(items, out / "item_analysis.csv"),
        write_csv(correlations, out / "interscale_correlations.csv"),
    ]
    payload: dict[str, Any] = {"table1": table1, "item_analysis": items,
                               "interscale_correlations": correlations}
    if cfa_fit is not None:
        paths.append(write_csv(cfa_fit, out / "cfa_fit.csv"))
        payload["cfa_fit"] = cfa_fit
    if extra:
        payload.update(extra)
    paths.append(write_json(payload, out / "psychometrics.json"))
    return paths


# --------------------------------------------------------------------------
# the stage: everything notebook 02 shows and writes
# --------------------------------------------------------------------------

def item_analysis_table(reliabilities: Sequence[Reliability]) -> pd.DataFrame:
    """Item analysis of every scale in one long table (scale, item, n, mean, sd, r_drop,
    alpha_if_deleted, floor_pct, ceiling_pct); see :func:`item_analysis`."""
    frames = [r.items.reset_index().assign(scale=r.scale) for r in reliabilities]
    if not frames:
        return pd.DataFrame(columns=["scale", "item", "n", "mean", "sd", "r_drop",
                                     "alpha_if_deleted", "floor_pct", "ceiling_pct"])
    table = pd.concat(frames, ignore_index=True)
    return table[["scale"] + [c for c in table.columns if c != "scale"]]


def sbw_definition(codebooks: Any, composite_id: str = "sbw") -> str:
    """Plain-text definition of a composite index (SBW) read from its codebook.

    SBW = mean over components c of POMP(c), POMP(c) = 100 * (score_c - min_c) /
    (max_c - min_c) with min_c, max_c the component's possible score range.
    """
    cbs = {_cb_id(cb): cb for cb in _as_codebook_list(codebooks)}
    if composite_id not in cbs:
        raise InputError(f"no codebook {composite_id!r} among {sorted(cbs)}")
    sc = _scoring(cbs[composite_id])
    comps = list(_get(sc, "components") or [])
    parts = []
    for c in comps:
        lo, hi = _score_range(cbs[c])
        rule = _get(_scoring(cbs[c]), "rule")
        parts.append(f"POMP({c}) = 100 * ({c} - {lo:g}) / ({hi:g} - {lo:g})  "
                     f"[{c}: {rule} score, possible range {lo:g} to {hi:g}]")
    combine = _get(sc, "combine", "mean")
    head = (f"{composite_id.upper()} = {combine} of "
            + ", ".join(f"POMP({c})" for c in comps)
            + " (0 = lowest, 100 = highest possible; missing if any component is missing)")
    return "\n".join([head, *parts])


@dataclass(frozen=True)
class StageResults:
    """Everything stage 02 computes from the staff table."""

    scores: pd.DataFrame
    table1: pd.DataFrame
    items: pd.DataFrame
    cfa_fit: pd.DataFrame
    cfa_loadings: pd.DataFrame
    correlations: pd.DataFrame
    reliabilities: tuple[Reliability, ...] = field(repr=False)
    sbw_definition: str = ""


def analyse_staff(staff: pd.DataFrame, codebooks: Any, *,
                  file: str | None = None) -> StageResults:
    """Scores, Table 1, item analysis, CFA fits and inter-scale correlations of the staff table.

    See :func:`score_all`, :func:`scale_reliabilities`, :func:`descriptives_table`,
    :func:`analysis.cfa.codebook_cfas` and :func:`interscale_correlations`.
    Table 1 carries the codebook's published alpha beside the sample's.
    """
    from analysis import cfa

    cbs = _as_codebook_list(codebooks)
    scores = score_all(staff, cbs, file=file)
    rels = tuple(scale_reliabilities(staff, cbs))
    table1 = descriptives_table(scores, cbs, rels)
    published = {}
    for cb in cbs:
        pub = _get(cb, "published_reliability") or {}
        published[_cb_id(cb)] = _get(pub, "alpha")
    table1["published_alpha"] = [
        float(published[s]) if published.get(s) is not None else float("nan")
        for s in table1["scale"]]
    fits = cfa.codebook_cfas(staff, cbs)
    cfa_fit = cfa.cfa_table(fits)
    loadings = pd.concat(
        [f.loadings.assign(scale=f.name, model=f.model_label) for f in fits],
        ignore_index=True) if fits else pd.DataFrame()
    if not loadings.empty:
        loadings = loadings[["scale", "model", "factor", "item", "estimate", "std_estimate"]]
    main_scales = [c for c in (_cb_id(cb) for cb in cbs) if c in scores.columns]
    correlations = interscale_correlations(scores, main_scales)
    composite = next((_cb_id(cb) for cb in cbs
                      if _get(_scoring(cb), "rule") == "composite"), None)
    return StageResults(
        scores=scores, table1=table1, items=item_analysis_table(rels), cfa_fit=cfa_fit,
        cfa_loadings=loadings, correlations=correlations, reliabilities=rels,
        sbw_definition=sbw_definition(cbs, composite) if composite else "")


def write_stage_outputs(results: StageResults, processed_dir: str | Path,
                        results_dir: str | Path) -> list[Path]:
    """Write scores.csv to *processed_dir* and the stage's tables to *results_dir*/psychometrics.

    Atomic, deterministic writes (``analysis.io``); returns the paths written.
    Values that come from iterative optimisers (CFA estimates and fit
    statistics, minres omega) are written to OPTIMIZER_DECIMALS decimals: the
    optimisers' tolerances make later digits noise, which can differ in the
    last bit between BLAS builds or thread settings and would break
    byte-identical reruns.
    """
    from analysis.cfa import N_CAVEAT
    from analysis.io import write_csv

    def rounded(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
        df = df.copy()
        for col in columns:
            if col in df.columns and df[col].dtype.kind == "f":
                df[col] = df[col].round(OPTIMIZER_DECIMALS)
        return df

    cfa_fit = rounded(results.cfa_fit, [c for c in results.cfa_fit.columns if c != "n"])
    loadings = rounded(results.cfa_loadings, ["estimate", "std_estimate"])
    table1 = rounded(results.table1, ["omega_total"])
    items = rounded(results.items, [])
    out = [write_csv(results.scores, Path(processed_dir) / "scores.csv")]
    rdir = Path(results_dir) / "psychometrics"
    out.append(write_csv(loadings, rdir / "cfa_loadings.csv"))
    out += write_results(rdir, table1=table1, items=items,
                         correlations=results.correlations, cfa_fit=cfa_fit,
                         extra={"sbw_definition": results.sbw_definition,
                                "cfa_caveat": N_CAVEAT,
                                "cfa_loadings": loadings})
    return out


#: Decimals kept when writing results of iterative optimisers (see write_stage_outputs).
OPTIMIZER_DECIMALS = 6


# --------------------------------------------------------------------------- claims for the paper

#: Scales whose reliability the paper reports (Table 1 rows, in this order).
CLAIM_SCALES: tuple[str, ...] = ("rpq", "gse", "iis", "sbw")
#: Table 1 columns the paper prints.
CLAIM_TABLE1_COLUMNS: tuple[str, ...] = ("n", "k", "mean", "sd", "alpha", "alpha_ci_low", "alpha_ci_high",
                                         "omega_total", "published_alpha")
#: Where the paper shows a claim of this stage (typst labels of paper/paper.typ).
_SECTION = "sec-measures"


def claim_values(results: StageResults) -> dict[str, tuple[Any, str | None]]:
    """The results of stage 02 that the paper prints or a replicator checks: name -> (value, label).

    Read from *results* (no computation): per scale of :data:`CLAIM_SCALES`
    in Table 1, ``psychometrics.alpha.<scale>`` (Cronbach's alpha),
    ``.alpha_ci_low/.alpha_ci_high`` (Feldt 95 % CI), ``.omega.<scale>``
    (McDonald's omega total, to OPTIMIZER_DECIMALS as written) and
    ``.n.<scale>``; ``psychometrics.r.<X>.<Y>`` per pair of scales (Pearson
    r); ``psychometrics.table.reliability`` (the printed Table 1) and
    ``psychometrics.n_workers``. The label is the paper's section or table
    where the value appears (None when the paper does not print it).
    NaN values (e.g. alpha of the composite) are left out, except in the table.
    """
    t1 = results.table1.copy()
    if "omega_total" in t1.columns:
        t1["omega_total"] = t1["omega_total"].astype(float).round(OPTIMIZER_DECIMALS)
    t1 = t1.set_index("scale")
    shown = {"alpha.rpq", "alpha_ci_low.rpq", "alpha_ci_high.rpq", "alpha.gse", "alpha.iis"}
    out: dict[str, tuple[Any, str | None]] = {}
    scales = [s for s in CLAIM_SCALES if s in t1.index]
    for s in scales:
        for col, key in (("alpha", "alpha"), ("alpha_ci_low", "alpha_ci_low"), ("alpha_ci_high", "alpha_ci_high"),
                         ("omega_total", "omega")):
            if col in t1.columns and not math.isnan(float(t1.at[s, col])):
                out[f"psychometrics.{key}.{s}"] = (float(t1.at[s, col]),
                                                   _SECTION if f"{key}.{s}" in shown else None)
        out[f"psychometrics.n.{s}"] = (int(t1.at[s, "n"]), None)
    for _, r in results.correlations.iterrows():
        shown_r = (str(r["X"]), str(r["Y"])) in {("gse", "rpq"), ("gse", "iis"), ("iis", "rpq")}
        out[f"psychometrics.r.{r['X']}.{r['Y']}"] = (float(r["r"]), _SECTION if shown_r else None)
    cols = [c for c in CLAIM_TABLE1_COLUMNS if c in t1.columns]
    out["psychometrics.table.reliability"] = (t1.loc[scales, cols], "tab-reliability")
    out["psychometrics.n_workers"] = (int(len(results.scores)), None)
    return dict(sorted(out.items()))


def record_claims(claims: Any, results: StageResults) -> dict[str, Any]:
    """Record :func:`claim_values` with *claims* (an :class:`analysis.claims.ClaimRecorder`); name -> value.

    Numbers with ``claims.number``, DataFrames with ``claims.table``, each with its label.
    """
    return claims.record_values(claim_values(results))
