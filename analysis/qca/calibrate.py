"""Calibration: raw values -> set memberships (crisp or fuzzy).

Direct method with three anchors through the logistic transform (Ragin 2008,
*Redesigning Social Inquiry*, ch. 5), its linear and six-anchor variants
(triangular, trapezoidal, bell, inverse bell), the empirical-CDF variant, the
indirect method (Ragin 2008) and the totally fuzzy and relative method (TFR,
Cheli & Lemmi 1995), crisp thresholds, anchors taken from data percentiles, and
two reports a calibration needs: cases at exactly 0.5 and skewed sets.

The semantics follow R's QCA package (Dusa), function ``calibrate``, version
3.25, checked against its outputs (``tests/data/qca/reference/calibrate_*``):

* fuzzy memberships below 0.0001 become 0 and above 0.9999 become 1;
* crisp calibration puts a value equal to a threshold in the upper set, and a
  threshold outside the data's range is an error;
* the indirect method puts a value equal to a threshold in the lower group.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import expit

from analysis.errors import InputError

__all__ = [
    "ROUND_LOW", "ROUND_HIGH",
    "parse_thresholds", "calibrate", "calibrate_logistic", "calibrate_linear",
    "calibrate_crisp", "calibrate_ecdf", "calibrate_indirect", "calibrate_tfr",
    "anchors_from_percentiles", "crossover_cases", "skewness_check", "calibrate_table",
    "CROSSOVER_NUDGE", "calibrate_frame",
]

#: Fuzzy memberships below this become 0 (R QCA's ``calibrate``).
ROUND_LOW = 1e-4
#: Fuzzy memberships above this become 1 (R QCA's ``calibrate``).
ROUND_HIGH = 1 - 1e-4

_THREE = ("e", "c", "i")
_SIX_BELL = ("e1", "c1", "i1", "i2", "c2", "e2")
_SIX_INVERSE = ("i1", "c1", "e1", "e2", "c2", "i2")


# --------------------------------------------------------------------------- helpers

def _values(x: Any, name: str) -> np.ndarray:
    """*x* as a 1-D float array; InputError for non-numeric, missing or infinite values.

    A pandas Series' own name is used in messages when *name* is left at "x".
    """
    if name == "x" and isinstance(getattr(x, "name", None), str):
        name = x.name
    raw = getattr(x, "to_numpy", None)
    values = np.asarray(raw() if callable(raw) else x, dtype=object).reshape(-1)
    out = np.empty(values.shape[0], dtype=float)
    for i, v in enumerate(values, start=1):
        if isinstance(v, (bool, np.bool_)):
            out[i - 1] = float(v)
            continue
        try:
            out[i - 1] = float(v)
        except (TypeError, ValueError):
            raise InputError(f"{name}: value {v!r} at position {i} is not numeric "
                             "(calibration needs numbers)") from None
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        i = int(bad[0])
        what = "missing value (NaN)" if np.isnan(out[i]) else f"infinite value {out[i]}"
        raise InputError(f"{name}: {what} at position {i + 1} (calibration needs finite numbers)")
    if out.size == 0:
        raise InputError(f"{name}: no values to calibrate")
    return out


def _number(v: Any, what: str) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"threshold {what}: {v!r} is not a number") from None
    if not math.isfinite(f):
        raise InputError(f"threshold {what}: {v!r} is not a finite number")
    return f


def _round_ends(m: np.ndarray) -> np.ndarray:
    """Memberships below ROUND_LOW -> 0, above ROUND_HIGH -> 1 (as R QCA does)."""
    return np.where(m < ROUND_LOW, 0.0, np.where(m > ROUND_HIGH, 1.0, m))


def parse_thresholds(spec: Any) -> dict[str, float] | list[float]:
    """Thresholds in R QCA's notations: named anchors -> dict, plain values -> list.

    Accepts a string (``"e=165, c=175, i=185"`` or ``"1000, 4000"``), a mapping
    (``{"e": 165, "c": 175, "i": 185}``), a sequence of numbers or one number.
    Names are ``e, c, i`` (three anchors) or ``e1, c1, i1, i2, c2, e2`` (six
    anchors); a string mixes no named and unnamed values.

    Examples
    --------
    >>> parse_thresholds("e=165, c=175, i=185")
    {'e': 165.0, 'c': 175.0, 'i': 185.0}
    >>> parse_thresholds("1000, 4000")
    [1000.0, 4000.0]
    >>> parse_thresholds(175)
    [175.0]
    """
    if spec is None:
        raise InputError("thresholds: none given (expected e.g. 'e=165, c=175, i=185' or numbers)")
    if isinstance(spec, str):
        parts = [p.strip() for p in spec.split(",")]
        if any(p == "" for p in parts):
            raise InputError(f"thresholds {spec!r}: empty entry (expected comma-separated values)")
        named = [("=" in p) for p in parts]
        if all(named):
            out: dict[str, float] = {}
            for p in parts:
                key, _, val = p.partition("=")
                key = key.strip()
                if not re.fullmatch(r"[eci][12]?", key):
                    raise InputError(f"thresholds {spec!r}: unknown anchor name {key!r} "
                                     "(expected e, c, i or e1, c1, i1, i2, c2, e2)")
                if key in out:
                    raise InputError(f"thresholds {spec!r}: anchor {key!r} given twice")
                out[key] = _number(val.strip(), key)
            return out
        if any(named):
            raise InputError(f"thresholds {spec!r}: mixes named and unnamed values")
        return [_number(p, repr(p)) for p in parts]
    if isinstance(spec, Mapping):
        out = {}
        for key, val in spec.items():
            if not (isinstance(key, str) and re.fullmatch(r"[eci][12]?", key)):
                raise InputError(f"thresholds: unknown anchor name {key!r} "
                                 "(expected e, c, i or e1, c1, i1, i2, c2, e2)")
            out[key] = _number(val, key)
        return out
    if isinstance(spec, (int, float, np.integer, np.floating)) and not isinstance(spec, bool):
        return [_number(spec, "value")]
    if isinstance(spec, Sequence) or isinstance(spec, np.ndarray):
        return [_number(v, f"#{k}") for k, v in enumerate(list(spec), start=1)]
    raise InputError(f"thresholds: cannot read {spec!r} (expected a string, mapping or numbers)")


def _three_anchors(th: dict[str, float] | list[float]) -> tuple[float, float, float]:
    """(e, c, i) from named or positional thresholds, checked to be strictly monotone."""
    if isinstance(th, dict):
        if set(th) != set(_THREE):
            raise InputError(f"thresholds {th}: expected the three anchors e, c, i")
        e, c, i = th["e"], th["c"], th["i"]
    else:
        if len(th) != 3:
            raise InputError(f"thresholds {th}: expected three values (e, c, i), got {len(th)}")
        e, c, i = th
    if not (e < c < i or i < c < e):
        raise InputError(f"thresholds e={e:g}, c={c:g}, i={i:g} are out of order: expected "
                         "e < c < i (increasing) or i < c < e (decreasing)")
    return e, c, i


def _six_anchors(th: dict[str, float] | list[float]) -> tuple[tuple[float, ...], bool]:
    """(six anchors in ascending order, inverse?) for bell/triangular/trapezoidal shapes."""
    if isinstance(th, dict):
        if set(th) != set(_SIX_BELL):
            raise InputError(f"thresholds {th}: expected the six anchors e1, c1, i1, i2, c2, e2")
        vals = {k: th[k] for k in _SIX_BELL}
        if vals["e1"] < vals["i1"]:
            order, inverse = _SIX_BELL, False
        else:
            order, inverse = _SIX_INVERSE, True
        a = tuple(vals[k] for k in order)
    else:
        if len(th) != 6:
            raise InputError(f"thresholds {th}: expected six values, got {len(th)}")
        a, inverse = tuple(th), False
    names = _SIX_INVERSE if inverse else _SIX_BELL
    ok = a[0] < a[1] < a[2] <= a[3] < a[4] < a[5]
    if not ok:
        shown = ", ".join(f"{n}={v:g}" for n, v in zip(names, a))
        raise InputError(f"thresholds {shown} are out of order: expected them strictly "
                         "increasing in that order (the two middle ones may be equal)")
    return a, inverse


# --------------------------------------------------------------------------- fuzzy direct

def calibrate_logistic(x: Any, e: float, c: float, i: float, *, idm: float = 0.95,
                       name: str = "x") -> np.ndarray:
    """Direct-method fuzzy calibration through the logistic transform.

    With k = ln(idm / (1 - idm)), the log odds of membership are
    k (x - c) / (i - c) above the crossover and k (x - c) / (c - e) below it
    (for a decreasing set, i < c < e, the same with the sign of x - c flipped);
    membership = 1 / (1 + exp(-log odds)), then values below 1e-4 -> 0 and above
    0.9999 -> 1 (Ragin 2008, ch. 5; R QCA's ``calibrate``).

    Examples
    --------
    >>> calibrate_logistic([165, 175, 185, 250], 165, 175, 185).round(4).tolist()
    [0.05, 0.5, 0.95, 1.0]
    >>> calibrate_logistic([165, 175, 185], 185, 175, 165).round(4).tolist()
    [0.95, 0.5, 0.05]
    """
    v = _values(x, name)
    e, c, i = _three_anchors([float(e), float(c), float(i)])
    if not (0.5 < idm < 1):
        raise InputError(f"idm = {idm!r}: expected a number strictly between 0.5 and 1")
    k = math.log(idm / (1 - idm))
    d = v - c
    if e < i:
        odds = np.where(d >= 0, d / (i - c), d / (c - e))
    else:
        odds = np.where(d <= 0, -d / (c - i), -d / (e - c))
    return _round_ends(expit(k * odds))


def _linear_up(v: np.ndarray, e: float, c: float, i: float, below: float, above: float) -> np.ndarray:
    """Increasing linear (power) membership: 0 at e, 0.5 at c, 1 at i."""
    lo = np.clip((v - e) / (c - e), 0.0, 1.0) ** below / 2
    hi = 1 - np.clip((i - v) / (i - c), 0.0, 1.0) ** above / 2
    return np.where(v < c, lo, hi)


def calibrate_linear(x: Any, thresholds: Any, *, below: float = 1.0, above: float = 1.0,
                     name: str = "x") -> np.ndarray:
    """Direct-method calibration with piecewise power (linear by default) segments.

    Three anchors e < c < i: 0 for x <= e, ((x - e)/(c - e))^below / 2 up to c,
    1 - ((i - x)/(i - c))^above / 2 up to i, 1 beyond (decreasing sets mirrored).
    Six anchors e1 < c1 < i1 <= i2 < c2 < e2: that rise then its mirror fall
    (triangular when i1 = i2, trapezoidal otherwise; ``below = above > 1`` gives
    a bell); named in the inverse order (i1, c1, e1, e2, c2, i2) the complement
    (inverse bell). Values below 1e-4 -> 0 and above 0.9999 -> 1 (R QCA's
    ``calibrate(..., logistic = FALSE)`` and its six-threshold forms).

    *below* shapes the part with membership below 0.5 and *above* the part
    above it, for increasing and decreasing sets alike (R's references only
    use below = above for decreasing shapes, so this reading is an assumption).

    Examples
    --------
    >>> calibrate_linear([160, 170, 175, 180, 190], "e=165, c=175, i=185").tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> calibrate_linear([150, 160, 170, 180, 190], [150, 160, 170, 170, 180, 190]).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    v = _values(x, name)
    for label, p in (("below", below), ("above", above)):
        if not (isinstance(p, (int, float)) and math.isfinite(p) and p > 0):
            raise InputError(f"{label} = {p!r}: expected a positive number")
    th = parse_thresholds(thresholds)
    n = len(th)
    if n == 3:
        e, c, i = _three_anchors(th)
        if e < i:
            m = _linear_up(v, e, c, i, below, above)
        else:
            m = _linear_up(-v, -e, -c, -i, below, above)
    elif n == 6:
        a, inverse = _six_anchors(th)
        up = _linear_up(v, a[0], a[1], a[2], below, above)
        down = _linear_up(-v, -a[5], -a[4], -a[3], below, above)
        m = np.where(v <= a[2], up, np.where(v >= a[3], down, 1.0))
        if inverse:
            m = 1.0 - m
    else:
        raise InputError(f"thresholds {thresholds!r}: expected 3 or 6 anchors, got {n}")
    return _round_ends(m)


def calibrate_ecdf(x: Any, thresholds: Any, *, name: str = "x") -> np.ndarray:
    """Direct-method calibration through the empirical distribution between the anchors.

    For e < c < i: 0 at or below e; 0.5 F_lo(x) between e and c, where F_lo is
    the ECDF of the data in (e, c]; 0.5 + 0.5 F_hi(x) between c and i, F_hi the
    ECDF of the data in (c, i); 1 at or above i (decreasing sets mirrored).
    Reproduces R QCA's ``calibrate(..., logistic = FALSE, ecdf = TRUE)``.

    Examples
    --------
    >>> calibrate_ecdf([1, 2, 3, 4, 5, 6, 7], "e=1, c=4, i=7").round(3).tolist()
    [0.0, 0.167, 0.333, 0.5, 0.75, 1.0, 1.0]
    """
    v = _values(x, name)
    e, c, i = _three_anchors(parse_thresholds(thresholds))
    sign = 1.0 if e < i else -1.0
    w, e, c, i = sign * v, sign * e, sign * c, sign * i
    lo = np.sort(w[(w > e) & (w <= c)])
    hi = np.sort(w[(w > c) & (w < i)])
    f_lo = np.searchsorted(lo, w, side="right") / lo.size if lo.size else np.ones_like(w)
    f_hi = np.searchsorted(hi, w, side="right") / hi.size if hi.size else np.ones_like(w)
    m = np.where(w <= e, 0.0,
                 np.where(w <= c, 0.5 * f_lo, np.where(w < i, 0.5 + 0.5 * f_hi, 1.0)))
    m = np.where(w == c, 0.5, m)
    return _round_ends(m)


# --------------------------------------------------------------------------- crisp

def calibrate_crisp(x: Any, thresholds: Any, *, name: str = "x") -> np.ndarray:
    """Crisp (binary or multi-value) calibration: the number of thresholds each value reaches.

    membership = #{t in thresholds : x >= t}, so one threshold gives 0/1 and k
    thresholds give the values 0..k; a value equal to a threshold goes to the
    upper set (R QCA's ``calibrate(type = "crisp")``).

    Raises
    ------
    InputError
        when thresholds are not strictly increasing or one lies outside the
        range of the data (it would leave a set empty), as R QCA does.

    Examples
    --------
    >>> calibrate_crisp([160, 175, 190], 175).tolist()
    [0, 1, 1]
    >>> calibrate_crisp([160, 170, 175, 190], [170, 180]).tolist()
    [0, 1, 1, 2]
    """
    v = _values(x, name)
    th = parse_thresholds(thresholds)
    if isinstance(th, dict):
        raise InputError(f"thresholds {thresholds!r}: crisp calibration takes plain values, not "
                         "named anchors")
    if not th:
        raise InputError("thresholds: none given for crisp calibration")
    t = np.asarray(th, dtype=float)
    if np.any(np.diff(t) <= 0):
        raise InputError(f"thresholds {th}: expected strictly increasing values")
    lo, hi = float(v.min()), float(v.max())
    outside = [f"{u:g}" for u in t if u < lo or u > hi]
    if outside:
        raise InputError(f"{name}: threshold(s) {', '.join(outside)} outside the range of the "
                         f"data [{lo:g}, {hi:g}]")
    return np.searchsorted(t, v, side="right").astype(int)


# --------------------------------------------------------------------------- indirect, TFR

def calibrate_indirect(x: Any, thresholds: Any, *, name: str = "x") -> np.ndarray:
    """Indirect-method fuzzy calibration (Ragin 2008, ch. 5).

    The k thresholds cut the data into k + 1 groups (a value equal to a
    threshold stays in the lower group) with target memberships 0, 1/k, ..., 1;
    a fractional logit model (binomial GLM, the same estimates as R's
    quasibinomial) of the targets on log(x), sqrt(x), x and x^2 gives the
    memberships, then values below 1e-4 -> 0 and above 0.9999 -> 1
    (R QCA's ``calibrate(method = "indirect")``). Needs x > 0.

    Examples
    --------
    Ragin's (2008) per-capita income example (R QCA's help page):

    >>> income = [40110, 34400, 25200, 24920, 20060, 17090, 15320, 13680, 11720, 11290,
    ...           10940, 9800, 7470, 4670, 4100, 4070, 3740, 3690, 3590, 2980, 1000, 650, 450, 110]
    >>> calibrate_indirect(income, "1000, 4000, 5000, 10000, 20000")[[0, 4, 12, 19, 23]].round(3).tolist()
    [1.0, 0.963, 0.649, 0.142, 0.0]
    """
    import statsmodels.api as sm

    v = _values(x, name)
    th = parse_thresholds(thresholds)
    if isinstance(th, dict) or not th:
        raise InputError(f"thresholds {thresholds!r}: the indirect method takes plain values")
    t = np.asarray(th, dtype=float)
    if np.any(np.diff(t) <= 0):
        raise InputError(f"thresholds {th}: expected strictly increasing values")
    if np.any(v <= 0):
        i = int(np.flatnonzero(v <= 0)[0])
        raise InputError(f"{name}: value {v[i]:g} at position {i + 1} is not positive "
                         "(the indirect method uses log(x))")
    target = np.searchsorted(t, v, side="left") / t.size
    cols = [np.log(v), np.sqrt(v), v, v ** 2]
    # Column scaling does not change the maximum-likelihood fit, only its conditioning.
    design = np.column_stack([np.ones_like(v)] + [(u - u.mean()) / (u.std() or 1.0) for u in cols])
    model = sm.GLM(target, design, family=sm.families.Binomial())
    fit = model.fit(tol=1e-12, maxiter=200)
    return _round_ends(np.asarray(fit.predict(design), dtype=float))


def calibrate_tfr(x: Any, *, name: str = "x") -> np.ndarray:
    """Totally fuzzy and relative calibration (Cheli & Lemmi 1995).

    membership = (F(x) - F(min x)) / (1 - F(min x)), F the empirical CDF of x
    (R QCA's ``calibrate(method = "TFR")``; meant for ordinal/Likert data).

    Examples
    --------
    >>> calibrate_tfr([1, 1, 2, 3]).round(3).tolist()
    [0.0, 0.0, 0.5, 1.0]
    """
    v = _values(x, name)
    s = np.sort(v)
    f = np.searchsorted(s, v, side="right") / v.size
    f0 = np.searchsorted(s, s[0], side="right") / v.size
    if f0 == 1:
        raise InputError(f"{name}: all values are equal; TFR calibration needs variation")
    return (f - f0) / (1 - f0)


# --------------------------------------------------------------------------- front door

def calibrate(x: Any, thresholds: Any = None, *,
              type: Literal["fuzzy", "crisp"] = "fuzzy",  # noqa: A002 (R's argument name)
              method: Literal["direct", "indirect", "TFR"] = "direct",
              logistic: bool = True, idm: float = 0.95, ecdf: bool = False,
              below: float = 1.0, above: float = 1.0,
              percentiles: Sequence[float] | None = None,
              name: str = "x") -> np.ndarray:
    """Calibrate raw values into set memberships, with R QCA's ``calibrate`` arguments.

    * ``type="crisp"``: :func:`calibrate_crisp` (one or more thresholds).
    * ``method="direct"`` with three anchors (``"e=, c=, i="``, a mapping or a
      sequence read as e, c, i; decreasing when e > i): :func:`calibrate_logistic`
      (Ragin 2008), or with ``logistic=False`` :func:`calibrate_linear`, or with
      ``ecdf=True`` :func:`calibrate_ecdf`. Six anchors always use
      :func:`calibrate_linear` (triangular, trapezoidal, bell, inverse bell).
    * ``method="indirect"``: :func:`calibrate_indirect`; ``method="TFR"``:
      :func:`calibrate_tfr`.
    * ``percentiles=(5, 50, 95)`` instead of thresholds takes the three anchors
      from the data (:func:`anchors_from_percentiles`); give them in decreasing
      order, e.g. ``(95, 50, 5)``, for a decreasing set.

    Examples
    --------
    >>> calibrate([165, 175, 185], "e=165, c=175, i=185").round(3).tolist()
    [0.05, 0.5, 0.95]
    >>> calibrate([160, 175, 190], 175, type="crisp").tolist()
    [0, 1, 1]
    """
    if type not in ("fuzzy", "crisp"):
        raise InputError(f"type = {type!r}: expected 'fuzzy' or 'crisp'")
    if method not in ("direct", "indirect", "TFR"):
        raise InputError(f"method = {method!r}: expected 'direct', 'indirect' or 'TFR'")
    if percentiles is not None:
        if thresholds is not None:
            raise InputError("give either thresholds or percentiles, not both")
        thresholds = anchors_from_percentiles(x, percentiles, name=name)
    if type == "crisp":
        return calibrate_crisp(x, thresholds, name=name)
    if method == "TFR":
        return calibrate_tfr(x, name=name)
    if method == "indirect":
        return calibrate_indirect(x, thresholds, name=name)
    th = parse_thresholds(thresholds)
    if len(th) == 6:
        return calibrate_linear(x, th, below=below, above=above, name=name)
    if len(th) != 3:
        raise InputError(f"thresholds {thresholds!r}: fuzzy direct calibration needs 3 anchors "
                         f"(e, c, i) or 6 (e1, c1, i1, i2, c2, e2), got {len(th)}")
    if not logistic:
        if ecdf:
            return calibrate_ecdf(x, th, name=name)
        return calibrate_linear(x, th, below=below, above=above, name=name)
    e, c, i = _three_anchors(th)
    return calibrate_logistic(x, e, c, i, idm=idm, name=name)


# --------------------------------------------------------------------------- anchors and reports

def anchors_from_percentiles(x: Any, percentiles: Sequence[float] = (5, 50, 95), *,
                             name: str = "x") -> dict[str, float]:
    """Anchors e, c, i taken from the data's percentiles (in that order).

    Uses numpy's default (linear) percentile, the same as R's ``quantile``
    type 7. Percentiles given in decreasing order, e.g. (95, 50, 5), give the
    anchors of a decreasing set. The anchors must come out strictly monotone.

    Examples
    --------
    >>> anchors_from_percentiles(np.arange(101), (5, 50, 95))
    {'e': 5.0, 'c': 50.0, 'i': 95.0}
    """
    v = _values(x, name)
    p = [float(_number(q, "percentile")) for q in percentiles]
    if len(p) != 3 or any(not (0 <= q <= 100) for q in p):
        raise InputError(f"percentiles {tuple(percentiles)}: expected three numbers in [0, 100]")
    vals = np.percentile(v, p)
    anchors = {"e": float(vals[0]), "c": float(vals[1]), "i": float(vals[2])}
    e, c, i = anchors["e"], anchors["c"], anchors["i"]
    if not (e < c < i or i < c < e):
        raise InputError(f"{name}: percentiles {tuple(percentiles)} give anchors e={e:g}, c={c:g}, "
                         f"i={i:g}, which are not strictly ordered (too many equal values?)")
    return anchors


def crossover_cases(memberships: pd.DataFrame | Mapping[str, Any], *,
                    cases: Sequence[Any] | None = None) -> pd.DataFrame:
    """List the cases whose membership in a set is exactly 0.5.

    Such a case belongs to no truth-table row: it is neither more in nor more
    out of the set (R QCA warns and leaves it out of every row's n, while it
    still counts in the inclusion and coverage sums).

    Returns a DataFrame with columns ``case`` and ``set``, one line per case
    and set, in data order (empty when there are none).

    Examples
    --------
    >>> crossover_cases(pd.DataFrame({"A": [0.5, 0.7], "B": [0.2, 0.5]}, index=["x", "y"]))
      case set
    0    x   A
    1    y   B
    """
    df = pd.DataFrame(memberships)
    labels = list(df.index) if cases is None else list(cases)
    if len(labels) != len(df):
        raise InputError(f"cases: {len(labels)} names for {len(df)} rows")
    rows = []
    for pos, label in enumerate(labels):
        for col in df.columns:
            v = df.iloc[pos][col]
            if isinstance(v, (int, float, np.integer, np.floating)) and v == 0.5:
                rows.append((label, col))
    return pd.DataFrame(rows, columns=["case", "set"])


def skewness_check(memberships: pd.DataFrame | Mapping[str, Any], *, low: float = 0.2,
                   high: float = 0.8) -> pd.DataFrame:
    """Share of cases more in than out (> 0.5) of each set, flagged outside [low, high].

    A set with very few or very many members makes necessity and sufficiency
    tests trivial (Schneider & Wagemann 2012, sect. 9.2 on skewed sets).

    Returns a DataFrame indexed by set with ``n``, ``above`` (cases > 0.5),
    ``at_crossover`` (cases = 0.5), ``share_above`` (above / n) and ``skewed``.

    Examples
    --------
    >>> skewness_check({"A": [0.9, 0.1, 0.6, 0.2], "B": [0.9, 0.8, 0.7, 0.6]})
       n  above  at_crossover  share_above  skewed
    A  4      2             0          0.5   False
    B  4      4             0          1.0    True
    """
    if not (0 <= low <= high <= 1):
        raise InputError(f"low = {low!r}, high = {high!r}: expected 0 <= low <= high <= 1")
    df = pd.DataFrame(memberships)
    out = []
    for col in df.columns:
        v = _values(df[col], str(col))
        if np.any((v < 0) | (v > 1)):
            raise InputError(f"{col}: memberships must lie in [0, 1]")
        share = float((v > 0.5).mean())
        out.append((col, int(v.size), int((v > 0.5).sum()), int((v == 0.5).sum()), share,
                    bool(share < low or share > high)))
    res = pd.DataFrame(out, columns=["set", "n", "above", "at_crossover", "share_above", "skewed"])
    return res.set_index("set").rename_axis(None)


def calibrate_table(raw: pd.DataFrame, specs: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Calibrate several columns at once: one output set per entry of *specs*.

    Each spec holds :func:`calibrate`'s keyword arguments, plus ``column`` (the
    raw column, default the set's own name). The result keeps *raw*'s index and
    the order of *specs*.

    Examples
    --------
    >>> raw = pd.DataFrame({"height": [160, 175, 190]}, index=["a", "b", "c"])
    >>> calibrate_table(raw, {"TALL": {"column": "height", "thresholds": "e=165, c=175, i=185"},
    ...                       "TALLC": {"column": "height", "thresholds": 175, "type": "crisp"}}).round(3)
        TALL  TALLC
    a  0.012      0
    b  0.500      1
    c  0.988      1
    """
    if not isinstance(raw, pd.DataFrame):
        raise InputError("raw: expected a pandas DataFrame")
    out = {}
    for set_name, spec in specs.items():
        kwargs = dict(spec)
        column = kwargs.pop("column", set_name)
        if column not in raw.columns:
            raise InputError(f"set {set_name!r}: column {column!r} is not in the data; columns: "
                             + ", ".join(map(str, raw.columns)))
        kwargs.setdefault("name", str(column))
        out[set_name] = calibrate(raw[column], **kwargs)
    return pd.DataFrame(out, index=raw.index)


# --------------------------------------------------------------------------- a frame, direct method

#: Memberships at exactly 0.5 are raised by this much (Fiss 2011 added 0.001).
CROSSOVER_NUDGE = 0.001


def _check_anchors(anchors: Mapping[str, Sequence[float]],
                   columns: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    out = {}
    for name, a in anchors.items():
        if name not in columns:
            raise InputError(f"anchors: set {name!r} is not a column of the raw data; columns: "
                             + ", ".join(map(str, columns)))
        try:
            e, c, i = (float(v) for v in a)
        except (TypeError, ValueError):
            raise InputError(f"anchors of {name!r}: got {a!r}, expected three numbers "
                             "(exclusion, crossover, inclusion)") from None
        if not (e < c < i or i < c < e):
            raise InputError(f"anchors of {name!r}: exclusion {e:g}, crossover {c:g}, inclusion {i:g} "
                             "are not strictly monotone")
        out[str(name)] = (e, c, i)
    return out


def calibrate_frame(raw: pd.DataFrame, anchors: Mapping[str, Sequence[float]], *,
                    nudge: float = CROSSOVER_NUDGE) -> pd.DataFrame:
    """Fuzzy memberships of every anchored set (direct method), cases at 0.5 moved off it.

    m = 1 / (1 + exp(-L)), L = ln(19) (x - c) / (i - c) above the crossover and
    ln(19) (x - c) / (c - e) below it (Ragin 2008, ch. 5; R QCA ``calibrate``,
    via :func:`calibrate_logistic`); a membership of exactly
    0.5 becomes 0.5 + *nudge* (Fiss 2011), so that every case belongs to a
    truth-table row; ``nudge=0`` leaves it.

    Parameters
    ----------
    raw : one row per case (index = case names), one column of raw values per set.
    anchors : set name -> (exclusion, crossover, inclusion); decreasing when
        exclusion > inclusion.

    Returns
    -------
    DataFrame with the index of *raw* and one column per anchored set, in the
    order of *anchors*.

    Examples
    --------
    >>> raw = pd.DataFrame({"A": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])
    >>> calibrate_frame(raw, {"A": (1, 2, 3)})["A"].round(3).tolist()
    [0.05, 0.501, 0.95]
    """
    if not isinstance(raw, pd.DataFrame):
        raise InputError("raw: expected a pandas DataFrame, one row per case")
    if not 0 <= nudge < 0.5:
        raise InputError(f"nudge = {nudge!r}: expected a number in [0, 0.5)")
    checked = _check_anchors(anchors, [str(c) for c in raw.columns])
    out = {}
    for name, (e, c, i) in checked.items():
        m = calibrate_logistic(raw[name], e, c, i, name=name)
        if nudge:
            m = np.where(m == 0.5, 0.5 + nudge, m)
        out[name] = m
    return pd.DataFrame(out, index=raw.index)
