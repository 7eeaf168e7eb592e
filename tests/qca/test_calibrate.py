"""Calibration against R QCA 3.25 (tests/data/qca/reference/calibrate_*.json) and properties."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _ref import REFERENCE_DIR, load_reference, reference_files
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import InputError
from analysis.qca.calibrate import (
    anchors_from_percentiles,
    calibrate,
    calibrate_crisp,
    calibrate_logistic,
    calibrate_table,
    crossover_cases,
    parse_thresholds,
    skewness_check,
)

CALIBRATE_FILES = reference_files("calibrate")


def _r_call_to_kwargs(call: str) -> dict:
    """Translate the R call recorded in a reference file into keyword arguments."""
    body = call[call.index("(") + 1: call.rindex(")")]
    assert body.startswith("x")  # the recorded calls all calibrate `x`
    kwargs: dict = {}
    m = re.search(r'thresholds = "([^"]*)"', body)
    if m:
        kwargs["thresholds"] = m.group(1)
    m = re.search(r"thresholds = c\(([^)]*)\)", body)
    if m:
        kwargs["thresholds"] = [float(v) for v in m.group(1).split(",")]
    m = re.search(r"thresholds = ([0-9.]+)", body)
    if m:
        kwargs["thresholds"] = float(m.group(1))
    for key in ("type", "method"):
        m = re.search(key + r' = "([^"]*)"', body)
        if m:
            kwargs[key] = m.group(1)
    for key in ("below", "above", "idm"):
        m = re.search(key + r" = ([0-9.]+)", body)
        if m:
            kwargs[key] = float(m.group(1))
    if "logistic = FALSE" in body:
        kwargs["logistic"] = False
    if "ecdf = TRUE" in body:
        kwargs["ecdf"] = True
    return kwargs


def test_every_calibrate_reference_is_listed():
    on_disk = sorted(p.name for p in REFERENCE_DIR.glob("calibrate_*.json"))
    assert sorted(CALIBRATE_FILES) == on_disk and len(on_disk) == 34


@pytest.mark.parametrize("file", CALIBRATE_FILES)
def test_calibrate_matches_r(file):
    ref = load_reference(file)
    kwargs = _r_call_to_kwargs(ref["call"])
    got = calibrate(ref["x"], **kwargs)
    want = np.asarray(ref["result"], dtype=float)
    # indirect's reference is rounded to 6 decimals by the oracle
    tol = 2e-6 if "indirect" in file else 1e-6
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)
    # R's 1e-4 rounding of the ends: exact zeros and ones where R has them
    np.testing.assert_array_equal(got == 0, want == 0)
    np.testing.assert_array_equal(got == 1, want == 1)


def test_call_translation_reads_the_arguments():
    assert _r_call_to_kwargs('calibrate(x, thresholds = "e=155, c=175, i=195", logistic = FALSE, '
                             "below = 3.5, above = 3.5)") == {
        "thresholds": "e=155, c=175, i=195", "logistic": False, "below": 3.5, "above": 3.5}
    assert _r_call_to_kwargs('calibrate(x, type = "crisp", thresholds = c(170, 180))') == {
        "thresholds": [170.0, 180.0], "type": "crisp"}


# ---------------------------------------------------------------- known answers

def test_anchor_forms_agree():
    x = np.linspace(150, 200, 11)
    a = calibrate(x, "e=165, c=175, i=185")
    np.testing.assert_array_equal(a, calibrate(x, {"c": 175, "i": 185, "e": 165}))
    np.testing.assert_array_equal(a, calibrate(x, [165, 175, 185]))
    np.testing.assert_array_equal(a, calibrate(x, "i=185, e=165, c=175"))


def test_anchors_give_idm():
    m = calibrate_logistic([165, 175, 185], 165, 175, 185, idm=0.99)
    np.testing.assert_allclose(m, [0.01, 0.5, 0.99], atol=1e-12)


def test_ends_are_rounded_like_r():
    m = calibrate([100, 175, 250], "e=165, c=175, i=185")
    assert m.tolist() == [0.0, 0.5, 1.0]


def test_crisp_multivalue_and_edges():
    assert calibrate_crisp([1, 2, 3, 4, 5], [2, 4]).tolist() == [0, 1, 1, 2, 2]
    assert calibrate_crisp([1, 5], 5).tolist() == [0, 1]


def test_percentile_anchors_match_r_quantile_type7():
    x = [1, 2, 3, 4, 10]
    # R: quantile(c(1,2,3,4,10), c(.05,.5,.95)) = 1.2, 3, 8.8
    assert anchors_from_percentiles(x, (5, 50, 95)) == pytest.approx({"e": 1.2, "c": 3.0, "i": 8.8})
    dec = anchors_from_percentiles(x, (95, 50, 5))
    assert dec["e"] > dec["c"] > dec["i"]
    m = calibrate(x, percentiles=(5, 50, 95))
    np.testing.assert_allclose(m, calibrate(x, "e=1.2, c=3, i=8.8"))


def test_crossover_cases_lists_exact_halves():
    df = pd.DataFrame({"A": [0.5, 0.51, 0.2], "B": [0.1, 0.5, 0.5]}, index=["p", "q", "r"])
    got = crossover_cases(df)
    assert got.to_dict("records") == [{"case": "p", "set": "A"}, {"case": "q", "set": "B"},
                                      {"case": "r", "set": "B"}]
    assert crossover_cases(df[["A"]].iloc[1:]).empty


def test_skewness_check_flags_outside_band():
    res = skewness_check({"A": [0.9, 0.1, 0.6, 0.2, 0.5], "B": [0.9] * 5, "C": [0.1] * 5})
    assert res.loc["A", "share_above"] == pytest.approx(0.4)
    assert res.loc["A", "at_crossover"] == 1
    assert res["skewed"].tolist() == [False, True, True]
    assert bool(skewness_check({"A": [0.9, 0.1, 0.1, 0.1, 0.1]}, low=0.2)["skewed"].iloc[0]) is False


# ---------------------------------------------------------------- input errors

@pytest.mark.parametrize("thresholds, message", [
    ("e=175, c=165, i=185", "out of order"),
    ([165, 165, 185], "out of order"),
    ("e=165, c=175", "needs 3 anchors"),
    ("e=165, c=175, q=185", "unknown anchor name 'q'"),
    ({"e": 165, "c": 175, "x": 185}, "unknown anchor name 'x'"),
    ({"e": 165, "c": 175, "i1": 185}, "expected the three anchors"),
    ("e=165, 175, i=185", "mixes named and unnamed"),
    ("e=165, c=abc, i=185", "not a number"),
    ("e1=155, c1=165, i1=175, i2=170, c2=185, e2=195", "out of order"),
    ([1, 2, 3, 4], "3 anchors"),
])
def test_bad_thresholds(thresholds, message):
    with pytest.raises(InputError, match=message):
        calibrate([150, 170, 190], thresholds)


def test_bad_data():
    with pytest.raises(InputError, match=r"income: value 'abc' at position 2 is not numeric"):
        calibrate([1, "abc", 3], "e=1, c=2, i=3", name="income")
    with pytest.raises(InputError, match=r"missing value \(NaN\) at position 3"):
        calibrate(pd.Series([1, 2, np.nan]), "e=1, c=2, i=3")
    with pytest.raises(InputError, match=r"income: missing value"):
        calibrate(pd.Series([1.0, np.nan], name="income"), "e=1, c=2, i=3")
    with pytest.raises(InputError, match="no values"):
        calibrate([], "e=1, c=2, i=3")


def test_crisp_threshold_outside_range():
    with pytest.raises(InputError, match=r"threshold\(s\) 200 outside the range of the data \[150, 190\]"):
        calibrate([150, 170, 190], 200, type="crisp")
    with pytest.raises(InputError, match="strictly increasing"):
        calibrate_crisp([150, 170, 190], [180, 160])


def test_bad_options():
    with pytest.raises(InputError, match="idm"):
        calibrate([1, 2, 3], "e=1, c=2, i=3", idm=0.4)
    with pytest.raises(InputError, match="type"):
        calibrate([1, 2, 3], 2, type="fuzy")
    with pytest.raises(InputError, match="either thresholds or percentiles"):
        calibrate([1, 2, 3], "e=1, c=2, i=3", percentiles=(5, 50, 95))
    with pytest.raises(InputError, match="not strictly ordered"):
        anchors_from_percentiles([1, 1, 1, 1, 2], (5, 50, 95))
    with pytest.raises(InputError, match="not positive"):
        calibrate([0, 1, 2], "1", method="indirect")
    assert parse_thresholds([1, 2]) == [1.0, 2.0]


# ---------------------------------------------------------------- properties

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def anchors(draw):
    e = draw(st.floats(-1000, 1000))
    d1 = draw(st.floats(0.01, 500))
    d2 = draw(st.floats(0.01, 500))
    return e, e + d1, e + d1 + d2


@settings(max_examples=60, deadline=None)
@given(anchors(), st.lists(finite, min_size=2, max_size=30), st.sampled_from([True, False]))
def test_calibration_is_monotone_and_bounded(a, xs, logistic):
    e, c, i = a
    x = np.sort(np.asarray(xs))
    up = calibrate(x, [e, c, i], logistic=logistic)
    down = calibrate(x, [i, c, e], logistic=logistic)
    for m in (up, down):
        assert np.all((m >= 0) & (m <= 1))
    assert np.all(np.diff(up) >= -1e-15)
    assert np.all(np.diff(down) <= 1e-15)
    assert calibrate([c], [e, c, i], logistic=logistic)[0] == pytest.approx(0.5, abs=1e-12)
    assert calibrate([c], [i, c, e], logistic=logistic)[0] == pytest.approx(0.5, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=3, max_size=30, unique=True), st.integers(1, 3))
def test_crisp_counts_thresholds_reached(xs, k):
    x = np.asarray(xs)
    th = np.sort(x)[np.linspace(0, len(x) - 1, k).astype(int)]
    th = np.unique(th)
    m = calibrate_crisp(x, th.tolist())
    assert m.min() >= 0 and m.max() == len(th)
    for v, mv in zip(x, m):
        assert mv == int(np.sum(v >= th))


def test_calibrate_table_matches_single_calls_and_names_errors():
    raw = pd.DataFrame({"h": [150.0, 170, 180, 200], "w": [1.0, 2, 3, 4]}, index=list("abcd"))
    out = calibrate_table(raw, {"TALL": {"column": "h", "thresholds": "e=160, c=175, i=190"},
                                "w": {"thresholds": 2.5, "type": "crisp"}})
    assert list(out.columns) == ["TALL", "w"] and list(out.index) == list("abcd")
    np.testing.assert_array_equal(out["TALL"], calibrate(raw["h"], "e=160, c=175, i=190"))
    assert out["w"].tolist() == [0, 0, 1, 1]
    with pytest.raises(InputError, match="set 'X': column 'nope' is not in the data"):
        calibrate_table(raw, {"X": {"column": "nope", "thresholds": 1}})
    bad = raw.assign(h=[150, None, 180, 200])
    with pytest.raises(InputError, match=r"h: missing value \(NaN\) at position 2"):
        calibrate_table(bad, {"TALL": {"column": "h", "thresholds": "e=160, c=175, i=190"}})
