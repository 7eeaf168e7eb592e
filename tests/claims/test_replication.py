"""The generated README parts: rendering, update between markers, staleness, timing record."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from analysis import config, replication as rp
from analysis.claims import ClaimRecorder, build_lock, load_claims
from analysis.io import read_json, write_json

PYPROJECT = """
[project]
name = "x"
requires-python = ">=3.11"
dependencies = ["numpy", "pingouin==0.7.0", "dask[distributed]", "Py_YAML"]
[project.optional-dependencies]
test = ["pytest"]
"""

LOCK = """# header
dask==2026.8.0 \\
    --hash=sha256:00
numpy==2.4.6 ; python_full_version < '3.12' \\
    --hash=sha256:00
numpy==2.5.5 ; python_full_version >= '3.12' \\
    --hash=sha256:00
pingouin==0.7.0 \\
    --hash=sha256:00
py-yaml==6.0.3 \\
    --hash=sha256:00
pytest==9.2.0
scipy==1.0 ; sys_platform == 'win32'
"""

PARAMS = """
seed:
  type: int
  default: 123
  stages: [toy]
"""

TIMING = {"measured_on": "2026-11-23", "total_seconds": 192.4, "stages": {"prepare": 12.0, "toy": 180.4},
          "storage_bytes": {"data/raw": 1500000, "results": 300000},
          "machine": {"system": "Linux", "machine": "x86_64", "cpus": 2, "memory_gb": 23.4, "python": "3.11.9"}}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "requirements.lock").write_text(LOCK)
    (tmp_path / "params.yaml").write_text(PARAMS)
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    (raw / "a.csv").write_text("x,y\n1,2\n3,4\n")
    (raw / "notes.md").write_text("not data\n")
    results = tmp_path / "results"
    r = ClaimRecorder(stage="toy", results_dir=results, parameters={"seed": 123}, inputs=[],
                      notebook="notebooks/99_toy.ipynb")
    r.number("toy.n", 65, label="in-text n")
    r.text("toy.expr", "A*B | C", label="eq:1")
    r.table("toy.tab", pd.DataFrame({"v": [1.0]}), label="tab:1", output="results/toy/tab.csv")
    r.figure("toy.fig", data=pd.DataFrame({"v": [1.0]}), path="figures/toy.png", label="fig:1")
    r.records["toy.n"]["cell"] = "c-3"
    r.save()
    manifest = {"stages": {"toy": {"notebook": "notebooks/99_toy.ipynb", "parameters": {"seed": 123}}},
                "outputs": [{"path": "results/toy/tab.csv", "sha256": "0", "stage": "toy"},
                            {"path": "figures/toy.png", "sha256": "1", "stage": "toy"}]}
    write_json(build_lock(load_claims(results / "claims"), manifest, TIMING), results / "claims.lock.json")
    return tmp_path


def test_sections_render_from_committed_files(root: Path):
    s = rp.render_sections(root=root)
    assert list(s) == list(rp.SECTIONS)
    claims = s["claims"]
    assert claims.startswith("4 results of the paper are recorded as claims")
    assert claims.index("**Tables** (1)") < claims.index("**Figures** (1)") < claims.index("**In-text numbers** (1)")
    assert "| `toy.n` | in-text n | notebooks/99_toy.ipynb | c-3 | - | rel 1e-06, abs 1e-09 |" in claims
    assert "| `toy.expr` | eq:1 | notebooks/99_toy.ipynb | - | - | exact |" in claims
    assert "| `toy.tab` | tab:1 | notebooks/99_toy.ipynb | - | results/toy/tab.csv |" in claims
    assert s["outputs"] == ("| Output | Stage | Program |\n|---|---|---|\n"
                            "| `figures/toy.png` | toy | `notebooks/99_toy.ipynb` |\n"
                            "| `results/toy/tab.csv` | toy | `notebooks/99_toy.ipynb` |\n")
    sw = s["software"].splitlines()
    assert sw[0].startswith("- Python >=3.11")
    assert sw[1:6] == ["- dask==2026.8.0",
                       "- numpy: 2.4.6 where `python_full_version < '3.12'`; 2.5.5 where "
                       "`python_full_version >= '3.12'`",
                       "- pingouin==0.7.0", "- py-yaml==6.0.3", "- pytest==9.2.0"]
    assert "scipy" not in s["software"]  # transitive: only counted
    assert "All 6 pinned packages" in s["software"]
    req = s["requirements"]
    assert "Linux x86_64, 2 CPUs, 23.4 GB memory, Python 3.11.9" in req
    assert "3 min 12 s (< 10 minutes)" in req and "prepare 12 s, toy 3 min 00 s" in req
    assert "Storage: 1.7 MB (< 25 MB)" in req and "`seed: 123` in `params.yaml`" in req
    assert s["data"].splitlines()[2].startswith("| `data/raw/a.csv` | 2 | 12 bytes | `")
    assert "notes.md" not in s["data"]


def test_without_a_lock_the_sections_say_so(root: Path):
    (root / "results" / "claims.lock.json").unlink()
    s = rp.render_sections(root=root)
    assert s["claims"].startswith("_No published claims yet") and s["outputs"] == s["claims"]
    assert "not measured yet" in s["requirements"]


def _readme(names) -> str:
    parts = ["# Title", "", "Intro text."]
    for n in names:
        b, e = rp.markers(n)
        parts += ["", f"## {n}", b, "placeholder", e, "after"]
    return "\n".join(parts) + "\n"


def test_update_then_nothing_is_stale(root: Path):
    sections = rp.render_sections(root=root)
    text = _readme(rp.SECTIONS)
    assert rp.stale_sections(text, sections) == list(rp.SECTIONS)
    new = rp.update_readme(text, sections)
    assert rp.stale_sections(new, sections) == []
    assert rp.update_readme(new, sections) == new  # idempotent
    # text outside the markers is untouched
    outside = lambda t: [line for line in t.splitlines() if line in {"# Title", "Intro text.", "after"}]  # noqa: E731
    assert outside(new) == outside(text)


def test_a_changed_claim_makes_the_readme_stale(root: Path):
    sections = rp.render_sections(root=root)
    readme = rp.update_readme(_readme(rp.SECTIONS), sections)
    lock_path = root / "results" / "claims.lock.json"
    lock = read_json(lock_path)
    lock["claims"]["toy.n"]["label"] = "another label"
    write_json(lock, lock_path)
    assert rp.stale_sections(readme, rp.render_sections(root=root)) == ["claims"]
    (root / "data" / "raw" / "a.csv").write_text("x,y\n1,2\n")
    assert rp.stale_sections(readme, rp.render_sections(root=root)) == ["claims", "data"]


def test_missing_markers_are_reported(root: Path):
    sections = rp.render_sections(root=root)
    text = rp.update_readme(_readme(["claims", "data"]), sections)
    assert rp.stale_sections(text, sections) == ["outputs (markers missing)", "software (markers missing)",
                                                 "requirements (markers missing)"]


def test_record_timing_only_after_a_full_run(tmp_path: Path):
    for d in ("raw", "processed", "results", "figures", "notebooks"):
        (tmp_path / d).mkdir()
    (tmp_path / "raw" / "a.csv").write_text("x" * 100)
    (tmp_path / "results" / "r.json").write_text("y" * 10)
    run = SimpleNamespace(raw=tmp_path / "raw", processed=tmp_path / "processed", results=tmp_path / "results",
                          figures=tmp_path / "figures", notebooks_out=tmp_path / "notebooks",
                          stages=("a", "b"), rel=lambda p: Path(p).name)
    ran = [SimpleNamespace(name="a", status="ran", seconds=1.24), SimpleNamespace(name="b", status="ran", seconds=2.0)]
    partial = [ran[0], SimpleNamespace(name="b", status="skipped", seconds=0.0)]
    assert rp.record_timing(run, partial, 3.0) is None
    assert rp.record_timing(run, ran[:1], 3.0) is None
    path = rp.record_timing(run, ran, 3.26)
    rec = read_json(path)
    assert rec["total_seconds"] == 3.3 and rec["stages"] == {"a": 1.2, "b": 2.0}
    assert rec["storage_bytes"] == {"raw": 100, "processed": 0, "results": 10, "figures": 0, "notebooks": 0}
    assert rec["machine"]["cpus"] >= 1


def test_cli_check_and_write(root: Path, capsys):
    readme = root / "README.md"
    readme.write_text(_readme(rp.SECTIONS))
    assert rp.main(["--check", "--readme", str(readme)], root=root) == 1
    assert "stale: claims" in capsys.readouterr().out
    assert rp.main(["--write", "--readme", str(readme)], root=root) == 0
    assert rp.main(["--check", "--readme", str(readme)], root=root) == 0


def test_the_project_readme_is_current():
    """README.md's generated sections match the lock, pyproject, requirements.lock, params.yaml, data/raw."""
    text = (config.ROOT / "README.md").read_text(encoding="utf-8")
    has_markers = "<!-- BEGIN generated:" in text
    has_lock = (config.RESULTS_DIR / "claims.lock.json").is_file()
    if not has_markers and not has_lock:
        pytest.skip("README.md has no generated sections yet and no claims are locked")
    stale = rp.stale_sections(text)
    assert not stale, ("README.md is stale in: " + ", ".join(stale)
                       + "; run `python -m analysis.replication --write`")
