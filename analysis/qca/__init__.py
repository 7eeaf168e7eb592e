"""Fuzzy-set and crisp QCA engine (clean-room, matched against R QCA 3.25).

Modules: :mod:`calibrate` (raw values to memberships), :mod:`sets`
(AND/OR/NOT), :mod:`expressions` (sums of products in R QCA's notation),
:mod:`necessity` (inclN, covN, RoN, superSubset), :mod:`truthtable`,
:mod:`minimize`, :mod:`fit`, :mod:`solution`, :mod:`robustness`, :mod:`cli`.

The package re-exports the set-theoretic basics; the minimiser is imported
from its module (``from analysis.qca.minimize import minimize``), so that code
that only calibrates (stage 03) does not depend on it: the pipeline's code
fingerprint follows imports, the package's own included.

>>> from analysis import qca
>>> round(float(qca.calibrate([165, 175, 185], "e=165, c=175, i=185")[1]), 2)
0.5
"""

from analysis.qca.calibrate import (anchors_from_percentiles, calibrate, crossover_cases,
                                    skewness_check)
from analysis.qca.expressions import (Term, expression_membership, format_expression,
                                      format_term, parse_expression, sort_terms,
                                      term_membership)
from analysis.qca.fit import pof_sufficiency
from analysis.qca.necessity import NecessityResult, necessity, super_subset
from analysis.qca.sets import memberships, set_and, set_not, set_or
from analysis.qca.truthtable import TruthTable, truth_table

__all__ = [
    "Term", "memberships", "set_and", "set_or", "set_not",
    "parse_expression", "format_term", "format_expression", "term_membership",
    "expression_membership", "sort_terms", "truth_table", "TruthTable",
    "pof_sufficiency", "calibrate", "anchors_from_percentiles", "crossover_cases", "skewness_check",
    "necessity", "super_subset", "NecessityResult",
]
