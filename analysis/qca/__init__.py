"""Fuzzy-set and crisp QCA engine (clean-room, matched against R QCA 3.25).

Modules: :mod:`sets` (AND/OR/NOT), :mod:`expressions` (sums of products in R
QCA's notation), :mod:`truthtable`, :mod:`minimize`, :mod:`fit`,
:mod:`solution`, :mod:`cli`.
"""

from analysis.qca.expressions import (Term, expression_membership, format_expression,
                                      format_term, parse_expression, sort_terms,
                                      term_membership)
from analysis.qca.fit import pof_sufficiency
from analysis.qca.minimize import minimize
from analysis.qca.sets import memberships, set_and, set_not, set_or
from analysis.qca.truthtable import TruthTable, truth_table

__all__ = [
    "Term", "memberships", "set_and", "set_or", "set_not",
    "parse_expression", "format_term", "format_expression", "term_membership",
    "expression_membership", "sort_terms", "truth_table", "TruthTable", "minimize",
    "pof_sufficiency",
]
