"""Inputs of stage 05: the worker table, the participant table and model frames.

The worker table is ``staff.csv`` merged on ``staff_id`` with ``scores.csv``
(both in the processed folder); the participant table is the raw
``participants.csv``. Column names follow :mod:`analysis.regression.specs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputError, located
from analysis.regression.specs import CONDITIONS, Outcome, outcome_spec

#: Participant-level codes of a binary outcome; ``not_due`` (and empty) rows are excluded.
BINARY_CODES: dict[str, float] = {"yes": 1.0, "no": 0.0}
EXCLUDED_CODES: frozenset[str] = frozenset({"not_due"})


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(located("file not found (run the earlier stages first)", file=str(path)))
    return pd.read_csv(path)


def _require(df: pd.DataFrame, columns: Sequence[str], file: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(located(f"missing column(s) {', '.join(map(repr, missing))}; "
                                 f"columns present: {', '.join(map(str, df.columns))}", file=file))


def _numeric(df: pd.DataFrame, column: str, file: str) -> pd.Series:
    """Column as float; InputError naming the first non-numeric cell (CSV row: header = row 1)."""
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() & df[column].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(located(f"value {df[column].iloc[i]!r} is not a number", file=file,
                                 row=i + 2, column=column))
    return values.astype(float)


def load_worker_table(processed_dir: str | Path, *, staff_file: str = "staff.csv",
                      scores_file: str = "scores.csv") -> pd.DataFrame:
    """The worker table: ``staff.csv`` left-merged with ``scores.csv`` on ``staff_id``.

    Columns present in both files are taken from ``staff.csv``. A missing
    ``scores.csv`` is allowed when ``staff.csv`` already holds the scores.
    """
    processed_dir = Path(processed_dir)
    staff_path = processed_dir / staff_file
    staff = _read_csv(staff_path)
    _require(staff, ["staff_id"], str(staff_path))
    if staff["staff_id"].duplicated().any():
        i = int(np.flatnonzero(staff["staff_id"].duplicated().to_numpy())[0])
        raise InputError(located(f"duplicate staff_id {staff['staff_id'].iloc[i]!r}",
                                 file=str(staff_path), row=i + 2, column="staff_id"))
    scores_path = processed_dir / scores_file
    if scores_path.is_file():
        scores = pd.read_csv(scores_path)
        _require(scores, ["staff_id"], str(scores_path))
        extra = [c for c in scores.columns if c == "staff_id" or c not in staff.columns]
        staff = staff.merge(scores[extra].drop_duplicates("staff_id"), on="staff_id",
                            how="left", validate="one_to_one")
    return staff


def load_participants(raw_dir: str | Path, *, file: str = "participants.csv") -> pd.DataFrame:
    """The raw participant table (one row per participant, with ``staff_id``), sorted by participant_id.

    Sorted as :func:`analysis.validate.load_raw` sorts, so that results do not
    depend on the order of the file's rows.
    """
    path = Path(raw_dir) / file
    df = _read_csv(path)
    _require(df, ["participant_id", "staff_id"], str(path))
    return df.sort_values("participant_id", kind="stable", key=lambda s: s.astype(str)).reset_index(drop=True)


def standardise(x: pd.Series) -> pd.Series:
    """z-scores: z = (x - mean(x)) / sd(x), sd with ddof = 1.

    >>> standardise(pd.Series([1.0, 2.0, 3.0])).tolist()
    [-1.0, 0.0, 1.0]
    """
    sd = float(x.std(ddof=1))
    if not np.isfinite(sd) or sd == 0.0:
        raise InputError(f"column {x.name!r} is constant (sd = {sd}); it cannot be standardised")
    return (x - float(x.mean())) / sd


def worker_frame(workers: pd.DataFrame, outcome: str | Outcome = "sustain12", *,
                 conditions: Mapping[str, str] | None = None,
                 file: str = "worker table") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The worker-level model frame and a note of the workers left out.

    Frame columns: ``staff_id``, ``y`` (the outcome rate), ``n`` (its
    denominator), the raw condition columns, and one standardised column per
    condition named by its QCA name. Workers with a missing condition, a
    missing rate or a zero denominator are dropped (listed in the second
    DataFrame with the reason) and the standardisation uses the kept workers.
    Binomial rates must lie in [0, 1].
    """
    spec = outcome if isinstance(outcome, Outcome) else outcome_spec(outcome)
    conditions = dict(CONDITIONS if conditions is None else conditions)
    cond_cols = [c for c in conditions.values() if c in workers.columns]
    missing_cond = [q for q, c in conditions.items() if c not in workers.columns]
    if missing_cond:
        raise InputError(located("missing condition column(s) " + ", ".join(
            f"{conditions[q]!r} (for {q})" for q in missing_cond), file=file))
    _require(workers, ["staff_id", spec.rate, spec.denominator], file)
    y = _numeric(workers, spec.rate, file)
    n = _numeric(workers, spec.denominator, file)
    raw = {c: _numeric(workers, c, file) for c in cond_cols}
    if spec.kind == "binomial":
        bad = (y < 0) | (y > 1)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(located(f"rate {y.iloc[i]!r} outside [0, 1]", file=file,
                                     row=i + 2, column=spec.rate))
    if (n < 0).any():
        i = int(np.flatnonzero((n < 0).to_numpy())[0])
        raise InputError(located(f"negative count {n.iloc[i]!r}", file=file, row=i + 2,
                                 column=spec.denominator))
    reason = pd.Series("", index=workers.index, dtype=object)
    for c in cond_cols:
        reason[raw[c].isna() & (reason == "")] = f"missing {c}"
    reason[(n.isna() | (n == 0)) & (reason == "")] = f"no participants counted in {spec.denominator}"
    reason[y.isna() & (reason == "")] = f"missing {spec.rate}"
    keep = (reason == "").to_numpy()
    frame = pd.DataFrame({"staff_id": workers["staff_id"].to_numpy(), "y": y.to_numpy(),
                          "n": n.to_numpy()})
    for c in cond_cols:
        frame[c] = raw[c].to_numpy()
    frame = frame[keep].reset_index(drop=True)
    for q, c in conditions.items():
        frame[q] = standardise(frame[c].rename(c)).to_numpy()
    dropped = pd.DataFrame({"staff_id": workers["staff_id"].to_numpy()[~keep],
                            "reason": reason.to_numpy()[~keep]})
    return frame, dropped


def participant_outcome(participants: pd.DataFrame, outcome: str | Outcome = "sustain12", *,
                        file: str = "participants.csv") -> pd.Series:
    """Each participant's outcome: 1/0 for yes/no, NaN for not_due or empty; a change when continuous.

    Binary codes are case- and space-insensitive; any other code is an
    InputError naming the row. The continuous outcome (wellbeing) is
    followup - start.
    """
    spec = outcome if isinstance(outcome, Outcome) else outcome_spec(outcome)
    _require(participants, list(spec.participant), file)
    if spec.kind == "continuous":
        start = _numeric(participants, spec.participant[0], file)
        follow = _numeric(participants, spec.participant[1], file)
        return (follow - start).rename("y")
    col = spec.participant[0]
    codes = participants[col].astype("string").str.strip().str.lower()
    valid = set(BINARY_CODES) | set(EXCLUDED_CODES)
    bad = codes.notna() & ~codes.isin(valid)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(located(f"value {participants[col].iloc[i]!r} is not one of "
                                 + ", ".join(sorted(valid)), file=file, row=i + 2, column=col))
    return codes.map(BINARY_CODES).astype(float).rename("y")


def participant_frame(participants: pd.DataFrame, worker_model_frame: pd.DataFrame,
                      outcome: str | Outcome = "sustain12", *,
                      file: str = "participants.csv") -> pd.DataFrame:
    """Participant-level frame: ``participant_id``, ``staff_id``, ``y`` and the worker's standardised conditions.

    Conditions are standardised over workers (as in *worker_model_frame*),
    not over participants. Participants without an outcome (not due) or whose
    worker is not in the worker frame are dropped. Rows are sorted by
    ``staff_id`` then ``participant_id`` (GEE needs clusters contiguous).
    """
    y = participant_outcome(participants, outcome, file=file)
    df = pd.DataFrame({"participant_id": participants["participant_id"].to_numpy(),
                       "staff_id": participants["staff_id"].to_numpy(), "y": y.to_numpy()})
    zcols = [q for q in CONDITIONS if q in worker_model_frame.columns]
    df = df.merge(worker_model_frame[["staff_id", *zcols]], on="staff_id", how="inner")
    df = df[df["y"].notna()].sort_values(["staff_id", "participant_id"], kind="mergesort")
    return df.reset_index(drop=True)
