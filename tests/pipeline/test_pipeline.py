"""The pipeline runner on a small project of its own (two notebook stages).

Checks skipping, rerunning for each kind of change, failure handling, runs on
another data folder and the manifest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from analysis import pipeline
from analysis.errors import InputError
from analysis.io import read_json, sha256_file
from analysis.params import load_params

PARAMS = """
scale:
  type: float
  default: 2.0
  stages: [double]
label:
  type: str
  default: x
  stages: [summarise]
"""


def _notebook(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells[0].metadata["tags"] = ["parameters"]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    return nb


STAGE_DOUBLE = _notebook([
    'raw_dir = "data/raw"\nprocessed_dir = "data/processed"\nresults_dir = "results"\n'
    'figures_dir = "figures"\nscale = 1.0',
    "from pathlib import Path\nimport pandas as pd",
    "df = pd.read_csv(Path(raw_dir) / 'in.csv')\ndf['y'] = df['x'] * scale\n"
    "Path(processed_dir).mkdir(parents=True, exist_ok=True)\n"
    "df.to_csv(Path(processed_dir) / 'doubled.csv', index=False)\nprint(df['y'].sum())",
])

STAGE_SUMMARISE = _notebook([
    'raw_dir = "data/raw"\nprocessed_dir = "data/processed"\nresults_dir = "results"\n'
    'figures_dir = "figures"\nlabel = "x"',
    "from pathlib import Path\nimport pandas as pd",
    "df = pd.read_csv(Path(processed_dir) / 'doubled.csv')\nout = Path(results_dir) / 'summary'\n"
    "out.mkdir(parents=True, exist_ok=True)\n(out / 'total.txt').write_text(f'{label} {df.y.sum()}\\n')",
])

STAGES = (
    pipeline.Stage("double", "01_double.ipynb", ("{raw}/in.csv",), ("{processed}/doubled.csv",), "double x"),
    pipeline.Stage("summarise", "02_summarise.ipynb", ("{processed}/doubled.csv",), ("{results}/summary/",),
                   "sum y"),
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "data" / "raw").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "analysis").mkdir()
    (root / "data" / "raw" / "in.csv").write_text("x\n1\n2\n3\n")
    (root / "params.yaml").write_text(PARAMS)
    (root / "requirements.lock").write_text("# empty lock for the test\n")
    nbformat.write(STAGE_DOUBLE, root / "notebooks" / "01_double.ipynb")
    nbformat.write(STAGE_SUMMARISE, root / "notebooks" / "02_summarise.ipynb")
    return root


def _run(root: Path, overrides=None, data_dir=None, only=None, force=False):
    space = load_params(root / "params.yaml")
    values = space.resolve(overrides or [])
    run = pipeline.make_run(data_dir, space.overridden(values), root=root, stages=STAGES)
    lines: list[str] = []
    reports = pipeline.run_pipeline(run, values, space, only=only, force=force, echo=lines.append)
    return run, {r.name: r.status for r in reports}, lines, space, values


def test_first_run_runs_everything_then_skips(project):
    run, status, lines, *_ = _run(project)
    assert status == {"double": "ran", "summarise": "ran"}
    assert (project / "results" / "summary" / "total.txt").read_text() == "x 12.0\n"
    executed = json.loads((project / "notebooks" / "01_double.ipynb").read_text())
    # papermill's injected parameters are relative paths, and no timing metadata is kept
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert 'raw_dir = "data/raw"' in "".join(injected[0]["source"])
    assert "papermill" not in executed["metadata"]
    assert all("execution" not in c["metadata"] for c in executed["cells"])
    assert executed["metadata"]["sbw_compendium"]["parameters"]["scale"] == 2.0
    assert str(project) not in (project / "notebooks" / "01_double.ipynb").read_text()
    run, status, lines, *_ = _run(project)
    assert status == {"double": "skipped", "summarise": "skipped"}


def test_rerun_is_byte_identical(project):
    _run(project)
    before = {p: sha256_file(p) for p in project.rglob("*") if p.is_file() and ".pipeline" not in p.parts}
    _run(project, force=True)
    after = {p: sha256_file(p) for p in project.rglob("*") if p.is_file() and ".pipeline" not in p.parts}
    assert before == after


def test_changed_input_reruns_downstream(project):
    run, *_ = _run(project)
    (project / "data" / "raw" / "in.csv").write_text("x\n1\n2\n4\n")
    space = load_params(project / "params.yaml")
    reasons = pipeline.why(run, STAGES[0], space, space.defaults())
    assert reasons == ["input data/raw/in.csv changed"]
    _, status, *_ = _run(project)
    assert status == {"double": "ran", "summarise": "ran"}
    assert (project / "results" / "summary" / "total.txt").read_text() == "x 14.0\n"


def test_notebook_code_change_reruns_only_that_stage(project):
    run, *_ = _run(project)
    nb = nbformat.read(project / "notebooks" / "02_summarise.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('more')"))
    nbformat.write(nb, project / "notebooks" / "02_summarise.ipynb")
    space = load_params(project / "params.yaml")
    assert pipeline.why(run, STAGES[1], space, space.defaults()) == [
        "notebook code changed (02_summarise.ipynb)"]
    _, status, *_ = _run(project)
    assert status == {"double": "skipped", "summarise": "ran"}


def test_hand_edited_displayed_result_is_detected(project):
    run, *_ = _run(project)
    path = project / "notebooks" / "01_double.ipynb"
    nb = json.loads(path.read_text())
    cell = [c for c in nb["cells"] if c.get("outputs")][0]
    cell["outputs"][0]["text"] = "999.0\n"  # the printed sum, changed by hand
    path.write_text(json.dumps(nb, indent=1))
    space = load_params(project / "params.yaml")
    reasons = pipeline.why(run, STAGES[0], space, space.defaults())
    assert reasons == ["executed notebook notebooks/01_double.ipynb was modified after the run "
                       "(its displayed results may no longer be the run's)"]
    _, status, *_ = _run(project)
    assert status["double"] == "ran" and "999.0" not in path.read_text()


@pytest.mark.parametrize("content", ["[]", "null", '{"double": {}}', '{"double": {"fingerprint": {}, "outputs": {}}}',
                                     "not json"])
def test_structurally_wrong_state_is_set_aside(project, content):
    _run(project)
    state = project / ".pipeline" / "state.json"
    state.write_text(content)
    run, status, lines, *_ = _run(project)
    assert status == {"double": "ran", "summarise": "ran"}
    notes = [ln for ln in lines if "state.json" in ln]
    assert len(notes) == 1 and "set aside as state.json.invalid" in notes[0]
    assert (project / ".pipeline" / "state.json.invalid").read_text() == content
    assert isinstance(read_json(state), dict) and "double" in read_json(state)


def test_modified_output_is_detected(project):
    run, *_ = _run(project)
    (project / "results" / "summary" / "total.txt").write_text("tampered\n")
    space = load_params(project / "params.yaml")
    assert pipeline.why(run, STAGES[1], space, space.defaults()) == [
        "output results/summary/total.txt was modified"]


def test_lock_change_reruns(project):
    run, *_ = _run(project)
    (project / "requirements.lock").write_text("# another lock\n")
    space = load_params(project / "params.yaml")
    assert "the lock file (requirements.lock) changed" in pipeline.why(run, STAGES[0], space,
                                                                      space.defaults())


def test_parameter_override_goes_to_a_separate_run(project):
    _run(project)
    default_total = (project / "results" / "summary" / "total.txt").read_text()
    run, status, *_ = _run(project, overrides=[("scale", "3")])
    assert run.label == "scale=3.0" and not run.default
    assert status == {"double": "ran", "summarise": "ran"}
    assert (project / "runs" / "scale=3.0" / "results" / "summary" / "total.txt").read_text() == "x 18.0\n"
    assert (project / "results" / "summary" / "total.txt").read_text() == default_total
    assert (project / "runs" / "scale=3.0" / "notebooks" / "01_double.ipynb").is_file()


def test_other_data_dir_leaves_shipped_outputs_alone(project, tmp_path):
    _run(project)
    before = sha256_file(project / "data" / "processed" / "doubled.csv")
    other = tmp_path / "real_data"
    other.mkdir()
    (other / "in.csv").write_text("x\n10\n")
    run, status, *_ = _run(project, data_dir=other)
    # labelled by the data's content digest, not by the folder's name
    assert run.label.startswith("data-") and len(run.label) == len("data-") + 16
    assert not run.standin
    assert (project / "runs" / run.label / "data" / "processed" / "doubled.csv").read_text() == "x,y\n10,20.0\n"
    assert sha256_file(project / "data" / "processed" / "doubled.csv") == before
    assert (project / "data" / "raw" / "in.csv").read_text() == "x\n1\n2\n3\n"


def test_same_folder_name_other_contents_get_their_own_run(project, tmp_path):
    labels = []
    for i, value in enumerate((10, 11)):
        other = tmp_path / f"owner{i}" / "real"
        other.mkdir(parents=True)
        (other / "in.csv").write_text(f"x\n{value}\n")
        run, *_ = _run(project, data_dir=other)
        labels.append(run.label)
        assert (project / "runs" / run.label / "data" / "processed" / "doubled.csv").read_text() == \
            f"x,y\n{value},{2 * value}.0\n"
    assert labels[0] != labels[1]


def test_run_one_stage_runs_what_it_needs(project):
    _, status, *_ = _run(project, only="summarise")
    assert status == {"double": "ran", "summarise": "ran"}
    _, status, *_ = _run(project, only="double")
    assert status == {"double": "skipped"}
    _, status, *_ = _run(project, only="summarise", force=True)
    assert status == {"double": "skipped", "summarise": "ran"}


def test_failed_stage_keeps_traceback_and_is_not_done(project):
    _run(project)
    nb = nbformat.read(project / "notebooks" / "02_summarise.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('planted failure')"))
    nbformat.write(nb, project / "notebooks" / "02_summarise.ipynb")
    with pytest.raises(pipeline.StageFailed) as err:
        _run(project)
    assert "planted failure" in str(err.value)
    failed = project / "notebooks" / "_failed" / "02_summarise.ipynb"
    assert "planted failure" in failed.read_text()
    state = read_json(project / ".pipeline" / "state.json")
    assert "summarise" not in state and "double" in state
    # the committed notebook keeps its code (papermill wrote to a temporary file)
    assert "planted failure" in (project / "notebooks" / "02_summarise.ipynb").read_text()


def test_interrupted_stage_is_not_taken_as_done(project, monkeypatch):
    _run(project)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "execute_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(project, force=True)
    monkeypatch.undo()
    state = read_json(project / ".pipeline" / "state.json")
    assert "double" not in state
    _, status, *_ = _run(project)
    assert status["double"] == "ran"


def test_manifest_lists_every_output_with_its_hash(project):
    run, *_ = _run(project)
    manifest = read_json(project / "results" / "manifest.json")
    paths = {o["path"]: o for o in manifest["outputs"]}
    for rel in ("data/processed/doubled.csv", "results/summary/total.txt", "notebooks/01_double.ipynb"):
        assert paths[rel]["sha256"] == sha256_file(project / rel)
    assert paths["results/summary/total.txt"]["stage"] == "summarise"
    assert manifest["stages"]["double"]["parameters"] == {"scale": 2.0}
    assert "pandas" in manifest["packages"] or manifest["packages"] == {}


def test_missing_input_is_a_clear_error(project):
    (project / "data" / "raw" / "in.csv").unlink()
    with pytest.raises(InputError, match="missing input"):
        _run(project)


def test_code_closure_follows_imports_transitively():
    from analysis.config import ROOT

    closure = pipeline.code_closure(["from analysis.pipeline import run_pipeline"], ROOT / "analysis")
    assert {"analysis", "analysis.pipeline", "analysis.config", "analysis.errors", "analysis.io",
            "analysis.params"} <= set(closure)
    assert "analysis.cli" not in closure
    magic = pipeline.code_closure(["%matplotlib inline\nimport analysis.errors"], ROOT / "analysis")
    assert set(magic) == {"analysis", "analysis._watchdog", "analysis.errors"}  # the package imports its watchdog


def test_unknown_stage_lists_valid_ones():
    with pytest.raises(InputError) as err:
        pipeline.get_stage("nosuchstage", STAGES)
    assert "valid stages: double, summarise" in str(err.value)
