"""Stage 02 end to end on a small simulated staff table: outputs, columns, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.codebook import all_codebooks
from analysis.io import read_json, sha256_file
from analysis.stages import psychometrics as S


def _staff(seed: int = 11, n: int = 65) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    df = pd.DataFrame({"staff_id": [f"S{i:03d}" for i in range(n)]})
    cbs = all_codebooks()
    for cid in ("gse", "iis", "rpq"):
        cb = cbs[cid]
        lo, hi = cb.response_min, cb.response_max
        for item in cb.items:
            sign = -1 if item in cb.reverse_keyed else 1
            x = (lo + hi) / 2 + sign * 0.9 * f + rng.normal(size=n)
            df[item] = np.clip(np.round(x), lo, hi)
    df.loc[3, "gse_02"] = np.nan       # prorated
    df.loc[4, ["rpq_01", "rpq_02", "rpq_03", "rpq_04", "rpq_05"]] = np.nan  # 5 > 4: NaN
    return df


@pytest.fixture(scope="module")
def stage():
    return S.run(_staff(), all_codebooks())


def test_scores_columns_and_values(stage):
    s = stage.scores
    assert list(s.columns) == ["staff_id", "gse", "iis", "iis_category", "rpq",
                               "rpq_reflection_in_action", "rpq_reflection_on_action",
                               "rpq_reflection_with_others", "rpq_self_appraisal", "sbw"]
    assert s["gse"].between(10, 40).all() and s["iis"].between(14, 94).all()
    assert np.isnan(s.loc[4, "rpq"]) and np.isnan(s.loc[4, "sbw"])
    assert not np.isnan(s.loc[3, "gse"])
    assert s["iis_category"].isin(["Laggards", "Late majority", "Early majority",
                                   "Early adopters", "Innovators"]).all()


def test_tables(stage):
    t1 = stage.table1
    assert t1["scale"].tolist()[:3] == ["gse", "iis", "rpq"]
    assert (t1.set_index("scale").loc[["gse", "iis", "rpq"], "alpha"] > 0.6).all()
    assert t1.set_index("scale").loc["gse", "published_alpha"] == 0.86
    assert set(stage.items["scale"]) >= {"gse", "iis", "rpq", "rpq_self_appraisal"}
    assert len(stage.items[stage.items["scale"] == "iis"]) == 20
    assert stage.cfa_fit["model"].tolist() == ["one factor"] * 3 + [
        "4 factors: RIA, ROA, RWO, SA"]
    assert (stage.cfa_fit["cfi"] <= 1).all()
    assert len(stage.correlations) == 6  # gse, iis, rpq, sbw: 4 choose 2
    assert "POMP(rpq) = 100 * (rpq - 1) / (6 - 1)" in stage.sbw_definition
    assert "POMP(gse) = 100 * (gse - 10) / (40 - 10)" in stage.sbw_definition


def test_outputs_deterministic(tmp_path, stage):
    a = S.write(stage, {"processed": tmp_path / "a" / "processed", "results": tmp_path / "a" / "results"})
    again = S.run(_staff(), all_codebooks())
    b = S.write(again, {"processed": tmp_path / "b" / "processed", "results": tmp_path / "b" / "results"})
    assert [p.name for p in a] == [p.name for p in b]
    assert [sha256_file(p) for p in a] == [sha256_file(p) for p in b]
    js = read_json(tmp_path / "a" / "results" / "psychometrics" / "psychometrics.json")
    assert {"table1", "item_analysis", "interscale_correlations", "cfa_fit",
            "cfa_loadings", "sbw_definition", "cfa_caveat"} <= set(js)
    scores = pd.read_csv(tmp_path / "a" / "processed" / "scores.csv")
    assert scores["staff_id"].tolist() == stage.scores["staff_id"].tolist()
