"""Simulated worker / participant data with planted coefficients for the regression tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.regression.data import standardise
from analysis.regression.specs import MAIN_CONDITIONS

#: Planted logit coefficients per SD of the (sample-standardised) conditions.
BETA = {"Intercept": 0.4, "SBW": -0.3, "INNOV": 0.5, "CASELOAD": -0.4, "LONGMEET": 0.25}

RAW = {"sbw": (60.0, 10.0), "iis": (55.0, 12.0), "caseload": (25.0, 6.0),
       "meeting_minutes": (45.0, 15.0), "workload_hours": (20.0, 5.0)}
QCA = {"sbw": "SBW", "iis": "INNOV", "caseload": "CASELOAD", "meeting_minutes": "LONGMEET",
       "workload_hours": "WORKLOAD"}


def simulate(n_workers: int, *, seed: int, sd_u: float = 0.0, min_p: int = 10, max_p: int = 30,
             beta: dict[str, float] = BETA, not_due: float = 0.15):
    """(staff, participants, calibrated) tables; logit p_ij = x_j' beta + u_j, u_j ~ N(0, sd_u^2)."""
    rng = np.random.default_rng(seed)
    staff = pd.DataFrame({"staff_id": [f"S{j:03d}" for j in range(1, n_workers + 1)],
                          "partnership": np.where(np.arange(n_workers) % 2, "KBOP", "GMBOP"),
                          "organisation": [f"org{j % 5}" for j in range(n_workers)]})
    for col, (mu, sd) in RAW.items():
        staff[col] = rng.normal(mu, sd, n_workers)
    z = {QCA[c]: standardise(staff[c]).to_numpy() for c in RAW}
    eta_w = beta["Intercept"] + sum(beta[q] * z[q] for q in MAIN_CONDITIONS)
    u = rng.normal(0.0, sd_u, n_workers) if sd_u > 0 else np.zeros(n_workers)
    sizes = rng.integers(min_p, max_p + 1, n_workers)
    sid = np.repeat(staff["staff_id"].to_numpy(), sizes)
    eta = np.repeat(eta_w + u, sizes)
    n_tot = int(sizes.sum())
    p = 1 / (1 + np.exp(-eta))
    due12 = rng.random(n_tot) >= not_due
    s12 = np.where(~due12, "not_due", np.where(rng.random(n_tot) < p, "yes", "no"))
    s6 = np.where(rng.random(n_tot) < 1 / (1 + np.exp(-(eta + 0.5))), "yes", "no")
    ete = np.where(rng.random(n_tot) < 1 / (1 + np.exp(-(eta - 1.0))), "yes", "no")
    wb0 = rng.normal(20, 4, n_tot)
    wb1 = wb0 + 2.0 + 1.5 * np.repeat(z["INNOV"], sizes) + np.repeat(u, sizes) + rng.normal(0, 3, n_tot)
    parts = pd.DataFrame({"participant_id": [f"P{i:05d}" for i in range(1, n_tot + 1)],
                          "staff_id": sid, "sustained_12m": s12, "sustained_6m": s6,
                          "ete_entry": ete, "wellbeing_start": wb0, "wellbeing_followup": wb1})
    g = parts.groupby("staff_id", sort=False)
    agg = pd.DataFrame({
        "n_due_12m": g["sustained_12m"].apply(lambda s: int((s != "not_due").sum())),
        "sustain12_rate": g["sustained_12m"].apply(
            lambda s: (s == "yes").sum() / max((s != "not_due").sum(), 1)),
        "n_due_6m": g.size(), "sustain6_rate": g["sustained_6m"].apply(lambda s: (s == "yes").mean()),
        "n_participants": g.size(), "ete_rate": g["ete_entry"].apply(lambda s: (s == "yes").mean()),
        "n_wellbeing": g.size(),
        "wellbeing_change": (parts["wellbeing_followup"] - parts["wellbeing_start"]).groupby(
            parts["staff_id"], sort=False).mean(),
    }).reset_index().rename(columns={"index": "staff_id"})
    staff = staff.merge(agg, on="staff_id", how="left")
    cal = pd.DataFrame({"staff_id": staff["staff_id"]})
    for c in ("sbw", "iis", "caseload", "meeting_minutes", "workload_hours"):
        cal[QCA[c]] = 1 / (1 + np.exp(-z[QCA[c]] * 1.5))
    cal["SUSTAIN12"] = 1 / (1 + np.exp(-(staff["sustain12_rate"] - staff["sustain12_rate"].median())
                                       * 8))
    return staff, parts, cal


def write_project(tmp: Path, staff, parts, cal) -> tuple[Path, Path]:
    raw, processed = tmp / "raw", tmp / "processed"
    raw.mkdir(parents=True)
    processed.mkdir(parents=True)
    score_cols = ["staff_id", "sbw", "iis"]
    staff.drop(columns=score_cols[1:]).to_csv(processed / "staff.csv", index=False)
    staff[score_cols].to_csv(processed / "scores.csv", index=False)
    parts.to_csv(raw / "participants.csv", index=False)
    cal.to_csv(processed / "calibrated.csv", index=False)
    return raw, processed


@pytest.fixture(scope="session")
def sim65():
    """The study's size: 65 workers, random intercept SD 0.5."""
    return simulate(65, seed=20261123, sd_u=0.5)


@pytest.fixture(scope="session")
def sim_big():
    """400 workers, no worker effect: the worker-level binomial GLM is the true model."""
    return simulate(400, seed=7, sd_u=0.0)
