"""CFA against lavaan's one-factor ML fit of the simulated Likert data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.psychometrics import cfa
from analysis.errors import InputError

PSYCH = Path(__file__).resolve().parents[1] / "data" / "psych"
# lavaan std loadings (R_psych_lavaan_reference.txt), i9/i10 reverse keyed
LAVAAN_STD = [0.715, 0.599, 0.629, 0.563, 0.585, 0.575, 0.449, 0.55, 0.609, 0.454]


@pytest.fixture(scope="module")
def keyed() -> pd.DataFrame:
    d = pd.read_csv(PSYCH / "cfa" / "likert.csv")
    return d.assign(i9=6 - d["i9"], i10=6 - d["i10"])


@pytest.fixture(scope="module")
def one_factor(keyed) -> cfa.CFAResult:
    return cfa.fit_cfa(keyed, name="likert")


def test_matches_lavaan_fit(one_factor):
    f = one_factor.fit
    assert one_factor.n == 200 and one_factor.converged
    assert f["chisq"] == pytest.approx(28.086, abs=1e-3)   # N (not N - 1) in the fit function
    assert f["df"] == 35
    assert f["pvalue"] == pytest.approx(0.790, abs=1e-3)
    assert f["cfi"] == pytest.approx(1.000, abs=5e-4)
    assert f["cfi"] <= 1.0                                  # semopy reports 1.0155 uncapped
    assert f["tli"] == pytest.approx(1.020, abs=5e-4)
    assert f["rmsea"] == pytest.approx(0.000, abs=5e-4)
    assert f["srmr"] == pytest.approx(0.034, abs=5e-4)
    assert f["baseline_df"] == 45


def test_matches_lavaan_loadings_and_omega(one_factor):
    std = one_factor.loadings["std_estimate"].to_numpy()
    assert one_factor.loadings["item"].tolist() == [f"i{j}" for j in range(1, 11)]
    np.testing.assert_allclose(std, LAVAAN_STD, atol=1e-3)
    assert one_factor.omega["likert"] == pytest.approx(0.8311698, abs=1e-4)
    assert one_factor.row()["omega_total"] == pytest.approx(0.8312, abs=1e-4)


def test_column_order_does_not_matter(keyed, one_factor):
    """semopy sorts variables alphabetically (i1, i10, i2); results must follow the items."""
    shuffled = keyed[["i10", "i3", "i1", "i7", "i2", "i9", "i4", "i8", "i5", "i6"]]
    res = cfa.fit_cfa(shuffled, name="x")
    assert res.fit["chisq"] == pytest.approx(one_factor.fit["chisq"], abs=1e-4)
    assert res.fit["srmr"] == pytest.approx(one_factor.fit["srmr"], abs=1e-6)
    got = dict(zip(res.loadings["item"], res.loadings["std_estimate"]))
    want = dict(zip(one_factor.loadings["item"], one_factor.loadings["std_estimate"]))
    for item in want:
        assert got[item] == pytest.approx(want[item], abs=1e-3)


def test_fit_unaffected_by_reverse_keying(keyed, one_factor):
    raw = pd.read_csv(PSYCH / "cfa" / "likert.csv")
    res = cfa.fit_cfa(raw)
    assert res.fit["chisq"] == pytest.approx(one_factor.fit["chisq"], abs=1e-3)
    assert res.fit["srmr"] == pytest.approx(one_factor.fit["srmr"], abs=1e-4)


def test_two_factor_structure(keyed):
    struct = {"A": ["i1", "i2", "i3", "i4", "i5"], "B": ["i6", "i7", "i8", "i9", "i10"]}
    res = cfa.fit_cfa(keyed, struct, name="two")
    assert res.fit["df"] == 34                      # one factor covariance more
    assert res.loadings["factor"].tolist() == ["A"] * 5 + ["B"] * 5
    assert set(res.omega) == {"A", "B"}
    assert "2 factors" in res.model_label


def test_fit_index_formulas():
    s = np.array([[1.0, 0.5, 0.4], [0.5, 1.0, 0.3], [0.4, 0.3, 1.0]])
    assert cfa.ml_chisq(s, s, 100) == pytest.approx(0.0, abs=1e-12)
    assert cfa.srmr(s, s) == 0.0
    sig = np.eye(3)
    # SRMR over 6 unique elements: residuals .5, .4, .3 off-diagonal
    assert cfa.srmr(s, sig) == pytest.approx(np.sqrt((0.25 + 0.16 + 0.09) / 6))
    # independence model as the fitted model: chisq equals the baseline chisq
    fi = cfa.fit_indices(s, sig, 100, n_params=3)
    assert fi["chisq"] == pytest.approx(fi["baseline_chisq"])
    assert fi["cfi"] == pytest.approx(0.0)
    assert fi["df"] == 3


def test_rmsea_ci_properties():
    lo, hi = cfa.rmsea_ci(30.0, 35, 200)          # chisq < df: lower bound 0
    assert lo == 0.0 and 0 < hi < 0.05
    # chisq so small that even lambda = 0 leaves < 5% below it: both bounds 0
    assert cfa.rmsea_ci(20.0, 35, 200) == (0.0, 0.0)
    lo, hi = cfa.rmsea_ci(120.0, 35, 200)
    point = np.sqrt((120 - 35) / (35 * 200))
    assert lo < point < hi


def test_small_n_caveat_and_errors(keyed):
    res = cfa.fit_cfa(keyed.iloc[:65], name="small")
    assert res.n == 65
    assert "N = 65" in res.summary() and "little power" in res.summary()
    assert "N = 65" in cfa.N_CAVEAT
    with pytest.raises(InputError, match="at least 2 items"):
        cfa.fit_cfa(keyed, {"A": ["i1"]})
    with pytest.raises(InputError, match="not in the data"):
        cfa.fit_cfa(keyed, {"A": ["i1", "zz"]})
    table = cfa.cfa_table([res])
    assert {"chisq", "df", "cfi", "tli", "rmsea", "srmr", "omega_total"} <= set(table.columns)


def test_unidentified_model_is_refused(keyed):
    with pytest.raises(InputError, match="not identified"):
        cfa.fit_cfa(keyed[["i1", "i2"]])
