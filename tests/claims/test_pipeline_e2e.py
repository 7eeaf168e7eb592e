"""End to end on a toy project run by the real pipeline: lock, verify (1.01 vs 1e-12), trace.

Two papermill stages: `double` (raw -> processed) and `summarise`, which
records its claims with ClaimRecorder. This is the must-show behaviour of
issue 9 on a toy set of claims.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from analysis import claims as cl
from analysis import pipeline
from analysis.claims_cli import manifest_from_state
from analysis.io import read_json
from analysis.params import load_params

pytestmark = pytest.mark.slow

PARAMS = """
seed:
  type: int
  default: 5
  stages: [summarise]
"""


def _nb(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells[0].metadata["tags"] = ["parameters"]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    return nb


DIRS = 'raw_dir = "data/raw"\nprocessed_dir = "data/processed"\nresults_dir = "results"\nfigures_dir = "figures"'

DOUBLE = _nb([
    DIRS,
    "from pathlib import Path\nimport pandas as pd\n"
    "df = pd.read_csv(Path(raw_dir) / 'in.csv')\ndf['w'] = 2 * df['x']\n"
    "Path(processed_dir).mkdir(parents=True, exist_ok=True)\n"
    "df.to_csv(Path(processed_dir) / 'table.csv', index=False, float_format='%.17g')",
])

SUMMARISE = _nb([
    DIRS + "\nseed = 0",
    "from pathlib import Path\nimport numpy as np\nimport pandas as pd\n"
    "from analysis.claims import ClaimRecorder\n"
    "root = Path.cwd()\n"
    "df = pd.read_csv(Path(processed_dir) / 'table.csv')\n"
    "claims = ClaimRecorder(stage='summarise', results_dir=root / results_dir, parameters={'seed': seed},\n"
    "                       notebook=root / 'notebooks' / '02_summarise.ipynb',\n"
    "                       inputs=[root / processed_dir / 'table.csv'])",
    "claims.number('toy.mean_w', df['w'].mean(), label='mean-w')\n"
    "claims.number('toy.slope', float(np.polyfit(df['x'], df['y'], 1)[0]), label='slope')",
    "claims.number('toy.n', len(df), label='n')\n"
    "claims.text('toy.sign', 'positive' if df['x'].corr(df['y']) > 0 else 'negative')",
    "claims.table('toy.means', df[['x', 'y']].mean().to_frame('mean'), label='tab:means')\n"
    "claims.figure('toy.scatter', data=df[['x', 'y']], path=root / figures_dir / 'scatter.png', label='fig:1')\n"
    "claims.save()",
])

STAGES = (
    pipeline.Stage("double", "01_double.ipynb", ("{raw}/in.csv",), ("{processed}/table.csv",), "double"),
    pipeline.Stage("summarise", "02_summarise.ipynb", ("{processed}/table.csv",),
                   ("{results}/claims/summarise.json",), "claims"),
)


def _raw() -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence(20240601))
    x = rng.normal(10, 2, 65)
    return pd.DataFrame({"x": x, "y": 0.5 * x + rng.normal(0, 1, 65)})


def _write_raw(root: Path, df: pd.DataFrame) -> None:
    df.to_csv(root / "data" / "raw" / "in.csv", index=False, float_format="%.17g")


def _run(root: Path):
    space = load_params(root / "params.yaml")
    values = space.defaults()
    run = pipeline.make_run(None, {}, root=root, stages=STAGES)
    pipeline.run_pipeline(run, values, space, echo=lambda s: None)
    return run


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    for d in ("data/raw", "notebooks", "analysis"):
        (root / d).mkdir(parents=True)
    (root / "params.yaml").write_text(PARAMS)
    (root / "requirements.lock").write_text("# empty lock for the test\n")
    nbformat.write(DOUBLE, root / "notebooks" / "01_double.ipynb")
    nbformat.write(SUMMARISE, root / "notebooks" / "02_summarise.ipynb")
    _write_raw(root, _raw())
    run = _run(root)
    cl.write_lock(run.results / "claims", root / "claims.lock.json", manifest_path=run.manifest_file)
    return root


def test_lock_records_cells_and_outputs(project: Path):
    lock = read_json(project / "claims.lock.json")
    assert len(lock["claims"]) == 6
    cells = {n: r["cell"] for n, r in lock["claims"].items()}
    assert cells == {"toy.mean_w": "c2", "toy.slope": "c2", "toy.n": "c3", "toy.sign": "c3",
                     "toy.means": "c4", "toy.scatter": "c4"}
    assert {"path": "results/claims/summarise.json", "stage": "summarise"} in lock["outputs"]
    assert lock["stages"]["summarise"]["notebook"] == "notebooks/02_summarise.ipynb"


def test_noise_1e12_reproduces_and_1_01_does_not(project: Path):
    base = _raw()
    rng = np.random.default_rng(3)
    lock = cl.read_lock(project / "claims.lock.json")
    claims_dir = project / "results" / "claims"

    _write_raw(project, base * (1 + rng.uniform(-1e-12, 1e-12, base.shape)))
    _run(project)
    report = cl.verify(lock, cl.load_claims(claims_dir))
    assert report.ok, report.lines()
    assert any("input files differ" in n for n in report.notes)  # the inputs did change

    _write_raw(project, base.assign(y=base["y"] * 1.01))
    _run(project)
    report = cl.verify(lock, cl.load_claims(claims_dir))
    assert not report.ok
    assert [d.name for d in report.diffs] == ["toy.means", "toy.scatter", "toy.slope"]
    assert report.lines()[-1] == "3/6 claims reproduced: partial reproduction"
    slope = next(d.line() for d in report.diffs if d.name == "toy.slope")
    assert "[notebooks/02_summarise.ipynb, cell c2]" in slope

    _write_raw(project, base)  # back to the published data: full reproduction
    _run(project)
    assert cl.verify(lock, cl.load_claims(claims_dir)).classification == "full"


def test_trace_from_the_real_manifest_and_state(project: Path):
    manifest = read_json(project / "results" / "manifest.json")
    claims = cl.load_claims(project / "results" / "claims")
    lines = cl.trace("toy.slope", claims, manifest)
    text = "\n".join(lines)
    raw_sha = manifest["stages"]["double"]["inputs"]["data/raw/in.csv"]
    assert f"    data/raw/in.csv  sha256 {raw_sha}" in text
    assert "    data/processed/table.csv  sha256 " in text and "<- stage double (notebooks/01_double.ipynb)" in text
    assert "  stage: summarise, notebook notebooks/02_summarise.ipynb, cell c2" in text
    assert "  parameters: seed=5" in text
    assert "  output: results/claims/summarise.json  sha256 " in text
    assert lines[-1] == "  paper label: slope"
    # without a manifest, the pipeline state gives the same chain
    state = read_json(project / ".pipeline" / "state.json")
    assert cl.trace("toy.slope", claims, manifest_from_state(state))[1:4] == lines[1:4]
