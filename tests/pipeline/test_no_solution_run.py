"""A documented cut-off that leaves no solution runs to the end, and the paper says so.

`-p incl_cut 1.0`: no truth-table row of the shipped data is perfectly consistent,
so stage 04 finds no solution. The whole pipeline (notebooks 01-06 and the
paper) runs on a copy of the project in a temporary folder, as a user runs it
(`python -m analysis reproduce`), so the repository's outputs are not touched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.claims import decode_value, load_claims
from analysis.config import ROOT

#: the whole pipeline once (about a minute on two shared cores)
pytestmark = pytest.mark.slow

#: What a run needs of the project: the package, the notebooks, the paper's sources, the raw data.
COPY = ("analysis", "notebooks", "paper/paper.typ", "paper/references.yml", "data/raw", "params.yaml",
        "requirements.lock", "pyproject.toml")


def _copy_project(dst: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "_failed", ".ipynb_checkpoints")
    for rel in COPY:
        src, to = ROOT / rel, dst / rel
        to.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, to, ignore=ignore)
        else:
            shutil.copyfile(src, to)
    return dst


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=root, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return _copy_project(tmp_path_factory.mktemp("project"))


def test_refused_value_starts_no_stage(project: Path):
    out = _cli(project, "reproduce", "-p", "n_jobs", "0")
    assert out.returncode == 2, out.stderr
    assert "parameter 'n_jobs': 0 is not allowed; valid values: int -1 <= value, except 0" in out.stderr
    assert "[1/7]" not in out.stdout                      # no stage started
    assert not (project / ".pipeline").exists() and not (project / "runs").exists()


def test_no_solution_runs_to_the_end_and_the_paper_says_so(project: Path):
    out = _cli(project, "reproduce", "-p", "incl_cut", "1.0", "-p", "n_permutations", "10")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    run = project / "runs" / "incl_cut=1.0__n_permutations=10"
    assert (run / "paper" / "build" / "paper.pdf").is_file()
    assert not (project / "results" / "claims").exists()  # the default outputs are left alone

    claims = load_claims(run / "results" / "claims")
    assert decode_value(claims["qca.solution"]) == "no solution"
    assert decode_value(claims["qca.n_positive_rows"]) == 0
    assert str(decode_value(claims["qca.solution.inclS"])) == "nan"
    for name in ("figures.fig.xy", "figures.fig.configurations"):  # drawn as a no-solution panel
        data = claims[name]["value"]["data"]
        assert data["data"][0][data["columns"].index("solution")] == \
            "No solution at incl_cut = 1, n_cut = 1 (pri_cut = 0.5)"

    html = (run / "paper" / "build" / "paper.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", "", html)))
    assert "No solution at incl_cut = 1.00, n_cut = 1." in text
    assert "finds no solution (consistency NA, coverage NA)" in text
    assert "The intermediate solution is" not in text
