"""Sets, expressions, truth-table edge cases, errors and the `qca` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _ref import dataset_path, load_dataset, load_reference
from hypothesis import given
from hypothesis import strategies as st

from analysis.cli import main as cli_main
from analysis.errors import InputError
from analysis.qca.expressions import (expression_membership, format_expression, format_term,
                                      parse_expression, sort_terms, term_membership)
from analysis.qca.sets import memberships, set_and, set_not, set_or
from analysis.qca.truthtable import truth_table

ROOT = Path(__file__).resolve().parents[2]
CONDS = ["A", "B", "C"]


def test_set_operations() -> None:
    a, b = [0.2, 0.9, 0.5], [0.6, 0.7, 0.5]
    assert set_and(a, b).tolist() == [0.2, 0.7, 0.5]
    assert set_or(a, b).tolist() == [0.6, 0.9, 0.5]
    assert set_not(a).tolist() == pytest.approx([0.8, 0.1, 0.5])
    with pytest.raises(InputError, match="different lengths"):
        set_and([0.1], [0.1, 0.2])


@pytest.mark.parametrize("bad, match", [([0.1, "x"], "'x' at position 2 is not numeric"),
                                        ([0.1, np.nan], "missing value"),
                                        ([1.2], "outside")])
def test_memberships_errors_name_the_set(bad, match) -> None:
    with pytest.raises(InputError, match=match) as e:
        memberships(bad, "SURV")
    assert str(e.value).startswith("SURV")


@given(st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_de_morgan(x) -> None:
    y = list(reversed(x))
    assert np.allclose(set_not(set_and(x, y)), set_or(set_not(x), set_not(y)))


def test_parse_and_format_round_trip() -> None:
    assert parse_expression(" ~A*B+C ", CONDS) == [(0, 1, -1), (-1, -1, 1)]
    assert parse_expression("A{2}*~B + A[0]", CONDS) == [(2, 0, -1), (0, -1, -1)]
    assert format_expression(parse_expression("~A*B + C", CONDS), CONDS) == "~A*B + C"
    assert format_term((2, 0, -1), CONDS, multivalue=True) == "A[2]*B[0]"
    assert format_term((-1, -1, -1), CONDS) == "1"


@pytest.mark.parametrize("text, match", [("A*D", "unknown condition 'D'; valid conditions: A, B, C"),
                                         ("A*", "ends with an operator"),
                                         ("A**B", "expected a condition name"),
                                         ("A*~A", "two different values"),
                                         ("A + import os", "unknown condition 'import'"),
                                         ("A B", "expected '\\*' or '\\+'"),
                                         ("A; B", "unexpected character ';'"),
                                         ("", "empty")])
def test_parse_errors(text, match) -> None:
    with pytest.raises(InputError, match=match):
        parse_expression(text, CONDS)


def test_sort_terms_canonical() -> None:
    terms = parse_expression("IND*STB + URB*STB + DEV*STB + DEV*~IND",
                             ["DEV", "URB", "LIT", "IND", "STB"])
    assert format_expression(sort_terms(terms), ["DEV", "URB", "LIT", "IND", "STB"]) == \
        "DEV*~IND + DEV*STB + URB*STB + IND*STB"


def test_term_and_expression_membership() -> None:
    d = pd.DataFrame({"A": [0.2, 0.9], "B": [0.7, 0.4], "C": [0, 2]})
    assert term_membership(d, (1, 0, -1), CONDS).tolist() == pytest.approx([0.2, 0.6])
    assert term_membership(d, (-1, -1, 2), CONDS).tolist() == [0.0, 1.0]
    assert expression_membership(d, "A + ~B", CONDS).tolist() == pytest.approx([0.3, 0.9])


def test_half_membership_joins_no_row_but_counts() -> None:
    d = pd.DataFrame({"A": [0.5, 0.9, 0.1], "Y": [1.0, 0.8, 0.0]}, index=["h", "p", "q"])
    tt = truth_table(d, "Y")
    assert tt.rows["n"].tolist() == [1, 1] and tt.rows["cases"].tolist() == [["q"], ["p"]]
    # row A=1: incl = (min(.5,1) + min(.9,.8) + min(.1,0)) / (.5 + .9 + .1)
    assert tt.rows["incl"].iloc[1] == pytest.approx(1.3 / 1.5)


def test_cut_off_tolerance() -> None:
    # incl = 0.7499999999999999 passes a 0.75 cut as in R (tolerance 1.49e-8)
    d = pd.DataFrame({"A": [1.0, 1.0, 1.0, 1.0], "Y": [1.0, 1.0, 1.0, 0.0]})
    d.loc[:, "Y"] = [1.0, 1.0, 0.7499999999999999 * 4 - 2, 0.0]
    tt = truth_table(d, "Y", incl_cut=0.75)
    assert tt.rows["incl"].iloc[0] < 0.75 and tt.positive_rows == [2]


def test_truth_table_input_errors() -> None:
    d = pd.DataFrame({"A": [0.2, 1.3], "B": [0.1, "x"], "Y": [1, 0]})
    with pytest.raises(InputError, match="row 3, column 'A'"):
        truth_table(d, "Y", ["A"])
    with pytest.raises(InputError, match="row 3, column 'B': value not numeric"):
        truth_table(d, "Y", ["B"])
    with pytest.raises(InputError, match="outcome 'Z' is not a column"):
        truth_table(d, "Z", ["B"])
    with pytest.raises(InputError, match="condition 'Q' is not a column"):
        truth_table(d, "Y", ["Q"])


def test_negated_outcome_spellings_agree() -> None:
    data = load_dataset("CVF")
    a = truth_table(data, "~PROTEST", incl_cut=0.8)
    b = truth_table(data, "PROTEST", incl_cut=0.8, neg_out=True)
    assert a.positive_rows == b.positive_rows == load_reference("CVF_tt_neg")["truth_table"]["positive_rows"]


def _run(argv, capsys):
    code = cli_main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cli_json_gives_r_solution(capsys) -> None:
    code, out, _ = _run(["qca", str(dataset_path("LF")), "--outcome", "SURV", "--incl-cut", "0.8",
                         "--json"], capsys)
    assert code == 0
    obj = json.loads(out)
    ref = load_reference("LF_conservative")
    assert [r["row"] for r in obj["truth_table"]["rows"]] == sorted(r["row"] for r in ref["truth_table"]["rows"])
    assert sorted(obj["solution"]["models"][0]["terms"]) == sorted(ref["solution"]["models"][0]["terms"])
    assert obj["solution"]["models"][0]["fit"]["covS"] == pytest.approx(
        ref["solution"]["models"][0]["fit"]["covS"], abs=1e-3)


def test_cli_intermediate_and_negation(capsys) -> None:
    code, out, _ = _run(["qca", str(dataset_path("LF")), "--outcome", "~SURV", "--incl-cut", "0.8",
                         "--solution", "parsimonious", "--json"], capsys)
    ref = load_reference("LF_neg_parsimonious")["solution"]
    assert code == 0 and [m["terms"] for m in json.loads(out)["solution"]["models"]] == \
        [m["terms"] for m in ref["models"]]
    code, out, _ = _run(["qca", str(dataset_path("LF")), "--outcome", "SURV", "--incl-cut", "0.8",
                         "--dir-exp", "DEV,STB,~LIT*IND"], capsys)
    assert code == 0 and "M1: DEV*URB*STB + DEV*~IND*STB -> SURV" in out


@pytest.mark.parametrize("content, extra, match", [
    ("case,A,Y\na,0.2,1\nb,1.5,0\n", [], "row 3, column 'A': value 1.5"),
    ("case,A,Y\na,0.2,1\nb,high,0\n", [], "row 3, column 'A': value not numeric"),
    ("case,A,Y\na,0.2,1\nb,0.9,0\n", ["--conditions", "A,Q"], "condition 'Q' is not a column"),
])
def test_cli_bad_input_exit_2(tmp_path, capsys, content, extra, match) -> None:
    f = tmp_path / "mine.csv"
    f.write_text(content)
    code, _, err = _run(["qca", str(f), "--outcome", "Y", *extra], capsys)
    assert code == 2 and "mine.csv" in err and match in err


def test_cli_missing_outcome_and_unreadable(tmp_path, capsys) -> None:
    f = tmp_path / "x.csv"
    f.write_text("case,A,Y\na,0.2,1\n")
    code, _, err = _run(["qca", str(f), "--outcome", "SURV"], capsys)
    assert code == 2 and "outcome 'SURV' is not a column" in err
    code, _, err = _run(["qca", str(tmp_path / "nope.csv"), "--outcome", "Y"], capsys)
    assert code == 2 and "file not found" in err
    b = tmp_path / "bin.csv"
    b.write_bytes(b"\xff\xfe\x00bad\x00\n\x81")
    code, _, err = _run(["qca", str(b), "--outcome", "Y"], capsys)
    assert code == 2 and "bin.csv" in err


def test_cli_subprocess_error_status() -> None:
    r = subprocess.run([sys.executable, "-m", "analysis", "qca", str(dataset_path("LF")),
                        "--outcome", "SURV", "--conditions", "DEV,FOO"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "unknown" in r.stderr or "not a column" in r.stderr
