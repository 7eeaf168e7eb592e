"""Exact Boolean minimisation of a truth table: prime implicants and minimal covers.

Prime implicants. Every term (a value or "absent" for each condition) is a
cell of the dense cube of shape prod(noflevels + 1). Starting from the
indicator of the forbidden rows (rows a term must not cover), one vectorised
pass per condition appends the OR over its values as the "absent" slice, so
``F[t]`` says whether term t covers a forbidden row. Implicants are the terms
with ``F[t]`` false; primes are implicants none of whose one-literal-shorter
terms is an implicant (Quine 1952; McCluskey 1956: the same set of prime
implicants that iterated merging yields, computed without pairwise merging).

Prime-implicant chart. Columns are the positive rows. The chart is reduced
(dominated columns dropped, essential PIs taken out) and split into
independent blocks. In each block the minimum number of prime implicants
that cover all columns is found by integer programming (``scipy.optimize.milp``
on the undominated PIs: min sum x_p s.t. sum_{p covers c} x_p >= 1); the
number of covers of that size is then counted exactly by a memoised search
over bitsets (covers split by the PI that covers the column with fewest
candidates; independent groups of columns multiply), and the first
``max_models`` covers in R's order are listed with the count as an oracle (no
dead ends). The number of minimal models is the product over blocks, however
large. A block whose count would need more than a budget of memoised states
is listed by branch and bound under a node budget instead, and the result
says so (``complete`` False: the count is a lower bound); the search never
hangs. R QCA's rule for ties: every cover with the fewest PIs, whatever their
numbers of literals (Dusa 2019, ch. 8).
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


def _undominated(cover: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Indices of the PIs whose columns are not within another PI's (first of equal sets kept).

    The minimum number of PIs covering the chart is the same on these rows
    (each PI of a cover can be swapped for one that dominates it), and the
    integer program is much smaller on dense charts. Rows are compared as
    packed bits, *chunk* rows at a time.

    >>> _undominated(np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 0]], dtype=bool)).tolist()
    [0, 2]
    """
    packed = np.packbits(np.asarray(cover, dtype=bool), axis=1)
    _, first = np.unique(packed, axis=0, return_index=True)
    first = np.sort(first)
    u = packed[first]
    dominated = np.zeros(len(u), dtype=bool)
    for a0 in range(0, len(u), chunk):
        blk = u[a0:a0 + chunk]
        within = ((blk[:, None, :] & ~u[None, :, :]) == 0).all(axis=2)   # within[a, b]: a inside b
        within[np.arange(len(blk)), np.arange(a0, a0 + len(blk))] = False
        dominated[a0:a0 + chunk] = within.any(axis=1)
    return first[~dominated]


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


class _CountBudget(Exception):
    """The exact count of a block needed more memoised states than allowed."""


def _bits(x: int):
    while x:
        low = x & -x
        yield low.bit_length() - 1
        x ^= low


class _CoverCounter:
    """Exact numbers of minimum covers of a chart, by memoised search over bitsets.

    ``count(U, A, b)``: how many sets of *b* PIs taken from *A* (bitset of PIs)
    cover the columns *U* (bitset), when no cover of U from A is smaller than b
    (true of every state reached from a minimum cover: the PIs chosen so far
    plus a smaller cover would beat the minimum). Hence a PI that covers none
    of U can be dropped from A, independent groups of columns (no PI of A
    spans two) each take exactly their own minimum (the count is the product),
    and on one group the covers are split by the first PI, in order, that
    covers the column with fewest candidates (each cover counted once). States
    (U, A restricted to U's PIs, b) are memoised; more than *max_states* of
    them raise :class:`_CountBudget` (the search never hangs).
    """

    def __init__(self, cover: np.ndarray, max_states: int) -> None:
        p, c = cover.shape
        self.p, self.c = p, c
        self.cols = [sum(1 << int(j) for j in np.flatnonzero(cover[i])) for i in range(p)]
        self.cand = [sum(1 << int(i) for i in np.flatnonzero(cover[:, j])) for j in range(c)]
        self.last = [int(np.flatnonzero(cover[:, j])[-1]) for j in range(c)]
        self.memo: dict[tuple[int, int, int], int] = {}
        self.max_states = max_states

    def _lower_bound(self, U: int, A: int) -> int:
        cand = self.cand
        sizes = sorted(((cand[j] & A).bit_count(), j) for j in _bits(U))
        used = lb = 0
        for _, j in sizes:
            m = cand[j] & A
            if not m & used:
                lb += 1
                used |= m
        return lb

    def _components(self, U: int, A: int) -> list[tuple[int, int]]:
        cand, cols = self.cand, self.cols
        comps = []
        rem = U
        while rem:
            comp = frontier = rem & -rem
            pis = 0
            while frontier:
                new_p = 0
                for j in _bits(frontier):
                    new_p |= cand[j]
                new_p &= A & ~pis
                pis |= new_p
                new_c = 0
                for q in _bits(new_p):
                    new_c |= cols[q]
                frontier = new_c & U & ~comp
                comp |= frontier
            comps.append((comp, pis))
            rem &= ~comp
        return comps

    def count(self, U: int, A: int, b: int) -> int:
        if U == 0:
            return int(b == 0)
        if b <= 0:
            return 0
        cand = self.cand
        touch = 0
        best_n, best_j = None, -1
        for j in _bits(U):
            cj = cand[j] & A
            if not cj:
                return 0
            touch |= cj
            n = cj.bit_count()
            if best_n is None or n < best_n:
                best_n, best_j = n, j
        A &= touch
        key = (U, A, b)
        got = self.memo.get(key)
        if got is not None:
            return got
        if len(self.memo) >= self.max_states:
            raise _CountBudget
        if self._lower_bound(U, A) > b:
            total = 0
        else:
            comps = self._components(U, A)
            if len(comps) > 1:
                total, need = 1, 0
                for cu, ca in comps:
                    bk, n = self._lower_bound(cu, ca), 0
                    while need + bk <= b:
                        n = self.count(cu, ca, bk)
                        if n:
                            break
                        bk += 1
                    need += bk
                    if need > b or not n:
                        total = 0
                        break
                    total *= n
                if need != b:
                    total = 0
            else:
                total, excluded = 0, 0
                for q in _bits(cand[best_j] & A):
                    bit = 1 << q
                    total += self.count(U & ~self.cols[q], A & ~excluded & ~bit, b - 1)
                    excluded |= bit
        self.memo[key] = total
        return total

    def first_covers(self, size: int, limit: int) -> list[tuple[int, ...]]:
        """The first *limit* covers of *size* PIs in lexicographic order (size is the minimum)."""
        full_a = (1 << self.p) - 1
        out: list[tuple[int, ...]] = []
        cols, last = self.cols, self.last
        chosen: list[int] = []

        def walk(U: int, i: int, b: int) -> None:
            if U == 0:
                out.append(tuple(chosen))
                return
            stop = min(last[j] for j in _bits(U))   # the column with the earliest last PI
            for q in range(i, stop + 1):
                if len(out) >= limit:
                    return
                if not cols[q] & U:
                    continue
                rest = U & ~cols[q]
                after = full_a & ~((1 << (q + 1)) - 1)
                if self.count(rest, after, b - 1):
                    chosen.append(q)
                    walk(rest, q + 1, b - 1)
                    chosen.pop()

        walk((1 << self.c) - 1, 0, size)
        return out


def _merge_first(forced: tuple[int, ...], parts: list[list[tuple[int, ...]]], limit: int
                 ) -> list[tuple[int, ...]]:
    """The first *limit* models (forced PIs plus one cover per block) in lexicographic order.

    Each block's covers are sorted and their index sets are disjoint, so a
    model grows in the order when one block's cover is replaced by a later one:
    the first models are popped from a heap, best first, starting from every
    block's first cover (the usual frontier walk over a product of sorted lists).
    """
    import heapq

    def model(idx: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(forced + tuple(i for k, j in enumerate(idx) for i in parts[k][j])))

    start = (0,) * len(parts)
    heap = [(model(start), start)]
    seen = {start}
    out: list[tuple[int, ...]] = []
    while heap and len(out) < limit:
        mdl, idx = heapq.heappop(heap)
        out.append(mdl)
        for k in range(len(parts)):
            if idx[k] + 1 < len(parts[k]):
                nxt = idx[:k] + (idx[k] + 1,) + idx[k + 1:]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (model(nxt), nxt))
    return out


def solve_chart(cover: np.ndarray, max_models: int = 1000, max_count: int | None = None,
                max_nodes: int = 20_000, exact_count: bool = False,
                max_states: int = 2_000) -> ChartResult:
    """Every cover of the columns with the fewest PIs (rows of *cover*: PIs x columns).

    The chart is first reduced (a column whose PIs include all the PIs of
    another column is dropped: covering the other covers it) and split into
    independent blocks; the minimum size is the sum of the blocks' minima (by
    integer programming), the number of minimal covers the product of the
    blocks' numbers, and the models are combined from the blocks' covers.

    With ``exact_count`` (what :func:`minimize` uses) each block's number of
    minimum covers is counted exactly by a memoised search (:class:`_CoverCounter`),
    however large, and only the first ``max_models`` models in R's order are
    listed (``complete`` True, ``capped`` when more exist). A block whose count
    needs more than ``max_states`` memoised states is listed by branch and
    bound instead, and ``complete`` is False: ``n_models`` is then a lower bound
    (the exact count was not feasible within the budget).

    Parameters
    ----------
    cover : bool array, cover[p, c] when PI p covers column c.
    max_models : how many models to keep (the first in R's order among those listed).
    max_count : most covers enumerated per block by branch and bound (default
        max_models + 1: beyond that the total is known to exceed max_models;
        ``n_models`` is then a lower bound and ``complete`` False).
    max_nodes : branch-and-bound node budget over all blocks (roughly 1 s per 20,000
        nodes): the search never hangs; when it is spent, the covers listed so far
        (at least the integer program's one) are returned with ``complete`` False.
    exact_count : count every block's minimum covers exactly (see above).
    max_states : memoised states allowed per block for the exact count.

    Examples
    --------
    >>> r = solve_chart(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1], [0, 0, 1]], dtype=bool))
    >>> r.min_size, r.models, r.n_models
    (2, [(0, 1), (0, 2), (0, 3), (1, 2)], 4)
    >>> cycle = np.eye(9, dtype=bool) | np.roll(np.eye(9, dtype=bool), 1, axis=1)
    >>> r = solve_chart(cycle, max_models=3, exact_count=True)
    >>> r.min_size, r.models, r.n_models, r.complete, r.capped
    (5, [(0, 1, 3, 5, 7), (0, 2, 3, 5, 7), (0, 2, 4, 5, 7)], 9, True, True)
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
        undominated = _undominated(sub)    # same minimum, smaller integer program
        size, one_u = _min_cover(sub[undominated])
        one = tuple(int(undominated[i]) for i in one_u)
        covers: list[tuple[int, ...]] = []
        if exact_count:
            counter = _CoverCounter(sub, max_states)
            try:
                n_block = counter.count((1 << sub.shape[1]) - 1, (1 << sub.shape[0]) - 1, size)
                covers = counter.first_covers(size, max_models)
            except (_CountBudget, RecursionError):   # budget spent, or too deep for Python
                covers = []
            if covers:
                total += size
                count *= n_block
                block_covers.append([tuple(int(pis[i]) for i in cv) for cv in covers])
                continue
        covers, done = _enumerate_block(sub, size, max_count, max(max_nodes - nodes_used, 1000))
        nodes_used += _enumerate_block.last_nodes  # type: ignore[attr-defined]
        if not covers:   # node budget spent before a cover was listed: keep the ILP's cover
            covers, done = [tuple(sorted(one))], False
        total += size
        count *= len(covers)
        complete &= done
        block_covers.append([tuple(int(pis[i]) for i in cv) for cv in covers])
    if exact_count and complete:
        models = _merge_first(block_covers[0][0], block_covers[1:], max_models)
    else:
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
        if tt.dont_care is not None:     # a "-" case is in neither X nor ~X
            lit = np.where(tt.dont_care[:, j], 0.0, lit)
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
    if tt.temporal:
        # columns: the observed positive rows, "-" = -1 in their numbers and configurations;
        # the rows to cover are their expansions; a PI covers a column when it covers every expansion
        codes = tt.minimization_codes(on_rows)
        order = sorted(range(len(on_rows)), key=lambda i: codes[i])
        on_rows = [on_rows[i] for i in order]
        columns = [codes[i] for i in order]
        on_cfg = tt.row_config(on_rows)
        on_bin = sorted(tt.expansions(on_rows))
    else:
        columns = list(on_rows)
        on_cfg = row_configs_cached(tt, tuple(on_rows))
        on_bin = list(on_rows)
    forbidden = sorted(set(range(1, n_total + 1)) - set(on_bin) - dont_care)
    pis = prime_implicants(tt.noflevels, on_bin, forbidden)
    cover = cover_matrix(pis, on_cfg)
    if tt.temporal:     # a PI covering only some expansions of a "-" row covers no column
        useful = cover.any(axis=1)
        pis, cover = pis[useful], cover[useful]
    keep = row_dominance(cover) if row_dom else np.arange(pis.shape[0])
    pis, cover = pis[keep], cover[keep]
    chart = solve_chart(cover, max_models=max_models, exact_count=True)
    terms = [tuple(int(v) for v in t) for t in pis]
    # R calls "essential" the PIs found in every minimal model (with one model: all of its terms)
    essential = {terms[i] for i in set.intersection(*(set(m) for m in chart.models))} \
        if chart.models else set()

    remainders = set(tt.remainder_rows) if not tt.temporal else _temporal_remainders(tt, columns)
    rem_sorted = sorted(remainders)
    used = sorted({i for mdl in chart.models for i in mdl})
    term_m = {terms[i]: _term_memberships(tt, terms[i]) for i in used}
    rem_cfg = row_configs_cached(tt, tuple(rem_sorted))
    cover_rows: dict = {}
    term_cases: dict = {}
    pos_set = set(tt.positive_rows)
    rem_arr = np.asarray(rem_sorted, dtype=np.int64)
    rem_cover = np.zeros((len(used), len(rem_sorted)), bool)
    if rem_sorted:
        for c0 in range(0, len(used), 64):      # chunks bound the memory (PIs x remainders x k)
            rem_cover[c0:c0 + 64] = cover_matrix(pis[used[c0:c0 + 64]], rem_cfg)
    for n_used, i in enumerate(used):
        t = terms[i]
        cover_rows[t] = {int(r) for r in rem_arr[rem_cover[n_used]]}
        covered_pos = [r for r, b in zip(on_rows, cover[i]) if b and r in pos_set]
        term_cases[t] = "; ".join(",".join(tt.row_cases(r)) for r in sorted(covered_pos))
    labels = {terms[i]: tt.format_term(terms[i]) for i in used}
    if used:
        pi_fit = fit_terms(np.vstack([term_m[terms[i]] for i in used]), tt.y)
    else:  # pragma: no cover - a chart always has a model
        pi_fit = fit_terms(np.zeros((1, tt.X.shape[0])), tt.y).iloc[:0]
    pi_fit.index = [labels[terms[i]] for i in used]
    # inclS, PRI, covS of a term do not depend on the model: computed once, per PI
    fit3 = {terms[i]: (float(a), float(b), float(c)) for i, a, b, c in
            zip(used, pi_fit["inclS"], pi_fit["PRI"], pi_fit["covS"])}
    models = [build_model(f"M{n}", [terms[i] for i in mdl], essential, tt, term_m, term_cases,
                          remainders, cover_rows, term_labels=labels, term_fit3=fit3)
              for n, mdl in enumerate(chart.models, 1)]
    return Solution(truth_table=tt, solution_type=solution_type, include=include,
                    columns=columns, prime_implicants=terms, pi_cover=cover,
                    essential=[t for t in terms if t in essential], models=models,
                    n_models=chart.n_models, complete=chart.complete, capped=chart.capped,
                    pi_fit=pi_fit, pi_cases=[term_cases[terms[i]] for i in used], row_dom=row_dom)


def _observed_binary(tt) -> tuple[set[int], set[int], set[int]]:
    """Expansions (binary row numbers) of the positive, negative and contradictory rows."""
    return (tt.expansions(tt.positive_rows), tt.expansions(tt.negative_rows),
            tt.expansions(tt.contradiction_rows))


def _temporal_remainders(tt, columns: list[int]) -> set[int]:
    """Rows counted as simplifying assumptions when a condition holds "-".

    Binary rows that are not expansions of an observed row, plus the expansions of
    a positive "-" row that are not themselves a column's number (R QCA lists
    those as simplifying assumptions: rows 26 and 28 for (1,1,0,-,1) in the RS data).
    """
    pos, neg, con = _observed_binary(tt)
    all_rows = set(range(1, int(np.prod(tt.noflevels)) + 1))
    return (all_rows - pos - neg - con) | (pos - set(columns) - neg - con)


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
    max_models : most models listed (the exact number is ``n_models``; a lower bound when
        the solution says ``complete`` False, an exact count being out of reach).

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
    all_rem = set(tt.remainder_rows)
    contra = set(tt.contradiction_rows) if "C" in include else set()
    if tt.temporal:     # minimisation works on binary rows: a "-" row stands for all its values
        b_pos, b_neg, b_con = _observed_binary(tt)
        clash = sorted(b_pos & (b_neg | (b_con if not contra else set())))
        if clash:
            raise InputError(f"outcome {tt.outcome}: the positive rows with a '-' value stand for "
                             f"row(s) {clash}, also observed as negative or contradictory; "
                             "cannot minimise")
        all_rem = set(range(1, int(np.prod(tt.noflevels)) + 1)) - b_pos - b_neg - b_con
        contra = b_con if contra else set()
    rem = all_rem if "?" in include else set()
    pos = list(tt.positive_rows)
    if not dir_exp:
        kind = "parsimonious" if "?" in include else "conservative"
        return _solve(tt, include, pos, rem | contra, row_dom, max_models, kind)

    from analysis.qca.solution import Solution
    exp = _expectations(dir_exp, tt.conditions)
    cons = _solve(tt, "", pos, contra, row_dom, max_models, "conservative")
    pars = _solve(tt, "?" + (",C" if contra else ""), pos, all_rem | contra,
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
    return Solution(truth_table=tt, solution_type="intermediate", include="?", columns=first.columns,
                    prime_implicants=first.prime_implicants, pi_cover=first.pi_cover,
                    essential=first.essential, models=first.models, n_models=first.n_models,
                    complete=first.complete, capped=first.capped, pi_fit=first.pi_fit,
                    pi_cases=first.pi_cases, row_dom=row_dom, dir_exp=[str(d) for d in dir_exp],
                    intermediate=parts)
