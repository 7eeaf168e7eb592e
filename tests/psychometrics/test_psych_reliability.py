"""Reliability and item analysis against R psych 2.2.9 (bfi) and properties."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import psychometrics as P
from analysis.errors import InputError

PSYCH = Path(__file__).resolve().parents[1] / "data" / "psych"


def _reverse_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(PSYCH / "bfi.csv")


@pytest.fixture(scope="module")
def bfi_ref() -> dict:
    return json.loads((PSYCH / "bfi_reliability_reference.json").read_text())["scales"]


@pytest.fixture(scope="module")
def likert() -> pd.DataFrame:
    return pd.read_csv(PSYCH / "cfa" / "likert.csv")


SCALES = ["A", "C", "E", "N", "O"]


@pytest.mark.parametrize("scale", SCALES)
def test_bfi_matches_r_psych(bfi, bfi_ref, scale):
    ref = bfi_ref[scale]
    res = P.reliability(bfi[ref["items"]], scale_min=1, scale_max=6,
                        reverse=_reverse_list(ref["reverse"]), name=scale)
    assert res.n == ref["n"]
    assert res.k == len(ref["items"])
    assert res.alpha == pytest.approx(ref["raw_alpha"], abs=1e-3)
    assert res.std_alpha == pytest.approx(ref["std_alpha"], abs=1e-3)
    assert res.average_r == pytest.approx(ref["average_r"], abs=1e-3)
    assert res.alpha_ci == pytest.approx(tuple(ref["alpha_ci_feldt"]), abs=1e-3)
    assert res.omega_total == pytest.approx(ref["omega_total"], abs=5e-3)
    for item in ref["items"]:
        assert res.items.loc[item, "r_drop"] == pytest.approx(ref["r_drop"][item], abs=1e-3)
        assert res.items.loc[item, "alpha_if_deleted"] == pytest.approx(
            ref["alpha_if_deleted"][item], abs=1e-3)


def test_bfi_matches_r_psych_tightly(bfi, bfi_ref):
    """The reference is rounded to 6 dp; we agree to that precision (omega included)."""
    for scale in SCALES:
        ref = bfi_ref[scale]
        res = P.reliability(bfi[ref["items"]], scale_min=1, scale_max=6,
                            reverse=_reverse_list(ref["reverse"]))
        assert res.alpha == pytest.approx(ref["raw_alpha"], abs=1e-6)
        assert res.omega_total == pytest.approx(ref["omega_total"], abs=1e-5)
        assert res.alpha_ci == pytest.approx(tuple(ref["alpha_ci_feldt"]), abs=1e-6)


def test_feldt_ci_agrees_with_pingouin(bfi):
    data = bfi[["N1", "N2", "N3", "N4", "N5"]].dropna()
    alpha, ci = pg.cronbach_alpha(data)
    lo, hi = P.feldt_ci(alpha, len(data), 5)
    assert (lo, hi) == pytest.approx(tuple(ci), abs=5e-4)  # pingouin rounds to 3 dp
    assert lo < alpha < hi


def test_omega_likert_matches_psych(likert):
    # psych::omega(nfactors = 1) omega.tot = 0.8310701; sign flipping makes the
    # reverse keying of i9/i10 irrelevant.
    assert P.omega_total(likert) == pytest.approx(0.8310701, abs=1e-4)
    keyed = likert.assign(i9=6 - likert["i9"], i10=6 - likert["i10"])
    assert P.omega_total(keyed) == pytest.approx(0.8310701, abs=1e-4)
    assert P.cronbach_alpha(keyed) == pytest.approx(0.8284465, abs=1e-6)


def test_minres_recovers_exact_one_factor_structure():
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.4])
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    got = P.minres_loadings(r, 1)[:, 0]
    np.testing.assert_allclose(got, lam, atol=1e-5)
    # omega of an exact one-factor correlation matrix: (sum l)^2 / sum(R)
    assert 1 - (1 - lam ** 2).sum() / r.sum() == pytest.approx((lam.sum()) ** 2 / r.sum())


def test_item_analysis_known_answer():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 4], "b": [1, 3, 3, 4, 4], "c": [2, 2, 3, 3, 4]})
    ia = P.item_analysis(df, scale_min=1, scale_max=4)
    assert ia.loc["a", "mean"] == pytest.approx(2.8)
    assert ia.loc["a", "sd"] == pytest.approx(np.std([1, 2, 3, 4, 4], ddof=1))
    assert ia.loc["a", "floor_pct"] == pytest.approx(20.0)
    assert ia.loc["a", "ceiling_pct"] == pytest.approx(40.0)
    rest = df["b"] + df["c"]
    assert ia.loc["a", "r_drop"] == pytest.approx(np.corrcoef(df["a"], rest)[0, 1])
    assert ia.loc["a", "alpha_if_deleted"] == pytest.approx(
        pg.cronbach_alpha(df[["b", "c"]])[0])


def test_listwise_deletion(bfi):
    items = ["A1", "A2", "A3"]
    res = P.reliability(bfi[items])
    assert res.n == len(bfi[items].dropna())
    assert res.alpha == pytest.approx(P.cronbach_alpha(bfi[items].dropna()))


def test_reliability_errors():
    df = pd.DataFrame({"a": [1, 2, 3], "b": [2, 3, 4], "t": ["x", "y", "z"]})
    with pytest.raises(InputError, match="at least 2 items"):
        P.reliability(df[["a"]])
    with pytest.raises(InputError, match="not numeric"):
        P.reliability(df)
    with pytest.raises(InputError, match="not among the items"):
        P.reliability(df[["a", "b"]], scale_min=1, scale_max=4, reverse=["z"])
    with pytest.raises(InputError, match="needs scale_min"):
        P.reliability(df[["a", "b"]], reverse=["a"])


def test_summary_and_dict(bfi, bfi_ref):
    ref = bfi_ref["E"]
    res = P.reliability(bfi[ref["items"]], scale_min=1, scale_max=6, reverse=["E1", "E2"],
                        name="E")
    text = res.summary()
    assert "n = 2713" in text and "0.761" in text and "E1, E2" in text
    d = res.to_dict()
    assert set(d) == {"n", "alpha", "alpha_ci", "std_alpha", "omega_total", "items"}
    assert set(d["items"]["E3"]) == {"r_drop", "alpha_if_deleted"}


# ---------------------------------------------------------------- properties

@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), perm=st.permutations(range(5)))
def test_alpha_independent_of_item_order(seed, perm):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=40)
    df = pd.DataFrame({f"i{j}": np.round(f + rng.normal(size=40)) for j in range(5)})
    cols = [f"i{j}" for j in perm]
    assert P.cronbach_alpha(df[cols]) == pytest.approx(P.cronbach_alpha(df), abs=1e-12)
    assert P.standardized_alpha(df[cols]) == pytest.approx(P.standardized_alpha(df), abs=1e-12)
    assert P.omega_total(df[cols]) == pytest.approx(P.omega_total(df), abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(lo=st.integers(-3, 3), width=st.integers(1, 10),
       xs=st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_reverse_key_twice_is_identity(lo, width, xs):
    hi = lo + width
    x = lo + np.array(xs) * width
    np.testing.assert_allclose(P.reverse_key(P.reverse_key(x, lo, hi), lo, hi), x, atol=1e-12)
    rev = P.reverse_key(x, lo, hi)
    assert np.all((rev >= lo - 1e-12) & (rev <= hi + 1e-12))


@settings(max_examples=50, deadline=None)
@given(data=st.lists(st.lists(st.integers(1, 5), min_size=4, max_size=4), min_size=1,
                     max_size=15), max_missing=st.integers(0, 3))
def test_prorated_equals_plain_when_complete(data, max_missing):
    df = pd.DataFrame(data, columns=["a", "b", "c", "d"]).astype(float)
    np.testing.assert_allclose(P.prorated_score(df, "mean", max_missing), df.mean(axis=1))
    np.testing.assert_allclose(P.prorated_score(df, "sum", max_missing), df.sum(axis=1))


def test_omega_undefined_for_two_items(bfi):
    assert np.isnan(P.omega_total(bfi[["A2", "A3"]]))
    res = P.reliability(bfi[["A2", "A3"]])
    assert np.isnan(res.omega_total) and res.alpha > 0
