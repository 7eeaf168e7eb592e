"""Necessity: inclusion, coverage and relevance of necessity; R QCA's superSubset search.

A condition X is necessary for an outcome Y when Y is a subset of X. Its
parameters of fit (Ragin 2006; Schneider & Wagemann 2012, ch. 9; R QCA's
``pof`` with ``relation = "necessity"``):

* inclN = sum(min(x, y)) / sum(y)     consistency of necessity;
* covN  = sum(min(x, y)) / sum(x)     coverage of necessity (trivialness);
* RoN   = sum(1 - x) / sum(1 - min(x, y))   relevance of necessity
  (Schneider & Wagemann 2012, sect. 9.2.2).

:func:`necessity` tests single conditions, their negations, sums of products
(each disjunct and the whole expression, as ``pof("A + ~B <- Y")`` does) and the
negated outcome. :func:`super_subset` searches, like R QCA's ``superSubset``,
every conjunction and every minimal disjunction of literals that is necessary
for the outcome at the given cut-offs, in R's order and with R's names.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.qca.expressions import (
    Term,
    condition_values,
    format_term,
    literal_membership,
    parse_expression,
    term_membership,
)
from analysis.qca.sets import memberships

__all__ = [
    "TOLERANCE", "inclusion_necessity", "coverage_necessity", "relevance_necessity",
    "necessity_fit", "NecessityResult", "necessity", "super_subset",
]

#: Cut-offs are compared with this tolerance, as R QCA does (sqrt of double epsilon).
TOLERANCE = math.sqrt(np.finfo(float).eps)

_COLUMNS = ["inclN", "RoN", "covN"]


# --------------------------------------------------------------------------- parameters of fit

def _pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = memberships(x, "x"), memberships(y, "y")
    if x.shape != y.shape:
        raise InputError(f"x and y have different lengths ({x.size} and {y.size}); expected equal")
    return x, y


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def inclusion_necessity(x: Any, y: Any) -> float:
    """Consistency of X as a superset of Y (necessity inclusion, inclN).

    inclN = sum(min(x_i, y_i)) / sum(y_i)   (Ragin 2006; R QCA's ``pof``).

    Returns NaN when sum(y) is 0.

    Examples
    --------
    >>> inclusion_necessity(np.array([0.9, 0.4]), np.array([0.8, 0.2]))
    1.0
    """
    x, y = _pair(x, y)
    return _ratio(np.minimum(x, y).sum(), y.sum())


def coverage_necessity(x: Any, y: Any) -> float:
    """Coverage of necessity (covN): how much of X the outcome Y fills.

    covN = sum(min(x_i, y_i)) / sum(x_i)   (Ragin 2006; R QCA's ``pof``).

    Returns NaN when sum(x) is 0.

    Examples
    --------
    >>> coverage_necessity(np.array([0.9, 0.6]), np.array([0.8, 0.2]))
    0.6666666666666666
    """
    x, y = _pair(x, y)
    return _ratio(np.minimum(x, y).sum(), x.sum())


def relevance_necessity(x: Any, y: Any) -> float:
    """Relevance of necessity (RoN): how far X is from being a trivial (universal) superset.

    RoN = sum(1 - x_i) / sum(1 - min(x_i, y_i))   (Schneider & Wagemann 2012,
    sect. 9.2.2; R QCA's ``pof``). Returns NaN when the denominator is 0.

    Examples
    --------
    >>> relevance_necessity(np.array([1.0, 1.0]), np.array([0.8, 0.2]))
    0.0
    """
    x, y = _pair(x, y)
    return _ratio((1 - x).sum(), (1 - np.minimum(x, y)).sum())


def necessity_fit(x: Any, y: Any) -> dict[str, float]:
    """inclN, RoN and covN of X for Y in one call (see the three functions above).

    >>> necessity_fit([0.9, 0.6], [0.8, 0.2])
    {'inclN': 1.0, 'RoN': 0.5, 'covN': 0.6666666666666666}
    """
    x, y = _pair(x, y)
    return _fit(x, y)


def _fit(x: np.ndarray, y: np.ndarray, empty: float = float("nan")) -> dict[str, float]:
    """inclN, RoN, covN; *empty* where a denominator is 0 (R's superSubset uses 0)."""
    mn = np.minimum(x, y)
    s = mn.sum()

    def ratio(num: float, den: float) -> float:
        return float(num / den) if den else empty

    return {"inclN": ratio(s, y.sum()), "RoN": ratio((1 - x).sum(), (1 - mn).sum()),
            "covN": ratio(s, x.sum())}


# --------------------------------------------------------------------------- result object

@dataclass
class NecessityResult:
    """Necessity tests: a table in R QCA's layout and the memberships behind it.

    Attributes
    ----------
    table : DataFrame indexed by term, columns ``inclN``, ``RoN``, ``covN`` and
        ``necessary`` (inclN >= ``incl_threshold``, with R's tolerance).
    memberships : DataFrame, one column per term, one row per case.
    outcome : the outcome as written (``"Y"`` or ``"~Y"``).
    incl_threshold : the inclN flag threshold.
    search : True for a superSubset search (names printed left-aligned, as R does).
    """

    table: pd.DataFrame
    memberships: pd.DataFrame
    outcome: str
    incl_threshold: float = 0.9
    search: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def summary(self, digits: int = 3) -> str:
        """The table as R QCA prints it (numbered rows, inclN, RoN, covN)."""
        if self.table.empty:
            return "\nThere are no configurations, using these cutoff values.\n"
        return _print_table(self.table[_COLUMNS], left=self.search, digits=digits)

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        """The table with the term as a column (for export)."""
        return self.table.rename_axis("term").reset_index()


def _centre(label: str, width: int) -> str:
    pad = max(width - len(label), 0)
    return " " * (pad // 2) + label + " " * (pad - pad // 2)


def _print_table(table: pd.DataFrame, *, left: bool, digits: int = 3) -> str:
    """R QCA's print layout of a pof/superSubset table (one string, lines joined by newline)."""
    names = [str(i) for i in table.index]
    nw = max([2] + [len(n) for n in names])
    rw = len(str(len(names)))
    cells = [[("NA" if pd.isna(v) else f"{v:.{digits}f}") for v in row]
             for row in table.to_numpy()]
    cw = max([digits + 2] + [len(c) for r in cells for c in r] + [len(c) for c in table.columns])
    header = " " * (rw + 2 + nw) + "".join("  " + _centre(c, cw) for c in table.columns) + " "
    lines = []
    for k, (name, row) in enumerate(zip(names, cells), start=1):
        label = name.ljust(nw) if left else name.rjust(nw)
        lines.append(f"{k:>{rw}}  {label}" + "".join(f"  {c:>{cw}}" for c in row) + " ")
    rule = "-" * (len(lines[0]) - 1 if lines else len(header) - 1) + " "
    return "\n".join(["", header, rule, *lines, rule, ""])


# --------------------------------------------------------------------------- data handling

def _outcome(data: pd.DataFrame, outcome: str, neg_out: bool) -> tuple[str, str, np.ndarray]:
    """(column name, label, membership) of the outcome; '~Y' negates."""
    if not isinstance(outcome, str) or not outcome.strip():
        raise InputError(f"outcome {outcome!r}: expected a column name such as 'Y' or '~Y'")
    name = outcome.strip()
    negate = bool(neg_out)
    while name.startswith("~"):
        negate = not negate
        name = name[1:].strip()
    if name not in data.columns:
        raise InputError(f"outcome {name!r} is not a column of the data; columns: "
                         + ", ".join(map(str, data.columns)))
    col = data[name]
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(values))
    if bad.size:
        i = int(bad[0])
        raw = col.to_numpy(dtype=object)[i]
        what = "missing" if pd.isna(raw) else f"not numeric ({raw!r})"
        raise InputError(f"row {i + 2}, column {name!r}: outcome value {what}; expected a "
                         "membership in [0, 1]")
    bad = np.flatnonzero((values < 0) | (values > 1))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"row {i + 2}, column {name!r}: outcome value {values[i]:g} is outside "
                         "[0, 1]; expected a membership in [0, 1]")
    return name, ("~" + name if negate else name), (1 - values if negate else values)


def _conditions(data: pd.DataFrame, conditions: Sequence[str] | str | None,
                outcome: str) -> list[str]:
    if conditions is None:
        conds = [c for c in data.columns if c != outcome]
    elif isinstance(conditions, str):
        conds = [c.strip() for c in conditions.split(",") if c.strip()]
    else:
        conds = [str(c) for c in conditions]
    if not conds:
        raise InputError("conditions: none given (expected condition column names)")
    unknown = [c for c in conds if c not in data.columns]
    if unknown:
        raise InputError(f"condition {unknown[0]!r} is not a column of the data; columns: "
                         + ", ".join(map(str, data.columns)))
    if outcome in conds:
        raise InputError(f"condition {outcome!r} is also the outcome")
    if len(set(conds)) != len(conds):
        raise InputError(f"conditions {conds}: a condition is listed twice")
    return conds


def _result(labels: list[str], columns: list[np.ndarray], y: np.ndarray, index: pd.Index,
            outcome_label: str, incl_threshold: float, search: bool,
            options: dict[str, Any]) -> NecessityResult:
    rows = [_fit(x, y, 0.0 if search else float("nan")) for x in columns]
    table = pd.DataFrame(rows, index=pd.Index(labels, name=None), columns=_COLUMNS)
    table["necessary"] = table["inclN"] >= incl_threshold - TOLERANCE
    mem = pd.DataFrame(dict(zip(labels, columns)) if labels else {}, index=index)
    return NecessityResult(table=table, memberships=mem, outcome=outcome_label,
                           incl_threshold=incl_threshold, search=search, options=options)


# --------------------------------------------------------------------------- public tests

def necessity(data: pd.DataFrame, outcome: str, conditions: Sequence[str] | str | None = None,
              *, expression: str | None = None, negate_conditions: bool = False,
              neg_out: bool = False, incl_threshold: float = 0.9) -> NecessityResult:
    """Necessity parameters of fit (inclN, RoN, covN) of conditions or of an expression.

    * default: each condition (R: ``pof(data[, conditions], data$Y)``);
    * ``negate_conditions=True``: each negated condition ``~X``
      (R: ``pof(1 - data[, conditions], data$Y)``);
    * ``expression="~A + B"``: each disjunct, then the whole sum of products as
      the last row named ``expression`` (R: ``pof("~A + B <- Y", data)``);
    * ``outcome="~Y"`` or ``neg_out=True``: necessity for the negated outcome.

    When any condition is multi-value, every condition is tested at each of its
    values and printed ``X[v]`` (as R QCA prints multi-value sets).
    The ``necessary`` column flags inclN >= *incl_threshold* (default 0.9,
    Schneider & Wagemann 2012), compared with R's tolerance.

    Examples
    --------
    >>> d = pd.DataFrame({"A": [1, 1, 0.2], "B": [0.3, 1, 0], "Y": [0.8, 0.9, 0.1]})
    >>> necessity(d, "Y").table.round(3)
       inclN    RoN   covN  necessary
    A  1.000  0.667  0.818       True
    B  0.667  0.944  0.923      False
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError("data: expected a pandas DataFrame with one column per set")
    name, label, y = _outcome(data, outcome, neg_out)
    options = {"outcome": label, "expression": expression, "negate_conditions": negate_conditions}
    if expression is not None:
        conds = _conditions(data, conditions, name) if conditions is not None else \
            [c for c in data.columns if c != name]
        terms = parse_expression(expression, conds)
        mv = _any_multivalue(data, [c for c in conds if _used(c, conds, terms)])
        labels = [format_term(t, conds, mv) for t in terms]
        cols = [term_membership(data, t, conds) for t in terms]
        if len(terms) > 1:
            labels.append("expression")
            cols.append(np.max(np.vstack(cols), axis=0))
        return _result(labels, cols, y, data.index, label, incl_threshold, False, options)
    conds = _conditions(data, conditions, name)
    labels, cols = [], []
    values = [condition_values(data, c) for c in conds]
    mv = any(float(v.max()) > 1 for v in values)
    for c, v in zip(conds, values):
        if mv:
            for level in range(int(v.max()) + 1):
                labels.append(f"{c}[{level}]")
                cols.append(literal_membership(v, level))
        elif negate_conditions:
            labels.append("~" + c)
            cols.append(1.0 - v)
        else:
            labels.append(c)
            cols.append(v)
    return _result(labels, cols, y, data.index, label, incl_threshold, False, options)


def _used(c: str, conds: list[str], terms: list[Term]) -> bool:
    j = conds.index(c)
    return any(t[j] >= 0 for t in terms)


def _any_multivalue(data: pd.DataFrame, conds: Sequence[str]) -> bool:
    return any(float(np.max(condition_values(data, c))) > 1 for c in conds)


def super_subset(data: pd.DataFrame, outcome: str,
                 conditions: Sequence[str] | str | None = None, *,
                 incl_cut: float = 1.0, cov_cut: float = 0.0, ron_cut: float = 0.0,
                 depth: int | None = None, neg_out: bool = False,
                 max_candidates: int = 2_000_000) -> NecessityResult:
    """Necessary conjunctions and minimal necessary disjunctions, like R QCA's ``superSubset``.

    Searches (R QCA 3.25, ``superSubset(relation = "necessity")``), size by
    size (number of literals, 1..depth), over every set of literals of
    different conditions (``~X``/``X``, or ``X[v]`` for multi-value conditions):

    1. the conjunction of the literals is listed when inclN >= incl_cut and
       covN >= cov_cut;
    2. otherwise (two or more literals) their disjunction is listed when it
       passes both cut-offs and contains no conjunction or disjunction listed at
       a smaller size (a superset of a necessary set is trivially necessary);
    3. above three literals, once anything has been listed, the search goes on
       to the next size only while the current size lists something (as R does);
    4. rows with RoN below *ron_cut* are then dropped.

    Cut-offs are compared with R's tolerance (sqrt of double epsilon; cov_cut
    only when above 0). Order: conjunctions, then disjunctions; each by number
    of literals, then by the positions of their conditions, then by values
    (``~X`` before ``X``). Names as R prints them (``A*~B``, ``A + ~B``,
    ``A[2]*B[0]`` when any condition is multi-value). *depth* defaults to the
    number of conditions; *max_candidates* caps the search space (an error
    says so instead of running for hours).

    Examples
    --------
    >>> d = pd.DataFrame({"A": [1, 1, 0, 0], "B": [0, 1, 1, 0], "Y": [1, 1, 1, 0]})
    >>> super_subset(d, "Y").table
           inclN  RoN  covN  necessary
    A + B    1.0  1.0   1.0       True
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError("data: expected a pandas DataFrame with one column per set")
    name, label, y = _outcome(data, outcome, neg_out)
    conds = _conditions(data, conditions, name)
    k = len(conds)
    for arg, val in (("incl_cut", incl_cut), ("cov_cut", cov_cut), ("ron_cut", ron_cut)):
        if not (isinstance(val, (int, float)) and 0 <= val <= 1):
            raise InputError(f"{arg} = {val!r}: expected a number in [0, 1]")
    if depth is None:
        depth = k
    if not (isinstance(depth, (int, np.integer)) and 1 <= depth):
        raise InputError(f"depth = {depth!r}: expected a positive integer")
    depth = min(int(depth), k)
    values = [condition_values(data, c) for c in conds]
    mv = any(float(v.max()) > 1 for v in values)
    levels = [list(range(int(v.max()) + 1)) if v.max() > 1 else [0, 1] for v in values]
    n_cand = sum(math.prod(len(levels[p]) for p in pos)
                 for s in range(1, depth + 1) for pos in itertools.combinations(range(k), s))
    if 2 * n_cand > max_candidates:
        raise InputError(f"superSubset: {2 * n_cand} candidate expressions exceed max_candidates = "
                         f"{max_candidates}; lower depth or use fewer conditions")
    lit = {(p, v): literal_membership(values[p], v) for p in range(k) for v in levels[p]}
    incl_c = incl_cut - TOLERANCE
    cov_c = cov_cut - TOLERANCE if cov_cut > 0 else cov_cut
    sy = float(y.sum())

    def passes(x: np.ndarray) -> bool:
        s = float(np.minimum(x, y).sum())
        sx = float(x.sum())
        inc = s / sy if sy else 0.0          # R: 0/0 counts as 0 here
        cov = s / sx if sx else 0.0
        return inc >= incl_c and cov >= cov_c

    def contains_listed(lits: tuple[tuple[int, int], ...],
                        listed: set[frozenset[tuple[int, int]]]) -> bool:
        """Is some listed literal set (from a smaller size) contained in *lits*?"""
        if not listed:
            return False
        if len(listed) < 2 ** len(lits):
            have = set(lits)
            return any(other <= have for other in listed)
        return any(frozenset(sub) in listed for r in range(1, len(lits))
                   for sub in itertools.combinations(lits, r))

    conj: list[tuple[tuple[tuple[int, int], ...], np.ndarray]] = []
    disj: list[tuple[tuple[tuple[int, int], ...], np.ndarray]] = []
    conj_sets: set[frozenset[tuple[int, int]]] = set()
    disj_sets: set[frozenset[tuple[int, int]]] = set()
    for size in range(1, depth + 1):
        # beyond three literals, once something has been found, R goes on to the
        # next size only while the current size finds something
        must_find = size > 3 and (conj or disj)
        new_conj, new_disj = [], []
        for pos in itertools.combinations(range(k), size):
            for vals in itertools.product(*(levels[p] for p in pos)):
                lits = tuple(zip(pos, vals))
                stack = np.vstack([lit[lv] for lv in lits])
                x = stack.min(axis=0)
                if passes(x):
                    new_conj.append((lits, x))
                    continue
                if size == 1:
                    continue
                x = stack.max(axis=0)
                if passes(x) and not contains_listed(lits, conj_sets) \
                        and not contains_listed(lits, disj_sets):
                    new_disj.append((lits, x))
        conj += new_conj
        disj += new_disj
        conj_sets.update(frozenset(lits) for lits, _ in new_conj)
        disj_sets.update(frozenset(lits) for lits, _ in new_disj)
        if must_find and not (new_conj or new_disj):
            break

    def literal(p: int, v: int) -> str:
        return format_term(tuple(v if j == p else -1 for j in range(k)), conds, mv)

    labels = ["*".join(literal(p, v) for p, v in lits) for lits, _ in conj]
    labels += [" + ".join(literal(p, v) for p, v in lits) for lits, _ in disj]
    cols = [x for _, x in conj] + [x for _, x in disj]
    res = _result(labels, cols, y, data.index, label, incl_cut, True,
                  {"outcome": label, "conditions": conds, "incl_cut": incl_cut,
                   "cov_cut": cov_cut, "ron_cut": ron_cut, "depth": depth})
    if ron_cut > 0:
        keep = (res.table["RoN"] >= ron_cut).to_numpy()
        res.table = res.table[keep]
        res.memberships = res.memberships.loc[:, keep]
    return res
