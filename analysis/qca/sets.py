"""Set operations on membership scores: validation, AND, OR, NOT.

Fuzzy-set algebra (Zadeh 1965; Ragin 2000, ch. 8): the intersection of sets is
the minimum of the memberships, the union their maximum, the negation
``1 - x``. Crisp sets are the special case of memberships 0 and 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.errors import InputError

__all__ = ["memberships", "set_and", "set_or", "set_not"]


def memberships(x: Any, name: str) -> np.ndarray:
    """Membership scores of *x* as a float array, checked to lie in [0, 1].

    Accepts a list, tuple, numpy array or pandas Series (any index); a scalar
    becomes an array of one value.

    Parameters
    ----------
    x : sequence of numbers in [0, 1].
    name : what *x* is (a column or variable name), used in error messages.

    Returns
    -------
    1-D float numpy array (a new array; *x* is not modified).

    Raises
    ------
    InputError
        naming *name* when a value is not numeric, is missing (NaN) or lies
        outside [0, 1]; the position is counted from 1.

    Examples
    --------
    >>> memberships([0, 0.25, 1], "A")
    array([0.  , 0.25, 1.  ])
    >>> memberships([0.2, 1.5], "A")
    Traceback (most recent call last):
    ...
    analysis.errors.InputError: A: value 1.5 at position 2 is outside [0, 1] (memberships must lie in [0, 1])
    """
    values = np.asarray(getattr(x, "to_numpy", lambda: x)(), dtype=object)
    values = values.reshape(-1)
    try:
        arr = values.astype(float)
    except (TypeError, ValueError):
        for i, v in enumerate(values, start=1):
            try:
                float(v)
            except (TypeError, ValueError):
                raise InputError(f"{name}: value {v!r} at position {i} is not numeric "
                                 "(memberships must be numbers in [0, 1])") from None
        raise InputError(f"{name}: values are not numeric") from None  # pragma: no cover
    bad_nan = np.flatnonzero(np.isnan(arr))
    if bad_nan.size:
        raise InputError(f"{name}: missing value (NaN) at position {bad_nan[0] + 1} "
                         "(memberships must be numbers in [0, 1])")
    bad = np.flatnonzero((arr < 0) | (arr > 1))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{name}: value {arr[i]:g} at position {i + 1} is outside [0, 1] "
                         "(memberships must lie in [0, 1])")
    return arr


def _stack(xs: tuple[Any, ...], op: str) -> np.ndarray:
    if not xs:
        raise InputError(f"{op}: needs at least one set")
    arrays = [memberships(x, f"{op} argument {i}") for i, x in enumerate(xs, start=1)]
    lengths = {a.shape[0] for a in arrays}
    if len(lengths) > 1:
        raise InputError(f"{op}: sets have different lengths {sorted(lengths)}; expected equal lengths")
    return np.vstack(arrays)


def set_and(*xs: Any) -> np.ndarray:
    """Intersection (logical AND) of fuzzy sets: the elementwise minimum.

    A*B = min(a_i, b_i)   (Zadeh 1965; Ragin 2000).

    Examples
    --------
    >>> set_and([0.2, 0.9], [0.6, 0.7])
    array([0.2, 0.7])
    """
    return _stack(xs, "set_and").min(axis=0)


def set_or(*xs: Any) -> np.ndarray:
    """Union (logical OR) of fuzzy sets: the elementwise maximum.

    A+B = max(a_i, b_i)   (Zadeh 1965; Ragin 2000).

    Examples
    --------
    >>> set_or([0.2, 0.9], [0.6, 0.7])
    array([0.6, 0.9])
    """
    return _stack(xs, "set_or").max(axis=0)


def set_not(x: Any) -> np.ndarray:
    """Negation (logical NOT) of a fuzzy set.

    ~A = 1 - a_i   (Zadeh 1965; Ragin 2000).

    Examples
    --------
    >>> set_not([0.2, 1.0])
    array([0.8, 0. ])
    """
    return 1.0 - memberships(x, "set_not argument")
