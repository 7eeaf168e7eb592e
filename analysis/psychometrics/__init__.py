"""The psychometric engine: scoring, reliability, factor models and tables of the staff scales.

No stage code lives here (stage 02 is :mod:`analysis.stages.psychometrics`).
The package's modules import in one direction only, so there is no cycle::

    scoring  <-  factor  <-  reliability  <-  tables
       ^
       +------  cfa

:mod:`~analysis.psychometrics.scoring`
    ``reverse_key``, ``prorated_score``, ``formula_score``, ``pomp``,
    ``adopter_category``, ``scale_item_frame``, ``score_scale``, ``score_all``
    (all driven by the codebooks of ``analysis.codebook``), and the codebook
    accessors ``codebook_value``, ``codebook_id``, ``codebook_items``,
    ``codebook_scoring``, ``as_codebook_list``.
:mod:`~analysis.psychometrics.factor`
    ``minres_loadings`` / ``omega_total`` (psych's ``omega(nfactors = 1,
    fm = "minres")``).
:mod:`~analysis.psychometrics.reliability`
    ``cronbach_alpha`` (pingouin), ``feldt_ci``, ``standardized_alpha``,
    ``item_analysis`` and ``reliability`` (a :class:`Reliability` with a
    readable ``summary()``), ``scale_reliabilities``.
:mod:`~analysis.psychometrics.tables`
    ``descriptives_table`` (Table 1), ``item_analysis_table``, ``fisher_ci``,
    ``interscale_correlations``, ``sbw_definition``.
:mod:`~analysis.psychometrics.cfa`
    confirmatory factor analysis by semopy with lavaan's fit conventions
    (``fit_cfa``, ``codebook_cfas``, ``cfa_table``, ``N_CAVEAT``).

The public names of these modules are re-exported here, so
``from analysis import psychometrics as P; P.reliability(...)`` works.
"""

from __future__ import annotations

from analysis.psychometrics import cfa
from analysis.psychometrics.cfa import (N_CAVEAT, CFAResult, cfa_table, codebook_cfas, fit_cfa, fit_indices,
                                        ml_chisq, rmsea_ci, srmr)
from analysis.psychometrics.factor import minres_loadings, omega_total
from analysis.psychometrics.reliability import (Reliability, cronbach_alpha, feldt_ci, item_analysis, reliability,
                                                scale_reliabilities, standardized_alpha)
from analysis.psychometrics.scoring import (adopter_category, as_codebook_list, codebook_id, codebook_items,
                                            codebook_scoring, codebook_value, formula_score, pomp, prorated_score,
                                            reverse_key, scale_item_frame, score_all, score_scale)
from analysis.psychometrics.tables import (descriptives_table, fisher_ci, interscale_correlations,
                                           item_analysis_table, sbw_definition)

__all__ = [
    # scoring
    "as_codebook_list", "codebook_id", "codebook_items", "codebook_scoring", "codebook_value",
    "adopter_category", "formula_score", "pomp", "prorated_score", "reverse_key",
    "scale_item_frame", "score_all", "score_scale",
    # factor model
    "minres_loadings", "omega_total",
    # reliability
    "Reliability", "cronbach_alpha", "feldt_ci", "item_analysis", "reliability", "scale_reliabilities",
    "standardized_alpha",
    # tables
    "descriptives_table", "fisher_ci", "interscale_correlations", "item_analysis_table", "sbw_definition",
    # confirmatory factor analysis
    "cfa", "CFAResult", "N_CAVEAT", "cfa_table", "codebook_cfas", "fit_cfa", "fit_indices", "ml_chisq",
    "rmsea_ci", "srmr",
]
