"""Property tests of the exact minimisation on random small crisp problems (3-5 conditions)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.qca.minimize import minimize, solve_chart
from analysis.qca.truthtable import row_configs, truth_table


@st.composite
def problems(draw):
    k = draw(st.integers(3, 5))
    status = draw(st.lists(st.sampled_from("10-"), min_size=2 ** k, max_size=2 ** k))
    if "1" not in status:
        status[draw(st.integers(0, 2 ** k - 1))] = "1"
    return k, status


def _data(k: int, status: list[str]) -> pd.DataFrame:
    rows = [i + 1 for i, s in enumerate(status) if s != "-"]
    cfg = row_configs(rows, [2] * k)
    d = pd.DataFrame(cfg, columns=[f"C{j}" for j in range(k)])
    d["Y"] = [1 if status[r - 1] == "1" else 0 for r in rows]
    d.index = [f"case{r}" for r in rows]
    return d


def _covers(term, cfg) -> bool:
    return all(v < 0 or v == c for v, c in zip(term, cfg))


def _brute_primes(k, allowed: set[int], on: set[int]):
    """All prime implicants by enumeration of the 3^k terms."""
    cfgs = {r: tuple(row_configs([r], [2] * k)[0]) for r in range(1, 2 ** k + 1)}
    impl = []
    for term in itertools.product([-1, 0, 1], repeat=k):
        rows = {r for r, c in cfgs.items() if _covers(term, c)}
        if rows <= allowed and rows & on:
            impl.append((term, rows))
    primes = []
    for t, rows in impl:
        bigger = any(r2 > rows for _, r2 in impl)
        if not bigger:
            primes.append((t, rows))
    return primes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.booleans())
def test_solutions_are_minimal_covers(problem, parsimonious: bool) -> None:
    k, status = problem
    data = _data(k, status)
    tt = truth_table(data, "Y")
    sol = minimize(tt, include="?" if parsimonious else "", max_models=10_000)
    pos = {i + 1 for i, s in enumerate(status) if s == "1"}
    neg = {i + 1 for i, s in enumerate(status) if s == "0"}
    allowed = pos | ({i + 1 for i, s in enumerate(status) if s == "-"} if parsimonious else set())
    assert set(tt.positive_rows) == pos and set(tt.negative_rows) == neg
    cfgs = {r: tuple(row_configs([r], [2] * k)[0]) for r in range(1, 2 ** k + 1)}
    for m in sol.models:
        for t in m.terms:
            covered = {r for r, c in cfgs.items() if _covers(t, c)}
            assert covered <= allowed            # implicant of positives (+ allowed remainders)
            assert not covered & neg             # excludes every negative row
        union = {r for r, c in cfgs.items() if any(_covers(t, c) for t in m.terms)}
        assert pos <= union                      # covers every positive row
    primes = _brute_primes(k, allowed, pos)
    assert sorted(t for t, _ in primes) == sorted(sol.prime_implicants)
    # brute force: smallest covers among all prime implicants
    best = None
    for size in range(1, len(primes) + 1):
        found = [c for c in itertools.combinations(range(len(primes)), size)
                 if pos <= set().union(*(primes[i][1] for i in c))]
        if found:
            best = {frozenset(primes[i][0] for i in c) for c in found}
            break
        if size >= 6:
            break
    if best is not None:
        assert all(len(m.terms) == len(next(iter(best))) for m in sol.models)
        assert sol.n_models == len(best)
        assert {frozenset(m.terms) for m in sol.models} == best


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 7), st.integers(2, 9), st.integers(0, 2 ** 32 - 1))
def test_chart_matches_brute_force(n_pis: int, n_cols: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cover = rng.random((n_pis, n_cols)) < 0.4
    cover[rng.integers(0, n_pis, n_cols), np.arange(n_cols)] = True
    res = solve_chart(cover)
    sets = None
    for size in range(1, n_pis + 1):
        sets = [c for c in itertools.combinations(range(n_pis), size) if cover[list(c)].any(axis=0).all()]
        if sets:
            break
    assert res.min_size == len(sets[0])
    assert res.models == sorted(sets)
    assert res.n_models == len(sets) and res.complete and not res.capped


def test_chart_cap_is_reported() -> None:
    # 12 columns, each coverable by 3 interchangeable PIs: 3**12 minimal covers of size 12
    cover = np.zeros((36, 12), dtype=bool)
    for j in range(12):
        cover[3 * j:3 * j + 3, j] = True
    res = solve_chart(cover, max_models=50)
    assert res.min_size == 12
    assert len(res.models) == 50 and res.capped and res.complete
    assert res.n_models == 3 ** 12        # exact: product over 12 independent blocks
    cycle = np.zeros((9, 9), dtype=bool)   # PI i covers columns i and i+1 (mod 9): 9 covers of 5
    for i in range(9):
        cycle[i, [i, (i + 1) % 9]] = True
    allc = solve_chart(cycle)
    assert allc.min_size == 5 and allc.n_models == 9 and allc.complete and not allc.capped
    tied = solve_chart(cycle, max_models=3)
    assert tied.capped and not tied.complete and tied.n_models == 4 and len(tied.models) == 3
    full = solve_chart(cover[:12, :4], max_models=5)
    assert full.n_models == 81 and full.capped and full.complete
    assert full.models == sorted(full.models)
