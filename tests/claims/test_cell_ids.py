"""The cell that recorded a claim, found in real kernels: papermill, and a client that sends cellId."""

from __future__ import annotations

from pathlib import Path

import nbformat

from analysis.io import read_json


def _notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [
        'results_dir = "results"\nk = 1',
        "from analysis.claims import ClaimRecorder\n"
        "claims = ClaimRecorder(stage='tiny', results_dir=results_dir, parameters={'k': k},\n"
        f"                       notebook={str(tmp_path / 'tiny.ipynb')!r}, inputs=[])",
        "x = 0.1 * k\nclaims.number('tiny.x', x, label='x-in-text')\nclaims.text('tiny.word', 'hello')",
        "import pandas as pd\nclaims.table('tiny.table', pd.DataFrame({'v': [k, 2 * k]}))",
        "claims.save()",
    ]
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells[0].metadata["tags"] = ["parameters"]
    for i, cell in enumerate(nb.cells):
        cell.id = f"id-{i}"
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_papermill_execution_records_cell_ids(tmp_path: Path):
    import papermill as pm

    src = _notebook(tmp_path)
    results = tmp_path / "results"
    pm.execute_notebook(str(src), str(tmp_path / "out.ipynb"), parameters={"results_dir": str(results), "k": 3},
                        kernel_name="python3", cwd=str(tmp_path), progress_bar=False, log_output=False)
    doc = read_json(results / "claims" / "tiny.json")
    cells = {name: rec["cell"] for name, rec in doc["claims"].items()}
    assert cells == {"tiny.x": "id-2", "tiny.word": "id-2", "tiny.table": "id-3"}
    assert doc["claims"]["tiny.x"]["value"] == repr(0.1 * 3)
    assert doc["parameters"] == {"k": 3}
    assert doc["claims"]["tiny.x"]["label"] == "x-in-text"


def test_cell_id_sent_by_the_client_is_used(tmp_path: Path):
    """JupyterLab puts the cell's id in the execute request's metadata (cellId)."""
    from jupyter_client.manager import start_new_kernel

    results = tmp_path / "results"
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        def run(code: str, cell_id: str) -> None:
            msg = kc.session.msg("execute_request",
                                 content={"code": code, "silent": False, "store_history": True,
                                          "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
                                 metadata={"cellId": cell_id})
            kc.shell_channel.send(msg)
            reply = kc.get_shell_msg(timeout=60)
            while reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                reply = kc.get_shell_msg(timeout=60)
            assert reply["content"]["status"] == "ok", reply["content"]

        run(f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
            "from analysis.claims import ClaimRecorder\n"
            f"claims = ClaimRecorder(stage='lab', results_dir={str(results)!r}, inputs=[])", "setup")
        run("claims.number('lab.y', 2.5)", "lab-cell-7")
        run("claims.save()", "save")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    doc = read_json(results / "claims" / "lab.json")
    assert doc["claims"]["lab.y"]["cell"] == "lab-cell-7"


def test_outside_a_kernel_the_cell_is_unknown(tmp_path: Path):
    from analysis.claims import ClaimRecorder

    r = ClaimRecorder(stage="plain", results_dir=tmp_path, inputs=[])
    r.number("plain.z", 1.0)
    assert r.document()["claims"]["plain.z"]["cell"] is None
