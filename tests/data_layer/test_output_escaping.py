"""Outputs are safe to open: CSV text cells cannot run as spreadsheet formulas, Markdown cells cannot inject HTML."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.io import escape_formula, unescape_formula, write_csv
from analysis.regression.tables import to_markdown, write_table

DANGEROUS = ["=1+2", "+SUM(A1:A3)", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0", "-A1"]
SAFE_TEXT = ["-0.5", "+3", "-1e-3", "-inf", "-", "+", "~CASELOAD", "S001", "", "a=b"]


@pytest.mark.parametrize("cell", DANGEROUS)
def test_formula_cells_are_quoted(tmp_path, cell):
    df = pd.DataFrame({"staff_id": [cell, "S002"], "score": [-1.5, 2.0], "n": [-3, 4]})
    path = write_csv(df, tmp_path / "out.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    written = "'" + cell.replace("\r", "\n")     # a CR in a cell is written as a line break (quoted)
    assert back["staff_id"].tolist() == [written, "S002"]
    assert back["score"].tolist() == ["-1.5", "2"] and back["n"].tolist() == ["-3", "4"]   # numbers untouched
    if "\r" not in cell:
        assert unescape_formula(back["staff_id"].iloc[0]) == cell
    assert df["staff_id"].iloc[0] == cell                                                # input not modified


@pytest.mark.parametrize("cell", SAFE_TEXT)
def test_numbers_in_text_and_plain_text_unchanged(tmp_path, cell):
    df = pd.DataFrame({"term": [cell], "estimate": [-0.25]})
    back = pd.read_csv(write_csv(df, tmp_path / "out.csv"), dtype=str, keep_default_na=False)
    assert back["term"].iloc[0] == cell
    assert back["estimate"].iloc[0] == "-0.25"


@pytest.mark.parametrize("dtype", [object, "string", "category"])
def test_every_text_dtype_and_labels_escaped(tmp_path, dtype):
    df = pd.DataFrame({"=label": ["@x", "ok"], "v": [1.0, np.nan]},
                      index=pd.Index(["-id", "S2"], name="staff_id")).astype({"=label": dtype})
    text = write_csv(df, tmp_path / "out.csv", index=True).read_text()
    assert text.splitlines() == ["staff_id,'=label,v", "'-id,'@x,1", "S2,ok,"]


def test_escape_formula_leaves_non_text_alone():
    for v in (-1, -0.5, np.float64(-2.0), None, pd.NA, True):
        assert escape_formula(v) is v


def test_markdown_escapes_html(tmp_path):
    df = pd.DataFrame({"staff_id": ["<script>alert(1)</script>", "A&B", "x|y"], "n": [1, 2, 3]})
    csv_path, md_path = write_table(df, tmp_path, "workers")
    md = md_path.read_text()
    assert "<script>" not in md and "<" not in md and ">" not in md.replace("---:", "")
    assert "| &lt;script&gt;alert(1)&lt;/script&gt; | 1 |" in md
    assert "| A&amp;B | 2 |" in md and "| x\\|y | 3 |" in md
    assert "<script>alert(1)</script>" in csv_path.read_text()         # the CSV keeps the text (no formula)


def test_markdown_header_and_index_escaped():
    df = pd.DataFrame({"<b>": [0.5]}, index=pd.Index(["<i>"], name="a&b"))
    md = to_markdown(df, index=True)
    assert md.splitlines()[0] == "| a&amp;b | &lt;b&gt; |"
    assert md.splitlines()[2] == "| &lt;i&gt; | 0.500 |"
