"""Stage 03/04 logic on the shipped synthetic data and on small known cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis import study
from analysis.stages import calibration as C
from analysis.stages import qca as Q
from analysis.errors import InputError
from analysis.qca.expressions import parse_expression
from analysis.synth import intended_anchors

HEADLINE = "~SBW*INNOV*~CASELOAD + ~INNOV*~CASELOAD*LONGMEET + CASELOAD*INNOV*LONGMEET"
FIVE = (*study.DEFAULT_CONDITIONS, "WORKLOAD")


@pytest.fixture(scope="module")
def headline(staff, scores):
    cal = C.run(staff, scores, "sustain12")
    return cal, Q.analyse(cal.memberships, cal.outcome_set, cal.conditions)


# --------------------------------------------------------------------------- the published result

def test_published_expression_is_recovered_on_shipped_data(headline):
    cal, res = headline
    conds = list(study.DEFAULT_CONDITIONS)
    expected = sorted(parse_expression(HEADLINE, conds))
    assert sorted(res.conservative.models[0].terms) == expected
    assert res.conservative.n_models == 1
    assert sorted(res.intermediate.models[0].terms) == expected
    assert Q.same_expression(res.expressions()["conservative"], HEADLINE, conds)
    assert study.PUBLISHED == HEADLINE


def test_truth_table_positive_rows_are_the_six_path_rows(headline):
    _, res = headline
    tt = res.truth_table
    # R row numbers of 0001, 0100, 0101, 0111, 1001, 1111 (SBW INNOV CASELOAD LONGMEET)
    assert tt.positive_rows == [2, 5, 6, 8, 10, 16]
    assert sorted(tt.remainder_rows) == [3, 11]         # 0010 and 1010 stay empty in the DGP
    assert res.cutoffs == {"incl_cut": 0.8, "pri_cut": 0.5, "n_cut": 1}


def test_five_condition_specification_keeps_the_paths_in_the_intermediate_solution(staff, scores):
    cal = C.run(staff, scores, "sustain12", FIVE)
    res = Q.analyse(cal.memberships, cal.outcome_set, cal.conditions)
    assert Q.same_expression(res.expressions()["intermediate"], HEADLINE, list(FIVE))


def test_theory_anchors_agree_with_the_dgp():
    dgp = intended_anchors()
    for name, (e, c, i, why) in study.THEORY_ANCHORS.items():
        assert (e, c, i) == (dgp[name]["exclusion"], dgp[name]["crossover"], dgp[name]["inclusion"])
        assert study.CONDITION_COLUMNS.get(name, ("staff", "sustain12_rate"))[1] == dgp[name]["column"]
        assert why


# --------------------------------------------------------------------------- calibration

def test_calibration_outputs_and_checks(headline, tmp_path):
    cal, _ = headline
    frame = cal.calibrated_frame()
    assert list(frame.columns) == ["staff_id", "SBW", "INNOV", "CASELOAD", "LONGMEET", "SUSTAIN12"]
    assert len(frame) == 65 and frame["staff_id"].is_unique
    assert not (cal.memberships == 0.5).to_numpy().any()
    assert cal.skewness["share_above"].between(0.2, 0.8).all()
    assert list(cal.anchors["basis"]) == ["theory"] * 5
    paths = C.write_tables(cal, tmp_path / "processed", tmp_path / "results")
    names = sorted(p.name for p in paths)
    assert names == ["anchors.csv", "calibrated.csv", "calibration.json", "crossover_cases.csv",
                     "excluded_cases.csv", "skewness.csv"]
    back = C.read_calibrated(tmp_path / "processed" / "calibrated.csv", "SUSTAIN12", study.DEFAULT_CONDITIONS)
    np.testing.assert_allclose(back.to_numpy(), cal.memberships.to_numpy(), rtol=1e-9)  # written to 10 digits
    info = json.loads((tmp_path / "results" / "calibration" / "calibration.json").read_text())
    assert info["cases_left_at_crossover"] == 0


def test_known_memberships_of_the_direct_method(staff, scores):
    cal = C.run(staff, scores, "sustain12")
    raw, m = cal.raw["LONGMEET"], cal.memberships["LONGMEET"]
    expected = 1 / (1 + np.exp(-np.log(19) * np.where(raw >= 60, (raw - 60) / 15, (raw - 60) / 15)))
    expected = np.where(expected < 1e-4, 0, np.where(expected > 1 - 1e-4, 1, expected))
    np.testing.assert_allclose(m, expected, rtol=1e-12)


def _toy(n: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"W{i}" for i in range(n)]
    staff = pd.DataFrame({"staff_id": ids, "caseload": np.linspace(10, 38, n),
                          "meeting_minutes": np.linspace(35, 90, n), "workload_hours": np.linspace(2, 11, n),
                          "sustain12_rate": np.linspace(0.2, 1.0, n), "sustain6_rate": np.linspace(0.4, 1, n),
                          "ete_rate": np.linspace(0.05, 0.45, n), "wellbeing_change": np.linspace(-1, 5, n)})
    scores = pd.DataFrame({"staff_id": ids[::-1], "sbw": np.linspace(30, 90, n)[::-1],
                           "iis": np.linspace(36, 90, n)[::-1]})
    return staff, scores


def test_case_at_the_crossover_is_moved_off_it_and_reported():
    staff, scores = _toy()
    staff.loc[3, "meeting_minutes"] = 60.0                   # exactly the LONGMEET crossover
    cal = C.run(staff, scores, "sustain12")
    assert cal.memberships.loc["W3", "LONGMEET"] == pytest.approx(0.501)
    assert cal.crossover_cases.to_dict("records") == [
        {"staff_id": "W3", "set": "LONGMEET", "raw": 60.0, "membership": 0.5, "adjusted_to": 0.501}]
    assert not (cal.memberships == 0.5).to_numpy().any()


def test_scores_are_aligned_by_staff_id_not_by_position():
    staff, scores = _toy()
    raw = C.raw_sets(staff, scores, "sustain12")
    assert raw.loc["W0", "SBW"] == 30.0 and raw.loc["W7", "INNOV"] == 90.0


def test_missing_values_exclude_the_worker_and_are_listed():
    staff, scores = _toy()
    staff.loc[2, "sustain12_rate"] = np.nan
    cal = C.run(staff, scores, "sustain12")
    assert "W2" not in cal.memberships.index and len(cal.memberships) == 7
    assert cal.excluded.to_dict("records") == [{"staff_id": "W2", "missing": "SUSTAIN12"}]


def test_data_based_anchors_are_the_stated_percentiles(staff, scores):
    cal = C.run(staff, scores, "ete_entry", FIVE)
    a = cal.anchors.set_index("set")
    for name, col in (("WORKLOAD", "workload_hours"), ("ETE", "ete_rate")):
        expected = np.percentile(staff[col], [5, 50, 95])
        np.testing.assert_allclose(a.loc[name, ["exclusion", "crossover", "inclusion"]].astype(float), expected)
        assert a.loc[name, "basis"] == "data: percentiles 5/50/95"
    # the median of 65 values is a case: it must have been moved off 0.5
    assert {"WORKLOAD", "ETE"} <= set(cal.crossover_cases["set"])
    assert not (cal.memberships == 0.5).to_numpy().any()


@pytest.mark.parametrize("outcome", list(study.OUTCOMES))
@pytest.mark.parametrize("conditions", [study.DEFAULT_CONDITIONS, FIVE])
def test_every_outcome_and_specification_runs_and_writes(staff, scores, outcome, conditions, tmp_path):
    cal = C.run(staff, scores, outcome, conditions)
    frame = cal.calibrated_frame()
    assert list(frame.columns) == ["staff_id", *conditions, C.outcome_set(outcome)]
    assert frame.iloc[:, 1:].apply(lambda s: s.between(0, 1).all()).all()
    res = Q.analyse(cal.memberships, cal.outcome_set, cal.conditions)
    paths = Q.write(res, {"results": tmp_path})
    assert {p.name for p in paths} >= {"necessity.csv", "truth_table.csv", "solutions.csv",
                                       "configuration_chart.csv", "summary.json", "permutation.json"}
    summary = json.loads((tmp_path / "qca" / "summary.json").read_text())
    assert summary["outcome"] == C.outcome_set(outcome)
    assert summary["share_cases_in_rows_at_or_above_n_cut"] == 1.0
    assert len(res.necessity) == 2 * len(conditions)


def test_no_positive_row_gives_no_solution_and_a_note(headline, tmp_path):
    cal, _ = headline
    res = Q.analyse(cal.memberships, "SUSTAIN12", study.DEFAULT_CONDITIONS, incl_cut=1.0)
    assert not res.solved and res.expressions()["conservative"] is None and res.notes
    assert Q.permutation_analysis(res, n_permutations=5) is None
    Q.write(res, {"results": tmp_path})
    assert json.loads((tmp_path / "qca" / "permutation.json").read_text()) == {"note": "no solution: nothing to test"}


# --------------------------------------------------------------------------- necessity, chart

def test_necessity_table_known_values(headline):
    cal, res = headline
    x, y = cal.memberships["LONGMEET"].to_numpy(), cal.memberships["SUSTAIN12"].to_numpy()
    row = res.necessity.set_index("term").loc["LONGMEET"]
    assert row["inclN"] == pytest.approx(np.minimum(x, y).sum() / y.sum())
    assert row["covN"] == pytest.approx(np.minimum(x, y).sum() / x.sum())
    neg = res.necessity.set_index("term").loc["~LONGMEET"]
    assert neg["inclN"] == pytest.approx(np.minimum(1 - x, y).sum() / y.sum())
    assert not res.necessity["necessary"].any()


def test_configuration_chart_core_and_peripheral():
    # CASELOAD LONGMEET: 01 -> Y, 11 -> not Y, 00 and 10 are remainders.
    d = pd.DataFrame({"CASELOAD": [0.1, 0.2, 0.9, 0.8], "LONGMEET": [0.9, 0.8, 0.9, 0.7],
                      "Y": [0.9, 0.8, 0.1, 0.2]}, index=["a", "b", "c", "d"])
    res = Q.analyse(d, "Y", ["CASELOAD", "LONGMEET"])
    assert res.expressions() == {"conservative": "~CASELOAD*LONGMEET", "parsimonious": "~CASELOAD",
                                 "intermediate": "~CASELOAD*LONGMEET"}
    chart = Q.configuration_chart(res).set_index("condition")
    col = "1: ~CASELOAD*LONGMEET"
    assert chart.loc["CASELOAD", col] == "core absent"
    assert chart.loc["LONGMEET", col] == "peripheral"
    assert Q.chart_symbols(Q.configuration_chart(res)).loc["CASELOAD", col] == "\u2297"


def test_configuration_chart_of_the_headline_is_all_core(headline):
    _, res = headline
    chart = Q.configuration_chart(res).set_index("condition")
    cells = chart.loc[list(study.DEFAULT_CONDITIONS)].to_numpy().ravel()
    assert sorted(set(cells)) == ["", "core", "core absent"]
    assert chart.loc["solution consistency"].iloc[0] == pytest.approx(res.conservative.models[0].fit["inclS"])


def test_directional_expectations_are_justified():
    t = Q.directional_expectations(FIVE)
    assert t["expectation"].tolist() == ["-", "-", "~CASELOAD", "LONGMEET", "-"]
    assert t["why"].str.len().min() > 20


# --------------------------------------------------------------------------- errors

def test_unknown_outcome_and_condition_are_clear_errors(staff, scores):
    with pytest.raises(InputError, match="outcome 'sustain24': expected one of sustain12"):
        C.run(staff, scores, "sustain24")
    with pytest.raises(InputError, match=r"unknown \['AGE'\]"):
        C.run(staff, scores, "sustain12", ["SBW", "AGE"])
    with pytest.raises(InputError, match="listed twice"):
        C.check_conditions("SBW,SBW")


def test_bad_processed_tables_name_file_row_and_column():
    staff, scores = _toy()
    dup = pd.concat([scores, scores.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=r"scores\.csv.*row 10.*staff_id"):
        C.raw_sets(staff, dup, "sustain12")
    bad = staff.astype({"caseload": object})
    bad.loc[4, "caseload"] = "many"
    with pytest.raises(InputError, match=r"staff\.csv.*row 6.*caseload.*'many'"):
        C.raw_sets(bad, scores, "sustain12")
    with pytest.raises(InputError, match="different workers"):
        C.raw_sets(staff, scores.iloc[1:], "sustain12")
    with pytest.raises(InputError, match=r"staff\.csv.*meeting_minutes"):
        C.raw_sets(staff.drop(columns="meeting_minutes"), scores, "sustain12")


def test_read_calibrated_rejects_wrong_sets_and_values(tmp_path):
    p = tmp_path / "calibrated.csv"
    pd.DataFrame({"staff_id": ["a", "b"], "SBW": [0.1, 1.2], "Y": [0.3, 0.4]}).to_csv(p, index=False)
    with pytest.raises(InputError, match=r"missing columns \['INNOV'\]"):
        C.read_calibrated(p, "Y", ["SBW", "INNOV"])
    with pytest.raises(InputError, match=r"calibrated\.csv.*row 3.*SBW"):
        C.read_calibrated(p, "Y", ["SBW"])
