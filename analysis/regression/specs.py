"""Every regression model of stage 05, specified once.

The outcomes and conditions come from :mod:`analysis.study` (the study's
vocabulary, defined once); the formula strings live here and nowhere else; the fitting functions take a
model name and look its formula up in :data:`FORMULAS`.

In every model frame the response is the column ``y`` and each condition is
a column named by its QCA name (``SBW``, ``INNOV``, ``CASELOAD``,
``LONGMEET``, ``WORKLOAD``) holding the *standardised* raw value
(z = (x - mean) / sd, sd with ddof = 1, over the workers in the analysis
sample), so coefficients are per standard deviation of the condition and
main effects are at the average of the other conditions.
"""

from __future__ import annotations


from analysis.errors import InputError
from analysis.study import CONDITION_COLUMNS, DEFAULT_CONDITIONS, DEFAULT_OUTCOME, OUTCOMES, Outcome  # noqa: F401

#: QCA condition name -> column of the worker table (staff.csv merged with scores.csv).
CONDITIONS: dict[str, str] = {name: column for name, (_, column) in CONDITION_COLUMNS.items()}

#: The four headline conditions (the WORKLOAD model adds the fifth).
MAIN_CONDITIONS: tuple[str, ...] = DEFAULT_CONDITIONS



#: Worker-level formulas (response ``y``; conditions standardised). The
#: interaction models mirror the QCA paths of the published solution
#: ~SBW*INNOV*~CASELOAD + ~INNOV*~CASELOAD*LONGMEET + CASELOAD*INNOV*LONGMEET:
#: INNOV x CASELOAD (path 1), CASELOAD x LONGMEET (paths 2, 3) and the full
#: INNOV x CASELOAD x LONGMEET factorial (all three paths combine these three).
FORMULAS: dict[str, str] = {
    "null": "y ~ 1",
    "main": "y ~ SBW + INNOV + CASELOAD + LONGMEET",
    "innov_x_caseload": "y ~ SBW + INNOV + CASELOAD + LONGMEET + INNOV:CASELOAD",
    "caseload_x_longmeet": "y ~ SBW + INNOV + CASELOAD + LONGMEET + CASELOAD:LONGMEET",
    "two_way": "y ~ SBW + INNOV + CASELOAD + LONGMEET + INNOV:CASELOAD + CASELOAD:LONGMEET",
    "three_way": "y ~ SBW + INNOV * CASELOAD * LONGMEET",
    "workload": "y ~ SBW + INNOV + CASELOAD + LONGMEET + WORKLOAD",
}

#: Participant-level formula (worker's standardised conditions; groups = staff_id).
PARTICIPANT_FORMULA: str = FORMULAS["main"]

#: Nested pairs (smaller, larger) compared with likelihood-ratio tests.
NESTED: tuple[tuple[str, str], ...] = (
    ("null", "main"),
    ("main", "innov_x_caseload"),
    ("main", "caseload_x_longmeet"),
    ("innov_x_caseload", "two_way"),
    ("caseload_x_longmeet", "two_way"),
    ("two_way", "three_way"),
    ("main", "three_way"),
    ("main", "workload"),
)

#: "Where N allows": a model is fitted only with at least this many workers per
#: estimated coefficient (intercept included); otherwise it is skipped with a note.
MIN_OBS_PER_PARAMETER: float = 5.0


def outcome_spec(name: str) -> Outcome:
    """The :class:`Outcome` called *name*; InputError listing the valid names otherwise.

    >>> outcome_spec("sustain12").rate
    'sustain12_rate'
    """
    try:
        return OUTCOMES[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown outcome {name!r}; valid outcomes: "
                         + ", ".join(OUTCOMES)) from None


def model_spec(name: str) -> str:
    """The formula of the worker-level model *name*; InputError listing the valid names otherwise.

    >>> model_spec("main")
    'y ~ SBW + INNOV + CASELOAD + LONGMEET'
    """
    try:
        return FORMULAS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown model {name!r}; valid models: " + ", ".join(FORMULAS)) from None


def formula_conditions(formula: str) -> list[str]:
    """The condition names a formula uses, in :data:`CONDITIONS` order.

    >>> formula_conditions(FORMULAS["workload"])
    ['SBW', 'INNOV', 'CASELOAD', 'LONGMEET', 'WORKLOAD']
    """
    import re

    rhs = formula.split("~", 1)[1]
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", rhs))
    return [c for c in CONDITIONS if c in names]
