"""The whole stage for one outcome: files written, deterministic, every outcome runs, CLI."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.regression import cli as regression_cli
from analysis.regression.stage import run_regression
from analysis.regression.tables import to_markdown

from conftest import write_project

EXPECTED = {"worker_coefficients", "worker_fit", "worker_lr_tests", "dropped_workers", "vif",
            "influence", "residuals", "power", "participant_coefficients", "icc",
            "comparison_workers", "comparison_crosstab", "comparison_accounts_for"}


@pytest.fixture(scope="module")
def project(tmp_path_factory, sim65):
    tmp = tmp_path_factory.mktemp("proj")
    raw, processed = write_project(tmp, *sim65)
    return tmp, raw, processed


@pytest.fixture(scope="module")
def default_run(project):
    tmp, raw, processed = project
    out = tmp / "results"
    return run_regression("sustain12", processed_dir=processed, raw_dir=raw, results_dir=out), out


def test_stage_writes_every_table_deterministically(project, default_run):
    tmp, raw, processed = project
    tables, out = default_run
    assert EXPECTED <= set(tables)
    folder = out / "regression" / "sustain12"
    files = sorted(p.name for p in folder.iterdir())
    for name in EXPECTED:
        assert f"{name}.csv" in files and f"{name}.md" in files
    assert "summary.json" in files
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    run_regression("sustain12", processed_dir=processed, raw_dir=raw, results_dir=out)
    second = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert first == second
    s = tables["summary"]
    assert s["n_workers"] == 65 and s["threshold_rule"] == "median observed rate"
    assert s["models_fitted"] == ["caseload_x_longmeet", "innov_x_caseload", "main", "null",
                                  "three_way", "two_way", "workload"]
    tab = tables["comparison_crosstab"]
    assert tab.loc["total", "total"] == 65


def test_stage_recovers_innov_sign_at_n65(default_run):
    """At N = 65 the planted INNOV (+0.5) and CASELOAD (-0.4) effects have the planted sign."""
    tables, _ = default_run
    c = tables["worker_coefficients"]
    main = c[(c.family == "fractional_logit") & (c.model == "main")].set_index("term")
    assert main.loc["INNOV", "estimate"] > 0 and main.loc["CASELOAD", "estimate"] < 0
    assert main.loc["INNOV", "ci_low"] <= 0.5 <= main.loc["INNOV", "ci_high"]


@pytest.mark.parametrize("outcome", ["sustain6", "ete_entry", "wellbeing"])
def test_every_other_outcome_runs(project, outcome):
    tmp, raw, processed = project
    tables = run_regression(outcome, processed_dir=processed, raw_dir=raw,
                            results_dir=tmp / "results", threshold=0.5)
    fams = set(tables["worker_fit"]["family"])
    assert fams == ({"ols_hc3", "wls"} if outcome == "wellbeing" else {"ols_hc3", "fractional_logit"})
    assert (tmp / "results" / "regression" / outcome / "icc.md").is_file()
    assert "comparison_accounts_for" not in tables  # no calibrated set for these outcomes


def test_bad_outcome_and_missing_files(project, tmp_path):
    tmp, raw, processed = project
    with pytest.raises(InputError, match="unknown outcome 'sustain24'; valid outcomes: sustain12"):
        run_regression("sustain24", processed_dir=processed, raw_dir=raw)
    with pytest.raises(InputError, match="staff.csv: file not found"):
        run_regression("sustain12", processed_dir=tmp_path, raw_dir=raw)


def test_cli_runs_and_rejects_bad_outcome(project, capsys):
    tmp, raw, processed = project
    parser = argparse.ArgumentParser()
    regression_cli.add_arguments(parser)
    args = parser.parse_args(["--outcome", "ete_entry", "--processed-dir", str(processed), "--raw-dir",
                              str(raw), "--results-dir", str(tmp / "cli")])
    assert regression_cli.main(args) == 0
    assert "ete_entry: 65 workers" in capsys.readouterr().out
    assert (tmp / "cli" / "regression" / "ete_entry" / "worker_fit.csv").is_file()
    bad = parser.parse_args(["--outcome", "nope", "--processed-dir", str(processed)])
    with pytest.raises(InputError, match="valid outcomes"):
        regression_cli.main(bad)


def test_markdown_formatter():
    df = pd.DataFrame({"term": ["a|b", "c"], "estimate": [0.12345, -0.0001], "n": [3, 4],
                       "flag": [True, False], "p": [float("nan"), 1e-9]})
    assert to_markdown(df) == (
        "| term | estimate | n | flag | p |\n"
        "| --- | ---: | ---: | --- | ---: |\n"
        "| a\\|b | 0.123 | 3 | yes |  |\n"
        "| c | 0.000 | 4 | no | 0.000 |\n")


def test_figures_are_reproducible(default_run, tmp_path):
    from analysis.regression import plots

    tables, _ = default_run
    thr = tables["summary"]["threshold"]
    stems = []
    for i in range(2):
        fig = plots.comparison_figure(tables["comparison_workers"], threshold=thr,
                                      outcome_label="SUSTAIN12")
        stems.append(plots.save_figure(fig, tmp_path / f"run{i}" / "comparison"))
    for a, b in zip(*stems):
        assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 1000
    fig = plots.residuals_figure(tables["residuals"])
    assert len(fig.axes[0].collections) == 1 and len(fig.axes[0].collections[0].get_offsets()) == 65
