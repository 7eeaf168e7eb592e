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
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


@pytest.fixture
def lab(tmp_path: Path):
    port, token = _free_port(), secrets.token_hex(16)
    runtime = tmp_path / "runtime"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
         "--ServerApp.open_browser=False", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited: {proc.stderr.read()[-2000:]}")
            try:
                _get(f"{base}/api/status", token)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer on loopback within 60 s")
        yield base, token, runtime
    finally:
        try:
            _get(f"{base}/api/shutdown", token, method="POST")
            proc.wait(timeout=20)
        except Exception:  # noqa: BLE001 - make sure the server goes away
            proc.kill()
            proc.wait(timeout=10)


def test_lab_lists_notebooks_and_kernel_and_imports_analysis(lab):
    base, token, runtime = lab
    listing = _get(f"{base}/api/contents/notebooks", token)
    names = {item["name"] for item in listing["content"]}
    expected = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert expected and expected <= names
    specs = _get(f"{base}/api/kernelspecs", token)["kernelspecs"]
    assert KERNEL in specs, f"kernel {KERNEL!r} not registered: run `make venv` (found {sorted(specs)})"
    kernel = _get(f"{base}/api/kernels", token, method="POST", body={"name": KERNEL})
    client = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel['id']}.json"))
    client.load_connection_file()
    client.start_channels()
    outputs: list[dict] = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(
            "import analysis, analysis.config; print(analysis.__version__, analysis.config.ROOT.name)",
            timeout=60, output_hook=lambda msg: outputs.append(msg))
        assert reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()
    printed = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert printed.strip() == f"0.1.0 {ROOT.name}"
    _get(f"{base}/api/kernels/{kernel['id']}", token, method="DELETE")

