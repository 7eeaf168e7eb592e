"""Benchmark: truth table + conservative and parsimonious minimisation on random problems.

Seeded random data: 200 cases, 8 / 10 / 12 conditions, crisp and fuzzy. The
outcome is planted from a random sum of products with noise, so the truth
tables have positive, negative and remainder rows. Prints the median wall time
of each step (over ``--repeats`` seeds), the peak traced memory (tracemalloc;
numpy allocations are traced) of a separate untimed pass over the same seeds
(tracing slows pure-Python code several-fold, so it is kept out of the timings),
and the numbers of minimal models ("lower bound" when an exact count was not
feasible within the search budget). Run: ``.venv/bin/python benchmarks/bench_qca.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

from analysis.qca.minimize import minimize
from analysis.qca.truthtable import truth_table


def make_problem(k: int, n: int, fuzzy: bool, seed: int) -> pd.DataFrame:
    """Random data with an outcome planted from three random conjunctions (seeded)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, k)) if fuzzy else (rng.random((n, k)) < 0.5).astype(float)
    if fuzzy:
        x = np.round(np.where(np.abs(x - 0.5) < 0.01, x + 0.02, x), 2)
    y = np.zeros(n)
    for _ in range(3):
        conds = rng.choice(k, size=3, replace=False)
        neg = rng.random(3) < 0.5
        lit = np.where(neg[None, :], 1 - x[:, conds], x[:, conds])
        y = np.maximum(y, lit.min(axis=1))
    noise = rng.random(n) < 0.1
    y = np.where(noise, 1 - y, y)
    if not fuzzy:
        y = (y > 0.5).astype(float)
    df = pd.DataFrame(x, columns=[f"C{j}" for j in range(k)])
    df["Y"] = y
    df.index = [f"c{i}" for i in range(n)]
    return df


def run(k: int, fuzzy: bool, seed: int, n: int) -> dict[str, float]:
    data = make_problem(k, n, fuzzy, seed)
    t0 = time.perf_counter()
    tt = truth_table(data, "Y", incl_cut=0.8 if fuzzy else 0.75)
    t1 = time.perf_counter()
    cons = minimize(tt, include="", max_models=1000)
    t2 = time.perf_counter()
    pars = minimize(tt, include="?", max_models=1000)
    t3 = time.perf_counter()
    return {"tt": t1 - t0, "conservative": t2 - t1, "parsimonious": t3 - t2,
            "n_pos": len(tt.positive_rows), "models_c": cons.n_models, "models_p": pars.n_models,
            "capped": cons.capped or pars.capped, "exact": cons.complete and pars.complete}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--conditions", default="8,10,12")
    ap.add_argument("--seed", type=int, default=20261123)
    a = ap.parse_args()
    seeds = np.random.SeedSequence(a.seed).generate_state(a.repeats)
    print(f"{'k':>3} {'type':>6} {'tt (s)':>8} {'cons (s)':>9} {'pars (s)':>9} {'max (s)':>8} {'peak MB':>8} "
          f"{'pos rows':>8} {'models c/p (max)':>17}")
    for k in [int(v) for v in a.conditions.split(",")]:
        for fuzzy in (False, True):
            res = [run(k, fuzzy, int(s), a.cases) for s in seeds]
            tracemalloc.start()
            for s in seeds:
                run(k, fuzzy, int(s), a.cases)
            peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
            tracemalloc.stop()
            med = {key: statistics.median(r[key] for r in res) for key in ("tt", "conservative", "parsimonious")}
            worst = max(max(r["conservative"], r["parsimonious"]) for r in res)
            note = []
            if any(r["capped"] for r in res):
                note.append("capped")
            if not all(r["exact"] for r in res):
                note.append("lower bound")
            print(f"{k:>3} {'fuzzy' if fuzzy else 'crisp':>6} {med['tt']:8.3f} {med['conservative']:9.3f} "
                  f"{med['parsimonious']:9.3f} {worst:8.3f} {peak:8.1f} "
                  f"{int(statistics.median(r['n_pos'] for r in res)):>8} "
                  f"{max(r['models_c'] for r in res):>8}/{max(r['models_p'] for r in res):<8} "
                  + ", ".join(note))

if __name__ == "__main__":
    main()
