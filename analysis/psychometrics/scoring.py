"""Scoring of the staff scales from their codebooks.

Everything here is driven by the instrument codebooks (``analysis.codebook``):
reverse keys, response range, scoring rule, subscales, prorating limit and
adopter categories come from the codebook, never from constants in this file.

``reverse_key`` (min + max - x), ``prorated_score`` (sum / mean with
prorating), ``formula_score`` (IIS: constant + plus - minus on raw answers),
``pomp`` and ``adopter_category``; ``score_scale`` applies one codebook and
``score_all`` every codebook to the staff table.

The codebook accessors (``codebook_value``, ``codebook_id``, ``codebook_items``,
``codebook_scoring``, ``as_codebook_list``) accept dicts (tests) and the frozen
dataclasses of ``analysis.codebook``; the other modules of this package and
the stage use them, which is why they live here, at the bottom of the
package's imports (scoring <- factor <- reliability <- tables, scoring <- cfa).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import InputError, located

__all__ = ["as_codebook_list", "codebook_id", "codebook_scoring", "codebook_value", "adopter_category",
           "codebook_items", "formula_score", "pomp", "prorated_score",
           "reverse_key", "scale_item_frame", "score_all", "score_scale"]


# --------------------------------------------------------------------------
# codebook access (dicts in tests, frozen dataclasses from analysis.codebook)
# --------------------------------------------------------------------------


def codebook_value(obj: Any, key: str, default: Any = None) -> Any:
    """Value *key* of a codebook (attribute of a dataclass or key of a mapping)."""
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def codebook_id(codebook: Any) -> str:
    """The codebook's ``id`` (the scale's name, e.g. 'gse'); InputError when it has none."""
    cid = codebook_value(codebook, "id")
    if not cid:
        raise InputError("codebook without an 'id'")
    return str(cid)


def _item_name(codebook_id: str, item: Any) -> str:
    """Column name of one codebook item: 'gse_01' from 'gse_01', 1 or {'id': 'gse_01'}."""
    if isinstance(item, Mapping):
        for key in ("column", "id", "name", "item"):
            value = codebook_value(item, key)
            if value is not None:
                return _item_name(codebook_id, value)
        raise InputError(f"codebook {codebook_id!r}: item {item!r} has no 'id'")
    if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
        return f"{codebook_id}_{int(item):02d}"
    return str(item)


def codebook_items(codebook: Any, which: Iterable[Any] | None = None) -> list[str]:
    """Item column names of a codebook (or of the sub-list *which*), in codebook order."""
    cid = codebook_id(codebook)
    items = codebook_value(codebook, "items") if which is None else which
    return [_item_name(cid, it) for it in (items or [])]


def _response_range(codebook: Any) -> tuple[float, float]:
    """(min, max) answer: ``response_min``/``response_max`` (Codebook) or ``response: {min, max}``."""
    lo, hi = codebook_value(codebook, "response_min"), codebook_value(codebook, "response_max")
    if lo is None or hi is None:
        response = codebook_value(codebook, "response") or {}
        lo, hi = codebook_value(response, "min"), codebook_value(response, "max")
    if lo is None or hi is None:
        raise InputError(f"codebook {codebook_id(codebook)!r}: response min/max missing")
    return float(lo), float(hi)


def codebook_scoring(codebook: Any) -> Any:
    """The codebook's ``scoring`` block ({} when absent)."""
    return codebook_value(codebook, "scoring") or {}


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
    bands = sorted(((float(codebook_value(c, "min")), float(codebook_value(c, "max")),
                     str(codebook_value(c, "label"))) for c in categories))
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
        raise InputError(located(f"item column(s) {missing} of scale {codebook_id(codebook)!r} "
                                 "not found", file=file))
    lo, hi = _response_range(codebook)
    values = df[items]
    _check_range(values, lo, hi, file=file)
    values = values.apply(pd.to_numeric).astype(float)
    if reverse:
        rev = codebook_items(codebook, codebook_value(codebook, "reverse_keyed") or [])
        unknown = [c for c in rev if c not in items]
        if unknown:
            raise InputError(f"codebook {codebook_id(codebook)!r}: reverse_keyed {unknown} not in items")
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
    cid = codebook_id(codebook)
    sc = codebook_scoring(codebook)
    rule = codebook_value(sc, "rule", "sum")
    max_missing = int(codebook_value(codebook, "max_missing", 0) or 0)
    out = pd.DataFrame(index=df.index)
    if rule in ("sum", "mean"):
        keyed = scale_item_frame(df, codebook, reverse=True, file=file)
        out[cid] = prorated_score(keyed, rule, max_missing)
    elif rule == "formula":
        raw = scale_item_frame(df, codebook, reverse=False, file=file)
        plus = codebook_items(codebook, codebook_value(sc, "plus") or [])
        minus = codebook_items(codebook, codebook_value(sc, "minus") or [])
        out[cid] = formula_score(raw, float(codebook_value(sc, "constant", 0)), plus, minus, max_missing)
        keyed = scale_item_frame(df, codebook, reverse=True, file=file)
    else:
        raise InputError(f"codebook {cid!r}: scoring rule {rule!r} cannot be scored from items "
                         "(expected sum, mean or formula)")
    subscales = codebook_value(codebook, "subscales") or {}
    k_total = keyed.shape[1]
    sub_rule = rule if rule in ("sum", "mean") else "sum"
    for name, sub_items in subscales.items():
        cols = codebook_items(codebook, sub_items)
        mm = _subscale_max_missing(max_missing, len(cols), k_total)
        out[f"{cid}_{name}"] = prorated_score(keyed[cols], sub_rule, mm)
    categories = codebook_value(codebook, "categories") or []
    if categories:
        out[f"{cid}_category"] = adopter_category(out[cid], categories)
    return out


def as_codebook_list(codebooks: Any) -> list[Any]:
    """The codebooks as a list: from a mapping id -> codebook, a sequence or a single codebook."""
    if isinstance(codebooks, Mapping) and "id" not in codebooks:
        return list(codebooks.values())
    if isinstance(codebooks, Mapping) or not isinstance(codebooks, Iterable):
        return [codebooks]
    return list(codebooks)


def _score_range(codebook: Any) -> tuple[float, float]:
    """Minimum and maximum possible score (codebook ``scoring.range``, else derived)."""
    rng = codebook_value(codebook_scoring(codebook), "range")
    if rng is not None and len(rng) == 2:
        return float(rng[0]), float(rng[1])
    lo, hi = _response_range(codebook)
    k = len(codebook_items(codebook))
    rule = codebook_value(codebook_scoring(codebook), "rule", "sum")
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
    cbs = as_codebook_list(codebooks)
    by_id = {codebook_id(cb): cb for cb in cbs}
    out = pd.DataFrame(index=staff_df.index)
    if id_column in staff_df.columns:
        out[id_column] = staff_df[id_column]
    composites = []
    for cb in cbs:
        if codebook_value(codebook_scoring(cb), "rule") == "composite":
            composites.append(cb)
            continue
        scored = score_scale(staff_df, cb, file=file)
        for col in scored.columns:
            out[col] = scored[col]
    for cb in composites:
        cid, sc = codebook_id(cb), codebook_scoring(cb)
        parts = []
        for comp in codebook_value(sc, "components") or []:
            if comp not in by_id or comp not in out.columns:
                raise InputError(f"composite {cid!r}: component {comp!r} has no codebook/score")
            transform = codebook_value(sc, "transform", "pomp")
            if transform == "pomp":
                lo, hi = _score_range(by_id[comp])
                parts.append(pomp(out[comp], lo, hi))
            elif transform in (None, "none"):
                parts.append(out[comp])
            else:
                raise InputError(f"composite {cid!r}: unknown transform {transform!r}")
        if not parts:
            raise InputError(f"composite {cid!r} has no components")
        combine = codebook_value(sc, "combine", "mean")
        stacked = pd.concat(parts, axis=1)
        if combine == "mean":
            out[cid] = stacked.mean(axis=1, skipna=False)
        elif combine == "sum":
            out[cid] = stacked.sum(axis=1, skipna=False)
        else:
            raise InputError(f"composite {cid!r}: unknown combine {combine!r}")
    return out.reset_index(drop=True)
