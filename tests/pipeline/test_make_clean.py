"""`make clean` removes generated outputs and nothing that git tracks (raw data,
notebooks, the published claims lock) nor the environment."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.config import ROOT


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_clean_keeps_tracked_files_and_venv(tmp_path: Path):
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    keep = [p for p in tracked if p.startswith(("data/", "results/", "figures/", "notebooks/"))
            or p == "Makefile"]
    for rel in keep:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    generated = ["data/processed/staff.csv", "results/qca/summary.json", "results/manifest.json",
                 "figures/fig1_scales.png", "paper/build/paper.pdf", ".pipeline/state.json",
                 "runs/x/results/a.csv", "notebooks/_failed/04_qca.ipynb"]
    for rel in generated + [".venv/bin/python"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    subprocess.run(["make", "clean"], cwd=tmp_path, check=True, capture_output=True)
    for rel in generated:
        assert not (tmp_path / rel).exists(), rel
    for rel in keep:
        assert (tmp_path / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
    assert "results/claims.lock.json" in keep and "data/raw/contacts.csv" in keep
    assert (tmp_path / ".venv/bin/python").exists()
