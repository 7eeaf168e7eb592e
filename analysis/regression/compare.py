"""QCA paths versus regression predictions: which workers each approach accounts for.

A worker is *covered* by the QCA solution when their membership in a path
(a conjunction of conditions or their negations) is above 0.5; the model
*predicts a high outcome* when the predicted rate is above a threshold (for
example the crossover used to calibrate the outcome set).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.errors import InputError

#: Plain-words contrast of the two methods, for the notebook and the paper.
EXPLANATION: str = """\
What each method can and cannot claim.

Regression estimates net effects: the average change in the outcome for one
standard deviation more of a condition, holding the others constant, with one
equation meant to hold for every worker. Its claims are symmetric (if more
innovativeness goes with better sustainment, less goes with worse) and
additive unless interactions are written in; with 65 workers only a few
interactions can be estimated, and a three-way interaction is at the edge of
what the data support.

Fuzzy-set QCA looks for combinations of conditions that are (quasi-)sufficient
for the outcome. Its claims are asymmetric (the conditions for high
sustainment say nothing about those for low sustainment), conjunctural (a
condition matters only together with others) and equifinal (several different
paths lead to the same outcome: here lower-SBW innovative workers with small
caseloads, and two routes through long meetings). A condition can help in one
path and be absent or negated in another, which a single net coefficient
averages away (Fiss 2011; Grofman & Schneider 2009; Vis 2012).

The two therefore answer different questions, and disagreement is expected:
a worker covered by a QCA path may have an unremarkable predicted rate
because the path's conditions cancel in the additive equation, and a worker
with a high predicted rate may sit outside every path. QCA cannot give effect
sizes, standard errors or a test against chance, and its solutions depend on
calibration and consistency thresholds; regression cannot show that different
combinations work for different workers unless each combination is specified
in advance. Neither shows causation in these observational data.
"""

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_LITERAL = re.compile(rf"^\s*(~?)\s*({_NAME})\s*$")


def parse_path(expression: str) -> list[tuple[str, bool]]:
    """Literals of a conjunction like ``~SBW*INNOV*~CASELOAD`` as (name, negated) pairs.

    >>> parse_path("~SBW*INNOV")
    [('SBW', True), ('INNOV', False)]
    """
    if not isinstance(expression, str) or not expression.strip():
        raise InputError(f"empty QCA path expression {expression!r}")
    out = []
    for part in expression.split("*"):
        m = _LITERAL.match(part)
        if not m:
            raise InputError(f"QCA path {expression!r}: cannot read {part.strip()!r}; expected "
                             "conditions joined by '*', each optionally negated with '~'")
        out.append((m.group(2), m.group(1) == "~"))
    return out


def split_solution(solution: str | Sequence[str]) -> list[str]:
    """The paths of a solution given as ``"A*B + ~C*D"`` (optionally ``-> Y``) or a list of paths.

    >>> split_solution("A*B + ~C*D -> Y")
    ['A*B', '~C*D']
    """
    if isinstance(solution, str):
        text = solution.split("->")[0].split("=>")[0]
        paths = [p.strip() for p in text.split("+")]
    else:
        paths = [str(p).strip() for p in solution]
    if not paths or any(not p for p in paths):
        raise InputError(f"QCA solution {solution!r} has an empty path")
    return paths


def path_membership(calibrated: pd.DataFrame, expression: str) -> pd.Series:
    """Fuzzy membership in a conjunction: min over literals, ~X = 1 - X (Ragin 2008).

    >>> df = pd.DataFrame({"A": [0.9, 0.2], "B": [0.3, 0.4]})
    >>> path_membership(df, "A*~B").round(2).tolist()
    [0.7, 0.2]
    """
    literals = parse_path(expression)
    missing = [n for n, _ in literals if n not in calibrated.columns]
    if missing:
        raise InputError(f"QCA path {expression!r}: condition(s) {', '.join(missing)} not among "
                         f"the calibrated columns {', '.join(map(str, calibrated.columns))}")
    cols = []
    for name, neg in literals:
        x = pd.to_numeric(calibrated[name], errors="coerce").to_numpy(dtype=float)
        if np.any(~np.isfinite(x)) or np.any((x < 0) | (x > 1)):
            raise InputError(f"calibrated column {name!r} must hold memberships in [0, 1]")
        cols.append(1.0 - x if neg else x)
    return pd.Series(np.min(np.column_stack(cols), axis=1), index=calibrated.index,
                     name=expression)


def solution_memberships(calibrated: pd.DataFrame, solution: str | Sequence[str], *,
                         id_column: str = "staff_id") -> pd.DataFrame:
    """One column per path (membership) plus ``solution`` = max over paths (fuzzy union)."""
    if id_column not in calibrated.columns:
        raise InputError(f"calibrated table has no {id_column!r} column")
    out = pd.DataFrame({id_column: calibrated[id_column].to_numpy()})
    paths = split_solution(solution)
    for p in paths:
        out[p] = path_membership(calibrated, p).to_numpy()
    out["solution"] = out[paths].max(axis=1)
    return out


CATEGORIES: tuple[str, ...] = ("both", "QCA only", "model only", "neither")


def classify_workers(memberships: pd.DataFrame, predicted: pd.DataFrame, *, threshold: float,
                     outcome_membership: pd.Series | None = None,
                     id_column: str = "staff_id", cut: float = 0.5) -> pd.DataFrame:
    """Per worker: covered by a QCA path (solution > cut), predicted high (> threshold), and the category.

    *memberships* is :func:`solution_memberships` output; *predicted* has
    ``staff_id`` and ``predicted``. *outcome_membership* (indexed like
    memberships, e.g. SUSTAIN12) adds ``outcome_member`` (> cut). Workers in
    only one of the two tables are dropped (inner join on ``staff_id``).
    """
    if not isinstance(threshold, (int, float)) or not np.isfinite(threshold):
        raise InputError(f"threshold must be a finite number, got {threshold!r}")
    for name, df, col in (("memberships", memberships, "solution"),
                          ("predicted", predicted, "predicted")):
        for c in (id_column, col):
            if c not in df.columns:
                raise InputError(f"{name} table has no {c!r} column")
    m = memberships[[id_column, "solution"]].copy()
    if outcome_membership is not None:
        m["outcome"] = np.asarray(outcome_membership, dtype=float)
    df = m.merge(predicted[[id_column, "predicted"]], on=id_column, how="inner", validate="1:1")
    df["qca_covered"] = df["solution"] > cut
    df["model_high"] = df["predicted"] > threshold
    df["category"] = np.select(
        [df["qca_covered"] & df["model_high"], df["qca_covered"] & ~df["model_high"],
         ~df["qca_covered"] & df["model_high"]], list(CATEGORIES[:3]), default=CATEGORIES[3])
    if outcome_membership is not None:
        df["outcome_member"] = df["outcome"] > cut
    return df


def agreement_table(classified: pd.DataFrame) -> pd.DataFrame:
    """2x2 counts: QCA covered (rows: yes/no) by model high (columns: yes/no), with totals."""
    rows = pd.Categorical(np.where(classified["qca_covered"], "QCA covered", "QCA not covered"),
                          categories=["QCA covered", "QCA not covered"])
    cols = pd.Categorical(np.where(classified["model_high"], "model high", "model not high"),
                          categories=["model high", "model not high"])
    tab = pd.crosstab(rows, cols, margins=True, margins_name="total", dropna=False)
    tab.index.name, tab.columns.name = "QCA / model", None
    return tab.astype(int)


def agreement_summary(classified: pd.DataFrame) -> dict[str, float]:
    """Proportion of workers on which the two approaches agree, and Cohen's kappa.

    kappa = (p_o - p_e) / (1 - p_e), p_e = p_q p_m + (1 - p_q)(1 - p_m) (Cohen 1960).

    >>> agreement_summary(pd.DataFrame({"qca_covered": [True, False], "model_high": [True, False]}))
    {'n': 2, 'agreement': 1.0, 'kappa': 1.0}
    """
    q = classified["qca_covered"].to_numpy(dtype=bool)
    m = classified["model_high"].to_numpy(dtype=bool)
    n = q.size
    if n == 0:
        raise InputError("no workers to compare")
    po = float(np.mean(q == m))
    pq, pm = float(q.mean()), float(m.mean())
    pe = pq * pm + (1 - pq) * (1 - pm)
    kappa = (po - pe) / (1 - pe) if pe < 1 else float("nan")
    return {"n": int(n), "agreement": po, "kappa": float(kappa)}


def accounts_for(classified: pd.DataFrame, *, id_column: str = "staff_id") -> pd.DataFrame:
    """Among workers in the outcome set (outcome > 0.5): how many each approach accounts for.

    Rows: category (both / QCA only / model only / neither); columns: workers
    in the outcome set, workers outside it, and the staff ids of those in it.
    """
    if "outcome_member" not in classified.columns:
        raise InputError("accounts_for needs classify_workers(..., outcome_membership=...)")
    rows = []
    for cat in CATEGORIES:
        sel = classified["category"] == cat
        inside = classified[sel & classified["outcome_member"]]
        rows.append({"category": cat, "in_outcome_set": int(len(inside)),
                     "outside_outcome_set": int((sel & ~classified["outcome_member"]).sum()),
                     "staff_ids_in_outcome_set": " ".join(map(str, inside[id_column]))})
    return pd.DataFrame(rows)
