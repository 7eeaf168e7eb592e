"""Notebook 05 runs end to end (papermill) on simulated inputs, for the default and another outcome."""

from __future__ import annotations

import pytest

from analysis.config import NOTEBOOKS_DIR

from conftest import write_project


@pytest.mark.slow
@pytest.mark.parametrize("outcome", ["sustain12", "wellbeing"])
def test_notebook_05_runs(tmp_path, sim65, outcome):
    pm = pytest.importorskip("papermill")
    raw, processed = write_project(tmp_path / "data", *sim65)
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "05_regression.ipynb"), str(out),
                        parameters={"raw_dir": str(raw), "processed_dir": str(processed),
                                    "results_dir": str(tmp_path / "results"),
                                    "figures_dir": str(tmp_path / "figures"), "outcome": outcome,
                                    "seed": 1},
                        kernel_name="python3", progress_bar=False)
    assert (tmp_path / "results" / "regression" / outcome / "worker_fit.md").is_file()
    assert (tmp_path / "figures" / "regression" / outcome / "residuals.png").is_file()
    comparison = tmp_path / "figures" / "regression" / outcome / "comparison.png"
    assert comparison.is_file()  # calibrated.csv is present in the simulated project
