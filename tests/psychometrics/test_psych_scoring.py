"""Codebook-driven scoring: reverse keys, prorating, IIS formula and categories, SBW."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import psychometrics as P
from analysis.errors import InputError

# A small codebook in the YAML contract's shape (dict form).
MINI = {
    "id": "abc",
    "items": ["abc_01", "abc_02", "abc_03", "abc_04"],
    "response": {"min": 1, "max": 4},
    "reverse_keyed": ["abc_04"],
    "subscales": {"first": ["abc_01", "abc_02"], "second": ["abc_03", "abc_04"]},
    "scoring": {"rule": "sum", "range": [4, 16]},
    "max_missing": 2,
    "categories": [],
}
FORMULA = {
    "id": "ff",
    "items": ["ff_01", "ff_02", "ff_03"],
    "response": {"min": 1, "max": 5},
    "reverse_keyed": ["ff_03"],
    "subscales": {},
    "scoring": {"rule": "formula", "constant": 10, "plus": ["ff_01", "ff_02"],
                "minus": ["ff_03"], "range": [7, 19]},
    "max_missing": 1,
    "categories": [{"label": "low", "min": 7, "max": 12}, {"label": "high", "min": 13, "max": 19}],
}
COMPOSITE = {
    "id": "cmp", "items": [], "response": {"min": 0, "max": 100}, "reverse_keyed": [],
    "subscales": {}, "scoring": {"rule": "composite", "components": ["abc", "ff"],
                                 "transform": "pomp", "combine": "mean", "range": [0, 100]},
    "max_missing": 0, "categories": [],
}


def test_reverse_key_known():
    assert P.reverse_key(1, 1, 4) == 4
    assert P.reverse_key(pd.Series([1.0, np.nan, 3.0]), 1, 4).tolist()[0::2] == [4.0, 2.0]
    with pytest.raises(InputError):
        P.reverse_key(1, 4, 1)


def test_prorated_score_rules():
    df = pd.DataFrame({"a": [1, 1, np.nan, np.nan], "b": [2, np.nan, np.nan, np.nan],
                       "c": [3, 3, 3, np.nan]})
    assert P.prorated_score(df, "sum", 1).tolist()[:2] == [6.0, 6.0]
    assert np.isnan(P.prorated_score(df, "sum", 1).iloc[2])        # 2 missing > 1
    assert P.prorated_score(df, "sum", 2).iloc[2] == 9.0           # 3 * 3
    assert np.isnan(P.prorated_score(df, "sum", 3).iloc[3])        # nothing answered
    assert P.prorated_score(df, "mean", 1).tolist()[:2] == [2.0, 2.0]
    with pytest.raises(InputError):
        P.prorated_score(df, "median", 1)


def test_score_scale_sum_with_reverse_and_subscales():
    df = pd.DataFrame({"abc_01": [4, 4, np.nan], "abc_02": [3, np.nan, np.nan],
                       "abc_03": [2, 2, np.nan], "abc_04": [1, 1, 1]})
    out = P.score_scale(df, MINI)
    # row 1: 4 + 3 + 2 + (5 - 1) = 13
    assert out.loc[0, "abc"] == 13.0
    # row 2: answered 4, 2, 4 -> mean 10/3 * 4
    assert out.loc[1, "abc"] == pytest.approx(40 / 3)
    # row 3: 3 missing > max_missing 2
    assert np.isnan(out.loc[2, "abc"])
    # subscales: max_missing scaled to 2 items -> floor(2 * 2 / 4) = 1
    assert out.loc[0, "abc_first"] == 7.0 and out.loc[0, "abc_second"] == 6.0
    assert out.loc[1, "abc_first"] == 8.0
    assert np.isnan(out.loc[2, "abc_first"]) and out.loc[2, "abc_second"] == 8.0


def test_formula_score_and_categories():
    df = pd.DataFrame({"ff_01": [5, 1, 5, np.nan], "ff_02": [5, 1, np.nan, np.nan],
                       "ff_03": [1, 5, 1, 3]})
    out = P.score_scale(df, FORMULA)
    assert out["ff"].tolist()[:3] == [19.0, 7.0, 19.0]      # raw answers, not reverse keyed
    assert np.isnan(out.loc[3, "ff"])
    assert out["ff_category"].tolist()[:3] == ["high", "low", "high"]
    assert pd.isna(out.loc[3, "ff_category"])


def test_formula_prorates_each_part():
    raw = pd.DataFrame({"p1": [4.0], "p2": [np.nan], "p3": [2.0], "m1": [1.0], "m2": [np.nan]})
    got = P.formula_score(raw, 42, ["p1", "p2", "p3"], ["m1", "m2"], max_missing=2)
    assert got.iloc[0] == pytest.approx(42 + 3 * 3 - 2 * 1)


def test_iis_with_real_codebook():
    from analysis.codebook import load_codebook

    iis = load_codebook("iis")
    cols = list(iis.items)
    lo, hi = iis.score_range
    all1 = pd.DataFrame([[1] * 20, [5] * 20, [3] * 20], columns=cols)
    scores = P.score_scale(all1, iis)["iis"].tolist()
    assert scores == [42 + 12 - 8 * 1, 42 + 60 - 40, 42 + 36 - 24]
    best = pd.DataFrame([[5 if c in iis.scoring["plus"] else 1 for c in cols]], columns=cols)
    worst = pd.DataFrame([[1 if c in iis.scoring["plus"] else 5 for c in cols]], columns=cols)
    assert P.score_scale(best, iis)["iis"].iloc[0] == hi
    assert P.score_scale(worst, iis)["iis"].iloc[0] == lo
    # the published formula equals the reverse-keyed sum minus 6 (codebook comment)
    rng = np.random.default_rng(3)
    resp = pd.DataFrame(rng.integers(1, 6, size=(30, 20)), columns=cols)
    keyed = P.scale_item_frame(resp, iis, reverse=True)
    np.testing.assert_allclose(P.score_scale(resp, iis)["iis"], keyed.sum(axis=1) - 6)


@pytest.mark.parametrize("score", [14, 45, 45.5, 46, 56.9, 57, 68, 69, 80, 80.5, 81, 94])
def test_adopter_category_agrees_with_codebook(score):
    from analysis.codebook import load_codebook

    iis = load_codebook("iis")
    got = P.adopter_category(pd.Series([float(score)]), iis.categories).iloc[0]
    assert got == iis.category_of(score)


def test_adopter_category_boundaries():
    from analysis.codebook import load_codebook

    cats = load_codebook("iis").categories
    s = pd.Series([45.0, 46.0, 80.0, 80.5, 81.0])
    assert P.adopter_category(s, cats).tolist() == [
        "Laggards", "Late majority", "Early adopters", "Early adopters", "Innovators"]
    with pytest.raises(InputError, match="outside"):
        P.adopter_category(pd.Series([100.0]), cats)


def test_pomp_and_composite():
    assert P.pomp(10, 10, 40) == 0 and P.pomp(40, 10, 40) == 100
    df = pd.DataFrame({"staff_id": ["a", "b", "c"],
                       "abc_01": [4, 1, 1], "abc_02": [4, 1, 1], "abc_03": [4, 1, np.nan],
                       "abc_04": [1, 4, 4],
                       "ff_01": [5, 1, np.nan], "ff_02": [5, 1, np.nan], "ff_03": [1, 5, 5]})
    out = P.score_all(df, [MINI, FORMULA, COMPOSITE])
    assert out["staff_id"].tolist() == ["a", "b", "c"]
    assert out["abc"].tolist()[:2] == [16.0, 4.0]
    assert out["cmp"].tolist()[:2] == [100.0, 0.0]
    assert np.isnan(out.loc[2, "cmp"])  # ff missing (2 > max_missing 1) -> composite missing
    # a middle case: abc 10 -> POMP 50; ff 13 -> POMP 50
    mid = pd.DataFrame({"abc_01": [2], "abc_02": [3], "abc_03": [2], "abc_04": [2],
                        "ff_01": [3], "ff_02": [3], "ff_03": [3]})
    res = P.score_all(mid, {"abc": MINI, "ff": FORMULA, "cmp": COMPOSITE})
    assert res.loc[0, "abc"] == 10.0 and res.loc[0, "ff"] == 13.0
    assert res.loc[0, "cmp"] == pytest.approx(50.0)


def test_score_all_with_real_codebooks():
    from analysis.codebook import all_codebooks

    cbs = all_codebooks()
    rng = np.random.default_rng(7)
    cols = {}
    for cid, k, hi in (("gse", 10, 4), ("iis", 20, 5), ("rpq", 16, 6)):
        for j in range(1, k + 1):
            cols[f"{cid}_{j:02d}"] = rng.integers(1, hi + 1, size=12).astype(float)
    df = pd.DataFrame({"staff_id": [f"S{i:02d}" for i in range(12)], **cols})
    out = P.score_all(df, cbs)
    assert list(out.columns[:5]) == ["staff_id", "gse", "iis", "iis_category", "rpq"]
    assert {"rpq_reflection_in_action", "rpq_self_appraisal", "sbw"} <= set(out.columns)
    gse_pomp = 100 * (df[[f"gse_{j:02d}" for j in range(1, 11)]].sum(axis=1) - 10) / 30
    rpq_pomp = 100 * (df[[f"rpq_{j:02d}" for j in range(1, 17)]].mean(axis=1) - 1) / 5
    np.testing.assert_allclose(out["sbw"], (gse_pomp + rpq_pomp) / 2)
    assert out["sbw"].between(0, 100).all()


def test_score_all_accepts_nullable_integer_items_with_missing_answers():
    """prepare_staff() returns items as pandas' nullable Int64: scoring must not trip on <NA>."""
    from analysis.codebook import all_codebooks

    cbs = all_codebooks()
    rng = np.random.default_rng(8)
    cols = {}
    for cid, k, hi in (("gse", 10, 4), ("iis", 20, 5), ("rpq", 16, 6)):
        for j in range(1, k + 1):
            cols[f"{cid}_{j:02d}"] = pd.array(rng.integers(1, hi + 1, size=6), dtype="Int64")
    df = pd.DataFrame({"staff_id": [f"S{i:02d}" for i in range(6)], **cols})
    df.loc[2, "gse_03"] = pd.NA
    as_float = df.astype({c: float for c in cols})
    pd.testing.assert_frame_equal(P.score_all(df, cbs), P.score_all(as_float, cbs))


def test_scoring_errors_name_row_and_column():
    df = pd.DataFrame({"abc_01": [1, 2], "abc_02": [1, 7], "abc_03": [1, 1], "abc_04": [1, 1]})
    with pytest.raises(InputError, match=r"staff\.csv, row 3, column 'abc_02'.*7"):
        P.score_scale(df, MINI, file="staff.csv")
    with pytest.raises(InputError, match="not found"):
        P.score_scale(df.drop(columns="abc_03"), MINI)
    with pytest.raises(InputError, match="cannot be scored"):
        P.score_scale(df, {**MINI, "scoring": {"rule": "median"}})
