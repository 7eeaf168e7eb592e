"""Stages 03 (calibration) and 04 (QCA) of the staff data: the study-specific logic.

The generic engine lives in :mod:`analysis.qca`; this module holds what belongs
to this study: which processed column each set is calibrated from, the anchors
and why, the directional expectations, the published solution, and the
results files the paper reads.

Sets (conditions) and their raw columns::

    SBW -> scores.sbw (SBW composite, 0-100)      INNOV -> scores.iis (IIS score, 14-94)
    CASELOAD -> staff.caseload                     LONGMEET -> staff.meeting_minutes
    WORKLOAD -> staff.workload_hours (robustness specification only)

Outcomes (the pipeline parameter ``outcome`` -> set name, raw column)::

    sustain12 -> SUSTAIN12, sustain12_rate     sustain6 -> SUSTAIN6, sustain6_rate
    ete_entry -> ETE, ete_rate                 wellbeing -> WELLBEING, wellbeing_change

The published result is :data:`PUBLISHED` (from :mod:`analysis.study`, where the study's vocabulary is defined); on the shipped synthetic
data the conservative solution for SUSTAIN12 with the default cut-offs is
exactly that expression.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import InputError, located
from analysis.study import (CONDITION_COLUMNS, DATA_PERCENTILES, DATA_WHY, DEFAULT_CONDITIONS,
                            DIRECTIONAL_EXPECTATIONS, PUBLISHED, THEORY_ANCHORS)
from analysis.study import OUTCOMES as STUDY_OUTCOMES
from analysis.io import atomic_write_bytes, write_csv, write_json
from analysis.qca.calibrate import anchors_from_percentiles, skewness_check
from analysis.qca.expressions import Term, format_term, parse_expression
from analysis.qca.minimize import minimize
from analysis.qca.necessity import necessity
from analysis.qca.robustness import (CROSSOVER_NUDGE, PermutationResult, calibrate_frame,
                                     path_survival, permutation_test, robustness_grid,
                                     robustness_table, run_robustness)
from analysis.qca.solution import Solution
from analysis.qca.truthtable import TruthTable, truth_table

__all__ = [
    "CONDITION_COLUMNS", "OUTCOMES", "DEFAULT_CONDITIONS", "PUBLISHED", "THEORY_ANCHORS",
    "DATA_PERCENTILES", "DIRECTIONAL_EXPECTATIONS",
    "outcome_set", "outcome_column", "check_conditions", "raw_sets", "anchors_table",
    "CalibrationResult", "calibrate_sets", "write_calibration", "plot_calibration",
    "read_calibrated", "read_anchors", "directional_expectations", "QCAResult", "run_qca",
    "necessity_table", "truth_table_frame", "solution_expression", "same_expression",
    "solutions_table", "configuration_chart", "chart_symbols", "reference_paths",
    "robustness_analysis", "permutation_analysis", "write_qca",
    "calibration_claim_values", "record_calibration_claims", "published_match", "solution_paths",
    "qca_claim_values", "record_qca_claims",
]

#: Pipeline outcome name -> (QCA outcome set name, staff.csv column), from :mod:`analysis.study`.
OUTCOMES: dict[str, tuple[str, str]] = {name: (o.qca_name, o.rate) for name, o in STUDY_OUTCOMES.items()}
_DATA_WHY = DATA_WHY


def outcome_set(outcome: str) -> str:
    """QCA set name of a pipeline outcome (``sustain12`` -> ``SUSTAIN12``).

    >>> outcome_set("ete_entry")
    'ETE'
    """
    if outcome not in OUTCOMES:
        raise InputError(f"outcome {outcome!r}: expected one of " + ", ".join(OUTCOMES))
    return OUTCOMES[outcome][0]


def outcome_column(outcome: str) -> str:
    """staff.csv column of a pipeline outcome (``sustain12`` -> ``sustain12_rate``).

    >>> outcome_column("wellbeing")
    'wellbeing_change'
    """
    if outcome not in OUTCOMES:
        raise InputError(f"outcome {outcome!r}: expected one of " + ", ".join(OUTCOMES))
    return OUTCOMES[outcome][1]


def check_conditions(conditions: str | Sequence[str]) -> list[str]:
    """The condition list as names, validated (a comma-separated string is accepted).

    >>> check_conditions("SBW, INNOV")
    ['SBW', 'INNOV']
    """
    items = conditions.split(",") if isinstance(conditions, str) else list(conditions)
    names = [str(c).strip() for c in items if str(c).strip()]
    if not names:
        raise InputError("conditions: none given; expected some of " + ", ".join(CONDITION_COLUMNS))
    bad = [c for c in names if c not in CONDITION_COLUMNS]
    if bad:
        raise InputError(f"conditions: unknown {bad}; expected some of " + ", ".join(CONDITION_COLUMNS))
    if len(set(names)) != len(names):
        raise InputError("conditions: a condition is listed twice: " + ", ".join(names))
    return names


# --------------------------------------------------------------------------- raw values

def _ids(df: pd.DataFrame, file: str) -> pd.Series:
    if "staff_id" not in df.columns:
        raise InputError(located("no staff_id column", file=file, column="staff_id"))
    ids = df["staff_id"].astype(str)
    dup = ids.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise InputError(located(f"duplicate staff_id {ids[dup].iloc[0]!r}", file=file, row=row,
                                 column="staff_id"))
    return ids


def raw_sets(staff: pd.DataFrame, scores: pd.DataFrame, outcome: str,
             conditions: Sequence[str] = DEFAULT_CONDITIONS) -> pd.DataFrame:
    """Raw values of every condition and the outcome, one row per worker (index staff_id).

    Columns are the set names (conditions, then the outcome set); values come
    from staff.csv and scores.csv as mapped by :data:`CONDITION_COLUMNS` and
    :data:`OUTCOMES`. Workers are in staff.csv order; both files must list the
    same workers. Missing values stay NaN (see :func:`calibrate_sets`).
    """
    conds = check_conditions(conditions)
    out_set, out_col = outcome_set(outcome), outcome_column(outcome)
    files = {"staff": (staff, "staff.csv"), "scores": (scores, "scores.csv")}
    s_ids, c_ids = _ids(staff, "staff.csv"), _ids(scores, "scores.csv")
    if set(s_ids) != set(c_ids):
        only = sorted(set(s_ids) ^ set(c_ids))[:5]
        raise InputError(f"staff.csv and scores.csv list different workers (e.g. {only})")
    frames = {"staff": staff.set_index(s_ids), "scores": scores.set_index(c_ids).loc[list(s_ids)]}
    cols = {c: CONDITION_COLUMNS[c] for c in conds}
    cols[out_set] = ("staff", out_col)
    raw = {}
    for name, (src, col) in cols.items():
        df, fname = files[src]
        if col not in df.columns:
            raise InputError(located(f"no column {col!r} (needed for set {name})", file=fname, column=col))
        values = pd.to_numeric(frames[src][col], errors="coerce")
        bad = values.isna() & frames[src][col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError(located(f"{frames[src][col][bad].iloc[0]!r} is not a number", file=fname,
                                     row=row, column=col))
        raw[name] = values.astype(float).to_numpy()
    return pd.DataFrame(raw, index=pd.Index(list(s_ids), name="staff_id"))


# --------------------------------------------------------------------------- anchors

def anchors_table(raw: pd.DataFrame) -> pd.DataFrame:
    """The anchors of every set of *raw* (from :func:`raw_sets`), with basis and justification.

    Theory-based sets use :data:`THEORY_ANCHORS`; the others take the
    :data:`DATA_PERCENTILES` of their observed (non-missing) values.

    Returns a DataFrame with columns set, column, exclusion, crossover,
    inclusion, basis ("theory" or "data: percentiles 5/50/95"), why.
    """
    rows = []
    for name in raw.columns:
        if name in CONDITION_COLUMNS:
            src, col = CONDITION_COLUMNS[name]
            column = f"{src}.{col}"
        else:
            column = "staff." + next(c for s, c in OUTCOMES.values() if s == name)
        if name in THEORY_ANCHORS:
            e, c, i, why = THEORY_ANCHORS[name]
            basis = "theory"
        else:
            v = raw[name].dropna()
            a = anchors_from_percentiles(v, DATA_PERCENTILES, name=name)
            e, c, i = a["e"], a["c"], a["i"]
            basis = "data: percentiles " + "/".join(f"{p:g}" for p in DATA_PERCENTILES)
            why = _DATA_WHY.get(name, "no external standard; data-based anchors")
        rows.append({"set": name, "column": column, "exclusion": e, "crossover": c, "inclusion": i,
                     "basis": basis, "why": why})
    return pd.DataFrame(rows)


def _anchor_dict(anchors: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    return {r.set: (float(r.exclusion), float(r.crossover), float(r.inclusion))
            for r in anchors.itertuples(index=False)}


# --------------------------------------------------------------------------- calibration

@dataclass
class CalibrationResult:
    """Stage 03's results: raw values, memberships, anchors and the checks."""

    outcome_set: str
    conditions: list[str]
    raw: pd.DataFrame            # complete cases, index staff_id
    memberships: pd.DataFrame    # same index, one column per set
    anchors: pd.DataFrame
    skewness: pd.DataFrame
    crossover_cases: pd.DataFrame
    excluded: pd.DataFrame

    def calibrated_frame(self) -> pd.DataFrame:
        """calibrated.csv: staff_id, then the conditions, then the outcome set."""
        return self.memberships[[*self.conditions, self.outcome_set]].reset_index()


def calibrate_sets(staff: pd.DataFrame, scores: pd.DataFrame, outcome: str,
                   conditions: Sequence[str] = DEFAULT_CONDITIONS,
                   anchors: pd.DataFrame | None = None) -> CalibrationResult:
    """Calibrate every condition and the outcome (direct method) and run the checks.

    Memberships m = 1 / (1 + exp(-L)), L = ln(19)(x - c)/(i - c) above the
    crossover c and ln(19)(x - c)/(c - e) below it (Ragin 2008, ch. 5). Workers
    with a missing raw value in any set are left out (listed in ``excluded``).
    A membership of exactly 0.5 is raised by 0.001 (Fiss 2011) and listed in
    ``crossover_cases``, so that no case is left at 0.5. ``skewness`` is the
    share of cases above 0.5 per set, flagged outside 20-80 % (Schneider &
    Wagemann 2012).
    """
    conds = check_conditions(conditions)
    out_set = outcome_set(outcome)
    raw_all = raw_sets(staff, scores, outcome, conds)
    missing = raw_all.isna()
    excluded = pd.DataFrame({"staff_id": list(raw_all.index[missing.any(axis=1)]),
                             "missing": [", ".join(c for c in raw_all.columns if missing.at[i, c])
                                         for i in raw_all.index[missing.any(axis=1)]]})
    raw = raw_all[~missing.any(axis=1)]
    if len(raw) < 2:
        raise InputError(f"only {len(raw)} worker(s) have every value of {list(raw_all.columns)}; "
                         "a QCA needs cases")
    table = anchors_table(raw) if anchors is None else anchors.copy()
    unnudged = calibrate_frame(raw, _anchor_dict(table), nudge=0.0)
    mem = calibrate_frame(raw, _anchor_dict(table))
    at = unnudged == 0.5
    cross = pd.DataFrame([{"staff_id": i, "set": c, "raw": raw.at[i, c], "membership": 0.5,
                           "adjusted_to": 0.5 + CROSSOVER_NUDGE}
                          for i in raw.index for c in raw.columns if at.at[i, c]],
                         columns=["staff_id", "set", "raw", "membership", "adjusted_to"])
    skew = skewness_check(mem).rename_axis("set").reset_index()
    return CalibrationResult(out_set, conds, raw, mem[[*conds, out_set]], table, skew, cross, excluded)


def write_calibration(result: CalibrationResult, processed_dir: str | Path,
                      results_dir: str | Path) -> list[Path]:
    """Write calibrated.csv to *processed_dir* and the anchors and checks to *results_dir*/calibration."""
    rdir = Path(results_dir) / "calibration"
    paths = [write_csv(result.calibrated_frame(), Path(processed_dir) / "calibrated.csv"),
             write_csv(result.anchors, rdir / "anchors.csv"),
             write_csv(result.skewness, rdir / "skewness.csv"),
             write_csv(result.crossover_cases, rdir / "crossover_cases.csv"),
             write_csv(result.excluded, rdir / "excluded_cases.csv")]
    left = int((result.memberships == 0.5).to_numpy().sum())
    paths.append(write_json({
        "outcome_set": result.outcome_set, "conditions": result.conditions, "n_cases": len(result.raw),
        "n_excluded": len(result.excluded), "cases_adjusted_off_crossover": len(result.crossover_cases),
        "cases_left_at_crossover": left, "skewed_sets": result.skewness.loc[result.skewness["skewed"], "set"].tolist(),
        "method": "direct method, logistic (Ragin 2008); memberships at 0.5 raised by 0.001 (Fiss 2011)",
    }, rdir / "calibration.json"))
    return paths


def plot_calibration(result: CalibrationResult, figures_dir: str | Path) -> list[Path]:
    """One PNG per set in *figures_dir*/calibration: raw value vs membership, anchors marked."""
    # a Figure of its own, not pyplot: no backend switch in the caller's kernel
    from matplotlib.figure import Figure

    out = []
    fdir = Path(figures_dir) / "calibration"
    fdir.mkdir(parents=True, exist_ok=True)
    anchors = _anchor_dict(result.anchors)
    for name in result.memberships.columns:
        x = result.raw[name].to_numpy()
        y = result.memberships[name].to_numpy()
        fig = Figure(figsize=(4.5, 3.2), dpi=100)
        ax = fig.subplots()
        order = np.argsort(x, kind="stable")
        ax.plot(x[order], y[order], "o", ms=3.5, color="0.2")
        for label, v in zip(("e", "c", "i"), anchors[name]):
            ax.axvline(v, color="tab:blue", lw=0.8, ls="--")
            ax.text(v, 1.03, f" {label}", ha="left", va="bottom", fontsize=8, color="tab:blue")
        ax.axhline(0.5, color="0.6", lw=0.6)
        ax.set_ylim(-0.03, 1.1)
        ax.set_xlabel(f"{name} (raw)")
        ax.set_ylabel("membership")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        out.append(atomic_write_bytes(fdir / f"{name}.png", buf.getvalue()))
    return out


def read_calibrated(path: str | Path, outcome_set_name: str, conditions: Sequence[str]) -> pd.DataFrame:
    """calibrated.csv as a DataFrame indexed by staff_id with the conditions and the outcome set."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p.name}: not found; run the calibration stage first")
    df = pd.read_csv(p)
    cols = ["staff_id", *check_conditions(conditions), outcome_set_name]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(located(f"missing columns {missing} (it was calibrated for other sets; rerun stage 03 "
                                 "with the same outcome and conditions)", file=p.name))
    df = df[cols].set_index("staff_id")
    df.index = df.index.astype(str)
    for c in df.columns:
        v = pd.to_numeric(df[c], errors="coerce")
        bad = v.isna() | (v < 0) | (v > 1)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError(located(f"{df[c][bad].iloc[0]!r} is not a membership in [0, 1]",
                                     file=p.name, row=row, column=c))
        df[c] = v.astype(float)
    return df


def read_anchors(path: str | Path) -> pd.DataFrame:
    """The anchors table written by stage 03 (results/calibration/anchors.csv)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p.name}: not found; run the calibration stage first")
    df = pd.read_csv(p)
    need = ["set", "exclusion", "crossover", "inclusion"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(located(f"missing columns {missing}", file=p.name))
    return df


# --------------------------------------------------------------------------- QCA

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


@dataclass
class QCAResult:
    """Stage 04's analysis of sufficiency and necessity for one outcome."""

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


def run_qca(data: pd.DataFrame, outcome_set_name: str, conditions: Sequence[str], *,
            incl_cut: float = 0.8, pri_cut: float = 0.5, n_cut: int = 1) -> QCAResult:
    """Necessity, truth table, and conservative, parsimonious and intermediate solutions.

    The truth table codes a row positive when incl >= incl_cut and PRI >= pri_cut
    (Ragin 2008; R QCA's truthTable); rows with fewer than n_cut cases are
    remainders. The intermediate solution uses :data:`DIRECTIONAL_EXPECTATIONS`
    (Ragin & Sonnett 2005). When no row is positive there is no solution and the
    result says so in ``notes``.
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
        res.notes.append(f"no truth-table row reaches incl >= {incl_cut:g} and PRI >= {pri_cut:g} "
                         f"(n >= {n_cut}): there is no sufficient configuration for {outcome_set_name}")
        return res
    res.conservative = minimize(tt)
    res.parsimonious = minimize(tt, include="?")
    res.intermediate = minimize(tt, dir_exp=dir_exp)
    for name in ("conservative", "parsimonious", "intermediate"):
        sol = getattr(res, name)
        if sol.n_models > 1:
            res.notes.append(f"the {name} solution has {sol.n_models} minimal models; tables use M1")
    return res


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
    specs = robustness_grid(_anchor_dict(cal.anchors), list(cal.raw.index), **{**result.cutoffs, **grid})
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

def write_qca(result: QCAResult, results_dir: str | Path, *, robustness: dict[str, pd.DataFrame] | None = None,
              permutation: PermutationResult | None = None) -> list[Path]:
    """Write stage 04's tables to *results_dir*/qca (atomic, deterministic)."""
    q = Path(results_dir) / "qca"
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

def calibration_claim_values(result: CalibrationResult) -> dict[str, tuple[Any, str | None]]:
    """Stage 03's results a replicator checks: name -> (value, label in the paper).

    ``calibration.anchors`` (exclusion, crossover and inclusion of each set,
    the paper's calibration section), ``calibration.share_above.<SET>`` (share
    of cases with membership above 0.5), ``calibration.n_cases`` (complete
    cases calibrated), ``calibration.n_excluded`` (left out for a missing
    value) and ``calibration.n_crossover_adjusted`` (memberships moved off 0.5).
    """
    anchors = result.anchors.set_index("set")[["exclusion", "crossover", "inclusion"]].astype(float)
    out: dict[str, tuple[Any, str | None]] = {
        "calibration.anchors": (anchors, "sec-calibration"),
        "calibration.n_cases": (int(len(result.raw)), None),
        "calibration.n_excluded": (int(len(result.excluded)), None),
        "calibration.n_crossover_adjusted": (int(len(result.crossover_cases)), None),
    }
    for _, r in result.skewness.iterrows():
        out[f"calibration.share_above.{r['set']}"] = (float(r["share_above"]), None)
    return dict(sorted(out.items()))


def record_calibration_claims(claims: Any, result: CalibrationResult) -> dict[str, Any]:
    """Record :func:`calibration_claim_values` with *claims* (a ClaimRecorder); returns name -> value."""
    return claims.record_values(calibration_claim_values(result))


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


def qca_claim_values(result: QCAResult, robustness: dict[str, pd.DataFrame] | None = None,
                     permutation: PermutationResult | None = None) -> dict[str, tuple[Any, str | None]]:
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
    and the permutation p-values (``qca.permutation.*``).
    """
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


def record_qca_claims(claims: Any, result: QCAResult, robustness: dict[str, pd.DataFrame] | None = None,
                      permutation: PermutationResult | None = None) -> dict[str, Any]:
    """Record :func:`qca_claim_values` with *claims* (a ClaimRecorder); returns name -> value."""
    return claims.record_values(qca_claim_values(result, robustness, permutation))
