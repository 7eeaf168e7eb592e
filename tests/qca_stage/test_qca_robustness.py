"""Robustness grid and permutation test: known answers, determinism, joblib and Dask agree."""

from __future__ import annotations

from dataclasses import replace
import numpy as np
import pandas as pd
import pytest

from analysis import study
from analysis.stages import calibration as C
from analysis.stages import qca as Q
from analysis.errors import InputError
from analysis.qca import robustness as R
from analysis.qca.fit import model_fit
from analysis.qca.expressions import parse_expression, term_membership


@pytest.fixture(scope="module")
def stage(staff, scores):
    cal = C.run(staff, scores, "sustain12")
    return cal, Q.analyse(cal.memberships, cal.outcome_set, cal.conditions)


def _small_grid(cal, cases=3):
    return R.robustness_grid(C.anchor_dict(cal.anchors), list(cal.raw.index[:cases]), incl_cuts=(0.8, 0.9),
                             n_cuts=(1,), shifts=(-0.1,), calibration_sets=["SBW", "SUSTAIN12"])


def test_grid_contents_and_skipped_shifts():
    g = R.robustness_grid({"A": (0, 5, 10)}, ["x"], incl_cuts=(0.8,), n_cuts=(1,), shifts=(0.6,))
    # +0.6 * span moves e to 6 (> c) and c to 11 (> i): both skipped; i to 16 is kept
    assert [(s.kind, s.varied_anchor) for s in g] == [("baseline", None), ("cutoffs", None),
                                                      ("calibration", "inclusion"), ("leave_one_out", None)]
    assert dict(g[2].anchors)["A"] == (0.0, 5.0, 16.0)
    dec = R.robustness_grid({"A": (10, 5, 0)}, [], incl_cuts=(0.8,), n_cuts=(1,), shifts=(0.1,))
    assert dict(dec[2].anchors)["A"] == (9.0, 5.0, 0.0)       # span is signed for a decreasing set
    with pytest.raises(InputError, match="not strictly monotone"):
        R.robustness_grid({"A": (0, 10, 5)})


def test_calibrate_frame_known_values_and_errors():
    raw = pd.DataFrame({"A": [0.0, 5.0, 10.0, 7.5]}, index=list("abcd"))
    m = R.calibrate_frame(raw, {"A": (0, 5, 10)})["A"]
    assert m.tolist()[:3] == pytest.approx([0.05, 0.501, 0.95])
    assert m["d"] == pytest.approx(1 / (1 + 19 ** -0.5))
    with pytest.raises(InputError, match="'B' is not a column"):
        R.calibrate_frame(raw, {"B": (0, 5, 10)})


def test_baseline_reproduces_the_stage_and_leave_one_out_drops_one_case(stage):
    cal, res = stage
    g = _small_grid(cal)
    runs = R.run_robustness(cal.raw, g, "SUSTAIN12", cal.conditions, study.PUBLISHED, n_jobs=1)
    base = runs.iloc[0]
    assert base["kind"] == "baseline" and base["expression"] == res.expressions()["conservative"]
    assert base["inclS"] == pytest.approx(res.conservative.models[0].fit["inclS"], abs=1e-12)
    assert bool(base[["path1_exact", "path2_exact", "path3_exact"]].all())
    loo = runs[runs["kind"] == "leave_one_out"]
    assert (loo["n_cases"] == 64).all() and list(loo["drop_case"]) == list(cal.raw.index[:3])


def test_robustness_table_known_answer():
    runs = pd.DataFrame({
        "kind": ["baseline", "cutoffs", "cutoffs", "leave_one_out"],
        "solved": [True, True, False, True], "expression": ["A + B", "A", "", "A + B"],
        "inclS": [0.9, 0.95, np.nan, 0.85], "covS": [0.8, 0.5, np.nan, 0.9],
        "path1_exact": [True, True, False, True], "path2_exact": [True, False, False, True],
        "path1_covered": [True, True, False, True], "path2_covered": [True, False, False, True]})
    t = R.robustness_table(runs).set_index("kind")
    assert t.loc["all", "n"] == 4 and t.loc["all", "solved"] == 0.75
    assert t.loc["all", "same_as_baseline"] == 0.5 and t.loc["cutoffs", "all_paths_exact"] == 0.0
    assert t.loc["all", "path1_exact"] == 0.75
    assert (t.loc["all", "inclS_min"], t.loc["all", "inclS_max"]) == (0.85, 0.95)
    surv = R.path_survival(runs, "A + B", ["A", "B"]).set_index(["path", "kind"])
    assert surv.loc[("B", "cutoffs"), "exact"] == 0.0 and surv.loc[("A", "all"), "covered"] == 0.75


def test_covered_means_a_simplification_of_the_path_is_a_term():
    assert R._covered((0, 1, -1), [(0, -1, -1)])
    assert not R._covered((0, -1, -1), [(0, 1, -1)])


def test_permutation_p_values_match_a_direct_computation(stage):
    cal, res = stage
    expr = res.expressions()["conservative"]
    pr = R.permutation_test(res.data, "SUSTAIN12", cal.conditions, expression=expr, n_permutations=20,
                            seed=7, n_jobs=1)
    y = res.data["SUSTAIN12"].to_numpy()
    m = np.vstack([term_membership(res.data, t, cal.conditions)
                   for t in parse_expression(expr, cal.conditions)])
    seeds = np.random.SeedSequence(7).spawn(20)
    ref = [model_fit(m, y[np.random.default_rng(s).permutation(y.size)])["inclS"] for s in seeds]
    np.testing.assert_allclose(pr.null["fixed_inclS"], ref, rtol=1e-12)
    assert pr.observed["inclS"] == pytest.approx(res.conservative.models[0].fit["inclS"])
    k = sum(v >= pr.observed["inclS"] for v in ref)
    assert pr.p_fixed == (1 + k) / 21
    assert 1 / 21 <= pr.p_refit <= 1 and pr.p_refit_joint <= pr.p_refit
    empty = R.permutation_test(res.data, "SUSTAIN12", cal.conditions, n_permutations=0, n_jobs=1)
    assert empty.p_fixed == empty.p_refit == 1.0 and empty.null.empty


def test_permutation_of_a_planted_structure_is_significant_and_of_noise_is_not(stage):
    cal, res = stage
    pr = R.permutation_test(res.data, "SUSTAIN12", cal.conditions, n_permutations=40, seed=1, n_jobs=1)
    assert pr.p_fixed == 1 / 41
    rng = np.random.default_rng(3)
    noise = res.data.copy()
    noise["SUSTAIN12"] = rng.permutation(noise["SUSTAIN12"].to_numpy())
    pn = R.permutation_test(noise, "SUSTAIN12", cal.conditions, expression=study.PUBLISHED,
                            n_permutations=40, seed=1, n_jobs=1)
    assert pn.p_fixed > 0.05


def test_results_do_not_depend_on_parallelism(stage):
    cal, res = stage
    g = _small_grid(cal)
    serial = R.run_robustness(cal.raw, g, "SUSTAIN12", cal.conditions, study.PUBLISHED, n_jobs=1)
    par = R.run_robustness(cal.raw, g, "SUSTAIN12", cal.conditions, study.PUBLISHED, n_jobs=2)
    pd.testing.assert_frame_equal(serial, par)
    p1 = R.permutation_test(res.data, "SUSTAIN12", cal.conditions, n_permutations=12, seed=5, n_jobs=1)
    p2 = R.permutation_test(res.data, "SUSTAIN12", cal.conditions, n_permutations=12, seed=5, n_jobs=2)
    pd.testing.assert_frame_equal(p1.null, p2.null)
    assert p1.to_dict() == p2.to_dict()


def test_dask_cluster_gives_the_joblib_results(stage):
    distributed = pytest.importorskip("dask.distributed")
    cal, res = stage
    g = _small_grid(cal, cases=2)
    serial = R.run_robustness(cal.raw, g, "SUSTAIN12", cal.conditions, study.PUBLISHED, n_jobs=1)
    p_serial = R.permutation_test(res.data, "SUSTAIN12", cal.conditions, n_permutations=10, seed=3, n_jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask = R.run_robustness(cal.raw, g, "SUSTAIN12", cal.conditions, study.PUBLISHED, scheduler=client)
        p_dask = R.permutation_test(res.data, "SUSTAIN12", cal.conditions, n_permutations=10, seed=3,
                                    scheduler=cluster.scheduler_address)
        assert sum(len(v) for v in client.run(lambda: [0]).values()) == 2     # both workers were there
    pd.testing.assert_frame_equal(serial, on_dask)
    pd.testing.assert_frame_equal(p_serial.null, p_dask.null)


def test_stage_wrappers_and_writers(stage, tmp_path):
    cal, res = stage
    rob = Q.robustness_analysis(cal, res, n_jobs=1, incl_cuts=(0.8,), n_cuts=(1,), shifts=(0.05,),
                                calibration_sets=["SBW"], leave_one_out=False)
    assert list(rob["table"]["kind"]) == ["all", "baseline", "cutoffs", "calibration"]
    assert len(rob["runs"]) == 1 + 1 + 3
    perm = Q.permutation_analysis(res, n_permutations=5, seed=2, n_jobs=1)
    paths = Q.write(replace(res, robustness=rob, permutation=perm), {"results": tmp_path})
    assert {p.name for p in paths} >= {"robustness.csv", "robustness_paths.csv", "robustness_runs.csv",
                                       "permutation.json", "permutation_null.csv"}
    summary = pd.read_json(tmp_path / "qca" / "summary.json", typ="series")
    assert summary["matches_published"] == {"conservative": True, "parsimonious": True, "intermediate": True}


def test_parallel_map_validates_n_jobs():
    with pytest.raises(InputError, match="n_jobs = 0"):
        R.parallel_map(len, [[1]], n_jobs=0)
    assert R.parallel_map(len, [[1], [1, 2]], n_jobs=1) == [1, 2]
