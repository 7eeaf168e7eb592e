"""Reliability and item analysis of an item set (tested against R psych 2.2.9).

``cronbach_alpha`` (pingouin), ``feldt_ci``, ``standardized_alpha``,
``item_analysis`` (means, SDs, corrected item-total r, alpha if deleted,
floor and ceiling) and ``reliability`` which bundles them, with omega total
(:mod:`analysis.psychometrics.factor`), into a :class:`Reliability` result
with a readable ``summary()``; ``scale_reliabilities`` applies it to every
scale and subscale of the codebooks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats

from analysis.errors import InputError
from analysis.psychometrics.factor import _complete, _numeric_items, omega_total
from analysis.psychometrics.scoring import (_response_range, as_codebook_list, codebook_id, codebook_items,
                                            codebook_scoring, codebook_value, reverse_key, scale_item_frame)

__all__ = ["Reliability", "cronbach_alpha", "feldt_ci", "item_analysis", "reliability",
           "scale_reliabilities", "standardized_alpha"]


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
    for cb in as_codebook_list(codebooks):
        if codebook_value(codebook_scoring(cb), "rule") == "composite" or not codebook_items(cb):
            continue
        cid = codebook_id(cb)
        lo, hi = _response_range(cb)
        keyed = scale_item_frame(df, cb, reverse=True)
        out.append(reliability(keyed, scale_min=lo, scale_max=hi, name=cid))
        for sub, sub_items in (codebook_value(cb, "subscales") or {}).items():
            cols = codebook_items(cb, sub_items)
            if len(cols) >= 2:
                out.append(reliability(keyed[cols], scale_min=lo, scale_max=hi,
                                       name=f"{cid}_{sub}"))
    return out
