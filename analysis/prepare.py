"""Stage 01 (prepare): the worker-level table from the validated raw tables.

One row per worker: the staff survey columns (id, partnership, organisation,
tenure, every item) and measures derived from contacts and participants:

* ``caseload``: mean number of active participants per calendar month, over the
  months from the worker's first to last contact. A participant is active in a
  month when the month lies between their first and last contact (inclusive).
* ``workload_hours``: contact hours per week = total contact minutes / 60 divided
  by the weeks from the worker's first to last contact ((last - first + 1 days) / 7).
* ``meeting_minutes``: mean contact duration in minutes.
* outcome counts and rates: ``n_due_12m`` participants whose 12-month check is due
  (``yes`` or ``no``; ``not_due`` excluded), ``n_sustained_12m`` of them ``yes``,
  ``sustain12_rate`` = n_sustained_12m / n_due_12m (NaN when none is due); the same
  for 6 months; ``ete_rate`` = n_ete / n_participants; ``wellbeing_change`` = mean
  (follow-up - start) over the ``n_wellbeing`` participants with both scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.codebook import item_columns
from analysis.errors import InputError

#: Columns of data/processed/staff.csv after the item columns, in order.
DERIVED_COLUMNS: tuple[str, ...] = (
    "caseload", "workload_hours", "meeting_minutes", "n_participants", "n_contacts",
    "n_due_6m", "n_sustained_6m", "sustain6_rate", "n_due_12m", "n_sustained_12m", "sustain12_rate",
    "n_ete", "ete_rate", "n_wellbeing", "wellbeing_change",
)
STAFF_ID_COLUMNS: tuple[str, ...] = ("staff_id", "partnership", "organisation", "tenure_years")


def staff_columns() -> list[str]:
    """Every column of the processed worker table, in order."""
    return [*STAFF_ID_COLUMNS, *item_columns(), *DERIVED_COLUMNS]


def monthly_caseload(contacts: pd.DataFrame) -> pd.Series:
    """Mean active participants per month for each staff_id (see module docstring).

    caseload_w = (1 / M_w) * sum over months m of #{participants p of w : first_p <= m <= last_p},
    months m from the worker's first to last contact month, M_w their number.

    >>> c = pd.DataFrame({"staff_id": ["S1"] * 4, "participant_id": ["a", "a", "b", "b"],
    ...                   "date": pd.to_datetime(["2020-01-05", "2020-03-01", "2020-02-01", "2020-02-20"])})
    >>> float(monthly_caseload(c)["S1"])    # Jan: a; Feb: a, b; Mar: a  -> 4 / 3
    1.3333333333333333
    """
    month = contacts["date"].dt.year * 12 + contacts["date"].dt.month - 1
    span = (contacts.assign(month=month)
            .groupby(["staff_id", "participant_id"])["month"].agg(["min", "max"]).reset_index())
    out = {}
    for sid, g in span.groupby("staff_id", sort=True):
        lo, hi = int(g["min"].min()), int(g["max"].max())
        months = np.arange(lo, hi + 1)
        active = ((g["min"].to_numpy()[None, :] <= months[:, None])
                  & (g["max"].to_numpy()[None, :] >= months[:, None])).sum(axis=1)
        out[sid] = float(active.mean())
    return pd.Series(out, name="caseload", dtype=float)


def prepare_staff(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The processed worker table (one row per worker) from validated raw tables.

    Parameters
    ----------
    tables : {'staff_survey', 'participants', 'contacts'} as returned by
        :func:`analysis.validate.load_raw` (dates parsed, items nullable integers).

    Returns
    -------
    DataFrame with the columns of :func:`staff_columns`, ordered as the staff survey.
    Workers without contacts get NaN caseload, workload and meeting length and zero counts.
    """
    missing = [k for k in ("staff_survey", "participants", "contacts") if k not in tables]
    if missing:
        raise InputError(f"prepare_staff: missing raw tables {missing}; expected staff_survey, participants, contacts")
    staff = tables["staff_survey"].copy()
    parts = tables["participants"].copy()
    cont = tables["contacts"].copy()
    for df, col in ((cont, "date"),):
        if not pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = pd.to_datetime(df[col], format="%Y-%m-%d")
    ids = staff["staff_id"]

    g = cont.groupby("staff_id")
    first, last = g["date"].min(), g["date"].max()
    weeks = ((last - first).dt.days + 1) / 7.0
    derived = pd.DataFrame(index=pd.Index(ids, name="staff_id"))
    derived["caseload"] = monthly_caseload(cont)
    derived["workload_hours"] = g["duration_min"].sum() / 60.0 / weeks
    derived["meeting_minutes"] = g["duration_min"].mean()
    derived["n_participants"] = parts.groupby("staff_id").size()
    derived["n_contacts"] = g.size()
    for m in ("6m", "12m"):
        col = parts[f"sustained_{m}"]
        due = parts[col.isin(["yes", "no"])].groupby("staff_id").size()
        yes = parts[col == "yes"].groupby("staff_id").size()
        derived[f"n_due_{m}"] = due
        derived[f"n_sustained_{m}"] = yes
    derived["n_ete"] = parts[parts["ete_entry"] == "yes"].groupby("staff_id").size()
    wb = parts.dropna(subset=["wellbeing_start", "wellbeing_followup"])
    derived["n_wellbeing"] = wb.groupby("staff_id").size()
    derived["wellbeing_change"] = (wb["wellbeing_followup"] - wb["wellbeing_start"]).astype(float) \
        .groupby(wb["staff_id"]).mean()
    counts = ["n_participants", "n_contacts", "n_due_6m", "n_sustained_6m", "n_due_12m",
              "n_sustained_12m", "n_ete", "n_wellbeing"]
    derived[counts] = derived[counts].fillna(0).astype("int64")

    def rate(num: str, den: str) -> pd.Series:
        d = derived[den].astype(float)
        return (derived[num] / d).where(d > 0)

    derived["sustain6_rate"] = rate("n_sustained_6m", "n_due_6m")
    derived["sustain12_rate"] = rate("n_sustained_12m", "n_due_12m")
    derived["ete_rate"] = rate("n_ete", "n_participants")
    out = staff.set_index("staff_id").join(derived[list(DERIVED_COLUMNS)]).reset_index()
    return out[staff_columns()]
