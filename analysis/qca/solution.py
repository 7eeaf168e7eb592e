"""Result objects of a minimisation: models, their fit, R QCA's printed layout, export.

A :class:`Solution` holds the prime implicants, the chart, every minimal
model (:class:`Model`) with its parameters of fit, and for intermediate
solutions one :class:`Solution` per conservative x parsimonious model pair
(keys ``C1P1``, ``C1P2``, ...). ``summary()`` prints as R QCA prints a
``minimize`` result; ``to_frame()`` and ``to_dict()`` export it (``to_dict``
uses the field names of the R reference files).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.qca.expressions import Term
from analysis.qca.fit import fit_terms, model_fit, unique_coverage
from analysis.qca.truthtable import TOL, TruthTable, row_configs

__all__ = ["Model", "Solution"]


def _num(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)


@dataclass
class Model:
    """One minimal model: its terms (canonical order), fit, per-term fit and cases."""

    name: str
    terms: list[Term]
    labels: list[str]
    essential: list[bool]
    fit: dict[str, float]
    term_fit: pd.DataFrame
    cases: list[str]
    simplifying_assumptions: list[int] = field(default_factory=list)

    @property
    def expression(self) -> str:
        """The model as a sum of products, terms in canonical order."""
        return " + ".join(self.labels)

    @property
    def printed_order(self) -> list[str]:
        """Terms as R prints them: essential PIs first, then the others."""
        return ([lab for lab, e in zip(self.labels, self.essential) if e]
                + [lab for lab, e in zip(self.labels, self.essential) if not e])

    def to_dict(self) -> dict[str, Any]:
        """The model with the reference files' field names."""
        tf = []
        for lab, (_, r), cases in zip(self.labels, self.term_fit.iterrows(), self.cases):
            tf.append({"term": lab, "inclS": _num(r["inclS"]), "PRI": _num(r["PRI"]),
                       "covS": _num(r["covS"]), "covU": _num(r["covU"]), "cases": cases})
        return {"name": self.name, "terms": list(self.labels), "expression": self.expression,
                "printed_term_order": self.printed_order,
                "fit": {k: _num(v) for k, v in self.fit.items()}, "term_fit": tf}


@dataclass
class Solution:
    """A minimisation result (conservative, parsimonious, or one intermediate pair)."""

    truth_table: TruthTable
    solution_type: str
    include: str
    columns: list[int]
    prime_implicants: list[Term]
    pi_cover: np.ndarray
    essential: list[Term]
    models: list[Model]
    n_models: int
    complete: bool
    capped: bool
    pi_fit: pd.DataFrame
    pi_cases: list[str]
    row_dom: bool = False
    key: str | None = None
    conservative_model: list[Term] | None = None
    parsimonious_model: list[Term] | None = None
    easy_counterfactuals: list[int] | None = None
    difficult_counterfactuals: list[int] | None = None
    dir_exp: list[str] | None = None
    intermediate: list[Solution] | None = None

    # ------------------------------------------------------------------ export
    def label(self, term: Term) -> str:
        """A term in R notation for this solution's conditions."""
        return self.truth_table.format_term(term)

    def _config_list(self, rows: list[int]) -> list[dict[str, Any]]:
        cfg = row_configs(rows, self.truth_table.noflevels) if rows else np.zeros((0, 0), int)
        return [{"row": int(r), "config": [int(v) for v in c]} for r, c in zip(rows, cfg)]

    def _core_dict(self) -> dict[str, Any]:
        labels = [self.label(t) for t in self.prime_implicants]
        used = self.used_pis()
        pi_fit = []
        for i in used:
            r = self.pi_fit.iloc[used.index(i)]
            pi_fit.append({"term": labels[i], "inclS": _num(r["inclS"]), "PRI": _num(r["PRI"]),
                           "covS": _num(r["covS"]), "covU": _num(r["covU"]),
                           "cases": self.pi_cases[used.index(i)]})
        return {
            "prime_implicants": labels,
            "pi_chart": {"columns": list(self.columns), "rows": labels,
                         "covers": {lab: [c for c, b in zip(self.columns, row) if b]
                                    for lab, row in zip(labels, self.pi_cover)}},
            "essential": [self.label(t) for t in self.essential],
            "n_models": self.n_models, "models_complete": self.complete, "capped": self.capped,
            "models": [m.to_dict() for m in self.models],
            "pi_fit": pi_fit,
        }

    def to_dict(self) -> dict[str, Any]:
        """The solution with the reference files' field names (``models[]``: terms, fit, term_fit)."""
        tt = self.truth_table
        out: dict[str, Any] = {
            "solution_type": self.solution_type, "include": self.include, "row_dom": self.row_dom,
            # R's numbers for minimisation ("-" = -1 when a condition holds the don't-care value)
            "initial_positive_rows": sorted(tt.minimization_codes(tt.positive_rows)),
            "negative_rows": sorted(tt.minimization_codes(tt.negative_rows)),
        }
        if self.intermediate is None:
            out.update(self._core_dict())
            out["simplifying_assumptions"] = {m.name: self._config_list(m.simplifying_assumptions)
                                              for m in self.models}
        else:
            out["dir_exp"] = list(self.dir_exp or [])
            out["intermediate"] = []
            for s in self.intermediate:
                d = {"key": s.key,
                     "conservative_model": [self.label(t) for t in s.conservative_model or []],
                     "parsimonious_model": [self.label(t) for t in s.parsimonious_model or []],
                     "easy_counterfactuals": self._config_list(s.easy_counterfactuals or []),
                     "difficult_counterfactuals": self._config_list(s.difficult_counterfactuals or [])}
                d.update(s._core_dict())
                out["intermediate"].append(d)
        return out

    def used_pis(self) -> list[int]:
        """Indices of the PIs that enter at least one model (canonical order)."""
        used = sorted({self.prime_implicants.index(t) for m in self.models for t in m.terms})
        return used

    def to_frame(self) -> pd.DataFrame:
        """One row per (model, term): model, term, essential, inclS, PRI, covS, covU, cases."""
        recs = []
        for s in (self.intermediate if self.intermediate is not None else [self]):
            for m in s.models:
                for lab, e, (_, r), cases in zip(m.labels, m.essential, m.term_fit.iterrows(), m.cases):
                    recs.append({"solution": s.key or self.solution_type, "model": m.name, "term": lab,
                                 "essential": e, "inclS": r["inclS"], "PRI": r["PRI"],
                                 "covS": r["covS"], "covU": r["covU"], "cases": cases})
                recs.append({"solution": s.key or self.solution_type, "model": m.name,
                             "term": m.name, "essential": None, "inclS": m.fit["inclS"],
                             "PRI": m.fit["PRI"], "covS": m.fit["covS"], "covU": np.nan,
                             "cases": ""})
        return pd.DataFrame(recs)

    # ---------------------------------------------------------------- printing
    def _model_lines(self) -> list[str]:
        lines = []
        several = len(self.models) > 1
        for m in self.models:
            ess = [lab for lab, e in zip(m.labels, m.essential) if e]
            other = [lab for lab, e in zip(m.labels, m.essential) if not e]
            body = " + ".join(ess)
            if other:
                rest = " + ".join(other)
                rest = f"({rest})" if several else rest
                body = f"{body} + {rest}" if body else rest
            arrow = "<->" if m.fit["covS"] + TOL >= 1 else "->"
            text = f"{m.name}: {body} {arrow} {self.truth_table.outcome}"
            lines.extend(textwrap.wrap(text, width=70, subsequent_indent=" " * (len(m.name) + 2),
                                       break_on_hyphens=False, break_long_words=False))
        return lines

    def _fit_table(self) -> list[str]:
        def f(v: float) -> str:
            return "  -  " if v is None or np.isnan(v) else f"{v:.3f}"
        lines: list[str] = []
        if len(self.models) == 1:
            m = self.models[0]
            w = max(len(lab) for lab in m.labels + [m.name])
            head = " " * (w + 3) + "  inclS   PRI   covS   covU   cases"
            rule = "-" * max(len(head), 40)
            lines += [head, rule]
            for i, (lab, (_, r), cases) in enumerate(zip(m.labels, m.term_fit.iterrows(), m.cases), 1):
                lines.append(f"{i:<2} {lab:>{w}}  {f(r['inclS'])}  {f(r['PRI'])}  {f(r['covS'])}  "
                             f"{f(r['covU'])}  {cases}")
            lines += [rule, f"   {m.name:>{w}}  {f(m.fit['inclS'])}  {f(m.fit['PRI'])}  {f(m.fit['covS'])}"]
            return lines
        used = self.used_pis()
        labels = [self.label(self.prime_implicants[i]) for i in used]
        w = max(len(lab) for lab in labels)
        head = " " * (w + 3) + "  inclS   PRI   covS   covU  " + "".join(f" ({m.name}) " for m in self.models)
        rule = "-" * len(head)
        lines += [rule, head, rule]
        ess = [self.prime_implicants.index(t) for t in self.essential]
        order = [i for i in used if i in ess] + [i for i in used if i not in ess]
        for n, i in enumerate(order, 1):
            r = self.pi_fit.iloc[used.index(i)]
            cells = []
            for m in self.models:
                t = self.prime_implicants[i]
                cells.append(f(m.term_fit.iloc[m.terms.index(t)]["covU"]) if t in m.terms else "     ")
            lines.append(f"{n:<2} {labels[used.index(i)]:>{w}}  {f(r['inclS'])}  {f(r['PRI'])}  "
                         f"{f(r['covS'])}  {f(r['covU'])}  " + "  ".join(cells))
            if n == len([j for j in used if j in ess]):
                lines.append(rule)
        lines.append(rule)
        for m in self.models:
            lines.append(f"   {m.name:>{w}}  {f(m.fit['inclS'])}  {f(m.fit['PRI'])}  {f(m.fit['covS'])}")
        return lines

    def summary(self) -> str:
        """The solution in R QCA's print layout (models, then the fit table)."""
        lines = [""]
        if self.intermediate is not None:
            groups: dict[tuple, list[Solution]] = {}
            for s in self.intermediate:
                sig = tuple(tuple(m.terms) for m in s.models)
                groups.setdefault(sig, []).append(s)
            for sols in groups.values():
                lines += ["From " + ", ".join(s.key or "" for s in sols) + ": ", ""]
                lines += sols[0]._model_lines() + [""] + sols[0]._fit_table() + [""]
        else:
            lines += self._model_lines() + [""] + self._fit_table() + [""]
            if self.capped:
                lines.append(f"(showing {len(self.models)} of "
                             f"{self.n_models if self.complete else 'at least ' + str(self.n_models)}"
                             " minimal models)")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


def build_model(name: str, terms: list[Term], essential: set[Term], tt: TruthTable,
                term_m: dict[Term, np.ndarray], term_cases: dict[Term, str],
                remainders: set[int], cover_rows: dict[Term, set[int]],
                term_labels: dict[Term, str] | None = None,
                term_fit3: dict[Term, tuple[float, float, float]] | None = None) -> Model:
    """Assemble a :class:`Model` with its fit (used by :mod:`analysis.qca.minimize`).

    *term_labels* and *term_fit3* (inclS, PRI, covS of each term, which do not
    depend on the model) may be computed once for all the models of a chart;
    covU and the model's fit are computed here (:func:`analysis.qca.fit.fit_terms`).
    """
    m = np.vstack([term_m[t] for t in terms])
    labels = ([term_labels[t] for t in terms] if term_labels is not None
              else [tt.format_term(t) for t in terms])
    if term_fit3 is None:
        tf = fit_terms(m, tt.y)
        tf.index = labels
    else:
        three = [term_fit3[t] for t in terms]
        tf = pd.DataFrame({"inclS": [v[0] for v in three], "PRI": [v[1] for v in three],
                           "covS": [v[2] for v in three], "covU": unique_coverage(m, tt.y)},
                          index=labels)
    sa = sorted(set().union(*(cover_rows[t] for t in terms)) & remainders)
    return Model(name=name, terms=list(terms), labels=labels, essential=[t in essential for t in terms],
                 fit=model_fit(m, tt.y), term_fit=tf, cases=[term_cases[t] for t in terms],
                 simplifying_assumptions=sa)
