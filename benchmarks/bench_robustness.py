"""Benchmark: a robustness grid of 1,000 re-analyses of the headline QCA (target: under 60 s on 2 cores).

Run from the project root:

    .venv/bin/python benchmarks/bench_robustness.py [--n-jobs 2] [--runs 1000] [--permutations 1000]

Each re-analysis re-calibrates the five sets, builds the truth table and minimises
it (conservative solution). The grid is the stage's robustness grid with finer
anchor shifts, cut to exactly ``--runs`` re-analyses. Prints wall times only (a
benchmark measures; tests never assert wall time).
"""

from __future__ import annotations

import argparse
import io
import time

import pandas as pd

from analysis.stages import calibration as C
from analysis.stages import qca as Q
from analysis.study import PUBLISHED
from analysis.codebook import all_codebooks
from analysis.config import RAW_DIR
from analysis.prepare import prepare_staff
from analysis.psychometrics import score_all
from analysis.qca import robustness as R
from analysis.validate import load_raw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-jobs", type=int, default=-1)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--permutations", type=int, default=1000)
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address (optional)")
    a = ap.parse_args()

    staff = pd.read_csv(io.StringIO(prepare_staff(load_raw(RAW_DIR)).to_csv(index=False)))
    scores = score_all(staff, list(all_codebooks().values()))
    cal = C.run(staff, scores, "sustain12")
    res = Q.analyse(cal.memberships, cal.outcome_set, cal.conditions)
    specs = R.robustness_grid(C.anchor_dict(cal.anchors), list(cal.raw.index), n_cuts=(1, 2, 3),
                              shifts=(-0.15, -0.1, -0.05, 0.05, 0.1, 0.15))
    while len(specs) < a.runs:                      # pad by repeating (same work per re-analysis)
        specs = specs + specs
    specs = specs[:a.runs]

    t0 = time.perf_counter()
    runs = R.run_robustness(cal.raw, specs, "SUSTAIN12", cal.conditions, PUBLISHED,
                            n_jobs=a.n_jobs, scheduler=a.scheduler)
    t1 = time.perf_counter()
    print(f"robustness grid: {len(runs)} re-analyses in {t1 - t0:.1f} s (n_jobs={a.n_jobs}); "
          f"all three paths exact in {runs[[f'path{k}_exact' for k in (1, 2, 3)]].all(axis=1).mean():.1%}")
    if a.permutations:
        t0 = time.perf_counter()
        perm = Q.permutation_analysis(res, n_permutations=a.permutations, seed=1, n_jobs=a.n_jobs,
                                      scheduler=a.scheduler)
        t1 = time.perf_counter()
        print(f"permutation test: {perm.n_permutations} permutations in {t1 - t0:.1f} s; "
              f"p_fixed {perm.p_fixed:.4f}, p_refit {perm.p_refit:.4f}")


if __name__ == "__main__":
    main()
