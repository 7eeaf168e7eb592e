"""Stage 02 records its own claims: alpha, its CI, omega, correlations and Table 1, labelled for the paper."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.claims import ClaimRecorder, decode_value
from analysis.codebook import all_codebooks
from analysis.io import read_json
from analysis.stages import psychometrics as S

from test_psych_stage import _staff


@pytest.fixture(scope="module")
def stage():
    return S.run(_staff(), all_codebooks())


def test_values_are_cells_of_the_stage_tables(stage):
    vals = {k: v for k, (v, _) in S.claim_values(stage).items()}
    t1 = stage.table1.set_index("scale")
    for s in ("rpq", "gse", "iis"):
        assert vals[f"psychometrics.alpha.{s}"] == t1.at[s, "alpha"]
        assert vals[f"psychometrics.alpha_ci_low.{s}"] == t1.at[s, "alpha_ci_low"]
        assert vals[f"psychometrics.alpha_ci_high.{s}"] == t1.at[s, "alpha_ci_high"]
        assert vals[f"psychometrics.alpha_ci_low.{s}"] < vals[f"psychometrics.alpha.{s}"] \
            < vals[f"psychometrics.alpha_ci_high.{s}"]
        # omega as written to the results file (optimiser noise beyond 6 decimals dropped)
        assert vals[f"psychometrics.omega.{s}"] == round(t1.at[s, "omega_total"], S.OPTIMIZER_DECIMALS)
    assert "psychometrics.alpha.sbw" not in vals          # a composite has no alpha: NaN left out
    for _, r in stage.correlations.iterrows():
        assert vals[f"psychometrics.r.{r['X']}.{r['Y']}"] == r["r"]
    assert vals["psychometrics.n_workers"] == 65


def test_table_is_the_printed_table_1(stage):
    table, label = S.claim_values(stage)["psychometrics.table.reliability"]
    assert label == "tab-reliability"
    assert list(table.index) == ["rpq", "gse", "iis", "sbw"]
    assert list(table.columns) == list(S.CLAIM_TABLE1_COLUMNS)
    assert math.isnan(table.at["sbw", "alpha"])


def test_labels_where_the_paper_shows_the_value(stage):
    labels = {k: lab for k, (_, lab) in S.claim_values(stage).items()}
    assert labels["psychometrics.alpha.rpq"] == "sec-measures"
    assert labels["psychometrics.r.gse.rpq"] == "sec-measures"
    assert labels["psychometrics.omega.rpq"] is None and labels["psychometrics.r.rpq.sbw"] is None


def test_recorded_claims_write_the_stage_file(stage, tmp_path):
    rec = ClaimRecorder(stage="psychometrics", results_dir=tmp_path, notebook=None, inputs=[])
    values = rec.record_values(S.claim_values(stage))
    doc = read_json(rec.save())
    assert set(doc["claims"]) == set(values)
    for name, r in doc["claims"].items():
        assert r["stage"] == "psychometrics"
        if isinstance(values[name], pd.DataFrame):
            assert r["kind"] == "table"
        else:
            assert r["kind"] == "number" and decode_value(r) == values[name]
