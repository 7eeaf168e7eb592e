"""Truth table of a QCA: rows, n, incl, PRI, OUT, cases (as R QCA's ``truthTable``).

A case belongs to the row (configuration) in which its membership is above 0.5:
a binary or fuzzy condition is coded 1 when x > 0.5 and 0 when x < 0.5; a
case with a membership of exactly 0.5 in some condition belongs to no row (R
QCA warns about it) but still counts in every incl / PRI sum. A multi-value
condition (integer codes 0, 1, 2, ...) is used as coded.

For each row r, with m_i = membership of case i in r (minimum over conditions
of x, 1 - x or [x == v]) and y_i the outcome (Ragin 2008; Dusa 2019, ch. 7):

    incl_r = sum(min(m, y)) / sum(m)
    PRI_r  = (sum(min(m, y)) - sum(min(m, y, 1 - y))) / (sum(m) - sum(min(m, y, 1 - y)))

OUT is "1" when incl >= incl_cut[0] and PRI >= pri_cut, "C" (contradiction)
when incl_cut = (ic1, ic0) and ic0 <= incl < ic1, else "0"; each comparison
allows a tolerance of :data:`TOL` (admisc's 1.49e-8, as R). Rows with
0 < n < n_cut are printed with OUT "?" and treated as remainders. Row numbers
follow R: row = 1 + sum_j config_j * prod(noflevels[j+1:]).

Temporal "don't care" value ``"-"`` (Ragin & Strand 2008; R QCA's ``RS``
data): a condition may hold ``"-"`` (not applicable, e.g. "E before A" when A
is absent). In the truth table "-" is one more level of that condition, coded
``noflevels[j]`` in the row numbers (so (0,0,0,-,0) of five binary conditions is
row 1 + 2*2 = 5), printed "-" and held as -1 in ``rows``; ``noflevels``,
``n_rows_total`` and the remainder list keep the binary levels (remainders are
1..prod(noflevels) minus the observed row numbers, as R lists them). A case's
membership in a literal of that condition (X or ~X) is 0 when it holds "-"; in
a row whose value is "-" it is 1 for "-" cases and 0 for the others. For
minimisation (:meth:`TruthTable.minimization_codes`, :meth:`TruthTable.expansions`)
a "-" row stands for every value of the condition, and is numbered with "-" = -1
in R's formula (Dusa 2019, ch. 10 on temporal QCA; R QCA 3.25 outputs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.qca.expressions import condition_values, format_term
from analysis.qca.sets import memberships

__all__ = ["TOL", "DONT_CARE", "TruthTable", "truth_table", "row_numbers", "row_configs",
           "parse_outcome", "fuzzy_fit_sums"]

#: The temporal "don't care" value of a condition (a case to which the condition does not apply).
DONT_CARE = "-"

#: Tolerance of cut-off comparisons: sqrt(double eps), admisc's (and R's all.equal) default.
TOL = 1.490116119384765625e-08


def row_numbers(configs: np.ndarray, noflevels: Sequence[int]) -> np.ndarray:
    """R QCA's row number of each configuration (first condition most significant).

    row = 1 + sum_j config_j * prod(noflevels[j+1:])

    >>> row_numbers(np.array([[1, 0, 1], [0, 0, 0]]), [2, 2, 2])
    array([6, 1])
    """
    configs = np.atleast_2d(np.asarray(configs, dtype=np.int64))
    weights = _weights(noflevels)
    return configs @ weights + 1


def _weights(noflevels: Sequence[int]) -> np.ndarray:
    lv = np.asarray(noflevels, dtype=np.int64)
    return np.concatenate([np.cumprod(lv[::-1])[::-1][1:], [1]]).astype(np.int64)


def row_configs(rows: Sequence[int] | np.ndarray, noflevels: Sequence[int]) -> np.ndarray:
    """Configurations (one per line) of R row numbers; inverse of :func:`row_numbers`.

    >>> row_configs([6, 1], [2, 2, 2]).tolist()
    [[1, 0, 1], [0, 0, 0]]
    """
    idx = np.asarray(rows, dtype=np.int64).reshape(-1) - 1
    out = np.empty((idx.size, len(noflevels)), dtype=np.int64)
    for j in range(len(noflevels) - 1, -1, -1):
        out[:, j] = idx % noflevels[j]
        idx = idx // noflevels[j]
    return out


_OUTCOME = re.compile(r"^\s*(~?)\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*(?:[\[{]\s*(\d+)\s*[\]}])?\s*$")


def parse_outcome(outcome: str, columns: Sequence[str]) -> tuple[str, bool, int | None]:
    """Split ``"~Y"`` / ``"Y"`` / ``"Y{1}"`` into (column, negated, value)."""
    m = _OUTCOME.match(str(outcome))
    if m is None:
        raise InputError(f"outcome {outcome!r}: expected a column name, '~NAME' or 'NAME{{v}}'")
    neg, name, value = m.group(1) == "~", m.group(2), m.group(3)
    if name not in columns:
        raise InputError(f"outcome {name!r} is not a column of the data; columns: "
                         + ", ".join(map(str, columns)))
    return name, neg, (int(value) if value is not None else None)


def fuzzy_fit_sums(m: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sufficiency inclusion and PRI of each row of *m* (sets x cases) for outcome *y*.

    inclS = sum(min(m, y)) / sum(m);
    PRI = (sum(min(m, y)) - sum(min(m, y, 1-y))) / (sum(m) - sum(min(m, y, 1-y)))
    (Ragin 2008, ch. 3; R QCA's pof). NaN where a denominator is 0.
    """
    m = np.atleast_2d(m)
    my = np.minimum(m, y)
    s_m = m.sum(axis=1)
    s_my = my.sum(axis=1)
    s_myn = np.minimum(my, 1.0 - y).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        incl = np.where(s_m > 0, s_my / np.where(s_m > 0, s_m, 1), np.nan)
        den = s_m - s_myn
        pri = np.where(den > 0, (s_my - s_myn) / np.where(den > 0, den, 1), np.nan)
    return incl, pri


@dataclass
class TruthTable:
    """A truth table: its observed rows, their status, and the data it was built from.

    ``rows`` is a DataFrame of the observed configurations (``row``, one column
    per condition, ``OUT``, ``n``, ``incl``, ``PRI``, ``cases``) in printed
    order. ``X`` (cases x conditions) and ``y`` hold the memberships used.
    """

    conditions: tuple[str, ...]
    outcome: str
    neg_out: bool
    incl_cut: tuple[float, ...]
    n_cut: int
    pri_cut: float
    noflevels: tuple[int, ...]
    fuzzy: tuple[bool, ...]
    multivalue: tuple[bool, ...]
    case_names: list[str]
    X: np.ndarray
    y: np.ndarray
    case_row: np.ndarray
    rows: pd.DataFrame
    positive_rows: list[int]
    negative_rows: list[int]
    contradiction_rows: list[int]
    below_ncut_rows: list[int]
    remainder_rows: list[int]
    sort_by: tuple[str, ...] = field(default_factory=tuple)
    #: cases x conditions, True where the case holds the "don't care" value "-" (None: no "-")
    dont_care: np.ndarray | None = None

    @property
    def temporal(self) -> bool:
        """True when some case holds the "don't care" value "-" in some condition."""
        return self.dont_care is not None and bool(self.dont_care.any())

    @property
    def table_levels(self) -> tuple[int, ...]:
        """Levels used in the truth table's row numbers: one more ("-") for a condition holding "-"."""
        if not self.temporal:
            return self.noflevels
        has = self.dont_care.any(axis=0)  # type: ignore[union-attr]
        return tuple(lv + int(h) for lv, h in zip(self.noflevels, has))

    def row_config(self, rows: Sequence[int]) -> np.ndarray:
        """Configurations of observed row numbers, "-" as -1 (rows x conditions).

        >>> import pandas as pd
        >>> d = pd.DataFrame({"A": [1, 0], "B": ["-", "1"], "Y": [1, 0]})
        >>> truth_table(d, "Y").row_config([6]).tolist()
        [[1, -1]]
        """
        lv = self.table_levels
        cfg = row_configs(list(rows), lv) if len(rows) else np.zeros((0, len(lv)), np.int64)
        if self.temporal:
            has = self.dont_care.any(axis=0)  # type: ignore[union-attr]
            dash = has[None, :] & (cfg == np.asarray(self.noflevels)[None, :])
            cfg = np.where(dash, -1, cfg)
        return cfg

    def minimization_codes(self, rows: Sequence[int]) -> list[int]:
        """R's row numbers of observed rows for minimisation: the formula with "-" = -1.

        1 + sum_j config_j * prod(noflevels[j+1:]) on the binary levels; equal to
        the rows themselves when no condition holds "-". E.g. (1,1,0,-,1) is
        1 + 16 + 8 - 2 + 1 = 24 (R QCA's ``minimize`` on the RS data).
        """
        if not self.temporal:
            return [int(r) for r in rows]
        return [int(v) for v in row_numbers(self.row_config(rows), self.noflevels)] if len(rows) else []

    def expansions(self, rows: Sequence[int]) -> set[int]:
        """Binary row numbers a set of observed rows stands for ("-" = every value).

        >>> import pandas as pd
        >>> d = pd.DataFrame({"A": [1, 0], "B": ["-", "1"], "Y": [1, 0]})
        >>> sorted(truth_table(d, "Y").expansions([6]))
        [3, 4]
        """
        out: set[int] = set()
        if not len(rows):
            return out
        for cfg in self.row_config(rows):
            choices = [range(lv) if v < 0 else (int(v),) for v, lv in zip(cfg, self.noflevels)]
            grid = np.array(np.meshgrid(*choices, indexing="ij")).reshape(len(cfg), -1).T
            out.update(int(r) for r in row_numbers(grid, self.noflevels))
        return out

    @property
    def n_rows_total(self) -> int:
        """Number of logically possible rows (product of the numbers of levels)."""
        return int(np.prod(self.noflevels))

    @property
    def any_multivalue(self) -> bool:
        """True when some condition has more than two levels (terms print as X[v])."""
        return any(lv > 2 for lv in self.noflevels)

    def row_cases(self, row: int) -> list[str]:
        """Names of the cases in *row* (data order)."""
        return [self.case_names[i] for i in np.flatnonzero(self.case_row == row)]

    def format_term(self, term: Sequence[int]) -> str:
        """A term printed with this table's conditions (``X[v]`` when multi-value)."""
        return format_term(term, self.conditions, multivalue=self.any_multivalue)

    def to_frame(self) -> pd.DataFrame:
        """The observed rows as a DataFrame (cases joined by commas)."""
        df = self.rows.copy()
        df["cases"] = df["cases"].map(",".join)
        return df.reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """The table with the reference files' field names (``rows[]``: row, config, OUT, n, incl, PRI, cases)."""
        rows = [{"row": int(r.row), "config": [_cfg_value(getattr(r, c)) for c in self.conditions],
                 "OUT": r.OUT, "n": int(r.n), "incl": float(r.incl), "PRI": float(r.PRI),
                 "cases": list(r.cases)}
                for r in self.rows[["row", *self.conditions, "OUT", "n", "incl", "PRI", "cases"]]
                .rename(columns={c: c for c in self.conditions}).itertuples(index=False)]
        return {
            "outcome": self.outcome, "neg_out": self.neg_out, "conditions": list(self.conditions),
            "incl_cut": list(self.incl_cut), "n_cut": self.n_cut, "pri_cut": self.pri_cut,
            "noflevels": list(self.noflevels), "fuzzy_conditions": list(self.fuzzy),
            "n_cases": len(self.case_names), "case_names": list(self.case_names),
            "n_rows_total": self.n_rows_total, "rows": rows,
            "positive_rows": self.positive_rows, "negative_rows": self.negative_rows,
            "contradiction_rows": self.contradiction_rows,
            "below_ncut_rows": self.below_ncut_rows, "remainder_rows": self.remainder_rows,
        }

    def summary(self) -> str:
        """The table printed in R QCA's layout (observed rows only)."""
        lines = ["", "  OUT: output value", "    n: number of cases in configuration",
                 " incl: sufficiency inclusion score", "  PRI: proportional reduction in inconsistency", ""]
        w_row = max(2, len(str(self.n_rows_total)))
        head = " " * (w_row + 3) + " ".join(c for c in self.conditions) + "   OUT    n  incl  PRI   cases"
        lines.append(head)
        for r in self.rows.itertuples(index=False):
            cfg = " ".join(str(_cfg_value(getattr(r, c))).center(len(c)) for c in self.conditions)
            incl = "  -  " if np.isnan(r.incl) else f"{r.incl:.3f}"
            pri = "  -  " if np.isnan(r.PRI) else f"{r.PRI:.3f}"
            lines.append(f"{r.row:>{w_row}}   {cfg}    {r.OUT:>2}  {r.n:>4}  {incl} {pri} "
                         + ",".join(r.cases))
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


def _cfg_value(v: Any) -> int | str:
    """A configuration value for export / printing: an int, or "-" for the don't-care value."""
    return DONT_CARE if int(v) < 0 else int(v)


def _condition_or_dash(data: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The condition *name* as floats (see ``condition_values``) and the mask of its "-" values.

    "-" cells are set to 0 in the values; the mask says where they are.
    """
    col = data[name]
    dash = np.array([isinstance(v, str) and v.strip() == DONT_CARE for v in col.to_numpy(dtype=object)],
                    dtype=bool)
    if not dash.any():
        return condition_values(data, name), dash
    rest = data[[name]].copy()
    rest[name] = np.where(dash, "0", col.to_numpy(dtype=object))
    return condition_values(rest, name), dash


def _cut_tuple(incl_cut: float | Sequence[float]) -> tuple[float, ...]:
    cuts = (incl_cut,) if np.isscalar(incl_cut) else tuple(incl_cut)  # type: ignore[arg-type]
    try:
        cuts = tuple(float(c) for c in cuts)
    except (TypeError, ValueError):
        raise InputError(f"incl_cut {incl_cut!r}: expected one or two numbers in [0, 1]") from None
    if not 1 <= len(cuts) <= 2 or any(not 0 <= c <= 1 for c in cuts):
        raise InputError(f"incl_cut {incl_cut!r}: expected one or two numbers in [0, 1]")
    if len(cuts) == 2 and cuts[1] > cuts[0]:
        raise InputError(f"incl_cut {incl_cut!r}: the second (contradiction) cut-off must not "
                         "exceed the first")
    return cuts


def _sort_keys(sort_by: str | Sequence[str] | None) -> tuple[str, ...]:
    if sort_by is None:
        return ()
    keys = [s.strip() for s in (sort_by.split(",") if isinstance(sort_by, str) else sort_by)]
    valid = {"incl", "n", "PRI", "OUT"}
    for k in keys:
        if k not in valid:
            raise InputError(f"sort_by {k!r}: expected some of " + ", ".join(sorted(valid)))
    return tuple(k for k in keys if k)


def truth_table(data: pd.DataFrame, outcome: str, conditions: Sequence[str] | None = None, *,
                neg_out: bool = False, incl_cut: float | Sequence[float] = 1.0,
                n_cut: int = 1, pri_cut: float = 0.0,
                sort_by: str | Sequence[str] | None = None) -> TruthTable:
    """Build the truth table of *outcome* on *conditions* (R QCA's ``truthTable``).

    Parameters
    ----------
    data : one row per case, the case names as index; conditions hold
        memberships in [0, 1] or multi-value codes 0, 1, 2, ...
    outcome : outcome column; ``"~Y"`` negates it (as does ``neg_out``), and
        ``"Y{v}"`` takes value v of a multi-value outcome.
    conditions : condition columns (default: every column but the outcome).
    incl_cut : one cut-off, or two ``(ic1, ic0)``: ic0 <= incl < ic1 is "C".
    n_cut : minimum number of cases for a row not to be a remainder.
    pri_cut : minimum PRI for OUT = "1".
    sort_by : "incl", "n", "PRI", "OUT" (comma separated), all decreasing,
        ties by row number; rows below n_cut last. Default: row number order.

    Returns
    -------
    TruthTable

    Examples
    --------
    >>> d = pd.DataFrame({"A": [0.9, 0.8, 0.2], "B": [0.7, 0.1, 0.3], "Y": [0.9, 0.3, 0.1]},
    ...                  index=["a", "b", "c"])
    >>> tt = truth_table(d, "Y", incl_cut=0.8)
    >>> tt.rows[["row", "OUT", "n"]].values.tolist()
    [[1, '0', 1], [3, '0', 1], [4, '1', 1]]
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError("data: expected a pandas DataFrame with one row per case")
    columns = [str(c) for c in data.columns]
    out_name, neg_from_name, out_value = parse_outcome(outcome, columns)
    negate = bool(neg_out) != neg_from_name
    if conditions is None:
        conditions = [c for c in columns if c != out_name]
    conditions = [str(c) for c in conditions]
    if not conditions:
        raise InputError("conditions: none given; expected at least one condition column")
    for c in conditions:
        if c not in columns:
            raise InputError(f"condition {c!r} is not a column of the data; columns: " + ", ".join(columns))
        if c == out_name:
            raise InputError(f"condition {c!r} is also the outcome")
    if len(set(conditions)) != len(conditions):
        raise InputError("conditions: a condition is listed twice: " + ", ".join(conditions))
    cuts = _cut_tuple(incl_cut)
    try:
        n_cut = int(n_cut)
        pri_cut = float(pri_cut)
    except (TypeError, ValueError):
        raise InputError(f"n_cut / pri_cut: expected numbers, got {n_cut!r}, {pri_cut!r}") from None
    if n_cut < 1:
        raise InputError(f"n_cut {n_cut}: expected an integer >= 1")
    if not 0 <= pri_cut <= 1:
        raise InputError(f"pri_cut {pri_cut}: expected a number in [0, 1]")
    keys = _sort_keys(sort_by)

    # outcome
    if out_value is None:
        yraw = condition_values(data, out_name)
        if np.nanmax(yraw, initial=0) > 1:
            raise InputError(f"outcome {out_name!r} has values above 1; give the value as "
                             f"'{out_name}{{v}}' for a multi-value outcome")
        y = memberships(yraw, out_name)
    else:
        y = (condition_values(data, out_name) == out_value).astype(float)
    if negate:
        y = 1.0 - y
    out_label = ("~" if negate else "") + out_name + (f"{{{out_value}}}" if out_value is not None else "")

    k = len(conditions)
    n = len(data)
    X = np.empty((n, k), dtype=float)
    dash = np.zeros((n, k), dtype=bool)
    mv = []
    for j, c in enumerate(conditions):
        X[:, j], dash[:, j] = _condition_or_dash(data, c)
        mv.append(bool(n and X[:, j].max() > 1))
    noflevels = tuple(int(X[:, j].max()) + 1 if mv[j] else 2 for j in range(k))
    fuzzy = tuple(bool(not mv[j] and np.any((X[:, j] > 0) & (X[:, j] < 1) & ~dash[:, j]))
                  for j in range(k))
    # "-" is one more level in the truth table's numbering (coded noflevels[j])
    has_dash = dash.any(axis=0)
    table_levels = tuple(lv + int(h) for lv, h in zip(noflevels, has_dash))

    cfg = np.where(np.array(mv)[None, :], X, (X > 0.5)).astype(np.int64)
    cfg = np.where(dash, np.asarray(noflevels)[None, :], cfg)
    ambiguous = np.any((X == 0.5) & ~np.array(mv)[None, :] & ~dash, axis=1)
    case_row = np.where(ambiguous, 0, row_numbers(cfg, table_levels) if n else np.zeros(0, np.int64))
    observed = np.unique(case_row[case_row > 0])
    configs = row_configs(observed, table_levels)

    # membership of every case in every observed row: (rows, cases)
    m = np.ones((observed.size, n), dtype=float)
    for j in range(k):
        if mv[j]:
            lit = (X[None, :, j] == configs[:, j, None]).astype(float)
        else:
            lit = np.where(configs[:, j, None] == 1, X[None, :, j], 1.0 - X[None, :, j])
        if has_dash[j]:     # a "-" case is in the row's "-" value only
            is_dash_row = configs[:, j, None] == noflevels[j]
            lit = np.where(dash[None, :, j], is_dash_row.astype(float), np.where(is_dash_row, 0.0, lit))
        m = np.minimum(m, lit)
    configs = np.where(has_dash[None, :] & (configs == np.asarray(noflevels)[None, :]), -1, configs)
    incl, pri = fuzzy_fit_sums(m, y) if observed.size else (np.zeros(0), np.zeros(0))
    counts = np.array([(case_row == r).sum() for r in observed], dtype=np.int64)

    out = np.full(observed.size, "0", dtype=object)
    pos = (incl + TOL >= cuts[0]) & (np.nan_to_num(pri, nan=0.0) + TOL >= pri_cut)
    out[pos] = "1"
    if len(cuts) == 2:
        out[~pos & (incl + TOL >= cuts[1]) & (incl + TOL < cuts[0])] = "C"
    below = counts < n_cut
    out[below] = "?"

    names = [str(i) for i in data.index]
    rows = pd.DataFrame({"row": observed.astype(int)})
    for j, c in enumerate(conditions):
        rows[c] = configs[:, j].astype(int)
    rows["OUT"] = out.astype(str)
    rows["n"] = counts.astype(int)
    rows["incl"] = incl
    rows["PRI"] = pri
    rows["cases"] = [[names[i] for i in np.flatnonzero(case_row == r)] for r in observed]
    if keys:
        order_cols = ["_below"] + [("_out" if kk == "OUT" else kk) for kk in keys] + ["row"]
        tmp = rows.assign(_below=below, _out=rows["OUT"].map({"1": 3, "C": 2, "0": 1, "?": 0}))
        tmp = tmp.sort_values(order_cols, ascending=[True] + [False] * len(keys) + [True],
                              kind="mergesort", na_position="last")
        rows = tmp.drop(columns=["_below", "_out"]).reset_index(drop=True)

    all_rows = set(range(1, int(np.prod(noflevels)) + 1))
    positive = sorted(int(r) for r, o in zip(observed, out) if o == "1")
    negative = sorted(int(r) for r, o in zip(observed, out) if o == "0")
    contra = sorted(int(r) for r, o in zip(observed, out) if o == "C")
    below_rows = sorted(int(r) for r, b in zip(observed, below) if b)
    remainders = sorted(all_rows - set(positive) - set(negative) - set(contra))
    return TruthTable(
        conditions=tuple(conditions), outcome=out_label, neg_out=bool(neg_out), incl_cut=cuts,
        n_cut=n_cut, pri_cut=pri_cut, noflevels=noflevels, fuzzy=fuzzy, multivalue=tuple(mv),
        case_names=names, X=X, y=y, case_row=case_row, rows=rows, positive_rows=positive,
        negative_rows=negative, contradiction_rows=contra, below_ncut_rows=below_rows,
        remainder_rows=remainders, sort_by=keys, dont_care=dash if has_dash.any() else None)
