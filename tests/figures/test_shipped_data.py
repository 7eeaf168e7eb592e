"""Every figure of stage 06 drawn from the shipped (synthetic) data through the real stage functions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from analysis import figures as F
from analysis.config import RAW_DIR

#: runs stages 01-05 once (about 20-40 s on two shared cores)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory) -> tuple[Path, Path]:
    """Stages 01-05 run on data/raw into a temporary folder (small robustness grid, few permutations)."""
    from analysis import prepare, validate
    from analysis.stages import calibration, qca
    from analysis.codebook import all_codebooks
    from analysis.io import write_csv
    from analysis.regression.stage import run_regression
    from analysis.stages import psychometrics

    root = tmp_path_factory.mktemp("run")
    processed, results = root / "processed", root / "results"
    staff = prepare.prepare_staff(validate.load_raw(RAW_DIR))
    write_csv(staff, processed / "staff.csv")
    staff = pd.read_csv(processed / "staff.csv")
    res = psychometrics.run(staff, list(all_codebooks().values()))
    psychometrics.write(res, {"processed": processed, "results": results})
    scores = pd.read_csv(processed / "scores.csv")
    cal = calibration.run(staff, scores, "sustain12")
    calibration.write_tables(cal, processed, results)
    qres = qca.analyse(cal.calibrated_frame().set_index("staff_id"), cal.outcome_set, cal.conditions)
    rob = qca.robustness_analysis(cal, qres, n_jobs=1, cross_calibration_with_cutoffs=False,
                                  leave_one_out=False, shifts=(-0.1, 0.1))
    qres = dataclasses.replace(qres, robustness=rob)
    qca.write(qres, {"results": results})
    tables = run_regression("sustain12", processed_dir=processed, raw_dir=RAW_DIR, results_dir=results, seed=1)
    # each stage records its own claims, as notebooks 02-05 do (the paper looks them up)
    from analysis.claims import ClaimRecorder
    from analysis.regression.stage import record_claims as record_regression_claims

    def recorder(stage):
        return ClaimRecorder(stage=stage, results_dir=results, notebook=None, inputs=[])

    for stage, record in (("psychometrics", lambda r: r.record_values(psychometrics.claim_values(res))),
                          ("calibration", lambda r: r.record_values(calibration.claim_values(cal))),
                          ("qca", lambda r: r.record_values(qca.claim_values(qres))),
                          ("regression", lambda r: record_regression_claims(r, tables))):
        rec = recorder(stage)
        record(rec)
        rec.save()
    return processed, results


def test_every_figure_is_drawn_from_the_shipped_data(run_dirs, tmp_path):
    processed, results = run_dirs
    figs, missing = F.build_figures(F.load_stage_inputs(processed, results))
    assert missing == {}
    assert set(figs) == set(F.FIGURE_STEMS)
    for name, (fig, data) in figs.items():
        w_mm = fig.get_size_inches()[0] * 25.4
        assert w_mm == pytest.approx(F.SINGLE_COLUMN_MM) or w_mm == pytest.approx(F.DOUBLE_COLUMN_MM), name
        assert len(data) > 0, name
        written = F.save_figure(fig, F.FIGURE_STEMS[name], tmp_path)
        assert all(p.stat().st_size > 1000 for p in written.values()), name


def test_xy_plot_of_the_shipped_solution_prints_stage_04_fit(run_dirs):
    processed, results = run_dirs
    inputs = F.load_stage_inputs(processed, results)
    mem, y, fit = F.xy_inputs(inputs["calibrated"], inputs["solutions"], "SUSTAIN12",
                              ["SBW", "INNOV", "CASELOAD", "LONGMEET"])
    summary = inputs["qca_summary"]
    assert fit.loc["solution", "inclS"] == pytest.approx(summary["fit"]["intermediate"]["inclS"], rel=1e-9)
    # the whole solution's consistency recomputed from the plotted memberships equals stage 04's
    import numpy as np
    x = mem["solution"].to_numpy()
    assert np.minimum(x, y.to_numpy()).sum() / x.sum() == pytest.approx(fit.loc["solution", "inclS"], rel=1e-9)


def test_stages_record_every_value_the_paper_looks_up(run_dirs):
    """Stages 02-05 (their claim helpers) record every number, text and table the template needs, of the right kind."""
    from analysis import paper as P
    from analysis.claims import decode_value, load_claims

    _, results = run_dirs
    claims = load_claims(results / "claims")
    # the lookups the paper shows for these claims (#when / #unless blocks of other outcomes left out)
    refs = P.template_references(P.TEMPLATE.read_text(encoding="utf-8"), claims)
    assert refs["n"] and "regression.gee.SBW.odds_ratio" in refs["n"]
    assert "regression.wls.three_way_vs_main.lr" not in refs["n"]
    for fn in ("n", "s", "expr", "tab", "col"):
        for name in refs[fn]:
            assert name in claims and claims[name]["kind"] == P.LOOKUPS[fn], name
            assert claims[name]["stage"] == name.split(".", 1)[0], name
    assert decode_value(claims["qca.matches_published"]) == "identical to"
    assert decode_value(claims["qca.n_cases"]) == 65


def test_notebook_06_and_the_paper_on_the_shipped_data(run_dirs, tmp_path):
    """Stage 06 under papermill writes the 27 figure files and the claims; the paper builds from them."""
    import papermill as pm

    from analysis import paper as P
    from analysis.config import NOTEBOOKS_DIR, ROOT
    from analysis.io import read_json

    processed, results = run_dirs
    figures = tmp_path / "figures"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "06_figures.ipynb"), str(tmp_path / "06.ipynb"),
                        parameters={"processed_dir": str(processed), "results_dir": str(results),
                                    "figures_dir": str(figures)},
                        cwd=str(ROOT), progress_bar=False, log_output=False, kernel_name="python3")
    assert sorted(p.name for p in figures.iterdir()) == sorted(
        f"{stem}.{ext}" for stem in F.FIGURE_STEMS.values() for ext in ("pdf", "png", "svg"))
    claims = read_json(results / "claims" / "figures.json")["claims"]
    assert {f"figures.fig.{k}" for k in F.FIGURE_STEMS} <= set(claims)
    out = P.build_paper(results, figures, tmp_path / "build")
    assert out["pdf"].stat().st_size > 10_000
    assert "identical to the published" in out["html"].read_text(encoding="utf-8")
