"""The environment files agree with each other and with what is installed."""

from __future__ import annotations

import re

import yaml

from analysis.config import ROOT
from analysis.pipeline import environment_drift, lock_pins


def test_environment_yml_installs_the_lock_with_the_locked_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = [d for d in deps if isinstance(d, str) and d.startswith("python=")]
    assert python == ["python=3.11"]
    pip_section = [d for d in deps if isinstance(d, dict)][0]["pip"]
    assert "-r requirements.lock" in pip_section
    header = (ROOT / "requirements.lock").read_text().splitlines()[1]
    assert re.search(r"--python-version 3\.11\b", header), header
    assert "python_requires" not in header
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11"' in pyproject


def test_every_locked_requirement_has_a_hash():
    text = (ROOT / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    pinned = [b for b in blocks if re.match(r"^[A-Za-z0-9_.\-\[\]]+==", b)]
    assert len(pinned) > 100
    assert all("--hash=sha256:" in b for b in pinned)


def test_core_packages_are_pinned_and_installed_as_locked():
    pins = lock_pins(ROOT / "requirements.lock")
    for name in ("pandas", "statsmodels", "seaborn", "papermill", "pingouin", "nbval", "jupyterlab"):
        assert name in pins
    assert pins["pingouin"] == "0.7.0"
    assert environment_drift(ROOT / "requirements.lock") == []
