"""Stage 03, calibration: raw values of the staff data to fuzzy-set memberships.

What belongs to this study: which processed column each set is calibrated
from, the anchors and why (:mod:`analysis.study`), the checks, and the files
stage 04 and the paper read. The generic calibration is
:mod:`analysis.qca.calibrate`; this module does not import the minimiser, so
that stage 03's code fingerprint does not change with it.

Sets (conditions) and their raw columns::

    SBW -> scores.sbw (SBW composite, 0-100)      INNOV -> scores.iis (IIS score, 14-94)
    CASELOAD -> staff.caseload                     LONGMEET -> staff.meeting_minutes
    WORKLOAD -> staff.workload_hours (robustness specification only)

Outcomes (the pipeline parameter ``outcome`` -> set name, raw column)::

    sustain12 -> SUSTAIN12, sustain12_rate     sustain6 -> SUSTAIN6, sustain6_rate
    ete_entry -> ETE, ete_rate                 wellbeing -> WELLBEING, wellbeing_change

The stage contract (:mod:`analysis.stages`): :func:`run` -> :class:`CalibrationResult`,
:func:`write`, :func:`claim_values`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # a Figure of its own, not pyplot: no backend switch in the kernel

from analysis.config import relative_to_root
from analysis.errors import InputError, located
from analysis.io import atomic_write_bytes, write_csv, write_json
from analysis.qca.calibrate import CROSSOVER_NUDGE, anchors_from_percentiles, calibrate_frame, skewness_check
from analysis.study import (CONDITION_COLUMNS, DATA_PERCENTILES, DATA_WHY, DEFAULT_CONDITIONS, OUTCOMES,
                            THEORY_ANCHORS)

__all__ = [
    "outcome_set", "outcome_column", "check_conditions", "raw_sets", "anchors_table", "anchor_dict",
    "CalibrationResult", "run", "write", "write_tables", "plot_calibration", "plot_paths",
    "read_calibrated", "read_anchors", "claim_values", "written_listing", "claims_listing",
]


def _outcome(outcome: str):
    """The :data:`analysis.study.OUTCOMES` entry of a pipeline outcome; InputError naming the valid ones."""
    if outcome not in OUTCOMES:
        raise InputError(f"outcome {outcome!r}: expected one of " + ", ".join(OUTCOMES))
    return OUTCOMES[outcome]


def outcome_set(outcome: str) -> str:
    """QCA set name of a pipeline outcome (``sustain12`` -> ``SUSTAIN12``).

    >>> outcome_set("ete_entry")
    'ETE'
    """
    return _outcome(outcome).qca_name


def outcome_column(outcome: str) -> str:
    """staff.csv column of a pipeline outcome (``sustain12`` -> ``sustain12_rate``).

    >>> outcome_column("wellbeing")
    'wellbeing_change'
    """
    return _outcome(outcome).rate


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
    from staff.csv and scores.csv as mapped by :data:`analysis.study.CONDITION_COLUMNS`
    and :data:`analysis.study.OUTCOMES`. Workers are in staff.csv order; both
    files must list the same workers. Missing values stay NaN (see :func:`run`).
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

    Theory-based sets use :data:`analysis.study.THEORY_ANCHORS`; the others take
    the :data:`analysis.study.DATA_PERCENTILES` of their observed (non-missing) values.

    Returns a DataFrame with columns set, column, exclusion, crossover,
    inclusion, basis ("theory" or "data: percentiles 5/50/95"), why.
    """
    rows = []
    for name in raw.columns:
        if name in CONDITION_COLUMNS:
            src, col = CONDITION_COLUMNS[name]
            column = f"{src}.{col}"
        else:
            column = "staff." + next(o.rate for o in OUTCOMES.values() if o.qca_name == name)
        if name in THEORY_ANCHORS:
            e, c, i, why = THEORY_ANCHORS[name]
            basis = "theory"
        else:
            v = raw[name].dropna()
            a = anchors_from_percentiles(v, DATA_PERCENTILES, name=name)
            e, c, i = a["e"], a["c"], a["i"]
            basis = "data: percentiles " + "/".join(f"{p:g}" for p in DATA_PERCENTILES)
            why = DATA_WHY.get(name, "no external standard; data-based anchors")
        rows.append({"set": name, "column": column, "exclusion": e, "crossover": c, "inclusion": i,
                     "basis": basis, "why": why})
    return pd.DataFrame(rows)


def anchor_dict(anchors: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """Set -> (exclusion, crossover, inclusion) of an anchors table (:func:`anchors_table`)."""
    return {r.set: (float(r.exclusion), float(r.crossover), float(r.inclusion))
            for r in anchors.itertuples(index=False)}


# --------------------------------------------------------------------------- calibration

@dataclass(frozen=True)
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

    @property
    def n_left_at_crossover(self) -> int:
        """Memberships still exactly 0.5 (0 after the adjustment)."""
        return int((self.memberships == 0.5).to_numpy().sum())


def run(staff: pd.DataFrame, scores: pd.DataFrame, outcome: str,
        conditions: Sequence[str] = DEFAULT_CONDITIONS,
        anchors: pd.DataFrame | None = None) -> CalibrationResult:
    """Calibrate every condition and the outcome (direct method) and run the checks.

    Memberships m = 1 / (1 + exp(-L)), L = ln(19)(x - c)/(i - c) above the
    crossover c and ln(19)(x - c)/(c - e) below it (Ragin 2008, ch. 5). Workers
    with a missing raw value in any set are left out (listed in ``excluded``).
    A membership of exactly 0.5 is raised by 0.001 (Fiss 2011) and listed in
    ``crossover_cases``, so that no case is left at 0.5. ``skewness`` is the
    share of cases above 0.5 per set, flagged outside 20-80 % (Schneider &
    Wagemann 2012). *anchors* (an :func:`anchors_table`, e.g. read back with
    :func:`read_anchors`) replaces the study's anchors.
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
    unnudged = calibrate_frame(raw, anchor_dict(table), nudge=0.0)
    mem = calibrate_frame(raw, anchor_dict(table))
    at = unnudged == 0.5
    cross = pd.DataFrame([{"staff_id": i, "set": c, "raw": raw.at[i, c], "membership": 0.5,
                           "adjusted_to": 0.5 + CROSSOVER_NUDGE}
                          for i in raw.index for c in raw.columns if at.at[i, c]],
                         columns=["staff_id", "set", "raw", "membership", "adjusted_to"])
    skew = skewness_check(mem).rename_axis("set").reset_index()
    return CalibrationResult(out_set, conds, raw, mem[[*conds, out_set]], table, skew, cross, excluded)


# --------------------------------------------------------------------------- writers

def write_tables(result: CalibrationResult, processed_dir: str | Path, results_dir: str | Path) -> list[Path]:
    """Write calibrated.csv to *processed_dir* and the anchors and checks to *results_dir*/calibration."""
    rdir = Path(results_dir) / "calibration"
    paths = [write_csv(result.calibrated_frame(), Path(processed_dir) / "calibrated.csv"),
             write_csv(result.anchors, rdir / "anchors.csv"),
             write_csv(result.skewness, rdir / "skewness.csv"),
             write_csv(result.crossover_cases, rdir / "crossover_cases.csv"),
             write_csv(result.excluded, rdir / "excluded_cases.csv")]
    paths.append(write_json({
        "outcome_set": result.outcome_set, "conditions": result.conditions, "n_cases": len(result.raw),
        "n_excluded": len(result.excluded), "cases_adjusted_off_crossover": len(result.crossover_cases),
        "cases_left_at_crossover": result.n_left_at_crossover,
        "skewed_sets": result.skewness.loc[result.skewness["skewed"], "set"].tolist(),
        "method": "direct method, logistic (Ragin 2008); memberships at 0.5 raised by 0.001 (Fiss 2011)",
    }, rdir / "calibration.json"))
    return paths


def plot_paths(result: CalibrationResult, figures_dir: str | Path) -> list[Path]:
    """The calibration plots of :func:`plot_calibration`, one per set: *figures_dir*/calibration/<SET>.png."""
    return [Path(figures_dir) / "calibration" / f"{name}.png" for name in result.memberships.columns]


def plot_calibration(result: CalibrationResult, figures_dir: str | Path) -> list[Path]:
    """One PNG per set in *figures_dir*/calibration: raw value vs membership, anchors marked."""
    out = []
    anchors = anchor_dict(result.anchors)
    for name, path in zip(result.memberships.columns, plot_paths(result, figures_dir)):
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
        path.parent.mkdir(parents=True, exist_ok=True)
        out.append(atomic_write_bytes(path, buf.getvalue()))
    return out


def write(result: CalibrationResult, dirs: Mapping[str, str | Path]) -> list[Path]:
    """Write stage 03's outputs: calibrated.csv (``dirs["processed"]``), the tables
    (``dirs["results"]``/calibration) and the calibration plots (``dirs["figures"]``/calibration)."""
    return [*write_tables(result, dirs["processed"], dirs["results"]),
            *plot_calibration(result, dirs["figures"])]


# --------------------------------------------------------------------------- readers (stage 04)

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


# --------------------------------------------------------------------------- claims for the paper

def claim_values(result: CalibrationResult) -> dict[str, tuple[Any, str | None]]:
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


# --------------------------------------------------------------------------- what the notebooks print

def written_listing(paths: Iterable[str | Path]) -> str:
    """The written files, one a line, relative to the project root (what stages 03 and 04 print)."""
    return "\n".join(str(relative_to_root(p)) for p in paths)


def claims_listing(values: Mapping[str, Any]) -> str:
    """Recorded claims, one a line: name, then the text, the table's shape or the number (4 digits).

    >>> print(claims_listing({"a.n": 12, "a.text": "yes"}))
      a.n                                          12
      a.text                                       yes
    """
    lines = []
    for name, v in values.items():
        shown = v if isinstance(v, str) else (f"table {v.shape[0]} x {v.shape[1]}" if hasattr(v, "shape")
                                              else f"{v:.4g}")
        lines.append(f"  {name:44s} {shown}")
    return "\n".join(lines)
