"""Tests of analysis.figures: sizes, fonts, determinism, known answers, errors."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from PIL import Image

from analysis import figures as F
from analysis.errors import InputError

PATHS = ["~SBW*INNOV*~CASELOAD", "~INNOV*~CASELOAD*LONGMEET", "CASELOAD*INNOV*LONGMEET"]
CONDS = ["SBW", "INNOV", "CASELOAD", "LONGMEET"]


# --------------------------------------------------------------------------- small frames


def _rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def _scores() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = _rng()
    scores = pd.DataFrame({"rpq": rng.uniform(1, 6, 30), "gse": rng.integers(10, 41, 30),
                           "iis": rng.uniform(14, 94, 30), "sbw": rng.uniform(0, 100, 30)})
    table1 = pd.DataFrame({"scale": ["rpq", "gse", "iis", "sbw"], "alpha": [0.9, 0.87, 0.95, np.nan],
                           "alpha_ci_low": [0.86, 0.81, 0.92, np.nan], "alpha_ci_high": [0.94, 0.92, 0.97, np.nan],
                           "possible_min": [1, 10, 14, 0], "possible_max": [6, 40, 94, 100]})
    return scores, table1


def _calibration() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    rng = _rng()
    raw = pd.DataFrame({"sbw": rng.uniform(20, 95, 25), "caseload": rng.uniform(8, 40, 25)})
    anchors = {"SBW": {"column": "sbw", "exclusion": 40.0, "crossover": 60.0, "inclusion": 80.0},
               "CASELOAD": {"column": "caseload", "exclusion": 15.0, "crossover": 22.5, "inclusion": 30.0}}
    k = np.log(19)
    cal = pd.DataFrame({c: 1 / (1 + np.exp(-k * (raw[a["column"]] - a["crossover"])
                                           / (a["inclusion"] - a["crossover"])))
                        for c, a in anchors.items()})
    return raw, cal, anchors


def _qca() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    rng = _rng()
    mem = pd.DataFrame({p: rng.uniform(0, 1, 12) for p in PATHS})
    mem["solution"] = mem.max(axis=1)
    y = np.clip(mem["solution"].to_numpy() + rng.normal(0, 0.1, 12), 0, 1)
    fit = pd.DataFrame({"inclS": [0.93, 0.94, 0.94, 0.96], "PRI": [0.9, 0.9, 0.9, 0.95],
                        "covS": [0.32, 0.32, 0.30, 0.87], "covU": [0.27, 0.27, 0.28, np.nan]},
                       index=PATHS + ["solution"])
    return mem, y, fit


def _coefs() -> pd.DataFrame:
    rows = []
    for fam in ("ols_hc3", "fractional_logit"):
        for term, est in (("Intercept", 0.6), ("SBW", -0.07), ("INNOV", 0.1), ("CASELOAD", -0.06),
                          ("LONGMEET", 0.13)):
            rows.append({"family": fam, "model": "main", "term": term, "estimate": est,
                         "ci_low": est - 0.06, "ci_high": est + 0.06})
    return pd.DataFrame(rows)


def _workers() -> pd.DataFrame:
    rng = _rng()
    x = rng.uniform(0, 1, 40)
    p = np.clip(0.3 + 0.5 * x + rng.normal(0, 0.1, 40), 0, 1)
    cat = np.where(x > 0.5, np.where(p > 0.6, "both", "qca_only"), np.where(p > 0.6, "model_only", "neither"))
    return pd.DataFrame({"solution": x, "predicted": p, "category": cat})


def _robustness() -> tuple[pd.DataFrame, pd.DataFrame]:
    table = pd.DataFrame({"kind": ["all", "baseline", "cutoffs", "leave_one_out"], "n": [10, 1, 4, 5],
                          "same_as_baseline": [0.9, 1, 0.75, 1], "inclS_min": [0.9, 0.95, 0.9, 0.94],
                          "inclS_max": [0.97, 0.95, 0.96, 0.97], "covS_min": [0.6, 0.87, 0.6, 0.85],
                          "covS_max": [0.9, 0.87, 0.88, 0.9]})
    paths = pd.DataFrame({"path": [PATHS[0]] * 3 + [PATHS[1]] * 3,
                          "kind": ["all", "cutoffs", "leave_one_out"] * 2, "exact": [1, 1, 1, 0.9, 0.75, 1]})
    return table, paths


def _all_figures() -> dict[str, tuple[matplotlib.figure.Figure, float]]:
    """Every figure function on small frames, with its stated width in mm."""
    scores, table1 = _scores()
    raw, cal, anchors = _calibration()
    mem, y, fit = _qca()
    nec = pd.DataFrame({"inclN": [0.4, 0.8], "RoN": [0.6, 0.7], "covN": [0.4, 0.7]}, index=["SBW", "~SBW"])
    table = F.configuration_table(PATHS, ["INNOV*~CASELOAD", "LONGMEET"], CONDS)
    return {
        "scale_distributions": (F.scale_distributions(scores, table1), F.DOUBLE_COLUMN_MM),
        "correlation_heatmap": (F.correlation_heatmap(pd.DataFrame(
            {"X": ["a", "a", "b"], "Y": ["b", "c", "c"], "r": [0.5, -0.2, 0.9]})), F.SINGLE_COLUMN_MM),
        "calibration_curves": (F.calibration_curves(raw, cal, anchors, ["SBW", "CASELOAD"]), F.DOUBLE_COLUMN_MM),
        "necessity_plot": (F.necessity_plot(nec), F.SINGLE_COLUMN_MM),
        "xy_plots": (F.xy_plots(mem, y, fit, case_names=[f"S{i}" for i in range(12)]), F.DOUBLE_COLUMN_MM),
        "configuration_chart": (F.configuration_chart(table, fit.loc[PATHS], solution_fit=fit.loc["solution"]),
                                F.SINGLE_COLUMN_MM),
        "coefficient_plot": (F.coefficient_plot(_coefs()), F.DOUBLE_COLUMN_MM),
        "agreement_plot": (F.agreement_plot(_workers(), threshold=0.6, agreement={"agreement": 0.8, "kappa": 0.6}),
                           F.SINGLE_COLUMN_MM),
        "robustness_summary": (F.robustness_summary(*_robustness()), F.DOUBLE_COLUMN_MM),
        "no_solution_panel": (F.no_solution_panel("Configuration chart", {"incl_cut": 1.0, "n_cut": 1}),
                              F.SINGLE_COLUMN_MM),
    }


@pytest.fixture(scope="module")
def figs() -> dict[str, tuple[matplotlib.figure.Figure, float]]:
    return _all_figures()


# --------------------------------------------------------------------------- every figure


def test_every_figure_function_is_exercised(figs):
    assert set(figs) == set(F.FIGURE_FUNCTIONS)


@pytest.mark.parametrize("name", sorted(F.FIGURE_FUNCTIONS))
def test_figure_has_stated_width_and_a_non_blank_png(figs, name):
    fig, width_mm = figs[name]
    w_in, h_in = fig.get_size_inches()
    assert w_in == pytest.approx(width_mm / 25.4)
    assert 15 / 25.4 <= h_in <= 250 / 25.4
    png = F.figure_bytes(fig, "png")
    img = Image.open(io.BytesIO(png))
    # matplotlib truncates the pixel count: within one pixel of the stated size at 300 dpi
    assert abs(img.size[0] - width_mm / 25.4 * 300) < 1 and abs(img.size[1] - h_in * 300) < 1
    assert img.info.get("dpi", (0, 0))[0] == pytest.approx(300, abs=0.01)
    grey = np.asarray(img.convert("L"))
    assert (grey < 200).mean() > 0.005  # some ink on the page


@pytest.mark.parametrize("name", sorted(F.FIGURE_FUNCTIONS))
def test_every_text_is_at_least_7_pt(figs, name):
    fig, _ = figs[name]
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert sizes, "figure has no text"
    assert min(sizes) >= F.MIN_FONT_PT


def test_save_figure_is_byte_identical_and_has_no_volatile_metadata(tmp_path, figs):
    fig, _ = figs["xy_plots"]
    a = F.save_figure(fig, "fig_xy", tmp_path / "a")
    b = F.save_figure(fig, "fig_xy", tmp_path / "b")
    assert sorted(a) == ["pdf", "png", "svg"]
    for fmt in a:
        assert a[fmt].name == f"fig_xy.{fmt}"
        assert a[fmt].read_bytes() == b[fmt].read_bytes(), fmt
    pdf = a["pdf"].read_bytes()
    assert b"CreationDate" not in pdf and b"ModDate" not in pdf
    svg = a["svg"].read_text()
    assert "<dc:date>" not in svg
    png = Image.open(a["png"])
    assert "Software" not in png.info


def test_rebuilt_figure_is_byte_identical(tmp_path):
    """A second build of the same figure from the same data gives the same bytes."""
    one = F.figure_bytes(F.coefficient_plot(_coefs()), "svg")
    two = F.figure_bytes(F.coefficient_plot(_coefs()), "svg")
    assert one == two
    assert F.figure_bytes(F.coefficient_plot(_coefs()), "pdf") == F.figure_bytes(F.coefficient_plot(_coefs()), "pdf")


def test_theme_does_not_leak_into_global_rcparams():
    before = dict(matplotlib.rcParams)
    F.necessity_plot(pd.DataFrame({"inclN": [0.5], "covN": [0.4]}, index=["A"]))
    after = dict(matplotlib.rcParams)
    assert before["font.size"] == after["font.size"]
    assert before["svg.hashsalt"] == after["svg.hashsalt"]


def test_palette_is_okabe_ito():
    assert F.OKABE_ITO["orange"] == "#E69F00" and F.OKABE_ITO["blue"] == "#0072B2"
    assert len(set(F.OKABE_ITO.values())) == 8


# --------------------------------------------------------------------------- known answers


def test_configuration_table_core_and_peripheral():
    t = F.configuration_table(PATHS, ["INNOV*~CASELOAD", "LONGMEET"], CONDS)
    assert t[PATHS[0]].tolist() == ["peripheral_absent", "core_present", "core_absent", ""]
    # path 2 implies LONGMEET only (INNOV*~CASELOAD is not inside it)
    assert t[PATHS[1]].tolist() == ["", "peripheral_absent", "peripheral_absent", "core_present"]
    assert t[PATHS[2]].tolist() == ["", "peripheral_present", "peripheral_present", "core_present"]


def test_configuration_table_all_core_when_parsimonious_equals_paths():
    t = F.configuration_table(PATHS, PATHS, CONDS)
    cells = {v for v in t.to_numpy().ravel() if v}
    assert cells == {"core_present", "core_absent"}


def test_xy_plot_prints_the_given_fit():
    mem, y, fit = _qca()
    fig = F.xy_plots(mem, y, fit)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert any("inclS = 0.930, covS = 0.320" in t for t in titles)
    assert any("inclS = 0.960, covS = 0.870" in t for t in titles)


def test_xy_plot_labels_every_case_when_few():
    mem, y, fit = _qca()
    fig = F.xy_plots(mem, y, fit, case_names=[f"S{i}" for i in range(12)], max_labels=12)
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert labels == {f"S{i}" for i in range(12)}


def test_mm_to_inches():
    assert F.mm_to_inches(25.4) == 1.0
    assert F.figure_width_mm("single") == 85.0


# --------------------------------------------------------------------------- errors


def test_missing_column_names_it():
    with pytest.raises(InputError, match="inclS"):
        F.configuration_chart(F.configuration_table(PATHS, PATHS, CONDS), pd.DataFrame({"covS": [0.1]}))


def test_membership_out_of_range_is_an_input_error():
    mem, y, fit = _qca()
    y = y.copy()
    y[3] = 1.5
    with pytest.raises(InputError, match="position 4"):
        F.xy_plots(mem, y, fit)


def test_bad_stem_and_width():
    fig = F.necessity_plot(pd.DataFrame({"inclN": [0.5], "covN": [0.4]}, index=["A"]))
    with pytest.raises(InputError, match="stem"):
        F.save_figure(fig, "../x", "/tmp")
    with pytest.raises(InputError, match="width"):
        F.figure_width_mm("triple")


def test_unknown_condition_in_path():
    with pytest.raises(InputError, match="FOO"):
        F.configuration_table(["FOO*SBW"], [], CONDS)


# --------------------------------------------------------------------------- stage 04 formats


def test_configuration_from_stage_chart():
    chart = pd.DataFrame({"condition": ["A", "B", "consistency", "raw coverage", "unique coverage",
                                        "solution consistency", "solution coverage"],
                          "1: A*~B": ["core", "peripheral absent", 0.9, 0.5, 0.3, 0.95, 0.8],
                          "2: B": ["", "core", 0.85, 0.4, 0.2, np.nan, np.nan]})
    chart = chart.astype(object).where(chart.notna(), "")
    table, fit, sol = F.configuration_from_chart(chart)
    assert table["1: A*~B"].tolist() == ["core_present", "peripheral_absent"]
    assert table["2: B"].tolist() == ["", "core_present"]
    assert fit.loc["2: B", "covU"] == 0.2 and fit.loc["1: A*~B", "inclS"] == 0.9
    assert sol == {"inclS": 0.95, "covS": 0.8}


def test_configuration_from_chart_rejects_unknown_cell():
    chart = pd.DataFrame({"condition": ["A", "consistency"], "1: A": ["central", 0.9]})
    with pytest.raises(InputError, match="central"):
        F.configuration_from_chart(chart)


def test_xy_inputs_memberships_and_fit():
    cal = pd.DataFrame({"staff_id": ["a", "b"], "A": [0.9, 0.2], "B": [0.3, 0.6], "Y": [0.8, 0.4]})
    sol = pd.DataFrame({"solution": ["conservative"] * 3, "part": ["", "", ""], "model": ["M1"] * 3,
                        "term": ["A*~B", "B", "A*~B + B"], "inclS": [0.9, 0.8, 0.85], "covS": [0.5, 0.4, 0.7],
                        "cases": ["a", "b", "(model)"]})
    mem, y, fit = F.xy_inputs(cal, sol, "Y", ["A", "B"])
    assert mem["A*~B"].tolist() == [0.7, 0.2]          # min(0.9, 1 - 0.3), min(0.2, 1 - 0.6)
    assert mem["solution"].tolist() == [0.7, 0.6]      # max over paths
    assert fit.loc["solution", "covS"] == 0.7 and y.tolist() == [0.8, 0.4]


def test_build_figures_reports_missing_inputs():
    figs, missing = F.build_figures({})
    assert figs == {} and set(missing) == set(F.FIGURE_STEMS)
    assert "necessity" in missing["necessity"]


# --------------------------------------------------------------------------- no solution


def _no_solution_inputs() -> dict:
    """Stage-06 inputs as stage 04 writes them when no truth-table row passes the cut-offs."""
    cal = pd.DataFrame({"staff_id": ["a", "b"], "SBW": [0.9, 0.2], "INNOV": [0.3, 0.6], "CASELOAD": [0.1, 0.8],
                        "LONGMEET": [0.7, 0.4], "SUSTAIN12": [0.8, 0.4]})
    solutions = pd.DataFrame(columns=["solution", "part", "model", "term", "inclS", "PRI", "covS", "covU", "cases"])
    chart = pd.DataFrame({"condition": CONDS})
    return {"calibrated": cal, "solutions": solutions, "configuration_chart": chart,
            "qca_summary": {"incl_cut": 1.0, "pri_cut": 0.5, "n_cut": 30, "positive_rows": []}}


def test_no_solution_figures_state_the_cut_offs():
    figs, missing = F.build_figures(_no_solution_inputs())
    assert {"xy", "configurations"} <= set(figs)
    for name in ("xy", "configurations"):
        fig, data = figs[name]
        texts = [t.get_text() for t in fig.findobj(Text)]
        assert any("No solution at incl_cut = 1, n_cut = 30" in s for s in texts), texts
        assert data["solution"].tolist() == ["No solution at incl_cut = 1, n_cut = 30 (pri_cut = 0.5)"]
        assert data["n_cut"].tolist() == [30]
    assert F.figure_width_mm("double") == pytest.approx(figs["xy"][0].get_size_inches()[0] * 25.4)


def test_has_solution():
    assert not F.has_solution(_no_solution_inputs()["solutions"])
    sol = pd.DataFrame({"solution": ["conservative"], "model": ["M1"]})
    assert F.has_solution(sol)


def test_robustness_summary_without_reference_paths():
    table, _ = _robustness()
    fig = F.robustness_summary(table, pd.DataFrame(columns=["path", "kind", "exact"]))
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "whole solution" and not any(s.startswith("path") for s in labels)
