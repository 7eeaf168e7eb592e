"""The tables of the staff scales: descriptives with reliability (Table 1), item
analysis, inter-scale correlations and the definition of a composite index.

``descriptives_table``, ``item_analysis_table``, ``fisher_ci``,
``interscale_correlations`` (pingouin's ``pairwise_corr``: Pearson r with 95%
CI and p value) and ``sbw_definition``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats

from analysis.errors import InputError
from analysis.psychometrics.reliability import Reliability
from analysis.psychometrics.scoring import (_response_range, _score_range, as_codebook_list, codebook_id,
                                            codebook_items, codebook_scoring, codebook_value)

__all__ = ["descriptives_table", "fisher_ci", "interscale_correlations", "item_analysis_table",
           "sbw_definition"]


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
    for cb in as_codebook_list(codebooks):
        cid = codebook_id(cb)
        names = [cid] + [f"{cid}_{s}" for s in (codebook_value(cb, "subscales") or {})]
        for name in names:
            if name not in scores.columns:
                continue
            s = pd.to_numeric(scores[name], errors="coerce").dropna()
            if name == cid:
                lo, hi = _score_range(cb)
                k = len(codebook_items(cb))
            else:
                sub_items = (codebook_value(cb, "subscales") or {})[name[len(cid) + 1:]]
                k = len(sub_items)
                rlo, rhi = _response_range(cb)
                rule = codebook_value(codebook_scoring(cb), "rule", "sum")
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
    cbs = {codebook_id(cb): cb for cb in as_codebook_list(codebooks)}
    if composite_id not in cbs:
        raise InputError(f"no codebook {composite_id!r} among {sorted(cbs)}")
    sc = codebook_scoring(cbs[composite_id])
    comps = list(codebook_value(sc, "components") or [])
    parts = []
    for c in comps:
        lo, hi = _score_range(cbs[c])
        rule = codebook_value(codebook_scoring(cbs[c]), "rule")
        parts.append(f"POMP({c}) = 100 * ({c} - {lo:g}) / ({hi:g} - {lo:g})  "
                     f"[{c}: {rule} score, possible range {lo:g} to {hi:g}]")
    combine = codebook_value(sc, "combine", "mean")
    head = (f"{composite_id.upper()} = {combine} of "
            + ", ".join(f"POMP({c})" for c in comps)
            + " (0 = lowest, 100 = highest possible; missing if any component is missing)")
    return "\n".join([head, *parts])
