"""`python -m analysis reliability`: reliability of an item set in your own CSV.

Example::

    python -m analysis reliability bfi.csv --items A1,A2,A3,A4,A5 --reverse A1 \\
        --scale-min 1 --scale-max 6 --json

Rows with any missing answer among the items are dropped (listwise deletion,
as R psych's ``alpha(..., use = "complete.obs")``). Reverse-keyed items are
recoded scale_min + scale_max - x first. Prints n, Cronbach's alpha with its
Feldt 95% CI, standardised alpha, omega total (one-factor minres) and, per
item, the corrected item-total correlation and alpha if the item is deleted.
With ``--json`` the keys are ``n``, ``alpha``, ``alpha_ci``, ``std_alpha``,
``omega_total`` and ``items`` (item -> {``r_drop``, ``alpha_if_deleted``}).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis.errors import InputError, located


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of the `reliability` command."""
    parser.add_argument("file", metavar="FILE.csv", help="CSV with one row per respondent")
    parser.add_argument("--items", required=True,
                        help="comma-separated item columns, e.g. A1,A2,A3 (at least 2)")
    parser.add_argument("--reverse", default="",
                        help="comma-separated items to reverse-key (min + max - x)")
    parser.add_argument("--scale-min", type=float, required=True,
                        help="lowest possible answer, e.g. 1")
    parser.add_argument("--scale-max", type=float, required=True,
                        help="highest possible answer, e.g. 6")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def load_items(file: str | Path, items: list[str], scale_min: float,
               scale_max: float) -> pd.DataFrame:
    """The *items* columns of CSV *file* as floats, checked: present, numeric, in range.

    Errors name the file, the row as counted in the CSV (header = row 1) and
    the column.
    """
    path = Path(file)
    if not path.is_file():
        raise InputError(f"{file}: file not found")
    if len(items) < 2:
        raise InputError(f"--items needs at least 2 item columns, got {len(items)}: {items}")
    dupes = sorted({i for i in items if items.count(i) > 1})
    if dupes:
        raise InputError(f"--items lists {dupes} more than once")
    if not scale_min < scale_max:
        raise InputError(f"--scale-min {scale_min:g} must be below --scale-max {scale_max:g}")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read as CSV ({exc})") from None
    missing = [i for i in items if i not in df.columns]
    if missing:
        raise InputError(located(f"column(s) {missing} not found; the file has columns "
                                 f"{list(map(str, df.columns))}", file=str(file)))
    out = pd.DataFrame(index=df.index)
    for col in items:
        raw = df[col]
        num = pd.to_numeric(raw.str.strip(), errors="coerce")
        bad = num.isna() & raw.notna() & (raw.str.strip() != "")
        if bad.any():
            r = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(located(f"value {raw.iat[r]!r} is not a number "
                                     "(expected a numeric answer or an empty cell)",
                                     file=str(file), row=r + 2, column=col))
        outside = (num < scale_min) | (num > scale_max)
        if outside.any():
            r = int(outside.to_numpy().nonzero()[0][0])
            raise InputError(located(f"value {raw.iat[r]!r} is outside the scale range "
                                     f"[{scale_min:g}, {scale_max:g}]",
                                     file=str(file), row=r + 2, column=col))
        out[col] = num.astype(float)
    return out


def main(args: argparse.Namespace) -> int:
    """Run the `reliability` command; returns the exit status."""
    from analysis.io import dumps_json
    from analysis.psychometrics import reliability

    items = _split(args.items)
    reverse = _split(args.reverse or "")
    unknown = [r for r in reverse if r not in items]
    if unknown:
        raise InputError(f"--reverse item(s) {unknown} are not in --items {items}")
    data = load_items(args.file, items, args.scale_min, args.scale_max)
    result = reliability(data, scale_min=args.scale_min, scale_max=args.scale_max,
                         reverse=reverse)
    if args.json:
        sys.stdout.write(dumps_json(result.to_dict()))
    else:
        dropped = len(data) - result.n
        print(f"{args.file}: {len(data)} rows, {dropped} dropped for missing answers "
              "(listwise)")
        print(result.summary())
    return 0
