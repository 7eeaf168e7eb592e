"""Sums of products in R QCA's notation: parse, print, order, evaluate.

A *term* (a conjunction, product) is a tuple of ints aligned with a tuple of
condition names: ``-1`` means the condition is not in the term, ``0`` that it
appears negated (``~X``; ``X[0]`` for a multi-value condition) and ``1, 2, ...``
that it appears at that value (``X``; ``X[v]`` for a multi-value condition).
An *expression* is a list of terms joined by OR (``+``).

Notation (Dusa 2019, *QCA with R*, ch. 5): ``*`` is AND, ``+`` is OR, ``~`` is
NOT, ``X{v}`` or ``X[v]`` is value *v* of a multi-value condition. Printing
uses R QCA 3.25's form: ``~A*B`` for binary conditions and ``A[2]*B[0]`` when
conditions are multi-value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.qca.sets import memberships

__all__ = [
    "Term",
    "parse_expression",
    "format_term",
    "format_expression",
    "term_membership",
    "expression_membership",
    "sort_terms",
    "term_key",
    "n_literals",
]

Term = tuple[int, ...]

_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_.][A-Za-z0-9_.]*)"
    r"|(?P<value>[\[{]\s*\d+\s*[\]}])"
    r"|(?P<op>[~*+()]))"
)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].lstrip()[:1]
            raise InputError(f"expression {text!r}: unexpected character {bad!r} at position "
                             f"{len(text) - len(text[pos:].lstrip()) + 1}; expected condition names "
                             "joined by '*' (AND) and '+' (OR), '~' for NOT, 'X{v}' for a value")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    return out


def parse_expression(text: str, conditions: Sequence[str]) -> list[Term]:
    """Parse a sum of products such as ``~A*B + C`` or ``A{2}*~B`` into terms.

    Grammar: expression = term ('+' term)*; term = literal ('*' literal)*;
    literal = ['~'] NAME [ '{' int '}' | '[' int ']' ]. No ``eval`` is used.
    Repeated identical terms are kept once (first occurrence order).

    Parameters
    ----------
    text : the expression.
    conditions : the condition names the terms are aligned with.

    Returns
    -------
    list of terms (tuples of ints, -1 absent, 0 negated, v >= 1 present at v).

    Raises
    ------
    InputError
        for an unknown condition (the message lists the valid ones), a
        syntax error, ``~`` before a valued literal, or a term that requires
        two different values of one condition (an empty set, e.g. ``A*~A``).

    Examples
    --------
    >>> parse_expression("~A*B + C", ["A", "B", "C"])
    [(0, 1, -1), (-1, -1, 1)]
    >>> parse_expression("A{2}*~B", ["A", "B"])
    [(2, 0)]
    >>> parse_expression("A*D", ["A", "B"])
    Traceback (most recent call last):
    ...
    analysis.errors.InputError: expression 'A*D': unknown condition 'D'; valid conditions: A, B
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"expression {text!r}: empty; expected a sum of products such as 'A*~B + C'")
    conditions = list(conditions)
    index = {c: i for i, c in enumerate(conditions)}
    toks = _tokens(text)
    terms: list[Term] = []
    current: list[int] = [-1] * len(conditions)
    i = 0
    expect_literal = True
    n = len(toks)

    def fail(msg: str) -> InputError:
        return InputError(f"expression {text.strip()!r}: {msg}")

    while i < n:
        kind, val, pos = toks[i]
        if expect_literal:
            negated = False
            while kind == "op" and val == "~":
                negated = not negated
                i += 1
                if i >= n:
                    raise fail("ends after '~'; expected a condition name")
                kind, val, pos = toks[i]
            if kind != "name":
                raise fail(f"expected a condition name at position {pos}, found {val!r}")
            if val not in index:
                raise fail(f"unknown condition {val!r}; valid conditions: " + ", ".join(conditions))
            j = index[val]
            value = 1
            if i + 1 < n and toks[i + 1][0] == "value":
                if negated:
                    raise fail(f"'~' before the valued literal {val}{toks[i + 1][1]} is not "
                               "supported; write the value instead (e.g. X{0})")
                value = int(toks[i + 1][1].strip("[]{} "))
                i += 1
            elif negated:
                value = 0
            if current[j] not in (-1, value):
                raise fail(f"condition {val!r} appears with two different values in one term "
                           "(the term is an empty set)")
            current[j] = value
            expect_literal = False
            i += 1
        else:
            if kind == "op" and val == "*":
                expect_literal = True
                i += 1
            elif kind == "op" and val == "+":
                term = tuple(current)
                if term not in terms:
                    terms.append(term)
                current = [-1] * len(conditions)
                expect_literal = True
                i += 1
            else:
                raise fail(f"expected '*' or '+' at position {pos}, found {val!r}")
    if expect_literal:
        raise fail("ends with an operator; expected a condition name")
    term = tuple(current)
    if term not in terms:
        terms.append(term)
    return terms


def _multivalue_flags(multivalue: bool | Sequence[bool] | None, k: int) -> list[bool]:
    if multivalue is None or multivalue is False:
        return [False] * k
    if multivalue is True:
        return [True] * k
    flags = [bool(f) for f in multivalue]
    if len(flags) != k:
        raise InputError(f"multivalue: {len(flags)} flags given for {k} conditions")
    return flags


def format_term(term: Sequence[int], conditions: Sequence[str],
                multivalue: bool | Sequence[bool] | None = None) -> str:
    """Print a term in R QCA notation (``~A*B``, or ``A[2]*B[0]`` when multi-value).

    Parameters
    ----------
    term : tuple aligned with *conditions* (-1 absent, 0 negated, v present).
    conditions : condition names.
    multivalue : True, or one flag per condition: print ``X[v]`` for those
        conditions (R prints every condition this way when any is
        multi-value). A value >= 2 is always printed ``X[v]``.

    Returns
    -------
    str; ``"1"`` for the empty term (the universal set), as R prints it.

    Examples
    --------
    >>> format_term((0, 1, -1), ["A", "B", "C"])
    '~A*B'
    >>> format_term((2, 0, -1), ["A", "B", "C"], multivalue=True)
    'A[2]*B[0]'
    """
    if len(term) != len(conditions):
        raise InputError(f"term {tuple(term)} has {len(term)} entries for {len(conditions)} conditions")
    flags = _multivalue_flags(multivalue, len(conditions))
    parts = []
    for v, name, mv in zip(term, conditions, flags):
        v = int(v)
        if v < 0:
            continue
        if mv or v >= 2:
            parts.append(f"{name}[{v}]")
        elif v == 0:
            parts.append(f"~{name}")
        else:
            parts.append(name)
    return "*".join(parts) if parts else "1"


def format_expression(terms: Iterable[Sequence[int]], conditions: Sequence[str],
                      multivalue: bool | Sequence[bool] | None = None) -> str:
    """Print a sum of products, terms joined by ``" + "`` in the order given.

    Examples
    --------
    >>> format_expression([(0, 1, -1), (-1, -1, 1)], ["A", "B", "C"])
    '~A*B + C'
    """
    return " + ".join(format_term(t, conditions, multivalue) for t in terms)


def n_literals(term: Sequence[int]) -> int:
    """Number of conditions present in a term (its literals).

    >>> n_literals((0, -1, 1))
    2
    """
    return sum(1 for v in term if v >= 0)


def term_key(term: Sequence[int]) -> tuple[int, tuple[int, ...]]:
    """Sort key of R QCA's canonical term order.

    Fewer literals first; then condition by condition (in the order of the
    conditions) ``~X`` (0) before ``X`` (1, 2, ...) before the condition being
    absent (as observed in R QCA 3.25's output of prime implicants).

    >>> term_key((0, -1, 1))
    (2, (0, 1000000, 1))
    """
    return n_literals(term), tuple(int(v) if v >= 0 else 1_000_000 for v in term)


def sort_terms(terms: Iterable[Sequence[int]]) -> list[Term]:
    """Terms in R QCA's canonical order (see :func:`term_key`), duplicates kept.

    >>> sort_terms([(1, -1), (-1, 0), (0, 1)])
    [(1, -1), (-1, 0), (0, 1)]
    >>> sort_terms([(-1, 1), (1, -1), (0, -1)])
    [(0, -1), (1, -1), (-1, 1)]
    """
    return sorted((tuple(int(v) for v in t) for t in terms), key=term_key)


def _column(data: pd.DataFrame, name: str) -> pd.Series:
    if name not in data.columns:
        raise InputError(f"condition {name!r} is not a column of the data; columns: "
                         + ", ".join(map(str, data.columns)))
    return data[name]


def _is_multivalue(values: np.ndarray) -> bool:
    return bool(values.size) and bool(np.nanmax(values) > 1)


def condition_values(data: pd.DataFrame, name: str) -> np.ndarray:
    """The column *name* as floats: memberships in [0, 1], or multi-value codes 0, 1, 2, ...

    Raises InputError naming the column and the row (counted as in the CSV:
    header is line 1, so the first data row is row 2) for a non-numeric,
    missing or negative value, or a non-integer value above 1.
    """
    col = _column(data, name)
    raw = col.to_numpy(dtype=object)
    vals = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(vals))
    if bad.size:
        i = int(bad[0])
        what = "missing" if pd.isna(raw[i]) else f"not numeric ({raw[i]!r})"
        raise InputError(f"row {i + 2}, column {name!r}: value {what}; expected a membership "
                         "in [0, 1] or a multi-value code 0, 1, 2, ...")
    integer = bool(np.all(vals == np.round(vals)))
    if integer and _is_multivalue(vals):
        bad = np.flatnonzero(vals < 0)
        if bad.size:
            i = int(bad[0])
            raise InputError(f"row {i + 2}, column {name!r}: value {vals[i]:g} is neither a "
                             "membership in [0, 1] nor a multi-value code 0, 1, 2, ...")
        return vals
    bad = np.flatnonzero((vals < 0) | (vals > 1))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"row {i + 2}, column {name!r}: value {vals[i]:g} is outside [0, 1]; "
                         "expected a membership in [0, 1]")
    return memberships(vals, name)


def literal_membership(values: np.ndarray, value: int) -> np.ndarray:
    """Membership in one literal: x (value 1), 1 - x (value 0) for a fuzzy/binary
    set; 1 where the code equals *value*, else 0, for a multi-value condition."""
    if value >= 2 or _is_multivalue(values):
        return (values == value).astype(float)
    return values.copy() if value == 1 else 1.0 - values


def term_membership(data: pd.DataFrame, term: Sequence[int],
                    conditions: Sequence[str]) -> np.ndarray:
    """Membership of every case (row of *data*) in a conjunction.

    m_i = min over the term's literals of the case's literal membership, with
    x for ``X``, 1 - x for ``~X`` and [x == v] for ``X[v]`` of a multi-value
    condition (Ragin 2008; Dusa 2019, ch. 3). The empty term gives 1.

    Examples
    --------
    >>> d = pd.DataFrame({"A": [0.2, 0.9], "B": [0.7, 0.4]})
    >>> term_membership(d, (1, 0), ["A", "B"])
    array([0.2, 0.6])
    """
    if len(term) != len(conditions):
        raise InputError(f"term {tuple(term)} has {len(term)} entries for {len(conditions)} conditions")
    out = np.ones(len(data), dtype=float)
    for v, name in zip(term, conditions):
        if v < 0:
            continue
        out = np.minimum(out, literal_membership(condition_values(data, name), int(v)))
    return out


def expression_membership(data: pd.DataFrame, terms: Any, conditions: Sequence[str]) -> np.ndarray:
    """Membership of every case in a sum of products (max over its terms).

    *terms* is a list of terms or an expression string (parsed with
    :func:`parse_expression`). An empty list gives 0 (the empty set).

    Examples
    --------
    >>> d = pd.DataFrame({"A": [0.2, 0.9], "B": [0.7, 0.4]})
    >>> expression_membership(d, "A + ~B", ["A", "B"])
    array([0.3, 0.9])
    """
    if isinstance(terms, str):
        terms = parse_expression(terms, conditions)
    out = np.zeros(len(data), dtype=float)
    for t in terms:
        out = np.maximum(out, term_membership(data, t, conditions))
    return out
