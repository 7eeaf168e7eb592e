"""Exact counting and listing of minimum covers of prime-implicant charts (solve_chart).

Known answers on planted charts (numbers of minimum covers known in closed form),
brute force on random small charts, and the helpers used on the way (dominance
reduction for the integer program, lexicographic merge of blocks, covU).
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.qca.fit import fit_terms, unique_coverage
from analysis.qca.minimize import solve_chart

_mz = sys.modules["analysis.qca.minimize"]   # the package re-exports the function `minimize`


def _brute_min_covers(cover: np.ndarray) -> list[tuple[int, ...]]:
    """Every cover with the fewest rows, sorted (exhaustive)."""
    p = cover.shape[0]
    for size in range(1, p + 1):
        found = [c for c in itertools.combinations(range(p), size) if cover[list(c)].any(axis=0).all()]
        if found:
            return sorted(found)
    raise AssertionError("no cover")


def _ladder(n: int) -> np.ndarray:
    """2n columns in pairs; 3 PIs per pair cover both its columns, n-1 PIs link
    neighbouring pairs (columns 2j+1, 2j+2). One connected block whose minimum
    covers are the perfect matchings by pair PIs: exactly 3**n of size n."""
    cover = np.zeros((3 * n + n - 1, 2 * n), dtype=bool)
    for j in range(n):
        cover[3 * j:3 * j + 3, [2 * j, 2 * j + 1]] = True
    for j in range(n - 1):
        cover[3 * n + j, [2 * j + 1, 2 * j + 2]] = True
    return cover


def _cycle(n: int) -> np.ndarray:
    """PI i covers columns i and i+1 (mod n)."""
    return np.eye(n, dtype=bool) | np.roll(np.eye(n, dtype=bool), 1, axis=1)


def test_independent_columns_count_and_lexicographic_first() -> None:
    cover = np.zeros((36, 12), dtype=bool)       # column j: PIs 3j, 3j+1, 3j+2
    for j in range(12):
        cover[3 * j:3 * j + 3, j] = True
    res = solve_chart(cover, max_models=50, exact_count=True)
    assert res.min_size == 12 and res.n_models == 3 ** 12 and res.complete and res.capped
    expected = list(itertools.islice(itertools.product(*[range(3 * j, 3 * j + 3) for j in range(12)]), 50))
    assert res.models == expected


@pytest.mark.parametrize("n", [5, 9, 41])
def test_odd_cycle_has_n_minimum_covers(n: int) -> None:
    res = solve_chart(_cycle(n), exact_count=True)
    assert res.min_size == (n + 1) // 2 and res.n_models == n and res.complete and not res.capped
    if n <= 9:
        assert res.models == _brute_min_covers(_cycle(n))


@pytest.mark.parametrize("n", [6, 40])
def test_even_cycle_has_two_minimum_covers(n: int) -> None:
    res = solve_chart(_cycle(n), exact_count=True)
    assert res.min_size == n // 2 and res.n_models == 2
    assert res.models == [tuple(range(0, n, 2)), tuple(range(1, n, 2))]


def test_connected_block_with_3_to_the_25_covers_is_counted_exactly() -> None:
    res = solve_chart(_ladder(25), max_models=4, exact_count=True)
    assert res.min_size == 25 and res.n_models == 3 ** 25 and res.complete and res.capped
    first = tuple(3 * j for j in range(25))
    assert res.models[0] == first
    assert res.models[1] == first[:-1] + (73,) and res.models[2] == first[:-1] + (74,)
    assert res.models[3] == first[:-2] + (70, 72)


def test_small_ladder_matches_brute_force() -> None:
    cover = _ladder(3)
    res = solve_chart(cover, exact_count=True)
    assert res.n_models == 27 and res.models == _brute_min_covers(cover)


def test_count_budget_falls_back_to_a_lower_bound() -> None:
    cover = _ladder(10)
    res = solve_chart(cover, max_models=20, exact_count=True, max_states=3)
    assert not res.complete and res.capped
    assert 1 <= res.n_models < 3 ** 10                # a lower bound, said so by complete=False
    for m in res.models:
        assert len(m) == 10 and cover[list(m)].any(axis=0).all()
    exact = solve_chart(cover, max_models=20, exact_count=True)
    assert exact.complete and exact.n_models == 3 ** 10


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 9), st.integers(1, 9), st.floats(0.15, 0.6), st.integers(1, 6),
       st.integers(0, 2 ** 32 - 1))
def test_exact_count_matches_brute_force(n_pis: int, n_cols: int, density: float, cap: int,
                                         seed: int) -> None:
    rng = np.random.default_rng(seed)
    cover = rng.random((n_pis, n_cols)) < density
    cover[rng.integers(0, n_pis, n_cols), np.arange(n_cols)] = True
    best = _brute_min_covers(cover)
    res = solve_chart(cover, max_models=cap, exact_count=True)
    assert res.min_size == len(best[0])
    assert res.n_models == len(best) and res.complete
    assert res.capped == (len(best) > cap)
    assert res.models == best[:cap]                   # R's order: lexicographic on PI positions
    full = solve_chart(cover, max_models=10_000, exact_count=True)
    old = solve_chart(cover, max_models=10_000)       # branch and bound listing (no exact count)
    assert full.models == old.models == best and full.n_models == old.n_models


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(1, 12), st.integers(0, 2 ** 32 - 1))
def test_undominated_rows_keep_the_minimum(n_pis: int, n_cols: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cover = rng.random((n_pis, n_cols)) < 0.4
    keep = _mz._undominated(cover, chunk=7)
    kept = cover[keep]
    for a, b in itertools.permutations(range(len(keep)), 2):
        assert not (kept[a] <= kept[b]).all()          # no kept row inside another
    for i in range(n_pis):                            # every row lies inside a kept one
        assert any((cover[i] <= kept[k]).all() for k in range(len(keep)))
    if n_pis <= 10 and cover.any(axis=0).all():
        assert len(_brute_min_covers(kept)[0]) == len(_brute_min_covers(cover)[0])


def test_merge_of_blocks_is_lexicographic() -> None:
    rng = np.random.default_rng(7)
    idx = rng.permutation(30)
    parts = [sorted(tuple(sorted(rng.choice(idx[10 * k:10 * k + 10], 2, replace=False).tolist()))
                    for _ in range(5)) for k in range(3)]
    parts = [sorted(set(p)) for p in parts]
    forced = (int(idx[-1]),)
    everything = sorted(tuple(sorted(forced + sum(combo, ()))) for combo in itertools.product(*parts))
    assert _mz._merge_first(forced, parts, 17) == everything[:17]
    assert _mz._merge_first(forced, parts, 10 ** 6) == everything


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(1, 40), st.integers(0, 2 ** 32 - 1))
def test_unique_coverage_equals_leave_one_out_definition(t: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = np.round(rng.random((t, n)), 2) * (rng.random((t, n)) < 0.7)
    y = np.round(rng.random(n), 2)
    got = unique_coverage(m, y)
    if t == 1:
        assert np.isnan(got).all()
        return
    s_all = np.minimum(m.max(axis=0), y).sum()
    want = [(s_all - np.minimum(np.delete(m, i, axis=0).max(axis=0), y).sum()) / y.sum()
            if y.sum() > 0 else np.nan for i in range(t)]
    np.testing.assert_array_equal(got, np.asarray(want))        # bit for bit
    np.testing.assert_array_equal(fit_terms(m, y)["covU"].to_numpy(), got)
