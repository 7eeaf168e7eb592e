"""Robustness of a QCA solution: re-analyses over a grid, leave-one-case-out, permutation test.

A *re-analysis* (:class:`Reanalysis`) re-calibrates raw values with a set of
three anchors per set (direct method, Ragin 2008), builds the truth table with
given cut-offs (consistency ``incl_cut``, ``pri_cut``, frequency ``n_cut``),
optionally without one case, minimises it and compares the first minimal model
with the published paths. The grid (:func:`robustness_grid`) follows the
sensitivity ranges of Oana & Schneider (SetMethods' ``rob.calibrange``,
``rob.inclrange``, ``rob.ncutrange``; Oana, Schneider & Thomann 2021, ch. 5)
and Rutten (2022, "Applying and assessing large-N QCA: causality and
robustness from a critical realist perspective", *Sociological Methods &
Research* 51(3)):

* calibration: one anchor of one set at a time (exclusion, crossover or
  inclusion) moved by ``shift * (inclusion - exclusion)`` for each shift,
  crossed with every consistency and frequency cut-off;
* cut-offs: every ``incl_cut`` (default 0.75-0.9) x ``n_cut`` with the base anchors;
* leave-one-out: the base analysis without each case in turn.

A path *survives* a re-analysis exactly when it is a term of the re-analysis'
first minimal model, and *is covered* when some term of that model uses a
subset of its literals (the path, or a simplification of it, is still there).

The permutation test (Braumoeller 2015, "Guarding against false positives in
qualitative comparative analysis", *Political Analysis* 23(4)) shuffles the
outcome across cases B times and records (a) the consistency of the observed
solution with the shuffled outcome and (b) the consistency and coverage of the
solution found by re-running the whole procedure on the shuffled data; the
p-values are (1 + #{T_b >= T_obs}) / (1 + B) (Phipson & Smyth 2010).

Parallelism: tasks are cut into chunks that run through joblib (``n_jobs``
workers, all cores by default) or, when ``scheduler`` is given (a Dask
scheduler address such as ``"tcp://10.0.0.5:8786"`` or a
``distributed.Client``), on that Dask cluster through joblib's ``dask``
backend. Each permutation's generator is spawned from one
``numpy.random.SeedSequence(seed)`` by its index, and results are put back in
task order, so they do not depend on ``n_jobs``, chunking or the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd

from analysis.errors import InputError
# the direct-method calibration of a frame lives with the calibration (stage 03 imports it without
# the minimiser); it is re-exported here, where the robustness grid uses it
from analysis.qca.calibrate import CROSSOVER_NUDGE, _check_anchors, calibrate_frame
from analysis.qca.expressions import Term, format_term, parse_expression, term_membership
from analysis.qca.fit import model_fit
from analysis.qca.minimize import minimize
from analysis.qca.truthtable import truth_table

__all__ = [
    "CROSSOVER_NUDGE", "Reanalysis", "PermutationResult", "calibrate_frame", "robustness_grid",
    "reanalyse", "run_robustness", "robustness_table", "path_survival", "permutation_test",
    "parallel_map",
]

Anchors = Mapping[str, Sequence[float]]


# --------------------------------------------------------------------------- grid

@dataclass(frozen=True)
class Reanalysis:
    """One re-analysis: anchors, cut-offs and the case left out (if any)."""

    kind: str                                   # baseline, calibration, cutoffs, leave_one_out
    anchors: tuple[tuple[str, tuple[float, float, float]], ...]
    incl_cut: float
    pri_cut: float
    n_cut: int
    drop_case: str | None = None
    varied_set: str | None = None
    varied_anchor: str | None = None
    shift: float = 0.0

    @property
    def label(self) -> str:
        """A short readable description (e.g. ``calibration SBW crossover +0.05, incl 0.8, n 1``)."""
        parts = [self.kind]
        if self.varied_set:
            parts.append(f"{self.varied_set} {self.varied_anchor} {self.shift:+g}")
        if self.drop_case is not None:
            parts.append(f"without {self.drop_case}")
        return " ".join(parts) + f", incl {self.incl_cut:g}, n {self.n_cut}"


_ANCHOR_NAMES = ("exclusion", "crossover", "inclusion")


def robustness_grid(anchors: Anchors, cases: Sequence[Any] = (), *,
                    incl_cut: float = 0.8, pri_cut: float = 0.5, n_cut: int = 1,
                    incl_cuts: Sequence[float] = (0.75, 0.8, 0.85, 0.9),
                    n_cuts: Sequence[int] = (1, 2),
                    shifts: Sequence[float] = (-0.1, -0.05, 0.05, 0.1),
                    calibration_sets: Sequence[str] | None = None,
                    cross_calibration_with_cutoffs: bool = True,
                    leave_one_out: bool = True) -> list[Reanalysis]:
    """The list of re-analyses of a robustness check (see the module docstring).

    Order: the baseline, the cut-off grid (incl_cuts x n_cuts, base anchors),
    the calibration grid (set x anchor x shift, each with every cut-off pair when
    *cross_calibration_with_cutoffs*, else with the base cut-offs), then one
    re-analysis without each of *cases*. A shifted anchor is
    ``a + shift * (inclusion - exclusion)``; shifts that break the order
    exclusion < crossover < inclusion (or its reverse) are skipped.

    Examples
    --------
    >>> g = robustness_grid({"A": (0, 5, 10), "Y": (0, .5, 1)}, ["a", "b"], incl_cuts=(0.8, 0.9),
    ...                     n_cuts=(1,), shifts=(-0.1, 0.1))
    >>> len(g), g[0].kind, g[-1].label
    (29, 'baseline', 'leave_one_out without b, incl 0.8, n 1')
    """
    base = {str(k): tuple(float(v) for v in a) for k, a in anchors.items()}
    _check_anchors(base, list(base))
    for name, v in (("incl_cut", incl_cut), ("pri_cut", pri_cut)):
        if not 0 <= float(v) <= 1:
            raise InputError(f"{name} = {v!r}: expected a number in [0, 1]")
    cuts = [(float(ic), int(nc)) for ic in incl_cuts for nc in n_cuts]
    for ic, nc in cuts:
        if not 0 <= ic <= 1 or nc < 1:
            raise InputError(f"grid cut-offs incl {ic!r}, n {nc!r}: expected incl in [0, 1] and n >= 1")
    sets = list(base) if calibration_sets is None else [str(s) for s in calibration_sets]
    for s in sets:
        if s not in base:
            raise InputError(f"calibration_sets: {s!r} has no anchors; anchored sets: " + ", ".join(base))
    frozen = tuple(base.items())
    out = [Reanalysis("baseline", frozen, float(incl_cut), float(pri_cut), int(n_cut))]
    out += [Reanalysis("cutoffs", frozen, ic, float(pri_cut), nc) for ic, nc in cuts]
    for s in sets:
        e, c, i = base[s]
        span = i - e
        for j, aname in enumerate(_ANCHOR_NAMES):
            for sh in shifts:
                if float(sh) == 0:
                    continue
                new = [e, c, i]
                new[j] = new[j] + float(sh) * span
                if not (new[0] < new[1] < new[2] or new[2] < new[1] < new[0]):
                    continue
                anc = tuple((k, tuple(new) if k == s else v) for k, v in base.items())
                for ic, nc in (cuts if cross_calibration_with_cutoffs else [(float(incl_cut), int(n_cut))]):
                    out.append(Reanalysis("calibration", anc, ic, float(pri_cut), nc,
                                          varied_set=s, varied_anchor=aname, shift=float(sh)))
    if leave_one_out:
        out += [Reanalysis("leave_one_out", frozen, float(incl_cut), float(pri_cut), int(n_cut),
                           drop_case=str(c)) for c in cases]
    return out


# --------------------------------------------------------------------------- one re-analysis

def _solve(data: pd.DataFrame, outcome: str, conditions: Sequence[str], incl_cut: float,
           pri_cut: float, n_cut: int, solution: str, dir_exp: Sequence[str] | None):
    """Truth table and first minimal model (None when no row is positive)."""
    tt = truth_table(data[list(conditions) + [outcome]], outcome, list(conditions),
                     incl_cut=incl_cut, pri_cut=pri_cut, n_cut=n_cut)
    if not tt.positive_rows:
        return tt, None
    if solution == "conservative":
        sol = minimize(tt)
    elif solution == "parsimonious":
        sol = minimize(tt, include="?")
    else:
        sol = minimize(tt, dir_exp=list(dir_exp or []) or ["-"])
    return tt, sol


def _check_solution(solution: str, dir_exp: Sequence[str] | None) -> None:
    if solution not in ("conservative", "parsimonious", "intermediate"):
        raise InputError(f"solution = {solution!r}: expected 'conservative', 'parsimonious' or 'intermediate'")


def _covered(path: Term, terms: Sequence[Term]) -> bool:
    """True when some term's literals are a subset of the path's literals."""
    return any(all(tv < 0 or tv == pv for tv, pv in zip(t, path)) for t in terms)


def reanalyse(raw: pd.DataFrame, spec: Reanalysis, outcome: str, conditions: Sequence[str],
              paths: Sequence[Term] = (), *, solution: str = "conservative",
              dir_exp: Sequence[str] | None = None) -> dict[str, Any]:
    """Run one re-analysis of the grid and describe its result (one record).

    Record fields: kind, label, varied_set, varied_anchor, shift, incl_cut, pri_cut,
    n_cut, drop_case, n_cases, n_positive_rows, solved (some row positive),
    n_models, expression (first model), inclS, PRI, covS (its fit), and for each
    path k (1-based) ``path{k}_exact`` and ``path{k}_covered``.
    """
    _check_solution(solution, dir_exp)
    data = raw if spec.drop_case is None else raw.drop(index=spec.drop_case)
    cal = calibrate_frame(data, dict(spec.anchors))
    tt, sol = _solve(cal, outcome, conditions, spec.incl_cut, spec.pri_cut, spec.n_cut, solution, dir_exp)
    rec: dict[str, Any] = {
        "kind": spec.kind, "label": spec.label, "varied_set": spec.varied_set or "",
        "varied_anchor": spec.varied_anchor or "", "shift": spec.shift, "incl_cut": spec.incl_cut,
        "pri_cut": spec.pri_cut, "n_cut": spec.n_cut, "drop_case": spec.drop_case or "",
        "n_cases": int(len(cal)), "n_positive_rows": len(tt.positive_rows), "solved": sol is not None,
        "n_models": 0, "expression": "", "inclS": float("nan"), "PRI": float("nan"), "covS": float("nan"),
    }
    terms: list[Term] = []
    if sol is not None:
        model = sol.models[0]
        terms = list(model.terms)
        rec.update(n_models=int(sol.n_models), expression=model.expression, **model.fit)
    for k, p in enumerate(paths, 1):
        rec[f"path{k}_exact"] = tuple(p) in terms
        rec[f"path{k}_covered"] = _covered(tuple(p), terms)
    return rec


# --------------------------------------------------------------------------- parallel map

def _chunks(n: int, n_chunks: int) -> list[range]:
    n_chunks = max(1, min(n, n_chunks))
    bounds = np.linspace(0, n, n_chunks + 1).round().astype(int)
    return [range(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def parallel_map(func: Callable[[Any], list[Any]], chunks: Sequence[Any], *, n_jobs: int = -1,
                 scheduler: Any = None) -> list[Any]:
    """``[func(c) for c in chunks]`` in parallel: joblib workers, or a Dask cluster.

    *scheduler*: None (joblib's default process backend with *n_jobs* workers,
    -1 = all cores; 1 runs in this process), a Dask scheduler address (a client
    is opened and closed here) or a ``distributed.Client`` (joblib's ``dask``
    backend on that cluster). Results keep the order of *chunks*.
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise InputError(f"n_jobs = {n_jobs!r}: expected -1 (all cores) or a positive integer")
    calls = [joblib.delayed(func)(c) for c in chunks]
    if scheduler is None or scheduler == "":
        if n_jobs == 1 or len(calls) <= 1:
            return [func(c) for c in chunks]
        return list(joblib.Parallel(n_jobs=int(n_jobs))(calls))
    from dask.distributed import Client

    own = not isinstance(scheduler, Client)
    client = Client(str(scheduler)) if own else scheduler
    try:
        with joblib.parallel_config(backend="dask", client=client):
            return list(joblib.Parallel(n_jobs=int(n_jobs))(calls))
    finally:
        if own:
            client.close()


def _n_chunks(n_tasks: int, n_jobs: int, scheduler: Any) -> int:
    # a few chunks per worker balance the load; never more chunks than tasks
    workers = joblib.cpu_count() if n_jobs == -1 else n_jobs
    if scheduler is not None and scheduler != "":
        workers = max(workers, 8)
    return max(1, min(n_tasks, 4 * workers))


class _GridChunk:
    """Picklable task: run the re-analyses of one chunk of the grid."""

    def __init__(self, raw, specs, outcome, conditions, paths, solution, dir_exp):
        self.raw, self.specs, self.outcome, self.conditions = raw, specs, outcome, conditions
        self.paths, self.solution, self.dir_exp = paths, solution, dir_exp

    def __call__(self, idx: range) -> list[dict[str, Any]]:
        return [reanalyse(self.raw, self.specs[i], self.outcome, self.conditions, self.paths,
                          solution=self.solution, dir_exp=self.dir_exp) for i in idx]


def run_robustness(raw: pd.DataFrame, specs: Sequence[Reanalysis], outcome: str,
                   conditions: Sequence[str], paths: str | Sequence[Term] = (), *,
                   solution: str = "conservative", dir_exp: Sequence[str] | None = None,
                   n_jobs: int = -1, scheduler: Any = None) -> pd.DataFrame:
    """Run every re-analysis of *specs* (in parallel) and return one record per row.

    *paths*: the published solution, as an expression string (``"A*~B + C"``)
    or a list of terms aligned with *conditions*. See :func:`reanalyse` for the
    columns and :func:`parallel_map` for *n_jobs* and *scheduler*.
    """
    _check_solution(solution, dir_exp)
    conditions = [str(c) for c in conditions]
    terms = parse_expression(paths, conditions) if isinstance(paths, str) else [tuple(p) for p in paths]
    missing = [c for c in [*conditions, outcome] if c not in raw.columns]
    if missing:
        raise InputError(f"raw data: no column for {missing}; columns: " + ", ".join(map(str, raw.columns)))
    for s in specs:
        if s.drop_case is not None and s.drop_case not in raw.index:
            raise InputError(f"leave-one-out case {s.drop_case!r} is not a case of the data")
    task = _GridChunk(raw, list(specs), outcome, conditions, terms, solution, dir_exp)
    parts = parallel_map(task, _chunks(len(specs), _n_chunks(len(specs), n_jobs, scheduler)),
                         n_jobs=n_jobs, scheduler=scheduler)
    return pd.DataFrame([r for part in parts for r in part])


def path_survival(results: pd.DataFrame, paths: str | Sequence[Term],
                  conditions: Sequence[str]) -> pd.DataFrame:
    """How often each published path survives, by kind of re-analysis and overall.

    Returns one row per (path, kind) with ``n`` re-analyses, ``exact`` (share in
    which the path is a term of the first model) and ``covered`` (share in which
    a term of the first model is the path or a simplification of it).
    """
    conditions = [str(c) for c in conditions]
    terms = parse_expression(paths, conditions) if isinstance(paths, str) else [tuple(p) for p in paths]
    rows = []
    groups = [("all", results)] + [(k, g) for k, g in results.groupby("kind", sort=False)]
    for k, t in enumerate(terms, 1):
        for kind, g in groups:
            rows.append({"path": format_term(t, conditions), "kind": kind, "n": int(len(g)),
                         "exact": float(g[f"path{k}_exact"].mean()) if len(g) else float("nan"),
                         "covered": float(g[f"path{k}_covered"].mean()) if len(g) else float("nan")})
    return pd.DataFrame(rows)


def robustness_table(results: pd.DataFrame, n_paths: int | None = None) -> pd.DataFrame:
    """Summary of a robustness run, one row per kind of re-analysis and one for all.

    Columns: ``n``, ``solved`` (share with some positive row), ``same_as_baseline``
    (share whose first model equals the baseline's), ``all_paths_exact`` (share in
    which every path is a term), per path ``path{k}_exact``; and the ranges
    ``inclS_min``, ``inclS_max``, ``covS_min``, ``covS_max`` over solved re-analyses.
    """
    if n_paths is None:
        n_paths = sum(1 for c in results.columns if c.startswith("path") and c.endswith("_exact"))
    base = results.loc[results["kind"] == "baseline", "expression"]
    base_expr = base.iloc[0] if len(base) else None
    groups = [("all", results)] + [(k, g) for k, g in results.groupby("kind", sort=False)]
    rows = []
    for kind, g in groups:
        solved = g[g["solved"]]
        row: dict[str, Any] = {"kind": kind, "n": int(len(g)), "solved": float(g["solved"].mean()),
                               "same_as_baseline": float((g["expression"] == base_expr).mean())
                               if base_expr is not None else float("nan")}
        exact = [g[f"path{k}_exact"] for k in range(1, n_paths + 1)]
        row["all_paths_exact"] = float(np.logical_and.reduce(exact).mean()) if exact else float("nan")
        for k, col in enumerate(exact, 1):
            row[f"path{k}_exact"] = float(col.mean())
        for stat in ("inclS", "covS"):
            row[f"{stat}_min"] = float(solved[stat].min()) if len(solved) else float("nan")
            row[f"{stat}_max"] = float(solved[stat].max()) if len(solved) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- permutation test

@dataclass
class PermutationResult:
    """A permutation test of a solution's consistency (Braumoeller 2015).

    ``null`` has one row per permutation: ``fixed_inclS`` / ``fixed_covS`` (the
    observed solution against the shuffled outcome), ``refit_solved``,
    ``refit_inclS``, ``refit_covS`` (the solution found on the shuffled data).
    """

    expression: str
    observed: dict[str, float]
    n_permutations: int
    seed: int
    null: pd.DataFrame
    p_fixed: float
    p_refit: float
    p_refit_joint: float
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the null distribution (for a results JSON)."""
        q = self.null
        return {"expression": self.expression, "observed": dict(self.observed),
                "n_permutations": self.n_permutations, "seed": self.seed,
                "p_fixed": self.p_fixed, "p_refit": self.p_refit, "p_refit_joint": self.p_refit_joint,
                "share_refit_solved": float(q["refit_solved"].mean()) if len(q) else float("nan"),
                "null_fixed_inclS_quantiles": _quantiles(q["fixed_inclS"]),
                "null_refit_inclS_quantiles": _quantiles(q["refit_inclS"]),
                "settings": dict(self.settings),
                "method": "outcome shuffled across cases; p = (1 + #{T_b >= T_obs}) / (1 + B) "
                          "(Braumoeller 2015; Phipson & Smyth 2010)"}

    def summary(self) -> str:
        """A short text report with the p-values."""
        return (f"Permutation test of {self.expression} ({self.n_permutations} permutations, seed {self.seed})\n"
                f"  observed inclS {self.observed['inclS']:.3f}, covS {self.observed['covS']:.3f}\n"
                f"  p (observed solution vs shuffled outcome)          = {self.p_fixed:.4f}\n"
                f"  p (re-run QCA: inclS >= observed)                  = {self.p_refit:.4f}\n"
                f"  p (re-run QCA: inclS and covS >= observed)         = {self.p_refit_joint:.4f}\n")

    def __str__(self) -> str:
        return self.summary()


def _quantiles(s: pd.Series) -> dict[str, float | None]:
    v = s.dropna().to_numpy(dtype=float)
    if not v.size:
        return {q: None for q in ("0.5", "0.9", "0.95", "0.99", "max")}
    qs = np.quantile(v, [0.5, 0.9, 0.95, 0.99])
    return {"0.5": float(qs[0]), "0.9": float(qs[1]), "0.95": float(qs[2]), "0.99": float(qs[3]),
            "max": float(v.max())}


class _PermChunk:
    """Picklable task: the statistics of one chunk of permutations."""

    def __init__(self, data, outcome, conditions, terms, seeds, settings):
        self.data, self.outcome, self.conditions, self.terms = data, outcome, conditions, terms
        self.seeds, self.settings = seeds, settings

    def __call__(self, idx: range) -> list[dict[str, Any]]:
        y = self.data[self.outcome].to_numpy(dtype=float)
        m = np.vstack([term_membership(self.data, t, self.conditions) for t in self.terms])
        s = self.settings
        out = []
        for i in idx:
            perm = np.random.default_rng(self.seeds[i]).permutation(y.size)
            yp = y[perm]
            fixed = model_fit(m, yp)
            shuffled = self.data.copy()
            shuffled[self.outcome] = yp
            _, sol = _solve(shuffled, self.outcome, self.conditions, s["incl_cut"], s["pri_cut"],
                            s["n_cut"], s["solution"], s["dir_exp"])
            fit = sol.models[0].fit if sol is not None else {"inclS": float("nan"), "covS": float("nan")}
            out.append({"permutation": i, "fixed_inclS": fixed["inclS"], "fixed_covS": fixed["covS"],
                        "refit_solved": sol is not None, "refit_inclS": fit["inclS"],
                        "refit_covS": fit["covS"]})
        return out


def permutation_test(data: pd.DataFrame, outcome: str, conditions: Sequence[str], *,
                     expression: str | None = None, incl_cut: float = 0.8, pri_cut: float = 0.5,
                     n_cut: int = 1, solution: str = "conservative", dir_exp: Sequence[str] | None = None,
                     n_permutations: int = 1000, seed: int = 0, n_jobs: int = -1,
                     scheduler: Any = None) -> PermutationResult:
    """Permutation test of a solution's consistency against outcome-shuffled data.

    For b = 1..B the outcome is permuted across cases (generator b spawned from
    ``SeedSequence(seed)``); T_fixed,b = inclS of the observed solution with the
    permuted outcome, and the whole analysis (truth table with the same cut-offs,
    minimisation) is re-run, giving T_refit,b = inclS of its first model (no
    solution when no row is positive: it never counts as at least as good).
    p = (1 + #{T_b >= T_obs}) / (1 + B) (Braumoeller 2015; Phipson & Smyth 2010);
    ``p_refit_joint`` requires inclS and covS both at least the observed ones.

    Parameters
    ----------
    data : calibrated memberships (index = cases), the conditions and the outcome.
    expression : the solution to test (default: the first model of the solution
        found on *data* with these settings).
    n_permutations : B (0 gives p-values of 1 and an empty null distribution).
    """
    _check_solution(solution, dir_exp)
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) or n_permutations < 0:
        raise InputError(f"n_permutations = {n_permutations!r}: expected a non-negative integer")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed = {seed!r}: expected a non-negative integer")
    conditions = [str(c) for c in conditions]
    data = data[conditions + [outcome]].astype(float)
    if expression is None:
        _, sol = _solve(data, outcome, conditions, incl_cut, pri_cut, n_cut, solution, dir_exp)
        if sol is None:
            raise InputError(f"outcome {outcome}: no truth-table row is positive with incl_cut {incl_cut}, "
                             f"pri_cut {pri_cut}, n_cut {n_cut}; there is no solution to test")
        terms = list(sol.models[0].terms)
    else:
        terms = parse_expression(expression, conditions)
    m = np.vstack([term_membership(data, t, conditions) for t in terms])
    observed = model_fit(m, data[outcome].to_numpy(dtype=float))
    expr = " + ".join(format_term(t, conditions) for t in terms)
    settings = {"incl_cut": float(incl_cut), "pri_cut": float(pri_cut), "n_cut": int(n_cut),
                "solution": solution, "dir_exp": list(dir_exp) if dir_exp else None}
    seeds = np.random.SeedSequence(int(seed)).spawn(int(n_permutations))
    task = _PermChunk(data, outcome, conditions, terms, seeds, settings)
    parts = parallel_map(task, _chunks(int(n_permutations), _n_chunks(int(n_permutations), n_jobs, scheduler)),
                         n_jobs=n_jobs, scheduler=scheduler) if n_permutations else []
    null = pd.DataFrame([r for p in parts for r in p],
                        columns=["permutation", "fixed_inclS", "fixed_covS", "refit_solved",
                                 "refit_inclS", "refit_covS"])
    b = int(n_permutations)
    tol = 1e-12
    k_fixed = int((null["fixed_inclS"] >= observed["inclS"] - tol).sum())
    ok = null["refit_solved"].astype(bool)
    k_refit = int((ok & (null["refit_inclS"] >= observed["inclS"] - tol)).sum())
    k_joint = int((ok & (null["refit_inclS"] >= observed["inclS"] - tol)
                   & (null["refit_covS"] >= observed["covS"] - tol)).sum())
    return PermutationResult(expression=expr, observed=observed, n_permutations=b, seed=int(seed),
                             null=null, p_fixed=(1 + k_fixed) / (1 + b), p_refit=(1 + k_refit) / (1 + b),
                             p_refit_joint=(1 + k_joint) / (1 + b), settings=settings)
