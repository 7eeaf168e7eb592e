"""The study's vocabulary, defined once: outcomes, conditions, the published solution, anchors.

Every stage, the regression specifications, the figures and the paper take
these from here. Conditions and outcomes are named as in the QCA (``SBW``,
``SUSTAIN12``); the pipeline parameter ``outcome`` uses the lower-case names
of :data:`OUTCOMES`.

Sets (conditions) and their raw columns::

    SBW -> scores.sbw (SBW composite, 0-100)      INNOV -> scores.iis (IIS score, 14-94)
    CASELOAD -> staff.caseload                     LONGMEET -> staff.meeting_minutes
    WORKLOAD -> staff.workload_hours (robustness specification only)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCALES", "CONDITION_COLUMNS", "Outcome", "OUTCOMES", "DEFAULT_OUTCOME", "DEFAULT_CONDITIONS", "PUBLISHED",
           "THEORY_ANCHORS", "DATA_PERCENTILES", "DATA_WHY", "DIRECTIONAL_EXPECTATIONS"]

#: The staff scales the paper reports and the figures draw (scores.csv columns, in Table 1 order):
#: reflective practice (RPQ), self-efficacy (GSE), innovativeness (IIS) and the SBW composite.
SCALES: tuple[str, ...] = ("rpq", "gse", "iis", "sbw")

#: Condition set -> (file, column) it is calibrated from (``scores`` = scores.csv, ``staff`` = staff.csv).
CONDITION_COLUMNS: dict[str, tuple[str, str]] = {
    "SBW": ("scores", "sbw"), "INNOV": ("scores", "iis"), "CASELOAD": ("staff", "caseload"),
    "LONGMEET": ("staff", "meeting_minutes"), "WORKLOAD": ("staff", "workload_hours"),
}

@dataclass(frozen=True)
class Outcome:
    """One outcome: its worker-level rate, denominator and participant-level column(s)."""

    name: str
    label: str
    rate: str  # worker-table column: rate in [0, 1] (or mean change when continuous)
    denominator: str  # worker-table column: participants the rate is computed on
    kind: str  # "binomial" (a proportion of participants) or "continuous"
    participant: tuple[str, ...]  # participants.csv column(s); continuous: (start, followup)
    qca_name: str  # name of the outcome set in calibrated.csv


#: Valid outcome names (the stage's ``outcome`` parameter, as in params.yaml) -> specification.
OUTCOMES: dict[str, Outcome] = {
    "sustain12": Outcome("sustain12", "Accommodation sustained at 12 months", "sustain12_rate",
                         "n_due_12m", "binomial", ("sustained_12m",), "SUSTAIN12"),
    "sustain6": Outcome("sustain6", "Accommodation sustained at 6 months", "sustain6_rate",
                        "n_due_6m", "binomial", ("sustained_6m",), "SUSTAIN6"),
    "ete_entry": Outcome("ete_entry", "Entry to education, training or employment", "ete_rate",
                   "n_participants", "binomial", ("ete_entry",), "ETE"),
    "wellbeing": Outcome("wellbeing", "Wellbeing change (follow-up minus start)",
                         "wellbeing_change", "n_wellbeing", "continuous",
                         ("wellbeing_start", "wellbeing_followup"), "WELLBEING"),
}

DEFAULT_OUTCOME = "sustain12"

DEFAULT_CONDITIONS: tuple[str, ...] = ("SBW", "INNOV", "CASELOAD", "LONGMEET")
#: The published solution for SUSTAIN12 (Social Work Research, doi 10.1093/swr/svae015: three paths).
PUBLISHED = "~SBW*INNOV*~CASELOAD + ~INNOV*~CASELOAD*LONGMEET + CASELOAD*INNOV*LONGMEET"

#: Theory-based anchors (exclusion, crossover, inclusion) and why. They are the
#: anchors the synthetic DGP was built around (``analysis.synth.intended_anchors``;
#: a test checks they agree) and apply unchanged to the real data.
THEORY_ANCHORS: dict[str, tuple[float, float, float, str]] = {
    "SBW": (40.0, 60.0, 80.0,
            "SBW composite on the POMP metric (percent of the maximum possible score): 40 or less is a low, "
            "80 or more a high strengths-based level; 60, above the scale midpoint, is the crossover"),
    "INNOV": (46.0, 68.5, 80.0,
              "IIS adopter categories (Hurt, Joseph & Cook 1977): below 46 laggards are fully out; the crossover "
              "68.5 separates early majority (57-68) from early adopters (69-80); 80, the lower bound of the "
              "innovators, is full membership"),
    "CASELOAD": (15.0, 22.5, 30.0,
                 "active participants per month: 15 or fewer is a low caseload, 30 or more a high one (round "
                 "values inside the observed 10-40 range); 22.5 is the midpoint"),
    "LONGMEET": (45.0, 60.0, 75.0,
                 "mean contact length in minutes: 45 or less is a short meeting, 75 or more a long one; "
                 "an hour is the crossover"),
    "SUSTAIN12": (0.5, 0.65, 0.8,
                  "12-month sustainment rate: the programme's reported sustainment rate (about two thirds) as "
                  "crossover; half or fewer sustained is fully out, four in five or more fully in"),
}
#: Percentiles (exclusion, crossover, inclusion) of the data-based anchors
#: (Pappas & Woodside 2021 recommend the 5th, 50th and 95th percentiles when
#: no external standard exists).
DATA_PERCENTILES: tuple[float, float, float] = (5.0, 50.0, 95.0)
DATA_WHY: dict[str, str] = {
    "WORKLOAD": "contact hours per week have no external benchmark; the DGP's round anchors 5/10/15 would leave "
                "about one worker in nine in the set (skewed), so the anchors are data-based",
    "SUSTAIN6": "no published benchmark for the 6-month rate separate from the 12-month one; data-based anchors",
    "ETE": "no published benchmark for the ETE entry rate; data-based anchors",
    "WELLBEING": "no agreed individual benchmark for the mean change of the wellbeing score; data-based anchors",
}

#: Directional expectations for the intermediate solution: condition -> (literal or None, why).
DIRECTIONAL_EXPECTATIONS: dict[str, tuple[str | None, str]] = {
    "SBW": (None, "theory expects strengths-based working to help, but the published path 1 pairs a lower SBW "
                  "level with sustainment; no expectation is imposed"),
    "INNOV": (None, "present in published paths 1 and 3 and absent in path 2: innovativeness works in both "
                    "directions depending on the context, so no expectation"),
    "CASELOAD": ("~CASELOAD", "a lower caseload leaves more time per participant (the premise of the "
                              "outcomes partnerships' caseload limits); absent in two of the three published paths"),
    "LONGMEET": ("LONGMEET", "longer meetings give room for relationship-based, strengths-based work; present in "
                             "two published paths and absent in none"),
    "WORKLOAD": (None, "more contact hours mean more support but also more strain on the worker; no expectation"),
}


# --------------------------------------------------------------------------- names

