"""Exact Boolean minimisation of a truth table: prime implicants and minimal covers.

Prime implicants. Every term (a value or "absent" for each condition) is a
cell of the dense cube of shape prod(noflevels + 1). Starting from the
indicator of the forbidden rows (rows a term must not cover), one vectorised
pass per condition appends the OR over its values as the "absent" slice, so
``F[t]`` says whether term t covers a forbidden row. Implicants are the terms
with ``F[t]`` false; primes are implicants none of whose one-literal-shorter
terms is an implicant (Quine 1952; McCluskey 1956: the same set of prime
implicants that iterated merging yields, computed without pairwise merging).

Prime-implicant chart. Columns are the positive rows. The minimum number of
prime implicants that cover all columns is found by integer programming
(``scipy.optimize.milp``: min sum x_p s.t. sum_{p covers c} x_p >= 1); then
every cover of that size is enumerated by branch and bound (each cover once:
branch on the PIs of the column with fewest candidates, excluding the PIs of
earlier branches), up to ``max_models`` stored models and a node budget, so
the search never hangs. R QCA's rule for ties: every cover with the fewest PIs,
whatever their numbers of literals (Dusa 2019, ch. 8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.errors import InputError

__all__ = ["MAX_CUBE", "prime_implicants", "cover_matrix", "ChartResult", "solve_chart",
           "row_dominance", "sort_term_array"]

#: Largest term cube prod(noflevels + 1) handled (3**15: 15 binary conditions, ~14M cells).
MAX_CUBE = 3 ** 15


def sort_term_array(terms: np.ndarray) -> np.ndarray:
    """Order of terms (rows; -1 = absent) in R QCA's canonical order.

    Fewer literals first, then condition by condition ~X (0) < X (1, 2..) < absent.

    >>> sort_term_array(np.array([[-1, 1], [1, -1], [0, -1]])).tolist()
    [2, 1, 0]
    """
    terms = np.asarray(terms)
    if terms.size == 0:
        return np.zeros(0, dtype=np.int64)
    keyed = np.where(terms < 0, np.iinfo(np.int32).max, terms)
    nlit = (terms >= 0).sum(axis=1)
    keys = [keyed[:, j] for j in range(terms.shape[1] - 1, -1, -1)] + [nlit]
    return np.lexsort(keys)


def _cube_or(mask: np.ndarray, noflevels: Sequence[int]) -> np.ndarray:
    """Extend an indicator over rows (shape noflevels) to all terms (shape noflevels + 1)."""
    cube = mask.reshape(tuple(noflevels))
    for j in range(len(noflevels)):
        cube = np.concatenate([cube, cube.any(axis=j, keepdims=True)], axis=j)
    return cube


def prime_implicants(noflevels: Sequence[int], on_rows: Sequence[int],
                     forbidden_rows: Sequence[int]) -> np.ndarray:
    """Prime implicants (terms x conditions, -1 absent) that cover some ON row, canonical order.

    A term is an implicant when it covers no forbidden row (rows that are
    neither ON nor allowed remainders); it is prime when dropping any one of
    its literals gives a term that is not an implicant.

    Parameters
    ----------
    noflevels : number of values of each condition.
    on_rows : R row numbers (1-based) of the rows to cover.
    forbidden_rows : R row numbers no implicant may cover; every other row
        (not ON, not forbidden) is a "don't care" (an included remainder).

    Examples
    --------
    >>> prime_implicants([2, 2], on_rows=[4], forbidden_rows=[1]).tolist()   # A*B, ~1 = ~A*~B
    [[1, -1], [-1, 1]]
    """
    noflevels = [int(v) for v in noflevels]
    size = int(np.prod([v + 1 for v in noflevels]))
    if size > MAX_CUBE:
        raise InputError(f"{len(noflevels)} conditions give {size} possible terms; exact "
                         f"minimisation handles at most {MAX_CUBE} (about 15 binary conditions)")
    n_rows = int(np.prod(noflevels))
    forb = np.zeros(n_rows, dtype=bool)
    forb[np.asarray(forbidden_rows, dtype=np.int64) - 1] = True
    on = np.zeros(n_rows, dtype=bool)
    on[np.asarray(on_rows, dtype=np.int64) - 1] = True
    if np.any(on & forb):
        raise InputError("a row is both to be covered and forbidden")
    if not on.any():
        return np.zeros((0, len(noflevels)), dtype=np.int64)
    impl = ~_cube_or(forb, noflevels)
    covers_on = _cube_or(on, noflevels)
    prime = impl & covers_on
    for j, lv in enumerate(noflevels):
        absent = np.take(impl, [lv], axis=j)            # the term with condition j dropped
        idx = [slice(None)] * len(noflevels)
        idx[j] = slice(0, lv)
        prime[tuple(idx)] &= ~absent
    coords = np.argwhere(prime)
    lv = np.asarray(noflevels)
    terms = np.where(coords == lv[None, :], -1, coords).astype(np.int64)
    return terms[sort_term_array(terms)]


def cover_matrix(terms: np.ndarray, configs: np.ndarray) -> np.ndarray:
    """Which configurations (rows of *configs*) each term covers: bool (terms x configs).

    >>> cover_matrix(np.array([[1, -1]]), np.array([[1, 0], [0, 1]])).tolist()
    [[True, False]]
    """
    terms = np.asarray(terms)[:, None, :]
    configs = np.asarray(configs)[None, :, :]
    return np.all((terms < 0) | (terms == configs), axis=2)


def row_dominance(cover: np.ndarray) -> np.ndarray:
    """Indices of PIs kept after removing those whose columns are a subset of another PI's.

    A PI covering exactly the same columns as an earlier one (in canonical
    order) is removed too (R QCA's ``row.dom``).

    >>> row_dominance(np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=bool)).tolist()
    [0, 2]
    """
    cover = np.asarray(cover, dtype=bool)
    p = cover.shape[0]
    keep = []
    sub = (cover[:, None, :] <= cover[None, :, :]).all(axis=2)   # sub[a, b]: a's columns within b's
    for a in range(p):
        dominated = False
        for b in range(p):
            if a == b or not sub[a, b]:
                continue
            if not sub[b, a] or b < a:          # strictly smaller, or equal to an earlier PI
                dominated = True
                break
        if not dominated:
            keep.append(a)
    return np.asarray(keep, dtype=np.int64)


@dataclass
class ChartResult:
    """Solution of a prime-implicant chart.

    ``models``: tuples of PI indices (sorted), in R's order (lexicographic on the
    PIs' canonical positions), at most ``max_models``; ``n_models``: the exact
    number of minimal covers when ``complete`` is True, else a lower bound;
    ``capped``: True when more minimal covers exist than were stored.
    """

    min_size: int
    models: list[tuple[int, ...]]
    n_models: int
    complete: bool
    capped: bool
    essential: list[int]


def _min_cover(cover: np.ndarray) -> tuple[int, tuple[int, ...]]:
    """Minimum number of PIs covering every column, and one such cover (integer programming)."""
    p, c = cover.shape
    res = milp(c=np.ones(p), constraints=LinearConstraint(cover.T.astype(float), lb=np.ones(c)),
               integrality=np.ones(p), bounds=Bounds(0, 1))
    if res.status != 0 or res.x is None:   # pragma: no cover - milp is exact on these problems
        raise RuntimeError(f"integer programming failed: {res.message}")
    chosen = tuple(int(i) for i in np.flatnonzero(res.x > 0.5))
    return len(chosen), chosen


def _components(cover: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Connected blocks (PI indices, column indices) of a chart: columns linked by shared PIs."""
    p, c = cover.shape
    parent = list(range(c))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i in range(p):
        cols = np.flatnonzero(cover[i])
        for j in cols[1:]:
            ra, rb = find(int(cols[0])), find(int(j))
            if ra != rb:
                parent[rb] = ra
    roots: dict[int, list[int]] = {}
    for j in range(c):
        roots.setdefault(find(j), []).append(j)
    blocks = []
    for cols in roots.values():
        cols_a = np.asarray(cols)
        pis = np.flatnonzero(cover[:, cols_a].any(axis=1))
        blocks.append((pis, cols_a))
    blocks.sort(key=lambda b: int(b[0][0]))
    return blocks


def _enumerate_block(cover: np.ndarray, size: int, max_count: int, max_nodes: int
                     ) -> tuple[list[tuple[int, ...]], bool]:
    """All covers of *size* PIs of a (connected) chart, by branch and bound; (covers, complete)."""
    p, c = cover.shape
    col_mask = [sum(1 << int(i) for i in np.flatnonzero(cover[:, j])) for j in range(c)]
    pi_cols = [sum(1 << int(j) for j in np.flatnonzero(cover[i])) for i in range(p)]
    full = (1 << c) - 1
    found: list[tuple[int, ...]] = []
    state = {"nodes": 0, "complete": True}

    def lower_bound(uncovered: int, allowed: int) -> tuple[int, int, int]:
        # greedy set of columns with pairwise disjoint candidate sets: each needs its own PI
        cols = []
        rem = uncovered
        while rem:
            low = rem & -rem
            j = low.bit_length() - 1
            rem ^= low
            cols.append(((col_mask[j] & allowed).bit_count(), j))
        cols.sort()
        used = 0
        lb = 0
        for _, j in cols:
            m = col_mask[j] & allowed
            if m & used == 0:
                lb += 1
                used |= m
        return lb, cols[0][0], cols[0][1]

    def dfs(chosen: list[int], covered: int, allowed: int, budget: int) -> bool:
        state["nodes"] += 1
        if state["nodes"] > max_nodes or len(found) >= max_count:
            state["complete"] = False
            return False
        if covered == full:
            found.append(tuple(sorted(chosen)))
            return True
        uncovered = full & ~covered
        lb, n_cands, col = lower_bound(uncovered, allowed)
        if n_cands == 0 or lb > budget:
            return True
        cands = col_mask[col] & allowed
        while cands:
            low = cands & -cands
            q = low.bit_length() - 1
            cands ^= low
            chosen.append(q)
            ok = dfs(chosen, covered | pi_cols[q], allowed & ~low, budget - 1)
            chosen.pop()
            if not ok:
                return False
            allowed &= ~low           # later branches exclude this PI: each cover found once
        return True

    dfs([], 0, (1 << p) - 1, size)
    _enumerate_block.last_nodes = state["nodes"]  # type: ignore[attr-defined]
    return sorted(found), state["complete"]


def solve_chart(cover: np.ndarray, max_models: int = 1000, max_count: int | None = None,
                max_nodes: int = 20_000) -> ChartResult:
    """Every cover of the columns with the fewest PIs (rows of *cover*: PIs x columns).

    The chart is first reduced (a column whose PIs include all the PIs of
    another column is dropped: covering the other covers it) and split into
    independent blocks; the minimum size is the sum of the blocks' minima (by
    integer programming), the number of minimal covers the product of the
    blocks' numbers, and the models are combined from the blocks' covers.

    Parameters
    ----------
    cover : bool array, cover[p, c] when PI p covers column c.
    max_models : how many models to keep (the first in R's order among those listed).
    max_count : most covers enumerated per block (default max_models + 1: beyond
        that the total is known to exceed max_models; ``n_models`` is then a
        lower bound and ``complete`` False).
    max_nodes : branch-and-bound node budget over all blocks (roughly 1 s per 20,000
        nodes): the search never hangs; when it is spent, the covers listed so far
        (at least the integer program's one) are returned with ``complete`` False.

    Examples
    --------
    >>> r = solve_chart(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1], [0, 0, 1]], dtype=bool))
    >>> r.min_size, r.models, r.n_models
    (2, [(0, 1), (0, 2), (0, 3), (1, 2)], 4)
    """
    cover = np.asarray(cover, dtype=bool)
    p, c = cover.shape
    if c == 0:
        return ChartResult(0, [()], 1, True, False, [])
    if p == 0 or not cover.any(axis=0).all():
        raise InputError("the prime implicants do not cover every positive row")
    col_sum = cover.sum(axis=0)
    essential = sorted({int(np.flatnonzero(cover[:, j])[0]) for j in np.flatnonzero(col_sum == 1)})
    # column reduction: drop a column whose PI set contains another column's PI set
    cols = cover.T
    keep = []
    order = np.argsort(col_sum, kind="stable")
    kept_sets: list[np.ndarray] = []
    for j in order:
        if not any(np.all(cols[j] >= k) for k in kept_sets):
            keep.append(int(j))
            kept_sets.append(cols[j])
    reduced = cover[:, sorted(keep)]
    # essential PIs (sole cover of a column) are in every minimal cover: take them out
    forced = sorted({int(np.flatnonzero(reduced[:, j])[0])
                     for j in np.flatnonzero(reduced.sum(axis=0) == 1)})
    if forced:
        reduced = reduced[:, ~reduced[forced].any(axis=0)]
    total, count, complete = len(forced), 1, True
    nodes_used = 0
    block_covers: list[list[tuple[int, ...]]] = [[tuple(forced)]]
    if max_count is None:
        max_count = max_models + 1
    for pis, bcols in (_components(reduced) if reduced.shape[1] else []):
        sub = reduced[np.ix_(pis, bcols)]
        size, one = _min_cover(sub)
        covers, done = _enumerate_block(sub, size, max_count, max(max_nodes - nodes_used, 1000))
        nodes_used += _enumerate_block.last_nodes  # type: ignore[attr-defined]
        if not covers:   # node budget spent before a cover was listed: keep the ILP's cover
            covers, done = [tuple(sorted(one))], False
        total += size
        count *= len(covers)
        complete &= done
        block_covers.append([tuple(int(pis[i]) for i in cv) for cv in covers])
    # combine blocks: enough products to pick the first max_models in R's order
    import itertools
    limit = 20 * max_models
    models = []
    for combo in itertools.islice(itertools.product(*block_covers), limit):
        models.append(tuple(sorted(i for part in combo for i in part)))
    models.sort()
    capped = (not complete) or count > max_models
    return ChartResult(total, models[:max_models], count, complete, capped, essential)


# --------------------------------------------------------------------------- driver
def _term_memberships(tt, term: tuple[int, ...]) -> np.ndarray:
    """Membership of every case of the truth table's data in *term*."""
    m = np.ones(tt.X.shape[0], dtype=float)
    for j, v in enumerate(term):
        if v < 0:
            continue
        x = tt.X[:, j]
        if tt.multivalue[j] or v >= 2:
            lit = (x == v).astype(float)
        else:
            lit = x if v == 1 else 1.0 - x
        m = np.minimum(m, lit)
    return m


def _parse_include(include: str | None) -> str:
    inc = "" if include is None else str(include).replace(" ", "")
    for part in [p for p in inc.split(",") if p]:
        if part not in ("?", "C"):
            raise InputError(f"include {include!r}: expected '', '?', 'C' or '?,C'")
    return inc


def _solve(tt, include: str, on_rows: list[int], dont_care: set[int], row_dom: bool,
           max_models: int, solution_type: str):
    from analysis.qca.solution import Solution, build_model
    from analysis.qca.fit import fit_terms

    n_total = int(np.prod(tt.noflevels))
    forbidden = sorted(set(range(1, n_total + 1)) - set(on_rows) - dont_care)
    pis = prime_implicants(tt.noflevels, on_rows, forbidden)
    on_cfg = row_configs_cached(tt, tuple(on_rows))
    cover = cover_matrix(pis, on_cfg)
    keep = row_dominance(cover) if row_dom else np.arange(pis.shape[0])
    pis, cover = pis[keep], cover[keep]
    chart = solve_chart(cover, max_models=max_models)
    terms = [tuple(int(v) for v in t) for t in pis]
    # R calls "essential" the PIs found in every minimal model (with one model: all of its terms)
    essential = {terms[i] for i in set.intersection(*(set(m) for m in chart.models))} \
        if chart.models else set()

    remainders = set(tt.remainder_rows)
    rem_sorted = sorted(remainders)
    used = sorted({i for mdl in chart.models for i in mdl})
    term_m = {terms[i]: _term_memberships(tt, terms[i]) for i in used}
    rem_cfg = row_configs_cached(tt, tuple(rem_sorted))
    cover_rows: dict = {}
    term_cases: dict = {}
    for i in used:
        t = terms[i]
        rows_rem = cover_matrix(pis[i:i + 1], rem_cfg)[0] if rem_sorted else np.zeros(0, bool)
        cover_rows[t] = {r for r, b in zip(rem_sorted, rows_rem) if b}
        covered_pos = [r for r, b in zip(on_rows, cover[i]) if b and r in set(tt.positive_rows)]
        term_cases[t] = "; ".join(",".join(tt.row_cases(r)) for r in sorted(covered_pos))
    models = [build_model(f"M{n}", [terms[i] for i in mdl], essential, tt, term_m, term_cases,
                          remainders, cover_rows) for n, mdl in enumerate(chart.models, 1)]
    if used:
        pi_fit = fit_terms(np.vstack([term_m[terms[i]] for i in used]), tt.y)
    else:  # pragma: no cover - a chart always has a model
        pi_fit = fit_terms(np.zeros((1, tt.X.shape[0])), tt.y).iloc[:0]
    pi_fit.index = [tt.format_term(terms[i]) for i in used]
    return Solution(truth_table=tt, solution_type=solution_type, include=include,
                    columns=list(on_rows), prime_implicants=terms, pi_cover=cover,
                    essential=[t for t in terms if t in essential], models=models,
                    n_models=chart.n_models, complete=chart.complete, capped=chart.capped,
                    pi_fit=pi_fit, pi_cases=[term_cases[terms[i]] for i in used], row_dom=row_dom)


def row_configs_cached(tt, rows: tuple[int, ...]) -> np.ndarray:
    """Configurations of R row numbers for the truth table's levels."""
    from analysis.qca.truthtable import row_configs
    return row_configs(list(rows), tt.noflevels) if rows else np.zeros((0, len(tt.noflevels)), np.int64)


def _expectations(dir_exp, conditions) -> dict[int, set[int]]:
    from analysis.qca.expressions import parse_expression
    items = [dir_exp] if isinstance(dir_exp, str) else list(dir_exp)
    exp: dict[int, set[int]] = {}
    for item in items:
        item = str(item).strip()
        if not item or item == "-":
            continue
        for term in parse_expression(item, conditions):
            for j, v in enumerate(term):
                if v >= 0:
                    exp.setdefault(j, set()).add(int(v))
    return exp


def minimize(tt, include: str = "", dir_exp=None, row_dom: bool = False,
             max_models: int = 1000):
    """Minimise a truth table: conservative, parsimonious or intermediate solution(s).

    Positive rows ("1") are covered by the fewest prime implicants; the
    implicants may also cover the rows *include* allows ("?" remainders,
    including observed rows below n_cut; "C" contradictions) and no other row.
    With *dir_exp* (directional expectations such as ``["DEV", "~LIT*IND"]``)
    the intermediate solutions are built for every conservative model C_i and
    parsimonious model P_j: each term c of C_i inside a term p of P_j is
    widened by dropping the literals of c that are not in p and go against
    the expectations (or concern a condition without expectation); the easy
    counterfactuals are the simplifying assumptions of P_j inside a widened
    term (Ragin & Sonnett 2005; Ragin 2008, ch. 9; Dusa 2019, ch. 8); the
    positive rows are then minimised with those remainders only. A
    conjunctural expectation ``~LIT*IND`` sets ~LIT and IND.

    Parameters
    ----------
    tt : a :class:`analysis.qca.truthtable.TruthTable`.
    include : "" (conservative), "?" (parsimonious), optionally with "C".
    dir_exp : directional expectations (list of literals or conjunctions, or
        one comma-separated string); implies the intermediate solution.
    row_dom : remove dominated prime implicants before solving the chart.
    max_models : most models listed (the exact number is ``n_models``).

    Returns
    -------
    :class:`analysis.qca.solution.Solution`

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.qca.truthtable import truth_table
    >>> d = pd.DataFrame({"A": [1, 1, 0, 0], "B": [1, 0, 1, 0], "Y": [1, 1, 1, 0]})
    >>> minimize(truth_table(d, "Y")).models[0].expression
    'A + B'
    """
    if not tt.positive_rows:
        raise InputError(f"outcome {tt.outcome}: no truth-table row is positive (OUT = 1) with "
                         f"incl_cut {list(tt.incl_cut)}; nothing to minimise")
    if not isinstance(max_models, (int, np.integer)) or max_models < 1:
        raise InputError(f"max_models {max_models!r}: expected an integer >= 1")
    if dir_exp is not None and not isinstance(dir_exp, str):
        dir_exp = list(dir_exp)
    if isinstance(dir_exp, str):
        dir_exp = [s for s in dir_exp.split(",") if s.strip()]
    include = _parse_include(include)
    if dir_exp:
        include = include or "?"
    contra = set(tt.contradiction_rows) if "C" in include else set()
    rem = set(tt.remainder_rows) if "?" in include else set()
    pos = list(tt.positive_rows)
    if not dir_exp:
        kind = "parsimonious" if "?" in include else "conservative"
        return _solve(tt, include, pos, rem | contra, row_dom, max_models, kind)

    from analysis.qca.solution import Solution
    exp = _expectations(dir_exp, tt.conditions)
    cons = _solve(tt, "", pos, contra, row_dom, max_models, "conservative")
    pars = _solve(tt, "?" + (",C" if contra else ""), pos, set(tt.remainder_rows) | contra,
                  row_dom, max_models, "parsimonious")
    parts = []
    for i, cm in enumerate(cons.models, 1):
        for j, pm in enumerate(pars.models, 1):
            expanded = []
            for t in cm.terms:
                for p in pm.terms:
                    if all(pv < 0 or pv == tv for pv, tv in zip(p, t)):   # p contains t
                        expanded.append(tuple(
                            tv if tv >= 0 and (pv >= 0 or (c in exp and tv in exp[c])) else -1
                            for c, (tv, pv) in enumerate(zip(t, p))))
            exp_arr = np.asarray(expanded, dtype=np.int64).reshape(-1, len(tt.conditions))
            sa = list(pm.simplifying_assumptions)
            cfg = row_configs_cached(tt, tuple(sa))
            inside = (cover_matrix(exp_arr, cfg).any(axis=0) if sa and len(exp_arr)
                      else np.zeros(len(sa), bool))
            easy = [r for r, b in zip(sa, inside) if b]
            difficult = [r for r, b in zip(sa, inside) if not b]
            s = _solve(tt, "?", pos, set(easy) | contra, row_dom, max_models, "intermediate")
            s.key = f"C{i}P{j}"
            s.conservative_model = list(cm.terms)
            s.parsimonious_model = list(pm.terms)
            s.easy_counterfactuals = easy
            s.difficult_counterfactuals = difficult
            parts.append(s)
    first = parts[0]
    return Solution(truth_table=tt, solution_type="intermediate", include="?", columns=pos,
                    prime_implicants=first.prime_implicants, pi_cover=first.pi_cover,
                    essential=first.essential, models=first.models, n_models=first.n_models,
                    complete=first.complete, capped=first.capped, pi_fit=first.pi_fit,
                    pi_cases=first.pi_cases, row_dom=row_dom, dir_exp=[str(d) for d in dir_exp],
                    intermediate=parts)
