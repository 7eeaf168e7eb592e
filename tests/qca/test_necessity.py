"""Necessity (pof, superSubset) against R QCA 3.25 (tests/data/qca/reference/) and properties."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _ref import load_dataset, load_reference, reference_files
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import InputError
from analysis.qca.necessity import (
    coverage_necessity,
    inclusion_necessity,
    necessity,
    necessity_fit,
    relevance_necessity,
    super_subset,
)

POF_FILES = reference_files("pof/necessity")
SUPERSUBSET_FILES = reference_files("superSubset")


def _run_r_call(call: str):
    """Evaluate one recorded R call with our functions (the few forms INDEX.json uses)."""
    m = re.fullmatch(r'pof\("(.+) <- (\w+)", data = (\w+)\)', call)
    if m:
        return necessity(load_dataset(m.group(3)), m.group(2), expression=m.group(1))
    m = re.fullmatch(r"pof\((1 - )?(\w+)\[, 1:(\d)\], (1 - )?\w+\$(\w+)\)", call)
    if m:
        data = load_dataset(m.group(2))
        conds = list(data.columns[: int(m.group(3))])
        outcome = ("~" if m.group(4) else "") + m.group(5)
        return necessity(data, outcome, conds, negate_conditions=bool(m.group(1)))
    m = re.fullmatch(r'superSubset\((\w+), (?:outcome = )?"(~?\w+)"(.*)\)', call)
    if m:
        kwargs = {}
        for key, val in re.findall(r"(incl\.cut|cov\.cut) = ([0-9.]+)", m.group(3)):
            kwargs[key.replace(".", "_")] = float(val)
        return super_subset(load_dataset(m.group(1)), m.group(2), **kwargs)
    raise AssertionError(f"call not understood: {call}")


def test_reference_files_are_found():
    assert len(POF_FILES) == 11
    assert len(SUPERSUBSET_FILES) == 5


@pytest.mark.parametrize("file", POF_FILES + SUPERSUBSET_FILES)
def test_matches_r(file):
    ref = load_reference(file)
    res = _run_r_call(ref["call"])
    want = pd.DataFrame(ref["rows"]).set_index("term")
    assert list(res.table.index) == list(want.index)
    for col in ("inclN", "RoN", "covN"):
        np.testing.assert_allclose(res.table[col].to_numpy(float), want[col].to_numpy(float),
                                   rtol=0, atol=1e-9, err_msg=col)
    # R's printed table, line by line
    assert res.summary().split("\n") == ref["printed"]


def test_necessary_flag_and_export():
    res = necessity(load_dataset("LF"), "SURV", ["DEV", "URB", "LIT", "IND", "STB"])
    assert res.table["necessary"].tolist() == [False, False, True, False, True]
    assert list(res.to_frame().columns) == ["term", "inclN", "RoN", "covN", "necessary"]
    assert res.memberships.shape == (18, 5)
    strict = necessity(load_dataset("LF"), "SURV", "DEV,LIT", incl_threshold=0.95)
    assert strict.table["necessary"].tolist() == [False, True]


def test_super_subset_cuts_and_depth():
    lf = load_dataset("LF")
    full = super_subset(lf, "SURV", incl_cut=0.9, cov_cut=0.6)
    shallow = super_subset(lf, "SURV", incl_cut=0.9, cov_cut=0.6, depth=2)
    assert list(shallow.table.index) == ["LIT", "STB", "LIT*STB"]
    ron = super_subset(lf, "SURV", incl_cut=0.9, cov_cut=0.6, ron_cut=0.7)
    assert list(ron.table.index) == ["LIT*STB", "DEV + URB + IND"]
    assert ron.memberships.shape[1] == 2
    assert set(ron.table.index) < set(full.table.index)


def test_negated_outcome_equals_neg_out():
    cvf = load_dataset("CVF")
    a = super_subset(cvf, "~PROTEST", incl_cut=0.9, cov_cut=0.6)
    b = super_subset(cvf, "PROTEST", incl_cut=0.9, cov_cut=0.6, neg_out=True)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.outcome == "~PROTEST"


def test_multivalue_conditions_in_pof():
    res = necessity(load_dataset("LM"), "SURV", ["DEV", "URB"])
    assert list(res.table.index) == ["DEV[0]", "DEV[1]", "DEV[2]", "URB[0]", "URB[1]"]


# ---------------------------------------------------------------- input errors

def test_input_errors():
    lf = load_dataset("LF")
    with pytest.raises(InputError, match="outcome 'SURVIVAL' is not a column"):
        necessity(lf, "SURVIVAL")
    with pytest.raises(InputError, match="condition 'XYZ' is not a column"):
        super_subset(lf, "SURV", ["DEV", "XYZ"])
    with pytest.raises(InputError, match="unknown condition 'XYZ'"):
        necessity(lf, "SURV", expression="DEV + XYZ")
    bad = lf.copy()
    bad["SURV"] = bad["SURV"].astype(object)
    bad.iloc[2, bad.columns.get_loc("SURV")] = "high"
    with pytest.raises(InputError, match=r"row 4, column 'SURV': outcome value not numeric \('high'\)"):
        necessity(bad, "SURV")
    bad = lf.copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(InputError, match=r"row 2, column 'DEV': value missing"):
        super_subset(bad, "SURV")
    bad = lf.copy()
    bad.iloc[1, 5] = 1.3
    with pytest.raises(InputError, match=r"row 3, column 'SURV': outcome value 1.3 is outside"):
        necessity(bad, "SURV")
    with pytest.raises(InputError, match="incl_cut"):
        super_subset(lf, "SURV", incl_cut=1.5)
    with pytest.raises(InputError, match="max_candidates"):
        super_subset(lf, "SURV", max_candidates=100)
    with pytest.raises(InputError, match="different lengths"):
        inclusion_necessity([0.1, 0.2], [0.3])
    with pytest.raises(InputError, match="outside"):
        coverage_necessity([0.1, 1.2], [0.3, 0.4])


# ---------------------------------------------------------------- known answers and properties

def test_formulas_on_a_small_example():
    x, y = np.array([0.9, 0.6, 0.2]), np.array([0.8, 0.2, 0.4])
    assert inclusion_necessity(x, y) == pytest.approx((0.8 + 0.2 + 0.2) / 1.4)
    assert coverage_necessity(x, y) == pytest.approx(1.2 / 1.7)
    assert relevance_necessity(x, y) == pytest.approx((0.1 + 0.4 + 0.8) / (0.2 + 0.8 + 0.8))
    assert np.isnan(inclusion_necessity([0.5], [0.0]))


unit = st.floats(0, 1, allow_nan=False)


@st.composite
def xy(draw):
    n = draw(st.integers(2, 20))
    x = np.array(draw(st.lists(unit, min_size=n, max_size=n)))
    z = np.array(draw(st.lists(unit, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(unit, min_size=n, max_size=n)))
    return x, z, y


def _incl_suf(x, y):
    return np.minimum(x, y).sum() / x.sum()


@settings(max_examples=100, deadline=None)
@given(xy())
def test_inclN_of_x_for_y_is_inclS_of_y_for_x(d):
    x, _, y = d
    if y.sum() > 0:
        assert inclusion_necessity(x, y) == pytest.approx(_incl_suf(y, x))
        assert coverage_necessity(y, x) == pytest.approx(_incl_suf(y, x)) or x.sum() == 0


@settings(max_examples=100, deadline=None)
@given(xy())
def test_conjunction_is_never_more_necessary_than_its_parts(d):
    x, z, y = d
    if y.sum() > 0:
        both = np.minimum(x, z)
        either = np.maximum(x, z)
        assert inclusion_necessity(x, y) >= inclusion_necessity(both, y) - 1e-12
        assert inclusion_necessity(either, y) >= inclusion_necessity(x, y) - 1e-12
        fit = necessity_fit(x, y)
        assert all(0 <= v <= 1 for v in fit.values() if not np.isnan(v))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.7, 0.8, 0.9]))
def test_super_subset_rows_meet_the_cuts_and_disjunctions_are_minimal(seed, cut):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(rng.integers(0, 11, size=(15, 4)) / 10, columns=["A", "B", "C", "Y"])
    try:
        res = super_subset(d, "Y", incl_cut=cut, cov_cut=0.3)
    except InputError:
        return
    t = res.table
    assert (t["inclN"] >= cut - 1e-8).all() and (t["covN"] >= 0.3 - 1e-8).all()
    assert len(set(t.index)) == len(t.index)
    y = d["Y"].to_numpy()
    literal_sets = {}
    for name in t.index:
        joiner = " + " if " + " in name else "*"
        lits = frozenset(name.split(joiner))
        literal_sets[name] = (joiner, lits)
        for part in lits:
            assert part.lstrip("~") in ("A", "B", "C")
    for name, (joiner, lits) in literal_sets.items():
        if joiner == "*":
            continue
        # a listed disjunction contains no smaller listed conjunction or disjunction
        for other, (_, olits) in literal_sets.items():
            assert not (olits < lits), (name, other)
        # and its memberships are the max of its literals'
        x = np.max([1 - d[p[1:]].to_numpy() if p.startswith("~") else d[p].to_numpy()
                    for p in lits], axis=0)
        np.testing.assert_allclose(res.memberships[name].to_numpy(), x)
        assert inclusion_necessity(x, y) == pytest.approx(t.loc[name, "inclN"])


def test_disjunction_kept_when_its_literal_fails_only_coverage():
    # A: inclN 0.9 but covN 0.643 < 0.65, so A is not listed and A + B (covN 0.667) is
    # (R's C code checks redundancy against listed rows, which passed both cut-offs).
    d = pd.DataFrame({"A": [1, 0.8, 1], "B": [0, 1, 0], "Y": [1, 1, 0]})
    res = super_subset(d, "Y", incl_cut=0.9, cov_cut=0.65)
    assert "A" not in res.table.index
    assert "A + B" in res.table.index
    assert res.table.loc["A + B", "covN"] == pytest.approx(2 / 3)
    assert "A + B" not in super_subset(d, "Y", incl_cut=0.9, cov_cut=0.6).table.index
    none = super_subset(d, "Y", incl_cut=1.0, cov_cut=0.99)
    assert none.table.empty and none.memberships.shape == (3, 0)
    assert "There are no configurations" in none.summary()
