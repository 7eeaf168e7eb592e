"""The synthetic stand-in data: a documented, seeded data-generating process (DGP).

The real staff survey, participant and contact records are personal data and are
not public. This module writes three raw tables of the same shape (``staff_survey.csv``,
``participants.csv``, ``contacts.csv``) plus ``SYNTHETIC.md``, from a process that
plants the study's published configuration (:data:`analysis.study.PUBLISHED`)::

    ~SBW*INNOV*~CASELOAD + ~INNOV*~CASELOAD*LONGMEET + CASELOAD*INNOV*LONGMEET -> SUSTAIN12

Every equation and parameter is in ``docs/dgp.md``; the parameters live in
:data:`PARAMS` below so the document and the code cannot silently disagree (a
test compares them). Outline:

1. Each worker gets a target truth-table row (SBW, INNOV, CASELOAD, LONGMEET) from
   :data:`TARGET_ROWS`: the six rows covered by the three paths and eight other rows.
2. Latent traits: reflective practice and self-efficacy share the SBW level,
   ``theta_R = mu_S + e_R``, ``theta_G = mu_S + e_G``, ``corr(e_R, e_G) = rho``;
   innovativeness ``theta_I = mu_I + e_I``.
3. Item answers from Samejima's graded response model,
   ``P(X >= k | theta) = 1 / (1 + exp(-a_j (theta - b_jk)))``, then about 2 % of the
   answers deleted completely at random.
4. Caseload and meeting length: a worker's number of participants is proportional
   to a target caseload; every participant is supported for 12-24 months with
   contacts every few weeks whose durations centre on the worker's meeting length.
5. Outcomes: the chance that accommodation is sustained 12 months is high for
   workers in the six path rows and low for the others (logit-normal noise per
   worker and per participant); checks not yet due at the data cut-off are
   ``not_due``.

The same seed gives byte-identical files (numpy ``Generator`` streams spawned from
one ``SeedSequence``; CSV written through :mod:`analysis.io`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.codebook import ITEM_INSTRUMENTS, load_codebook
from analysis.config import project_path
from analysis.errors import InputError
from analysis.io import atomic_write_text, write_csv

#: Seed of the shipped data (``python -m analysis synth`` with no ``--seed``).
DEFAULT_SEED = 20240611
DEFAULT_WORKERS = 65
RAW_FILES = ("staff_survey.csv", "participants.csv", "contacts.csv", "SYNTHETIC.md")

#: Conditions of the headline model, in truth-table column order.
CONDITIONS = ("SBW", "INNOV", "CASELOAD", "LONGMEET")

#: Rows (SBW, INNOV, CASELOAD, LONGMEET) covered by the three published paths.
PATH_ROWS = ("0100", "0101", "0001", "1001", "0111", "1111")

#: Target truth-table row -> number of workers (sums to 65). The six path rows get
#: 31 workers; eight other rows get 34 (0010 and 1010 stay empty: remainders).
TARGET_ROWS: dict[str, int] = {
    "0100": 6, "0101": 5, "0001": 5, "1001": 5, "0111": 5, "1111": 5,
    "0000": 5, "1000": 5, "1100": 4, "1101": 4, "0011": 4, "1011": 4, "0110": 4, "1110": 4,
}

#: Every parameter of the DGP (documented one by one in docs/dgp.md).
PARAMS: dict[str, Any] = {
    # sample and calendar
    "share_kbop": 40 / 65,              # KBOP workers (8 delivery partners); rest GMBOP (6 organisations)
    "n_org_kbop": 8,
    "n_org_gmbop": 6,
    "recruit_start": "2019-07-01",      # participants' start dates: uniform over this window
    "recruit_end": "2020-09-30",
    "cutoff": "2021-12-31",             # data cut-off: nothing after it is observed
    "tenure_shape": 2.0,                # tenure_years ~ Gamma(shape, scale), one decimal, >= 0.2
    "tenure_scale": 2.5,
    # latent traits
    "mu_sbw": {0: -0.7, 1: 1.3},        # mean of theta_R and theta_G by target SBW
    "mu_innov": {0: -0.8, 1: 1.7},     # mean of theta_I by target INNOV
    "sd_trait": 0.28,                   # within-row SD of each latent trait
    "rho_rg": 0.3,                      # within-row correlation of reflective practice and self-efficacy
    # graded response model
    "discrimination": [1.0, 1.8],       # a_j ~ Uniform(low, high), per item
    "location_sd": 0.25,                # item location delta_j ~ Normal(offset, sd)
    "location_offset": {"gse": -0.35, "iis": -0.4, "rpq": -0.25},
    "threshold_step": 1.1,              # b_jk = delta_j + step * (k - (K + 1) / 2), k = 2..K
    "p_missing_item": 0.02,             # each item answer missing completely at random
    # caseload, engagement and contacts
    "caseload": {0: [10.0, 16.0], 1: [28.0, 38.0]},   # target active caseload ~ Uniform(range)
    "participants_per_caseload": 0.9,   # participants = round(target caseload * this * spread factor)
    "engagement_months": [18.0, 30.0],  # support length ~ Uniform(range), cut at the data cut-off
    "contact_gap_days": {0: 28.0, 1: 35.0},  # mean days between contacts by target CASELOAD
    "meeting_minutes": {0: [35.0, 45.0], 1: [75.0, 90.0]},  # worker's mean meeting length ~ Uniform
    "meeting_cv": 0.3,                  # contact duration ~ lognormal with this CV, 5-minute steps, 10..180
    # outcomes
    "p_sustain12": {1: 0.92, 0: 0.38},  # worker's chance of 12-month sustainment: path row / other row
    "sd_logit_worker": 0.2,            # logit-normal spread of the worker's chance
    "sd_logit_participant": 0.4,        # logit-normal spread per participant
    "p_entry": 0.9,                     # participant enters accommodation before the cut-off (if time allows)
    "entry_delay_days": [7, 60],        # delay = min + Exponential(mean)
    "p6_given_not12": 0.45,             # P(sustained 6m | not sustained 12m)
    "p_ete": {"KBOP": 0.2, "GMBOP": 0.3},
    "age_kbop": [16, 30.0, 17.0],       # age = min + Gamma(mean, sd) parametrised by mean and sd, cut at 75
    "age_gmbop": [18, 25],              # uniform integers
    "wellbeing_start": [19.0, 4.0],     # SWEMWBS-like 7..35: Normal(mean, sd), rounded
    "wellbeing_gain": [1.0, 3.0, 3.0],  # follow-up = start + a + b * sustained12 + Normal(0, sd)
    "p_wellbeing_missing": 0.3,
}


def intended_anchors() -> dict[str, dict[str, Any]]:
    """Calibration anchors the DGP was built to be separated by (for stage 03).

    Direct method (Ragin 2008; R QCA ``calibrate(type = "fuzzy")``): raw value ->
    membership through the full non-membership (``exclusion``), crossover and full
    membership (``inclusion``) anchors. Workers of each target row were generated
    clearly on one side of every crossover.

    Returns
    -------
    dict condition -> {"column": worker-table variable, "exclusion", "crossover",
    "inclusion", "why"}; SBW is the SBW composite score (0-100), INNOV the IIS score.

    Examples
    --------
    >>> a = intended_anchors()
    >>> a["INNOV"]["exclusion"], a["INNOV"]["crossover"], a["INNOV"]["inclusion"]
    (46.0, 68.5, 80.0)
    >>> sorted(a)[:6]
    ['CASELOAD', 'ETE', 'INNOV', 'LONGMEET', 'SBW', 'SUSTAIN12']
    """
    return {
        "SBW": {"column": "sbw", "exclusion": 40.0, "crossover": 60.0, "inclusion": 80.0,
                "why": "POMP metric (percent of maximum possible): 40 % or less is low, 80 % or more high, 60 % the crossover"},
        "INNOV": {"column": "iis", "exclusion": 46.0, "crossover": 68.5, "inclusion": 80.0,
                  "why": "Hurt et al. adopter categories: below 46 laggards, 69-80 early adopters, above 80 innovators; "
                         "crossover between early majority (57-68) and early adopters (69-80)"},
        "CASELOAD": {"column": "caseload", "exclusion": 15.0, "crossover": 22.5, "inclusion": 30.0,
                     "why": "round values within the 10-40 caseload range; 15 or fewer active participants is a low, "
                            "30 or more a high caseload"},
        "LONGMEET": {"column": "meeting_minutes", "exclusion": 45.0, "crossover": 60.0, "inclusion": 75.0,
                     "why": "round values: a meeting of 45 minutes or less is short, 75 or more long; an hour is the crossover"},
        "WORKLOAD": {"column": "workload_hours", "exclusion": 3.0, "crossover": 5.0, "inclusion": 8.0,
                     "why": "contact hours per week (robustness specification only)"},
        "SUSTAIN12": {"column": "sustain12_rate", "exclusion": 0.5, "crossover": 0.65, "inclusion": 0.8,
                      "why": "12-month sustainment rate: the reported 6+-month rate (0.67) as crossover, 0.8 full membership"},
        # Other outcomes (not planted: their QCA on the synthetic data has no published target).
        "SUSTAIN6": {"column": "sustain6_rate", "exclusion": 0.6, "crossover": 0.75, "inclusion": 0.9,
                     "why": "6-month sustainment rate, around the reported 0.67-0.79; not planted"},
        "ETE": {"column": "ete_rate", "exclusion": 0.1, "crossover": 0.2, "inclusion": 0.35,
                "why": "share entering employment, education or training; not planted"},
        "WELLBEING": {"column": "wellbeing_change", "exclusion": 0.0, "crossover": 2.0, "inclusion": 4.0,
                      "why": "mean wellbeing gain in points (7-35 metric); not planted"},
    }


# --------------------------------------------------------------------------- helpers


def _row_counts(n_workers: int) -> dict[str, int]:
    """Scale :data:`TARGET_ROWS` to *n_workers* (largest remainder; path rows kept >= 1)."""
    total = sum(TARGET_ROWS.values())
    if n_workers == total:
        return dict(TARGET_ROWS)
    quotas = {r: c * n_workers / total for r, c in TARGET_ROWS.items()}
    counts = {r: int(np.floor(q)) for r, q in quotas.items()}
    if n_workers >= len(PATH_ROWS):
        for r in PATH_ROWS:
            counts[r] = max(counts[r], 1)
    order = sorted(quotas, key=lambda r: (-(quotas[r] - np.floor(quotas[r])), r))
    i = 0
    while sum(counts.values()) < n_workers:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts.values()) > n_workers:
        r = max((r for r in counts if r not in PATH_ROWS and counts[r] > 0),
                key=lambda r: (counts[r], r), default=None)
        if r is None:
            r = max(counts, key=lambda r: (counts[r], r))
        counts[r] -= 1
    return counts


def _grm(rng: np.random.Generator, theta: np.ndarray, n_items: int, k_min: int, k_max: int,
         offset: float, sign: np.ndarray | None = None) -> np.ndarray:
    """Graded-response-model answers, shape (len(theta), n_items).

    P(X >= k | theta) = logistic(a_j * (s_j * theta - b_jk)), k = k_min+1..k_max, with
    b_jk = delta_j + step * (k - (k_min + 1 + k_max) / 2) (thresholds evenly spaced around
    delta_j), a_j ~ Uniform(discrimination), delta_j ~ Normal(offset, location_sd);
    s_j = -1 for negatively worded items (they are answered in the opposite direction).
    The answer is k_min + the number of thresholds a uniform draw falls below (Samejima 1969).
    """
    p = PARAMS
    a = rng.uniform(*p["discrimination"], size=n_items)
    delta = rng.normal(offset, p["location_sd"], size=n_items)
    ks = np.arange(k_min + 1, k_max + 1)
    steps = p["threshold_step"] * (ks - (k_min + 1 + k_max) / 2)
    b = delta[:, None] + steps[None, :]                       # (items, K-1)
    s = np.ones(n_items) if sign is None else sign
    eta = a[None, :, None] * (s[None, :, None] * theta[:, None, None] - b[None, :, :])
    p_ge = 1.0 / (1.0 + np.exp(-eta))                          # (persons, items, K-1)
    u = rng.random(size=(len(theta), n_items, 1))
    return (k_min + (u < p_ge).sum(axis=2)).astype(np.int64)


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- generator


def generate(seed: int = DEFAULT_SEED, n_workers: int = DEFAULT_WORKERS,
             with_truth: bool = False) -> dict[str, pd.DataFrame]:
    """Generate the three raw tables (staff_survey, participants, contacts) for *seed*.

    The DGP is described in the module docstring and in docs/dgp.md; all its
    parameters are in :data:`PARAMS` and :data:`TARGET_ROWS`.

    Parameters
    ----------
    seed : non-negative integer; the same seed gives identical tables.
    n_workers : number of workers (at least 6, so each path row is populated).
    with_truth : also return 'truth', the worker-level latent quantities (target row,
        latent traits, target caseload, meeting length, chance of 12-month sustainment).

    Returns
    -------
    dict with keys 'staff_survey', 'participants', 'contacts' (DataFrames in the raw
    CSV layout; item answers are nullable integers, dates ISO strings).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: got {seed!r}, expected a non-negative integer")
    if isinstance(n_workers, bool) or not isinstance(n_workers, (int, np.integer)) or not 6 <= n_workers <= 1000:
        raise InputError(f"workers: got {n_workers!r}, expected an integer from 6 to 1000")
    p = PARAMS
    streams = np.random.SeedSequence(int(seed)).spawn(6)
    rng_w, rng_items, rng_miss, rng_part, rng_cont, rng_out = (np.random.default_rng(s) for s in streams)

    # 1. workers and their target rows --------------------------------------------
    counts = _row_counts(int(n_workers))
    rows = np.array([r for r, c in counts.items() for _ in range(c)])
    rows = rows[rng_w.permutation(len(rows))]
    n = len(rows)
    tgt = {c: np.array([int(r[j]) for r in rows]) for j, c in enumerate(CONDITIONS)}
    path = np.isin(rows, PATH_ROWS)
    n_kbop = int(round(n * p["share_kbop"]))
    partnership = np.array(["KBOP"] * n_kbop + ["GMBOP"] * (n - n_kbop))
    org = np.empty(n, dtype=object)
    for name, k in (("KBOP", p["n_org_kbop"]), ("GMBOP", p["n_org_gmbop"])):
        idx = np.flatnonzero(partnership == name)
        labels = np.arange(len(idx)) % k + 1                      # every organisation staffed
        org[idx] = [f"{name}-{j:02d}" for j in rng_w.permutation(labels)]
    tenure = np.maximum(0.2, np.round(rng_w.gamma(p["tenure_shape"], p["tenure_scale"], size=n), 1))

    # 2. latent traits ------------------------------------------------------------
    sd, rho = p["sd_trait"], p["rho_rg"]
    cov = sd ** 2 * np.array([[1.0, rho], [rho, 1.0]])
    e = rng_w.multivariate_normal([0.0, 0.0], cov, size=n, method="cholesky")
    mu_s = np.where(tgt["SBW"] == 1, p["mu_sbw"][1], p["mu_sbw"][0])
    theta = {"rpq": mu_s + e[:, 0], "gse": mu_s + e[:, 1],
             "iis": np.where(tgt["INNOV"] == 1, p["mu_innov"][1], p["mu_innov"][0]) + rng_w.normal(0, sd, n)}

    # 3. item answers (graded response model) and missingness ---------------------
    staff = pd.DataFrame({
        "staff_id": [f"S{i + 1:03d}" for i in range(n)],
        "partnership": partnership, "organisation": org.astype(str), "tenure_years": tenure,
    })
    for cid in ITEM_INSTRUMENTS:
        cb = load_codebook(cid)
        sign = np.array([-1.0 if i in cb.reverse_keyed else 1.0 for i in cb.items])
        ans = _grm(rng_items, theta[cid], len(cb.items), cb.response_min, cb.response_max,
                   p["location_offset"][cid], sign)
        for j, item in enumerate(cb.items):
            staff[item] = ans[:, j]
    item_cols = [c for c in staff.columns if "_" in c and c.split("_")[0] in ITEM_INSTRUMENTS]
    miss = rng_miss.random(size=(n, len(item_cols))) < p["p_missing_item"]
    for j, col in enumerate(item_cols):
        staff[col] = pd.array(np.where(miss[:, j], pd.NA, staff[col].to_numpy()), dtype="Int64")

    # 4. participants and contacts ------------------------------------------------
    recruit0 = dt.date.fromisoformat(p["recruit_start"])
    recruit_days = (dt.date.fromisoformat(p["recruit_end"]) - recruit0).days
    cutoff = dt.date.fromisoformat(p["cutoff"])
    day0 = np.datetime64(recruit0)
    cut_d = (cutoff - recruit0).days                               # cut-off as day offset

    lo_c, hi_c = (np.array(p["caseload"][0]), np.array(p["caseload"][1]))
    target_caseload = np.where(tgt["CASELOAD"] == 1, rng_w.uniform(*hi_c, size=n), rng_w.uniform(*lo_c, size=n))
    meet_mean = np.where(tgt["LONGMEET"] == 1, rng_w.uniform(*p["meeting_minutes"][1], size=n),
                         rng_w.uniform(*p["meeting_minutes"][0], size=n))
    gap = np.where(tgt["CASELOAD"] == 1, p["contact_gap_days"][1], p["contact_gap_days"][0])
    # Active participants at a time ~ N * mean engagement / worker's span (recruitment
    # window + engagement); solve for N so that the mean monthly active count ~ target.
    eng_lo, eng_hi = (m * 30.4375 for m in p["engagement_months"])
    span = recruit_days + (eng_lo + eng_hi) / 2
    n_part = np.maximum(3, np.round(target_caseload * span / ((eng_lo + eng_hi) / 2)
                                    * p["participants_per_caseload"])).astype(int)
    base_logit = np.where(path, _logit(p["p_sustain12"][1]), _logit(p["p_sustain12"][0]))
    worker_logit = base_logit + rng_out.normal(0, p["sd_logit_worker"], n)

    parts: list[dict[str, Any]] = []
    cont_pid, cont_sid, cont_day, cont_dur = [], [], [], []
    pid = 0
    for w in range(n):
        sid = staff.at[w, "staff_id"]
        k = int(n_part[w])
        start = rng_part.integers(0, recruit_days + 1, size=k)
        eng = rng_part.uniform(eng_lo, eng_hi, size=k)
        if partnership[w] == "KBOP":
            lo_a, mean_a, sd_a = p["age_kbop"]
            shape = ((mean_a - lo_a) / sd_a) ** 2
            age = np.minimum(75, lo_a + np.floor(rng_part.gamma(shape, (mean_a - lo_a) / shape, size=k))).astype(int)
        else:
            age = rng_part.integers(p["age_gmbop"][0], p["age_gmbop"][1] + 1, size=k)
        entered = rng_part.random(k) < p["p_entry"]
        delay = p["entry_delay_days"][0] + np.floor(rng_part.exponential(p["entry_delay_days"][1], size=k)).astype(int)
        entry = start + delay
        entered &= entry <= cut_d
        due6 = entered & (entry + 182 <= cut_d)
        due12 = entered & (entry + 365 <= cut_d)
        p12 = _expit(worker_logit[w] + rng_out.normal(0, p["sd_logit_participant"], k))
        s12 = rng_out.random(k) < p12
        s6 = s12 | (rng_out.random(k) < p["p6_given_not12"])
        ete = rng_out.random(k) < p["p_ete"][partnership[w]]
        wb0 = np.clip(np.round(rng_out.normal(*p["wellbeing_start"], size=k)), 7, 35).astype(int)
        a_g, b_g, sd_g = p["wellbeing_gain"]
        wb1 = np.clip(np.round(wb0 + a_g + b_g * (s12 & due12) + rng_out.normal(0, sd_g, k)), 7, 35).astype(int)
        wb1_missing = rng_out.random(k) < p["p_wellbeing_missing"]
        for j in range(k):
            pid += 1
            pcode = f"P{pid:04d}"
            parts.append({
                "participant_id": pcode, "staff_id": sid,
                "start_date": str(day0 + int(start[j])), "age": int(age[j]),
                "accommodation_entry_date": str(day0 + int(entry[j])) if entered[j] else "",
                "sustained_6m": ("yes" if s6[j] else "no") if due6[j] else "not_due",
                "sustained_12m": ("yes" if s12[j] else "no") if due12[j] else "not_due",
                "ete_entry": "yes" if ete[j] else "no",
                "wellbeing_start": int(wb0[j]),
                "wellbeing_followup": "" if wb1_missing[j] else int(wb1[j]),
            })
            # contacts: first on the start day, then gaps ~ Gamma(shape 4, mean gap)
            end = min(int(start[j] + eng[j]), cut_d)
            n_max = int((end - start[j]) / gap[w] * 2) + 4
            gaps = np.maximum(1, np.round(rng_cont.gamma(4.0, gap[w] / 4.0, size=n_max))).astype(int)
            days = start[j] + np.concatenate([[0], np.cumsum(gaps)])
            days = days[days <= end]
            sigma = np.sqrt(np.log(1 + p["meeting_cv"] ** 2))
            mu = np.log(meet_mean[w]) - sigma ** 2 / 2
            dur = np.clip(5 * np.round(rng_cont.lognormal(mu, sigma, size=len(days)) / 5), 10, 180).astype(int)
            cont_pid.extend([pcode] * len(days))
            cont_sid.extend([sid] * len(days))
            cont_day.extend(days.tolist())
            cont_dur.extend(dur.tolist())

    participants = pd.DataFrame(parts)
    order = np.lexsort((np.array(cont_pid), np.array(cont_day)))   # by date, then participant
    contacts = pd.DataFrame({
        "contact_id": [f"C{i + 1:06d}" for i in range(len(order))],
        "participant_id": np.array(cont_pid)[order],
        "staff_id": np.array(cont_sid)[order],
        "date": (day0 + np.array(cont_day)[order].astype("timedelta64[D]")).astype(str),
        "duration_min": np.array(cont_dur)[order],
    })
    tables = {"staff_survey": staff, "participants": participants, "contacts": contacts}
    if with_truth:
        tables["truth"] = pd.DataFrame({
            "staff_id": staff["staff_id"], "target_row": rows, "path_row": path,
            "theta_rpq": theta["rpq"], "theta_gse": theta["gse"], "theta_iis": theta["iis"],
            "target_caseload": target_caseload, "meeting_mean": meet_mean, "n_participants": n_part,
            "p_sustain12": _expit(worker_logit),
        })
    return tables


def synthetic_note(seed: int, n_workers: int) -> str:
    """Text of data/raw/SYNTHETIC.md for this seed and worker count (deterministic)."""
    return (
        "# These data are synthetic\n\n"
        "`staff_survey.csv`, `participants.csv` and `contacts.csv` in this folder are a\n"
        "**synthetic stand-in**, not the study's records. They contain no real person.\n"
        "They were written by the compendium's data-generating process:\n\n"
        f"    python -m analysis synth --seed {seed} --workers {n_workers} --out data/raw\n\n"
        "The process plants the study's published configuration\n"
        "(`~SBW*INNOV*~CASELOAD + ~INNOV*~CASELOAD*LONGMEET + CASELOAD*INNOV*LONGMEET -> SUSTAIN12`);\n"
        "its equations and parameters are in `docs/dgp.md`. Any number computed from these\n"
        "files describes the synthetic process, not the real workers or participants.\n\n"
        "To analyse the real data, put files of the same names and columns in `data/real/`\n"
        "(ignored by git; see `data/README.md`, the data dictionary) and check them with\n"
        "`python -m analysis validate --data-dir data/real`.\n"
    )


def write_raw(out_dir: str | Path, seed: int = DEFAULT_SEED, n_workers: int = DEFAULT_WORKERS) -> list[Path]:
    """Generate the tables for *seed* and write them (and SYNTHETIC.md) atomically to *out_dir*."""
    tables = generate(seed, n_workers)
    out = Path(out_dir)
    paths = [write_csv(tables[name], out / f"{name}.csv") for name in ("staff_survey", "participants", "contacts")]
    paths.append(atomic_write_text(out / "SYNTHETIC.md", synthetic_note(seed, n_workers)))
    return paths


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis synth``."""
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED}, the shipped data)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help=f"number of workers (default {DEFAULT_WORKERS})")
    parser.add_argument("--out", default="data/raw", help="output folder (default data/raw)")


def main(args: argparse.Namespace) -> int:
    """Write the synthetic raw tables; print what was written.

    Into ``data/raw/`` only while it holds the recorded stand-in (or nothing):
    files there that are not the stand-in may be a data owner's real data, and
    are never overwritten. Writing there records the new stand-in's checksums
    in ``data/standin.sha256``. Into any other folder: only when none of the
    raw files exist there yet (nothing already written is damaged).
    """
    from analysis import config, datasets

    out = project_path(args.out)
    if out.resolve() == config.RAW_DIR.resolve():
        if any((out / n).exists() for n in datasets.RAW_FILES):
            datasets.require_standin_raw("synth --out data/raw")
    else:
        existing = [n for n in RAW_FILES if (out / n).exists()]
        if existing:
            raise InputError(f"synth --out {args.out}: {', '.join(existing)} already exist there; "
                             "synth never overwrites raw files outside data/raw/ (choose an empty folder)")
    paths = write_raw(out, seed=args.seed, n_workers=args.workers)
    for path in paths:
        print(f"wrote {path.name}")
    if out.resolve() == config.RAW_DIR.resolve():
        print(f"wrote {config.relative_to_root(datasets.write_standin_checksums(out))}")
    return 0


# --------------------------------------------------------------------------- recovery check


def scale_scores(staff: pd.DataFrame) -> pd.DataFrame:
    """Codebook scores of each worker (gse, iis, rpq, sbw), prorated for missing items.

    A light re-statement of the codebook rules for checking the DGP (the
    psychometrics stage owns the scoring used in the analysis): sum -> n_items *
    mean(answered); mean -> mean(answered); IIS formula -> 42 + 12 * mean(plus
    answered) - 8 * mean(minus answered); NaN beyond ``max_missing``; SBW = mean of
    the POMP of rpq and gse, POMP = 100 * (score - min) / (max - min).
    """
    out = pd.DataFrame(index=staff.index)
    for cid in ITEM_INSTRUMENTS:
        cb = load_codebook(cid)
        x = staff[list(cb.items)].astype("float64")
        n_miss = x.isna().sum(axis=1)
        if cb.rule == "sum":
            s = x.mean(axis=1) * len(cb.items)
        elif cb.rule == "mean":
            s = x.mean(axis=1)
        else:
            plus, minus = cb.scoring["plus"], cb.scoring["minus"]
            s = (cb.scoring["constant"] + len(plus) * x[plus].mean(axis=1) - len(minus) * x[minus].mean(axis=1))
        out[cid] = s.where(n_miss <= cb.max_missing)
    sbw = load_codebook("sbw")
    pomp = []
    for comp in sbw.scoring["components"]:
        lo, hi = load_codebook(comp).score_range
        pomp.append(100.0 * (out[comp] - lo) / (hi - lo))
    out["sbw"] = sum(pomp) / len(pomp)
    return out


def direct_calibration(x: np.ndarray, exclusion: float, crossover: float, inclusion: float) -> np.ndarray:
    """Ragin's direct method: log-odds of membership linear in x on each side of the crossover.

    m = 1 / (1 + exp(-L)), L = log(0.95/0.05) * (x - c) / (i - c) for x >= c and
    L = log(0.95/0.05) * (x - c) / (c - e) for x < c (Ragin 2008, ch. 5; R QCA
    ``calibrate(type = "fuzzy", logistic = TRUE, idm = 0.95)``).

    >>> [round(float(v), 3) for v in direct_calibration(np.array([46.0, 68.5, 80.0]), 46, 68.5, 80)]
    [0.05, 0.5, 0.95]
    """
    x = np.asarray(x, dtype=float)
    k = np.log(0.95 / 0.05)
    lo = k * (x - crossover) / (crossover - exclusion)
    hi = k * (x - crossover) / (inclusion - crossover)
    return 1.0 / (1.0 + np.exp(-np.where(x >= crossover, hi, lo)))


def planted_structure_check(staff: pd.DataFrame) -> pd.DataFrame:
    """Truth-table row inclusion of the planted structure on a processed worker table.

    Calibrates SBW, INNOV, CASELOAD, LONGMEET and SUSTAIN12 with
    :func:`intended_anchors`, then for each of the 16 rows reports the number of
    workers with membership > 0.5 (``n``), the fuzzy sufficiency inclusion
    ``incl = sum(min(x, y)) / sum(x)`` of the row's membership x = min over conditions
    of (m or 1 - m) in the outcome y (Ragin 2006), and whether the row is a path row.
    Workers with a NaN score or outcome are left out.
    """
    anchors = intended_anchors()
    scores = scale_scores(staff)
    raw = {"SBW": scores["sbw"], "INNOV": scores["iis"], "CASELOAD": staff["caseload"],
           "LONGMEET": staff["meeting_minutes"], "SUSTAIN12": staff["sustain12_rate"]}
    frame = pd.DataFrame({k: v.to_numpy(dtype=float) for k, v in raw.items()}).dropna()
    m = {k: direct_calibration(frame[k].to_numpy(), anchors[k]["exclusion"], anchors[k]["crossover"],
                               anchors[k]["inclusion"]) for k in frame}
    y = m["SUSTAIN12"]
    rows = []
    for r in range(16):
        code = format(r, "04b")
        x = np.minimum.reduce([m[c] if code[j] == "1" else 1 - m[c] for j, c in enumerate(CONDITIONS)])
        rows.append({"row": code, "n": int((x > 0.5).sum()),
                     "incl": float(np.minimum(x, y).sum() / x.sum()), "path_row": code in PATH_ROWS,
                     "min_membership_of_members": float(x[x > 0.5].min()) if (x > 0.5).any() else float("nan")})
    return pd.DataFrame(rows)
