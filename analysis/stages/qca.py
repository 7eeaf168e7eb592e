"""Stage 04, QCA: necessity, truth table, solutions, robustness and permutation test.

The analysis of the memberships stage 03 wrote (:mod:`analysis.stages.calibration`).
What belongs to this study: the directional expectations and the published
solution (:mod:`analysis.study`), the reference paths of the robustness check,
the configuration chart and the results files the paper reads. The generic
engine is :mod:`analysis.qca`. On the shipped synthetic data the conservative
solution for SUSTAIN12 with the default cut-offs is exactly the published one,
:data:`analysis.study.PUBLISHED`.

The stage contract (:mod:`analysis.stages`): :func:`run` -> :class:`QCAResult`,
:func:`write`, :func:`claim_values`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.io import write_csv, write_json
from analysis.qca.expressions import Term, format_term, parse_expression
from analysis.qca.minimize import minimize
from analysis.qca.necessity import necessity
from analysis.qca.robustness import (PermutationResult, path_survival, permutation_test, robustness_grid,
                                     robustness_table, run_robustness)
from analysis.qca.solution import Solution
from analysis.qca.truthtable import TruthTable, truth_table
from analysis.stages.calibration import (CalibrationResult, anchor_dict, check_conditions, outcome_set,
                                         read_anchors, read_calibrated)
from analysis.stages.calibration import run as calibrate
from analysis.study import DEFAULT_CONDITIONS, DIRECTIONAL_EXPECTATIONS, PUBLISHED

__all__ = [
    "QCAResult", "read_inputs", "analyse", "run", "write", "claim_values",
    "directional_expectations", "necessity_table", "truth_table_frame", "solution_expression",
    "same_expression", "solutions_table", "configuration_chart", "chart_symbols", "reference_paths",
    "robustness_analysis", "permutation_analysis", "published_match", "solution_paths",
    "truth_table_report", "solutions_report", "published_report", "robustness_report",
    "permutation_report",
]


def directional_expectations(conditions: Sequence[str]) -> pd.DataFrame:
    """The directional expectations of *conditions* with their justification.

    >>> directional_expectations(["SBW", "LONGMEET"])["expectation"].tolist()
    ['-', 'LONGMEET']
    """
    conds = check_conditions(conditions)
    return pd.DataFrame([{"condition": c, "expectation": DIRECTIONAL_EXPECTATIONS[c][0] or "-",
                          "why": DIRECTIONAL_EXPECTATIONS[c][1]} for c in conds])


def _dir_exp(conditions: Sequence[str]) -> list[str]:
    return [DIRECTIONAL_EXPECTATIONS[c][0] or "-" for c in conditions]


@dataclass(frozen=True)
class QCAResult:
    """Stage 04's results for one outcome: necessity, truth table, the three solutions
    (None when no row is positive), and the robustness check and permutation test
    (None until :func:`run` adds them; the permutation test is None when there is no solution)."""

    data: pd.DataFrame
    outcome_set: str
    conditions: list[str]
    cutoffs: dict[str, Any]
    necessity: pd.DataFrame
    truth_table: TruthTable
    dir_exp: list[str]
    conservative: Solution | None = None
    parsimonious: Solution | None = None
    intermediate: Solution | None = None
    notes: list[str] = field(default_factory=list)
    robustness: dict[str, pd.DataFrame] | None = None
    permutation: PermutationResult | None = None

    @property
    def solved(self) -> bool:
        """True when some truth-table row is positive (there is a solution)."""
        return self.conservative is not None

    def expressions(self) -> dict[str, str | None]:
        """First model of each solution type as an expression (None when unsolved)."""
        return {k: solution_expression(getattr(self, k))
                for k in ("conservative", "parsimonious", "intermediate")}


def necessity_table(data: pd.DataFrame, outcome: str, conditions: Sequence[str],
                    incl_threshold: float = 0.9) -> pd.DataFrame:
    """inclN, RoN, covN of every condition and its negation; ``necessary`` flags inclN >= 0.9.

    inclN = sum(min(x, y)) / sum(y); covN = sum(min(x, y)) / sum(x);
    RoN = sum(1 - x) / sum(1 - min(x, y)) (Schneider & Wagemann 2012; R QCA's pof).
    """
    pos = necessity(data, outcome, list(conditions), incl_threshold=incl_threshold).to_frame()
    neg = necessity(data, outcome, list(conditions), negate_conditions=True,
                    incl_threshold=incl_threshold).to_frame()
    return pd.concat([pos, neg], ignore_index=True)


def truth_table_frame(tt: TruthTable) -> pd.DataFrame:
    """The observed truth-table rows (row, conditions, OUT, n, incl, PRI, cases)."""
    return tt.to_frame()


def solution_expression(solution: Solution | None) -> str | None:
    """The first minimal model of a solution as an expression (None for no solution)."""
    if solution is None or not solution.models:
        return None
    return solution.models[0].expression


def same_expression(a: str, b: str, conditions: Sequence[str]) -> bool:
    """True when two sums of products have the same terms (order of terms and literals aside).

    >>> same_expression("A*~B + C", "C + ~B*A", ["A", "B", "C"])
    True
    """
    ta, tb = parse_expression(a, list(conditions)), parse_expression(b, list(conditions))
    return sorted(ta) == sorted(tb)


def analyse(data: pd.DataFrame, outcome_set_name: str, conditions: Sequence[str], *,
            incl_cut: float = 0.8, pri_cut: float = 0.5, n_cut: int = 1) -> QCAResult:
    """Necessity, truth table, and conservative, parsimonious and intermediate solutions.

    The truth table codes a row positive when incl >= incl_cut and PRI >= pri_cut
    (Ragin 2008; R QCA's truthTable); rows with fewer than n_cut cases are
    remainders. The intermediate solution uses :data:`DIRECTIONAL_EXPECTATIONS`
    (Ragin & Sonnett 2005). When no row is positive there is no solution and the
    result says so in ``notes``. No robustness check or permutation test (see :func:`run`).
    """
    conds = check_conditions(conditions)
    cols = [*conds, outcome_set_name]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise InputError(f"calibrated data: no column for {missing}")
    d = data[cols].astype(float)
    tt = truth_table(d, outcome_set_name, conds, incl_cut=incl_cut, pri_cut=pri_cut, n_cut=n_cut)
    nec = necessity_table(d, outcome_set_name, conds)
    dir_exp = _dir_exp(conds)
    res = QCAResult(data=d, outcome_set=outcome_set_name, conditions=conds,
                    cutoffs={"incl_cut": float(incl_cut), "pri_cut": float(pri_cut), "n_cut": int(n_cut)},
                    necessity=nec, truth_table=tt, dir_exp=dir_exp)
    if not tt.positive_rows:
        return replace(res, notes=[f"no truth-table row reaches incl >= {incl_cut:g} and PRI >= {pri_cut:g} "
                                   f"(n >= {n_cut}): there is no sufficient configuration for {outcome_set_name}"])
    sols = {"conservative": minimize(tt), "parsimonious": minimize(tt, include="?"),
            "intermediate": minimize(tt, dir_exp=dir_exp)}
    notes = [f"the {name} solution has {sol.n_models} minimal models; tables use M1"
             for name, sol in sols.items() if sol.n_models > 1]
    return replace(res, **sols, notes=notes)


def read_inputs(processed_dir: str | Path, results_dir: str | Path, outcome: str,
                conditions: Sequence[str]) -> tuple[pd.DataFrame, CalibrationResult]:
    """Stage 04's inputs: the memberships of calibrated.csv (index staff_id), and stage 03's
    calibration redone from staff.csv and scores.csv with the anchors it wrote (the raw values
    and anchors the robustness grid shifts)."""
    processed, results = Path(processed_dir), Path(results_dir)
    conds = check_conditions(conditions)
    data = read_calibrated(processed / "calibrated.csv", outcome_set(outcome), conds)
    cal = calibrate(pd.read_csv(processed / "staff.csv"), pd.read_csv(processed / "scores.csv"), outcome, conds,
                    anchors=read_anchors(results / "calibration" / "anchors.csv"))
    return data, cal


def run(data: pd.DataFrame, cal: CalibrationResult, *, incl_cut: float = 0.8, pri_cut: float = 0.5,
        n_cut: int = 1, robustness: bool = True, n_permutations: int = 1000, seed: int = 0,
        n_jobs: int = -1, scheduler: Any = None) -> QCAResult:
    """Stage 04: :func:`analyse` the memberships *data* for the outcome set and conditions of *cal*,
    then the robustness check around *cal*'s anchors (:func:`robustness_analysis`, unless
    *robustness* is False) and the permutation test (:func:`permutation_analysis`; *seed* is its
    own stream, e.g. ``analysis.seeds.int_seed_for(seed, "qca", "permutation")``).
    *n_jobs* and *scheduler* (a Dask address) say where these run; results do not depend on them.
    """
    res = analyse(data, cal.outcome_set, cal.conditions, incl_cut=incl_cut, pri_cut=pri_cut, n_cut=n_cut)
    rob = robustness_analysis(cal, res, n_jobs=n_jobs, scheduler=scheduler) if robustness else None
    perm = permutation_analysis(res, n_permutations=n_permutations, seed=seed, n_jobs=n_jobs,
                                scheduler=scheduler)
    return replace(res, robustness=rob, permutation=perm)


def solutions_table(result: QCAResult) -> pd.DataFrame:
    """Every term of every model of the three solutions with its fit, and each model's fit.

    Columns: solution, part (intermediate C?P? key), model, term, inclS, PRI,
    covS, covU, cases; a model's own line has term = the model expression.
    """
    rows = []
    for name in ("conservative", "parsimonious", "intermediate"):
        sol = getattr(result, name)
        if sol is None:
            continue
        parts = sol.intermediate if sol.intermediate is not None else [sol]
        for part in parts:
            for m in part.models:
                for lab, (_, r), cases in zip(m.labels, m.term_fit.iterrows(), m.cases):
                    rows.append({"solution": name, "part": part.key or "", "model": m.name, "term": lab,
                                 "inclS": r["inclS"], "PRI": r["PRI"], "covS": r["covS"], "covU": r["covU"],
                                 "cases": cases})
                rows.append({"solution": name, "part": part.key or "", "model": m.name,
                             "term": m.expression, "inclS": m.fit["inclS"], "PRI": m.fit["PRI"],
                             "covS": m.fit["covS"], "covU": np.nan, "cases": "(model)"})
    return pd.DataFrame(rows, columns=["solution", "part", "model", "term", "inclS", "PRI", "covS",
                                       "covU", "cases"])


def _subsumes(p: Term, t: Term) -> bool:
    """True when every literal of *p* is a literal of *t*."""
    return all(pv < 0 or pv == tv for pv, tv in zip(p, t))


def configuration_chart(result: QCAResult) -> pd.DataFrame:
    """The solution as a configuration chart in Fiss's (2011) style.

    One column per configuration (term of the intermediate solution's first
    model, or of the conservative one if there is no intermediate); one row per
    condition with ``core`` / ``peripheral`` (present) or ``core absent`` /
    ``peripheral absent``, blank when the condition does not matter. A literal
    is core when a term of the parsimonious solution (M1) contained in the
    configuration has it, peripheral when it appears in the intermediate
    solution only (Fiss 2011, *Academy of Management Journal* 54(2)). Rows
    ``consistency``, ``raw coverage``, ``unique coverage`` follow, then the
    solution's consistency and coverage.
    """
    if not result.solved:
        return pd.DataFrame({"condition": result.conditions})
    sol = result.intermediate or result.conservative
    model = sol.models[0]
    pars = result.parsimonious.models[0].terms if result.parsimonious is not None else []
    conds = result.conditions
    chart: dict[str, list[Any]] = {"condition": [*conds, "consistency", "raw coverage", "unique coverage",
                                                 "solution consistency", "solution coverage"]}
    for k, (t, (_, fit)) in enumerate(zip(model.terms, model.term_fit.iterrows()), 1):
        cores = [p for p in pars if _subsumes(p, t)]
        cells = []
        for j, v in enumerate(t):
            if v < 0:
                cells.append("")
                continue
            core = any(p[j] == v for p in cores)
            cells.append(("core" if core else "peripheral") + ("" if v >= 1 else " absent"))
        cov_u = fit["covU"] if not np.isnan(fit["covU"]) else fit["covS"]
        chart[f"{k}: {format_term(t, conds)}"] = [*cells, fit["inclS"], fit["covS"], cov_u,
                                                  model.fit["inclS"] if k == 1 else np.nan,
                                                  model.fit["covS"] if k == 1 else np.nan]
    return pd.DataFrame(chart)


_SYMBOLS = {"core": "\u25cf", "peripheral": "\u2022", "core absent": "\u2297", "peripheral absent": "\u2298",
            "": ""}


def chart_symbols(chart: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """The configuration chart for display: Fiss's symbols (● core, • peripheral, ⊗ core absent,
    ⊘ peripheral absent) and rounded fit values."""
    out = chart.set_index("condition").copy().astype(object)
    for col in out.columns:
        out[col] = [(_SYMBOLS.get(v, v) if isinstance(v, str) else ("" if pd.isna(v) else f"{v:.{digits}f}"))
                    for v in out[col]]
    return out


# --------------------------------------------------------------------------- robustness

def reference_paths(result: QCAResult) -> str | None:
    """The paths whose survival the robustness check reports.

    The published expression when the outcome is SUSTAIN12 and every published
    condition is analysed; otherwise the stage's own conservative solution (None
    when there is none).
    """
    if result.outcome_set == "SUSTAIN12" and all(c in result.conditions for c in DEFAULT_CONDITIONS):
        return PUBLISHED
    return solution_expression(result.conservative)


def robustness_analysis(cal: CalibrationResult, result: QCAResult, *, n_jobs: int = -1,
                        scheduler: Any = None, **grid: Any) -> dict[str, pd.DataFrame]:
    """Re-run the conservative analysis over the robustness grid and summarise it.

    Grid: :func:`analysis.qca.robustness.robustness_grid` around the stage's anchors
    and cut-offs (keyword arguments override its defaults: incl_cuts 0.75-0.9,
    n_cuts 1-2, anchor shifts of +-5 % and +-10 % of the anchor span, every
    case left out). Returns {"runs", "table", "paths"} DataFrames.
    """
    paths = reference_paths(result)
    specs = robustness_grid(anchor_dict(cal.anchors), list(cal.raw.index), **{**result.cutoffs, **grid})
    runs = run_robustness(cal.raw, specs, result.outcome_set, result.conditions, paths or (),
                          n_jobs=n_jobs, scheduler=scheduler)
    table = robustness_table(runs)
    surv = path_survival(runs, paths, result.conditions) if paths else pd.DataFrame(
        columns=["path", "kind", "n", "exact", "covered"])
    return {"runs": runs, "table": table, "paths": surv}


def permutation_analysis(result: QCAResult, *, n_permutations: int = 1000, seed: int = 0,
                         n_jobs: int = -1, scheduler: Any = None) -> PermutationResult | None:
    """Permutation test of the conservative solution's consistency (None when there is no solution)."""
    if not result.solved:
        return None
    return permutation_test(result.data, result.outcome_set, result.conditions,
                            expression=solution_expression(result.conservative), **result.cutoffs,
                            n_permutations=n_permutations, seed=seed, n_jobs=n_jobs, scheduler=scheduler)


# --------------------------------------------------------------------------- writers

def write(result: QCAResult, dirs: Mapping[str, str | Path]) -> list[Path]:
    """Write stage 04's tables to ``dirs["results"]``/qca (atomic, deterministic)."""
    q = Path(dirs["results"]) / "qca"
    robustness, permutation = result.robustness, result.permutation
    tt = result.truth_table
    n_cases = len(tt.case_names)
    in_rows = int(tt.rows.loc[tt.rows["n"] >= tt.n_cut, "n"].sum())
    exprs = result.expressions()
    inter = result.intermediate
    summary = {
        "outcome": result.outcome_set, "conditions": result.conditions, "n_cases": n_cases,
        **result.cutoffs,
        "share_cases_in_rows_at_or_above_n_cut": in_rows / n_cases if n_cases else float("nan"),
        "positive_rows": tt.positive_rows, "negative_rows": tt.negative_rows,
        "remainder_rows": tt.remainder_rows, "solutions": exprs,
        "n_models": {k: (getattr(result, k).n_models if getattr(result, k) is not None else 0)
                     for k in ("conservative", "parsimonious", "intermediate")},
        "fit": {k: (getattr(result, k).models[0].fit if getattr(result, k) is not None else None)
                for k in ("conservative", "parsimonious", "intermediate")},
        "directional_expectations": result.dir_exp,
        "easy_counterfactuals": inter.intermediate[0].easy_counterfactuals if inter is not None else [],
        "published": PUBLISHED, "matches_published": published_match(result), "notes": result.notes,
    }
    paths = [write_csv(result.necessity, q / "necessity.csv"),
             write_csv(truth_table_frame(tt), q / "truth_table.csv"),
             write_csv(solutions_table(result), q / "solutions.csv"),
             write_csv(directional_expectations(result.conditions), q / "directional_expectations.csv"),
             write_csv(configuration_chart(result), q / "configuration_chart.csv"),
             write_json(summary, q / "summary.json")]
    if robustness is not None:
        paths += [write_csv(robustness["table"], q / "robustness.csv"),
                  write_csv(robustness["paths"], q / "robustness_paths.csv"),
                  write_csv(robustness["runs"], q / "robustness_runs.csv")]
    if permutation is not None:
        paths += [write_json(permutation.to_dict(), q / "permutation.json"),
                  write_csv(permutation.null, q / "permutation_null.csv")]
    else:
        paths.append(write_json({"note": "no solution: nothing to test"}, q / "permutation.json"))
    return paths


# --------------------------------------------------------------------------- claims for the paper

# --------------------------------------------------------------------------- claims for the paper

def published_match(result: QCAResult) -> dict[str, bool]:
    """Per solution type, whether its expression equals :data:`PUBLISHED` (SUSTAIN12 on the published conditions only)."""
    applies = (result.outcome_set == "SUSTAIN12" and len(result.conditions) == len(DEFAULT_CONDITIONS)
               and set(result.conditions) == set(DEFAULT_CONDITIONS))
    return {k: (v is not None and applies and same_expression(v, PUBLISHED, result.conditions))
            for k, v in result.expressions().items()}


def solution_paths(result: QCAResult) -> pd.DataFrame:
    """The paths of the reported solution with their fit: first model (M1, first part) of the
    intermediate solution, else of the conservative one; the model's own line has cases '(model)'.

    Columns as :func:`solutions_table`; empty when there is no solution.
    """
    table = solutions_table(result)
    for name in ("intermediate", "conservative"):
        rows = table[(table["solution"] == name) & (table["model"] == "M1")]
        if len(rows):
            return rows[rows["part"] == rows["part"].iloc[0]].reset_index(drop=True)
    return table.iloc[0:0]


#: Labels (paper/paper.typ) of the section or table where the paper shows each stage-04 claim.
_QCA_LABELS: dict[str, str] = {
    "qca.n_cases": "abstract", "qca.incl_cut": "sec-analysis", "qca.pri_cut": "sec-analysis",
    "qca.n_cut": "sec-analysis", "qca.published": "sec-introduction",
    "qca.n_positive_rows": "sec-sufficiency", "qca.n_remainder_rows": "sec-sufficiency",
    "qca.solution": "sec-sufficiency", "qca.solution_conservative": "sec-sufficiency",
    "qca.solution_parsimonious": "sec-sufficiency", "qca.matches_published": "sec-sufficiency",
    "qca.solution.inclS": "sec-sufficiency", "qca.solution.PRI": "sec-sufficiency",
    "qca.solution.covS": "sec-sufficiency", "qca.table.solution": "tab-solution",
    "qca.necessity.max_inclN": "sec-necessity", "qca.necessity.max_term": "sec-necessity",
    "qca.necessity.n_necessary": "sec-necessity",
    **{f"qca.path{k}.covU": "sec-sufficiency" for k in (1, 2, 3)},
    **{f"qca.robustness.{c}": "sec-robustness"
       for c in ("n", "same_as_baseline", "inclS_min", "inclS_max", "covS_min", "covS_max",
                 "calibration.n", "calibration.same_as_baseline", "cutoffs.n", "cutoffs.same_as_baseline")},
}


def claim_values(result: QCAResult) -> dict[str, tuple[Any, str | None]]:
    """Stage 04's results the paper prints or a replicator checks: name -> (value, label in the paper).

    Read from the stage's objects, nothing recomputed: the cut-offs and counts
    of the truth table (``qca.n_cases``, ``qca.incl_cut``, ``qca.n_positive_rows``,
    ...), the three solution expressions (``qca.solution_conservative``,
    ``_parsimonious``, ``_intermediate``; ``qca.solution`` is the reported one,
    intermediate else conservative), whether it matches the published one,
    the fit of the solution (``qca.solution.inclS|PRI|covS``, NaN when there is no
    solution) and of each path
    (``qca.path<k>.inclS|PRI|covS|covU``, ``.expression``) with the table
    ``qca.table.solution``, necessity (highest inclN and its term, number
    necessary), the robustness shares and fit ranges (``qca.robustness.*``)
    and the permutation p-values (``qca.permutation.*``) when *result* has them.
    """
    robustness, permutation = result.robustness, result.permutation
    out: dict[str, Any] = {
        "qca.n_cases": int(len(result.truth_table.case_names)),
        "qca.incl_cut": float(result.cutoffs["incl_cut"]), "qca.pri_cut": float(result.cutoffs["pri_cut"]),
        "qca.n_cut": int(result.cutoffs["n_cut"]),
        "qca.n_positive_rows": len(result.truth_table.positive_rows),
        "qca.n_remainder_rows": len(result.truth_table.remainder_rows),
        "qca.published": PUBLISHED,
    }
    exprs = result.expressions()
    for kind in ("conservative", "parsimonious", "intermediate"):
        out[f"qca.solution_{kind}"] = exprs[kind] or "no solution"
    out["qca.solution"] = exprs["intermediate"] or exprs["conservative"] or "no solution"
    match = published_match(result)
    out["qca.matches_published"] = ("identical to" if match["intermediate"] or match["conservative"]
                                    else "different from")
    rows = solution_paths(result)
    paths = rows[rows["cases"].astype(str) != "(model)"]
    model = rows[rows["cases"].astype(str) == "(model)"]
    for k, (_, r) in enumerate(paths.iterrows(), 1):
        out[f"qca.path{k}.expression"] = str(r["term"])
        for col in ("inclS", "PRI", "covS", "covU"):
            out[f"qca.path{k}.{col}"] = float(r[col])
    if len(model):
        for col in ("inclS", "PRI", "covS"):
            out[f"qca.solution.{col}"] = float(model[col].iloc[0])
    elif not len(paths):
        # no solution: its fit is undefined, recorded as NaN (printed NA) so that every run, solved
        # or not, records the solution's fit under the same names
        for col in ("inclS", "PRI", "covS"):
            out[f"qca.solution.{col}"] = float("nan")
    table = paths[["term", "inclS", "PRI", "covS", "covU"]].rename(columns={"term": "path"})
    out["qca.table.solution"] = table.set_index("path").astype(float)
    out["qca.n_paths"] = int(len(paths))
    nec = result.necessity
    if len(nec):
        top = nec.loc[nec["inclN"].astype(float).idxmax()]
        out["qca.necessity.max_inclN"] = float(top["inclN"])
        out["qca.necessity.max_term"] = str(top["term"] if "term" in nec.columns else top.iloc[0])
        out["qca.necessity.n_necessary"] = int(nec["necessary"].astype(str).str.lower().eq("true").sum())
    if robustness is not None and len(robustness.get("table", ())):
        rt = robustness["table"].set_index("kind")
        if "all" in rt.index:
            for col in ("n", "same_as_baseline", "inclS_min", "inclS_max", "covS_min", "covS_max"):
                v = rt.at["all", col]
                out[f"qca.robustness.{col}"] = int(v) if col == "n" else float(v)
            for col in rt.columns:
                if str(col).startswith("path") and str(col).endswith("_exact"):
                    out[f"qca.robustness.{col}"] = float(rt.at["all", col])
        for kind in ("cutoffs", "calibration", "leave_one_out"):
            if kind in rt.index:
                out[f"qca.robustness.{kind}.n"] = int(rt.at[kind, "n"])
                out[f"qca.robustness.{kind}.same_as_baseline"] = float(rt.at[kind, "same_as_baseline"])
    if permutation is not None:
        out["qca.permutation.n_permutations"] = int(permutation.n_permutations)
        out["qca.permutation.p_fixed"] = float(permutation.p_fixed)
        out["qca.permutation.p_refit"] = float(permutation.p_refit)
        out["qca.permutation.p_refit_joint"] = float(permutation.p_refit_joint)
    return {name: (value, _QCA_LABELS.get(name)) for name, value in sorted(out.items())}




# --------------------------------------------------------------------------- what the notebook prints

def truth_table_report(result: QCAResult) -> str:
    """The truth table's cut-offs and counts in one line, then the table (R QCA's layout)."""
    tt, cut = result.truth_table, result.cutoffs
    n_cases = len(tt.case_names)
    in_rows = int(tt.rows.loc[tt.rows["n"] >= tt.n_cut, "n"].sum())
    return (f"incl.cut {cut['incl_cut']}, PRI cut-off {cut['pri_cut']}, frequency cut-off {cut['n_cut']}: "
            f"{in_rows} of {n_cases} cases ({in_rows / n_cases:.0%}) in rows at or above the "
            f"frequency cut-off; {len(tt.positive_rows)} positive, {len(tt.negative_rows)} negative, "
            f"{len(tt.remainder_rows)} remainder rows\n" + tt.summary())


def solutions_report(result: QCAResult) -> str:
    """The notes, then each solution's summary under a ``--- <kind> solution`` line ('' when neither)."""
    text = "".join(f"note: {note}\n" for note in result.notes)
    if result.solved:
        text += "".join(f"--- {kind} solution\n{getattr(result, kind).summary()}\n"
                        for kind in ("conservative", "parsimonious", "intermediate"))
    return text


def published_report(result: QCAResult) -> str:
    """Whether each solution equals :data:`analysis.study.PUBLISHED`, one line each; '' when the
    published solution does not apply (another outcome or other conditions)."""
    applies = result.outcome_set == "SUSTAIN12" and set(result.conditions) == set(DEFAULT_CONDITIONS)
    if not applies:
        return ""
    return "".join(f"{kind:>13} solution {'equals' if same else 'differs from'} the published expression\n"
                   for kind, same in published_match(result).items())


def robustness_report(result: QCAResult) -> str:
    """How many re-analyses the robustness check ran and on which reference paths."""
    if result.robustness is None:
        return "no robustness check"
    return f"{len(result.robustness['runs'])} re-analyses; reference paths: {reference_paths(result)}"


def permutation_report(result: QCAResult) -> str:
    """The permutation test's summary (or that there was nothing to test)."""
    return result.permutation.summary() if result.permutation is not None else "no solution: nothing to test"
