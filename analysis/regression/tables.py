"""Deterministic table export: CSV (project float format) and GitHub Markdown.

``DataFrame.to_markdown`` needs the optional ``tabulate`` package, which the
project does not install, so Markdown is written by :func:`to_markdown`.

Text in a Markdown table is data (worker ids, organisation names, terms), never
markup: ``<``, ``>`` and ``&`` are written as HTML entities, so a value such as
``<script>`` shows as text in a Markdown viewer instead of being rendered, and
``|`` is escaped so it cannot split a cell. The CSV beside it is escaped against
spreadsheet formulas by :func:`analysis.io.write_csv`.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.io import atomic_write_text, write_csv


def _cell(value: object, floatfmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = format(v, floatfmt)
        return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text
    return _text(value)


def _text(value: object) -> str:
    """Text of a cell or header: HTML-special characters as entities, '|' escaped, one line.

    >>> print(_text("<script>alert('x')</script> & a|b"))
    &lt;script&gt;alert('x')&lt;/script&gt; &amp; a\\|b
    """
    return html.escape(str(value), quote=False).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def to_markdown(df: pd.DataFrame, *, floatfmt: str = ".3f", index: bool = False) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned, floats with *floatfmt*, NaN blank.

    >>> print(to_markdown(pd.DataFrame({"a": ["x"], "b": [0.5]})), end="")
    | a | b |
    | --- | ---: |
    | x | 0.500 |
    >>> print(to_markdown(pd.DataFrame({"worker": ["<script>"], "n": [1]})), end="")
    | worker | n |
    | --- | ---: |
    | &lt;script&gt; | 1 |
    """
    if index:
        df = df.reset_index()
    header = "| " + " | ".join(_text(c) for c in df.columns) + " |"
    aligns = []
    for c in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        aligns.append("---:" if numeric else "---")
    lines = [header, "| " + " | ".join(aligns) + " |"]
    for row in df.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(_cell(v, floatfmt) for v in row) + " |")
    return "\n".join(lines) + "\n"


def write_table(df: pd.DataFrame, directory: str | Path, stem: str, *, floatfmt: str = ".3f",
                index: bool = False) -> tuple[Path, Path]:
    """Write *df* as ``stem.csv`` (full precision, project format) and ``stem.md`` (rounded for reading)."""
    directory = Path(directory)
    csv = write_csv(df, directory / f"{stem}.csv", index=index)
    md = atomic_write_text(directory / f"{stem}.md", to_markdown(df, floatfmt=floatfmt, index=index))
    return csv, md
