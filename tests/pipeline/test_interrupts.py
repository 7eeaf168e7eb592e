"""Stopping a run: Ctrl-C and SIGTERM exit with one line (130, 143), kill -9 leaves no kernel or
joblib worker behind, a second run in the same checkout is refused, and an unwritable output
folder gives one clear line with the state left as it was.

Each test runs a small project of its own (a notebook stage that starts joblib workers and
waits), in a child process, so the repository's outputs and its run lock are never touched.
Waits poll with generous limits: nothing depends on the machine's speed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from analysis.errors import InputError
from analysis.pipeline_cli import checkout_lock

PARAMS = "wait:\n  type: int\n  default: 600\n  stages: [slow]\n"

SLOW_CELLS = [
    'raw_dir = "data/raw"\nprocessed_dir = "data/processed"\nresults_dir = "results"\n'
    'figures_dir = "figures"\nwait = 600',
    # the workers import analysis, as the QCA stage's do
    "import json, os, time\nfrom pathlib import Path\nfrom joblib import Parallel, delayed\n"
    "def work(i):\n    import analysis, os, time\n    time.sleep(0.2)\n    return os.getpid()\n"
    "pids = sorted(set(Parallel(n_jobs=2, backend='loky')(delayed(work)(i) for i in range(8))))\n"
    "Path(raw_dir, '..', 'pids.json').write_text(json.dumps({'kernel': os.getpid(), 'workers': pids}))\n"
    "time.sleep(wait)",
]

DRIVER = textwrap.dedent("""
    import argparse, sys
    from pathlib import Path
    from analysis import pipeline, pipeline_cli
    from analysis.params import load_params

    root = Path(sys.argv[1])
    stages = (pipeline.Stage("slow", "01_slow.ipynb", ("{raw}/in.csv",), ("{results}/x/",), "waits"),)
    space = load_params(root / "params.yaml")
    values = space.resolve([])
    run = pipeline.make_run(None, {}, root=root, stages=stages)
    pipeline_cli._setup = lambda args: (space, values, run)
    sys.exit(pipeline_cli._execute(argparse.Namespace(force=True), None))
""")


@pytest.fixture
def slow_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    # no analysis/ folder here: the workers must import the real package (and its watchdog)
    for d in ("data/raw", "notebooks"):
        (root / d).mkdir(parents=True)
    (root / "data" / "raw" / "in.csv").write_text("x\n1\n")
    (root / "params.yaml").write_text(PARAMS)
    (root / "requirements.lock").write_text("# empty lock for the test\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in SLOW_CELLS]
    nb.cells[0].metadata["tags"] = ["parameters"]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    nbformat.write(nb, root / "notebooks" / "01_slow.ipynb")
    (root / "driver.py").write_text(DRIVER)
    return root


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _start(root: Path) -> tuple[subprocess.Popen, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("SBW_PIPELINE_RUN", "SBW_PIPELINE_PID")}
    proc = subprocess.Popen([sys.executable, str(root / "driver.py"), str(root)], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marker = root / "data" / "pids.json"
    deadline = time.monotonic() + 300
    while not marker.is_file():
        if proc.poll() is not None:
            pytest.fail(f"the run ended early: {proc.stderr.read()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the stage did not start its workers within 300 s")
        time.sleep(0.2)
    time.sleep(0.2)
    return proc, json.loads(marker.read_text())


def _wait_gone(pids: list[int], limit: float = 120) -> list[int]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        left = [p for p in pids if _alive(p)]
        if not left:
            return []
        time.sleep(0.2)
    return [p for p in pids if _alive(p)]


pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


@pytest.mark.slow
@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"),
                                             (signal.SIGTERM, 143, "terminated")])
def test_interrupt_stops_with_one_line_and_no_process_left(slow_project, sig, code, word):
    proc, pids = _start(slow_project)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == code, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(word), err
    assert _wait_gone([pids["kernel"], *pids["workers"]]) == []
    # the stopped stage is not recorded as done
    state = slow_project / ".pipeline" / "state.json"
    assert not state.is_file() or "slow" not in json.loads(state.read_text())


@pytest.mark.slow
def test_kill_9_leaves_no_kernel_or_worker(slow_project):
    proc, pids = _start(slow_project)
    proc.kill()
    proc.wait(timeout=60)
    assert _wait_gone([pids["kernel"], *pids["workers"]]) == []


def test_a_second_run_in_the_same_checkout_is_refused(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
         "from analysis.pipeline_cli import checkout_lock\n"
         "with checkout_lock(Path(sys.argv[1])):\n    print('locked', flush=True)\n    time.sleep(600)",
         str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(InputError) as err:
            with checkout_lock(tmp_path):
                pass
        assert "another pipeline run is in progress" in str(err.value) and str(holder.pid) in str(err.value)
    finally:
        holder.kill()
        holder.wait()
    with checkout_lock(tmp_path):  # free again once the first run has ended
        pass


def test_unwritable_output_gives_one_line_and_keeps_the_state(slow_project, capsys):
    from analysis import pipeline, pipeline_cli
    from analysis.params import load_params

    import argparse

    root = slow_project
    # a stage whose output folder cannot be created: a file stands where the folder should be
    (root / "notebooks" / "01_slow.ipynb").unlink()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('raw_dir = "data/raw"\nresults_dir = "results"'),
                nbformat.v4.new_code_cell("print('ok')")]
    nb.cells[0].metadata["tags"] = ["parameters"]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    nbformat.write(nb, root / "notebooks" / "01_slow.ipynb")
    stages = (pipeline.Stage("slow", "01_slow.ipynb", ("{raw}/in.csv",), ("{results}/x/",), "prints"),)
    space = load_params(root / "params.yaml")
    values = space.resolve([])
    run = pipeline.make_run(None, {}, root=root, stages=stages)
    (root / ".pipeline").write_text("a file where the state folder should be\n")
    before = (root / ".pipeline").read_bytes()
    old = pipeline_cli._setup
    pipeline_cli._setup = lambda args: (space, values, run)
    try:
        try:
            code = pipeline_cli._execute(argparse.Namespace(force=True), None)
        except InputError as exc:  # as analysis.cli.main reports it
            print(f"error: {exc}", file=sys.stderr)
            code = 2
    finally:
        pipeline_cli._setup = old
    err = capsys.readouterr().err.strip().splitlines()
    assert code in (1, 2) and len(err) == 1 and err[0].startswith("error:"), err
    assert ".pipeline" in err[0]
    assert (root / ".pipeline").read_bytes() == before
