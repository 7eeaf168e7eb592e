"""``python -m analysis regression``: stage 05 models for one outcome (or all) from the command line."""

from __future__ import annotations

import argparse

from analysis.config import project_path
from analysis.regression.specs import DEFAULT_OUTCOME, OUTCOMES
from analysis.regression.stage import PUBLISHED_SOLUTION, run_regression


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``regression`` command."""
    parser.add_argument("--outcome", default=DEFAULT_OUTCOME,
                        help=f"one of {', '.join(OUTCOMES)} or 'all' (default {DEFAULT_OUTCOME})")
    parser.add_argument("--processed-dir", default="data/processed")
    parser.add_argument("--raw-dir", default="data/raw")
    parser.add_argument("--results-dir", default="results")
    parser.add_argument("--solution", default=PUBLISHED_SOLUTION,
                        help="QCA solution to compare with, e.g. 'A*~B + C*D'")
    parser.add_argument("--threshold", type=float, default=None,
                        help="predicted rate counted as high (default: median observed rate)")
    parser.add_argument("--seed", type=int, default=0)


def main(args: argparse.Namespace) -> int:
    """Run stage 05 for the chosen outcome(s); print where the tables went."""
    names = list(OUTCOMES) if args.outcome == "all" else [args.outcome]
    for name in names:
        tables = run_regression(name, processed_dir=project_path(args.processed_dir),
                                raw_dir=project_path(args.raw_dir),
                                results_dir=project_path(args.results_dir),
                                solution=args.solution, threshold=args.threshold, seed=args.seed)
        s = tables["summary"]
        print(f"{name}: {s['n_workers']} workers, {s['n_participants']} participants -> "
              f"{args.results_dir}/regression/{name}/")
    return 0
