"""`python -m analysis reliability` against R psych (bfi) and its error handling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import psychometrics as P
from analysis.cli import main

ROOT = Path(__file__).resolve().parents[2]
PSYCH = ROOT / "tests" / "data" / "psych"
BFI = PSYCH / "bfi.csv"
REF = json.loads((PSYCH / "bfi_reliability_reference.json").read_text())["scales"]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["reliability", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _reverse(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("scale", ["A", "C", "E", "N", "O"])
def test_cli_json_matches_r_psych(capsys, scale):
    ref = REF[scale]
    argv = [str(BFI), "--items", ",".join(ref["items"]), "--scale-min", "1",
            "--scale-max", "6", "--json"]
    rev = _reverse(ref["reverse"])
    if rev:
        argv += ["--reverse", ",".join(rev)]
    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    got = json.loads(out)
    assert set(got) == {"n", "alpha", "alpha_ci", "std_alpha", "omega_total", "items"}
    assert got["n"] == ref["n"]
    assert got["alpha"] == pytest.approx(ref["raw_alpha"], abs=1e-3)
    assert got["alpha_ci"] == pytest.approx(ref["alpha_ci_feldt"], abs=1e-3)
    assert got["std_alpha"] == pytest.approx(ref["std_alpha"], abs=1e-3)
    assert got["omega_total"] == pytest.approx(ref["omega_total"], abs=5e-3)
    assert list(got["items"]) == sorted(ref["items"])
    for item in ref["items"]:
        assert got["items"][item]["r_drop"] == pytest.approx(ref["r_drop"][item], abs=1e-3)
        assert got["items"][item]["alpha_if_deleted"] == pytest.approx(
            ref["alpha_if_deleted"][item], abs=1e-3)


ALL_ITEMS = [f"{s}{j}" for s in "ACENO" for j in range(1, 6)]


@settings(max_examples=5, deadline=None)
@given(items=st.lists(st.sampled_from(ALL_ITEMS), min_size=2, max_size=6, unique=True),
       data=st.data())
def test_cli_any_item_set_equals_library(items, data):
    """Any bfi item set: the command prints what the (R-validated) library computes."""
    import contextlib
    import io

    reverse = data.draw(st.lists(st.sampled_from(items), max_size=2, unique=True))
    argv = ["reliability", str(BFI), "--items", ",".join(items), "--scale-min", "1",
            "--scale-max", "6", "--json"] + (["--reverse", ",".join(reverse)] if reverse else [])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(argv) == 0
    got = json.loads(buf.getvalue())
    lib = P.reliability(pd.read_csv(BFI)[items], scale_min=1, scale_max=6, reverse=reverse)
    assert got["n"] == lib.n
    assert got["alpha"] == pytest.approx(lib.alpha, rel=1e-9, abs=1e-12)  # JSON carries 10 significant digits
    if len(items) < 3:
        assert got["omega_total"] is None and np.isnan(lib.omega_total)  # JSON null
    else:
        assert got["omega_total"] == pytest.approx(lib.omega_total, abs=1e-9)


def test_cli_text_output(capsys):
    code, out, _ = _run(capsys, str(BFI), "--items", "A1,A2,A3,A4,A5", "--reverse", "A1",
                        "--scale-min", "1", "--scale-max", "6")
    assert code == 0
    assert "2800 rows, 91 dropped" in out
    assert "n = 2709" in out and "0.704" in out and "0.686 to 0.721" in out
    assert "omega total          0.724" in out
    assert "A1" in out and "0.311" in out and "0.718" in out


def test_cli_subprocess_json():
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "reliability", str(BFI), "--items",
         "N1,N2,N3,N4,N5", "--scale-min", "1", "--scale-max", "6", "--json"],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["alpha"] == pytest.approx(REF["N"]["raw_alpha"], abs=1e-3)


@pytest.fixture
def bad_csv(tmp_path) -> Path:
    p = tmp_path / "answers.csv"
    p.write_text("id,q1,q2,q3\n1,1,2,3\n2,2,x,3\n3,3,3,9\n")
    return p


@pytest.mark.parametrize("argv, message", [
    (["--items", "q1,zz"], "column(s) ['zz'] not found"),
    (["--items", "q1,q2"], "row 3, column 'q2': value 'x' is not a number"),
    (["--items", "q1,q3"], "row 4, column 'q3': value '9' is outside the scale range [1, 5]"),
    (["--items", "q1"], "at least 2 item columns"),
    (["--items", "q1,q1"], "more than once"),
    (["--items", "q1,q3", "--reverse", "q2"], "--reverse item(s) ['q2'] are not in --items"),
])
def test_cli_bad_input_exit_2(capsys, bad_csv, argv, message):
    code, out, err = _run(capsys, str(bad_csv), *argv, "--scale-min", "1", "--scale-max", "5")
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err
    if "row" in message:
        assert "answers.csv" in err


def test_cli_missing_file_and_bad_range(capsys, tmp_path):
    code, _, err = _run(capsys, str(tmp_path / "nope.csv"), "--items", "a,b",
                        "--scale-min", "1", "--scale-max", "5")
    assert code == 2 and "file not found" in err
    code, _, err = _run(capsys, str(BFI), "--items", "A1,A2", "--scale-min", "6",
                        "--scale-max", "1")
    assert code == 2 and "must be below" in err
    code, _, err = _run(capsys, str(BFI), "--items", "A1,A2")  # argparse: required flags
    assert code == 2
