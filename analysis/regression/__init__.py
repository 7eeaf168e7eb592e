"""Stage 05: regression models compared with the fuzzy-set QCA.

Modules: :mod:`~analysis.regression.specs` (outcomes, conditions, every
formula), :mod:`~analysis.regression.data` (inputs, model frames),
:mod:`~analysis.regression.worker` (OLS-HC3, fractional logit, comparison,
LR tests), :mod:`~analysis.regression.participant` (GEE, cluster-robust,
mixed models, ICC), :mod:`~analysis.regression.diagnostics` (VIF,
influence, residuals, power), :mod:`~analysis.regression.compare` (QCA
paths vs predictions), :mod:`~analysis.regression.tables` (CSV/Markdown),
:mod:`~analysis.regression.stage` (the whole stage for one outcome).
"""

from analysis.regression.compare import (EXPLANATION, accounts_for, agreement_summary,
                                         agreement_table, classify_workers, path_membership,
                                         solution_memberships)
from analysis.regression.specs import CONDITIONS, FORMULAS, NESTED, OUTCOMES, outcome_spec
from analysis.regression.stage import PUBLISHED_SOLUTION, run_regression

__all__ = ["CONDITIONS", "EXPLANATION", "FORMULAS", "NESTED", "OUTCOMES", "PUBLISHED_SOLUTION",
           "accounts_for", "agreement_summary", "agreement_table", "classify_workers",
           "outcome_spec", "path_membership", "run_regression", "solution_memberships"]
