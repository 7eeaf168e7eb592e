"""The command line's exit status and messages for bad stages and parameters."""

from __future__ import annotations

import subprocess
import sys

from analysis.cli import main
from analysis.config import ROOT
from analysis.pipeline import stage_names


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_unknown_stage_exits_2_and_lists_stages():
    out = _cli("run", "nosuchstage")
    assert out.returncode == 2
    assert "unknown stage 'nosuchstage'" in out.stderr
    for name in stage_names():
        assert name in out.stderr


def test_unknown_parameter_exits_2_and_lists_parameters():
    out = _cli("reproduce", "-p", "nosuchparam", "1")
    assert out.returncode == 2
    assert "unknown parameter 'nosuchparam'" in out.stderr
    assert "incl_cut" in out.stderr and "outcome" in out.stderr


def test_bad_value_exits_2():
    assert main(["run", "prepare", "-p", "incl_cut", "2"]) == 2


def test_unknown_command_exits_2(capsys):
    assert main(["frobnicate"]) == 2
    assert "valid commands" in capsys.readouterr().err


def test_list_names_every_stage_and_parameter(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in stage_names():
        assert name in out
    assert "incl_cut: float 0.5 <= value <= 1 (default 0.8)" in out
