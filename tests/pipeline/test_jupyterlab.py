"""JupyterLab starts headless on loopback, lists the notebooks and the project's
kernel through its REST API, and runs a kernel that imports `analysis`."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient

from analysis.config import ROOT

KERNEL = "sbw-compendium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str, method: str = "GET", body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Authorization": f"token {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


#: Generous limits, for a loaded 2-core machine (alone, the whole test takes about 10 s):
#: a server start may take this long before it answers on loopback ...
SERVER_START_TIMEOUT = 180
#: ... a kernel this long before it answers kernel_info, and one execution this long.
KERNEL_START_TIMEOUT = 180
EXECUTE_TIMEOUT = 120
#: Each start (server, kernel) is tried this many times; a failed attempt is cleaned up first.
ATTEMPTS = 3


def _start_server(tmp_path: Path, attempt: int):
    port, token = _free_port(), secrets.token_hex(16)
    runtime = tmp_path / f"runtime-{attempt}"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
         "--ServerApp.open_browser=False", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc, None, f"JupyterLab exited: {proc.stderr.read()[-2000:]}"
        try:
            _get(f"{base}/api/status", token)
            return proc, (base, token, runtime), None
        except OSError:
            time.sleep(0.5)
    return proc, None, f"JupyterLab did not answer on loopback within {SERVER_START_TIMEOUT} s"


def _stop_server(proc: subprocess.Popen, base: str | None, token: str | None) -> None:
    try:
        if base is not None and proc.poll() is None:
            _get(f"{base}/api/shutdown", token, method="POST")
        proc.wait(timeout=20)
    except Exception:  # noqa: BLE001 - make sure the server goes away
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def lab(tmp_path: Path):
    errors = []
    for attempt in range(ATTEMPTS):
        proc, info, error = _start_server(tmp_path, attempt)
        if info is not None:
            break
        errors.append(error)
        _stop_server(proc, None, None)
    else:
        pytest.fail(f"JupyterLab did not start in {ATTEMPTS} attempts: " + " | ".join(errors))
    try:
        yield info
    finally:
        _stop_server(proc, info[0], info[1])


def _run_in_new_kernel(base: str, token: str, runtime: Path, code: str) -> tuple[dict, list[dict]]:
    """Start a kernel of the project's kernelspec, run *code*, shut the kernel down.

    A kernel that dies or does not answer kernel_info in time is shut down and
    the start retried (ATTEMPTS times): under load a kernel start can fail
    ("Kernel died before replying to kernel_info") and succeed on the next try.
    """
    errors = []
    for _ in range(ATTEMPTS):
        kernel = _get(f"{base}/api/kernels", token, method="POST", body={"name": KERNEL})
        client = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel['id']}.json"))
        outputs: list[dict] = []
        try:
            client.load_connection_file()
            client.start_channels()
            client.wait_for_ready(timeout=KERNEL_START_TIMEOUT)
            reply = client.execute_interactive(code, timeout=EXECUTE_TIMEOUT,
                                               output_hook=lambda msg: outputs.append(msg))
            return reply, outputs
        except (RuntimeError, TimeoutError) as exc:  # died or did not answer: clean up, try again
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.stop_channels()
            try:
                _get(f"{base}/api/kernels/{kernel['id']}", token, method="DELETE")
            except OSError:
                pass
    pytest.fail(f"the kernel did not start in {ATTEMPTS} attempts: " + " | ".join(errors))


def test_lab_lists_notebooks_and_kernel_and_imports_analysis(lab):
    base, token, runtime = lab
    listing = _get(f"{base}/api/contents/notebooks", token)
    names = {item["name"] for item in listing["content"]}
    expected = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert expected and expected <= names
    specs = _get(f"{base}/api/kernelspecs", token)["kernelspecs"]
    assert KERNEL in specs, f"kernel {KERNEL!r} not registered: run `make venv` (found {sorted(specs)})"
    reply, outputs = _run_in_new_kernel(
        base, token, runtime,
        "import analysis, analysis.config; print(analysis.__version__, analysis.config.ROOT.name)")
    assert reply["content"]["status"] == "ok"
    printed = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert printed.strip() == f"0.1.0 {ROOT.name}"
