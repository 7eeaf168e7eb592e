"""The temporal "don't care" value '-' (R QCA's RS data, Ragin & Strand 2008) beyond the reference files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _ref import load_dataset

from analysis.errors import InputError
from analysis.qca.minimize import _term_memberships, cover_matrix, minimize
from analysis.qca.truthtable import row_configs, truth_table

RS = ["P", "E", "A", "EBA", "S"]


def test_rs_rows_print_dash_and_expand() -> None:
    tt = truth_table(load_dataset("RS"), "REC")
    assert tt.temporal and tt.table_levels == (2, 2, 2, 3, 2) and tt.noflevels == (2, 2, 2, 2, 2)
    line5 = next(ln for ln in tt.summary().splitlines() if ln.startswith(" 5 "))
    assert line5.split()[:6] == ["5", "0", "0", "0", "-", "0"]
    assert tt.to_dict()["rows"][0]["config"] == [0, 0, 0, "-", 0]
    assert tt.minimization_codes([42, 5]) == [24, -1]
    assert tt.expansions([42]) == {26, 28}         # (1,1,0,-,1) = (1,1,0,0,1), (1,1,0,1,1)


def test_dash_case_is_in_neither_literal() -> None:
    tt = truth_table(load_dataset("RS"), "REC")
    dash = tt.dont_care[:, RS.index("EBA")]
    for v in (0, 1):
        term = tuple(v if c == "EBA" else -1 for c in RS)
        assert np.all(_term_memberships(tt, term)[dash] == 0)
    assert _term_memberships(tt, (1, 1, -1, -1, 1))[list(tt.case_names).index("6")] == 1


def test_rs_parsimonious_covers_positive_and_no_negative_expansion() -> None:
    tt = truth_table(load_dataset("RS"), "REC")
    sol = minimize(tt, include="?")
    assert sol.columns == [14, 24, 30, 31, 32]
    for m in sol.models:
        terms = np.array(m.terms)
        assert cover_matrix(terms, tt.row_config(tt.positive_rows)).any(axis=0).all()
        neg = row_configs(sorted(tt.expansions(tt.negative_rows)), tt.noflevels)
        assert not cover_matrix(terms, neg).any()


def test_dash_row_clashing_with_negative_row_is_an_error() -> None:
    d = pd.DataFrame({"A": [1, 1, 0], "B": ["-", "0", "1"], "Y": [1, 0, 0]})
    with pytest.raises(InputError, match="'-' value"):
        minimize(truth_table(d, "Y"))


def test_bad_value_still_named() -> None:
    d = pd.DataFrame({"A": [1, 1], "B": ["-", "x"], "Y": [1, 0]})
    with pytest.raises(InputError, match=r"row 3, column 'B'"):
        truth_table(d, "Y")
