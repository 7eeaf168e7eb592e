"""`python -m analysis qca FILE.csv --outcome Y ...`: QCA of your own CSV.

The first CSV column holds the case names; the other columns hold
memberships in [0, 1] (or multi-value codes 0, 1, 2, ...). Prints the truth
table and the solution in R QCA's layout, or with ``--json`` one JSON object
``{"truth_table": ..., "solution": ..., "necessity": ...}`` whose fields follow
the R reference files (``truth_table.rows[]``: row, config, OUT, n, incl, PRI,
cases; ``solution.models[]``: terms, fit, term_fit; ``solution.intermediate[]``).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import pandas as pd

from analysis.errors import InputError, located
from analysis.io import dumps_json
from analysis.qca.minimize import minimize
from analysis.qca.truthtable import truth_table

__all__ = ["add_arguments", "main", "read_cases_csv"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the `qca` command."""
    parser.add_argument("file", help="CSV file: first column case names, then conditions and outcome")
    parser.add_argument("--outcome", required=True, help="outcome column (~Y for its negation)")
    parser.add_argument("--conditions", help="comma-separated condition columns (default: all others)")
    parser.add_argument("--neg-out", action="store_true", help="negate the outcome")
    parser.add_argument("--incl-cut", default="1", help="inclusion cut-off, or two 'ic1,ic0' (default 1)")
    parser.add_argument("--n-cut", type=int, default=1, help="minimum cases per row (default 1)")
    parser.add_argument("--pri-cut", type=float, default=0.0, help="minimum PRI for OUT = 1 (default 0)")
    parser.add_argument("--solution", choices=["conservative", "parsimonious", "intermediate"],
                        help="solution type (default conservative; intermediate with --dir-exp)")
    parser.add_argument("--dir-exp", help="directional expectations, e.g. 'A,~B,C*~D'")
    parser.add_argument("--row-dom", action="store_true", help="remove dominated prime implicants")
    parser.add_argument("--max-models", type=int, default=1000, help="most models listed (default 1000)")
    parser.add_argument("--sort-by", help="truth-table order, e.g. 'incl,n' (default row number)")
    parser.add_argument("--necessity", action="store_true", help="add the necessity table")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def read_cases_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV whose first column holds case names (the index)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(located("file not found (expected a CSV file)", file=str(path)))
    try:
        df = pd.read_csv(path, index_col=0, dtype=str, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise InputError(located(f"cannot read as CSV ({exc.__class__.__name__}: {exc})",
                                 file=str(path))) from None
    if df.shape[1] < 2:
        raise InputError(located("expected a case-name column, then condition and outcome columns",
                                 file=str(path)))
    df.index = df.index.astype(str)
    return df


def _incl_cut(text: str) -> list[float]:
    try:
        return [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--incl-cut {text!r}: expected one or two numbers like 0.8 or 0.8,0.75") from None


def main(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    file = str(args.file)
    data = read_cases_csv(file)
    conditions = [c.strip() for c in args.conditions.split(",")] if args.conditions else None
    solution_type = args.solution or ("intermediate" if args.dir_exp else "conservative")
    if solution_type == "intermediate" and not args.dir_exp:
        raise InputError("--solution intermediate needs --dir-exp (directional expectations)")
    try:
        tt = truth_table(data, args.outcome, conditions, neg_out=args.neg_out,
                         incl_cut=_incl_cut(args.incl_cut), n_cut=args.n_cut, pri_cut=args.pri_cut,
                         sort_by=args.sort_by)
        include = "" if solution_type == "conservative" else "?"
        dir_exp = _split_dir_exp(args.dir_exp) if solution_type == "intermediate" else None
        sol = minimize(tt, include=include, dir_exp=dir_exp, row_dom=args.row_dom,
                       max_models=args.max_models)
        nec = _necessity(data, tt) if args.necessity else None
    except InputError as exc:
        raise InputError(located(str(exc), file=file)) from None
    if args.json:
        obj = {"file": Path(file).name, "truth_table": tt.to_dict(), "solution": sol.to_dict()}
        if nec is not None:
            obj["necessity"] = nec
        sys.stdout.write(dumps_json(obj))
    else:
        out = [tt.summary(), sol.summary()]
        if nec is not None:
            out.append(nec["printed"])
        sys.stdout.write("\n".join(out))
    return 0


def _split_dir_exp(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _necessity(data: pd.DataFrame, tt) -> dict | None:
    if importlib.util.find_spec("analysis.qca.necessity") is None:  # pragma: no cover
        raise InputError("--necessity: the necessity module is not available")
    from analysis.qca import necessity as nec_mod

    sub = data[list(tt.conditions) + [tt.outcome.lstrip("~").split("{")[0]]]
    res = nec_mod.necessity(sub, tt.outcome, list(tt.conditions))
    table = res.to_frame()
    return {"outcome": tt.outcome, "rows": table.to_dict(orient="records"), "printed": res.summary()}
